//! The producer with two brokers behind one name server: a broker that stops, a broker that
//! never answers (latency fault tolerance) and a broker that stores without SEND_OK
//! (`retry_another_broker_when_not_store_ok`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq::broker::{Broker, EmbeddedBroker, EmbeddedConfig};
use rmq::client::{
    ClientConfig, ClientError, DefaultMqProducer, Message, ProducerConfig, SendStatus,
};
use rmq::protocol::body::{RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper};
use rmq::protocol::header::{RegisterBrokerRequestHeader, SendMessageResponseHeader};
use rmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rmq_core::remoting::{serve, Channel, RemotingClient, RequestHandler, UnsupportedHandler};

fn producer(ns: &str, config: ProducerConfig) -> DefaultMqProducer {
    DefaultMqProducer::new(
        ClientConfig {
            name_server_addr: ns.to_owned(),
            ..Default::default()
        },
        config,
    )
    .expect("producer")
}

/// A second real broker, `broker-b`, registered with `ns`.
async fn second_broker(ns: &str, store: &std::path::Path) -> Broker {
    let mut cfg = EmbeddedConfig::default().broker;
    cfg.broker_name = "broker-b".into();
    cfg.namesrv_addr = Some(ns.to_owned());
    cfg.store.store_path_root_dir = store.to_path_buf();
    let b = Broker::start(cfg).await.expect("broker-b starts");
    assert!(b.wait_registered(Duration::from_secs(10)).await);
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_keep_succeeding_after_one_of_two_brokers_stops() {
    let a = EmbeddedBroker::start().await.unwrap();
    let ns = a.namesrv_addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let b = second_broker(&ns, dir.path()).await;
    // Long-running producers: their routes were cached while broker-b was up.
    let mut producers = Vec::new();
    for fault_enable in [false, true] {
        let topic = format!("pf-stop-{fault_enable}");
        let p = producer(
            &ns,
            ProducerConfig {
                send_latency_fault_enable: fault_enable,
                ..Default::default()
            },
        );
        // Auto-created through TBW102 on both brokers.
        let mut brokers = std::collections::BTreeSet::new();
        for i in 0..16 {
            let r = p
                .send(&Message::new(&topic, format!("m{i}")))
                .await
                .unwrap();
            brokers.insert(r.message_queue.broker_name);
        }
        assert_eq!(brokers.len(), 2, "both brokers used: {brokers:?}");
        producers.push((topic, p));
    }
    b.shutdown().await;
    for (topic, p) in &producers {
        let started = Instant::now();
        for i in 0..40 {
            let r = p
                .send(&Message::new(topic, format!("after-{i}")))
                .await
                .unwrap_or_else(|e| panic!("send {i} to {topic}: {e}"));
            assert_eq!(r.message_queue.broker_name, "broker-a");
            assert_eq!(r.send_status, SendStatus::SendOk);
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "40 sends took {:?}",
            started.elapsed()
        );
    }
    assert!(!producers[1].1.fault_tolerance().is_available("broker-b"));
    a.shutdown().await;
}

/// A fake broker: it registers `topic` with the name server under `broker-b` and then either
/// never answers, or answers every send with FLUSH_DISK_TIMEOUT.
#[derive(Clone, Copy)]
enum Fake {
    BlackHole,
    FlushDiskTimeout,
}

impl RequestHandler for Fake {
    async fn handle(&self, _channel: Channel, request: RemotingCommand) -> Option<RemotingCommand> {
        match self {
            Fake::BlackHole => None,
            Fake::FlushDiskTimeout => {
                let queue_id = request
                    .ext_fields
                    .get("e")
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(0);
                Some(
                    request
                        .response_to(ResponseCode::FlushDiskTimeout)
                        .with_header(&SendMessageResponseHeader {
                            msg_id: "7F00000100002A9F0000000000000000".into(),
                            queue_id,
                            queue_offset: 0,
                            ..Default::default()
                        }),
                )
            }
        }
    }
}

/// The fake broker's server and its name server connection (the name server forgets a broker
/// whose connection closes).
struct FakeBroker {
    server: rmq_core::remoting::ServerHandle,
    namesrv: RemotingClient<UnsupportedHandler>,
}

impl FakeBroker {
    async fn shutdown(self) {
        self.namesrv.close_all().await;
        self.server.shutdown().await;
    }
}

async fn fake_broker(ns: &str, topic: &str, mode: Fake) -> FakeBroker {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = serve(listener, Arc::new(mode), std::future::pending());
    let mut wrapper = TopicConfigSerializeWrapper::default();
    wrapper
        .topic_config_table
        .insert(topic.to_owned(), TopicConfig::new(topic, 4, 6));
    let body = serde_json::to_vec(&RegisterBrokerBody {
        topic_config_serialize_wrapper: wrapper,
        filter_server_list: Vec::new(),
    })
    .unwrap();
    let header = RegisterBrokerRequestHeader {
        broker_name: "broker-b".into(),
        broker_addr: addr.clone(),
        cluster_name: "FakeCluster".into(),
        ha_server_addr: addr,
        broker_id: 0,
        heartbeat_timeout_millis: None,
        compressed: Some(false),
        body_crc32: None,
    };
    let client = RemotingClient::new(Arc::new(UnsupportedHandler));
    let resp = client
        .invoke(
            ns,
            RemotingCommand::request_with_header(RequestCode::RegisterBroker, &header)
                .with_body(body),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(resp.code, 0, "{}", resp.remark_str());
    FakeBroker {
        server,
        namesrv: client,
    }
}

/// broker-a gets `topic` with 4 queues through the admin API.
async fn create_on_a(ns: &str, topic: &str) {
    let admin = rmq::client::MqAdmin::new(ClientConfig {
        name_server_addr: ns.to_owned(),
        ..Default::default()
    })
    .unwrap();
    admin.create_topic(topic, 4).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_that_never_answers_is_put_aside_after_one_timeout() {
    let a = EmbeddedBroker::start().await.unwrap();
    let ns = a.namesrv_addr().to_string();
    create_on_a(&ns, "pf-hole").await;
    let fake = fake_broker(&ns, "pf-hole", Fake::BlackHole).await;
    let timeout = Duration::from_millis(800);
    let p = producer(
        &ns,
        ProducerConfig {
            send_latency_fault_enable: true,
            send_msg_timeout: timeout,
            ..Default::default()
        },
    );
    let queues = p.publish_queues("pf-hole").await.unwrap();
    assert_eq!(queues.len(), 8, "{queues:?}");
    let started = Instant::now();
    let mut failures = 0;
    for i in 0..40 {
        match p.send(&Message::new("pf-hole", format!("m{i}"))).await {
            Ok(r) => assert_eq!(r.message_queue.broker_name, "broker-a"),
            Err(ClientError::Remoting(e)) => {
                failures += 1;
                assert!(e.to_string().contains("timed out"), "{e}");
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    // The broker is used once at most: that send spends its whole budget there (as Java's
    // sendDefaultImpl does), every later one goes to broker-a at once.
    assert!(failures <= 1, "{failures} sends failed");
    let elapsed = started.elapsed();
    assert!(
        elapsed < timeout + Duration::from_secs(2),
        "40 sends took {elapsed:?}"
    );
    assert!(!p.fault_tolerance().is_available("broker-b"));
    assert!(p.fault_tolerance().is_available("broker-a"));
    fake.shutdown().await;
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_stored_ok_is_retried_on_another_broker_when_asked() {
    let a = EmbeddedBroker::start().await.unwrap();
    let ns = a.namesrv_addr().to_string();
    create_on_a(&ns, "pf-flush").await;
    let fake = fake_broker(&ns, "pf-flush", Fake::FlushDiskTimeout).await;
    for retry_another in [false, true] {
        let p = producer(
            &ns,
            ProducerConfig {
                retry_another_broker_when_not_store_ok: retry_another,
                ..Default::default()
            },
        );
        let mut statuses = Vec::new();
        for i in 0..16 {
            let r = p
                .send(&Message::new("pf-flush", format!("m{i}")))
                .await
                .unwrap();
            statuses.push((r.send_status, r.message_queue.broker_name));
        }
        let timeouts = statuses
            .iter()
            .filter(|(s, b)| *s == SendStatus::FlushDiskTimeout && b == "broker-b")
            .count();
        if retry_another {
            assert_eq!(timeouts, 0, "{statuses:?}");
            assert!(statuses
                .iter()
                .all(|(s, b)| *s == SendStatus::SendOk && b == "broker-a"));
        } else {
            // Round-robin over 4 + 4 queues: half the sends land on broker-b.
            assert_eq!(timeouts, 8, "{statuses:?}");
        }
    }
    fake.shutdown().await;
    a.shutdown().await;
}
