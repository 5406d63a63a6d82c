use rmq::rocketmq_listener;

#[rocketmq_listener(topic = "orders", consumer_group = "order-group", topic = "payments")]
async fn on_order(_msg: String) {}

fn main() {}
