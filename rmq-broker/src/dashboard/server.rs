//! Binds the listen socket, builds the router (assets + `/api/` + extra routes) and runs it
//! until the handle is shut down.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use rmq_core::client::{ClientConfig, MqAdmin};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::api::{self, State};
use super::auth::Auth;
use super::{assets, DashboardConfig, DashboardError};

/// A running dashboard.
#[derive(Debug)]
pub struct DashboardHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    state: Arc<State>,
}

impl DashboardHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving and closes the admin client.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.state.close().await;
    }
}

impl Drop for DashboardHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the dashboard: returns once the socket is bound.
pub async fn serve(config: DashboardConfig) -> Result<DashboardHandle, DashboardError> {
    let login = match (config.user.clone(), config.password.clone()) {
        (Some(u), Some(p)) if !u.is_empty() => Some((u, p)),
        (None, None) => None,
        (Some(u), None) if u.is_empty() => None,
        _ => return Err(DashboardError::HalfLogin),
    };
    let client = ClientConfig {
        name_server_addr: config.namesrv.clone(),
        instance_name: format!("rmq-dashboard-{}", std::process::id()),
        ..ClientConfig::default()
    };
    let admin = MqAdmin::new(client.clone()).map_err(|source| DashboardError::Client {
        namesrv: config.namesrv.clone(),
        source,
    })?;
    let state = Arc::new(State::new(
        admin,
        client,
        Auth::new(login, config.read_only),
    ));
    let mut app = Router::new()
        .route("/", get(assets::index))
        .route("/index.html", get(assets::index))
        .route("/app.js", get(assets::app_js))
        .route("/pages.js", get(assets::pages_js))
        .route("/style.css", get(assets::style_css))
        .nest("/api", api::router())
        .with_state(state.clone());
    if let Some(extra) = config.extra_routes.clone() {
        app = app.merge(extra);
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| DashboardError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| DashboardError::Bind {
            addr: config.listen,
            source,
        })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "dashboard server stopped with an error");
        }
    });
    tracing::info!(%addr, namesrv = %config.namesrv, read_only = config.read_only, "dashboard listening");
    Ok(DashboardHandle {
        addr,
        stop: Some(stop),
        task: Some(task),
        state,
    })
}
