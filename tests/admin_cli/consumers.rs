//! Consumer-group commands: `consumerProgress`, `consumerConnection`, `resetOffsetByTime`
//! (online: the consumer re-consumes from the new offsets; offline: the offsets are committed),
//! `updateSubGroup` / `deleteSubGroup`, the running info (307) forwarded to the client, and the
//! errors (wrong flag, unreachable name server).

use std::process::{Command, Output};

use serde_json::Value;

use crate::common::BrokerProcess;
use crate::consumer_support::{client, produce, recorder, wait_committed, wait_until};
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{ConsumerConfig, MqAdmin};

/// Runs `rmq-admin <args>` against the name server `ns`.
pub fn rmq_admin(ns: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rmq-admin"))
        .args(args)
        .args(["-n", ns])
        .env_remove("NAMESRV_ADDR")
        .output()
        .expect("run rmq-admin")
}

/// Runs a command that must succeed; its stdout.
pub fn ok(ns: &str, args: &[&str]) -> String {
    let out = rmq_admin(ns, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "rmq-admin {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs a command with `--json` that must succeed; its document.
pub fn json(ns: &str, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let text = ok(ns, &a);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn consumer_offsets(doc: &Value) -> Vec<i64> {
    doc["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .map(|q| q["consumerOffset"].as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_connection_running_info_and_reset_by_time() {
    let broker = BrokerProcess::start();
    let ns = broker.namesrv_addr();
    let (topic, group) = ("AdminCliProgress", "admin_cli_progress");
    broker.create_topic(topic, 2);
    let sent = produce(&ns, topic, 10, "p").await;
    let (consumer, seen) = recorder(
        &ns,
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            persist_consumer_offset_interval: std::time::Duration::from_millis(200),
            ..Default::default()
        },
        false,
    );
    consumer.subscribe(topic, "*");
    consumer.start().await.unwrap();
    wait_until("10 messages consumed", 30, || {
        seen.lock().unwrap().len() >= 10
    })
    .await;
    wait_committed(&ns, group, topic, 30).await;

    // consumerProgress -g -t: mqadmin's columns, one row per queue, diff 0, totals.
    let text = ok(&ns, &["consumerProgress", "-g", group, "-t", topic]);
    let header = text.lines().next().unwrap();
    for col in [
        "#Topic",
        "#Broker Name",
        "#QID",
        "#Broker Offset",
        "#Consumer Offset",
        "#Diff",
        "#Inflight",
        "#LastTime",
    ] {
        assert!(header.contains(col), "no {col} in {header}");
    }
    assert_eq!(
        text.lines().filter(|l| l.starts_with(topic)).count(),
        2,
        "{text}"
    );
    assert!(text.contains("Consume Diff Total: 0"), "{text}");
    assert!(text.contains("Consume TPS: "), "{text}");
    let doc = json(&ns, &["consumerProgress", "-g", group, "-t", topic]);
    assert_eq!(consumer_offsets(&doc).iter().sum::<i64>(), 10, "{doc}");
    assert_eq!(doc["diffTotal"], 0);
    // 10 messages pulled within the last minute.
    let tps = doc["consumeTps"].as_f64().unwrap();
    assert!(tps > 0.1 && tps < 1.0, "{doc}");
    // Without -t: every topic of the group (here the one).
    let all = json(&ns, &["consumerProgress", "-g", group]);
    assert!(
        all["queues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["topic"] == topic),
        "{all}"
    );

    // Without -g: one line per group (clients, lowest version, type, model, TPS, diff).
    let text = ok(&ns, &["consumerProgress"]);
    assert!(text.starts_with("#Group"), "{text}");
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with(group))
        .unwrap_or_else(|| panic!("no {group} in {text}"))
        .split_whitespace()
        .collect();
    assert_eq!(&row[1..5], ["1", "V4_9_4", "PUSH", "CLUSTERING"], "{text}");
    assert_eq!(row.last(), Some(&"0"), "{text}");

    // consumerConnection: the client, its subscription, the consume type.
    let text = ok(&ns, &["consumerConnection", "-g", group]);
    assert!(text.contains(consumer.client_id()), "{text}");
    assert!(text.contains("Below is subscription:"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with(topic) && l.trim_end().ends_with('*')),
        "{text}"
    );
    assert!(text.contains("ConsumeType: CONSUME_PASSIVELY"), "{text}");
    assert!(text.contains("MessageModel: CLUSTERING"), "{text}");
    let doc = json(&ns, &["consumerConnection", "-g", group]);
    assert_eq!(doc["connections"][0]["clientId"], consumer.client_id());
    assert_eq!(doc["connections"][0]["language"], "RUST");

    // GET_CONSUMER_RUNNING_INFO forwarded by the broker to the consumer.
    let admin = MqAdmin::new(client(&ns)).unwrap();
    let info = admin
        .consumer_running_info(group, consumer.client_id(), false)
        .await
        .unwrap();
    assert!(
        info.subscription_set.iter().any(|s| s.topic == topic),
        "{info:?}"
    );
    assert_eq!(info.mq_table.keys().filter(|q| q.topic == topic).count(), 2);
    let unknown = admin.consumer_running_info(group, "nobody@1", false).await;
    assert!(format!("{unknown:?}").contains("not online"), "{unknown:?}");

    // resetOffsetByTime to the beginning: the online consumer gets every message again.
    let text = ok(
        &ns,
        &["resetOffsetByTime", "-g", group, "-t", topic, "-s", "0"],
    );
    assert!(
        text.contains("#brokerName") && text.contains("#queueId") && text.contains("#offset"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("broker-a")).count(),
        2,
        "{text}"
    );
    wait_until("every message consumed again after the reset", 30, || {
        let s = seen.lock().unwrap();
        sent.iter()
            .all(|id| s.iter().filter(|m| &m.msg_id() == id).count() >= 2)
    })
    .await;
    wait_committed(&ns, group, topic, 30).await;
    consumer.shutdown().await;

    // Offline group: reset to the beginning commits 0 on every queue.
    wait_until("group offline", 30, || {
        !ok(&ns, &["consumerProgress", "-g", group, "-t", topic]).is_empty()
            && rmq_admin(&ns, &["consumerConnection", "-g", group])
                .status
                .code()
                != Some(0)
    })
    .await;
    let doc = json(
        &ns,
        &[
            "resetOffsetByTime",
            "-g",
            group,
            "-t",
            topic,
            "-s",
            "1970-01-01#00:00:00:000",
        ],
    );
    assert!(
        doc["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["offset"] == 0),
        "{doc}"
    );
    let doc = json(&ns, &["consumerProgress", "-g", group, "-t", topic]);
    assert_eq!(consumer_offsets(&doc), vec![0, 0], "{doc}");
    assert_eq!(doc["diffTotal"], 10);
    admin.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_groups_are_created_and_deleted_and_errors_are_one_line() {
    let broker = BrokerProcess::start();
    let ns = broker.namesrv_addr();
    let addr = broker.broker_addr();
    let admin = MqAdmin::new(client(&ns)).unwrap();

    let text = ok(
        &ns,
        &[
            "updateSubGroup",
            "-b",
            &addr,
            "-g",
            "admin_cli_sg",
            "-r",
            "5",
            "-q",
            "2",
            "-o",
            "true",
        ],
    );
    assert!(
        text.contains(&format!("create subscription group to {addr} success.")),
        "{text}"
    );
    let groups = admin.subscription_groups(&addr).await.unwrap();
    let g = &groups.subscription_group_table["admin_cli_sg"];
    assert_eq!(
        (
            g.retry_max_times,
            g.retry_queue_nums,
            g.consume_message_orderly
        ),
        (5, 2, true)
    );

    let doc = json(
        &ns,
        &[
            "updateSubGroup",
            "-c",
            "DefaultCluster",
            "-g",
            "admin_cli_sg2",
        ],
    );
    assert_eq!(doc["brokers"][0], addr.as_str());
    assert!(admin
        .subscription_groups(&addr)
        .await
        .unwrap()
        .subscription_group_table
        .contains_key("admin_cli_sg2"));

    let text = ok(&ns, &["deleteSubGroup", "-b", &addr, "-g", "admin_cli_sg"]);
    assert!(
        text.contains(&format!(
            "delete subscription group [admin_cli_sg] from broker [{addr}] success."
        )),
        "{text}"
    );
    let text = ok(
        &ns,
        &[
            "deleteSubGroup",
            "-c",
            "DefaultCluster",
            "-g",
            "admin_cli_sg2",
        ],
    );
    assert!(
        text.contains("in cluster [DefaultCluster] success."),
        "{text}"
    );
    let left = admin
        .subscription_groups(&addr)
        .await
        .unwrap()
        .subscription_group_table;
    assert!(
        !left.contains_key("admin_cli_sg") && !left.contains_key("admin_cli_sg2"),
        "{left:?}"
    );
    admin.close().await;

    // Neither -b nor -c, a wrong flag, an unreachable name server: one line, non-zero.
    for (args, ns) in [
        (vec!["deleteSubGroup", "-g", "x"], ns.as_str()),
        (vec!["consumerProgress", "-g", "x", "--nope"], ns.as_str()),
        (vec!["consumerProgress", "-g", "x"], "127.0.0.1:1"),
        (
            vec!["resetOffsetByTime", "-g", "x", "-t", "T", "-s", "yesterday"],
            ns.as_str(),
        ),
    ] {
        let out = rmq_admin(ns, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("rmq-admin: "), "{err}");
    }
}
