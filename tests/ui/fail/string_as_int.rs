use rmq::rocketmq_listener;

#[rocketmq_listener(topic = 42, consumer_group = "order-group")]
async fn on_order(_msg: String) {}

fn main() {}
