//! The Spring-style layer with `rocketmq.name-server` pointed at the Apache NameServer:
//! `#[rocketmq_listener]` handlers and `RocketMqTemplate` in-process, and the `quickstart` and
//! `boot_json` examples as processes (no embedded broker starts).

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rmq::{rocketmq_listener, Json, MessageExt, SendStatus};
use serde::{Deserialize, Serialize};

use crate::support::*;

static SEEN: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn seen(kind: &str) -> Vec<String> {
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| k == kind)
        .map(|(_, v)| v.clone())
        .collect()
}

#[rocketmq_listener(
    topic = "af-text",
    consumer_group = "af-text-group",
    selector_expression = "TagA"
)]
async fn apache_text_listener(msg: MessageExt) {
    let body = String::from_utf8_lossy(&msg.body).to_string();
    SEEN.lock()
        .unwrap()
        .push(("text".into(), format!("{} {body}", msg.msg_id())));
}

#[derive(Debug, Serialize, Deserialize)]
struct Quote {
    symbol: String,
    cents: i64,
}

#[rocketmq_listener(topic = "af-json", consumer_group = "af-json-group")]
async fn apache_json_listener(q: Quote) -> anyhow::Result<()> {
    SEEN.lock()
        .unwrap()
        .push(("json".into(), format!("{}={}", q.symbol, q.cents)));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_and_template_on_the_apache_cluster() {
    let ns = ns().await;
    create_topic("af-text", 4).await;
    create_topic("af-json", 4).await;
    let names = ["apache_text_listener", "apache_json_listener"];
    let app = rmq::Application::builder()
        .config_file("tests/apache_broker/no-such-file.yml")
        .read_env(false)
        .without_logging()
        .set("rocketmq.name-server", ns.clone())
        .set("rocketmq.producer.group", "af-producer")
        .listeners(move |d| names.contains(&d.name))
        .start()
        .await
        .unwrap();
    assert!(
        app.embedded_broker().is_none(),
        "no embedded broker with a name server set"
    );
    let t = app.template();
    let mut sent = BTreeSet::new();
    for i in 0..10 {
        let r = t
            .sync_send("af-text:TagA", format!("sync-{i}"))
            .await
            .unwrap();
        assert_eq!(r.send_status, SendStatus::SendOk);
        sent.insert(format!("{} sync-{i}", r.msg_id));
    }
    let r = t.async_send("af-text:TagA", "async").await.unwrap();
    sent.insert(format!("{} async", r.msg_id));
    let r = t
        .sync_send_orderly("af-text:TagA", "orderly", "key-1")
        .await
        .unwrap();
    sent.insert(format!("{} orderly", r.msg_id));
    t.sync_send("af-text:TagB", "filtered").await.unwrap();
    t.sync_send(
        "af-json",
        Json(Quote {
            symbol: "RMQ".into(),
            cents: 4200,
        }),
    )
    .await
    .unwrap();
    wait_until("12 text and 1 JSON deliveries", 60, || {
        seen("text").len() >= 12 && !seen("json").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        seen("text").into_iter().collect::<BTreeSet<_>>(),
        sent,
        "TagB filtered out"
    );
    assert_eq!(seen("json"), ["RMQ=4200"]);
    app.shutdown().await;
}

/// `target/debug/examples/<name>` (cargo test builds the examples).
fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built (cargo test builds the examples)",
        path.display()
    );
    path
}

/// Runs an example from the workspace root with ROCKETMQ_NAME_SERVER set; collects its output.
fn run_example(name: &str, ns: &str, until: &str, stop: bool) -> (bool, String) {
    let root = crate::common::workspace_root();
    let mut child = Command::new(example(name))
        .current_dir(&root)
        .env("ROCKETMQ_NAME_SERVER", ns)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = std::sync::Arc::new(Mutex::new(String::new()));
    let mut readers = Vec::new();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let out = out.clone();
        readers.push(std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stream)
                .lines()
                .map_while(Result::ok)
            {
                out.lock().unwrap().push_str(&(line + "\n"));
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !out.lock().unwrap().contains(until) && Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let reached = out.lock().unwrap().contains(until);
    if stop {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    for r in readers {
        let _ = r.join();
    }
    let text = out.lock().unwrap().clone();
    (reached && status.is_some_and(|s| s.success()), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_and_boot_json_examples_run_on_the_apache_cluster() {
    let ns = ns().await;
    // An operator creates the topics first (mqadmin updateTopic); consumers then find their
    // routes at once instead of at the next 30 s route poll.
    for topic in ["boot-test", "orders", "boot-json"] {
        create_topic(topic, 4).await;
    }
    let ns2 = ns.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        run_example(
            "quickstart",
            &ns2,
            "listeners received 3 of 3 messages",
            true,
        )
    })
    .await
    .unwrap();
    assert!(ok, "quickstart against {ns}:\n{out}");
    assert!(out.contains("received Hello, World!"), "{out}");
    assert!(
        !out.contains("embedded broker"),
        "no embedded broker may start:\n{out}"
    );
    let ns2 = ns.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        run_example("boot_json", &ns2, "OrderPaidEvent", false)
    })
    .await
    .unwrap();
    assert!(ok, "boot_json against {ns}:\n{out}");
    assert!(out.contains("A-1001"), "{out}");
}
