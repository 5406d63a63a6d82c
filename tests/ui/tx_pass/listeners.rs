//! Several transaction listeners, each bound to its producer group; a default-group one; a
//! placeholder group; the client trait's name.

use std::any::Any;

use rmq::{rocketmq_transaction_listener, Message, MessageExt};
use rmq::{RocketMqLocalTransactionListener, RocketMqLocalTransactionState as State};

#[derive(Default)]
struct OrderTx;

#[rocketmq_transaction_listener(producer_group = "order-tx")]
impl RocketMqLocalTransactionListener for OrderTx {
    fn execute_local_transaction(&self, _msg: &Message, _arg: &(dyn Any + Send + Sync)) -> State {
        State::Commit
    }
    fn check_local_transaction(&self, _msg: &MessageExt) -> State {
        State::Rollback
    }
}

#[derive(Default)]
struct PaymentTx {
    _seen: std::sync::Mutex<Vec<String>>,
}

#[rocketmq_transaction_listener(producer_group = "${app.payment-group:payment-tx}")]
impl rmq::client::TransactionListener for PaymentTx {
    fn execute_local_transaction(&self, _msg: &Message, arg: &(dyn Any + Send + Sync)) -> State {
        match arg.downcast_ref::<bool>() {
            Some(true) => State::Commit,
            _ => State::Unknown,
        }
    }
    fn check_local_transaction(&self, _msg: &MessageExt) -> State {
        State::Commit
    }
}

#[derive(Default)]
struct DefaultGroupTx;

#[rocketmq_transaction_listener]
impl RocketMqLocalTransactionListener for DefaultGroupTx {
    fn execute_local_transaction(&self, _msg: &Message, _arg: &(dyn Any + Send + Sync)) -> State {
        State::Commit
    }
    fn check_local_transaction(&self, _msg: &MessageExt) -> State {
        State::Commit
    }
}

fn main() {
    let groups: Vec<&str> = rmq::listener::registered_transaction_listeners()
        .iter()
        .map(|d| d.producer_group)
        .collect();
    assert_eq!(groups.len(), 3);
    assert!(groups.contains(&"order-tx"));
    assert!(groups.contains(&""));
}
