//! Every payload kind, both return kinds, every attribute at once, and placeholders.

use rmq::rocketmq_listener;

#[derive(serde::Deserialize)]
pub struct Order {
    pub id: u64,
    pub amount: i64,
}

/// UTF-8 body, `anyhow::Result` return.
#[rocketmq_listener(
    topic = "boot-test",
    consumer_group = "boot-test-consumer-group",
    message_model = "CLUSTERING"
)]
async fn on_text(msg: String) -> anyhow::Result<()> {
    tracing::info!("received {msg}");
    Ok(())
}

/// JSON body, unit return, `pub` and extra attributes kept.
#[rocketmq_listener(
    topic = "orders",
    consumer_group = "order-group",
    selector_expression = "created || paid"
)]
#[allow(clippy::unused_async)]
pub async fn on_order(order: Order) {
    let _ = (order.id, order.amount);
}

/// Raw body, a `Result` with a std error.
#[rocketmq_listener(topic = "raw", consumer_group = "raw-group")]
async fn on_bytes(mut body: Vec<u8>) -> Result<(), std::io::Error> {
    body.clear();
    Ok(())
}

/// The whole message, by its facade path.
#[rocketmq_listener(
    topic = "whole",
    consumer_group = "whole-group",
    consume_mode = "ORDERLY"
)]
async fn on_message(msg: rmq::MessageExt) {
    let _ = msg.queue_offset;
}

/// `std::string::String`, a JSON `Vec<Order>` and a raw identifier.
#[rocketmq_listener(topic = "text2", consumer_group = "text2-group")]
async fn r#type(text: std::string::String) {
    let _ = text;
}

#[rocketmq_listener(topic = "batch", consumer_group = "batch-group")]
async fn on_batch(orders: Vec<Order>) -> Result<(), String> {
    orders
        .is_empty()
        .then_some(())
        .ok_or_else(|| "not empty".to_owned())
}

/// Every attribute, placeholders in strings, negative integers, `tls_enable` as a bool.
#[rocketmq_listener(
    consumer_group = "${app.group:all-group}",
    topic = "${app.topic}",
    selector_type = "SQL92",
    selector_expression = "amount > 100",
    consume_mode = "CONCURRENTLY",
    message_model = "BROADCASTING",
    consume_thread_number = 4,
    max_reconsume_times = -1,
    consume_timeout = 30,
    reply_timeout = 5000,
    access_key = "${rocketmq.consumer.access-key:}",
    secret_key = "secret",
    enable_msg_trace = true,
    customized_trace_topic = "my-trace",
    name_server = "127.0.0.1:9876;127.0.0.2:9876",
    access_channel = "LOCAL",
    tls_enable = false,
    namespace = "ns",
    delay_level_when_next_consume = -1,
    suspend_current_queue_time_millis = 500,
    await_termination_millis_when_shutdown = 2000,
    instance_name = "instance-${random:1}",
)]
async fn on_everything(msg: rmq::MessageExt) -> anyhow::Result<()> {
    anyhow::ensure!(!msg.topic.is_empty(), "no topic");
    Ok(())
}

fn main() {
    let names: Vec<&str> = rmq::listener::registered().iter().map(|l| l.name).collect();
    assert_eq!(names.len(), 7, "{names:?}");
}
