//! `updateTopic`, `topicList`, `topicRoute`, `topicStatus`, `deleteTopic`,
//! `producerConnection`, and VIEW_BROKER_STATS_DATA after sends and consumption.

use std::time::Duration;

use rmq::client::{ConsumerConfig, DefaultMqProducer, MqAdmin, ProducerConfig};

use crate::common::BrokerProcess;
use crate::consumer_support::transaction::{tx_producer, ByBody};
use crate::consumer_support::{client, recorder, send, wait_until};
use crate::{cells, header, on};
use rmq::client::LocalTransactionState;

#[tokio::test]
async fn a_topic_is_created_listed_routed_counted_and_deleted() {
    let broker = BrokerProcess::start();
    let ns = broker.namesrv_addr();
    let addr = broker.broker_addr();

    let run = on(
        &ns,
        &[
            "updateTopic",
            "-t",
            "cli-t",
            "-c",
            "DefaultCluster",
            "-r",
            "3",
            "-w",
            "3",
        ],
    )
    .await;
    assert_eq!(
        run.ok(),
        format!(
            "create topic to {addr} success.\nTopicConfig [topicName=cli-t, readQueueNums=3, writeQueueNums=3, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false, attributes={{}}]\n"
        )
    );
    let list = on(&ns, &["topicList"]).await;
    assert!(list.ok().lines().any(|l| l == "cli-t"), "{list:?}");
    let json = on(&ns, &["topicList", "--json"]).await.json();
    assert!(json["topics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "cli-t"));

    let route = on(&ns, &["topicRoute", "-t", "cli-t", "--json"])
        .await
        .json();
    assert_eq!(route["queueDatas"][0]["readQueueNums"], 3);
    assert_eq!(route["brokerDatas"][0]["brokerAddrs"]["0"], addr.as_str());
    let table = on(&ns, &["topicRoute", "-t", "cli-t", "-l"]).await;
    let row = cells(table.ok().lines().nth(1).unwrap());
    assert_eq!(
        row,
        [
            "DefaultCluster",
            "broker-a",
            &format!("{{0={addr}}}"),
            "3",
            "3",
            "6"
        ]
    );

    // -b on an existing topic updates it in place.
    on(
        &ns,
        &[
            "updateTopic",
            "-t",
            "cli-t",
            "-b",
            &addr,
            "-r",
            "4",
            "-w",
            "4",
        ],
    )
    .await
    .ok();

    // Five sends, then a group consumes them.
    let p = DefaultMqProducer::new(client(&ns), ProducerConfig::default()).unwrap();
    for i in 0..5 {
        send(&p, "cli-t", &format!("m-{i}")).await;
    }
    let status = on(&ns, &["topicStatus", "-t", "cli-t"]).await;
    let text = status.ok();
    assert_eq!(
        header(text),
        [
            "#Broker Name",
            "#QID",
            "#Min Offset",
            "#Max Offset",
            "#Last Updated"
        ]
    );
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("broker-a"))
        .map(cells)
        .collect();
    // As mqadmin: the put rate of the last minute under the table.
    let tps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Topic Put TPS: "))
        .expect("Topic Put TPS line")
        .parse()
        .unwrap();
    assert!(tps > 0.0, "{text}");
    assert_eq!(rows.len(), 4, "{text}");
    let max: i64 = rows.iter().map(|r| r[3].parse::<i64>().unwrap()).sum();
    assert_eq!(max, 5);
    // A queue with messages shows when it was last written.
    assert!(
        rows.iter().any(|r| r.len() == 5 && r[4].len() == 23),
        "{text}"
    );
    let json = on(&ns, &["topicStatus", "-t", "cli-t", "--json"])
        .await
        .json();
    let queues = json["queues"].as_array().unwrap();
    assert_eq!(
        queues
            .iter()
            .map(|q| q["maxOffset"].as_i64().unwrap())
            .sum::<i64>(),
        5
    );

    // producerConnection lists the live producer (the transactional one: rmq's plain producer
    // sends no heartbeats, so brokers do not list it).
    let tx = tx_producer(
        &ns,
        "cli-pg",
        ByBody::new(LocalTransactionState::Commit),
        Duration::from_millis(500),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let run = loop {
        let run = on(&ns, &["producerConnection", "-g", "cli-pg", "-t", "cli-t"]).await;
        if run.code == 0 || std::time::Instant::now() > deadline {
            break run;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let lines: Vec<&str> = run.ok().lines().collect();
    assert_eq!(lines.len(), 1, "{run:?}");
    assert!(lines[0].starts_with("0001  "), "{run:?}");
    let json = on(
        &ns,
        &[
            "producerConnection",
            "-g",
            "cli-pg",
            "-t",
            "cli-t",
            "--json",
        ],
    )
    .await
    .json();
    assert_eq!(json["connections"].as_array().unwrap().len(), 1);
    assert!(json["connections"][0]["clientAddr"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));

    let (c, seen) = recorder(
        &ns,
        ConsumerConfig {
            consumer_group: "cli-cg".into(),
            consume_from_where: rmq::client::consumer::ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        false,
    );
    c.subscribe("cli-t", "*");
    c.start().await.unwrap();
    wait_until("5 consumed", 30, || seen.lock().unwrap().len() >= 5).await;
    let table = on(&ns, &["topicList", "-c"]).await;
    let row = table
        .ok()
        .lines()
        .map(cells)
        .find(|r| r.get(1).is_some_and(|t| t == "cli-t"))
        .expect("cli-t row");
    assert_eq!(row, ["DefaultCluster", "cli-t", "cli-cg"]);

    // VIEW_BROKER_STATS_DATA counts the sends and the pulls at once.
    let admin = MqAdmin::new(client(&ns)).unwrap();
    let put = admin
        .view_broker_stats(&addr, "TOPIC_PUT_NUMS", "cli-t")
        .await
        .unwrap();
    assert_eq!(
        (put.stats_minute.sum, put.stats_hour.sum, put.stats_day.sum),
        (5, 5, 5)
    );
    assert!(put.stats_minute.tps > 0.0);
    assert!((put.stats_minute.avgpt - 1.0).abs() < 1e-9);
    let size = admin
        .view_broker_stats(&addr, "TOPIC_PUT_SIZE", "cli-t")
        .await
        .unwrap();
    assert!(size.stats_minute.sum > 5 * 3, "{size:?}");
    let got = admin
        .view_broker_stats(&addr, "GROUP_GET_NUMS", "cli-t@cli-cg")
        .await
        .unwrap();
    assert_eq!(got.stats_minute.sum, 5);
    let err = admin
        .view_broker_stats(&addr, "TOPIC_PUT_NUMS", "never-sent")
        .await
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("The stats <TOPIC_PUT_NUMS> <never-sent> not exist"));
    c.shutdown().await;
    p.shutdown().await;
    tx.shutdown().await;

    let run = on(&ns, &["deleteTopic", "-t", "cli-t", "-c", "DefaultCluster"]).await;
    assert_eq!(
        run.ok(),
        "delete topic [cli-t] from cluster [DefaultCluster] success.\ndelete topic [cli-t] from NameServer success.\n"
    );
    let list = on(&ns, &["topicList"]).await;
    assert!(!list.ok().lines().any(|l| l == "cli-t"));
    on(&ns, &["topicRoute", "-t", "cli-t"]).await.failed();
    // The broker forgot it too (not only the name server).
    let cfg = admin.topic_stats("cli-t").await;
    assert!(cfg.is_err());
    admin.close().await;
    // The producer is gone once it shut down.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let run = on(&ns, &["producerConnection", "-g", "cli-pg", "-t", "TBW102"]).await;
        if run.code != 0 {
            run.failed();
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{run:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
