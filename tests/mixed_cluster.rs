//! A mixed cluster: rmq-broker registered with the Apache NameServer beside an Apache broker,
//! and an Apache broker registered with rmq's NameServer beside rmq-broker. One topic spans
//! both brokers; rmq's and the Java client's producers and consumers route across both; a
//! broker stopped moves the traffic to the other.

#[path = "../rmq-broker/tests/common/mod.rs"]
mod common;
mod consumer_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{ApacheBroker, ApacheNamesrv, ApacheVersion, BrokerProcess, CppRun};
use consumer_support::{producer, recorder, wait_until, Seen};
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{ConsumerConfig, DefaultMqPushConsumer, Message};
use serde_json::Value;

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

async fn java(args: &[&str]) -> CppRun {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::java_client(&args)
    })
    .await
}

/// rmq sends `n` driver bodies; returns the broker name of each send.
async fn rmq_send(ns: &str, topic: &str, prefix: &str, n: usize) -> BTreeMap<String, usize> {
    let p = producer(ns);
    let mut brokers = BTreeMap::new();
    for i in 0..n {
        let r = p
            .send(&Message::new(topic, format!("{prefix}-{i:08}-s0-t0|")))
            .await
            .unwrap_or_else(|e| panic!("send {i} to {topic}: {e}"));
        *brokers.entry(r.message_queue.broker_name).or_insert(0) += 1;
    }
    p.shutdown().await;
    brokers
}

/// The Java producer sends `n` driver bodies; returns the broker name of each send.
async fn java_send(ns: &str, topic: &str, prefix: &str, n: usize) -> BTreeMap<String, usize> {
    let run = java(&[
        "produce",
        "--namesrv",
        ns,
        "--topic",
        topic,
        "--prefix",
        prefix,
        "--count",
        &n.to_string(),
    ])
    .await;
    run.assert_ok();
    let mut brokers = BTreeMap::new();
    for r in run.records("msg_id") {
        *brokers
            .entry(r["broker"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    brokers
}

fn rmq_consumer(ns: &str, group: &str, topic: &str) -> (DefaultMqPushConsumer, Seen) {
    let (c, seen) = recorder(
        ns,
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        false,
    );
    c.subscribe(topic, "*");
    (c, seen)
}

fn bodies(seen: &Seen, prefix: &str) -> BTreeSet<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).to_string())
        .filter(|b| b.starts_with(&format!("{prefix}-")))
        .collect()
}

/// The route of `topic` from `ns` as JSON (quoted keys: the request asks for standard JSON).
fn route(ns: &str, topic: &str) -> Value {
    let (header, body) = common::remoting_call(
        ns,
        common::REQUEST_GET_ROUTEINFO_BY_TOPIC,
        &[("topic", topic), ("acceptStandardJsonOnly", "true")],
    );
    assert_eq!(header["code"], 0, "route of {topic} from {ns}: {header}");
    serde_json::from_str(&rmq::protocol::body::fastjson_to_json(
        &String::from_utf8_lossy(&body),
    ))
    .unwrap()
}

/// Checks that `route` lists both brokers with 4 read/write queues each, at their addresses.
fn assert_route_spans(route: &Value, brokers: &[(&str, &str)]) {
    let queues: BTreeMap<&str, (&Value, &Value)> = route["queueDatas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["brokerName"].as_str().unwrap(),
                (&q["readQueueNums"], &q["writeQueueNums"]),
            )
        })
        .collect();
    let datas: BTreeMap<&str, &Value> = route["brokerDatas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["brokerName"].as_str().unwrap(), &b["brokerAddrs"]["0"]))
        .collect();
    for (name, addr) in brokers {
        assert_eq!(
            queues.get(name).map(|q| (q.0.as_u64(), q.1.as_u64())),
            Some((Some(4), Some(4))),
            "{route}"
        );
        assert_eq!(
            datas.get(name).and_then(|a| a.as_str()),
            Some(*addr),
            "{route}"
        );
        assert!(route["brokerDatas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["cluster"] == "DefaultCluster"));
    }
}

/// Sends from both clients and consumes with both; every message arrives, over both brokers.
async fn traffic_spans_both(ns: &str, topic: &str, names: [&str; 2]) {
    let (c, seen) = rmq_consumer(ns, &format!("{topic}-rmq"), topic);
    c.start().await.unwrap();
    let by_rmq = rmq_send(ns, topic, "r", 40).await;
    let by_java = java_send(ns, topic, "j", 40).await;
    for name in names {
        assert!(
            by_rmq.get(name).is_some_and(|n| *n > 0),
            "rmq sent nothing to {name}: {by_rmq:?}"
        );
        assert!(
            by_java.get(name).is_some_and(|n| *n > 0),
            "Java sent nothing to {name}: {by_java:?}"
        );
    }
    wait_until("80 messages at the rmq consumer", 60, || {
        bodies(&seen, "r").len() == 40 && bodies(&seen, "j").len() == 40
    })
    .await;
    let stores: BTreeSet<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.store_host.to_string())
        .collect();
    assert_eq!(stores.len(), 2, "consumed from both brokers: {stores:?}");
    c.shutdown().await;
    for prefix in ["r", "j"] {
        let run = java(&[
            "consume",
            "--namesrv",
            ns,
            "--topic",
            topic,
            "--group",
            &format!("{topic}-java-{prefix}"),
            "--prefix",
            prefix,
            "--expect",
            "40",
            "--from-first",
            "--verbose",
            "--timeout",
            "60",
        ])
        .await;
        run.assert_ok();
        let stores: BTreeSet<&str> = run
            .records("recv")
            .map(|r| r["store_host"].as_str().unwrap())
            .collect();
        assert_eq!(
            stores.len(),
            2,
            "the Java consumer read from both brokers: {stores:?}"
        );
    }
}

/// After a broker stopped: both clients' sends all land on `survivor`, and a consumer
/// started now gets them.
async fn traffic_moves_to(ns: &str, topic: &str, survivor: &str) {
    let by_rmq = rmq_send(ns, topic, "after-r", 20).await;
    assert_eq!(by_rmq.keys().collect::<Vec<_>>(), [survivor], "{by_rmq:?}");
    let by_java = java_send(ns, topic, "after-j", 20).await;
    assert_eq!(
        by_java.keys().collect::<Vec<_>>(),
        [survivor],
        "{by_java:?}"
    );
    let (c, seen) = rmq_consumer(ns, &format!("{topic}-after"), topic);
    c.start().await.unwrap();
    wait_until("the 40 later messages", 60, || {
        bodies(&seen, "after-r").len() == 20 && bodies(&seen, "after-j").len() == 20
    })
    .await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmq_broker_joins_an_apache_name_server() {
    let (namesrv, mut java_broker) = blocking(|| {
        let ns = ApacheNamesrv::start(ApacheVersion::V5);
        let b = ApacheBroker::start(ApacheVersion::V5, &ns.addr(), "broker-j", "");
        (ns, b)
    })
    .await;
    let ns = namesrv.addr();
    let ns2 = ns.clone();
    let mut rmq_broker = blocking(move || {
        let b = BrokerProcess::start_broker_only(&ns2, "brokerName=broker-r");
        common::wait_broker_registered(&ns2, "broker-r", &b.broker_addr(), Duration::from_secs(20));
        b
    })
    .await;
    let (ja, ra) = (java_broker.addr(), rmq_broker.broker_addr());
    let ns2 = ns.clone();
    let (ja2, ra2) = (ja.clone(), ra.clone());
    blocking(move || {
        common::create_topic_on(&ja2, &ns2, "mx-a", 4, "broker-j");
        common::create_topic_on(&ra2, &ns2, "mx-a", 4, "broker-r");
    })
    .await;
    // The Java NameServer's route for a topic on both brokers.
    let r = route(&ns, "mx-a");
    assert_route_spans(&r, &[("broker-j", &ja), ("broker-r", &ra)]);

    traffic_spans_both(&ns, "mx-a", ["broker-j", "broker-r"]).await;

    // rmq-broker stops (SIGTERM: unregisters from the Java NameServer).
    blocking(move || {
        rmq_broker.stop();
    })
    .await;
    let ns2 = ns.clone();
    blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while route(&ns2, "mx-a").to_string().contains("broker-r") {
            assert!(
                Instant::now() < deadline,
                "broker-r never left the Java NameServer's route"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await;
    traffic_moves_to(&ns, "mx-a", "broker-j").await;
    blocking(move || {
        java_broker.shutdown();
        drop(namesrv);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_broker_joins_rmq_name_server() {
    let rmq = blocking(BrokerProcess::start).await;
    let ns = rmq.namesrv_addr();
    let ns2 = ns.clone();
    let mut java_broker =
        blocking(move || ApacheBroker::start(ApacheVersion::V5, &ns2, "broker-j", "")).await;
    let (ja, ra) = (java_broker.addr(), rmq.broker_addr());
    let ns2 = ns.clone();
    let (ja2, ra2) = (ja.clone(), ra.clone());
    blocking(move || {
        common::create_topic_on(&ja2, &ns2, "mx-b", 4, "broker-j");
        common::create_topic_on(&ra2, &ns2, "mx-b", 4, "broker-a");
    })
    .await;
    // rmq's NameServer's route for a topic on both brokers.
    let r = route(&ns, "mx-b");
    assert_route_spans(&r, &[("broker-j", &ja), ("broker-a", &ra)]);

    traffic_spans_both(&ns, "mx-b", ["broker-j", "broker-a"]).await;

    // The Java broker stops (its shutdown hook unregisters from rmq's NameServer).
    blocking(move || {
        java_broker.shutdown();
    })
    .await;
    let ns2 = ns.clone();
    blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while route(&ns2, "mx-b").to_string().contains("broker-j") {
            assert!(Instant::now() < deadline, "broker-j never left rmq's route");
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await;
    traffic_moves_to(&ns, "mx-b", "broker-a").await;
    drop(rmq);
}
