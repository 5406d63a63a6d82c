//! The JSON API under `/api/` (documented in docs/dashboard-api.md): shared state, the error
//! shape (`{"error": "...", "status": N}`), and the router of the page areas.

mod cluster;
mod consumers;
mod dlq;
mod messages;
mod producers;
mod session;
mod topics;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rmq_core::client::{ClientConfig, ClientError, DefaultMqProducer, MqAdmin, ProducerConfig};
use serde_json::json;
use std::sync::Arc;

use super::auth::Auth;

/// What every handler shares.
#[derive(Debug)]
pub struct State {
    /// The admin client (all reads and writes go through it).
    pub admin: MqAdmin,
    /// The client config used for the test-message producer.
    client: ClientConfig,
    /// Login and read-only guard.
    pub auth: Auth,
    producer: tokio::sync::Mutex<Option<DefaultMqProducer>>,
}

impl State {
    /// State over `admin`.
    pub fn new(admin: MqAdmin, client: ClientConfig, auth: Auth) -> Self {
        State {
            admin,
            client,
            auth,
            producer: tokio::sync::Mutex::new(None),
        }
    }

    /// The producer of test messages (created on first use).
    pub async fn producer(&self) -> Result<DefaultMqProducer, ApiError> {
        let mut slot = self.producer.lock().await;
        if let Some(p) = slot.as_ref() {
            return Ok(p.clone());
        }
        let p = DefaultMqProducer::new(
            self.client.clone(),
            ProducerConfig {
                producer_group: "rmq-dashboard-producer".into(),
                ..ProducerConfig::default()
            },
        )
        .map_err(ApiError::from)?;
        *slot = Some(p.clone());
        Ok(p)
    }

    /// Closes the clients.
    pub async fn close(&self) {
        if let Some(p) = self.producer.lock().await.take() {
            p.shutdown().await;
        }
        self.admin.close().await;
    }
}

/// Shared state as handlers take it.
pub type Shared = axum::extract::State<Arc<State>>;

/// An API error: an HTTP status and a message, sent as `{"error": message, "status": code}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// What went wrong.
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status: status.as_u16(),
            message: message.into(),
        }
    }
    /// 400.
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    /// 401.
    pub fn unauthorized(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, m)
    }
    /// 403.
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, m)
    }
    /// 404.
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            Json(json!({"error": self.message, "status": self.status})),
        )
            .into_response()
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// The `/api` routes.
pub fn router() -> Router<Arc<State>> {
    Router::new()
        .route("/session", get(session::get))
        .route("/login", post(session::login))
        .route("/logout", post(session::logout))
        .route("/cluster", get(cluster::get))
        .route("/topics", get(topics::list).post(topics::create))
        .route(
            "/topics/{topic}",
            get(topics::detail).delete(topics::delete),
        )
        .route("/topics/{topic}/messages", post(topics::send))
        .route("/consumers", get(consumers::list))
        .route("/consumers/{group}", get(consumers::detail))
        .route(
            "/consumers/{group}/running-info",
            get(consumers::running_info),
        )
        .route(
            "/consumers/{group}/reset-offset",
            post(consumers::reset_offset),
        )
        .route("/producers", get(producers::get))
        .route("/messages", get(messages::query))
        .route("/messages/{id}", get(messages::detail))
        .route("/messages/{id}/resend", post(messages::resend))
        .route("/dlq", get(dlq::query))
        .route("/dlq/resend", post(dlq::resend))
        .fallback(|| async { ApiError::not_found("no such API route (see docs/dashboard-api.md)") })
}

/// Client connections as the API gives them: the protocol's fields (`version` the ordinal)
/// plus `versionDesc`, the version's name as mqadmin prints it (`V4_9_4`).
fn connections_json(connections: &[rmq_core::protocol::body::Connection]) -> serde_json::Value {
    connections
        .iter()
        .map(|c| {
            json!({
                "clientId": c.client_id,
                "clientAddr": c.client_addr,
                "language": c.language,
                "version": c.version,
                "versionDesc": rmq_core::protocol::version_desc(c.version),
            })
        })
        .collect()
}
