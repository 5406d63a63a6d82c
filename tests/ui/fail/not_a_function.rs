use rmq::rocketmq_listener;

#[rocketmq_listener(topic = "orders", consumer_group = "order-group")]
struct OnOrder;

fn main() {}
