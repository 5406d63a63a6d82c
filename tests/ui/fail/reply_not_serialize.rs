use rmq::rocketmq_listener;

#[derive(serde::Deserialize)]
struct Quote {
    sku: String,
}

struct Price {
    cents: i64,
}

// A replying listener's value goes back as JSON: it must be `Serialize`.
#[rocketmq_listener(topic = "quotes", consumer_group = "quote-group")]
async fn on_quote(q: Quote) -> anyhow::Result<Price> {
    Ok(Price {
        cents: q.sku.len() as i64,
    })
}

fn main() {}
