//! `#[rocketmq_transaction_listener]` and the template's transactional sends on the embedded
//! broker: two listeners bound to their producer groups, `send_message_in_transaction` using
//! the template's group, `send_message_in_transaction_with_group` picking another, commit
//! delivered once, rollback never, Unknown settled by the check, an unknown group refused.

use std::any::Any;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use rmq::template::TemplateError;
use rmq::{rocketmq_listener, rocketmq_transaction_listener, Message, MessageExt};
use rmq::{RocketMqLocalTransactionListener, RocketMqLocalTransactionState as State};

/// What happened, in order: `received:<body>`, `order-exec:<body>`, `order-check:<body>`,
/// `payment-exec:<body>`.
static EVENTS: LazyLock<Mutex<Vec<String>>> = LazyLock::new(Mutex::default);

fn event(e: String) {
    EVENTS.lock().unwrap().push(e);
}

fn events(prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = EVENTS
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| e.strip_prefix(prefix).map(str::to_owned))
        .collect();
    v.sort();
    v
}

fn body(msg: &Message) -> String {
    String::from_utf8_lossy(&msg.body).into_owned()
}

#[derive(Default)]
struct OrderTx;

#[rocketmq_transaction_listener(producer_group = "fw-order-tx")]
impl RocketMqLocalTransactionListener for OrderTx {
    fn execute_local_transaction(&self, msg: &Message, arg: &(dyn Any + Send + Sync)) -> State {
        event(format!("order-exec:{}", body(msg)));
        match arg.downcast_ref::<&str>() {
            Some(&"commit") => State::Commit,
            Some(&"rollback") => State::Rollback,
            _ => State::Unknown,
        }
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> State {
        event(format!(
            "order-check:{}",
            String::from_utf8_lossy(&msg.body)
        ));
        State::Commit
    }
}

#[derive(Default)]
struct PaymentTx;

#[rocketmq_transaction_listener(producer_group = "${app.payment-group:fw-payment-tx}")]
impl RocketMqLocalTransactionListener for PaymentTx {
    fn execute_local_transaction(&self, msg: &Message, _arg: &(dyn Any + Send + Sync)) -> State {
        event(format!("payment-exec:{}", body(msg)));
        State::Commit
    }

    fn check_local_transaction(&self, _msg: &MessageExt) -> State {
        State::Rollback
    }
}

#[rocketmq_listener(topic = "fw-tx-orders", consumer_group = "fw-tx-orders-consumer")]
async fn on_order(msg: String) {
    event(format!("received:{msg}"));
}

#[rocketmq_listener(topic = "fw-tx-payments", consumer_group = "fw-tx-payments-consumer")]
async fn on_payment(msg: String) {
    event(format!("received:{msg}"));
}

async fn wait_for(what: &str, secs: u64, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            EVENTS.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transaction_listeners_bound_to_their_groups() {
    let mut embedded = rmq::broker::EmbeddedConfig::default();
    embedded.broker.transaction_check_interval = 500;
    embedded.broker.transaction_time_out = 1000;
    let app = rmq::Application::builder()
        .config_file("tests/no-such-file.yml")
        .read_env(false)
        .without_logging()
        .set("rocketmq.producer.group", "fw-order-tx")
        .embedded_broker(embedded)
        .start()
        .await
        .unwrap();
    let template = app.template();
    assert_eq!(
        template.transaction_groups(),
        ["fw-order-tx", "fw-payment-tx"]
    );
    for state in ["commit", "rollback", "unknown"] {
        let r = template
            .send_message_in_transaction("fw-tx-orders", format!("{state}-1"), &state)
            .await
            .unwrap();
        let want = match state {
            "commit" => State::Commit,
            "rollback" => State::Rollback,
            _ => State::Unknown,
        };
        assert_eq!(r.local_transaction_state, want);
    }
    let r = template
        .send_message_in_transaction_with_group("fw-payment-tx", "fw-tx-payments", "pay-1", &())
        .await
        .unwrap();
    assert_eq!(r.local_transaction_state, State::Commit);
    wait_for("the commits and the checked message", 30, || {
        events("received:") == ["commit-1", "pay-1", "unknown-1"]
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await; // a few more check rounds
    assert_eq!(events("received:"), ["commit-1", "pay-1", "unknown-1"]);
    assert_eq!(
        events("order-exec:"),
        ["commit-1", "rollback-1", "unknown-1"]
    );
    assert_eq!(events("payment-exec:"), ["pay-1"]);
    assert_eq!(events("order-check:"), ["unknown-1"]);

    let e = template
        .send_message_in_transaction_with_group("no-such-group", "fw-tx-orders", "x", &())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, TemplateError::Transaction(m) if m.contains("no-such-group") && m.contains("fw-payment-tx")),
        "{e}"
    );
    app.shutdown().await;
}
