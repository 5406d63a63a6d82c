//! rocketmq-spring's producer modes through `RocketMqTemplate`: sync, async (future and
//! callback), one-way. A listener counts what arrives; the example exits when all did.
//!
//! ```bash
//! cargo run --example boot_producer_modes
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq::{rocketmq_listener, Application};

static RECEIVED: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(topic = "boot-modes", consumer_group = "boot-modes-group")]
async fn on_message(msg: String) {
    tracing::info!("received {msg}");
    RECEIVED.fetch_add(1, Ordering::SeqCst);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::start().await?;
    let template = app.template();

    // syncSend: waits for the broker's answer.
    let result = template.sync_send("boot-modes", "sync message").await?;
    println!("sync: {:?} msg_id={}", result.send_status, result.msg_id);

    // asyncSend as a future: the send starts at once, await it when you need the result.
    let pending = template.async_send("boot-modes", "async message");
    println!("async: msg_id={}", pending.await?.msg_id);

    // asyncSend with a callback (rocketmq-spring's SendCallback).
    let (tx, rx) = tokio::sync::oneshot::channel();
    template.async_send_with_callback("boot-modes", "callback message", move |outcome| {
        match &outcome {
            Ok(r) => println!("callback: onSuccess msg_id={}", r.msg_id),
            Err(e) => println!("callback: onException {e}"),
        }
        let _ = tx.send(());
    });
    rx.await?;

    // sendOneWay: no answer awaited.
    template
        .send_one_way("boot-modes", "one-way message")
        .await?;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while RECEIVED.load(Ordering::SeqCst) < 4 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("listener received {} of 4", RECEIVED.load(Ordering::SeqCst));
    app.shutdown().await;
    Ok(())
}
