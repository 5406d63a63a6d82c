//! Java `mqadmin` 5.3.3 driving rmq-broker's consumer-group codes with our consumer online:
//! subscription groups (200/201/207), direct consumption (309 forwarded to the client) and a
//! reset by time (222, then 220 to the client, which consumes again).

use std::time::Duration;

use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{ConsumerConfig, Message, MqAdmin};

use crate::cli_consumers::mqadmin;
use crate::common;
use crate::support::*;

/// Java `mqadmin` 5.3.3 driving rmq-broker's new codes: `updateSubGroup` / `deleteSubGroup`
/// (200/207), `queryMsgById -g -d` (309 forwarded to our consumer) and `resetOffsetByTime`
/// (222: the broker sends 220 to our consumer, which consumes everything again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_mqadmin_drives_rmq_broker_subgroups_direct_consume_and_reset() {
    let broker = tokio::task::spawn_blocking(common::BrokerProcess::start)
        .await
        .unwrap();
    let (ns, addr) = (broker.namesrv_addr(), broker.broker_addr());
    let (topic, group) = ("cli-j", "cli-j-g");
    broker.create_topic(topic, 2);
    let p = producer(&ns);
    let mut sent = Vec::new();
    for i in 0..4 {
        sent.push(
            p.send(&Message::new(topic, format!("cli-j-{i}")))
                .await
                .unwrap(),
        );
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
    wait_until("4 consumed", 30, || seen.lock().unwrap().len() >= 4).await;
    crate::consumer_support::wait_committed(&ns, group, topic, 30).await;

    let client_id = consumer.client_id().to_owned();
    let cmds: Vec<Vec<String>> = [
        vec!["updateSubGroup", "-b", &addr, "-g", "cli-j-sg", "-r", "4"],
        vec![
            "queryMsgById",
            "-t",
            topic,
            "-i",
            &sent[1].offset_msg_id,
            "-g",
            group,
            "-d",
            &client_id,
        ],
        vec!["resetOffsetByTime", "-g", group, "-t", topic, "-s", "0"],
    ]
    .iter()
    .map(|c| c.iter().map(|s| s.to_string()).collect())
    .collect();
    let n = ns.clone();
    let out = tokio::task::spawn_blocking(move || {
        let c: Vec<Vec<&str>> = cmds
            .iter()
            .map(|v| v.iter().map(String::as_str).collect())
            .collect();
        mqadmin(&c, &n)
    })
    .await
    .unwrap();
    assert!(
        out[0].contains("create subscription group to"),
        "{}",
        out[0]
    );
    let admin = MqAdmin::new(client(&ns)).unwrap();
    let groups = admin
        .subscription_groups(&addr)
        .await
        .unwrap()
        .subscription_group_table;
    assert_eq!(groups.get("cli-j-sg").map(|g| g.retry_max_times), Some(4));
    assert!(out[1].contains("CR_SUCCESS"), "{}", out[1]);
    assert!(
        out[2].contains("#brokerName") && out[2].contains("broker-a"),
        "{}",
        out[2]
    );
    let times = |id: &str| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|m| m.msg_id() == id)
            .count()
    };
    assert!(
        times(&sent[1].msg_id) >= 2,
        "direct consume did not reach the listener"
    );
    wait_until("re-consumed after mqadmin's reset", 30, || {
        sent.iter().all(|s| times(&s.msg_id) >= 2)
    })
    .await;

    let n = ns.clone();
    let addr2 = addr.clone();
    let out = tokio::task::spawn_blocking(move || {
        mqadmin(
            &[vec!["deleteSubGroup", "-b", &addr2, "-g", "cli-j-sg"]],
            &n,
        )
    })
    .await
    .unwrap();
    assert!(
        out[0].contains("delete subscription group [cli-j-sg]"),
        "{}",
        out[0]
    );
    let groups = admin
        .subscription_groups(&addr)
        .await
        .unwrap()
        .subscription_group_table;
    assert!(!groups.contains_key("cli-j-sg"));
    admin.close().await;
    consumer.shutdown().await;
    drop(broker);
}
