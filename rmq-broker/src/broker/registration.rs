//! Registration with the name servers: the full topic table every
//! `registerNameServerPeriod` (and at once when a topic changes), topic deletions, and the
//! unregistration on shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rmq_core::protocol::body::{RegisterBrokerBody, PERM_READ, PERM_WRITE};
use rmq_core::protocol::header::{
    DeleteTopicFromNamesrvRequestHeader, RegisterBrokerRequestHeader, UnregisterBrokerRequestHeader,
};
use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rmq_core::remoting::{RemotingClient, UnsupportedHandler};
use tokio::sync::{watch, Notify};

use super::BrokerInner;

/// Name server call timeout.
const NAMESRV_TIMEOUT: Duration = Duration::from_secs(3);

/// The broker's side of its name servers: where they are, the connection to them, and
/// whether the broker has registered yet.
#[derive(Debug)]
pub struct Registration {
    client: RemotingClient<UnsupportedHandler>,
    addrs: RwLock<Vec<String>>,
    register_now: Notify,
    registered_once: AtomicBool,
    registered: watch::Sender<bool>,
}

impl Registration {
    /// Registration with the name servers at `addrs` (none yet registered).
    pub fn new(addrs: Vec<String>) -> Self {
        Registration {
            client: RemotingClient::new(Arc::new(UnsupportedHandler)),
            addrs: RwLock::new(addrs),
            register_now: Notify::new(),
            registered_once: AtomicBool::new(false),
            registered: watch::channel(false).0,
        }
    }

    /// The name server addresses.
    pub fn addrs(&self) -> Vec<String> {
        self.addrs.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the name server addresses (the caller triggers a registration).
    pub fn set_addrs(&self, addrs: Vec<String>) {
        *self.addrs.write().unwrap_or_else(|e| e.into_inner()) = addrs;
    }

    /// Waits until the broker has registered with a name server at least once.
    pub async fn wait_registered(&self, timeout: Duration) -> bool {
        let mut rx = self.registered.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|r| *r))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Sends `req` (built anew per server) to every name server; a failed call is logged
    /// with `what`.
    async fn each(&self, what: &str, req: impl Fn() -> RemotingCommand) {
        for addr in self.addrs() {
            if let Err(e) = self.client.invoke(&addr, req(), NAMESRV_TIMEOUT).await {
                tracing::warn!(namesrv = %addr, error = %e, "{what} failed");
            }
        }
    }
}

impl BrokerInner {
    /// Asks the registration task to register with the name servers now (topic changed).
    pub fn trigger_register(&self) {
        self.namesrv.register_now.notify_one();
    }

    /// Registers with every name server (the full topic table).
    pub(crate) async fn register_all(&self) {
        let mut wrapper = self.topics.wrapper();
        let broker_perm = self.live.broker_permission();
        if broker_perm & (PERM_READ | PERM_WRITE) != PERM_READ | PERM_WRITE {
            // As Java: a read-only or write-only broker announces its topics that way.
            for t in wrapper.topic_config_table.values_mut() {
                t.perm &= broker_perm;
            }
        }
        let body = RegisterBrokerBody {
            topic_config_serialize_wrapper: wrapper,
            filter_server_list: Vec::new(),
        };
        let Ok(body) = serde_json::to_vec(&body) else {
            return;
        };
        let header = RegisterBrokerRequestHeader {
            broker_name: self.config.broker_name.clone(),
            broker_addr: self.broker_addr.clone(),
            cluster_name: self.config.broker_cluster_name.clone(),
            ha_server_addr: format!(
                "{}:{}",
                self.store_host.ip(),
                self.store_host.port().saturating_add(1)
            ),
            broker_id: self.config.broker_id,
            heartbeat_timeout_millis: None,
            compressed: Some(false),
            body_crc32: Some((crc32fast::hash(&body) & 0x7FFF_FFFF) as i32),
        };
        let r = &self.namesrv;
        for addr in r.addrs() {
            let req = RemotingCommand::request_with_header(RequestCode::RegisterBroker, &header)
                .with_body(body.clone());
            match r.client.invoke(&addr, req, NAMESRV_TIMEOUT).await {
                Ok(resp) if resp.code == ResponseCode::Success.code() => {
                    if !r.registered_once.swap(true, Ordering::AcqRel) {
                        tracing::info!("broker registered with namesrv {addr}");
                        r.registered.send_replace(true);
                    }
                }
                Ok(resp) => {
                    tracing::warn!(namesrv = %addr, code = resp.code, remark = resp.remark_str(), "register broker refused")
                }
                Err(e) => tracing::warn!(namesrv = %addr, error = %e, "register broker failed"),
            }
        }
    }

    /// Removes a deleted topic's route from every name server (mqadmin does the same).
    pub async fn delete_topic_in_namesrv(&self, topic: &str) {
        let header = DeleteTopicFromNamesrvRequestHeader {
            topic: topic.to_owned(),
            cluster_name: Some(self.config.broker_cluster_name.clone()),
        };
        self.namesrv
            .each(&format!("delete topic {topic} in namesrv"), || {
                RemotingCommand::request_with_header(RequestCode::DeleteTopicInNamesrv, &header)
            })
            .await;
    }

    /// Unregisters from every name server and closes the connections to them (shutdown).
    pub(super) async fn unregister_all(&self) {
        let header = UnregisterBrokerRequestHeader {
            broker_name: self.config.broker_name.clone(),
            broker_addr: self.broker_addr.clone(),
            cluster_name: self.config.broker_cluster_name.clone(),
            broker_id: self.config.broker_id,
        };
        self.namesrv
            .each("unregister broker", || {
                RemotingCommand::request_with_header(RequestCode::UnregisterBroker, &header)
            })
            .await;
        self.namesrv.client.close_all().await;
    }
}

/// Registers every `registerNameServerPeriod`, and at once when asked to.
pub(super) async fn register_loop(inner: Arc<BrokerInner>) {
    let period = Duration::from_millis(inner.config.register_name_server_period);
    loop {
        inner.register_all().await;
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = inner.namesrv.register_now.notified() => {}
        }
    }
}
