//! rmq's lite pull consumer (assign mode) against the embedded broker.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq::broker::EmbeddedBroker;
use rmq::client::{
    ClientConfig, DefaultLitePullConsumer, DefaultMqProducer, Message, ProducerConfig,
};

fn client(ns: &str) -> ClientConfig {
    ClientConfig {
        name_server_addr: ns.to_owned(),
        ..Default::default()
    }
}

async fn poll_until(c: &DefaultLitePullConsumer, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    while got.len() < n {
        assert!(Instant::now() < deadline, "polled {} of {n}", got.len());
        for m in c.poll(Duration::from_millis(500)).await.unwrap() {
            got.push(String::from_utf8_lossy(&m.body).to_string());
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assign_poll_commit_and_seek() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let p = DefaultMqProducer::new(client(&ns), ProducerConfig::default()).unwrap();
    for i in 0..30 {
        p.send(&Message::new("lp-topic", format!("m{i}")))
            .await
            .unwrap();
    }
    let c = DefaultLitePullConsumer::new(client(&ns), "lp-group").unwrap();
    let queues = c.fetch_message_queues("lp-topic").await.unwrap();
    assert_eq!(queues.len(), 4);
    c.assign(queues.clone()).await.unwrap();
    let got: BTreeSet<String> = poll_until(&c, 30).await.into_iter().collect();
    assert_eq!(got, (0..30).map(|i| format!("m{i}")).collect());
    c.commit().await;

    // A new consumer of the group starts after the committed offsets.
    let c2 = Arc::new(DefaultLitePullConsumer::new(client(&ns), "lp-group").unwrap());
    c2.assign(queues.clone()).await.unwrap();
    assert!(c2
        .poll(Duration::from_millis(200))
        .await
        .unwrap()
        .is_empty());
    // A long poll answers as soon as a message arrives.
    let waiter = {
        let c2 = c2.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            (c2.poll(Duration::from_secs(10)).await.unwrap(), t.elapsed())
        })
    };
    p.send(&Message::new("lp-topic", "late")).await.unwrap();
    let (msgs, waited) = waiter.await.unwrap();
    assert_eq!(&msgs[0].body[..], b"late");
    assert!(
        waited < Duration::from_secs(5),
        "poll answered on arrival: {waited:?}"
    );

    // Seek back to the start of every queue: everything again.
    for q in &queues {
        c2.seek(q, 0).await.unwrap();
    }
    let again: BTreeSet<String> = poll_until(&c2, 31).await.into_iter().collect();
    assert_eq!(again.len(), 31);
    c.shutdown().await;
    c2.shutdown().await;
    b.shutdown().await;
}
