use rmq::rocketmq_listener;

#[rocketmq_listener(topic = "orders", consumer_group = "order-group", max_reconsume_times = -2)]
async fn on_order(_msg: String) {}

fn main() {}
