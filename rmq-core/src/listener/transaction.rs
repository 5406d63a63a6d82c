//! What `#[rocketmq_transaction_listener]` records: one transaction listener per producer
//! group, each answering the local transactions and checks of the template's
//! `send_message_in_transaction` calls for that group.

use std::sync::Arc;

pub use crate::client::{
    LocalTransactionState as RocketMqLocalTransactionState,
    TransactionListener as RocketMqLocalTransactionListener,
};

/// Builds the listener instance (the type's `Default`).
pub type TransactionListenerFactory = fn() -> Arc<dyn RocketMqLocalTransactionListener>;

/// One `#[rocketmq_transaction_listener]` implementation, as registered at compile time.
#[derive(Debug)]
pub struct TransactionListenerDefinition {
    /// The implementing type, as written.
    pub name: &'static str,
    /// `module_path!()` where the impl is.
    pub module_path: &'static str,
    /// The producer group it serves (may hold `${..}` placeholders); empty: the template's
    /// producer group (`rocketmq.producer.group`).
    pub producer_group: &'static str,
    /// Builds the listener.
    pub make: TransactionListenerFactory,
}

impl TransactionListenerDefinition {
    /// `module::Type`, how logs and errors name the listener.
    pub fn qualified_name(&self) -> String {
        format!("{}::{}", self.module_path, self.name)
    }
}

inventory::collect!(TransactionListenerDefinition);

/// Every transaction listener registered in this binary, in a stable order.
pub fn registered_transaction_listeners() -> Vec<&'static TransactionListenerDefinition> {
    let mut all: Vec<&'static TransactionListenerDefinition> =
        inventory::iter::<TransactionListenerDefinition>
            .into_iter()
            .collect();
    all.sort_by(|a, b| (a.module_path, a.name).cmp(&(b.module_path, b.name)));
    all
}
