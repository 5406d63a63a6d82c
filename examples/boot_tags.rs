//! Tags: destinations `topic:tag`, and a listener whose `selector_expression` takes two of
//! three tags (the broker filters the third out).
//!
//! ```bash
//! cargo run --example boot_tags
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq::{rocketmq_listener, Application, MessageExt};

static RECEIVED: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(
    topic = "boot-tags",
    consumer_group = "boot-tags-group",
    selector_expression = "TagA || TagB"
)]
async fn on_tagged(msg: MessageExt) {
    println!(
        "received tag={} body={}",
        msg.tags().unwrap_or("-"),
        String::from_utf8_lossy(&msg.body)
    );
    RECEIVED.fetch_add(1, Ordering::SeqCst);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?;
    let template = app.template();
    for tag in ["TagA", "TagB", "TagC"] {
        let r = template
            .sync_send(&format!("boot-tags:{tag}"), format!("message tagged {tag}"))
            .await?;
        println!("sent {tag}: {}", r.msg_id);
    }
    // TagC is filtered by the broker and never printed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while RECEIVED.load(Ordering::SeqCst) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.shutdown().await;
    Ok(())
}
