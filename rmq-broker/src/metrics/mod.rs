//! Prometheus metrics of the broker: `GET /metrics` in the text exposition format, with the
//! metric names, types and labels the Apache 5.x broker exports with
//! `metricsExporterType=PROM`, plus rmq's own (store put/flush latency, held pulls,
//! connections).
//!
//! Counting happens on the request paths with relaxed atomics ([`traffic`], [`rpc`],
//! [`histogram`]); gauges (lag, storage, connections, numbers) are computed when scraped
//! ([`render`]). [`http`] serves the text; [`render()`] returns it for other servers (the
//! dashboard serves `/metrics` too).

pub mod admin_ops;
pub mod config;
pub(crate) mod fast_hash;
mod gauges;
pub mod histogram;
pub mod http;
pub mod names;
mod render;
pub mod rpc;
pub mod traffic;

use std::sync::OnceLock;
use std::time::Duration;

pub use config::{ExporterType, MetricsConfig};
pub use names::MessageType;
pub use render::render;
pub use rpc::{RpcKey, RpcResult};

/// A cheap, cloneable handle rendering a running broker's metrics, for HTTP servers other
/// than the broker's own (the dashboard's `/metrics`): [`MetricsHandle::render`].
#[derive(Debug, Clone)]
pub struct MetricsHandle(std::sync::Arc<crate::broker::BrokerInner>);

impl MetricsHandle {
    /// A handle on this broker state.
    pub fn new(inner: std::sync::Arc<crate::broker::BrokerInner>) -> MetricsHandle {
        MetricsHandle(inner)
    }

    /// The exposition text now; serve it with [`CONTENT_TYPE`].
    pub fn render(&self) -> String {
        render(&self.0)
    }

    /// A router answering `GET /metrics` for this broker, for the dashboard to mount.
    pub fn router(&self) -> axum::Router {
        let handle = self.clone();
        http::router(std::sync::Arc::new(move || handle.render()))
    }
}

/// The content type of the exposition text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

type Probe = Box<dyn Fn() -> usize + Send + Sync>;

/// The broker's counters.
pub struct BrokerMetrics {
    /// Messages and bytes in and out.
    pub traffic: traffic::Traffic,
    /// RPC latency histograms.
    pub rpc: rpc::RpcLatency,
    /// Topic and group creation times.
    pub create_times: admin_ops::CreateTimes,
    /// Messages moved to dead-letter queues.
    pub dlq: admin_ops::DlqCounter,
    count_requests: bool,
    count_rpc: bool,
    connections: OnceLock<Probe>,
}

impl std::fmt::Debug for BrokerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerMetrics")
            .field("count_requests", &self.count_requests)
            .field("count_rpc", &self.count_rpc)
            .finish_non_exhaustive()
    }
}

impl BrokerMetrics {
    /// Counters honouring `enableRequestMetrics` and `enableRemotingMetrics`.
    pub fn new(cfg: &MetricsConfig) -> BrokerMetrics {
        BrokerMetrics {
            traffic: traffic::Traffic::default(),
            rpc: rpc::RpcLatency::default(),
            create_times: admin_ops::CreateTimes::default(),
            dlq: admin_ops::DlqCounter::default(),
            count_requests: cfg.enable_request_metrics,
            count_rpc: cfg.enable_remoting_metrics,
            connections: OnceLock::new(),
        }
    }

    /// Counts stored messages of `topic` (their record sizes).
    #[inline]
    pub fn record_in(&self, topic: &str, t: MessageType, sizes: impl Iterator<Item = u64> + Clone) {
        if self.count_requests {
            self.traffic.record_in(topic, t, sizes);
        }
    }

    /// Counts messages handed to a consumer group from a queue, and where it pulls next.
    #[inline]
    pub fn record_out(
        &self,
        group: &str,
        topic: &str,
        queue_id: i32,
        messages: u64,
        bytes: u64,
        next_offset: i64,
    ) {
        if self.count_requests && messages > 0 {
            self.traffic
                .record_out(group, topic, queue_id, messages, bytes, next_offset);
        }
    }

    /// Records one request's processing time.
    #[inline]
    pub fn record_rpc(&self, key: RpcKey, elapsed: Duration) {
        if self.count_rpc {
            self.rpc.record(key, elapsed);
        }
    }

    /// Counts a message of `group` consuming `topic` moved to the group's DLQ.
    pub fn record_dlq(&self, group: &str, topic: &str) {
        if self.count_requests {
            self.dlq.add(group, topic);
        }
    }

    /// Sets how open connections are counted (once, when the server starts).
    pub fn set_connection_probe(&self, probe: impl Fn() -> usize + Send + Sync + 'static) {
        let _ = self.connections.set(Box::new(probe));
    }

    /// Open remoting connections, when the server is running.
    pub fn open_connections(&self) -> Option<usize> {
        self.connections.get().map(|p| p())
    }
}
