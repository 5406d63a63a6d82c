use rmq::rocketmq_listener;

#[rocketmq_listener(topic = "orders")]
async fn on_order(_msg: String) {}

fn main() {}
