//! `DefaultLitePullConsumer` (assign mode): the application picks queues, polls, seeks and
//! commits. Offsets are committed to the brokers (`commit`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::select_all;
use tokio::sync::Mutex;

use super::offset_store::broker_of;
use super::RemoteOffsetStore;
use crate::client::{ClientConfig, ClientError, ClientInstance};
use crate::protocol::body::{MessageQueue, PERM_READ};
use crate::protocol::header::*;
use crate::protocol::message::MessageExt;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// A pull consumer whose queues are assigned by the application.
#[derive(Debug)]
pub struct DefaultLitePullConsumer {
    instance: Arc<ClientInstance>,
    group: String,
    pull_batch_size: i32,
    /// Next offset to pull per assigned queue.
    assigned: Mutex<BTreeMap<MessageQueue, i64>>,
    offsets: RemoteOffsetStore,
}

impl DefaultLitePullConsumer {
    /// A consumer of `group` (offsets are kept per group).
    pub fn new(client: ClientConfig, group: &str) -> Result<Self, ClientError> {
        Ok(DefaultLitePullConsumer {
            instance: ClientInstance::new(client)?,
            group: group.to_owned(),
            pull_batch_size: 32,
            assigned: Mutex::new(BTreeMap::new()),
            offsets: RemoteOffsetStore::new(group),
        })
    }

    /// The readable queues of a topic.
    pub async fn fetch_message_queues(
        &self,
        topic: &str,
    ) -> Result<Vec<MessageQueue>, ClientError> {
        let route = self.instance.fetch_route(topic).await?;
        let mut out: Vec<MessageQueue> = route
            .queue_datas
            .iter()
            .filter(|q| q.perm & PERM_READ != 0)
            .flat_map(|q| {
                (0..q.read_queue_nums)
                    .map(move |i| MessageQueue::new(topic, q.broker_name.clone(), i))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Takes these queues, each starting at the group's committed offset (0 when none).
    pub async fn assign(&self, queues: Vec<MessageQueue>) -> Result<(), ClientError> {
        let mut assigned = BTreeMap::new();
        for mq in queues {
            let start = self
                .offsets
                .fetch(&self.instance, &mq)
                .await?
                .unwrap_or(0)
                .max(0);
            assigned.insert(mq, start);
        }
        *self.assigned.lock().await = assigned;
        Ok(())
    }

    /// Moves an assigned queue to `offset`.
    pub async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<(), ClientError> {
        match self.assigned.lock().await.get_mut(mq) {
            Some(o) => {
                *o = offset;
                Ok(())
            }
            None => Err(ClientError::Config(format!("queue {mq} is not assigned"))),
        }
    }

    async fn pull_one(
        &self,
        mq: MessageQueue,
        offset: i64,
        hold: Duration,
    ) -> Result<(MessageQueue, i64, Vec<MessageExt>), ClientError> {
        let addr = broker_of(&self.instance, &mq).await?;
        let req = RemotingCommand::request_with_header(
            RequestCode::PullMessage,
            &PullMessageRequestHeader {
                consumer_group: self.group.clone(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                queue_offset: offset,
                max_msg_nums: self.pull_batch_size,
                sys_flag: PULL_FLAG_SUBSCRIPTION
                    | PULL_FLAG_LITE_PULL
                    | if hold.is_zero() { 0 } else { PULL_FLAG_SUSPEND },
                commit_offset: 0,
                suspend_timeout_millis: hold.as_millis() as i64,
                subscription: Some("*".into()),
                sub_version: 0,
                expression_type: Some("TAG".into()),
                max_msg_bytes: None,
            },
        );
        let resp = self
            .instance
            .remoting()
            .invoke(&addr, req, hold + self.instance.api_timeout())
            .await?;
        let next = resp
            .decode_header::<PullMessageResponseHeader>()
            .map_or(offset, |h| h.next_begin_offset);
        match ResponseCode::from_code(resp.code) {
            Some(ResponseCode::Success) => {
                let msgs = MessageExt::decode_all(&resp.body).map_err(|e| ClientError::Decode {
                    what: "pull body",
                    detail: e.to_string(),
                })?;
                Ok((mq, next, msgs))
            }
            Some(
                ResponseCode::PullNotFound
                | ResponseCode::PullRetryImmediately
                | ResponseCode::PullOffsetMoved,
            ) => Ok((mq, next, Vec::new())),
            _ => Err(ClientError::Broker {
                addr,
                code: resp.code,
                remark: resp.remark_str().to_owned(),
            }),
        }
    }

    /// Returns the messages that arrive on any assigned queue within `timeout` (possibly none).
    /// Every assigned queue is long-polled at once; the first answer with messages wins.
    pub async fn poll(&self, timeout: Duration) -> Result<Vec<MessageExt>, ClientError> {
        let deadline = Instant::now() + timeout;
        loop {
            let queues: Vec<(MessageQueue, i64)> = self
                .assigned
                .lock()
                .await
                .iter()
                .map(|(q, o)| (q.clone(), *o))
                .collect();
            if queues.is_empty() {
                return Ok(Vec::new());
            }
            let hold = deadline.saturating_duration_since(Instant::now());
            let mut pending: Vec<_> = queues
                .into_iter()
                .map(|(q, o)| Box::pin(self.pull_one(q, o, hold)))
                .collect();
            while !pending.is_empty() {
                let (result, _, rest) = select_all(pending).await;
                pending = rest;
                let (mq, next, msgs) = result?;
                let mut assigned = self.assigned.lock().await;
                if let Some(o) = assigned.get_mut(&mq) {
                    *o = next;
                }
                if !msgs.is_empty() {
                    if let Some(last) = msgs.last() {
                        self.offsets.update(&mq, last.queue_offset + 1);
                    }
                    return Ok(msgs);
                }
            }
            if Instant::now() >= deadline {
                return Ok(Vec::new());
            }
        }
    }

    /// Commits the offsets of everything polled so far.
    pub async fn commit(&self) {
        self.offsets.persist_all(&self.instance).await;
    }

    /// Commits and closes the connections.
    pub async fn shutdown(&self) {
        self.commit().await;
        self.instance.remoting().close_all().await;
    }
}
