use std::any::Any;

use rmq::{rocketmq_transaction_listener, Message, MessageExt};
use rmq::{RocketMqLocalTransactionListener, RocketMqLocalTransactionState as State};

#[derive(Default)]
struct OrderTx;

#[rocketmq_transaction_listener(producer_group = "${app.tx-group")]
impl RocketMqLocalTransactionListener for OrderTx {
    fn execute_local_transaction(&self, _msg: &Message, _arg: &(dyn Any + Send + Sync)) -> State {
        State::Commit
    }
    fn check_local_transaction(&self, _msg: &MessageExt) -> State {
        State::Commit
    }
}

fn main() {}
