use rmq::rocketmq_listener;

// Every mistake is reported in one build.
#[rocketmq_listener(
    topic = "orders",
    consume_thread_number = "20",
    message_model = "CLUSTER"
)]
fn on_order(_msg: &str) {}

fn main() {}
