//! rmq's producer against the embedded broker: every send mode, checked by pulling back what
//! was stored.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq::broker::EmbeddedBroker;
use rmq::client::{
    ClientConfig, ClientError, DefaultMqProducer, Message, MessageExt, ProducerConfig, SendStatus,
};
use rmq::protocol::header::{PullMessageRequestHeader, PULL_FLAG_SUBSCRIPTION};
use rmq::protocol::{RemotingCommand, RequestCode};
use rmq_core::remoting::{RemotingClient, UnsupportedHandler};

fn producer(namesrv: &str) -> DefaultMqProducer {
    DefaultMqProducer::new(
        ClientConfig {
            name_server_addr: namesrv.to_owned(),
            ..Default::default()
        },
        ProducerConfig {
            producer_group: "test-producer".into(),
            ..Default::default()
        },
    )
    .expect("producer")
}

/// Everything stored in a queue from offset 0.
async fn pull_all(broker: &str, topic: &str, queue_id: i32) -> Vec<MessageExt> {
    let client = RemotingClient::new(Arc::new(UnsupportedHandler));
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let h = PullMessageRequestHeader {
            consumer_group: "check".into(),
            topic: topic.into(),
            queue_id,
            queue_offset: offset,
            max_msg_nums: 32,
            sys_flag: PULL_FLAG_SUBSCRIPTION,
            commit_offset: 0,
            suspend_timeout_millis: 0,
            subscription: Some("*".into()),
            sub_version: 0,
            expression_type: None,
            max_msg_bytes: None,
        };
        let resp = client
            .invoke(
                broker,
                RemotingCommand::request_with_header(RequestCode::PullMessage, &h),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        if resp.code != 0 {
            break;
        }
        let batch = MessageExt::decode_all(&resp.body).unwrap();
        offset += batch.len() as i64;
        out.extend(batch);
    }
    client.close_all().await;
    out
}

#[tokio::test]
async fn sync_send_is_stored_with_tags_keys_and_ids() {
    let b = EmbeddedBroker::start().await.unwrap();
    let p = producer(&b.namesrv_addr().to_string());
    let r = p
        .send(
            &Message::new("p-sync", "hello")
                .with_tags("TagA")
                .with_keys("k1 k2")
                .with_property("color", "red"),
        )
        .await
        .unwrap();
    assert_eq!(r.send_status, SendStatus::SendOk);
    assert_eq!(r.msg_id.len(), 32);
    let stored = pull_all(
        &b.broker_addr().to_string(),
        "p-sync",
        r.message_queue.queue_id,
    )
    .await;
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    assert_eq!(&m.body[..], b"hello");
    assert_eq!(m.msg_id(), r.msg_id);
    assert_eq!(m.offset_msg_id(), r.offset_msg_id);
    assert_eq!(m.tags(), Some("TagA"));
    assert_eq!(m.keys(), Some("k1 k2"));
    assert_eq!(m.property("color"), Some("red"));
    b.shutdown().await;
}

#[tokio::test]
async fn large_body_is_compressed_and_oneway_is_stored() {
    let b = EmbeddedBroker::start().await.unwrap();
    let p = producer(&b.namesrv_addr().to_string());
    let big = vec![b'z'; 100 * 1024];
    let r = p.send(&Message::new("p-big", big.clone())).await.unwrap();
    let stored = pull_all(
        &b.broker_addr().to_string(),
        "p-big",
        r.message_queue.queue_id,
    )
    .await;
    assert_eq!(stored[0].body.len(), big.len());
    assert!(stored[0].store_size < 10_000, "stored compressed");
    for i in 0..20 {
        p.send_oneway(&Message::new("p-big", format!("one-{i}")))
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut n = 0;
        for q in 0..4 {
            n += pull_all(&b.broker_addr().to_string(), "p-big", q)
                .await
                .iter()
                .filter(|m| m.body.starts_with(b"one-"))
                .count();
        }
        if n == 20 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {n} of 20 oneway messages stored"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    b.shutdown().await;
}

#[tokio::test]
async fn selector_and_batch_sends() {
    let b = EmbeddedBroker::start().await.unwrap();
    let p = producer(&b.namesrv_addr().to_string());
    for order_id in 0..8u64 {
        let r = p
            .send_with_selector(
                &Message::new("p-order", format!("order-{order_id}")),
                |qs| (order_id % qs.len() as u64) as usize,
            )
            .await
            .unwrap();
        assert_eq!(r.message_queue.queue_id as u64, order_id % 4);
    }
    let msgs: Vec<Message> = (0..100)
        .map(|i| Message::new("p-batch", format!("b{i}")))
        .collect();
    let results = p.send_batch(&msgs).await.unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].msg_id.split(',').count(), 100);
    let stored = pull_all(
        &b.broker_addr().to_string(),
        "p-batch",
        results[0].message_queue.queue_id,
    )
    .await;
    assert_eq!(stored.len(), 100);
    assert_eq!(
        stored.iter().map(|m| m.queue_offset).collect::<Vec<_>>(),
        (0..100).collect::<Vec<_>>()
    );
    b.shutdown().await;
}

#[tokio::test]
async fn invalid_messages_fail_before_the_wire_and_unreachable_namesrv_fails_fast() {
    let b = EmbeddedBroker::start().await.unwrap();
    let p = producer(&b.namesrv_addr().to_string());
    let too_big = Message::new("p-bad", vec![0u8; 4 * 1024 * 1024 + 1]);
    assert!(
        matches!(p.send(&too_big).await, Err(ClientError::InvalidMessage(e)) if e.contains("4194304"))
    );
    assert!(matches!(
        p.send(&Message::new("bad topic", "x")).await,
        Err(ClientError::InvalidMessage(_))
    ));
    assert!(matches!(
        p.send(&Message::new("p-bad", "")).await,
        Err(ClientError::InvalidMessage(_))
    ));
    b.shutdown().await;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap().to_string();
    drop(listener);
    let p = producer(&closed);
    let started = Instant::now();
    let err = p.send(&Message::new("p-nowhere", "x")).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "fails within the send timeout"
    );
    assert!(err.to_string().contains(&closed), "{err}");
}

#[tokio::test]
async fn admin_creates_topics_and_reports_lag() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let admin = rmq::client::MqAdmin::new(ClientConfig {
        name_server_addr: ns.clone(),
        ..Default::default()
    })
    .unwrap();
    let info = admin.cluster_info().await.unwrap();
    assert!(info.cluster_addr_table["DefaultCluster"].contains("broker-a"));
    admin.create_topic("adm-lag", 2).await.unwrap();
    let p = producer(&ns);
    for i in 0..6 {
        p.send_with_selector(&Message::new("adm-lag", format!("m{i}")), |_| 1)
            .await
            .unwrap();
    }
    let stats = admin.consume_stats("adm-group", "adm-lag").await.unwrap();
    assert_eq!(stats.len(), 2);
    let q1 = stats.iter().find(|(q, _)| q.queue_id == 1).unwrap().1;
    assert_eq!((q1.broker_offset, q1.consumer_offset, q1.lag()), (6, 0, 6));
    b.shutdown().await;
}

#[tokio::test]
async fn async_sends_with_future_and_callback() {
    let b = EmbeddedBroker::start().await.unwrap();
    let p = producer(&b.namesrv_addr().to_string());
    let handles: Vec<_> = (0..50)
        .map(|i| p.send_async(Message::new("p-async", format!("a{i}"))))
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        ids.insert(h.await.unwrap().msg_id);
    }
    assert_eq!(ids.len(), 50);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..10 {
        let tx = tx.clone();
        p.send_async_with_callback(Message::new("p-async", format!("c{i}")), move |r| {
            let _ = tx.send(r.map(|r| r.msg_id));
        });
    }
    for _ in 0..10 {
        let r = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(ids.insert(r.unwrap()));
    }
    let mut stored = 0;
    for q in 0..4 {
        stored += pull_all(&b.broker_addr().to_string(), "p-async", q)
            .await
            .len();
    }
    assert_eq!(stored, 60);
    b.shutdown().await;
}

#[tokio::test]
async fn unknown_topic_without_auto_create_is_a_clear_error() {
    let mut cfg = rmq::broker::EmbeddedConfig::default();
    cfg.broker.auto_create_topic_enable = false;
    let b = EmbeddedBroker::start_with(cfg).await.unwrap();
    let p = producer(&b.namesrv_addr().to_string());
    let started = Instant::now();
    let err = p
        .send(&Message::new("p-never-created", "x"))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(&err, ClientError::NoRoute { topic, .. } if topic == "p-never-created"),
        "{err:?}"
    );
    assert!(err.to_string().contains("autoCreateTopicEnable"), "{err}");
    b.shutdown().await;
}

#[tokio::test]
async fn namespace_wraps_topics_on_the_wire_and_unwraps_results() {
    let b = EmbeddedBroker::start().await.unwrap();
    let p = DefaultMqProducer::new(
        ClientConfig {
            name_server_addr: b.namesrv_addr().to_string(),
            namespace: "ns1".into(),
            ..Default::default()
        },
        ProducerConfig {
            producer_group: "ns-producer".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let r = p.send(&Message::new("p-ns", "wrapped")).await.unwrap();
    assert_eq!(r.message_queue.topic, "p-ns");
    let batch = p
        .send_batch(&[Message::new("p-ns", "b1"), Message::new("p-ns", "b2")])
        .await
        .unwrap();
    assert_eq!(batch[0].message_queue.topic, "p-ns");
    let picked = p
        .send_with_selector(&Message::new("p-ns", "sel"), |qs| {
            assert!(qs.iter().all(|q| q.topic == "p-ns"), "{qs:?}");
            1
        })
        .await
        .unwrap();
    assert_eq!(picked.message_queue.queue_id, 1);
    assert!(p
        .publish_queues("p-ns")
        .await
        .unwrap()
        .iter()
        .all(|q| q.topic == "p-ns"));
    let broker = b.broker_addr().to_string();
    let mut bodies = Vec::new();
    for q in 0..4 {
        for m in pull_all(&broker, "ns1%p-ns", q).await {
            assert_eq!(m.topic, "ns1%p-ns");
            bodies.push(String::from_utf8_lossy(&m.body).into_owned());
        }
        assert!(pull_all(&broker, "p-ns", q).await.is_empty());
    }
    bodies.sort();
    assert_eq!(bodies, ["b1", "b2", "sel", "wrapped"]);
    b.shutdown().await;
}

#[tokio::test]
async fn hash_key_selector_keeps_a_key_on_one_queue() {
    let b = EmbeddedBroker::start().await.unwrap();
    let p = producer(&b.namesrv_addr().to_string());
    let mut queue_of_key = std::collections::HashMap::new();
    for i in 0..30 {
        let key = format!("order-{}", i % 5);
        let r = p
            .send_with_selector(
                &Message::new("p-hash", format!("{key}-{i}")),
                rmq::client::select_by_hash_key(&key),
            )
            .await
            .unwrap();
        let q = *queue_of_key
            .entry(key.clone())
            .or_insert(r.message_queue.queue_id);
        assert_eq!(q, r.message_queue.queue_id, "{key}");
        let expected = (rmq::client::java_string_hash_code(&key) % 4).unsigned_abs() as i32;
        assert_eq!(q, expected);
    }
    b.shutdown().await;
}

#[tokio::test]
async fn binary_rocketmq_headers_are_accepted() {
    let b = EmbeddedBroker::start().await.unwrap();
    let p = DefaultMqProducer::new(
        ClientConfig {
            name_server_addr: b.namesrv_addr().to_string(),
            ..Default::default()
        },
        ProducerConfig {
            serialize_type: rmq::protocol::SerializeType::RocketMq,
            ..Default::default()
        },
    )
    .unwrap();
    let r = p
        .send(&Message::new("p-bin", "binary").with_tags("TagB"))
        .await
        .unwrap();
    assert_eq!(r.send_status, SendStatus::SendOk);
    let batch = p
        .send_batch(&[Message::new("p-bin", "b1"), Message::new("p-bin", "b2")])
        .await
        .unwrap();
    assert_eq!(batch[0].msg_id.split(',').count(), 2);
    let mut stored = 0;
    for q in 0..4 {
        for m in pull_all(&b.broker_addr().to_string(), "p-bin", q).await {
            if m.msg_id() == r.msg_id {
                assert_eq!(m.tags(), Some("TagB"));
            }
            stored += 1;
        }
    }
    assert_eq!(stored, 3);
    b.shutdown().await;
}

#[tokio::test]
async fn silent_name_server_fails_within_the_send_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let p = DefaultMqProducer::new(
        ClientConfig {
            name_server_addr: addr,
            ..Default::default()
        },
        ProducerConfig {
            send_msg_timeout: Duration::from_millis(500),
            ..Default::default()
        },
    )
    .unwrap();
    let started = Instant::now();
    let err = p.send(&Message::new("p-silent", "x")).await.unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert!(
        matches!(&err, ClientError::NoRoute { reason, .. } if reason.contains("500 ms")),
        "{err}"
    );
    hold.abort();
}
