use rmq::rocketmq_listener;

#[rocketmq_listener(
    topic = "orders",
    consumer_group = "order-group",
    consume_thread_number = "20"
)]
async fn on_order(_msg: String) {}

fn main() {}
