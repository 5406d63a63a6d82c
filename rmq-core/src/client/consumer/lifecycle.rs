//! What both consumers do when they start and shut down: registering with the client
//! instance (which then routes GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY to
//! them), fetching the routes of their topics, keeping and joining their service task, and
//! closing.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Mutex, Weak};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::base::ConsumerBase;
use super::registry::ConsumerInner;
use crate::client::ClientError;
use crate::clock::now_ms;

/// Where a consumer is in its life (Java's `ServiceState`): created, started, shut down.
#[derive(Default)]
pub(super) struct Lifecycle {
    /// `start` was called.
    started: AtomicBool,
    /// Fires on shutdown: ends every task of the consumer.
    pub(super) cancel: CancellationToken,
    /// When the background work started (ms), for the running info.
    start_ms: AtomicI64,
}

impl Lifecycle {
    /// Java's `start` of both consumers (`DefaultMQPushConsumerImpl`,
    /// `DefaultLitePullConsumerImpl`): only a consumer in `CREATE_JUST` starts; a second
    /// `start`, also one after `shutdown`, is an error ("The PushConsumer / PullConsumer
    /// service state not OK, maybe started once").
    pub(super) fn claim_start(&self, group: &str) -> Result<(), ClientError> {
        if self.started.swap(true, Ordering::AcqRel) || self.cancel.is_cancelled() {
            return Err(ClientError::Config(format!(
                "the consumer of group {group} is not in its created state, maybe started \
                 once (or shut down)"
            )));
        }
        Ok(())
    }

    /// The background work starts now.
    pub(super) fn stamp_start(&self) {
        self.start_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// When the background work started (ms; 0: not yet).
    pub(super) fn start_ms(&self) -> i64 {
        self.start_ms.load(Ordering::Relaxed)
    }
}

/// The service task of a started consumer.
#[derive(Default)]
pub(super) struct ServiceTask(Mutex<Option<JoinHandle<()>>>);

impl ServiceTask {
    /// Keeps the task `start` spawned.
    pub(super) fn set(&self, task: JoinHandle<()>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
    }

    /// Waits for the task to end (the consumer's token was cancelled).
    pub(super) async fn join(&self) {
        let task = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = task {
            let _ = t.await;
        }
    }
}

/// Registers `consumer` for its group with the client instance and fetches the routes of the
/// subscribed topics (a topic without one yet is picked up by a later rebalance).
pub(super) async fn register(base: &ConsumerBase, consumer: Weak<dyn ConsumerInner>) {
    base.instance
        .consumers()
        .register(&base.wire_group, consumer);
    for topic in base.topics() {
        if let Err(e) = base.instance.fetch_route(&topic).await {
            tracing::debug!(%topic, error = %e, "no route yet");
        }
    }
}

/// The end of `shutdown`: no longer answers for the group, closes the connections.
pub(super) async fn close(base: &ConsumerBase) {
    base.instance.consumers().unregister(&base.wire_group);
    base.instance.remoting().close_all().await;
}

/// The `Debug` of a consumer: its type and group.
pub(super) fn debug_consumer(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    group: &str,
) -> std::fmt::Result {
    f.debug_struct(name)
        .field("group", &group)
        .finish_non_exhaustive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_start_claims_the_consumer() {
        let life = Lifecycle::default();
        assert!(life.claim_start("g").is_ok());
        assert!(matches!(
            life.claim_start("g"),
            Err(ClientError::Config(m)) if m.contains("maybe started once")
        ));
        // Never started, but shut down (an assigned lite pull consumer): no start either.
        let life = Lifecycle::default();
        life.cancel.cancel();
        assert!(life.claim_start("g").is_err());
    }
}
