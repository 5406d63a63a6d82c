use rmq::rocketmq_listener;

const TOPIC: &str = "orders";

#[rocketmq_listener(topic = TOPIC, consumer_group = "order-group")]
async fn on_order(_msg: String) {}

fn main() {}
