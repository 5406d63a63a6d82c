//! `mqadmin` (rocketmq-tools 5.3.3, `MQAdminStartup`) against rmq-broker, side by side with
//! the Java broker: the same setup on both, the same commands, and their output compared —
//! same header lines, same rows, the same values where they must agree.

use std::time::Duration;

use crate::common::{self, ApacheVersion, BrokerProcess, CppChild};
use crate::support::*;

/// One cluster under test: its name server, broker and what was sent to it.
struct Side {
    ns: String,
    broker_addr: String,
    broker_name: String,
    /// (uniq msg id, offset msg id, queue id, queue offset) of `mq-key-3`.
    key3: (String, String, u64, u64),
}

/// Creates `mqa` (4 queues), sends 10 keyed messages with the Java producer and lets the
/// Java consumer of `mqa-g` consume them; returns the side and the still-running consumer.
async fn prepare(ns: String, broker_addr: String, broker_name: String) -> (Side, CppChild) {
    let (ns2, addr2, name2) = (ns.clone(), broker_addr.clone(), broker_name.clone());
    tokio::task::spawn_blocking(move || common::create_topic_on(&addr2, &ns2, "mqa", 4, &name2))
        .await
        .unwrap();
    let run = java(argv(&[
        "produce",
        "--namesrv",
        &ns,
        "--topic",
        "mqa",
        "--count",
        "10",
        "--prefix",
        "mq",
        "--keys",
    ]))
    .await;
    run.assert_ok();
    let rec = run
        .records("msg_id")
        .find(|r| r["index"] == 3)
        .unwrap()
        .clone();
    let key3 = (
        rec["msg_id"].as_str().unwrap().to_string(),
        rec["offset_msg_id"].as_str().unwrap().to_string(),
        rec["queue_id"].as_u64().unwrap(),
        rec["queue_offset"].as_u64().unwrap(),
    );
    let args = argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "mqa",
        "--group",
        "mqa-g",
        "--prefix",
        "mq",
        "--expect",
        "1000",
        "--from-first",
        "--timeout",
        "300",
    ]);
    let consumer = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let c = common::java_client_spawn(&args);
        assert!(c.wait_ready(Duration::from_secs(60)));
        c
    })
    .await
    .unwrap();
    // The consumer commits every 5 s: wait until the broker has all 10 committed.
    let admin = rmq::client::MqAdmin::new(client(&ns)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let stats = admin.consume_stats("mqa-g", "mqa").await;
        if stats
            .as_ref()
            .is_ok_and(|s| s.values().map(|q| q.consumer_offset).sum::<i64>() == 10)
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mqa-g never committed: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    admin.close().await;
    let side = Side {
        ns,
        broker_addr,
        broker_name,
        key3,
    };
    (side, consumer)
}

fn commands(s: &Side) -> Vec<Vec<String>> {
    let (uniq, offset_id, qid, qoff) = &s.key3;
    let (qid, qoff) = (qid.to_string(), qoff.to_string());
    let list: Vec<Vec<&str>> = vec![
        vec!["clusterList"],
        vec!["clusterList", "-m"],
        vec!["topicList"],
        vec!["topicList", "-c"],
        vec!["topicRoute", "-t", "mqa"],
        vec!["topicStatus", "-t", "mqa"],
        vec![
            "updateTopic",
            "-t",
            "mqa-new",
            "-c",
            "DefaultCluster",
            "-r",
            "2",
            "-w",
            "2",
        ],
        vec!["topicRoute", "-t", "mqa-new", "-l"],
        vec!["deleteTopic", "-t", "mqa-new", "-c", "DefaultCluster"],
        vec!["consumerProgress"],
        vec!["consumerProgress", "-g", "mqa-g"],
        vec!["consumerConnection", "-g", "mqa-g"],
        vec!["queryMsgById", "-t", "mqa", "-i", uniq],
        vec!["queryMsgById", "-t", "mqa", "-i", offset_id],
        vec!["queryMsgByKey", "-t", "mqa", "-k", "mq-key-3"],
        vec![
            "queryMsgByOffset",
            "-t",
            "mqa",
            "-b",
            &s.broker_name,
            "-i",
            &qid,
            "-o",
            &qoff,
        ],
        vec!["brokerStatus", "-b", &s.broker_addr],
        vec!["getBrokerConfig", "-b", &s.broker_addr],
    ];
    list.into_iter()
        .map(|c| {
            let mut v: Vec<String> = c.iter().map(|a| a.to_string()).collect();
            v.extend(["-n".to_string(), s.ns.clone()]);
            v
        })
        .collect()
}

/// The first line of an output (the column header of the table commands).
fn header(out: &str) -> &str {
    out.lines().next().unwrap_or("")
}

/// Lines that start with `prefix` (after leading spaces).
fn rows<'a>(out: &'a str, prefix: &str) -> Vec<&'a str> {
    out.lines()
        .filter(|l| l.trim_start().starts_with(prefix))
        .collect()
}

/// The value after `label` on the line that starts with it (`Keys:    [x]` → `[x]`).
fn field<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label} in\n{out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqadmin_prints_the_same_for_rmq_and_the_java_broker() {
    let ns = ns().await;
    let rmq_broker = tokio::task::spawn_blocking(BrokerProcess::start)
        .await
        .unwrap();
    let (java_side, rmq_side) = tokio::join!(
        prepare(ns, shared().broker.addr(), "broker-j".into()),
        prepare(
            rmq_broker.namesrv_addr(),
            rmq_broker.broker_addr(),
            "broker-a".into(),
        )
    );
    let (j_cmds, r_cmds) = (commands(&java_side.0), commands(&rmq_side.0));
    let java_out = tokio::task::spawn_blocking(move || common::mqadmin(ApacheVersion::V5, &j_cmds));
    let rmq_out = tokio::task::spawn_blocking(move || common::mqadmin(ApacheVersion::V5, &r_cmds));
    let (java_out, rmq_out) = (java_out.await.unwrap(), rmq_out.await.unwrap());
    for c in [java_side.1, rmq_side.1] {
        c.terminate();
        c.join();
    }
    let cmds = commands(&rmq_side.0);
    for (i, out) in rmq_out.iter().enumerate() {
        let show = || {
            format!(
                "mqadmin {}\n--- rmq ---\n{out}\n--- Java ---\n{}",
                cmds[i].join(" "),
                java_out[i]
            )
        };
        assert!(!out.contains("Exception"), "{}", show());
        assert!(!out.trim().is_empty(), "{}", show());
    }
    let both = |i: usize| (java_out[i].as_str(), rmq_out[i].as_str());
    let show = |i: usize| {
        format!(
            "mqadmin {}\n--- rmq ---\n{}\n--- Java ---\n{}",
            cmds[i].join(" "),
            rmq_out[i],
            java_out[i]
        )
    };

    // clusterList: same columns; one broker, active, numbers where numbers belong.
    let (j, r) = both(0);
    assert_eq!(header(r), header(j), "{}", show(0));
    let row = rows(r, "DefaultCluster");
    assert_eq!(row.len(), 1, "{}", show(0));
    let cols: Vec<&str> = row[0].split_whitespace().collect();
    assert_eq!(&cols[..2], ["DefaultCluster", "broker-a"], "{}", show(0));
    assert_eq!(cols.last(), Some(&"true"), "{}", show(0));
    assert!(!row[0].contains("null"), "{}", show(0));
    let (j, r) = both(1);
    assert_eq!(header(r), header(j), "{}", show(1));
    // topicList: the topic and the group's retry topic.
    let (_, r) = both(2);
    assert!(
        r.lines().any(|l| l == "mqa") && r.lines().any(|l| l == "%RETRY%mqa-g"),
        "{}",
        show(2)
    );
    // topicList -c: the consuming group is named.
    let (j, r) = both(3);
    assert_eq!(header(r), header(j), "{}", show(3));
    for out in [j, r] {
        let row = rows(out, "DefaultCluster")
            .into_iter()
            .find(|l| l.split_whitespace().nth(1) == Some("mqa"));
        assert_eq!(
            row.and_then(|l| l.split_whitespace().nth(2)),
            Some("mqa-g"),
            "{}",
            show(3)
        );
    }
    // topicRoute: 4 read and write queues on the broker.
    let (_, r) = both(4);
    assert!(
        r.contains("\"readQueueNums\":4") && r.contains("\"brokerName\":\"broker-a\""),
        "{}",
        show(4)
    );
    // topicStatus: same columns, 4 queues, 10 messages.
    let (j, r) = both(5);
    assert_eq!(header(r), header(j), "{}", show(5));
    for (out, name) in [(j, "broker-j"), (r, "broker-a")] {
        let qs = rows(out, name);
        assert_eq!(qs.len(), 4, "{}", show(5));
        let total: u64 = qs
            .iter()
            .map(|l| l.split_whitespace().nth(3).unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, 10, "{}", show(5));
        assert!(out.contains("Topic Put TPS:"), "{}", show(5));
    }
    // updateTopic / topicRoute -l / deleteTopic.
    for (i, needle) in [
        (6, "create topic to "),
        (
            8,
            "delete topic [mqa-new] from cluster [DefaultCluster] success.",
        ),
    ] {
        let (j, r) = both(i);
        assert!(j.contains(needle) && r.contains(needle), "{}", show(i));
    }
    let (j, r) = both(7);
    assert_eq!(header(r), header(j), "{}", show(7));
    let route_row = rows(r, "DefaultCluster");
    assert_eq!(route_row.len(), 1, "{}", show(7));
    let cols: Vec<&str> = route_row[0].split_whitespace().collect();
    assert_eq!(&cols[cols.len() - 3..], ["2", "2", "6"], "{}", show(7));
    // consumerProgress: the group online with its client's version, nothing behind.
    let (j, r) = both(9);
    assert_eq!(header(r), header(j), "{}", show(9));
    for out in [j, r] {
        let row = rows(out, "mqa-g ");
        assert_eq!(row.len(), 1, "{}", show(9));
        let cols: Vec<&str> = row[0].split_whitespace().collect();
        assert_eq!(
            &cols[1..5],
            ["1", "V5_3_3", "PUSH", "CLUSTERING"],
            "{}",
            show(9)
        );
        assert_eq!(cols.last(), Some(&"0"), "{}", show(9));
    }
    // consumerProgress -g: same columns, the 4 queues of mqa, diff total 0.
    let (j, r) = both(10);
    assert_eq!(header(r), header(j), "{}", show(10));
    for (out, name) in [(j, "broker-j"), (r, "broker-a")] {
        let qs: Vec<&str> = rows(out, "mqa ")
            .into_iter()
            .filter(|l| l.contains(name))
            .collect();
        assert_eq!(qs.len(), 4, "{}", show(10));
        assert!(out.contains("Consume Diff Total: 0"), "{}", show(10));
    }
    // consumerConnection: one Java client, and the subscription.
    let (j, r) = both(11);
    assert_eq!(header(r), header(j), "{}", show(11));
    for out in [j, r] {
        assert_eq!(
            rows(out, "")
                .iter()
                .filter(|l| l.contains(" JAVA "))
                .count(),
            1,
            "{}",
            show(11)
        );
        for line in [
            "ConsumeType: CONSUME_PASSIVELY",
            "MessageModel: CLUSTERING",
            "ConsumeFromWhere: CONSUME_FROM_FIRST_OFFSET",
        ] {
            assert!(out.contains(line), "{line}: {}", show(11));
        }
        assert!(
            rows(out, "mqa ")
                .iter()
                .any(|l| l.trim_end().ends_with('*')),
            "{}",
            show(11)
        );
    }
    // queryMsgById by uniq id and by offset id, queryMsgByOffset: the same message.
    for i in [12, 13, 15] {
        let (j, r) = both(i);
        let (uniq, offset_id, qid, qoff) = &rmq_side.0.key3;
        assert_eq!(field(r, "Keys:"), "[mq-key-3]", "{}", show(i));
        assert_eq!(field(r, "Topic:"), "mqa", "{}", show(i));
        assert_eq!(field(r, "OffsetID:"), offset_id, "{}", show(i));
        assert_eq!(field(r, "Queue ID:"), qid.to_string(), "{}", show(i));
        assert_eq!(field(r, "Queue Offset:"), qoff.to_string(), "{}", show(i));
        assert!(
            field(r, "Properties:").contains(&format!("UNIQ_KEY={uniq}")),
            "{}",
            show(i)
        );
        assert_eq!(field(j, "Keys:"), "[mq-key-3]", "{}", show(i));
        // The message track: the group consumed it.
        assert!(r.contains("consumerGroup=mqa-g"), "{}", show(i));
    }
    // queryMsgByKey: same columns, the message's uniq id.
    let (j, r) = both(14);
    assert_eq!(header(r), header(j), "{}", show(14));
    assert!(rows(r, &rmq_side.0.key3.0).len() == 1, "{}", show(14));
    // brokerStatus: the keys clusterList reads.
    let (_, r) = both(16);
    for key in [
        "brokerActive",
        "putTps",
        "getTransferredTps",
        "commitLogDiskRatio",
        "earliestMessageTimeStamp",
        "msgPutTotalTodayNow",
    ] {
        assert!(rows(r, key).len() == 1, "{key}: {}", show(16));
    }
    // getBrokerConfig: the banner and the broker's keys.
    let (j, r) = both(17);
    assert!(
        header(r).contains(&rmq_side.0.broker_addr) && header(j).contains(&java_side.0.broker_addr),
        "{}",
        show(17)
    );
    assert!(
        rows(r, "brokerName")
            .iter()
            .any(|l| l.ends_with("broker-a")),
        "{}",
        show(17)
    );
    drop(rmq_broker);
}
