use rmq::rocketmq_listener;

#[rocketmq_listener(topic = "${app.topic", consumer_group = "order-group")]
async fn on_order(_msg: String) {}

fn main() {}
