//! Delayed delivery: `sync_send_with_delay_level` with level 3 (10 s, the third of
//! `1s 5s 10s 30s 1m …`).
//!
//! ```bash
//! cargo run --example boot_delay
//! ```

use std::time::{Duration, Instant};

use rmq::{rocketmq_listener, Application};
use tokio::sync::Notify;

static ARRIVED: Notify = Notify::const_new();

#[rocketmq_listener(topic = "boot-delay", consumer_group = "boot-delay-group")]
async fn on_delayed(msg: String) {
    println!("received {msg}");
    ARRIVED.notify_one();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?;
    let sent = Instant::now();
    let r = app
        .template()
        .sync_send_with_delay_level("boot-delay", "ten seconds later", Duration::from_secs(3), 3)
        .await?;
    println!("sent {} with delay level 3", r.msg_id);
    tokio::time::timeout(Duration::from_secs(60), ARRIVED.notified()).await?;
    println!("delivered after {:.1} s", sent.elapsed().as_secs_f64());
    app.shutdown().await;
    Ok(())
}
