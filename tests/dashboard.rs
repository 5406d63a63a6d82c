//! The web dashboard end to end, in headless chromium: an `Application` with the embedded
//! broker and `rocketmq.dashboard.enabled: true` consumes one message of `boot-test`; the
//! Consumers page shows Broker Offset 1, Consumer Offset 1, Diff Total 0. The driver then
//! clicks through every page, logs in, sends a test message from the Topics page and finds it
//! by key on the Messages page, and checks that a read-only dashboard refuses to send.
//! Screenshots are kept in target/dashboard-screenshots/.

#[path = "dashboard_support/mod.rs"]
mod dashboard_support;

use std::sync::atomic::{AtomicUsize, Ordering};

use rmq::rocketmq_listener;

static CONSUMED: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(topic = "boot-test", consumer_group = "dashboard-boot-group")]
async fn dashboard_boot(msg: String) {
    assert_eq!(msg, "Hello, World!");
    CONSUMED.fetch_add(1, Ordering::SeqCst);
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
    let e = dashboard_support::Expect {
        group: "dashboard-boot-group",
        topic: "boot-test",
        producer_group: "dashboard-test-producer",
        send_topic: "dashboard-test-topic",
        version: "V4_9_4",
        shots: "embedded",
    };
    let (report, deliveries) = dashboard_support::run(&app, &CONSUMED, e).await;
    app.shutdown().await;
    dashboard_support::check(&report, deliveries, e);
}
