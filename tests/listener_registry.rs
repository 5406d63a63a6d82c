//! What `#[rocketmq_listener]` registers: each listener's attributes (written values over
//! rocketmq-spring's defaults) and a handler that decodes the body for the function's
//! parameter and maps its return value.

use std::collections::HashMap;
use std::net::SocketAddr;

use rmq::client::MessageModel;
use rmq::listener::{
    registered, ConsumeMode, ListenerAttrs, ListenerDefinition, ListenerError, SelectorType,
};
use rmq::{rocketmq_listener, MessageExt};

#[derive(Debug, serde::Deserialize)]
struct Order {
    id: u64,
    amount: i64,
}

#[rocketmq_listener(topic = "boot-test", consumer_group = "boot-test-consumer-group")]
async fn on_text(msg: String) -> anyhow::Result<()> {
    anyhow::ensure!(msg != "fail", "handler refused {msg:?}");
    Ok(())
}

#[rocketmq_listener(
    topic = "orders",
    consumer_group = "${app.group:order-group}",
    selector_type = "SQL92",
    selector_expression = "amount > 100",
    consume_mode = "ORDERLY",
    consume_thread_number = 4,
    max_reconsume_times = 3,
    consume_timeout = 30,
    reply_timeout = 5000,
    enable_msg_trace = true,
    tls_enable = true,
    namespace = "ns",
    delay_level_when_next_consume = -1,
    suspend_current_queue_time_millis = 200,
    await_termination_millis_when_shutdown = 3000,
    instance_name = "orders-${app.instance:1}",
)]
async fn on_order(order: Order) -> Result<(), String> {
    if order.amount < 0 {
        return Err(format!("order {} has a negative amount", order.id));
    }
    Ok(())
}

#[rocketmq_listener(
    topic = "raw",
    consumer_group = "raw-group",
    message_model = "BROADCASTING"
)]
async fn on_bytes(body: Vec<u8>) {
    assert_eq!(body, b"\xff\x00raw");
}

#[rocketmq_listener(topic = "whole", consumer_group = "whole-group")]
async fn on_message(msg: MessageExt) {
    assert_eq!(msg.topic, "whole");
}

#[derive(Debug, serde::Deserialize)]
struct Quote {
    sku: String,
}

#[derive(Debug, serde::Serialize)]
struct Price {
    sku: String,
    cents: i64,
}

#[rocketmq_listener(topic = "quotes", consumer_group = "quote-group")]
async fn on_quote(q: Quote) -> anyhow::Result<Price> {
    anyhow::ensure!(!q.sku.is_empty(), "empty sku");
    Ok(Price {
        sku: q.sku,
        cents: 1250,
    })
}

#[rocketmq_listener(topic = "echo", consumer_group = "echo-group")]
async fn on_echo(text: String) -> String {
    format!("re:{text}")
}

#[rocketmq_listener(topic = "echo-bytes", consumer_group = "echo-bytes-group")]
async fn on_echo_bytes(body: Vec<u8>) -> Result<Vec<u8>, std::io::Error> {
    Ok(body.into_iter().rev().collect())
}

fn definition(name: &str) -> &'static ListenerDefinition {
    registered()
        .into_iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("listener `{name}` is not registered"))
}

fn message(topic: &str, body: &[u8]) -> MessageExt {
    let host: SocketAddr = ([127, 0, 0, 1], 10911).into();
    MessageExt {
        topic: topic.to_owned(),
        flag: 0,
        properties: HashMap::new(),
        body: body.to_vec().into(),
        queue_id: 0,
        store_size: 0,
        queue_offset: 7,
        sys_flag: 0,
        born_timestamp: 0,
        born_host: host,
        store_timestamp: 0,
        store_host: host,
        commit_log_offset: 0,
        body_crc: 0,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

#[test]
fn every_listener_is_registered_with_its_module_path() {
    let names: Vec<&str> = registered()
        .iter()
        .filter(|l| l.module_path == module_path!())
        .map(|l| l.name)
        .collect();
    assert_eq!(
        names,
        [
            "on_bytes",
            "on_echo",
            "on_echo_bytes",
            "on_message",
            "on_order",
            "on_quote",
            "on_text"
        ]
    );
    assert_eq!(
        definition("on_text").qualified_name(),
        "listener_registry::on_text"
    );
}

#[test]
fn unwritten_attributes_take_rocketmq_spring_defaults() {
    let attrs = &definition("on_text").attrs;
    assert_eq!(
        attrs,
        &ListenerAttrs::new("boot-test", "boot-test-consumer-group")
    );
    assert_eq!(attrs.selector_type, SelectorType::Tag);
    assert_eq!(attrs.selector_expression, "*");
    assert_eq!(attrs.consume_mode, ConsumeMode::Concurrently);
    assert_eq!(attrs.message_model, MessageModel::Clustering);
    assert_eq!(attrs.consume_thread_number, 20);
    assert_eq!(attrs.max_reconsume_times, -1);
    assert_eq!(attrs.consume_timeout, 15);
    assert_eq!(attrs.access_key, "${rocketmq.consumer.access-key:}");
    assert_eq!(attrs.tls_enable, "false");
    assert_eq!(attrs.instance_name, "DEFAULT");
}

#[test]
fn written_attributes_are_recorded_verbatim() {
    let attrs = &definition("on_order").attrs;
    assert_eq!(attrs.topic, "orders");
    assert_eq!(attrs.consumer_group, "${app.group:order-group}");
    assert_eq!(attrs.selector_type, SelectorType::Sql92);
    assert_eq!(attrs.selector_expression, "amount > 100");
    assert_eq!(attrs.consume_mode, ConsumeMode::Orderly);
    assert_eq!(attrs.message_model, MessageModel::Clustering);
    assert_eq!(attrs.consume_thread_number, 4);
    assert_eq!(attrs.max_reconsume_times, 3);
    assert_eq!(attrs.consume_timeout, 30);
    assert_eq!(attrs.reply_timeout, 5000);
    assert!(attrs.enable_msg_trace);
    assert_eq!(attrs.tls_enable, "true");
    assert_eq!(attrs.namespace, "ns");
    assert_eq!(attrs.delay_level_when_next_consume, -1);
    assert_eq!(attrs.suspend_current_queue_time_millis, 200);
    assert_eq!(attrs.await_termination_millis_when_shutdown, 3000);
    assert_eq!(attrs.instance_name, "orders-${app.instance:1}");
    assert_eq!(attrs.access_key, "${rocketmq.consumer.access-key:}");

    let raw = &definition("on_bytes").attrs;
    assert_eq!(raw.message_model, MessageModel::Broadcasting);
    assert_eq!(raw.consume_mode, ConsumeMode::Concurrently);
}

#[tokio::test]
async fn string_payload_decodes_utf8() {
    let handler = definition("on_text").handler;
    assert_eq!(
        handler(message("boot-test", "Hello, World!".as_bytes())).await,
        Ok(None)
    );
}

#[tokio::test]
async fn string_payload_refuses_invalid_utf8() {
    let handler = definition("on_text").handler;
    let err = handler(message("boot-test", b"\xff\xfe"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ListenerError::Decode {
                expected: "String",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn handler_error_becomes_listener_error_with_its_text() {
    let handler = definition("on_text").handler;
    let err = handler(message("boot-test", b"fail")).await.unwrap_err();
    assert_eq!(
        err,
        ListenerError::Handler("handler refused \"fail\"".to_owned())
    );
}

#[tokio::test]
async fn json_payload_decodes_and_reaches_the_handler() {
    let handler = definition("on_order").handler;
    let ok = message("orders", br#"{"id": 1, "amount": 5}"#);
    assert_eq!(handler(ok).await, Ok(None));
    let refused = message("orders", br#"{"id": 2, "amount": -5}"#);
    assert_eq!(
        handler(refused).await,
        Err(ListenerError::Handler(
            "order 2 has a negative amount".to_owned()
        ))
    );
}

#[tokio::test]
async fn bad_json_is_a_decode_error_naming_the_type() {
    let handler = definition("on_order").handler;
    let err = handler(message("orders", b"{\"id\": \"one\"}"))
        .await
        .unwrap_err();
    match err {
        ListenerError::Decode { expected, reason } => {
            assert!(expected.ends_with("Order"), "{expected}");
            assert!(reason.contains("invalid type"), "{reason}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn unit_handlers_acknowledge_raw_and_whole_messages() {
    let bytes = definition("on_bytes").handler;
    assert_eq!(bytes(message("raw", b"\xff\x00raw")).await, Ok(None));
    let whole = definition("on_message").handler;
    assert_eq!(whole(message("whole", b"anything")).await, Ok(None));
}

#[tokio::test]
async fn replying_handlers_encode_their_value_like_payloads() {
    let quote = definition("on_quote").handler;
    let reply = quote(message("quotes", br#"{"sku": "A-1"}"#))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply[..], br#"{"sku":"A-1","cents":1250}"#);
    assert_eq!(
        quote(message("quotes", br#"{"sku": ""}"#)).await,
        Err(ListenerError::Handler("empty sku".to_owned()))
    );
    let echo = definition("on_echo").handler;
    let reply = echo(message("echo", b"hi")).await.unwrap().unwrap();
    assert_eq!(&reply[..], b"re:hi");
    let bytes = definition("on_echo_bytes").handler;
    let reply = bytes(message("echo-bytes", b"\x01\x02"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply[..], b"\x02\x01");
}
