//! `rocketmq_rpc_latency`: a latency histogram per request code, response code, long polling
//! and result, keyed by numbers (no allocation per request; names are made at scrape time).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use rmq_core::protocol::RequestCode;

use super::fast_hash::FxHashMap;
use super::histogram::{Histogram, HistogramSnapshot, RPC_LATENCY_MS_BOUNDS};

/// Most series kept (request code × response code × …); requests of further combinations
/// (e.g. made-up request codes) are not recorded, as Java's `metricsOtelCardinalityLimit`.
pub const MAX_SERIES: usize = 4096;

/// The `result` label (Java's `RemotingMetricsConstant.RESULT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RpcResult {
    /// The response was handed to the connection.
    Success,
    /// A oneway request (no response).
    Oneway,
    /// The response could not be written.
    WriteChannelFailed,
}

impl RpcResult {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            RpcResult::Success => "success",
            RpcResult::Oneway => "oneway",
            RpcResult::WriteChannelFailed => "write_channel_failed",
        }
    }
}

/// The identity of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RpcKey {
    pub request_code: i32,
    /// The code of the response (for a oneway request: of the response it did not send).
    pub response_code: i32,
    pub long_polling: bool,
    pub result: RpcResult,
}

/// Records a request answered with `response_code`, `started` when it arrived: as Java,
/// a oneway request's answer is recorded with result `oneway` (and not sent).
pub fn record_answer(
    m: &super::BrokerMetrics,
    request_code: i32,
    response_code: i32,
    oneway: bool,
    long_polling: bool,
    started: std::time::Instant,
) {
    let key = RpcKey {
        request_code,
        response_code,
        long_polling,
        result: if oneway {
            RpcResult::Oneway
        } else {
            RpcResult::Success
        },
    };
    let elapsed = started.elapsed();
    m.record_rpc(key, elapsed);
    if m.count_requests {
        let success = response_code == 0;
        if request_code == RequestCode::UpdateAndCreateSubscriptiongroup.code() {
            m.create_times.group(success, elapsed);
        }
    }
}

/// What [`record_topic_create`] needs from an UPDATE_AND_CREATE_TOPIC request: its topic
/// (taken before the request is processed; `None` for other requests, without allocating).
pub fn created_topic(req: &rmq_core::protocol::RemotingCommand) -> Option<String> {
    if req.code == RequestCode::UpdateAndCreateTopic.code() {
        req.ext_fields.get("topic").cloned()
    } else {
        None
    }
}

/// Records an UPDATE_AND_CREATE_TOPIC's execution time.
pub fn record_topic_create(
    m: &super::BrokerMetrics,
    topic: &str,
    cluster: &str,
    broker: &str,
    response_code: i32,
    started: std::time::Instant,
) {
    if m.count_requests {
        let system = super::names::is_system_topic(topic, cluster, broker);
        m.create_times
            .topic(response_code == 0, system, started.elapsed());
    }
}

/// Latency histograms by [`RpcKey`].
#[derive(Debug, Default)]
pub struct RpcLatency {
    table: RwLock<FxHashMap<RpcKey, Arc<Histogram>>>,
}

impl RpcLatency {
    /// Records one request's processing time.
    pub fn record(&self, key: RpcKey, elapsed: Duration) {
        let ms = elapsed.as_millis().min(u64::MAX as u128) as u64;
        if let Some(h) = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            h.record(ms);
            return;
        }
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        if table.len() >= MAX_SERIES && !table.contains_key(&key) {
            return;
        }
        let h = table
            .entry(key)
            .or_insert_with(|| Arc::new(Histogram::new(RPC_LATENCY_MS_BOUNDS)))
            .clone();
        drop(table);
        h.record(ms);
    }

    /// Every series, sorted by key.
    pub fn samples(&self) -> Vec<(RpcKey, HistogramSnapshot)> {
        let mut v: Vec<(RpcKey, HistogramSnapshot)> = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, h)| (*k, h.snapshot()))
            .collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }
}
