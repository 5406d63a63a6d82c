use rmq::rocketmq_listener;

#[rocketmq_listener(topic = "orders", consumer_group = "order-group")]
async fn on_order<T: serde::de::DeserializeOwned>(_msg: T) {}

fn main() {}
