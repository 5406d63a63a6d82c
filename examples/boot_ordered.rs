//! Ordered messages: `sync_send_orderly` picks the queue by hash key (as rocketmq-spring's
//! `SelectMessageQueueByHash`), and an ORDERLY listener handles each queue one message at a
//! time, so every order's steps arrive in sequence.
//!
//! ```bash
//! cargo run --example boot_ordered
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq::{rocketmq_listener, Application};

static RECEIVED: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(
    topic = "boot-ordered",
    consumer_group = "boot-ordered-group",
    consume_mode = "ORDERLY"
)]
async fn on_step(msg: String) {
    println!("{msg}");
    RECEIVED.fetch_add(1, Ordering::SeqCst);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?;
    let template = app.template();
    for step in ["created", "paid", "shipped", "done"] {
        for order in 1..=3 {
            let key = format!("order-{order}");
            template
                .sync_send_orderly("boot-ordered", format!("{key}: {step}"), &key)
                .await?;
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while RECEIVED.load(Ordering::SeqCst) < 12 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.shutdown().await;
    Ok(())
}
