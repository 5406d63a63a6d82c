//! Helpers shared by the Apache broker tests: the shared cluster, rmq clients on it, and
//! waiting on conditions.
#![allow(dead_code)]

use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{ConsumerConfig, DefaultMqPushConsumer};

use crate::common;

/// Delay levels of the shared Java broker: level 2 is 2 s, every other level 1 s, so that
/// delay-level sends are measurable and retries (levels 3, 4, ...) are quick.
pub const DELAY_LEVELS: &str = "1s 2s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s";

/// Quick transaction checks on the shared Java broker: checked after 3 s, every second; op
/// records (which 5.x batches, 3 s by default) written within 200 ms, well before a check.
pub const TRANSACTION_CHECKS: &str =
    "transactionCheckInterval=1000\ntransactionTimeOut=3000\ntransactionOpBatchInterval=200";

/// The shared Apache cluster's name server address (started on first use, in a blocking
/// thread so that the runtime keeps running).
pub async fn ns() -> String {
    tokio::task::spawn_blocking(|| shared().namesrv_addr())
        .await
        .expect("start the Apache cluster")
}

/// The shared Apache RocketMQ 5.3.3 cluster (blocking on first use).
pub fn shared() -> &'static common::ApacheCluster {
    static CLUSTER: std::sync::OnceLock<common::ApacheCluster> = std::sync::OnceLock::new();
    CLUSTER.get_or_init(|| {
        common::ApacheCluster::start(
            common::ApacheVersion::V5,
            &format!(
                "messageDelayLevel={DELAY_LEVELS}\n{TRANSACTION_CHECKS}\n{}",
                prom_exporter_conf()
            ),
        )
    })
}

/// The port of the shared Java broker's Prometheus exporter (`metricsExporterType=PROM`):
/// an ephemeral port that was free when chosen.
pub fn prom_port() -> u16 {
    static PORT: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
    *PORT.get_or_init(|| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port for the Java broker's /metrics")
    })
}

fn prom_exporter_conf() -> String {
    format!(
        "metricsExporterType=PROM\nmetricsPromExporterHost=127.0.0.1\nmetricsPromExporterPort={}",
        prom_port()
    )
}

/// Creates `topic` with `queues` queues on the shared broker and waits for its route.
pub async fn create_topic(topic: &str, queues: u32) {
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || shared().create_topic(&topic, queues))
        .await
        .expect("create topic");
}

pub use crate::consumer_support::{client, ids, producer, recorder, wait_until, Seen};

/// A push consumer of `group` from the first offset that records every message; `fail` answers
/// RECONSUME_LATER.
pub fn consumer(
    ns: &str,
    group: &str,
    fail: bool,
    max_reconsume: i32,
) -> (DefaultMqPushConsumer, Seen) {
    recorder(
        ns,
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            max_reconsume_times: max_reconsume,
            ..Default::default()
        },
        fail,
    )
}

/// Runs the Java client driver on a blocking thread.
pub async fn java(args: Vec<String>) -> common::CppRun {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::java_client(&args)
    })
    .await
    .unwrap()
}

/// `["a", "b"]` → owned strings.
pub fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}
