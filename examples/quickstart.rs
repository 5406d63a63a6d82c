//! Quickstart: rocketmq-spring's producer test and `SimpleMsgListener`, the rmq way.
//!
//! ```bash
//! cargo run --example quickstart
//! ```
//!
//! `./application.yml` sets the producer group and no name server, so the bundled broker
//! starts in-process. The template sends "Hello, World!" to `boot-test` and two JSON orders
//! to `orders`; the listeners below receive them. Ctrl-C stops everything gracefully.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq::{rocketmq_listener, Application, Json, SendStatus};
use serde::{Deserialize, Serialize};

static RECEIVED: AtomicUsize = AtomicUsize::new(0);

/// rocketmq-spring's `SimpleMsgListener`: text payloads of `boot-test`.
#[rocketmq_listener(
    topic = "boot-test",
    consumer_group = "boot-test-consumer-group",
    message_model = "CLUSTERING"
)]
async fn on_boot_test(msg: String) -> anyhow::Result<()> {
    tracing::info!("received {msg}");
    RECEIVED.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// A JSON payload.
#[derive(Debug, Serialize, Deserialize)]
struct Order {
    id: u64,
    amount: i64,
}

/// Orders tagged `created` or `paid` (a `cancelled` one is filtered out by the broker).
#[rocketmq_listener(
    topic = "orders",
    consumer_group = "order-group",
    selector_expression = "created || paid"
)]
async fn on_order(order: Order) -> anyhow::Result<()> {
    tracing::info!(?order, "order event");
    RECEIVED.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?; // ./application.yml (+ profile, env)
    let template = app.template();

    let result = template.sync_send("boot-test", "Hello, World!").await?;
    assert_eq!(result.send_status, SendStatus::SendOk);
    println!("sent msg_id={} to {}", result.msg_id, result.message_queue);

    template
        .sync_send("orders:created", Json(Order { id: 1, amount: 5 }))
        .await?;
    template
        .sync_send("orders:paid", Json(Order { id: 1, amount: 5 }))
        .await?;
    template
        .sync_send("orders:cancelled", Json(Order { id: 2, amount: 7 }))
        .await?;

    // The listeners run in the background; wait (bounded) until they saw all three.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while RECEIVED.load(Ordering::SeqCst) < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "listeners received {} of 3 messages; press Ctrl-C to stop",
        RECEIVED.load(Ordering::SeqCst)
    );
    app.run_until_shutdown().await?; // Ctrl-C / SIGTERM → graceful stop
    Ok(())
}
