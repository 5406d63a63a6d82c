//! rocketmq-spring-boot-starter 2.3.5 (examples/spring-boot: `RocketMQTemplate.syncSend` and
//! `@RocketMQMessageListener`) against rmq-broker, and talking to rmq's framework: a Java POJO
//! decoded by a `#[rocketmq_listener]` into a serde struct, `topic:tag` on both sides, and the
//! Rust template feeding the Java listener. A team can move one service at a time.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use rmq::{rocketmq_listener, MessageExt};
use serde::Deserialize;
use serde_json::Value;

use crate::broker;
use crate::common::{spring_app, CppChild, CppRun};

static SEEN: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn seen(kind: &str) -> Vec<String> {
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| k == kind)
        .map(|(_, v)| v.clone())
        .collect()
}

/// The Java example's `Order` POJO, as its JSON arrives.
#[derive(Debug, Deserialize)]
struct Order {
    id: u64,
    amount: i64,
    note: String,
}

#[rocketmq_listener(topic = "sb-orders", consumer_group = "sb-rust-order-group")]
async fn rust_order_listener(order: Order) -> anyhow::Result<()> {
    let line = format!("{} {} {}", order.id, order.amount, order.note);
    SEEN.lock().unwrap().push(("order".into(), line));
    Ok(())
}

#[rocketmq_listener(
    topic = "sb-tags",
    consumer_group = "sb-rust-tag-group",
    selector_expression = "TagA"
)]
async fn rust_tag_listener(msg: MessageExt) {
    let line = format!("{} {}", msg.msg_id(), String::from_utf8_lossy(&msg.body));
    SEEN.lock().unwrap().push(("tag".into(), line));
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Runs the Spring Boot producer to completion.
async fn boot_producer(args: Vec<String>) -> CppRun {
    blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        spring_app("producer", &args).wait(Duration::from_secs(120))
    })
    .await
}

/// Starts the Spring Boot consumer and waits for its ready line.
async fn boot_consumer(args: Vec<String>) -> CppChild {
    blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let c = spring_app("consumer", &args);
        assert!(
            c.wait_ready(Duration::from_secs(120)),
            "the Spring Boot consumer did not start"
        );
        c
    })
    .await
}

fn sent_ids(run: &CppRun) -> BTreeSet<String> {
    run.assert_ok();
    run.records("sent")
        .map(|r| r["msg_id"].as_str().unwrap().to_string())
        .collect()
}

fn received(c: &CppChild, n: usize, secs: u64) -> Vec<Value> {
    c.wait_lines(Duration::from_secs(secs), n, |v| {
        v.get("received").is_some()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spring_boot_producer_and_listener_on_rmq_broker() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("boot-test", 4);
    let ns_arg = format!("--rocketmq.name-server={ns}");
    let consumer = boot_consumer(vec![ns_arg.clone()]).await;
    let run = boot_producer(vec![ns_arg.clone(), "--demo.count=3".into()]).await;
    let ids = sent_ids(&run);
    assert_eq!(ids.len(), 3);
    let got = blocking(move || {
        let got = received(&consumer, 3, 60);
        consumer.terminate();
        got
    })
    .await;
    let got_ids: BTreeSet<String> = got
        .iter()
        .map(|v| v["msg_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got_ids, ids);
    let bodies: BTreeSet<&str> = got
        .iter()
        .map(|v| v["received"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["Hello, World! 0", "Hello, World! 1", "Hello, World! 2"].into()
    );
    assert!(got.iter().all(|v| v["topic"] == "boot-test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spring_boot_and_rmq_framework_talk_both_ways() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    for topic in ["sb-orders", "sb-tags", "sb-from-rust"] {
        b.create_topic(topic, 4);
    }
    let names = ["rust_order_listener", "rust_tag_listener"];
    let app = rmq::Application::builder()
        .config_file("tests/java_client/no-such-file.yml")
        .read_env(false)
        .without_logging()
        .set("rocketmq.name-server", ns.clone())
        .set("rocketmq.producer.group", "sb-rust-producer")
        .listeners(move |d| names.contains(&d.name))
        .start()
        .await
        .unwrap();
    let ns_arg = format!("--rocketmq.name-server={ns}");

    // The Java consumer on sb-from-rust, TagA only, started while the Java producers run.
    let consumer = boot_consumer(vec![
        ns_arg.clone(),
        "--demo.topic=sb-from-rust".into(),
        "--demo.tag=TagA".into(),
        "--demo.group=sb-java-group".into(),
    ])
    .await;

    // Java POJOs (convertAndSend/syncSend → JSON) into a serde struct.
    let run = boot_producer(vec![
        ns_arg.clone(),
        "--demo.payload=order".into(),
        "--demo.topic=sb-orders".into(),
        "--demo.count=3".into(),
    ])
    .await;
    sent_ids(&run);
    // `topic:tag` from Java: the Rust listener selects TagA.
    let tag_a = boot_producer(vec![
        ns_arg.clone(),
        "--demo.topic=sb-tags".into(),
        "--demo.tag=TagA".into(),
        "--demo.count=2".into(),
    ])
    .await;
    let tag_a_ids = sent_ids(&tag_a);
    let tag_b = boot_producer(vec![
        ns_arg.clone(),
        "--demo.topic=sb-tags".into(),
        "--demo.tag=TagB".into(),
        "--demo.count=2".into(),
    ])
    .await;
    sent_ids(&tag_b);

    // The Rust template into the Java listener (TagA only).
    let t = app.template();
    let mut rust_ids = BTreeSet::new();
    for i in 0..3 {
        let r = t
            .sync_send("sb-from-rust:TagA", format!("from rust {i}"))
            .await
            .unwrap();
        rust_ids.insert(r.msg_id);
    }
    t.sync_send("sb-from-rust:TagB", "not for the Java listener")
        .await
        .unwrap();

    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while (seen("order").len() < 3 || seen("tag").len() < 2) && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let orders: BTreeSet<String> = seen("order").into_iter().collect();
    assert_eq!(
        orders,
        ["0 100 order-0", "1 101 order-1", "2 102 order-2"]
            .map(String::from)
            .into()
    );
    let got = blocking(move || {
        let got = received(&consumer, 3, 60);
        // a TagB message would arrive right behind the TagA ones
        std::thread::sleep(Duration::from_millis(300));
        let got_all = received(&consumer, usize::MAX, 0);
        consumer.terminate();
        assert_eq!(
            got.len(),
            got_all.len(),
            "the TagB message reached the Java listener"
        );
        got
    })
    .await;
    let java_saw: BTreeSet<String> = got
        .iter()
        .map(|v| v["msg_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(java_saw, rust_ids);
    assert!(got.iter().all(|v| v["tags"] == "TagA"));

    let tags = seen("tag");
    assert_eq!(tags.len(), 2, "TagB filtered: {tags:?}");
    let tag_ids: BTreeSet<String> = tags
        .iter()
        .map(|s| s.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(tag_ids, tag_a_ids);
    assert!(
        tags.iter().all(|s| s.contains("Hello, World! ")),
        "{tags:?}"
    );
    app.shutdown().await;
}
