use rmq::rocketmq_listener;

struct Refusal;

// A replying listener's error redelivers the request and is logged: it must be `Display`.
#[rocketmq_listener(topic = "quotes", consumer_group = "quote-group")]
async fn on_quote(q: String) -> Result<String, Refusal> {
    Ok(q)
}

fn main() {}
