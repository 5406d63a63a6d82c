//! CHECK_TRANSACTION_STATE (broker → producer, oneway): find the transaction producer of the
//! message's group, ask its listener, answer with END_TRANSACTION (`fromTransactionCheck`)
//! on the connection the check came on (Java's `ClientRemotingProcessor.checkTransactionState`).

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{RwLock, Weak};

use super::{Inner, LocalTransactionState};
use crate::client::unwrap_namespace;
use crate::protocol::header::{CheckTransactionStateRequestHeader, EndTransactionRequestHeader};
use crate::protocol::message::{decode_record, keys, MessageExt};
use crate::protocol::{RemotingCommand, RequestCode};
use crate::remoting::Channel;

/// The transaction producers of a client instance by (wire) producer group.
#[derive(Default)]
pub struct TransactionCheckers {
    by_group: RwLock<HashMap<String, Weak<Inner>>>,
}

impl std::fmt::Debug for TransactionCheckers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let groups: Vec<String> = self
            .by_group
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        f.debug_struct("TransactionCheckers")
            .field("groups", &groups)
            .finish()
    }
}

impl TransactionCheckers {
    pub(super) fn register(&self, group: &str, producer: Weak<Inner>) {
        self.by_group
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(group.to_owned(), producer);
    }

    pub(super) fn unregister(&self, group: &str) {
        self.by_group
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(group);
    }

    /// Handles one CHECK_TRANSACTION_STATE: the answer goes out later, as END_TRANSACTION.
    pub fn handle(&self, channel: Channel, request: &RemotingCommand) {
        let header: CheckTransactionStateRequestHeader = match request.decode_header() {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "invalid CHECK_TRANSACTION_STATE header");
                return;
            }
        };
        let mut msg = match decode_record(&request.body, false)
            .map_err(|e| e.to_string())
            .and_then(|v| MessageExt::from_view(&v).map_err(|e| e.to_string()))
        {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "invalid CHECK_TRANSACTION_STATE body");
                return;
            }
        };
        let Some(group) = msg.property(keys::PRODUCER_GROUP).map(str::to_owned) else {
            tracing::warn!("transaction check without a producer group");
            return;
        };
        let producer = self
            .by_group
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&group)
            .and_then(Weak::upgrade);
        let Some(producer) = producer else {
            tracing::debug!(%group, "transaction check for a group without a producer here");
            return;
        };
        msg.topic = unwrap_namespace(producer.producer.namespace(), &msg.topic);
        tokio::spawn(async move {
            let listener = producer.listener.clone();
            let checked = tokio::task::spawn_blocking(move || {
                let state = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    listener.check_local_transaction(&msg)
                }));
                (msg, state)
            })
            .await;
            let Ok((msg, state)) = checked else {
                return;
            };
            let (state, remark) = match state {
                Ok(s) => (s, None),
                Err(_) => (
                    LocalTransactionState::Unknown,
                    Some("checkLocalTransaction panicked".to_owned()),
                ),
            };
            let uniq = msg
                .property(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
                .map(str::to_owned)
                .unwrap_or_else(|| msg.offset_msg_id());
            let end = EndTransactionRequestHeader {
                topic: header.topic.clone(),
                producer_group: producer.producer.wire_group().to_owned(),
                tran_state_table_offset: header.tran_state_table_offset,
                commit_log_offset: header.commit_log_offset,
                commit_or_rollback: state.commit_or_rollback(),
                from_transaction_check: Some(true),
                msg_id: uniq,
                transaction_id: header.transaction_id.clone(),
                broker_name: header.broker_name.clone(),
            };
            let mut req = RemotingCommand::request_with_header(RequestCode::EndTransaction, &end);
            req.remark = remark;
            tracing::debug!(
                ?state,
                offset = header.tran_state_table_offset,
                "answering a transaction check"
            );
            if let Err(e) = channel.invoke_oneway(req).await {
                tracing::warn!(error = %e, "answering a transaction check failed");
            }
        });
    }
}
