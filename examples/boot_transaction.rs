//! Transactional messages the rocketmq-spring way: `#[rocketmq_transaction_listener]` on an
//! `impl RocketMqLocalTransactionListener`, and `template.send_message_in_transaction`.
//!
//! Two listeners, each bound to its producer group: `send_message_in_transaction` uses the one
//! of the template's group (`rocketmq.producer.group`, here `order-tx`);
//! `send_message_in_transaction_with_group` names another. The embedded broker checks
//! undecided transactions after 2 s (RocketMQ's defaults: every 30 s, after 6 s).
//!
//! ```bash
//! cargo run --example boot_transaction
//! ```

use std::any::Any;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq::broker::EmbeddedConfig;
use rmq::{rocketmq_listener, rocketmq_transaction_listener, Application, Message, MessageExt};
use rmq::{RocketMqLocalTransactionListener, RocketMqLocalTransactionState};

static DELIVERED: AtomicUsize = AtomicUsize::new(0);

#[derive(Default)]
struct OrderTx;

#[rocketmq_transaction_listener(producer_group = "order-tx")]
impl RocketMqLocalTransactionListener for OrderTx {
    fn execute_local_transaction(
        &self,
        msg: &Message,
        arg: &(dyn Any + Send + Sync),
    ) -> RocketMqLocalTransactionState {
        println!(
            "order transaction for {}",
            String::from_utf8_lossy(&msg.body)
        );
        match arg.downcast_ref::<&str>() {
            Some(&"commit") => RocketMqLocalTransactionState::Commit,
            Some(&"rollback") => RocketMqLocalTransactionState::Rollback,
            _ => RocketMqLocalTransactionState::Unknown,
        }
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> RocketMqLocalTransactionState {
        println!("broker checks order {}", msg.msg_id());
        RocketMqLocalTransactionState::Commit
    }
}

#[derive(Default)]
struct PaymentTx;

#[rocketmq_transaction_listener(producer_group = "payment-tx")]
impl RocketMqLocalTransactionListener for PaymentTx {
    fn execute_local_transaction(
        &self,
        _msg: &Message,
        _arg: &(dyn Any + Send + Sync),
    ) -> RocketMqLocalTransactionState {
        RocketMqLocalTransactionState::Commit
    }

    fn check_local_transaction(&self, _msg: &MessageExt) -> RocketMqLocalTransactionState {
        RocketMqLocalTransactionState::Commit
    }
}

#[rocketmq_listener(topic = "boot-tx", consumer_group = "boot-tx-consumer")]
async fn on_message(msg: String) {
    println!("received {msg}");
    DELIVERED.fetch_add(1, Ordering::Relaxed);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut broker = EmbeddedConfig::default();
    broker.broker.transaction_check_interval = 1000;
    broker.broker.transaction_time_out = 2000;
    let app = Application::builder()
        .set("rocketmq.producer.group", "order-tx")
        .embedded_broker(broker)
        .start()
        .await?;
    let template = app.template();
    for (body, state) in [
        ("order 1", "commit"),
        ("order 2", "rollback"),
        ("order 3", "unknown"),
    ] {
        let r = template
            .send_message_in_transaction("boot-tx:order", body, &state)
            .await?;
        println!("{body}: {:?}", r.local_transaction_state);
    }
    template
        .send_message_in_transaction_with_group("payment-tx", "boot-tx:payment", "payment 1", &())
        .await?;
    // order 1 and payment 1 at once, order 3 once checked; order 2 never.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while DELIVERED.load(Ordering::Relaxed) < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("{} messages delivered", DELIVERED.load(Ordering::Relaxed));
    app.shutdown().await;
    Ok(())
}
