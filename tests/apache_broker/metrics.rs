//! `/metrics` of rmq's broker against the Java broker's own (`metricsExporterType=PROM` on the
//! shared 5.3.3 broker): after the same traffic, rmq exports Java's core metric families with
//! the same types and label keys. The differences (families only one side has) are printed.

use std::collections::BTreeMap;
use std::time::Duration;

use rmq::broker::{EmbeddedBroker, EmbeddedConfig};
use rmq::client::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::prom;
use crate::consumer_support::wait_committed;
use crate::support::*;

/// Java's families that rmq must export alike (sample names as Java's exporter writes them).
const CORE: &[&str] = &[
    "rocketmq_messages_in_total",
    "rocketmq_messages_out_total",
    "rocketmq_throughput_in_total",
    "rocketmq_throughput_out_total",
    "rocketmq_message_size",
    "rocketmq_consumer_lag_messages",
    "rocketmq_consumer_lag_latency_milliseconds",
    "rocketmq_consumer_inflight_messages",
    "rocketmq_consumer_ready_messages",
    "rocketmq_consumer_queueing_latency_milliseconds",
    "rocketmq_storage_size_bytes",
    "rocketmq_storage_flush_behind_bytes",
    "rocketmq_storage_dispatch_behind_bytes",
    "rocketmq_storage_message_reserve_time_milliseconds",
    "rocketmq_rpc_latency_milliseconds",
    "rocketmq_broker_permission",
    "rocketmq_topic_number",
    "rocketmq_consumer_group_number",
    "rocketmq_topic_create_execution_time_milliseconds",
    "rocketmq_timer_enqueue_lag",
    "rocketmq_timer_enqueue_latency_milliseconds",
];

async fn scrape(addr: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect to {addr}/metrics: {e}"));
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut raw))
        .await
        .expect("/metrics answers")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        let chunk = rest.get(..n).expect("a complete chunk");
        out.push_str(chunk);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Sends 10 messages to `topic` and consumes them in `group`; returns the running clients
/// (connections count while they run).
async fn traffic(
    ns: &str,
    topic: &str,
    group: &str,
) -> (
    rmq::client::DefaultMqProducer,
    rmq::client::DefaultMqPushConsumer,
) {
    let p = producer(ns);
    for i in 0..10 {
        p.send(&Message::new(
            topic,
            format!("metrics-{i}-{}", "x".repeat(i * 100)),
        ))
        .await
        .unwrap();
    }
    let (c, seen) = consumer(ns, group, false, -1);
    c.subscribe(topic, "*");
    c.start().await.unwrap();
    wait_until("10 consumed", 60, || seen.lock().unwrap().len() >= 10).await;
    wait_committed(ns, group, topic, 30).await;
    (p, c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_families_match_the_java_broker() {
    let ns = ns().await;
    create_topic("am-metrics", 2).await;
    let (jp, jc) = traffic(&ns, "am-metrics", "am-metrics-group").await;
    let java_text = scrape(&format!("127.0.0.1:{}", prom_port())).await;

    let mut cfg = EmbeddedConfig::default();
    cfg.broker.metrics.port = Some(0);
    let rmq_broker = EmbeddedBroker::start_with(cfg).await.unwrap();
    let rmq_ns = rmq_broker.namesrv_addr().to_string();
    // Created as on the Java side (UPDATE_AND_CREATE_TOPIC), so both time a creation.
    let admin = rmq::client::MqAdmin::new(client(&rmq_ns)).unwrap();
    admin.create_topic("am-metrics", 2).await.unwrap();
    admin.close().await;
    let (rp, rc) = traffic(&rmq_ns, "am-metrics", "am-metrics-group").await;
    let addr = rmq_broker
        .broker()
        .and_then(|b| b.metrics_addr())
        .expect("rmq serves /metrics");
    let rmq_text = scrape(&addr.to_string()).await;
    for c in [&jc, &rc] {
        c.shutdown().await;
    }
    for p in [&jp, &rp] {
        p.shutdown().await;
    }
    rmq_broker.shutdown().await;

    let java = prom::parse(&java_text).unwrap_or_else(|e| panic!("Java exposition: {e}"));
    let rmq = prom::parse(&rmq_text).unwrap_or_else(|e| panic!("rmq exposition: {e}"));
    assert!(
        prom::check_strict(&rmq).is_empty(),
        "{:?}",
        prom::check_strict(&rmq)
    );
    let jf = prom::families(&java);
    let rf = prom::families(&rmq);
    let only_java: Vec<&String> = jf.keys().filter(|k| !rf.contains_key(*k)).collect();
    let only_rmq: Vec<&String> = rf.keys().filter(|k| !jf.contains_key(*k)).collect();
    let mut label_diffs = BTreeMap::new();
    for (name, (kind, labels)) in &jf {
        if let Some((rkind, rlabels)) = rf.get(name) {
            if kind != rkind || labels != rlabels {
                label_diffs.insert(name, ((kind, labels), (rkind, rlabels)));
            }
        }
    }
    println!("families only the Java broker exports: {only_java:#?}");
    println!("families only rmq exports: {only_rmq:#?}");
    println!("same family, different type or label keys (Java, rmq): {label_diffs:#?}");

    for name in CORE {
        let (kind, labels) = jf
            .get(*name)
            .unwrap_or_else(|| panic!("the Java broker exports {name}:\n{java_text}"));
        let (rkind, rlabels) = rf
            .get(*name)
            .unwrap_or_else(|| panic!("rmq exports {name}:\n{rmq_text}"));
        assert_eq!(
            (kind, labels),
            (rkind, rlabels),
            "{name}: type and label keys"
        );
    }
    // The same traffic counted alike.
    let t = [("topic", "am-metrics")];
    assert_eq!(
        prom::values(&java, "rocketmq_messages_in_total", &t),
        prom::values(&rmq, "rocketmq_messages_in_total", &t)
    );
    let out = [
        ("topic", "am-metrics"),
        ("consumer_group", "am-metrics-group"),
    ];
    assert_eq!(
        prom::values(&java, "rocketmq_messages_out_total", &out),
        prom::values(&rmq, "rocketmq_messages_out_total", &out)
    );
}
