//! Each payload kind, `topic:tag` routing, a switched-off listener, placeholders.

use rmq::{rocketmq_listener, Json, Message, MessageExt, SendStatus};
use serde::{Deserialize, Serialize};

use crate::support::{app, SINK};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Order {
    pub id: u64,
    pub amount: i64,
}

#[rocketmq_listener(topic = "app-text", consumer_group = "app-text-group")]
async fn pk_text(msg: String) -> anyhow::Result<()> {
    SINK.push("text", msg);
    Ok(())
}

#[rocketmq_listener(topic = "app-bytes", consumer_group = "app-bytes-group")]
async fn pk_bytes(msg: Vec<u8>) -> Result<(), std::io::Error> {
    SINK.push("bytes", format!("{msg:?}"));
    Ok(())
}

#[rocketmq_listener(topic = "app-message", consumer_group = "app-message-group")]
async fn pk_message(msg: MessageExt) {
    SINK.push(
        "message",
        format!(
            "{}|{}|{}|{}|{}",
            msg.tags().unwrap_or(""),
            msg.keys().unwrap_or(""),
            msg.property("color").unwrap_or(""),
            String::from_utf8_lossy(&msg.body),
            msg.msg_id()
        ),
    );
}

#[rocketmq_listener(topic = "app-json", consumer_group = "app-json-group")]
async fn pk_json(order: Order) -> anyhow::Result<()> {
    SINK.push("json", format!("{}:{}", order.id, order.amount));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_payload_kind_reaches_its_handler() {
    let app = app(&["pk_text", "pk_bytes", "pk_message", "pk_json"])
        .start()
        .await
        .unwrap();
    assert!(
        app.embedded_broker().is_some(),
        "no name server configured: embedded"
    );
    assert_eq!(app.listeners().count(), 4);
    let t = app.template();

    let r = t.sync_send("app-text", "Hello, World!").await.unwrap();
    assert_eq!(r.send_status, SendStatus::SendOk);
    t.sync_send("app-bytes", vec![0u8, 159, 146, 150])
        .await
        .unwrap();
    let sent = t
        .sync_send(
            "app-message:TagM",
            Message::new("ignored", "whole")
                .with_keys("order-1")
                .with_property("color", "blue"),
        )
        .await
        .unwrap();
    t.sync_send("app-json", Json(Order { id: 7, amount: -3 }))
        .await
        .unwrap();

    assert_eq!(SINK.wait_len("text", 1, 30).await, ["Hello, World!"]);
    assert_eq!(SINK.wait_len("bytes", 1, 30).await, ["[0, 159, 146, 150]"]);
    assert_eq!(
        SINK.wait_len("message", 1, 30).await,
        [format!("TagM|order-1|blue|whole|{}", sent.msg_id)]
    );
    assert_eq!(SINK.wait_len("json", 1, 30).await, ["7:-3"]);
    app.shutdown().await;
}

// ORDERLY: one queue is handled strictly in order, so once "end" arrived everything before
// it in that queue was either delivered or filtered by the broker.
#[rocketmq_listener(
    topic = "app-route",
    consumer_group = "app-route-group",
    selector_expression = "created || paid",
    consume_mode = "ORDERLY"
)]
async fn route_listener(msg: MessageExt) -> anyhow::Result<()> {
    SINK.push(
        "route",
        format!(
            "{}:{}",
            msg.tags().unwrap_or(""),
            String::from_utf8_lossy(&msg.body)
        ),
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_tag_destinations_route_by_selector_expression() {
    let app = app(&["route_listener"]).start().await.unwrap();
    let t = app.template();
    // One queue (same hash key), in order: the cancelled one sits before the last paid one.
    for (tag, body) in [
        ("created", "1"),
        ("cancelled", "2"),
        ("paid", "3"),
        ("cancelled", "4"),
        ("paid", "end"),
    ] {
        t.sync_send_orderly(&format!("app-route:{tag}"), body, "k")
            .await
            .unwrap();
    }
    let got = SINK.wait_len("route", 3, 30).await;
    assert_eq!(
        got,
        ["created:1", "paid:3", "paid:end"],
        "cancelled filtered out"
    );
    app.shutdown().await;
}

#[rocketmq_listener(topic = "app-off", consumer_group = "app-off-group")]
async fn off_listener(msg: String) {
    SINK.push("off", msg);
}

#[rocketmq_listener(topic = "app-on", consumer_group = "app-on-group")]
async fn on_listener(msg: String) {
    SINK.push("on", msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switched_off_listener_receives_nothing() {
    let app = app(&["off_listener", "on_listener"])
        .set(
            "rocketmq.consumer.listeners",
            serde_json::json!({ "app-off-group": { "app-off": false } }),
        )
        .start()
        .await
        .unwrap();
    assert!(app.consumer("app-off-group").is_none());
    assert!(app.consumer("app-on-group").is_some());
    let t = app.template();
    t.sync_send("app-off", "should stay on the broker")
        .await
        .unwrap();
    t.sync_send("app-on", "marker").await.unwrap();
    SINK.wait_len("on", 1, 30).await;
    // The group never registered: the broker knows no member of it.
    let admin = rmq::client::MqAdmin::new(rmq::client::ClientConfig {
        name_server_addr: app.name_server().to_owned(),
        ..Default::default()
    })
    .unwrap();
    // Offsets are committed every 5 s: once the enabled group's is, a running switched-off
    // listener would long have received its message too.
    crate::support::wait_until("the enabled group's commit", 20, async || {
        admin
            .consume_stats("app-on-group", "app-on")
            .await
            .map(|s| s.values().map(|q| q.consumer_offset.max(0)).sum::<i64>() == 1)
            .unwrap_or(false)
    })
    .await;
    let off = admin.consume_stats("app-off-group", "app-off").await;
    assert!(
        off.as_ref()
            .map(|s| s.values().all(|q| q.consumer_offset <= 0))
            .unwrap_or(true),
        "no offset for the switched-off group: {off:?}"
    );
    assert!(SINK.get("off").is_empty());
    admin.close().await;
    app.shutdown().await;
}

#[rocketmq_listener(
    topic = "${test.placeholder.topic}",
    consumer_group = "${test.placeholder.group:app-ph-default-group}",
    selector_expression = "${test.placeholder.tags:*}",
    consume_mode = "ORDERLY"
)]
async fn placeholder_listener(msg: String) {
    SINK.push("placeholder", msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_resolve_from_configuration() {
    let app = app(&["placeholder_listener"])
        .set("test.placeholder.topic", "app-placeholder")
        .set("test.placeholder.tags", "A")
        .start()
        .await
        .unwrap();
    let l = app.listeners().next().unwrap();
    assert_eq!(l.topic, "app-placeholder");
    assert_eq!(l.consumer_group, "app-ph-default-group");
    assert_eq!(l.selector_expression, "A");
    let t = app.template();
    // One queue, in order: the B message comes first and is filtered out.
    t.sync_send_orderly("app-placeholder:B", "not mine", "k")
        .await
        .unwrap();
    t.sync_send_orderly("app-placeholder:A", "resolved", "k")
        .await
        .unwrap();
    assert_eq!(SINK.wait_len("placeholder", 1, 30).await, ["resolved"]);
    app.shutdown().await;
}
