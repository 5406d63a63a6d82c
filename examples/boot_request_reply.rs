//! Request-reply, Spring Boot style: a listener whose handler returns a value replies with it
//! (rocketmq-spring's `RocketMQReplyListener<Quote, Price>`), and `send_and_receive` returns
//! the reply decoded (`RocketMQTemplate.sendAndReceive`).
//!
//! ```bash
//! cargo run --example boot_request_reply
//! ```

use std::time::Duration;

use rmq::{rocketmq_listener, Application, Json};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Quote {
    sku: String,
    quantity: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Price {
    sku: String,
    total_cents: i64,
}

/// Returning a value makes this a replying listener: the `Price` goes back as JSON; an
/// `Err` redelivers the request instead.
#[rocketmq_listener(topic = "boot-quotes", consumer_group = "boot-pricing")]
async fn price(q: Quote) -> anyhow::Result<Price> {
    anyhow::ensure!(q.quantity > 0, "quantity must be positive");
    Ok(Price {
        total_cents: q.quantity * 1250,
        sku: q.sku,
    })
}

/// `String` in, `String` out: the reply is the UTF-8 text.
#[rocketmq_listener(topic = "boot-echo", consumer_group = "boot-echo-group")]
async fn echo(text: String) -> String {
    format!("echo: {text}")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?;
    let template = app.template();
    let timeout = Duration::from_secs(10);

    let price: Price = template
        .send_and_receive(
            "boot-quotes",
            Json(Quote {
                sku: "A-1001".into(),
                quantity: 3,
            }),
            timeout,
        )
        .await?;
    println!("{price:?}");

    let reply: String = template
        .send_and_receive("boot-echo", "hello", timeout)
        .await?;
    println!("{reply}");
    app.shutdown().await;
    Ok(())
}
