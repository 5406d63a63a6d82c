//! `GET /metrics` of the embedded broker over real sockets: counts after known traffic,
//! consumer lag from committed offsets, storage and latency histograms, a valid exposition,
//! and no endpoint unless configured.

use std::time::{Duration, Instant};

use rmq_broker::EmbeddedConfig;
use rmq_core::protocol::header::UpdateConsumerOffsetRequestHeader;
use rmq_core::protocol::{RemotingCommand, RequestCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod fixture;
#[path = "common/prom.rs"]
mod prom;

use fixture::{msgs, Fixture, T};

/// `GET path` on `addr`: status line and body.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).await.expect("connect to /metrics");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(T, s.read_to_end(&mut raw))
        .await
        .expect("answer in time")
        .unwrap();
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

async fn scrape(f: &Fixture) -> prom::Exposition {
    let addr = f
        .embedded
        .broker()
        .and_then(|b| b.metrics_addr())
        .expect("metrics served");
    let (status, body) = http_get(addr, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let e = prom::parse(&body).unwrap_or_else(|e| panic!("invalid exposition: {e}\n{body}"));
    let problems = prom::check_strict(&e);
    assert!(problems.is_empty(), "{problems:#?}\n{body}");
    e
}

/// Scrapes until `cond` holds (committed offsets and flushes are asynchronous).
async fn scrape_until(
    f: &Fixture,
    what: &str,
    cond: impl Fn(&prom::Exposition) -> bool,
) -> prom::Exposition {
    let deadline = Instant::now() + T;
    loop {
        let e = scrape(f).await;
        if cond(&e) {
            return e;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn commit(f: &Fixture, group: &str, topic: &str, offset: i64) {
    let req = RemotingCommand::request_with_header(
        RequestCode::UpdateConsumerOffset,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id: 0,
            commit_offset: offset,
        },
    );
    assert_eq!(f.call(&f.broker(), req).await.code, 0);
}

#[tokio::test]
async fn metrics_count_traffic_lag_and_latency() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.metrics.port = Some(0);
    cfg.broker.broker_name = "broker-m".into();
    let f = Fixture::start_with(cfg).await;
    let (topic, group) = ("MetricsTopic", "MetricsGroup");
    let sizes = [10usize, 100, 1000, 3000, 5000];
    for (i, n) in sizes.iter().enumerate() {
        let body = vec![b'a' + i as u8; *n];
        assert_eq!(f.send(topic, 0, &body, &[]).await.code, 0);
    }
    // One delay message on another topic: its own message_type.
    assert_eq!(
        f.send("MetricsDelay", 0, b"later", &[("DELAY", "1")])
            .await
            .code,
        0
    );
    let pulled = f.pull(group, topic, 0, 0, "*", 0).await;
    assert_eq!(pulled.code, 0);
    assert_eq!(msgs(&pulled).len(), sizes.len());
    let pulled_bytes = pulled.body.len() as f64;
    commit(&f, group, topic, sizes.len() as i64).await;

    let t = [("topic", topic)];
    let normal = [
        ("topic", topic),
        ("message_type", "normal"),
        ("is_system", "false"),
    ];
    let e = scrape(&f).await;
    let n = sizes.len() as f64;
    assert_eq!(prom::value(&e, "rocketmq_messages_in_total", &normal), n);
    // Bytes in are the stored record sizes, which a pull returns as they are.
    assert_eq!(
        prom::value(&e, "rocketmq_throughput_in_total", &normal),
        pulled_bytes
    );
    assert_eq!(prom::value(&e, "rocketmq_message_size_count", &t), n);
    assert_eq!(
        prom::value(&e, "rocketmq_message_size_sum", &t),
        pulled_bytes
    );
    // 10, 100 and 1000 bytes of body fit in 1 KiB records? 1000 + headers does not: 2.
    assert_eq!(
        prom::value(
            &e,
            "rocketmq_message_size_bucket",
            &[("topic", topic), ("le", "1024.0")]
        ),
        2.0
    );
    assert_eq!(
        prom::value(
            &e,
            "rocketmq_messages_in_total",
            &[("topic", "MetricsDelay"), ("message_type", "delay")]
        ),
        1.0
    );
    let out = [("consumer_group", group), ("topic", topic)];
    assert_eq!(prom::value(&e, "rocketmq_messages_out_total", &out), n);
    assert_eq!(
        prom::value(&e, "rocketmq_throughput_out_total", &out),
        pulled_bytes
    );
    let lag = [
        ("consumer_group", group),
        ("topic", topic),
        ("is_retry", "false"),
    ];
    assert_eq!(prom::value(&e, "rocketmq_consumer_lag_messages", &lag), 0.0);
    assert_eq!(
        prom::value(&e, "rocketmq_consumer_inflight_messages", &lag),
        0.0
    );
    assert!(
        prom::value(
            &e,
            "rocketmq_storage_size_bytes",
            &[("storage_type", "local")]
        ) > 0.0
    );
    assert_eq!(
        prom::value(
            &e,
            "rocketmq_broker_permission",
            &[
                ("cluster", "DefaultCluster"),
                ("node_id", "broker-m"),
                ("node_type", "broker")
            ]
        ),
        6.0
    );
    assert!(prom::value(&e, "rocketmq_topic_number", &[]) >= 2.0);
    let sends = [
        ("request_code", "send_message_v2"),
        ("response_code", "success"),
        ("is_long_polling", "false"),
        ("protocol_type", "remoting"),
        ("result", "success"),
    ];
    let sent = prom::value(&e, "rocketmq_rpc_latency_milliseconds_count", &sends);
    assert_eq!(sent, n + 1.0);
    assert!(prom::value(&e, "rmq_store_put_latency_microseconds_count", &[]) >= n + 1.0);
    assert_eq!(
        prom::values(&e, "rmq_store_flush_latency_microseconds_count", &[]).len(),
        1
    );
    assert_eq!(prom::value(&e, "rmq_held_pulls", &[]), 0.0);
    assert_eq!(prom::value(&e, "rocketmq_timer_enqueue_lag", &[]), 0.0);
    assert!(prom::value(&e, "rmq_connections", &[]) >= 1.0);
    // The async flush thread flushes within its interval.
    scrape_until(&f, "a commit-log flush", |e| {
        prom::value(e, "rmq_store_flush_latency_microseconds_count", &[]) >= 1.0
    })
    .await;

    // Two more, not consumed: lag 2, and their age shows.
    for _ in 0..2 {
        assert_eq!(f.send(topic, 0, b"pending", &[]).await.code, 0);
    }
    let e = scrape(&f).await;
    assert_eq!(prom::value(&e, "rocketmq_consumer_lag_messages", &lag), 2.0);
    assert_eq!(
        prom::value(&e, "rocketmq_consumer_ready_messages", &lag),
        2.0
    );
    assert_eq!(
        prom::value(&e, "rocketmq_rpc_latency_milliseconds_count", &sends),
        sent + 2.0,
        "the rpc latency histogram grows"
    );

    // A held pull is counted while held, and recorded as long polling when answered.
    let held = {
        let client = rmq_core::remoting::RemotingClient::new(std::sync::Arc::new(
            rmq_core::remoting::UnsupportedHandler,
        ));
        let broker = f.broker();
        tokio::spawn(async move {
            let h = rmq_core::protocol::header::PullMessageRequestHeader {
                consumer_group: group.into(),
                topic: topic.into(),
                queue_id: 0,
                queue_offset: 7,
                max_msg_nums: 32,
                sys_flag: rmq_core::protocol::header::PULL_FLAG_SUBSCRIPTION
                    | rmq_core::protocol::header::PULL_FLAG_SUSPEND,
                commit_offset: 0,
                suspend_timeout_millis: 3_000,
                subscription: Some("*".into()),
                sub_version: 0,
                expression_type: None,
                max_msg_bytes: None,
            };
            let req = RemotingCommand::request_with_header(RequestCode::PullMessage, &h);
            client.invoke(&broker, req, T).await.map(|r| r.code)
        })
    };
    scrape_until(&f, "a held pull", |e| {
        prom::value(e, "rmq_held_pulls", &[]) == 1.0
    })
    .await;
    assert_eq!(f.send(topic, 0, b"wakes the pull", &[]).await.code, 0);
    assert_eq!(held.await.unwrap().unwrap(), 0);
    scrape_until(&f, "the long-polling pull recorded", |e| {
        !prom::values(
            e,
            "rocketmq_rpc_latency_milliseconds_count",
            &[
                ("request_code", "pull_message"),
                ("is_long_polling", "true"),
            ],
        )
        .is_empty()
    })
    .await;

    // The held pull took offset 7 without committing: 3 behind the commit, all in flight.
    let e = scrape(&f).await;
    assert_eq!(prom::value(&e, "rocketmq_consumer_lag_messages", &lag), 3.0);
    assert_eq!(
        prom::value(&e, "rocketmq_consumer_inflight_messages", &lag),
        3.0
    );
    assert_eq!(
        prom::value(&e, "rocketmq_consumer_ready_messages", &lag),
        0.0
    );
    assert_eq!(
        prom::value(&e, "rocketmq_consumer_queueing_latency_milliseconds", &lag),
        0.0
    );

    // Other paths: 404.
    let addr = f.embedded.broker().and_then(|b| b.metrics_addr()).unwrap();
    assert_eq!(http_get(addr, "/").await.0, "HTTP/1.1 404 Not Found");
    // The same text for other servers.
    let handle = f.embedded.broker().unwrap().metrics_handle();
    if std::env::var_os("RMQ_PRINT_METRICS").is_some() {
        println!("{}", handle.render());
    }
    assert!(handle.render().contains("rocketmq_messages_in_total{"));

    // The permission gauge follows UPDATE_BROKER_CONFIG (read-only: 4).
    let req = RemotingCommand::request(RequestCode::UpdateBrokerConfig)
        .with_body(b"brokerPermission=4\n".to_vec());
    assert_eq!(f.call(&f.broker(), req).await.code, 0);
    scrape_until(&f, "the permission gauge to read 4", |e| {
        prom::value(
            e,
            "rocketmq_broker_permission",
            &[
                ("cluster", "DefaultCluster"),
                ("node_id", "broker-m"),
                ("node_type", "broker"),
            ],
        ) == 4.0
    })
    .await;
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn metrics_are_off_by_default() {
    let f = Fixture::start().await;
    assert_eq!(f.embedded.broker().and_then(|b| b.metrics_addr()), None);
    // Counting still happens: the text is there for the dashboard.
    assert_eq!(f.send("OffTopic", 0, b"x", &[]).await.code, 0);
    let text = f.embedded.broker().unwrap().render_metrics();
    let e = prom::parse(&text).unwrap();
    assert_eq!(
        prom::value(&e, "rocketmq_messages_in_total", &[("topic", "OffTopic")]),
        1.0
    );
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn apache_prom_keys_turn_the_endpoint_on() {
    let mut cfg = EmbeddedConfig::default();
    let origin = std::path::Path::new("broker.conf");
    cfg.broker
        .apply_properties(
            "metricsExporterType=PROM\nmetricsPromExporterHost=127.0.0.1\nmetricsPromExporterPort=0\nenableRequestMetrics=false\n",
            origin,
        )
        .expect("Apache's metrics keys are accepted");
    let f = Fixture::start_with(cfg).await;
    let addr = f
        .embedded
        .broker()
        .and_then(|b| b.metrics_addr())
        .expect("PROM serves");
    assert!(addr.ip().is_loopback());
    assert_eq!(f.send("NotCounted", 0, b"x", &[]).await.code, 0);
    let e = scrape(&f).await;
    assert!(prom::values(&e, "rocketmq_messages_in_total", &[("topic", "NotCounted")]).is_empty());
    // RPC latency still counts (enableRemotingMetrics).
    assert!(!prom::values(
        &e,
        "rocketmq_rpc_latency_milliseconds_count",
        &[("request_code", "send_message_v2")]
    )
    .is_empty());
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn creations_and_dead_letters_are_counted() {
    use rmq_core::protocol::body::SubscriptionGroupConfig;
    use rmq_core::protocol::header::{ConsumerSendMsgBackRequestHeader, CreateTopicRequestHeader};
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.metrics.port = Some(0);
    let f = Fixture::start_with(cfg).await;
    let create = RemotingCommand::request_with_header(
        RequestCode::UpdateAndCreateTopic,
        &CreateTopicRequestHeader {
            topic: "CreatedTopic".into(),
            default_topic: "TBW102".into(),
            read_queue_nums: 2,
            write_queue_nums: 2,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: None,
            order: false,
        },
    );
    assert_eq!(f.call(&f.broker(), create).await.code, 0);
    let group = SubscriptionGroupConfig {
        group_name: "CreatedGroup".into(),
        ..Default::default()
    };
    let req = RemotingCommand::request(RequestCode::UpdateAndCreateSubscriptiongroup)
        .with_body(serde_json::to_vec(&group).unwrap());
    assert_eq!(f.call(&f.broker(), req).await.code, 0);

    // A message the consumer gives up on (delay level -1): straight to the DLQ.
    assert_eq!(f.send("DlqTopic", 0, b"poison", &[]).await.code, 0);
    let pulled = msgs(&f.pull("DlqGroup", "DlqTopic", 0, 0, "*", 0).await);
    let back = RemotingCommand::request_with_header(
        RequestCode::ConsumerSendMsgBack,
        &ConsumerSendMsgBackRequestHeader {
            offset: pulled[0].commit_log_offset,
            group: "DlqGroup".into(),
            delay_level: -1,
            origin_msg_id: None,
            origin_topic: Some("DlqTopic".into()),
            unit_mode: None,
            max_reconsume_times: None,
        },
    );
    assert_eq!(f.call(&f.broker(), back).await.code, 0);

    let e = scrape(&f).await;
    assert_eq!(
        prom::value(
            &e,
            "rocketmq_topic_create_execution_time_milliseconds_count",
            &[("invocation_status", "success"), ("is_system", "false")]
        ),
        1.0
    );
    assert_eq!(
        prom::value(
            &e,
            "rocketmq_consumer_group_create_execution_time_milliseconds_count",
            &[("invocation_status", "success")]
        ),
        1.0
    );
    assert_eq!(
        prom::value(
            &e,
            "rocketmq_send_to_dlq_messages_total",
            &[
                ("consumer_group", "DlqGroup"),
                ("topic", "DlqTopic"),
                ("is_system", "false")
            ]
        ),
        1.0
    );
    f.embedded.shutdown().await;
}
