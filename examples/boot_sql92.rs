//! SQL92 filtering: a listener with `selector_type = "SQL92"` receives only the orders whose
//! user properties match its expression; the broker (the embedded one by default, where
//! `enablePropertyFilter` is on) filters out the rest.
//!
//! ```bash
//! cargo run --example boot_sql92
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq::client::Message;
use rmq::{rocketmq_listener, Application, MessageExt};

static RECEIVED: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(
    topic = "boot-sql92",
    consumer_group = "boot-sql92-group",
    selector_type = "SQL92",
    selector_expression = "amount > 100 AND region IN ('eu', 'us') AND TAGS <> 'test'"
)]
async fn on_big_order(msg: MessageExt) {
    println!(
        "received {} (amount={}, region={})",
        String::from_utf8_lossy(&msg.body),
        msg.property("amount").unwrap_or("-"),
        msg.property("region").unwrap_or("-"),
    );
    RECEIVED.fetch_add(1, Ordering::SeqCst);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?;
    let template = app.template();
    let orders = [
        ("order-1", "250", "eu", "live"),   // matches
        ("order-2", "40", "eu", "live"),    // amount too small
        ("order-3", "900", "apac", "live"), // region not listed
        ("order-4", "120", "us", "test"),   // tagged test
        ("order-5", "101", "us", "live"),   // matches
    ];
    for (body, amount, region, tag) in orders {
        let msg = Message::new("", body)
            .with_property("amount", amount)
            .with_property("region", region);
        let r = template
            .sync_send(&format!("boot-sql92:{tag}"), msg)
            .await?;
        println!("sent {body}: {}", r.msg_id);
    }
    // order-2, -3 and -4 are filtered out by the broker and never printed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while RECEIVED.load(Ordering::SeqCst) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A moment for anything that should not come.
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("received {} of 5", RECEIVED.load(Ordering::SeqCst));
    app.shutdown().await;
    Ok(())
}
