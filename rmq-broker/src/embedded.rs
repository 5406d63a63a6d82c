//! Embedded mode: a NameServer and a Broker inside the calling process.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::namesrv::NameServer;
use crate::store::StoreConfig;

/// Settings of an embedded broker. The defaults bind 127.0.0.1 on ephemeral ports and use a
/// temporary store that is deleted on shutdown.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// Broker settings; `listen_port` 0 means ephemeral.
    pub broker: BrokerConfig,
    /// NameServer port; 0 means ephemeral.
    pub namesrv_port: u16,
    /// Store directory; `None` means a fresh temporary directory.
    pub store_dir: Option<PathBuf>,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        let broker = BrokerConfig {
            listen_port: 0,
            broker_ip1: IpAddr::V4(Ipv4Addr::LOCALHOST),
            // Small segments: an embedded store holds test and development traffic.
            store: StoreConfig {
                mapped_file_size_commit_log: 64 * 1024 * 1024,
                ..StoreConfig::default()
            },
            namesrv_addr: None,
            ..BrokerConfig::default()
        };
        EmbeddedConfig {
            broker,
            namesrv_port: 0,
            store_dir: None,
        }
    }
}

/// A NameServer + Broker running in this process.
///
/// ```no_run
/// # async fn demo() -> Result<(), rmq_broker::BrokerError> {
/// let embedded = rmq_broker::EmbeddedBroker::start().await?;
/// println!("name server at {}", embedded.namesrv_addr());
/// embedded.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct EmbeddedBroker {
    namesrv: Option<NameServer>,
    broker: Option<Broker>,
    namesrv_addr: SocketAddr,
    broker_addr: SocketAddr,
    temp: Option<tempfile::TempDir>,
}

impl EmbeddedBroker {
    /// Starts with the defaults.
    pub async fn start() -> Result<Self, BrokerError> {
        Self::start_with(EmbeddedConfig::default()).await
    }

    /// Starts with explicit settings.
    pub async fn start_with(cfg: EmbeddedConfig) -> Result<Self, BrokerError> {
        let EmbeddedConfig {
            mut broker,
            namesrv_port,
            store_dir,
        } = cfg;
        let temp = match store_dir {
            Some(dir) => {
                broker.store.store_path_root_dir = dir;
                None
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("rmq-embedded-")
                    .tempdir()
                    .map_err(BrokerError::TempDir)?;
                broker.store.store_path_root_dir = t.path().join("store");
                Some(t)
            }
        };
        let ns_ip = if broker.broker_ip1.is_loopback() {
            broker.broker_ip1
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        let namesrv = NameServer::start(SocketAddr::new(ns_ip, namesrv_port)).await?;
        let namesrv_addr = namesrv.addr();
        broker.namesrv_addr = Some(namesrv_addr.to_string());
        let broker = match Broker::start(broker).await {
            Ok(b) => b,
            Err(e) => {
                namesrv.shutdown().await;
                return Err(e);
            }
        };
        let broker_addr = broker.addr();
        // Usable on return: clients find routes at once.
        if !broker
            .wait_registered(std::time::Duration::from_secs(10))
            .await
        {
            tracing::warn!("embedded broker not registered with its name server after 10 s");
        }
        Ok(EmbeddedBroker {
            namesrv: Some(namesrv),
            broker: Some(broker),
            namesrv_addr,
            broker_addr,
            temp,
        })
    }

    /// The NameServer address (`rocketmq.name-server`).
    pub fn namesrv_addr(&self) -> SocketAddr {
        self.namesrv_addr
    }

    /// The Broker address.
    pub fn broker_addr(&self) -> SocketAddr {
        self.broker_addr
    }

    /// The broker (for tests and admin use).
    pub fn broker(&self) -> Option<&Broker> {
        self.broker.as_ref()
    }

    /// Stops the broker (flushing its store) and the NameServer; removes a temporary store.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    async fn stop(&mut self) {
        if let Some(b) = self.broker.take() {
            b.shutdown().await;
        }
        if let Some(n) = self.namesrv.take() {
            n.shutdown().await;
        }
        self.temp.take();
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        if self.broker.is_none() && self.namesrv.is_none() {
            return;
        }
        let namesrv = self.namesrv.take();
        let broker = self.broker.take();
        let temp = self.temp.take();
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                // Plain parts, not an EmbeddedBroker: dropping this task must not spawn again.
                handle.spawn(async move {
                    if let Some(b) = broker {
                        b.shutdown().await;
                    }
                    if let Some(n) = namesrv {
                        n.shutdown().await;
                    }
                    drop(temp);
                });
            }
            Err(_) => tracing::warn!(
                "embedded broker dropped outside a runtime; store closed without a graceful stop"
            ),
        }
    }
}
