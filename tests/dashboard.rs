//! The web dashboard end to end, in headless chromium: an `Application` with the embedded
//! broker and `rocketmq.dashboard.enabled: true` consumes one message of `boot-test`; the
//! Consumers page shows Broker Offset 1, Consumer Offset 1, Diff Total 0. The driver then
//! clicks through every page, logs in, sends a test message from the Topics page and finds it
//! by key on the Messages page, creates and deletes a topic, resets the group's offsets by
//! time, resends a dead letter from the DLQ page, and checks that a read-only dashboard
//! refuses to send.
//! Screenshots are kept in target/dashboard-screenshots/.

#[path = "dashboard_support/mod.rs"]
mod dashboard_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rmq::client::{ClientConfig, MqAdmin};

use rmq::rocketmq_listener;

static CONSUMED: AtomicUsize = AtomicUsize::new(0);
static DLQ_DELIVERIES: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(topic = "boot-test", consumer_group = "dashboard-boot-group")]
async fn dashboard_boot(msg: String) {
    assert_eq!(msg, "Hello, World!");
    CONSUMED.fetch_add(1, Ordering::SeqCst);
}

/// Fails its first delivery, which (no retries) moves the message to the group's DLQ; takes
/// the resend from the DLQ page.
#[rocketmq_listener(
    topic = "dashboard-dlq-topic",
    consumer_group = "dashboard-dlq-group",
    max_reconsume_times = 0
)]
async fn dashboard_dlq(_msg: String) -> anyhow::Result<()> {
    if DLQ_DELIVERIES.fetch_add(1, Ordering::SeqCst) == 0 {
        anyhow::bail!("the first delivery fails: to the DLQ");
    }
    Ok(())
}

/// Sends one message to `dashboard_dlq` and waits until it lies in the group's DLQ.
async fn one_dead_letter(app: &rmq::Application) {
    app.template()
        .sync_send("dashboard-dlq-topic", "dead letter")
        .await
        .expect("send to dashboard-dlq-topic");
    let admin = MqAdmin::new(ClientConfig {
        name_server_addr: app.name_server().to_owned(),
        ..ClientConfig::default()
    })
    .expect("admin client");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let in_dlq = admin
            .topic_stats("%DLQ%dashboard-dlq-group")
            .await
            .map_or(0, |s| {
                s.offset_table.values().map(|o| o.max_offset).sum::<i64>()
            });
        if in_dlq == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no dead letter within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin.close().await;
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
        .listeners(|d| d.name == "dashboard_boot" || d.name == "dashboard_dlq")
        .start()
        .await
        .expect("application with the dashboard");
    let e = dashboard_support::Expect {
        group: "dashboard-boot-group",
        topic: "boot-test",
        producer_group: "dashboard-test-producer",
        send_topic: "dashboard-test-topic",
        version: "V4_9_4",
        shots: "embedded",
        dlq_group: Some("dashboard-dlq-group"),
    };
    one_dead_letter(&app).await;
    let (report, deliveries) = dashboard_support::run(&app, &CONSUMED, e).await;
    // The resend from the DLQ page reached the listener (its second delivery).
    let deadline = Instant::now() + Duration::from_secs(20);
    while DLQ_DELIVERIES.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.shutdown().await;
    dashboard_support::check(&report, deliveries, e);
    assert_eq!(DLQ_DELIVERIES.load(Ordering::SeqCst), 2, "{report:#}");
}
