//! The `/metrics` endpoint over HTTP (axum): `GET` (and `HEAD`) answer the text exposition;
//! other methods get 405, other paths 404.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::header;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::CONTENT_TYPE;
use crate::broker::BrokerInner;
use crate::error::BrokerError;

/// What renders the exposition text at each scrape.
pub type Render = Arc<dyn Fn() -> String + Send + Sync>;

/// A router answering `GET /metrics` with `render()`: the broker's own server uses it, and
/// the dashboard mounts it beside its pages.
pub fn router(render: Render) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let render = render.clone();
            async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], render()) }
        }),
    )
}

/// Serves `GET /metrics` with `render()` on `listener` until `stop` completes.
pub async fn serve(
    listener: TcpListener,
    render: Render,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    if let Err(e) = axum::serve(listener, router(render))
        .with_graceful_shutdown(stop)
        .await
    {
        tracing::warn!(error = %e, "metrics server stopped");
    }
}

/// Starts the broker's `/metrics` server when its configuration asks for one
/// (`metricsPort`, or `metricsExporterType=PROM`): on `metricsHost` (default `brokerIP1`).
/// The bound address and the serving task.
///
/// # Errors
/// `Bind` when the address cannot be bound.
pub async fn start(
    inner: &Arc<BrokerInner>,
) -> Result<Option<(SocketAddr, JoinHandle<()>)>, BrokerError> {
    let cfg = &inner.config;
    let Some(port) = cfg.metrics.serve_port() else {
        return Ok(None);
    };
    let addr = SocketAddr::new(cfg.metrics.host.unwrap_or(cfg.broker_ip1), port);
    let bind_err = |source| BrokerError::Bind {
        addr: addr.to_string(),
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    let weak = Arc::downgrade(inner);
    let render: Render = Arc::new(move || {
        weak.upgrade()
            .map_or_else(String::new, |b| super::render(&b))
    });
    tracing::info!("metrics served on http://{local}/metrics");
    let task = tokio::spawn(serve(listener, render, std::future::pending()));
    Ok(Some((local, task)))
}
