//! The Java client 5.3.3 push consumer on the `rmq-broker` binary answering what our broker
//! forwards to it from `rmq-admin` / `MqAdmin`: GET_CONSUMER_RUNNING_INFO (307),
//! CONSUME_MESSAGE_DIRECTLY (309, `queryMsgById -g -d`) and RESET_CONSUMER_CLIENT_OFFSET (220,
//! after `resetOffsetByTime`), and `consumerConnection` naming it.

use std::process::Command;
use std::time::Duration;

use rmq::client::{Message, MqAdmin};
use serde_json::Value;

use crate::consumer_support::{client, producer, wait_committed};
use crate::{argv, broker, common};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_consumer_answers_running_info_direct_consume_and_reset() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    let (topic, group) = ("jc-admin", "jc-admin-g");
    b.create_topic(topic, 2);
    let p = producer(&ns);
    let mut sent = Vec::new();
    for i in 0..4 {
        sent.push(
            p.send(&Message::new(topic, format!("jc-admin-{i}")))
                .await
                .unwrap(),
        );
    }
    p.shutdown().await;
    let args = argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        topic,
        "--group",
        group,
        "--from-first",
        "--verbose",
        "--expect",
        "1000",
        "--timeout",
        "120",
    ]);
    let consumer = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::java_client_spawn(&args)
    })
    .await
    .unwrap();
    let ready = consumer
        .wait_line(Duration::from_secs(60), |v| v["ready"] == Value::Bool(true))
        .expect("Java consumer ready");
    let client_id = ready["client_id"].as_str().unwrap().to_owned();
    let deliveries = |n: usize, secs: u64| {
        consumer.wait_lines(Duration::from_secs(secs), n, |v| v.get("recv").is_some())
    };
    assert_eq!(deliveries(4, 60).len(), 4);
    wait_committed(&ns, group, topic, 30).await;

    // consumerConnection: the Java client, its version.
    let text = rmq_admin(&ns, &["consumerConnection", "-g", group]);
    let row = text
        .lines()
        .find(|l| l.starts_with(&client_id))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains(" JAVA ") && row.trim_end().ends_with("V5_3_3"),
        "{text}"
    );

    // 307: the Java client's ConsumerRunningInfo, decoded.
    let admin = MqAdmin::new(client(&ns)).unwrap();
    let info = admin
        .consumer_running_info(group, &client_id, false)
        .await
        .unwrap();
    assert!(
        info.subscription_set.iter().any(|s| s.topic == topic),
        "{info:?}"
    );
    assert_eq!(
        info.mq_table.keys().filter(|q| q.topic == topic).count(),
        2,
        "{info:?}"
    );
    assert!(!info.properties.is_empty());
    admin.close().await;

    // 309: the Java listener consumes message 2 once more.
    let text = rmq_admin(
        &ns,
        &[
            "queryMsgById",
            "-i",
            &sent[2].offset_msg_id,
            "-g",
            group,
            "-d",
            &client_id,
        ],
    );
    assert!(text.contains("consumeResult=CR_SUCCESS"), "{text}");
    let got = deliveries(5, 30);
    assert_eq!(
        got.iter()
            .filter(|v| v["msg_id"] == sent[2].msg_id.as_str())
            .count(),
        2,
        "{got:?}"
    );

    // 222 → 220: the Java client restarts its queues from 0 and gets all 4 again.
    rmq_admin(
        &ns,
        &["resetOffsetByTime", "-g", group, "-t", topic, "-s", "0"],
    );
    let got = deliveries(9, 60);
    for s in &sent {
        assert!(
            got.iter()
                .filter(|v| v["msg_id"] == s.msg_id.as_str())
                .count()
                >= 2,
            "{} not re-consumed: {got:?}",
            s.msg_id
        );
    }
    consumer.terminate();
    consumer.join();
}
