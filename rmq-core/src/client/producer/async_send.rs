//! Async sends: a callback or a future, without a task per message.
//!
//! When the topic's route is cached and the broker's connection is open, the request is
//! queued on the connection at once and its response handled by a callback on the pending
//! table (Java's `invokeAsync`); only a send that must first look up a route or connect, or
//! an attempt that failed and is retried, runs on a task.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::sync::oneshot;

use super::{DefaultMqProducer, Prepared};
use crate::client::publish::TopicPublishInfo;
use crate::client::{ClientError, SendResult};
use crate::protocol::message::Message;
use crate::remoting::RemotingError;

/// The result of [`DefaultMqProducer::send_async`]: the send is under way whether or not
/// this is awaited; dropping it does not cancel the send.
#[derive(Debug)]
pub struct SendFuture {
    rx: oneshot::Receiver<Result<SendResult, ClientError>>,
}

impl Future for SendFuture {
    type Output = Result<SendResult, ClientError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx).poll(cx).map(|r| {
            r.unwrap_or_else(|_| {
                Err(ClientError::Remoting(RemotingError::ChannelClosed(
                    "the send was dropped before it completed (runtime shut down)".into(),
                )))
            })
        })
    }
}

type Callback = Box<dyn FnOnce(Result<SendResult, ClientError>) + Send>;

impl DefaultMqProducer {
    /// Starts a send (retried `retry_times_when_send_async_failed` times within
    /// `send_msg_timeout`); await the returned future for the result.
    pub fn send_async(&self, msg: Message) -> SendFuture {
        let (tx, rx) = oneshot::channel();
        self.send_async_with_callback(msg, move |r| {
            let _ = tx.send(r);
        });
        SendFuture { rx }
    }

    /// Starts a send and calls `callback` with the outcome. The callback usually runs on
    /// the connection's reader, which reads no other response meanwhile: keep it short
    /// (hand heavy work to a channel or a task).
    pub fn send_async_with_callback<F>(&self, msg: Message, callback: F)
    where
        F: FnOnce(Result<SendResult, ClientError>) + Send + 'static,
    {
        let started = Instant::now();
        let p = match self.prepare(&msg) {
            Ok(p) => p,
            Err(e) => return callback(Err(e)),
        };
        let retries = self.inner.config.retry_times_when_send_async_failed;
        match self.inner.publish.cached(&p.topic) {
            Some(info) => self.attempt_async(p, info, retries, started, Box::new(callback)),
            None => {
                let producer = self.clone();
                tokio::spawn(async move {
                    let r = match producer.publish_info(&p.topic, started).await {
                        Ok(info) => producer.send_default(&p, &info, retries, started).await,
                        Err(e) => Err(e),
                    };
                    callback(r);
                });
            }
        }
    }

    /// One attempt through the connection's callback table when the connection is open;
    /// otherwise (and for every retry) the task-based path.
    fn attempt_async(
        &self,
        p: Prepared,
        info: Arc<TopicPublishInfo>,
        retries: u32,
        started: Instant,
        callback: Callback,
    ) {
        let timeout = self.inner.config.send_msg_timeout;
        let begin = Instant::now();
        let remaining = timeout.saturating_sub(begin - started);
        let mq = info.queues[self.inner.fault.select(&info.queues, &info.counter, None)].clone();
        let channel = info
            .master(&mq.broker_name)
            .and_then(|addr| Some((addr, self.inner.instance.remoting().open_channel(addr)?)));
        let Some((addr, channel)) = channel.filter(|_| !remaining.is_zero()) else {
            let producer = self.clone();
            tokio::spawn(async move {
                callback(producer.send_default(&p, &info, retries, started).await);
            });
            return;
        };
        let addr = addr.to_owned();
        let req = self.wire_request(&p, &mq);
        let producer = self.clone();
        channel.invoke_with_callback(
            req,
            remaining,
            Box::new(move |resp| {
                let latency = begin.elapsed();
                let outcome = resp
                    .map_err(ClientError::from)
                    .and_then(|resp| producer.send_result(&addr, resp, &mq, p.msg_id.clone()));
                let e = match outcome {
                    Ok(r) => {
                        producer.inner.fault.update(&mq.broker_name, latency, false);
                        return callback(Ok(r));
                    }
                    Err(e) => e,
                };
                let retry = producer.failed_attempt(&e, &mq.broker_name, latency, &p.topic);
                tracing::debug!(error = %e, queue = %mq, retry, "async send failed");
                if !retry || retries == 0 || started.elapsed() >= timeout {
                    return callback(Err(e));
                }
                tokio::spawn(async move {
                    let r = producer
                        .send_default_within(
                            &p,
                            &info,
                            retries - 1,
                            started,
                            timeout,
                            Some(&mq.broker_name),
                        )
                        .await;
                    callback(r);
                });
            }),
        );
    }
}
