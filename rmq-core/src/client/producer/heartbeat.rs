//! A producer announces itself to the brokers, as Java's client does: a HEART_BEAT naming its
//! group to every master it knows, once it has learnt a route and every [`REGISTER_REFRESH`]
//! (or the interval its owner set, e.g. a transaction producer's `heartbeat_broker_interval`)
//! after that. Brokers then list it among the group's producer connections (`mqadmin
//! producerConnection`, the dashboard), find its connection for request-reply, and ask it
//! to check transactions. One periodic task per producer: whoever wraps a producer drives
//! this machinery rather than sending heartbeats of its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::{DefaultMqProducer, Inner};
use crate::client::publish::AUTO_CREATE_TOPIC_KEY_TOPIC;
use crate::protocol::body::{HeartbeatData, ProducerData};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// How often a producer announces itself by default (the broker forgets a producer silent
/// for `channelExpiredTimeout`, 120 s by default).
pub const REGISTER_REFRESH: Duration = Duration::from_secs(30);

/// The heartbeat state of one producer.
#[derive(Debug)]
pub(super) struct Heartbeat {
    /// The brokers this producer registered with: address → (connection id, when).
    registered: Mutex<HashMap<String, (u64, Instant)>>,
    /// The period of the heartbeat, in milliseconds.
    every_ms: AtomicU64,
    /// Each periodic round first refreshes the `TBW102` route (new masters hear of us).
    follow_default_route: AtomicBool,
    /// The periodic task, once started.
    task: Mutex<Option<JoinHandle<()>>>,
    /// `shutdown` was called: no more heartbeats.
    closed: AtomicBool,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat {
            registered: Mutex::default(),
            every_ms: AtomicU64::new(millis(REGISTER_REFRESH)),
            follow_default_route: AtomicBool::new(false),
            task: Mutex::new(None),
            closed: AtomicBool::new(false),
        }
    }
}

impl Heartbeat {
    fn every(&self) -> Duration {
        Duration::from_millis(self.every_ms.load(Ordering::Relaxed))
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        if let Some(task) = self
            .task
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            task.abort();
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl DefaultMqProducer {
    /// Sets how often the producer announces itself (default [`REGISTER_REFRESH`]) and
    /// whether each round first refreshes the `TBW102` route, so masters that joined the
    /// cluster since hear of the producer too (a transaction producer must be known to every
    /// broker that may check it). A running periodic task uses the new period after its
    /// current wait.
    pub(crate) fn set_heartbeat(&self, every: Duration, follow_default_route: bool) {
        let hb = &self.inner.heartbeat;
        hb.every_ms.store(millis(every), Ordering::Relaxed);
        hb.follow_default_route
            .store(follow_default_route, Ordering::Relaxed);
    }

    /// Announces the producer to every known master now (awaited: they know its group on
    /// return, unless a request failed and was logged) and starts the periodic heartbeat,
    /// again after a shutdown (an explicit start).
    pub(crate) async fn announce_now(&self) {
        self.inner.heartbeat.closed.store(false, Ordering::Release);
        self.announce().await;
        self.start_heartbeat();
    }

    /// After a route was learnt: announces the producer to brokers it has not announced
    /// itself to yet (in the background), and starts the periodic heartbeat once.
    pub(super) fn announce_soon(&self) {
        if self.inner.heartbeat.is_closed() {
            return;
        }
        let producer = self.clone();
        tokio::spawn(async move { producer.announce().await });
        self.start_heartbeat();
    }

    /// Starts the periodic heartbeat unless it runs already: every period, a HEART_BEAT to
    /// every known master, registered or not.
    fn start_heartbeat(&self) {
        let hb = &self.inner.heartbeat;
        let mut task = hb.task.lock().unwrap_or_else(|e| e.into_inner());
        if task.is_some() || hb.is_closed() {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let every = hb.every();
        *task = Some(tokio::spawn(async move {
            let mut every = every;
            loop {
                tokio::time::sleep(every).await;
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                if inner.heartbeat.is_closed() {
                    return;
                }
                every = inner.heartbeat.every();
                if inner.heartbeat.follow_default_route.load(Ordering::Relaxed) {
                    if let Err(e) = inner.instance.route(AUTO_CREATE_TOPIC_KEY_TOPIC).await {
                        tracing::debug!(error = %e, "TBW102 route refresh failed");
                    }
                }
                DefaultMqProducer { inner }.send_heartbeats(true).await;
            }
        }));
    }

    /// Sends a HEART_BEAT naming this producer's group to every known master it is not
    /// registered with on the current connection (or not for two heartbeat periods);
    /// failures are logged (a request's reply then cannot be pushed and the request times
    /// out; a transaction check goes to another producer of the group).
    pub(crate) async fn announce(&self) {
        self.send_heartbeats(false).await;
    }

    /// HEART_BEAT to every known master (`all`) or to those [`announce`](Self::announce)
    /// would pick.
    async fn send_heartbeats(&self, all: bool) {
        let instance = &self.inner.instance;
        // The same body goes to every broker.
        let data = HeartbeatData {
            client_id: instance.client_id().to_owned(),
            producer_data_set: vec![ProducerData {
                group_name: self.inner.wire_group.clone(),
            }],
            consumer_data_set: Vec::new(),
        };
        let Ok(body) = serde_json::to_vec(&data).map(bytes::Bytes::from) else {
            return;
        };
        for addr in instance.all_master_addrs() {
            if self.inner.heartbeat.is_closed() {
                return;
            }
            if !all && self.registered_on_current_channel(&addr) {
                continue;
            }
            let req = RemotingCommand::request(RequestCode::HeartBeat).with_body(body.clone());
            match instance
                .remoting()
                .invoke(&addr, req, instance.api_timeout())
                .await
            {
                Ok(r) if r.code == ResponseCode::Success.code() => {
                    if let Some(ch) = instance.remoting().open_channel(&addr) {
                        self.inner
                            .heartbeat
                            .registered
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(addr, (ch.id(), Instant::now()));
                    }
                }
                Ok(r) => {
                    tracing::warn!(%addr, code = r.code, remark = r.remark_str(), "producer heartbeat refused")
                }
                Err(e) => tracing::warn!(%addr, error = %e, "producer heartbeat failed"),
            }
        }
    }

    fn registered_on_current_channel(&self, addr: &str) -> bool {
        let hb = &self.inner.heartbeat;
        // A periodic round is due within this.
        let fresh_for = hb.every().saturating_mul(2);
        self.inner
            .instance
            .remoting()
            .open_channel(addr)
            .is_some_and(|ch| {
                hb.registered
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(addr)
                    .is_some_and(|(id, at)| *id == ch.id() && at.elapsed() < fresh_for)
            })
    }
}

/// Marks the producer closed and stops its periodic heartbeat.
pub(super) fn close(inner: &Inner) {
    let hb = &inner.heartbeat;
    hb.closed.store(true, Ordering::Release);
    if let Some(task) = hb.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
        task.abort();
    }
}
