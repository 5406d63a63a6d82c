//! Against the `rmq-broker` binary through `rocketmq.name-server` (no embedded broker), with
//! the official C++ client on the other side, both ways.

use std::collections::BTreeSet;

use rmq::{rocketmq_listener, MessageExt};

use crate::common::BrokerProcess;
use crate::support::{app, SINK};

#[rocketmq_listener(
    topic = "app-ext-c2r",
    consumer_group = "app-ext-group",
    selector_expression = "TagB"
)]
async fn external_listener(msg: MessageExt) {
    SINK.push("ext", msg.msg_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpp_and_rmq_listeners_and_template_interoperate_on_the_broker_binary() {
    let broker = tokio::task::spawn_blocking(|| {
        let b = BrokerProcess::start();
        b.create_topic("app-ext-c2r", 4);
        b.create_topic("app-ext-r2c", 4);
        b
    })
    .await
    .unwrap();
    let app = app(&["external_listener"])
        .set("rocketmq.name-server", broker.namesrv_addr())
        .start()
        .await
        .unwrap();
    assert!(
        app.embedded_broker().is_none(),
        "the embedded broker must not start"
    );
    assert_eq!(app.name_server(), broker.namesrv_addr());

    // C++ produces, the #[rocketmq_listener] receives: msg ids equal.
    let ns = broker.namesrv_addr();
    let produced = tokio::task::spawn_blocking(move || {
        crate::common::cpp(&[
            "produce",
            "--namesrv",
            &ns,
            "--topic",
            "app-ext-c2r",
            "--count",
            "30",
            "--tag",
            "TagB",
        ])
    })
    .await
    .unwrap();
    produced.assert_ok();
    let cpp_ids: BTreeSet<String> = produced.sent_msg_ids().into_iter().collect();
    let got: BTreeSet<String> = SINK.wait_len("ext", 30, 60).await.into_iter().collect();
    assert_eq!(
        got, cpp_ids,
        "the listener sees the ids the C++ producer got"
    );

    // The template sends, a C++ consumer receives: msg ids equal.
    let t = app.template();
    let mut sent = BTreeSet::new();
    for i in 0..30 {
        let r = t
            .sync_send("app-ext-r2c:TagA", format!("rmq-{i:08}-s0-t0|xxxx"))
            .await
            .unwrap();
        sent.insert(r.msg_id);
    }
    let ns = broker.namesrv_addr();
    let run = tokio::task::spawn_blocking(move || {
        crate::common::cpp(&[
            "pull",
            "--namesrv",
            &ns,
            "--topic",
            "app-ext-r2c",
            "--group",
            "app-ext-cpp",
            "--expect",
            "30",
            "--timeout",
            "60",
        ])
    })
    .await
    .unwrap();
    run.assert_ok();
    let cpp_got: BTreeSet<String> = run.strings("msg_ids").into_iter().collect();
    assert_eq!(
        cpp_got, sent,
        "the C++ consumer sees the ids the template got"
    );
    app.shutdown().await;
    drop(broker);
}
