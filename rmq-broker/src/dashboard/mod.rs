//! The web dashboard: a single-page app (HTML/CSS/JS embedded in the binary) and the JSON API
//! under `/api/` behind it, served with axum. It talks to the cluster only through
//! [`rmq_core::client::MqAdmin`] (and a producer for test messages), so it works against any
//! name server: ours, the embedded one, or Apache's.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rmq_broker::dashboard::DashboardError> {
//! use rmq_broker::dashboard::{serve, DashboardConfig};
//! let handle = serve(DashboardConfig::new("127.0.0.1:8080".parse().unwrap(), "127.0.0.1:9876")).await?;
//! println!("dashboard on http://{}", handle.addr());
//! handle.shutdown().await;
//! # Ok(()) }
//! ```

mod api;
mod assets;
mod auth;
mod server;

use std::net::SocketAddr;

pub use server::{serve, DashboardHandle};

/// The default listen port (RocketMQ Dashboard's `server.port`).
pub const DEFAULT_PORT: u16 = 8080;

/// What the dashboard serves and how it is guarded.
#[derive(Clone)]
pub struct DashboardConfig {
    /// Listen address (port 0 = ephemeral).
    pub listen: SocketAddr,
    /// Name servers, `host:port;host:port`.
    pub namesrv: String,
    /// Login user for state-changing calls (`None`: no login required).
    pub user: Option<String>,
    /// Login password.
    pub password: Option<String>,
    /// Refuse every state-changing call with 403.
    pub read_only: bool,
    /// Extra routes merged into the dashboard's router (e.g. `/metrics`).
    pub extra_routes: Option<axum::Router>,
}

impl std::fmt::Debug for DashboardConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardConfig")
            .field("listen", &self.listen)
            .field("namesrv", &self.namesrv)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("read_only", &self.read_only)
            .field("extra_routes", &self.extra_routes.is_some())
            .finish()
    }
}

impl DashboardConfig {
    /// A dashboard on `listen` for the name servers `namesrv`, no login, not read-only.
    pub fn new(listen: SocketAddr, namesrv: impl Into<String>) -> Self {
        DashboardConfig {
            listen,
            namesrv: namesrv.into(),
            user: None,
            password: None,
            read_only: false,
            extra_routes: None,
        }
    }
}

impl DashboardConfig {
    /// The dashboard of broker.conf's `dashboardPort` (`None` when unset), listening on all
    /// interfaces when the broker announces a non-loopback address, pointed at `namesrv`.
    pub fn from_broker(cfg: &crate::BrokerConfig, namesrv: impl Into<String>) -> Option<Self> {
        let port = cfg.dashboard_port?;
        let ip = cfg.bind_ip();
        Some(DashboardConfig {
            user: cfg.dashboard_user.clone(),
            password: cfg.dashboard_password.clone(),
            read_only: cfg.dashboard_read_only,
            ..DashboardConfig::new(SocketAddr::new(ip, port), namesrv)
        })
    }
}

/// Why the dashboard could not start.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The listen socket could not be bound.
    #[error("dashboard: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The admin client could not be built.
    #[error("dashboard: admin client for {namesrv}: {source}")]
    Client {
        /// The name servers.
        namesrv: String,
        /// The client error.
        source: rmq_core::client::ClientError,
    },
    /// `rocketmq.dashboard.address` is not an IP address.
    #[error("dashboard: rocketmq.dashboard.address {0:?} is not an IP address")]
    Address(String),
    /// A login user without a password, or the reverse.
    #[error("dashboard: user and password must be set together")]
    HalfLogin,
}
