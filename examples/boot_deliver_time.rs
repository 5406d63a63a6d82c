//! RocketMQ 5.x delivery-time (timer) messages: `sync_send_delay_time_seconds`,
//! `sync_send_delay_time_mills` and `sync_send_deliver_time_mills`, delivered by the embedded
//! broker's timer wheel at their time (any delay up to `timerMaxDelaySec`, 3 days by default).
//!
//! ```bash
//! cargo run --example boot_deliver_time
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmq::{rocketmq_listener, Application, MessageExt};

static RECEIVED: AtomicUsize = AtomicUsize::new(0);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[rocketmq_listener(
    topic = "boot-deliver-time",
    consumer_group = "boot-deliver-time-group"
)]
async fn on_due(msg: MessageExt) {
    let due: i64 = msg
        .property("TIMER_OUT_MS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    println!(
        "received {:?}, {} ms after its delivery time",
        String::from_utf8_lossy(&msg.body),
        now_ms() - due
    );
    RECEIVED.fetch_add(1, Ordering::SeqCst);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?;
    let t = app.template();
    t.sync_send_delay_time_seconds("boot-deliver-time", "in three seconds", 3)
        .await?;
    t.sync_send_delay_time_mills("boot-deliver-time", "in 1500 ms", 1_500)
        .await?;
    let r = t
        .sync_send_deliver_time_mills("boot-deliver-time", "at a set time", now_ms() + 2_000)
        .await?;
    println!("sent 3 timer messages (last: {})", r.msg_id);
    // Further out than timerMaxDelaySec: refused by the broker.
    if let Err(e) = t
        .sync_send_delay_time_seconds("boot-deliver-time", "in a year", 365 * 24 * 3600)
        .await
    {
        println!("refused: {e}");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while RECEIVED.load(Ordering::SeqCst) < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("listener received {} of 3", RECEIVED.load(Ordering::SeqCst));
    app.shutdown().await;
    Ok(())
}
