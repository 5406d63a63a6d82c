//! The web dashboard pointed at the Apache NameServer: an `Application` on the shared Apache
//! cluster with `rocketmq.dashboard.enabled: true` consumes one message, and the same browser
//! scenario as tests/dashboard.rs runs against it (Consumers page Broker Offset 1 / Consumer
//! Offset 1 / Diff Total 0, every page, login, test message found by key, resend, read-only).

use std::sync::atomic::{AtomicUsize, Ordering};

use rmq::rocketmq_listener;

use crate::dashboard_support;
use crate::support::{create_topic, ns};

static CONSUMED: AtomicUsize = AtomicUsize::new(0);

#[rocketmq_listener(topic = "dash-apache-boot", consumer_group = "dash-apache-group")]
async fn apache_dashboard_boot(msg: String) {
    assert_eq!(msg, "Hello, World!");
    CONSUMED.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_pages_work_against_the_apache_name_server() {
    let ns = ns().await;
    create_topic("dash-apache-boot", 4).await;
    create_topic("dash-apache-send", 4).await;
    let app = rmq::Application::builder()
        .config_file("tests/apache_broker/no-such-file.yml")
        .read_env(false)
        .without_logging()
        .set("rocketmq.name-server", ns)
        .set("rocketmq.producer.group", "dash-apache-producer")
        .set("rocketmq.dashboard.enabled", true)
        .set("rocketmq.dashboard.address", "127.0.0.1")
        .set("rocketmq.dashboard.port", 0)
        .set("rocketmq.dashboard.username", "admin")
        .set("rocketmq.dashboard.password", "s3cret")
        .listeners(|d| d.name == "apache_dashboard_boot")
        .start()
        .await
        .expect("application with the dashboard on the Apache name server");
    assert!(app.embedded_broker().is_none());
    let e = dashboard_support::Expect {
        group: "dash-apache-group",
        topic: "dash-apache-boot",
        producer_group: "dash-apache-producer",
        send_topic: "dash-apache-send",
        version: "V5_3_3",
        shots: "apache",
        dlq_group: None,
    };
    let (report, deliveries) = dashboard_support::run(&app, &CONSUMED, e).await;
    app.shutdown().await;
    dashboard_support::check(&report, deliveries, e);
}
