//! The per-queue long-polling pull loop and the listener calls it makes.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::offset_store::broker_of;
use super::push::{Listener, PushInner};
use super::{
    ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, MessageListenerConcurrently,
    MessageListenerOrderly,
};
use crate::protocol::body::{MessageModel, MessageQueue, SubscriptionData};
use crate::protocol::header::*;
use crate::protocol::message::{keys, MessageExt};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Pause after a failed pull.
const PULL_ERROR_BACKOFF: Duration = Duration::from_secs(3);

pub(super) fn pull_request(
    inner: &PushInner,
    mq: &MessageQueue,
    offset: i64,
    sub: &SubscriptionData,
) -> RemotingCommand {
    let clustering = inner.config.message_model == MessageModel::Clustering;
    let commit = inner.offsets.get(mq).filter(|_| clustering);
    let mut sys_flag = PULL_FLAG_SUSPEND | PULL_FLAG_SUBSCRIPTION;
    if commit.is_some() {
        sys_flag |= PULL_FLAG_COMMIT_OFFSET;
    }
    RemotingCommand::request_with_header(
        RequestCode::PullMessage,
        &PullMessageRequestHeader {
            consumer_group: inner.config.consumer_group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_msg_nums: inner.config.pull_batch_size,
            sys_flag,
            commit_offset: commit.unwrap_or(0),
            suspend_timeout_millis: inner.config.broker_suspend_max_time.as_millis() as i64,
            subscription: Some(sub.sub_string.clone()),
            sub_version: sub.sub_version,
            expression_type: Some("TAG".into()),
            max_msg_bytes: None,
        },
    )
}

pub(super) async fn pull_loop(
    inner: Arc<PushInner>,
    mq: MessageQueue,
    mut offset: i64,
    cancel: CancellationToken,
) {
    let timeout = inner.config.broker_suspend_max_time + Duration::from_secs(15);
    while !cancel.is_cancelled() {
        let Some(sub) = inner.subscription(&mq.topic) else {
            return;
        };
        let addr = match broker_of(&inner.instance, &mq).await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(queue = %mq, error = %e, "no broker for queue");
                backoff(&cancel).await;
                continue;
            }
        };
        let req = pull_request(&inner, &mq, offset, &sub);
        let resp = tokio::select! {
            _ = cancel.cancelled() => return,
            r = inner.instance.remoting().invoke(&addr, req, timeout) => r,
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(queue = %mq, error = %e, "pull failed");
                backoff(&cancel).await;
                continue;
            }
        };
        let header = resp.decode_header::<PullMessageResponseHeader>().ok();
        let next = header.as_ref().map(|h| h.next_begin_offset);
        match ResponseCode::from_code(resp.code) {
            Some(ResponseCode::Success) => {
                let msgs = match MessageExt::decode_all(&resp.body) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(queue = %mq, error = %e, "undecodable pull body");
                        backoff(&cancel).await;
                        continue;
                    }
                };
                let msgs: Vec<MessageExt> = msgs
                    .into_iter()
                    .filter(|m| sub.matches_tag(m.tags()))
                    .map(restore_retry_topic)
                    .collect();
                match &inner.listener {
                    Listener::Concurrently(l) => consume(&inner, l, &addr, msgs).await,
                    Listener::Orderly(l) => {
                        if !consume_orderly(&inner, l, &mq, msgs, &cancel).await {
                            return;
                        }
                    }
                }
                if let Some(n) = next {
                    offset = n;
                    inner.offsets.update(&mq, n);
                }
            }
            Some(ResponseCode::PullNotFound) | Some(ResponseCode::PullRetryImmediately) => {
                if let Some(n) = next {
                    offset = n;
                }
            }
            Some(ResponseCode::PullOffsetMoved) => {
                if let Some(n) = next {
                    tracing::warn!(queue = %mq, from = offset, to = n, "pull offset moved");
                    offset = n;
                    inner.offsets.update(&mq, n);
                }
            }
            _ => {
                tracing::debug!(queue = %mq, code = resp.code, remark = resp.remark_str(), "pull refused");
                backoff(&cancel).await;
            }
        }
    }
}

pub(super) async fn backoff(cancel: &CancellationToken) {
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = tokio::time::sleep(PULL_ERROR_BACKOFF) => {}
    }
}

/// A message from `%RETRY%<group>` is shown with its original topic.
pub(super) fn restore_retry_topic(mut m: MessageExt) -> MessageExt {
    if m.topic.starts_with("%RETRY%") {
        if let Some(t) = m.property(keys::RETRY_TOPIC).map(str::to_owned) {
            m.topic = t;
        }
    }
    m
}

/// Runs the listener over `msgs` in batches, at most `consume_thread_max` at once, and sends
/// failed messages back (clustering). Returns when every batch is done.
pub(super) async fn consume(
    inner: &Arc<PushInner>,
    listener: &Arc<dyn MessageListenerConcurrently>,
    broker_addr: &str,
    msgs: Vec<MessageExt>,
) {
    let batch = inner.config.consume_message_batch_max_size.max(1);
    let mut running = Vec::new();
    let mut msgs = msgs.into_iter().peekable();
    while msgs.peek().is_some() {
        let chunk: Vec<MessageExt> = msgs.by_ref().take(batch).collect();
        let Ok(permit) = inner.permits.clone().acquire_owned().await else {
            return;
        };
        let inner = inner.clone();
        let listener = listener.clone();
        let addr = broker_addr.to_owned();
        running.push(tokio::spawn(async move {
            let _permit = permit;
            let status = listener.consume_message(chunk.clone()).await;
            if status == ConsumeConcurrentlyStatus::ConsumeSuccess
                || inner.config.message_model == MessageModel::Broadcasting
            {
                return;
            }
            for m in &chunk {
                if let Err(e) = inner.send_back(m, &addr).await {
                    tracing::warn!(msg_id = %m.msg_id(), error = %e, "send back failed; consuming again locally");
                    // Keep the message: hand it to the listener once more before moving on.
                    let _ = listener.consume_message(vec![m.clone()]).await;
                }
            }
        }));
    }
    for r in running {
        let _ = r.await;
    }
}

/// Hands a queue's messages to the orderly listener one at a time; a suspended message is
/// retried after `suspend_current_queue_time_millis`. False when cancelled mid-way (the
/// offset stays before the unconsumed message).
pub(super) async fn consume_orderly(
    inner: &Arc<PushInner>,
    listener: &Arc<dyn MessageListenerOrderly>,
    mq: &MessageQueue,
    msgs: Vec<MessageExt>,
    cancel: &CancellationToken,
) -> bool {
    let pause = Duration::from_millis(inner.config.suspend_current_queue_time_millis);
    for m in msgs {
        let next = m.queue_offset + 1;
        loop {
            let Ok(_permit) = inner.permits.acquire().await else {
                return false;
            };
            if listener.consume_message(m.clone()).await == ConsumeOrderlyStatus::Success {
                break;
            }
            drop(_permit);
            tokio::select! {
                _ = cancel.cancelled() => return false,
                _ = tokio::time::sleep(pause) => {}
            }
        }
        inner.offsets.update(mq, next);
    }
    true
}
