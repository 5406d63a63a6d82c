//! Transactional sends through the template (rocketmq-spring's
//! `RocketMQTemplate.sendMessageInTransaction`), with one transaction producer — and so one
//! local-transaction listener — per producer group.
//!
//! rocketmq-spring binds one listener to one template. Here a template holds any number of
//! transaction producers, one per group: [`RocketMqTemplate::send_message_in_transaction`]
//! uses the one of the template's own producer group (or the only one there is), and
//! [`RocketMqTemplate::send_message_in_transaction_with_group`] names the group.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::RwLock;

use super::{build, IntoPayload, RocketMqTemplate, TemplateError};
use crate::client::{TransactionMqProducer, TransactionSendResult};

/// The transaction producers of a template by producer group.
#[derive(Default)]
pub(super) struct TransactionProducers {
    by_group: RwLock<BTreeMap<String, TransactionMqProducer>>,
}

impl RocketMqTemplate {
    /// Adds a (started) transaction producer; its producer group picks it in
    /// [`send_message_in_transaction_with_group`](Self::send_message_in_transaction_with_group).
    /// A second producer for a group already served is refused.
    pub fn add_transaction_producer(
        &self,
        producer: TransactionMqProducer,
    ) -> Result<(), TemplateError> {
        let group = producer.producer().config().producer_group.clone();
        let mut all = self
            .inner
            .transactions
            .by_group
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if all.contains_key(&group) {
            return Err(TemplateError::Transaction(format!(
                "producer group {group} already has a transaction listener"
            )));
        }
        all.insert(group, producer);
        Ok(())
    }

    /// The producer groups that have a transaction listener.
    pub fn transaction_groups(&self) -> Vec<String> {
        self.inner
            .transactions
            .by_group
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// The transaction producer of `group`.
    pub fn transaction_producer(&self, group: &str) -> Option<TransactionMqProducer> {
        self.inner
            .transactions
            .by_group
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(group)
            .cloned()
    }

    /// Sends `payload` to `destination` (`topic` or `topic:tag`) as a half message, runs the
    /// local transaction of the listener of the template's producer group (or of the only
    /// transaction listener there is) with `arg`, and commits or rolls back with its outcome
    /// (`sendMessageInTransaction`).
    ///
    /// # Errors
    /// No listener for the template's group while there are several (name one with
    /// [`send_message_in_transaction_with_group`](Self::send_message_in_transaction_with_group)),
    /// none at all, a bad destination or payload, or a failed half send.
    pub async fn send_message_in_transaction(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        arg: &(dyn Any + Send + Sync),
    ) -> Result<TransactionSendResult, TemplateError> {
        let own = &self.inner.producer.config().producer_group;
        let producer = {
            let all = self
                .inner
                .transactions
                .by_group
                .read()
                .unwrap_or_else(|e| e.into_inner());
            match all.get(own) {
                Some(p) => p.clone(),
                None if all.len() == 1 => all.values().next().cloned().ok_or_else(|| {
                    TemplateError::Transaction("no transaction listener".into())
                })?,
                None => {
                    return Err(TemplateError::Transaction(format!(
                        "no transaction listener for the template's producer group {own}; \
                         registered groups: {:?} (name one with send_message_in_transaction_with_group)",
                        all.keys().collect::<Vec<_>>()
                    )))
                }
            }
        };
        let msg = build(destination, payload)?;
        Ok(producer.send_message_in_transaction(&msg, arg).await?)
    }

    /// [`send_message_in_transaction`](Self::send_message_in_transaction) through the
    /// transaction listener of producer group `group`.
    ///
    /// # Errors
    /// No transaction listener for `group`, a bad destination or payload, a failed half send.
    pub async fn send_message_in_transaction_with_group(
        &self,
        group: &str,
        destination: &str,
        payload: impl IntoPayload,
        arg: &(dyn Any + Send + Sync),
    ) -> Result<TransactionSendResult, TemplateError> {
        let producer = self.transaction_producer(group).ok_or_else(|| {
            TemplateError::Transaction(format!(
                "no transaction listener for producer group {group}; registered groups: {:?}",
                self.transaction_groups()
            ))
        })?;
        let msg = build(destination, payload)?;
        Ok(producer.send_message_in_transaction(&msg, arg).await?)
    }

    /// Shuts the transaction producers down (they stop answering checks).
    pub async fn shutdown_transaction_producers(&self) {
        let all: Vec<TransactionMqProducer> = self
            .inner
            .transactions
            .by_group
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for p in all {
            p.shutdown().await;
        }
    }
}
