use rmq::rocketmq_listener;

// `Result<(), E>` acknowledges, but its error must be `Display` (it is logged).
#[rocketmq_listener(topic = "orders", consumer_group = "order-group")]
async fn on_order(_msg: String) -> Result<(), Vec<u8>> {
    Ok(())
}

fn main() {}
