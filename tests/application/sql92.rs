//! A `#[rocketmq_listener]` with `selector_type = "SQL92"` in an `Application` on its
//! embedded broker: only messages whose properties match reach the handler.

use rmq::client::Message;
use rmq::{rocketmq_listener, MessageExt};

use crate::support::{app, SINK};

#[rocketmq_listener(
    topic = "app-sql92",
    consumer_group = "app-sql92-group",
    selector_type = "SQL92",
    selector_expression = "amount > 100 AND region IN ('eu', 'us')"
)]
async fn sql92_orders(msg: MessageExt) {
    SINK.push("sql92", String::from_utf8_lossy(&msg.body).to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql92_listener_gets_only_matching_messages() {
    let a = app(&["sql92_orders"]).start().await.unwrap();
    let t = a.template();
    for (body, amount, region) in [
        ("o1", "250", "eu"),
        ("o2", "40", "eu"),
        ("o3", "900", "apac"),
        ("o4", "abc", "us"),
        ("o5", "101", "us"),
    ] {
        let m = Message::new("", body)
            .with_property("amount", amount)
            .with_property("region", region);
        t.sync_send("app-sql92", m).await.unwrap();
    }
    // A last matching message: everything before it in its queue was filtered already.
    SINK.wait_len("sql92", 2, 30).await;
    for i in 0..4 {
        let m = Message::new("", format!("last-{i}"))
            .with_property("amount", "1000")
            .with_property("region", "eu");
        t.sync_send("app-sql92", m).await.unwrap();
    }
    let mut got = SINK.wait_len("sql92", 6, 30).await;
    got.sort();
    assert_eq!(got, ["last-0", "last-1", "last-2", "last-3", "o1", "o5"]);
    a.shutdown().await;
}
