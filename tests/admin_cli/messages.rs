//! Message commands: `sendMessage`, `queryMsgById` (offset id and client id; the consume status
//! of every group; `-g -d`: a client consumes it directly), `queryMsgByKey`,
//! `queryMsgByOffset`, `consumeMessage`.

use crate::common::BrokerProcess;
use crate::consumer_support::{recorder, wait_committed, wait_until};
use crate::consumers::{json, ok, rmq_admin};
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::ConsumerConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_sent_found_tracked_and_consumed_directly() {
    let broker = BrokerProcess::start();
    let ns = broker.namesrv_addr();
    let (topic, other) = ("AdminCliMsgs", "AdminCliOther");
    broker.create_topic(topic, 2);
    broker.create_topic(other, 1);

    // sendMessage: mqadmin's row, and the ids in JSON.
    let text = ok(
        &ns,
        &[
            "sendMessage",
            "-t",
            topic,
            "-p",
            "first",
            "-k",
            "k0",
            "-c",
            "TagA",
        ],
    );
    assert!(text.starts_with("#Broker Name"), "{text}");
    assert!(text.contains("SEND_OK"), "{text}");
    let sent = json(
        &ns,
        &[
            "sendMessage",
            "-t",
            topic,
            "-p",
            "hello admin",
            "-k",
            "order-42 other",
            "-c",
            "TagB",
            "-b",
            "broker-a",
            "-i",
            "1",
        ],
    );
    assert_eq!(sent["sendStatus"], "SEND_OK");
    assert_eq!(sent["queueId"], 1);
    let uniq = sent["msgId"].as_str().unwrap().to_owned();
    let offset_id = sent["offsetMsgId"].as_str().unwrap().to_owned();
    let queue_offset = sent["queueOffset"].as_i64().unwrap();

    // A group that consumes the topic (its offsets pass the message) and one that does not.
    let (tracked, seen) = recorder(
        &ns,
        ConsumerConfig {
            consumer_group: "admin_cli_tracked".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            persist_consumer_offset_interval: std::time::Duration::from_millis(200),
            ..Default::default()
        },
        false,
    );
    tracked.subscribe(topic, "*");
    tracked.start().await.unwrap();
    wait_until("both messages consumed", 30, || {
        seen.lock().unwrap().len() >= 2
    })
    .await;
    wait_committed(&ns, "admin_cli_tracked", topic, 30).await;

    // queryMsgById with the offset msg id: printMsg's lines and the track per group.
    let text = ok(&ns, &["queryMsgById", "-i", &offset_id]);
    for line in [
        format!("OffsetID:            {offset_id}"),
        format!("Topic:               {topic}"),
        "Tags:                [TagB]".to_owned(),
        "Keys:                [order-42 other]".to_owned(),
        "Queue ID:            1".to_owned(),
        format!("Queue Offset:        {queue_offset}"),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in\n{text}"
        );
    }
    assert!(
        text.contains("MessageTrack [consumerGroup=admin_cli_tracked, trackType=CONSUMED, exceptionDesc=null]"),
        "{text}"
    );
    // By client (uniq) id, with the topic.
    let doc = json(&ns, &["queryMsgById", "-t", topic, "-i", &uniq]);
    assert_eq!(doc["messages"][0]["body"], "hello admin");
    assert_eq!(doc["messages"][0]["offsetMsgId"], offset_id.as_str());
    // A client id without a topic is a clear error.
    let out = rmq_admin(&ns, &["queryMsgById", "-i", &uniq]);
    assert!(!out.status.success());

    // queryMsgByKey: each key of KEYS finds it, a foreign key finds nothing.
    let text = ok(&ns, &["queryMsgByKey", "-t", topic, "-k", "order-42"]);
    assert!(text.starts_with("#Message ID"), "{text}");
    assert!(text.lines().any(|l| l.starts_with(&uniq)), "{text}");
    let doc = json(&ns, &["queryMsgByKey", "-t", topic, "-k", "other"]);
    assert_eq!(doc["messages"].as_array().unwrap().len(), 1, "{doc}");
    let doc = json(&ns, &["queryMsgByKey", "-t", topic, "-k", "order-4"]);
    assert!(doc["messages"].as_array().unwrap().is_empty(), "{doc}");

    // queryMsgByOffset and consumeMessage.
    let q = queue_offset.to_string();
    let doc = json(
        &ns,
        &[
            "queryMsgByOffset",
            "-t",
            topic,
            "-b",
            "broker-a",
            "-i",
            "1",
            "-o",
            &q,
        ],
    );
    assert_eq!(doc["body"], "hello admin");
    let doc = json(&ns, &["consumeMessage", "-t", topic]);
    let bodies: Vec<&str> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.contains(&"first") && bodies.contains(&"hello admin"),
        "{doc}"
    );
    let doc = json(
        &ns,
        &[
            "consumeMessage",
            "-t",
            topic,
            "-b",
            "broker-a",
            "-i",
            "1",
            "-o",
            &q,
            "-c",
            "1",
        ],
    );
    assert_eq!(doc["messages"].as_array().unwrap().len(), 1, "{doc}");

    // -g -d: a client of a group not subscribed to the topic consumes it directly (309 through
    // the broker), and says so.
    let (direct, got) = recorder(
        &ns,
        ConsumerConfig {
            consumer_group: "admin_cli_direct".into(),
            ..Default::default()
        },
        false,
    );
    direct.subscribe(other, "*");
    direct.start().await.unwrap();
    let text = ok(
        &ns,
        &[
            "queryMsgById",
            "-i",
            &offset_id,
            "-g",
            "admin_cli_direct",
            "-d",
            direct.client_id(),
        ],
    );
    assert!(text.contains("consumeResult=CR_SUCCESS"), "{text}");
    let bodies: Vec<String> = got
        .lock()
        .unwrap()
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    assert_eq!(bodies, vec!["hello admin".to_owned()]);
    direct.shutdown().await;
    tracked.shutdown().await;
}

/// A dead-letter message is found by its client id in the group's DLQ topic and resent to a
/// client of the group (`queryMsgById -t %DLQ%G -i ID -g G -d CLIENT`: 309 through the broker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_message_is_resent_to_the_group() {
    let broker = BrokerProcess::start();
    let ns = broker.namesrv_addr();
    let (topic, group) = ("AdminCliDlq", "admin_cli_dlq");
    broker.create_topic(topic, 1);
    let sent = json(&ns, &["sendMessage", "-t", topic, "-p", "doomed"]);
    let uniq = sent["msgId"].as_str().unwrap().to_owned();
    let (consumer, seen) = recorder(
        &ns,
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            delay_level_when_next_consume: -1,
            ..Default::default()
        },
        true,
    );
    consumer.subscribe(topic, "*");
    consumer.start().await.unwrap();
    wait_until("the failed delivery", 30, || {
        !seen.lock().unwrap().is_empty()
    })
    .await;
    let dlq = format!("%DLQ%{group}");
    let admin = rmq::client::MqAdmin::new(crate::consumer_support::client(&ns)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let found = loop {
        match admin.view_message(Some(&dlq), &uniq).await {
            Ok(m) => break m,
            Err(e) => assert!(std::time::Instant::now() < deadline, "not in {dlq}: {e}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(&found.body[..], b"doomed");
    admin.close().await;
    let text = ok(
        &ns,
        &[
            "queryMsgById",
            "-t",
            &dlq,
            "-i",
            &uniq,
            "-g",
            group,
            "-d",
            consumer.client_id(),
        ],
    );
    // The listener (which fails everything) got it again and said so.
    assert!(text.contains("consumeResult=CR_LATER"), "{text}");
    let bodies: Vec<Vec<u8>> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.body.to_vec())
        .collect();
    assert_eq!(bodies, vec![b"doomed".to_vec(), b"doomed".to_vec()]);
    consumer.shutdown().await;
}
