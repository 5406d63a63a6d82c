use rmq::rocketmq_listener;

struct Order {
    _id: u64,
}

#[rocketmq_listener(topic = "orders", consumer_group = "order-group")]
async fn on_order(_order: Order) {}

fn main() {}
