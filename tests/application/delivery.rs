//! Delivery semantics through `Application`s: clustering split, broadcasting, orderly, retries
//! then the DLQ (handler errors and payloads that do not decode).

use std::collections::{BTreeMap, BTreeSet};

use rmq::{rocketmq_listener, MessageExt};

use crate::payloads::Order;
use crate::support::{app, fast_retries, wait_until, SINK};

#[rocketmq_listener(topic = "app-split", consumer_group = "app-split-group")]
async fn split_a(msg: String) {
    SINK.push("split-a", msg);
}

#[rocketmq_listener(topic = "app-split", consumer_group = "app-split-group")]
async fn split_b(msg: String) {
    SINK.push("split-b", msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clustering_splits_messages_between_two_applications() {
    let first = app(&["split_a"]).start().await.unwrap();
    let second = app(&["split_b"])
        .set("rocketmq.name-server", first.name_server())
        .start()
        .await
        .unwrap();
    assert!(
        second.embedded_broker().is_none(),
        "a name server is configured"
    );
    let (a, b) = (
        first.consumer("app-split-group").unwrap(),
        second.consumer("app-split-group").unwrap(),
    );
    wait_until("the two members to split the 4 queues", 30, async || {
        let (qa, qb) = (a.assigned_queues().await, b.assigned_queues().await);
        let topic = |q: &Vec<rmq::client::MessageQueue>| {
            q.iter().filter(|q| q.topic == "app-split").count()
        };
        topic(&qa) == 2 && topic(&qb) == 2
    })
    .await;
    let t = first.template();
    for i in 0..100 {
        t.sync_send("app-split", format!("m{i}")).await.unwrap();
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while SINK.get("split-a").len() + SINK.get("split-b").len() < 100 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all 100 consumed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (got_a, got_b) = (SINK.get("split-a"), SINK.get("split-b"));
    assert!(
        !got_a.is_empty() && !got_b.is_empty(),
        "both members consume: {} / {}",
        got_a.len(),
        got_b.len()
    );
    let all: BTreeSet<String> = got_a.iter().chain(&got_b).cloned().collect();
    assert_eq!(all.len(), 100, "every message once");
    assert_eq!(got_a.len() + got_b.len(), 100, "no duplicates");
    second.shutdown().await;
    first.shutdown().await;
}

#[rocketmq_listener(
    topic = "app-bc",
    consumer_group = "app-bc-group",
    message_model = "BROADCASTING",
    instance_name = "bc-a"
)]
async fn broadcast_a(msg: String) {
    SINK.push("bc-a", msg);
}

#[rocketmq_listener(
    topic = "app-bc",
    consumer_group = "app-bc-group",
    message_model = "BROADCASTING",
    instance_name = "bc-b"
)]
async fn broadcast_b(msg: String) {
    SINK.push("bc-b", msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_delivers_every_message_to_both_applications() {
    let offsets = tempfile::tempdir().unwrap();
    let first = app(&["broadcast_a"])
        .local_offset_store_dir(offsets.path())
        .start()
        .await
        .unwrap();
    let second = app(&["broadcast_b"])
        .local_offset_store_dir(offsets.path())
        .set("rocketmq.name-server", first.name_server())
        .start()
        .await
        .unwrap();
    for c in [
        first.consumer("app-bc-group").unwrap(),
        second.consumer("app-bc-group").unwrap(),
    ] {
        wait_until("all 4 queues assigned", 30, async || {
            c.assigned_queues()
                .await
                .iter()
                .filter(|q| q.topic == "app-bc")
                .count()
                == 4
        })
        .await;
    }
    let t = first.template();
    for i in 0..20 {
        t.sync_send("app-bc", format!("b{i}")).await.unwrap();
    }
    let a: BTreeSet<String> = SINK.wait_len("bc-a", 20, 30).await.into_iter().collect();
    let b: BTreeSet<String> = SINK.wait_len("bc-b", 20, 30).await.into_iter().collect();
    assert_eq!(a.len(), 20);
    assert_eq!(a, b, "both instances got every message");
    second.shutdown().await;
    first.shutdown().await;
}

#[rocketmq_listener(
    topic = "app-orderly",
    consumer_group = "app-orderly-group",
    consume_mode = "ORDERLY"
)]
async fn orderly_listener(msg: String) {
    SINK.push("orderly", msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_listener_keeps_per_key_order() {
    let app = app(&["orderly_listener"]).start().await.unwrap();
    let t = app.template();
    for i in 0..30 {
        for key in 0..10 {
            t.sync_send_orderly("app-orderly", format!("k{key}:{i}"), &format!("key-{key}"))
                .await
                .unwrap();
        }
    }
    let got = SINK.wait_len("orderly", 300, 60).await;
    let mut per_key: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for v in &got {
        let (k, i) = v.split_once(':').unwrap();
        per_key
            .entry(k.to_owned())
            .or_default()
            .push(i.parse().unwrap());
    }
    assert_eq!(per_key.len(), 10);
    for (k, seq) in per_key {
        assert_eq!(seq, (0..30).collect::<Vec<_>>(), "order of {k}");
    }
    app.shutdown().await;
}

#[rocketmq_listener(
    topic = "app-fail",
    consumer_group = "app-fail-group",
    max_reconsume_times = 2
)]
async fn failing_listener(msg: MessageExt) -> Result<(), String> {
    SINK.push("fail-attempts", msg.reconsume_times.to_string());
    Err(format!(
        "cannot handle {}",
        String::from_utf8_lossy(&msg.body)
    ))
}

#[rocketmq_listener(topic = "%DLQ%app-fail-group", consumer_group = "app-dlq-reader")]
async fn dlq_listener(msg: MessageExt) {
    SINK.push(
        "dlq",
        format!(
            "{}|{}",
            String::from_utf8_lossy(&msg.body),
            msg.property("RETRY_TOPIC").unwrap_or("")
        ),
    );
}

#[rocketmq_listener(
    topic = "app-badjson",
    consumer_group = "app-badjson-group",
    max_reconsume_times = 1
)]
async fn badjson_listener(order: Order) {
    SINK.push("badjson-handled", order.id.to_string());
}

#[rocketmq_listener(
    topic = "%DLQ%app-badjson-group",
    consumer_group = "app-badjson-dlq-reader"
)]
async fn badjson_dlq_listener(msg: String) {
    SINK.push("badjson-dlq", msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_handler_is_retried_then_dead_lettered() {
    let app = app(&[
        "failing_listener",
        "dlq_listener",
        "badjson_listener",
        "badjson_dlq_listener",
    ])
    .embedded_broker(fast_retries())
    .start()
    .await
    .unwrap();
    let t = app.template();
    t.sync_send("app-fail", "poison").await.unwrap();
    t.sync_send("app-badjson", "{not json").await.unwrap();
    t.sync_send("app-panic", "fragile").await.unwrap();

    let dlq = SINK.wait_len("dlq", 1, 60).await;
    assert_eq!(dlq[0], "poison|app-fail");
    assert_eq!(
        SINK.get("fail-attempts"),
        ["0", "1", "2"],
        "first delivery + max_reconsume_times retries"
    );

    assert_eq!(SINK.wait_len("badjson-dlq", 1, 60).await, ["{not json"]);
    assert!(
        SINK.get("badjson-handled").is_empty(),
        "a payload that does not decode never reaches the handler"
    );
    app.shutdown().await;
}
