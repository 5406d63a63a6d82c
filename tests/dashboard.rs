//! The web dashboard end to end, in headless chromium: an `Application` with the embedded
//! broker and `rocketmq.dashboard.enabled: true` consumes one message of `boot-test`; the
//! Consumers page shows Broker Offset 1, Consumer Offset 1, Diff Total 0. The driver then
//! clicks through every page, logs in, sends a test message from the Topics page and finds it
//! by key on the Messages page, and checks that a read-only dashboard refuses to send.
//! Screenshots are kept in target/dashboard-screenshots/.

#[path = "dashboard_support/mod.rs"]
mod dashboard_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmq::broker::dashboard::{serve, DashboardConfig};
use rmq::client::{ClientConfig, MqAdmin};
use rmq::rocketmq_listener;

static CONSUMED: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(topic = "boot-test", consumer_group = "dashboard-boot-group")]
async fn dashboard_boot(msg: String) {
    assert_eq!(msg, "Hello, World!");
    CONSUMED.fetch_add(1, Ordering::SeqCst);
}

async fn wait_for(what: &str, secs: u64, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_page_shows_the_boot_message_consumed_and_every_page_works() {
    let app = rmq::Application::builder()
        .config_file("tests/dashboard/no-such-file.yml")
        .read_env(false)
        .without_logging()
        .set("rocketmq.producer.group", "dashboard-test-producer")
        .set("rocketmq.dashboard.enabled", true)
        .set("rocketmq.dashboard.address", "127.0.0.1")
        .set("rocketmq.dashboard.port", 0)
        .set("rocketmq.dashboard.username", "admin")
        .set("rocketmq.dashboard.password", "s3cret")
        .listeners(|d| d.name == "dashboard_boot")
        .start()
        .await
        .expect("application with the dashboard");
    let url = format!(
        "http://{}",
        app.dashboard_addr().expect("dashboard enabled")
    );
    let ro = serve(DashboardConfig {
        read_only: true,
        ..DashboardConfig::new("127.0.0.1:0".parse().unwrap(), app.name_server())
    })
    .await
    .expect("read-only dashboard");

    app.template()
        .sync_send("boot-test", "Hello, World!")
        .await
        .expect("send boot-test");
    wait_for("the listener to consume the message", 30, async || {
        CONSUMED.load(Ordering::SeqCst) == 1
    })
    .await;
    let admin = MqAdmin::new(ClientConfig {
        name_server_addr: app.name_server().to_owned(),
        ..ClientConfig::default()
    })
    .unwrap();
    wait_for("the consumer offset to be committed", 30, async || {
        admin
            .consume_stats("dashboard-boot-group", "boot-test")
            .await
            .is_ok_and(|s| s.values().map(|q| q.consumer_offset).sum::<i64>() == 1)
    })
    .await;
    admin.close().await;

    let shots = dashboard_support::screenshot_dir("embedded");
    let (report, ro) = tokio::task::spawn_blocking(move || {
        let report = dashboard_support::drive(
            &[
                ("DASHBOARD_URL", url),
                ("RO_URL", format!("http://{}", ro.addr())),
                ("GROUP", "dashboard-boot-group".into()),
                ("TOPIC", "boot-test".into()),
                ("SEND_TOPIC", "dashboard-test-topic".into()),
                ("PRODUCER_GROUP", "dashboard-test-producer".into()),
                ("USER", "admin".into()),
                ("PASSWORD", "s3cret".into()),
                ("SHOTS", shots.display().to_string()),
            ],
            Duration::from_secs(150),
        );
        (report, ro)
    })
    .await
    .unwrap();
    eprintln!("driver report: {report:#}");
    ro.shutdown().await;
    // The message resent from the Messages page reaches the listener again.
    let resent = tokio::time::timeout(Duration::from_secs(20), async {
        while CONSUMED.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .is_ok();
    app.shutdown().await;

    assert_eq!(report["errors"], serde_json::json!([]), "{report:#}");
    // The seed's first test.
    let c = &report["consumers"];
    assert_eq!(c["brokerOffset"], 1, "{report:#}");
    assert_eq!(c["consumerOffset"], 1, "{report:#}");
    assert_eq!(c["diffTotal"], 0, "{report:#}");
    assert!(c["rows"].as_u64().unwrap_or(0) >= 1, "{report:#}");
    assert_eq!(report["cluster"]["brokers"], 1, "{report:#}");
    for page in [
        "cluster",
        "consumers",
        "topics",
        "producers",
        "messages",
        "dlq",
    ] {
        let file = report["pages"][page]["screenshot"].as_str().unwrap_or("");
        assert!(
            std::path::Path::new(file).exists(),
            "screenshot of {page}: {report:#}"
        );
    }
    // Login for state-changing calls; a wrong password is refused.
    assert_eq!(report["loginAsked"], true, "{report:#}");
    assert!(
        report["wrongPasswordError"]
            .as_str()
            .is_some_and(|e| e.contains("wrong user or password")),
        "{report:#}"
    );
    assert!(report["sent"]["msgId"].is_string(), "{report:#}");
    // Read-only mode: the page shows it and the API refuses with 403.
    assert_eq!(report["readOnlyBadge"], true, "{report:#}");
    assert_eq!(report["readOnlyApi"]["status"], 403, "{report:#}");
    assert!(
        report["readOnlyError"]
            .as_str()
            .is_some_and(|e| e.contains("read-only")),
        "{report:#}"
    );
}
