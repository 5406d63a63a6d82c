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

mod consumer_support;

use consumer_support::{produce, wait_committed};
use rmq::client::consumer::{ConsumeFromWhere, LitePullConsumerConfig};

fn lite(ns: &str, group: &str, cfg: LitePullConsumerConfig) -> DefaultLitePullConsumer {
    DefaultLitePullConsumer::with_config(
        client(ns),
        LitePullConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..cfg
        },
    )
    .unwrap()
}

async fn wait_for_split(a: &DefaultLitePullConsumer, b: &DefaultLitePullConsumer) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let qa: BTreeSet<i32> = a.assignment().await.iter().map(|q| q.queue_id).collect();
        let qb: BTreeSet<i32> = b.assignment().await.iter().map(|q| q.queue_id).collect();
        if qa.is_disjoint(&qb) && qa.len() == 2 && qb.len() == 2 {
            return;
        }
        assert!(Instant::now() < deadline, "never split: {qa:?} / {qb:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_two_members_split_the_queues() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    produce(&ns, "lps-split", 1, "warm").await;
    let c1 = Arc::new(lite(&ns, "lps-split-group", Default::default()));
    let c2 = Arc::new(lite(&ns, "lps-split-group", Default::default()));
    for c in [&c1, &c2] {
        c.subscribe("lps-split", "*").unwrap();
        c.start().await.unwrap();
    }
    wait_for_split(&c1, &c2).await;
    let sent = produce(&ns, "lps-split", 100, "m").await;
    let all: Arc<std::sync::Mutex<Vec<(usize, String)>>> = Arc::default();
    let poller = |who: usize, c: Arc<DefaultLitePullConsumer>| {
        let all = all.clone();
        tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            while all.lock().unwrap().len() < 100 {
                assert!(
                    Instant::now() < deadline,
                    "polled {} of 100",
                    all.lock().unwrap().len()
                );
                let msgs = c.poll(Duration::from_millis(200)).await.unwrap();
                assert!(msgs.len() <= 10, "at most pull_batch_size per poll");
                all.lock().unwrap().extend(
                    msgs.into_iter()
                        .filter(|m| m.body.starts_with(b"m-"))
                        .map(|m| (who, m.msg_id())),
                );
            }
        })
    };
    let (h1, h2) = (poller(1, c1.clone()), poller(2, c2.clone()));
    h1.await.unwrap();
    h2.await.unwrap();
    let of = |who: usize| -> BTreeSet<String> {
        all.lock()
            .unwrap()
            .iter()
            .filter(|(w, _)| *w == who)
            .map(|(_, id)| id.clone())
            .collect()
    };
    let (s1, s2) = (of(1), of(2));
    assert!(
        !s1.is_empty() && !s2.is_empty(),
        "both members got messages"
    );
    assert!(s1.is_disjoint(&s2));
    assert_eq!(s1.union(&s2).cloned().collect::<BTreeSet<_>>(), sent);
    c1.shutdown().await;
    c2.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_commit_persists_offsets_and_a_restart_does_not_reread() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    produce(&ns, "lps-commit", 40, "old").await;
    let cfg = || LitePullConsumerConfig {
        auto_commit_interval: Duration::from_secs(1),
        ..Default::default()
    };
    let c = lite(&ns, "lps-commit-group", cfg());
    c.subscribe("lps-commit", "*").unwrap();
    c.start().await.unwrap();
    assert_eq!(poll_until(&c, 40).await.len(), 40);
    // Committed by the auto-commit timer while the consumer still runs.
    wait_committed(&ns, "lps-commit-group", "lps-commit", 20).await;
    c.shutdown().await;

    let new = produce(&ns, "lps-commit", 10, "new").await;
    let c2 = lite(&ns, "lps-commit-group", cfg());
    c2.subscribe("lps-commit", "*").unwrap();
    c2.start().await.unwrap();
    let got = poll_until(&c2, 10).await;
    assert!(got.iter().all(|b| b.starts_with("new-")), "{got:?}");
    assert!(c2
        .poll(Duration::from_millis(300))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(new.len(), 10);
    c2.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_commit_and_poll_timeouts() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    produce(&ns, "lps-manual", 20, "m").await;
    let c = lite(
        &ns,
        "lps-manual-group",
        LitePullConsumerConfig {
            auto_commit: false,
            ..Default::default()
        },
    );
    assert!(
        c.poll(Duration::from_millis(10)).await.is_err(),
        "polling before start is an error"
    );
    c.subscribe("lps-manual", "*").unwrap();
    c.start().await.unwrap();
    assert_eq!(poll_until(&c, 20).await.len(), 20);
    // Nothing arrives: poll answers empty within its timeout.
    let t = Instant::now();
    assert!(c.poll(Duration::from_millis(300)).await.unwrap().is_empty());
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(290) && waited < Duration::from_secs(1),
        "{waited:?}"
    );
    let lag = |ns: String| async move {
        let admin = rmq::client::MqAdmin::new(client(&ns)).unwrap();
        let stats = admin
            .consume_stats("lps-manual-group", "lps-manual")
            .await
            .unwrap();
        stats.values().map(|s| s.lag()).sum::<i64>()
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(lag(ns.clone()).await, 20, "no auto-commit");
    c.commit().await;
    assert_eq!(lag(ns.clone()).await, 0, "committed");
    let queues = c.assignment().await;
    let total: i64 = {
        let mut t = 0;
        for q in &queues {
            t += c.committed(q).await.unwrap().unwrap_or(0);
        }
        t
    };
    assert_eq!(total, 20, "committed offsets of the 4 queues");
    // Back to the start of every queue: all 20 again; then to the end: nothing.
    for q in &queues {
        c.seek_to_begin(q).await.unwrap();
    }
    assert_eq!(poll_until(&c, 20).await.len(), 20);
    for q in &queues {
        c.seek_to_end(q).await.unwrap();
    }
    assert!(c.poll(Duration::from_millis(300)).await.unwrap().is_empty());
    c.shutdown().await;
    b.shutdown().await;
}
