//! `RocketMqTemplate`'s method families against the embedded broker.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmq::{rocketmq_listener, MessageExt, SendStatus, TemplateError};

use crate::support::{app, fast_retries, SINK};

#[rocketmq_listener(topic = "app-tpl", consumer_group = "app-tpl-group")]
async fn tpl_listener(msg: MessageExt) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // The detailed record first: tests wait on "tpl", then read the records.
    SINK.push(
        &format!("tpl:{}", String::from_utf8_lossy(&msg.body)),
        format!(
            "{}|{}|{}",
            msg.msg_id(),
            msg.queue_id,
            now - msg.born_timestamp
        ),
    );
    SINK.push("tpl", String::from_utf8_lossy(&msg.body).into_owned());
}

fn record(body: &str) -> (String, i32, i64) {
    let v = SINK.get(&format!("tpl:{body}"));
    let parts: Vec<&str> = v[0].split('|').collect();
    (
        parts[0].to_owned(),
        parts[1].parse().unwrap(),
        parts[2].parse().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_send_family_delivers() {
    let app = app(&["tpl_listener"])
        .embedded_broker(fast_retries())
        .start()
        .await
        .unwrap();
    let t = app.template();

    let sync = t.sync_send("app-tpl", "sync").await.unwrap();
    assert_eq!(sync.send_status, SendStatus::SendOk);
    let timed = t
        .sync_send_with_timeout("app-tpl", "timeout", Duration::from_secs(3))
        .await
        .unwrap();
    let fut = t.async_send("app-tpl", "async");
    let (tx, rx) = tokio::sync::oneshot::channel();
    t.async_send_with_callback("app-tpl", "callback", move |r| {
        let _ = tx.send(r.map(|r| r.msg_id));
    });
    let async_id = fut.await.unwrap().msg_id;
    let callback_id = rx.await.unwrap().unwrap();
    t.send_one_way("app-tpl", "oneway").await.unwrap();
    let batch = t
        .sync_send_batch("app-tpl", ["batch-0", "batch-1", "batch-2"])
        .await
        .unwrap();
    assert_eq!(batch.len(), 1, "one request for a small batch");
    let mut orderly_queues = Vec::new();
    for i in 0..4 {
        let r = t
            .sync_send_orderly("app-tpl", format!("orderly-{i}"), "order-42")
            .await
            .unwrap();
        orderly_queues.push(r.message_queue.queue_id);
    }
    let async_orderly = t.async_send_orderly("app-tpl", "orderly-async", "order-42");
    t.send_one_way_orderly("app-tpl", "orderly-oneway", "order-42")
        .await
        .unwrap();
    let async_orderly_queue = async_orderly.await.unwrap().message_queue.queue_id;
    let delayed = t
        .sync_send_with_delay_level("app-tpl", "delayed", Duration::from_secs(3), 1)
        .await
        .unwrap();
    assert_eq!(delayed.send_status, SendStatus::SendOk);
    // RocketMQ 5.x timer messages, delivered by the embedded broker's timer wheel.
    t.sync_send_delay_time_seconds("app-tpl", "timer-sec", 1)
        .await
        .unwrap();
    t.sync_send_delay_time_mills("app-tpl", "timer-ms", 1_200)
        .await
        .unwrap();
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 1_500;
    t.sync_send_deliver_time_mills("app-tpl", "timer-at", at)
        .await
        .unwrap();

    let expected = 18;
    let got = SINK.wait_len("tpl", expected, 60).await;
    for body in [
        "sync",
        "timeout",
        "async",
        "callback",
        "oneway",
        "batch-0",
        "batch-1",
        "batch-2",
        "orderly-0",
        "orderly-3",
        "orderly-async",
        "orderly-oneway",
        "delayed",
        "timer-sec",
        "timer-ms",
        "timer-at",
    ] {
        assert!(got.iter().any(|g| g == body), "{body} missing from {got:?}");
    }
    assert_eq!(record("sync").0, sync.msg_id, "msg ids agree");
    assert_eq!(record("timeout").0, timed.msg_id);
    assert_eq!(record("async").0, async_id);
    assert_eq!(record("callback").0, callback_id);

    // One hash key, one queue: the one rocketmq-spring's SelectMessageQueueByHash picks.
    let qs = vec![rmq::client::MessageQueue::default(); 4];
    let expected_queue = rmq::client::select_by_hash_key("order-42")(&qs) as i32;
    assert!(
        orderly_queues.iter().all(|q| *q == expected_queue),
        "{orderly_queues:?}"
    );
    assert_eq!(async_orderly_queue, expected_queue);
    assert_eq!(record("orderly-oneway").1, expected_queue);

    // Delay level 1 is one second on this broker.
    assert!(
        record("delayed").2 >= 900,
        "delivered {} ms after birth",
        record("delayed").2
    );
    // (`timer-at`'s birth is a little after the 1.5 s were counted from.)
    for (body, delay) in [
        ("timer-sec", 1_000),
        ("timer-ms", 1_200),
        ("timer-at", 1_400),
    ] {
        let after_birth = record(body).2;
        assert!(
            (delay..delay + 1_000).contains(&after_birth),
            "{body} delivered {after_birth} ms after birth"
        );
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_clear_errors() {
    let app = app(&[]).start().await.unwrap();
    let t = app.template();
    let e = t.sync_send(":tag", "x").await.unwrap_err();
    assert!(matches!(e, TemplateError::Destination(_)), "{e}");
    let big = vec![b'x'; 4 * 1024 * 1024 + 1];
    let e = t.sync_send("app-tpl-big", big).await.unwrap_err();
    assert!(
        e.to_string().contains("4194304") || e.to_string().contains("max"),
        "{e}"
    );
    // RocketMQ 5.x timer messages further out than timerMaxDelaySec (3 days) are refused.
    let e = t
        .sync_send_delay_time_seconds("app-tpl-timer", "later", 3 * 24 * 3600 + 1)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("timerMaxDelaySec 259200"), "{e}");
    let e = t
        .sync_send_delay_time_mills("app-tpl-timer", "later", 3 * 24 * 3600 * 1000 + 1)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("timerMaxDelaySec"), "{e}");
    let e = t.receive::<String>().await.unwrap_err();
    assert!(matches!(e, TemplateError::NoPullConsumer), "{e}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_pulls_through_the_configured_pull_consumer() {
    let app = app(&[])
        .set("rocketmq.pull-consumer.group", "app-pull-group")
        .set("rocketmq.pull-consumer.topic", "app-pull")
        .set("rocketmq.pull-consumer.pull-batch-size", 4)
        .start()
        .await
        .unwrap();
    let t = app.template();
    let mut sent = std::collections::BTreeSet::new();
    for i in 0..10 {
        t.sync_send(
            "app-pull",
            rmq::Json(crate::payloads::Order { id: i, amount: 1 }),
        )
        .await
        .unwrap();
        sent.insert(i);
    }
    let mut got = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while got.len() < 10 {
        assert!(tokio::time::Instant::now() < deadline, "received {got:?}");
        let batch: Vec<rmq::Json<crate::payloads::Order>> = t
            .receive_with_timeout(Duration::from_secs(1))
            .await
            .unwrap();
        assert!(batch.len() <= 4, "at most pull-batch-size per receive");
        got.extend(batch.into_iter().map(|o| o.0.id));
    }
    assert_eq!(got, sent);
    app.shutdown().await;
}
