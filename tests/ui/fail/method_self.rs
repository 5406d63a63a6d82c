use rmq::rocketmq_listener;

struct Service;

impl Service {
    #[rocketmq_listener(topic = "orders", consumer_group = "order-group")]
    async fn on_order(&self) {}
}

fn main() {}
