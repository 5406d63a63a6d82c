//! Attributes and keys rmq accepts but does not honour are named in a warning at start-up.

use rmq::rocketmq_listener;

use crate::log_capture::{captured, matching};
use crate::support::app;

#[rocketmq_listener(
    topic = "app-honest",
    consumer_group = "app-honest-group",
    reply_timeout = 5000,
    access_key = "AK",
    enable_msg_trace = true,
    access_channel = "CLOUD"
)]
async fn honest_listener(_msg: String) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unhonoured_settings_warn_naming_them() {
    let logs = captured();
    let app = app(&["honest_listener"])
        .set("rocketmq.producer.access-key", "AK")
        .set("rocketmq.producer.enable-msg-trace", true)
        .set("rocketmq.access-channel", "CLOUD")
        .start()
        .await
        .unwrap();
    for needles in [
        &["honest_listener", "access_key"][..],
        &["honest_listener", "enable_msg_trace"],
        &["honest_listener", "access_channel"],
        &["rocketmq.producer.access-key"],
        &["rocketmq.producer.enable-msg-trace"],
        &["rocketmq.access-channel"],
    ] {
        assert!(
            !matching(&logs, needles).is_empty(),
            "no warning naming {needles:?}: {:?}",
            logs.lock().unwrap()
        );
    }
    // Request-reply is supported: reply_timeout is honoured, not warned about.
    assert!(
        matching(&logs, &["honest_listener", "reply_timeout"]).is_empty(),
        "reply_timeout is honoured now"
    );
    app.shutdown().await;
}
