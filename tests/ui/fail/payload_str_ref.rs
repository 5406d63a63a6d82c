use rmq::rocketmq_listener;

#[rocketmq_listener(topic = "orders", consumer_group = "order-group")]
async fn on_order(_msg: &str) {}

fn main() {}
