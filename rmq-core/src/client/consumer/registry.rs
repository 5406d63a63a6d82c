//! The consumers of a client instance by group, and the server-initiated requests they
//! answer: GET_CONSUMER_RUNNING_INFO (307) and CONSUME_MESSAGE_DIRECTLY (309), as Java's
//! `ClientRemotingProcessor` does.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock, Weak};

use crate::protocol::body::{
    ConsumeMessageDirectlyResult, ConsumerRunningInfo, MessageQueue, ResetOffsetBody,
};
use crate::protocol::header::{
    ConsumeMessageDirectlyResultRequestHeader, GetConsumerRunningInfoRequestHeader,
    ResetOffsetRequestHeader,
};
use crate::protocol::message::MessageExt;
use crate::protocol::{RemotingCommand, ResponseCode};

/// A boxed, sendable future.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the registry asks of a consumer (Java's `MQConsumerInner`).
pub(crate) trait ConsumerInner: Send + Sync + 'static {
    /// Settings, subscriptions and per-queue state.
    fn running_info(&self) -> BoxFuture<'_, ConsumerRunningInfo>;
    /// Hands one message to the listener; `None` when this consumer has no listener.
    fn consume_message_directly(
        &self,
        msg: MessageExt,
        broker_name: Option<String>,
    ) -> BoxFuture<'_, Option<ConsumeMessageDirectlyResult>>;
    /// RESET_CONSUMER_CLIENT_OFFSET: restart `topic`'s queues from `table`'s offsets; false
    /// when this kind of consumer does not support it.
    fn reset_offset(
        &self,
        _topic: String,
        _table: std::collections::BTreeMap<MessageQueue, i64>,
    ) -> BoxFuture<'_, bool> {
        Box::pin(async { false })
    }
}

/// The consumers of one client instance, by consumer group as it goes on the wire
/// (namespaced). A consumer registers on start and unregisters on shutdown.
#[derive(Default)]
pub struct ConsumerRegistry {
    table: RwLock<HashMap<String, Weak<dyn ConsumerInner>>>,
}

impl std::fmt::Debug for ConsumerRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerRegistry")
            .field("groups", &self.groups())
            .finish()
    }
}

fn not_here(req: &RemotingCommand, group: &str) -> RemotingCommand {
    req.error_to(
        ResponseCode::SystemError,
        format!("The Consumer Group <{group}> not exist in this consumer"),
    )
}

impl ConsumerRegistry {
    pub(crate) fn register(&self, group: &str, consumer: Weak<dyn ConsumerInner>) {
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(group.to_owned(), consumer);
    }

    pub(crate) fn unregister(&self, group: &str) {
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(group);
    }

    /// The registered groups (wire names), sorted.
    pub fn groups(&self) -> Vec<String> {
        let mut g: Vec<String> = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, c)| c.strong_count() > 0)
            .map(|(g, _)| g.clone())
            .collect();
        g.sort();
        g
    }

    fn get(&self, group: &str) -> Option<Arc<dyn ConsumerInner>> {
        self.table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(group)
            .and_then(Weak::upgrade)
    }

    /// Answers GET_CONSUMER_RUNNING_INFO: the group's `ConsumerRunningInfo` (fastjson form),
    /// or SYSTEM_ERROR when the group has no consumer here.
    pub async fn get_consumer_running_info(&self, req: &RemotingCommand) -> RemotingCommand {
        let h = match req.decode_header::<GetConsumerRunningInfoRequestHeader>() {
            Ok(h) => h,
            Err(e) => return req.error_to(ResponseCode::SystemError, e.to_string()),
        };
        let Some(consumer) = self.get(&h.consumer_group) else {
            return not_here(req, &h.consumer_group);
        };
        let info = consumer.running_info().await;
        tracing::debug!(group = %h.consumer_group, queues = info.mq_table.len(), "running info requested");
        req.success_to().with_body(info.encode())
    }

    /// Answers CONSUME_MESSAGE_DIRECTLY: decodes the message (stored layout), hands it to the
    /// group's listener and returns a `ConsumeMessageDirectlyResult`.
    pub async fn consume_message_directly(&self, req: &RemotingCommand) -> RemotingCommand {
        let h = match req.decode_header::<ConsumeMessageDirectlyResultRequestHeader>() {
            Ok(h) => h,
            Err(e) => return req.error_to(ResponseCode::SystemError, e.to_string()),
        };
        let msg = match MessageExt::decode_all(&req.body) {
            Ok(mut msgs) if !msgs.is_empty() => msgs.swap_remove(0),
            Ok(_) => {
                return req.error_to(ResponseCode::SystemError, "no message in the request body")
            }
            Err(e) => {
                return req.error_to(
                    ResponseCode::SystemError,
                    format!("cannot decode the message: {e}"),
                )
            }
        };
        let Some(consumer) = self.get(&h.consumer_group) else {
            return not_here(req, &h.consumer_group);
        };
        match consumer
            .consume_message_directly(msg, h.broker_name.clone())
            .await
        {
            Some(result) => match serde_json::to_vec(&result) {
                Ok(body) => req.success_to().with_body(body),
                Err(e) => req.error_to(ResponseCode::SystemError, e.to_string()),
            },
            None => not_here(req, &h.consumer_group),
        }
    }

    /// Handles RESET_CONSUMER_CLIENT_OFFSET (oneway, no answer): the group's consumer here
    /// restarts the topic's queues from the offsets in the body.
    pub async fn reset_offset(&self, req: &RemotingCommand) {
        let h = match req.decode_header::<ResetOffsetRequestHeader>() {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "invalid reset-offset request");
                return;
            }
        };
        let body = match ResetOffsetBody::decode(&req.body) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, group = %h.group, "invalid reset-offset body");
                return;
            }
        };
        let Some(consumer) = self.get(&h.group) else {
            tracing::debug!(group = %h.group, "reset offset for a group not consuming here");
            return;
        };
        let table = body
            .offset_table
            .into_iter()
            .filter(|(mq, _)| mq.topic == h.topic)
            .collect();
        if !consumer.reset_offset(h.topic.clone(), table).await {
            tracing::warn!(group = %h.group, topic = %h.topic, "this consumer cannot reset its offsets");
        }
    }
}
