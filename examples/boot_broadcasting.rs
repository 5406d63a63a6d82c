//! Broadcasting: two applications (think: two instances of one service) run the same
//! BROADCASTING listener; each receives every message.
//!
//! ```bash
//! cargo run --example boot_broadcasting
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq::{rocketmq_listener, Application};

static FIRST: AtomicUsize = AtomicUsize::new(0);
static SECOND: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(
    topic = "boot-broadcast",
    consumer_group = "boot-broadcast-group",
    message_model = "BROADCASTING",
    instance_name = "instance-1"
)]
async fn instance_one(msg: String) {
    println!("instance 1 got {msg}");
    FIRST.fetch_add(1, Ordering::SeqCst);
}

#[rocketmq_listener(
    topic = "boot-broadcast",
    consumer_group = "boot-broadcast-group",
    message_model = "BROADCASTING",
    instance_name = "instance-2"
)]
async fn instance_two(msg: String) {
    println!("instance 2 got {msg}");
    SECOND.fetch_add(1, Ordering::SeqCst);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let offsets = std::env::temp_dir().join("rmq-boot-broadcasting-offsets");
    let first = Application::builder()
        .listeners(|l| l.name == "instance_one")
        .local_offset_store_dir(&offsets)
        .start()
        .await?;
    // The second instance joins the first one's (embedded) name server.
    let second = Application::builder()
        .listeners(|l| l.name == "instance_two")
        .local_offset_store_dir(&offsets)
        .set("rocketmq.name-server", first.name_server())
        .start()
        .await?;
    // Broadcasting consumers each take every queue; wait until both have them.
    for app in [&first, &second] {
        let consumer = app.consumer("boot-broadcast-group").expect("listener runs");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while consumer.assigned_queues().await.is_empty() && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for i in 0..5 {
        first
            .template()
            .sync_send("boot-broadcast", format!("notice {i}"))
            .await?;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while (FIRST.load(Ordering::SeqCst) < 5 || SECOND.load(Ordering::SeqCst) < 5)
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "instance 1: {} of 5, instance 2: {} of 5",
        FIRST.load(Ordering::SeqCst),
        SECOND.load(Ordering::SeqCst)
    );
    second.shutdown().await;
    first.shutdown().await;
    Ok(())
}
