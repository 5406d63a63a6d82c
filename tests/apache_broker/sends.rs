//! Every send mode of rmq's producer into the Java broker, checked by the official Java
//! consumer (msg ids, tags, keys, user properties, queues, delays, bodies), and the Java
//! producer's messages decoded by rmq's consumer.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rmq::client::{
    ClientConfig, DefaultMqProducer, Message, ProducerConfig, SendResult, SendStatus,
};
use serde_json::Value;

use crate::support::*;

/// A body in the drivers' format, so the Java driver's tally counts it.
fn body(prefix: &str, index: usize, shard: usize) -> String {
    let sent_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    format!("{prefix}-{index:08}-s{shard}-t{sent_ms}|")
}

/// The Java consumer's per-delivery records, by msg id.
fn records_by_id(run: &crate::common::CppRun) -> BTreeMap<String, Value> {
    run.records("recv")
        .map(|r| (r["msg_id"].as_str().unwrap_or("").to_string(), r.clone()))
        .collect()
}

/// Runs the Java push consumer until it has `expect` bodies of `prefix` from `topic`.
async fn java_consume(
    ns: &str,
    topic: &str,
    group: &str,
    prefix: &str,
    expect: usize,
    extra: &[&str],
) -> crate::common::CppRun {
    let expect = expect.to_string();
    let mut args = argv(&[
        "consume",
        "--namesrv",
        ns,
        "--topic",
        topic,
        "--group",
        group,
        "--prefix",
        prefix,
        "--expect",
        &expect,
        "--from-first",
        "--verbose",
        "--timeout",
        "60",
    ]);
    args.extend(argv(extra));
    let run = java(args).await;
    run.assert_ok();
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_sends_keep_ids_tags_keys_and_properties() {
    let ns = ns().await;
    create_topic("ab-sync", 4).await;
    let p = producer(&ns);
    let mut sent: BTreeMap<String, (usize, SendResult)> = BTreeMap::new();
    for i in 0..20 {
        let msg = Message::new("ab-sync", body("s", i, 0))
            .with_tags(if i % 2 == 0 { "TagA" } else { "TagB" })
            .with_keys(format!("key-{i} other-{i}"))
            .with_property("orderId", i.to_string())
            .with_property("emoji", "ü€");
        let r = p.send(&msg).await.unwrap();
        assert_eq!(r.send_status, SendStatus::SendOk);
        assert_eq!(r.message_queue.broker_name, "broker-j");
        sent.insert(r.msg_id.clone(), (i, r));
    }
    p.shutdown().await;

    // rmq's own consumer reads them back from the Java broker.
    let (c, seen) = consumer(&ns, "ab-sync-rmq", false, -1);
    c.subscribe("ab-sync", "*");
    c.start().await.unwrap();
    wait_until("20 messages", 60, || ids(&seen).len() >= 20).await;
    assert_eq!(ids(&seen), sent.keys().cloned().collect());
    for m in seen.lock().unwrap().iter() {
        let (i, r) = &sent[&m.msg_id()];
        assert_eq!(m.queue_id, r.message_queue.queue_id);
        assert_eq!(m.queue_offset, r.queue_offset);
        assert_eq!(m.offset_msg_id(), r.offset_msg_id);
        assert_eq!(m.property("orderId"), Some(i.to_string().as_str()));
    }
    c.shutdown().await;

    // The Java consumer sees the same ids, tags, keys and properties.
    let run = java_consume(&ns, "ab-sync", "ab-sync-java", "s", 20, &[]).await;
    let got = records_by_id(&run);
    assert_eq!(
        got.keys().cloned().collect::<BTreeSet<_>>(),
        sent.keys().cloned().collect()
    );
    for (id, rec) in &got {
        let (i, r) = &sent[id];
        assert_eq!(rec["index"], *i as u64, "{rec}");
        assert_eq!(
            rec["tag"],
            if i % 2 == 0 { "TagA" } else { "TagB" },
            "{rec}"
        );
        assert_eq!(rec["keys"], format!("key-{i} other-{i}"), "{rec}");
        assert_eq!(rec["properties"]["orderId"], i.to_string(), "{rec}");
        assert_eq!(rec["properties"]["emoji"], "ü€", "{rec}");
        assert_eq!(rec["queue_id"], r.message_queue.queue_id, "{rec}");
        assert_eq!(rec["queue_offset"], r.queue_offset, "{rec}");
        assert_eq!(rec["offset_msg_id"], r.offset_msg_id.as_str(), "{rec}");
        assert_eq!(
            rec["store_host"].as_str().unwrap_or(""),
            format!("/{}", shared().broker.addr())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_oneway_and_batch_sends() {
    let ns = ns().await;
    create_topic("ab-modes", 4).await;
    let p = producer(&ns);
    let mut ids = Vec::new();
    let futures: Vec<_> = (0..10)
        .map(|i| p.send_async(Message::new("ab-modes", body("m", i, 0))))
        .collect();
    for f in futures {
        let r = f.await.unwrap();
        assert_eq!(r.send_status, SendStatus::SendOk);
        ids.push(r.msg_id);
    }
    for i in 10..20 {
        p.send_oneway(&Message::new("ab-modes", body("m", i, 0)))
            .await
            .unwrap();
    }
    let batch: Vec<Message> = (20..36)
        .map(|i| Message::new("ab-modes", body("m", i, 0)).with_tags("B"))
        .collect();
    // One request, one result: its msg id joins the 16 ids with `,` (as Java's batch result).
    let results = p.send_batch(&batch).await.unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].send_status, SendStatus::SendOk);
    let batch_ids: Vec<&str> = results[0].msg_id.split(',').collect();
    assert_eq!(batch_ids.len(), 16);
    p.shutdown().await;

    let run = java_consume(&ns, "ab-modes", "ab-modes-java", "m", 36, &[]).await;
    assert_eq!(run.n("duplicates"), 0);
    let got = records_by_id(&run);
    for id in &ids[..10] {
        assert!(
            got.contains_key(id),
            "the Java consumer lacks async send {id}"
        );
    }
    // The batch went to one queue at consecutive offsets. (The Java broker appends the
    // request's own properties to every entry, so consumers see the request's UNIQ_KEY as
    // each entry's msg id: the Java producer's batches show the same.)
    let batch: Vec<&Value> = run.records("recv").filter(|r| r["tag"] == "B").collect();
    assert_eq!(batch.len(), 16);
    let queues: BTreeSet<u64> = batch
        .iter()
        .map(|r| r["queue_id"].as_u64().unwrap())
        .collect();
    assert_eq!(queues.len(), 1, "one queue per batch");
    let mut offsets: Vec<u64> = batch
        .iter()
        .map(|r| r["queue_offset"].as_u64().unwrap())
        .collect();
    offsets.sort();
    assert!(offsets.windows(2).all(|w| w[1] == w[0] + 1), "{offsets:?}");
    let indices: BTreeSet<u64> = batch.iter().map(|r| r["index"].as_u64().unwrap()).collect();
    assert_eq!(indices, (20..36).collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_sends_keep_per_shard_order_for_the_java_orderly_consumer() {
    let ns = ns().await;
    create_topic("ab-order", 4).await;
    let p = producer(&ns);
    for i in 0..60 {
        let shard = i % 3;
        let r = p
            .send_with_selector(&Message::new("ab-order", body("o", i, shard)), |qs| {
                shard % qs.len()
            })
            .await
            .unwrap();
        assert_eq!(r.message_queue.queue_id as usize, shard);
    }
    p.shutdown().await;
    let run = java_consume(&ns, "ab-order", "ab-order-java", "o", 60, &["--orderly"]).await;
    assert_eq!(run.n("order_violations"), 0);
    for r in run.records("recv") {
        let index = r["index"].as_u64().unwrap();
        assert_eq!(r["queue_id"].as_u64().unwrap(), index % 3, "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_level_is_honoured_by_the_java_broker() {
    let ns = ns().await;
    create_topic("ab-delay", 4).await;
    let p = producer(&ns);
    // Level 2 is 2 s on the shared broker (DELAY_LEVELS).
    for i in 0..3 {
        p.send(&Message::new("ab-delay", body("d", i, 0)).with_delay_time_level(2))
            .await
            .unwrap();
    }
    p.shutdown().await;
    let run = java_consume(&ns, "ab-delay", "ab-delay-java", "d", 3, &[]).await;
    let min_delay = run.i("min_delay_ms");
    assert!(
        min_delay >= 1_900,
        "delivered {min_delay} ms after the send"
    );
    for r in run.records("recv") {
        assert_eq!(r["properties"]["DELAY"], "2", "{r}");
        assert_eq!(r["topic"], "ab-delay", "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_filters_on_the_java_broker() {
    let ns = ns().await;
    create_topic("ab-tags", 4).await;
    let p = producer(&ns);
    let tags = ["TagA", "TagB", "TagC"];
    for i in 0..30 {
        p.send(&Message::new("ab-tags", body("t", i, 0)).with_tags(tags[i % 3]))
            .await
            .unwrap();
    }
    p.shutdown().await;
    let (c, seen) = consumer(&ns, "ab-tags-rmq", false, -1);
    c.subscribe("ab-tags", "TagA || TagC");
    c.start().await.unwrap();
    wait_until("20 TagA/TagC messages", 60, || ids(&seen).len() >= 20).await;
    // Give a wrongly delivered TagB the time a next pull takes, then check none came.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: BTreeSet<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.tags().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        got,
        ["TagA", "TagC"].iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(seen.lock().unwrap().len(), 20);
    c.shutdown().await;

    let run = java_consume(
        &ns,
        "ab-tags",
        "ab-tags-java",
        "t",
        30,
        &["--tag", "TagB", "--produced-tags", "TagA,TagB,TagC"],
    )
    .await;
    assert_eq!(run.n("received"), 10);
    assert_eq!(run.summary["tags"], serde_json::json!({"TagB": 10}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_match_the_java_client() {
    let ns = ns().await;
    let p = DefaultMqProducer::new(
        ClientConfig {
            namespace: "tenant1".into(),
            ..client(&ns)
        },
        ProducerConfig::default(),
    )
    .unwrap();
    let mut sent = BTreeSet::new();
    for i in 0..5 {
        let r = p
            .send(&Message::new("ab-ns", body("n", i, 0)))
            .await
            .unwrap();
        assert_eq!(
            r.message_queue.topic, "ab-ns",
            "the result shows the topic without namespace"
        );
        sent.insert(r.msg_id);
    }
    p.shutdown().await;
    // On the wire (and in the Java broker) the topic is tenant1%ab-ns.
    let run = java_consume(&ns, "tenant1%ab-ns", "ab-ns-plain", "n", 5, &[]).await;
    assert_eq!(
        run.strings("msg_ids").into_iter().collect::<BTreeSet<_>>(),
        sent
    );
    // The Java client with the same namespace sees the same messages.
    let run = java_consume(
        &ns,
        "ab-ns",
        "ab-ns-java",
        "n",
        5,
        &["--namespace", "tenant1"],
    )
    .await;
    assert_eq!(
        run.strings("msg_ids").into_iter().collect::<BTreeSet<_>>(),
        sent
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_are_compressed_both_ways() {
    let ns = ns().await;
    create_topic("ab-big", 4).await;
    // 100 KiB of compressible text from rmq → the Java consumer gets it whole.
    let mut text = body("big", 0, 0);
    while text.len() < 100 * 1024 {
        text.push_str("the quick brown fox jumps over the lazy dog; ");
    }
    text.truncate(100 * 1024);
    let p = producer(&ns);
    let r = p.send(&Message::new("ab-big", text.clone())).await.unwrap();
    p.shutdown().await;
    let run = java_consume(&ns, "ab-big", "ab-big-java", "big", 1, &[]).await;
    let rec = run.records("recv").next().expect("one delivery").clone();
    assert_eq!(rec["msg_id"], r.msg_id.as_str());
    assert_eq!(rec["body_size"], 100 * 1024);
    assert_eq!(rec["body_crc"], crc32fast_hash(text.as_bytes()) as u64);

    // 100 KiB from the Java producer (compressed over 4 KiB) → rmq's consumer.
    let run = java(argv(&[
        "produce",
        "--namesrv",
        &ns,
        "--topic",
        "ab-big",
        "--prefix",
        "jbig",
        "--count",
        "2",
        "--size",
        "102400",
    ]))
    .await;
    run.assert_ok();
    let (c, seen) = consumer(&ns, "ab-big-rmq", false, -1);
    c.subscribe("ab-big", "*");
    c.start().await.unwrap();
    wait_until("3 large messages", 60, || seen.lock().unwrap().len() >= 3).await;
    for m in seen.lock().unwrap().iter() {
        assert_eq!(m.body.len(), 100 * 1024);
        assert!(m.body.starts_with(b"big-") || m.body.starts_with(b"jbig-"));
    }
    let java_ids: BTreeSet<String> = run.sent_msg_ids().into_iter().collect();
    assert!(java_ids.is_subset(&ids(&seen)));
    c.shutdown().await;
}

/// CRC-32 (IEEE) as java.util.zip.CRC32 computes it.
fn crc32fast_hash(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
