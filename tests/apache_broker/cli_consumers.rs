//! `rmq-admin`'s consumer and message commands on the Java broker, next to Java `mqadmin`
//! (5.3.3) on the same cluster: the same columns and the same values where they must agree.
//! And our consumer answering what the Java broker forwards to it: GET_CONSUMER_RUNNING_INFO
//! (307), CONSUME_MESSAGE_DIRECTLY (309), and a reset by time (222, server side on 5.3.3).

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{ConsumerConfig, Message, MqAdmin};
use rmq::protocol::body::SubscriptionGroupConfig;
use serde_json::Value;

use crate::common::{self, ApacheVersion};
use crate::support::*;

/// Runs `rmq-admin <args> -n ns`; its stdout, asserting success.
fn rmq_admin(ns: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rmq-admin"))
        .args(args)
        .args(["-n", ns])
        .output()
        .expect("run rmq-admin");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "rmq-admin {args:?}: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn rmq_json(ns: &str, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&rmq_admin(ns, &a)).expect("JSON")
}

/// Column names of a header line (`#Topic   #Broker Name ...` → ["Topic", "Broker Name", ..]).
fn columns(header: &str) -> Vec<String> {
    header
        .split('#')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first line that starts with `#` (a table header).
fn header(out: &str) -> &str {
    out.lines().find(|l| l.starts_with('#')).unwrap_or("")
}

/// Lines starting with `prefix`, whitespace-split.
fn rows(out: &str, prefix: &str) -> BTreeSet<Vec<String>> {
    out.lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// The value after `label` on its line.
fn field(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label} in\n{out}"))
}

/// Runs Java `mqadmin` 5.3.3 commands (each with `-n ns`) in one JVM; their outputs.
pub fn mqadmin(cmds: &[Vec<&str>], ns: &str) -> Vec<String> {
    let cmds: Vec<Vec<String>> = cmds
        .iter()
        .map(|c| {
            let mut v: Vec<String> = c.iter().map(|s| s.to_string()).collect();
            v.extend(["-n".into(), ns.to_owned()]);
            v
        })
        .collect();
    common::mqadmin(ApacheVersion::V5, &cmds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmq_admin_agrees_with_java_mqadmin_and_our_consumer_answers_the_java_broker() {
    let ns = ns().await;
    let (topic, group) = ("cli-b", "cli-b-g");
    create_topic(topic, 2).await;
    let p = producer(&ns);
    let mut sent = Vec::new();
    for i in 0..6 {
        let m = Message::new(topic, format!("cli-b-{i}")).with_keys(format!("cli-b-key-{i}"));
        sent.push(p.send(&m.with_tags("TagA")).await.unwrap());
    }
    p.shutdown().await;
    let (consumer, seen) = recorder(
        &ns,
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            persist_consumer_offset_interval: Duration::from_millis(200),
            ..Default::default()
        },
        false,
    );
    consumer.subscribe(topic, "*");
    consumer.start().await.unwrap();
    wait_until("6 consumed", 60, || seen.lock().unwrap().len() >= 6).await;
    crate::consumer_support::wait_committed(&ns, group, topic, 30).await;

    let key3 = &sent[3];
    let (qid, qoff) = (
        key3.message_queue.queue_id.to_string(),
        key3.queue_offset.to_string(),
    );
    let broker_name = key3.message_queue.broker_name.clone();
    let cmds: Vec<Vec<&str>> = vec![
        vec!["consumerProgress", "-g", group],
        vec!["consumerConnection", "-g", group],
        vec!["queryMsgById", "-t", topic, "-i", &key3.offset_msg_id],
        vec!["queryMsgByKey", "-t", topic, "-k", "cli-b-key-3"],
        vec![
            "queryMsgByOffset",
            "-t",
            topic,
            "-b",
            &broker_name,
            "-i",
            &qid,
            "-o",
            &qoff,
        ],
        vec!["consumerProgress"],
    ];
    let java_out = {
        let (c, n) = (
            cmds.iter()
                .map(|c| c.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .collect::<Vec<_>>(),
            ns.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let c: Vec<Vec<&str>> = c
                .iter()
                .map(|v| v.iter().map(String::as_str).collect())
                .collect();
            mqadmin(&c, &n)
        })
        .await
        .unwrap()
    };
    let ours: Vec<String> = cmds.iter().map(|c| rmq_admin(&ns, c)).collect();
    let show = |i: usize| {
        format!(
            "{:?}\n--- rmq-admin ---\n{}\n--- mqadmin ---\n{}",
            cmds[i], ours[i], java_out[i]
        )
    };

    // consumerProgress -g: same columns; same (topic, broker, qid, broker offset, consumer
    // offset, diff) rows — the retry topic's included; the totals line.
    assert_eq!(
        columns(header(&ours[0])),
        columns(header(&java_out[0])),
        "{}",
        show(0)
    );
    let cut = |rs: BTreeSet<Vec<String>>| -> BTreeSet<Vec<String>> {
        rs.into_iter().map(|r| r[..6].to_vec()).collect()
    };
    for prefix in [topic, "%RETRY%"] {
        assert_eq!(
            cut(rows(&ours[0], prefix)),
            cut(rows(&java_out[0], prefix)),
            "{}",
            show(0)
        );
    }
    assert_eq!(rows(&ours[0], topic).len(), 2, "{}", show(0));
    assert!(
        ours[0].contains("Consume Diff Total: 0") && java_out[0].contains("Consume Diff Total: 0"),
        "{}",
        show(0)
    );

    // consumerConnection: same columns; the same client id, language, version; same lines.
    assert_eq!(
        columns(header(&ours[1])),
        columns(header(&java_out[1])),
        "{}",
        show(1)
    );
    let client_rows = |out: &str| rows(out, consumer.client_id());
    assert_eq!(client_rows(&ours[1]).len(), 1, "{}", show(1));
    let strip_addr = |rs: BTreeSet<Vec<String>>| -> Vec<Vec<String>> {
        rs.into_iter()
            .map(|r| vec![r[0].clone(), r[2].clone(), r[3].clone()])
            .collect()
    };
    assert_eq!(
        strip_addr(client_rows(&ours[1])),
        strip_addr(client_rows(&java_out[1])),
        "{}",
        show(1)
    );
    for line in [
        "ConsumeType: CONSUME_PASSIVELY",
        "MessageModel: CLUSTERING",
        "ConsumeFromWhere: CONSUME_FROM_FIRST_OFFSET",
    ] {
        assert!(
            ours[1].contains(line) && java_out[1].contains(line),
            "{line}\n{}",
            show(1)
        );
    }

    // queryMsgById / queryMsgByOffset: the same fields, and the same track of our group. (The
    // Java broker also names the topic itself as a consuming group; for it mqadmin prints
    // UNKNOWN with a route exception, rmq-admin NOT_ONLINE.)
    for i in [2, 4] {
        for label in [
            "OffsetID:",
            "Topic:",
            "Tags:",
            "Keys:",
            "Queue ID:",
            "Queue Offset:",
            "CommitLog Offset:",
            "Store Host:",
            "System Flag:",
        ] {
            assert_eq!(
                field(&ours[i], label),
                field(&java_out[i], label),
                "{label}\n{}",
                show(i)
            );
        }
        let tracks = |out: &str| {
            out.lines()
                .filter(|l| l.starts_with(&format!("MessageTrack [consumerGroup={group},")))
                .map(str::to_owned)
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(tracks(&ours[i]), tracks(&java_out[i]), "{}", show(i));
        assert!(
            tracks(&ours[i])
                .iter()
                .any(|t| t.contains(&format!("consumerGroup={group}, trackType=CONSUMED"))),
            "{}",
            show(i)
        );
    }
    // queryMsgByKey: same columns and rows.
    assert_eq!(
        columns(header(&ours[3])),
        columns(header(&java_out[3])),
        "{}",
        show(3)
    );
    assert_eq!(
        rows(&ours[3], &key3.msg_id),
        rows(&java_out[3], &key3.msg_id),
        "{}",
        show(3)
    );
    assert_eq!(rows(&ours[3], &key3.msg_id).len(), 1, "{}", show(3));

    // consumerProgress without -g: the same line for our group (clients, version, type,
    // model, diff total; TPS is sampled at different moments).
    assert_eq!(
        columns(header(&ours[5])),
        columns(header(&java_out[5])),
        "{}",
        show(5)
    );
    let line = |out: &str| -> Vec<String> {
        let r = rows(out, &format!("{group} "))
            .into_iter()
            .next()
            .unwrap_or_default();
        assert_eq!(r.len(), 7, "{}", show(5));
        [&r[..5], &r[6..]].concat()
    };
    assert_eq!(line(&ours[5]), line(&java_out[5]), "{}", show(5));

    // 307 through the Java broker.
    let admin = MqAdmin::new(client(&ns)).unwrap();
    let info = admin
        .consumer_running_info(group, consumer.client_id(), false)
        .await
        .unwrap();
    assert!(
        info.subscription_set.iter().any(|s| s.topic == topic),
        "{info:?}"
    );
    // 309 through the Java broker: the listener gets message 3 once more.
    let doc = rmq_json(
        &ns,
        &[
            "queryMsgById",
            "-i",
            &key3.offset_msg_id,
            "-g",
            group,
            "-d",
            consumer.client_id(),
        ],
    );
    assert_eq!(
        doc["messages"][0]["result"]["consumeResult"], "CR_SUCCESS",
        "{doc}"
    );
    let times = |id: &str| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|m| m.msg_id() == id)
            .count()
    };
    assert_eq!(times(&key3.msg_id), 2);
    // 222: the 5.3.3 broker resets on its side (useServerSideResetOffset) and answers our
    // consumer's next pull of each queue with the new offset; it consumes everything again.
    let doc = rmq_json(
        &ns,
        &["resetOffsetByTime", "-g", group, "-t", topic, "-s", "0"],
    );
    assert!(
        doc["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["offset"] == 0),
        "{doc}"
    );
    wait_until("re-consumed after the reset", 60, || {
        sent.iter().all(|s| times(&s.msg_id) >= 2)
    })
    .await;
    crate::consumer_support::wait_committed(&ns, group, topic, 30).await;
    consumer.shutdown().await;

    // Offline: reset again; the offsets are committed.
    let doc = rmq_json(
        &ns,
        &["resetOffsetByTime", "-g", group, "-t", topic, "-s", "0"],
    );
    assert_eq!(doc["offsets"].as_array().unwrap().len(), 2, "{doc}");
    let stats = admin
        .examine_consume_stats(group, Some(topic))
        .await
        .unwrap();
    assert!(
        stats.offset_table.values().all(|w| w.consumer_offset == 0),
        "{stats:?}"
    );

    // Subscription groups on the Java broker: create, list (Java's wider body), delete.
    let addr = shared().broker.addr();
    rmq_admin(
        &ns,
        &["updateSubGroup", "-b", &addr, "-g", "cli-b-sg", "-r", "3"],
    );
    let groups = admin
        .subscription_groups(&addr)
        .await
        .unwrap()
        .subscription_group_table;
    assert_eq!(
        groups
            .get("cli-b-sg")
            .map(|g: &SubscriptionGroupConfig| g.retry_max_times),
        Some(3)
    );
    rmq_admin(&ns, &["deleteSubGroup", "-b", &addr, "-g", "cli-b-sg"]);
    assert!(!admin
        .subscription_groups(&addr)
        .await
        .unwrap()
        .subscription_group_table
        .contains_key("cli-b-sg"));
    admin.close().await;
}
