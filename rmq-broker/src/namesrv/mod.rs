//! The NameServer: brokers register here; clients ask it for topic routes.

mod kv_config;
mod processor;
mod route_info;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

pub use kv_config::KvConfigManager;
pub use processor::{NamesrvProcessor, NamesrvState, ORDER_TOPIC_CONFIG};
pub use route_info::{RouteInfoManager, BROKER_CHANNEL_EXPIRED_TIME};

use crate::error::BrokerError;
use rmq_core::remoting::{serve, ServerHandle};

/// How often expired brokers are scanned for.
const SCAN_INTERVAL: Duration = Duration::from_secs(5);

/// A running NameServer.
#[derive(Debug)]
pub struct NameServer {
    addr: SocketAddr,
    state: Arc<NamesrvState>,
    server: ServerHandle,
    scanner: JoinHandle<()>,
}

impl NameServer {
    /// Binds `addr` (port 0 = ephemeral) and starts serving.
    pub async fn start(addr: SocketAddr) -> Result<NameServer, BrokerError> {
        let (listener, addr) = crate::listen::listen(addr).await?;
        let state = Arc::new(NamesrvState::default());
        let processor = Arc::new(NamesrvProcessor {
            state: state.clone(),
        });
        let server = serve(listener, processor, std::future::pending());
        let scan_state = state.clone();
        let scanner = tokio::spawn(async move {
            let mut tick = tokio::time::interval(SCAN_INTERVAL);
            loop {
                tick.tick().await;
                scan_state.routes.scan_not_active();
            }
        });
        tracing::info!("namesrv listening on {addr}");
        Ok(NameServer {
            addr,
            state,
            server,
            scanner,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The route tables (for embedding and tests).
    pub fn state(&self) -> &Arc<NamesrvState> {
        &self.state
    }

    /// Stops serving.
    pub async fn shutdown(self) {
        self.scanner.abort();
        self.server.shutdown().await;
        tracing::info!(addr = %self.addr, "namesrv stopped");
    }
}
