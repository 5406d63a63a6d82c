//! A producer announces itself to the brokers, as Java's client does: a HEART_BEAT naming its
//! group to every master it knows, once it has learnt a route and every [`REGISTER_REFRESH`]
//! after that. Brokers then list it among the group's producer connections (`mqadmin
//! producerConnection`, the dashboard), find its connection for request-reply, and ask it
//! to check transactions.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{DefaultMqProducer, Inner};
use crate::protocol::body::{HeartbeatData, ProducerData};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// How long a registration with a broker is trusted before it is sent again (the broker
/// forgets a producer silent for `channelExpiredTimeout`, 120 s by default).
pub const REGISTER_REFRESH: Duration = Duration::from_secs(30);

/// The brokers this producer registered with: address → (connection id, when).
#[derive(Debug, Default)]
pub(super) struct Registered {
    by_addr: Mutex<HashMap<String, (u64, Instant)>>,
}

impl DefaultMqProducer {
    /// After a route was learnt: announces the producer to brokers it has not announced
    /// itself to yet (in the background), and starts the periodic heartbeat once.
    pub(super) fn announce_soon(&self) {
        if self.inner.closed.load(Ordering::Acquire) {
            return;
        }
        let producer = self.clone();
        tokio::spawn(async move { producer.announce().await });
        if self
            .inner
            .heartbeat_started
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let weak = Arc::downgrade(&self.inner);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(REGISTER_REFRESH).await;
                    let Some(inner) = weak.upgrade() else {
                        return;
                    };
                    if inner.closed.load(Ordering::Acquire) {
                        return;
                    }
                    DefaultMqProducer { inner }.announce().await;
                }
            });
        }
    }

    /// Sends a HEART_BEAT naming this producer's group to every known master it is not
    /// registered with on the current connection (or not for [`REGISTER_REFRESH`]); failures
    /// are logged (a request's reply then cannot be pushed and the request times out).
    pub(super) async fn announce(&self) {
        let instance = &self.inner.instance;
        for addr in instance.all_master_addrs() {
            if self.registered_on_current_channel(&addr) {
                continue;
            }
            let data = HeartbeatData {
                client_id: instance.client_id().to_owned(),
                producer_data_set: vec![ProducerData {
                    group_name: self.inner.wire_group.clone(),
                }],
                consumer_data_set: Vec::new(),
            };
            let Ok(body) = serde_json::to_vec(&data) else {
                continue;
            };
            let req = RemotingCommand::request(RequestCode::HeartBeat).with_body(body);
            match instance
                .remoting()
                .invoke(&addr, req, instance.api_timeout())
                .await
            {
                Ok(r) if r.code == ResponseCode::Success.code() => {
                    if let Some(ch) = instance.remoting().open_channel(&addr) {
                        self.inner
                            .registered
                            .by_addr
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
        self.inner
            .instance
            .remoting()
            .open_channel(addr)
            .is_some_and(|ch| {
                self.inner
                    .registered
                    .by_addr
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(addr)
                    .is_some_and(|(id, at)| *id == ch.id() && at.elapsed() < REGISTER_REFRESH)
            })
    }
}

/// Marks the producer closed: no more heartbeats.
pub(super) fn close(inner: &Inner) {
    inner.closed.store(true, Ordering::Release);
}
