use rmq::rocketmq_listener;

#[rocketmq_listener(
    topic = "orders",
    consumer_group = "order-group",
    consume_mode = "ORDERLY",
    message_model = "BROADCASTING"
)]
async fn on_order(_msg: String) {}

fn main() {}
