//! Typed JSON payloads: the template serializes `Json(value)`, the listener takes any
//! `serde::Deserialize` type. A body that does not decode is retried, then dead-lettered —
//! the handler never sees it.
//!
//! ```bash
//! cargo run --example boot_json
//! ```

use std::time::Duration;

use rmq::{rocketmq_listener, Application, Json};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

static DONE: Notify = Notify::const_new();

#[derive(Debug, Serialize, Deserialize)]
struct OrderPaidEvent {
    order_id: String,
    amount_cents: i64,
    items: Vec<String>,
}

#[rocketmq_listener(topic = "boot-json", consumer_group = "boot-json-group")]
async fn on_paid(event: OrderPaidEvent) -> anyhow::Result<()> {
    println!("{event:?}");
    DONE.notify_one();
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?;
    let event = OrderPaidEvent {
        order_id: "A-1001".into(),
        amount_cents: 4599,
        items: vec!["book".into(), "pen".into()],
    };
    app.template().sync_send("boot-json", Json(event)).await?;
    tokio::time::timeout(Duration::from_secs(30), DONE.notified()).await?;
    app.shutdown().await;
    Ok(())
}
