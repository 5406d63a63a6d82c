//! Batch send: one request carries many messages of one topic (split at the size limit).
//!
//! ```bash
//! cargo run --example boot_batch
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq::{rocketmq_listener, Application};

static RECEIVED: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(topic = "boot-batch", consumer_group = "boot-batch-group")]
async fn on_message(_msg: String) {
    RECEIVED.fetch_add(1, Ordering::SeqCst);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?;
    let messages: Vec<String> = (0..100).map(|i| format!("batch message {i}")).collect();
    let results = app
        .template()
        .sync_send_batch("boot-batch", messages)
        .await?;
    for r in &results {
        println!(
            "batch request: {:?}, {} ids",
            r.send_status,
            r.msg_id.split(',').count()
        );
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while RECEIVED.load(Ordering::SeqCst) < 100 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "listener received {} of 100",
        RECEIVED.load(Ordering::SeqCst)
    );
    app.shutdown().await;
    Ok(())
}
