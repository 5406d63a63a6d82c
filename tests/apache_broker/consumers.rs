//! rmq's push consumer against the Java broker: clustering (two members split the queues, one
//! leaves, nothing lost), broadcasting, orderly consumption under the broker's queue locks,
//! RECONSUME_LATER through the Java broker's send-back into %RETRY% and %DLQ%, SQL92 filters,
//! and the Java producer's messages (ids, tags, keys, properties) decoded.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ConsumeOrderlyStatus, ConsumerConfig, DefaultMqPushConsumer, Message, MessageExt, MessageModel,
    MessageSelector, OrderlyListenerFn,
};

use crate::support::*;

async fn produce(ns: &str, topic: &str, n: usize, prefix: &str) -> BTreeSet<String> {
    let p = producer(ns);
    let mut sent = BTreeSet::new();
    for i in 0..n {
        let r = p
            .send(&Message::new(topic, format!("{prefix}-{i}")))
            .await
            .unwrap();
        sent.insert(r.msg_id);
    }
    p.shutdown().await;
    sent
}

fn queue_ids(queues: Vec<rmq::client::MessageQueue>, topic: &str) -> BTreeSet<i32> {
    queues
        .into_iter()
        .filter(|q| q.topic == topic)
        .map(|q| q.queue_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_the_queues_and_one_leaves_without_loss() {
    let ns = ns().await;
    create_topic("ac-split", 4).await;
    let (c1, s1) = consumer(&ns, "ac-split-group", false, -1);
    let (c2, s2) = consumer(&ns, "ac-split-group", false, -1);
    for c in [&c1, &c2] {
        c.subscribe("ac-split", "*");
        c.start().await.unwrap();
    }
    // The Java broker tells each member of the other (NOTIFY_CONSUMER_IDS_CHANGED) and
    // answers GET_CONSUMER_LIST_BY_GROUP with both: they split the 4 queues.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let a = queue_ids(c1.assigned_queues().await, "ac-split");
        let b = queue_ids(c2.assigned_queues().await, "ac-split");
        if a.is_disjoint(&b) && a.len() == 2 && b.len() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "queues never split: {a:?} / {b:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = produce(&ns, "ac-split", 100, "a").await;
    wait_until("100 messages over both members", 60, || {
        ids(&s1).len() + ids(&s2).len() >= 100
    })
    .await;
    let (a, b) = (ids(&s1), ids(&s2));
    assert!(!a.is_empty() && !b.is_empty(), "both members consumed");
    assert!(a.is_disjoint(&b));
    assert_eq!(a.union(&b).cloned().collect::<BTreeSet<_>>(), first);

    // One leaves (unregisters, offsets persisted); the other takes all 4 queues.
    c2.shutdown().await;
    let second = produce(&ns, "ac-split", 100, "b").await;
    wait_until("the second 100 at the remaining member", 60, || {
        let all: BTreeSet<String> = ids(&s1).union(&ids(&s2)).cloned().collect();
        second.is_subset(&all)
    })
    .await;
    assert_eq!(queue_ids(c1.assigned_queues().await, "ac-split").len(), 4);
    c1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_delivers_everything_to_every_member() {
    let ns = ns().await;
    create_topic("ac-bcast", 4).await;
    let dir = tempfile::tempdir().unwrap();
    let member = |instance: &str| {
        recorder(
            &ns,
            ConsumerConfig {
                consumer_group: "ac-bcast-group".into(),
                message_model: MessageModel::Broadcasting,
                consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
                offset_store_dir: Some(dir.path().to_owned()),
                instance_name: instance.into(),
                ..Default::default()
            },
            false,
        )
    };
    let (c1, s1) = member("bcast-1");
    let (c2, s2) = member("bcast-2");
    for c in [&c1, &c2] {
        c.subscribe("ac-bcast", "*");
        c.start().await.unwrap();
    }
    let sent = produce(&ns, "ac-bcast", 30, "b").await;
    wait_until("30 messages at both members", 60, || {
        ids(&s1).len() >= 30 && ids(&s2).len() >= 30
    })
    .await;
    assert_eq!(ids(&s1), sent);
    assert_eq!(ids(&s2), sent);
    c1.shutdown().await;
    c2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_consumption_holds_the_java_brokers_queue_locks() {
    let ns = ns().await;
    create_topic("ac-order", 4).await;
    // The Java producer sends 4 shards × 25 in order, each shard to its own queue.
    let run = java(argv(&[
        "produce",
        "--namesrv",
        &ns,
        "--topic",
        "ac-order",
        "--mode",
        "orderly",
        "--shards",
        "4",
        "--count",
        "100",
        "--prefix",
        "ord",
        "--quiet",
    ]))
    .await;
    run.assert_ok();

    let calls: Arc<Mutex<Vec<(i32, String)>>> = Arc::default();
    let log = calls.clone();
    let c = DefaultMqPushConsumer::new_orderly(
        client(&ns),
        ConsumerConfig {
            consumer_group: "ac-order-group".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        OrderlyListenerFn(move |m: MessageExt| {
            let log = log.clone();
            async move {
                let body = String::from_utf8_lossy(&m.body).to_string();
                log.lock().unwrap().push((m.queue_id, body));
                ConsumeOrderlyStatus::Success
            }
        }),
    )
    .unwrap();
    c.subscribe("ac-order", "*");
    c.start().await.unwrap();
    wait_until("100 ordered messages", 60, || {
        calls.lock().unwrap().len() >= 100
    })
    .await;
    // Per queue, the driver's indices ascend.
    let mut last: BTreeMap<i32, i64> = BTreeMap::new();
    for (queue, body) in calls.lock().unwrap().iter() {
        let index: i64 = body.split('-').nth(1).unwrap().parse().unwrap();
        assert_eq!(index % 4, *queue as i64, "shard {index} on queue {queue}");
        let prev = last.insert(*queue, index).unwrap_or(-1);
        assert!(index > prev, "queue {queue}: {index} after {prev}");
    }
    // The Java broker holds the locks for this client: a second client of the group cannot
    // take them (LOCK_BATCH_MQ answers an empty set while the first one lives).
    let locked = rmq_lock_batch(&ns, "ac-order-group", "ac-order").await;
    assert!(
        locked.is_empty(),
        "another client got locks the consumer holds: {locked:?}"
    );
    c.shutdown().await;
    // Shutting down unlocks: now another client gets every queue.
    let locked = rmq_lock_batch(&ns, "ac-order-group", "ac-order").await;
    assert_eq!(locked.len(), 4, "unlocked on shutdown: {locked:?}");
}

/// LOCK_BATCH_MQ for all 4 queues of `topic` on the shared broker as a new client id; returns
/// the queue ids the broker granted.
async fn rmq_lock_batch(_ns: &str, group: &str, topic: &str) -> BTreeSet<i64> {
    let broker = shared().broker.addr();
    let body = serde_json::json!({
        "consumerGroup": group,
        "clientId": format!("127.0.0.1@probe-{}", std::process::id()),
        "mqSet": (0..4).map(|q| serde_json::json!({"topic": topic, "brokerName": "broker-j", "queueId": q})).collect::<Vec<_>>(),
    });
    let reply = tokio::task::spawn_blocking(move || {
        crate::common::remoting_call_body(&broker, 41, &[], body.to_string().as_bytes())
    })
    .await
    .unwrap();
    assert_eq!(reply.0["code"], 0, "LOCK_BATCH_MQ: {}", reply.0);
    let v: serde_json::Value = serde_json::from_slice(&reply.1).unwrap();
    v["lockOKMQSet"]
        .as_array()
        .map(|a| a.iter().filter_map(|q| q["queueId"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconsume_later_goes_through_retry_to_the_dlq() {
    let ns = ns().await;
    create_topic("ac-fail", 4).await;
    let sent = produce(&ns, "ac-fail", 1, "doomed").await;
    let (c, seen) = consumer(&ns, "ac-fail-group", true, 2);
    c.subscribe("ac-fail", "*");
    c.start().await.unwrap();
    // First delivery plus two redeliveries through the Java broker's CONSUMER_SEND_MSG_BACK
    // (delay levels 3 and 4: 1 s each on the shared broker).
    wait_until("3 deliveries", 90, || seen.lock().unwrap().len() >= 3).await;
    {
        let s = seen.lock().unwrap();
        let times: Vec<i32> = s.iter().take(3).map(|m| m.reconsume_times).collect();
        assert_eq!(times, vec![0, 1, 2]);
        assert!(
            s.iter().all(|m| m.topic == "ac-fail"),
            "retries show the original topic"
        );
        assert!(
            s.iter().all(|m| sent.contains(&m.msg_id())),
            "same msg id on redelivery"
        );
        assert!(
            s.iter()
                .skip(1)
                .all(|m| m.property("RETRY_TOPIC") == Some("ac-fail")),
            "redeliveries come from %RETRY%ac-fail-group"
        );
    }
    // Then the Java broker moves it to %DLQ%ac-fail-group.
    let (dlq, dlq_seen) = consumer(&ns, "ac-dlq-reader", false, -1);
    dlq.subscribe("%DLQ%ac-fail-group", "*");
    dlq.start().await.unwrap();
    wait_until("the DLQ message", 90, || {
        !dlq_seen.lock().unwrap().is_empty()
    })
    .await;
    let m = dlq_seen.lock().unwrap()[0].clone();
    assert_eq!(&m.body[..], b"doomed-0");
    assert_eq!(m.msg_id(), *sent.iter().next().unwrap());
    dlq.shutdown().await;
    c.shutdown().await;
    assert_eq!(seen.lock().unwrap().len(), 3, "no delivery after the DLQ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql92_filters_run_on_the_java_broker() {
    let ns = ns().await;
    create_topic("ac-sql", 4).await;
    let p = producer(&ns);
    for i in 0..20 {
        p.send(
            &Message::new("ac-sql", format!("q-{i}"))
                .with_tags(if i % 2 == 0 { "even" } else { "odd" })
                .with_property("a", i.to_string()),
        )
        .await
        .unwrap();
    }
    p.shutdown().await;
    let (c, seen) = consumer(&ns, "ac-sql-group", false, -1);
    c.subscribe_with_selector(
        "ac-sql",
        MessageSelector::sql92("a >= 10 AND TAGS = 'even'"),
    );
    c.start().await.unwrap();
    wait_until("5 matching messages", 60, || {
        seen.lock().unwrap().len() >= 5
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut got: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).to_string())
        .collect();
    got.sort();
    assert_eq!(got, ["q-10", "q-12", "q-14", "q-16", "q-18"]);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_producer_messages_decode_in_rmq() {
    let ns = ns().await;
    create_topic("ac-java", 4).await;
    let run = java(argv(&[
        "produce",
        "--namesrv",
        &ns,
        "--topic",
        "ac-java",
        "--count",
        "12",
        "--prefix",
        "jp",
        "--tags",
        "TagA,TagB",
        "--keys",
        "--props",
        "color=blue,size=L",
    ]))
    .await;
    run.assert_ok();
    let (c, seen) = consumer(&ns, "ac-java-group", false, -1);
    c.subscribe("ac-java", "TagB");
    c.start().await.unwrap();
    wait_until("6 TagB messages", 60, || seen.lock().unwrap().len() >= 6).await;
    let by_id: BTreeMap<String, MessageExt> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| (m.msg_id(), m.clone()))
        .collect();
    let mut matched = 0;
    for rec in run.records("msg_id") {
        let index = rec["index"].as_u64().unwrap();
        let id = rec["msg_id"].as_str().unwrap();
        if index % 2 == 0 {
            assert!(
                !by_id.contains_key(id),
                "TagA message {id} delivered to a TagB subscription"
            );
            continue;
        }
        let m = by_id
            .get(id)
            .unwrap_or_else(|| panic!("TagB message {id} missing"));
        assert_eq!(m.tags(), Some("TagB"));
        assert_eq!(m.keys(), Some(format!("jp-key-{index}").as_str()));
        assert_eq!(m.property("color"), Some("blue"));
        assert_eq!(m.property("size"), Some("L"));
        assert_eq!(m.offset_msg_id(), rec["offset_msg_id"].as_str().unwrap());
        assert_eq!(m.queue_id as u64, rec["queue_id"].as_u64().unwrap());
        assert_eq!(m.queue_offset as u64, rec["queue_offset"].as_u64().unwrap());
        matched += 1;
    }
    assert_eq!(matched, 6);
    c.shutdown().await;
}
