//! Replying listeners (rocketmq-spring's `RocketMQReplyListener<T, R>`): every form compiles.

use rmq::rocketmq_listener;

#[derive(serde::Deserialize)]
struct Quote {
    sku: String,
}

#[derive(serde::Serialize)]
struct Price {
    sku: String,
    cents: i64,
}

#[rocketmq_listener(topic = "quotes", consumer_group = "quote-group")]
async fn price(q: Quote) -> anyhow::Result<Price> {
    Ok(Price {
        sku: q.sku,
        cents: 100,
    })
}

#[rocketmq_listener(topic = "quotes-plain", consumer_group = "quote-plain-group")]
async fn price_plain(q: Quote) -> Price {
    Price {
        sku: q.sku,
        cents: 100,
    }
}

#[rocketmq_listener(topic = "echo", consumer_group = "echo-group", reply_timeout = 1000)]
async fn echo(text: String) -> Result<String, std::io::Error> {
    Ok(text)
}

#[rocketmq_listener(topic = "raw", consumer_group = "raw-group")]
async fn raw(body: Vec<u8>) -> Vec<u8> {
    body
}

#[rocketmq_listener(topic = "count", consumer_group = "count-group")]
async fn count(text: String) -> std::result::Result<usize, String> {
    Ok(text.len())
}

fn main() {}
