//! Start-up errors: each names what is wrong.

use rmq::config::{ConfigError, Origin};
use rmq::{rocketmq_listener, AppError};

use crate::support::app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_name_server_fails_start_up() {
    let started = std::time::Instant::now();
    let err = app(&[])
        .set("rocketmq.name-server", "127.0.0.1:1")
        .set("rocketmq.producer.send-message-timeout", 2000)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::NameServerUnreachable { addr, .. } if addr == "127.0.0.1:1"),
        "{err}"
    );
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[rocketmq_listener(topic = "app-conflict-1", consumer_group = "app-conflict-group")]
async fn conflict_a(_msg: String) {}

#[rocketmq_listener(topic = "app-conflict-2", consumer_group = "app-conflict-group")]
async fn conflict_b(_msg: String) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_listeners_in_one_group_with_different_subscriptions_fail() {
    let err = app(&["conflict_a", "conflict_b"])
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, AppError::GroupConflict { group, .. } if group == "app-conflict-group"),
        "{text}"
    );
    assert!(
        text.contains("conflict_a") && text.contains("conflict_b"),
        "{text}"
    );
    assert!(text.contains("different subscriptions"), "{text}");
}

#[rocketmq_listener(topic = "${test.never.set}", consumer_group = "app-unresolved-group")]
async fn unresolved_listener(_msg: String) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unresolved_placeholder_fails_start_up() {
    let err = app(&["unresolved_listener"]).start().await.unwrap_err();
    assert!(
        matches!(&err, AppError::Config(ConfigError::UnresolvedPlaceholder { name, context })
            if name == "test.never.set" && context.contains("unresolved_listener") && context.contains("topic")),
        "{err}"
    );
}

#[rocketmq_listener(
    topic = "app-tls",
    consumer_group = "app-tls-group",
    tls_enable = "true"
)]
async fn tls_listener(_msg: String) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_tls_is_refused() {
    let err = app(&["tls_listener"]).start().await.unwrap_err();
    assert!(err.to_string().contains("TLS"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_application_yml_names_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("application.yml");
    std::fs::write(
        &file,
        "spring:\n  application:\n    name: demo\nrocketmq:\n  producer:\n    group: g\n    send-message-timeout: 3000\n  consumer:\n    pull-batch-sise: 5\n",
    )
    .unwrap();
    let err = rmq::Application::builder()
        .config_file(&file)
        .read_env(false)
        .without_logging()
        .without_listeners()
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, AppError::Config(ConfigError::UnknownKey { key, origin: Origin::File { line: Some(9), .. }, .. })
            if key == "rocketmq.consumer.pull-batch-sise"),
        "{text}"
    );
    assert!(text.contains(&format!("{}:9", file.display())), "{text}");
    assert!(
        text.contains("pull-batch-size"),
        "lists the allowed keys: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_and_yml_values_reach_the_producer() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("application.yml");
    std::fs::write(&file, "rocketmq:\n  producer:\n    group: from-main\n").unwrap();
    std::fs::write(
        dir.path().join("application-qa.yml"),
        "rocketmq:\n  producer:\n    group: from-qa\n    max-message-size: 1024\n",
    )
    .unwrap();
    let app = rmq::Application::builder()
        .config_file(&file)
        .profile("qa")
        .read_env(false)
        .without_logging()
        .without_listeners()
        .start()
        .await
        .unwrap();
    assert_eq!(
        app.config().rocketmq().producer.group.as_deref(),
        Some("from-qa")
    );
    // The profile's 1 KiB limit is the producer's: a 2 KiB body is refused before the wire.
    let err = app
        .template()
        .sync_send("app-profile", vec![b'x'; 2048])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("1024"), "{err}");
    app.shutdown().await;
}

#[rocketmq_listener(topic = "app-shared", consumer_group = "app-shared-group")]
async fn shared_group_listener(_msg: String) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_consumer_sharing_a_listener_group_fails() {
    let err = app(&["shared_group_listener"])
        .set("rocketmq.pull-consumer.group", "app-shared-group")
        .set("rocketmq.pull-consumer.topic", "app-shared")
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::GroupConflict { group, .. } if group == "app-shared-group"),
        "{err}"
    );
    assert!(err.to_string().contains("pull consumer"), "{err}");
}
