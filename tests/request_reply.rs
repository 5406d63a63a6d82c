//! Request-reply on the embedded broker: rmq's requester (`DefaultMqProducer::request`) and
//! replier (`DefaultMqProducer::reply` from a push consumer), timeouts, and replies nobody
//! waits for any more.

mod consumer_support;

use std::time::{Duration, Instant};

use consumer_support::log_capture::{captured, matching};
use consumer_support::replier::echo_replier;
use consumer_support::{from_first, producer};
use rmq::broker::{EmbeddedBroker, EmbeddedConfig};
use rmq::client::{
    ClientError, ConsumeConcurrentlyStatus, DefaultMqProducer, DefaultMqPushConsumer, ListenerFn,
    Message, MessageExt,
};
use rmq::protocol::message::reply_keys;
use tokio::sync::mpsc;

/// A consumer of `topic` that hands every request to the returned receiver.
async fn requests_of(
    ns: &str,
    topic: &str,
    group: &str,
) -> (DefaultMqPushConsumer, mpsc::UnboundedReceiver<MessageExt>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let c = from_first(
        ns,
        group,
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let tx = tx.clone();
            async move {
                for m in msgs {
                    let _ = tx.send(m);
                }
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    );
    c.subscribe(topic, "*");
    c.start().await.unwrap();
    (c, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_gets_its_reply() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let replier = echo_replier(&ns, "rr-quotes", "rr-replier").await;
    let requester = producer(&ns);
    let reply = requester
        .request(Message::new("rr-quotes", "q-1"), Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(&reply.body[..], b"re:q-1");
    assert_eq!(reply.topic, "DefaultCluster_REPLY_TOPIC");
    assert_eq!(
        reply.property(reply_keys::REPLY_TO_CLIENT),
        Some(requester.instance().client_id())
    );
    assert!(reply.property(reply_keys::CORRELATION_ID).is_some());
    assert!(reply.property(reply_keys::PUSH_REPLY_TIME).is_some());
    assert!(reply.property(reply_keys::ARRIVE_TIME).is_some());
    assert!(requester.instance().replies().is_empty());

    // Many at once: each request gets its own reply.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let r = requester.clone();
        tasks.push(tokio::spawn(async move {
            let reply = r
                .request(
                    Message::new("rr-quotes", format!("q-{i}")),
                    Duration::from_secs(10),
                )
                .await
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&reply.body), format!("re:q-{i}"));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(requester.instance().replies().is_empty());

    // Replies are stored too (storeReplyMessageEnable defaults to true).
    let store = &b.broker().unwrap().inner().store;
    let stored = || -> i64 {
        store
            .queue_ids("DefaultCluster_REPLY_TOPIC")
            .into_iter()
            .map(|q| store.max_offset_in_queue("DefaultCluster_REPLY_TOPIC", q))
            .sum()
    };
    consumer_support::wait_until("41 stored replies", 10, || stored() == 41).await;

    // The callback form.
    let (tx, rx) = tokio::sync::oneshot::channel();
    requester.request_with_callback(
        Message::new("rr-quotes", "cb"),
        Duration::from_secs(10),
        move |r| {
            let _ = tx.send(r);
        },
    );
    let reply = rx.await.unwrap().unwrap();
    assert_eq!(&reply.body[..], b"re:cb");
    replier.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_reply_times_out_naming_topic_and_timeout() {
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let requester = producer(&ns);
    let started = Instant::now();
    let err = requester
        .request(Message::new("rr-nobody", "q"), Duration::from_millis(800))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, ClientError::RequestTimeout { ref topic, timeout_ms: 800 } if topic == "rr-nobody"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("rr-nobody") && text.contains("800 ms"),
        "{text}"
    );
    assert!(elapsed >= Duration::from_millis(800), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(requester.instance().replies().is_empty());
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_replies_are_dropped_with_a_log_line() {
    let logs = captured();
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let (consumer, mut requests) = requests_of(&ns, "rr-late", "rr-late-replier").await;
    let replier = producer(&ns);

    // 1. The requester timed out but is still connected: its client drops the reply.
    let requester = producer(&ns);
    let err = requester
        .request(Message::new("rr-late", "late"), Duration::from_secs(2))
        .await;
    let request = tokio::time::timeout(Duration::from_secs(20), requests.recv())
        .await
        .unwrap()
        .unwrap();
    if err.is_ok() {
        panic!("nobody replied yet, the request must time out");
    }
    let id = request
        .property(reply_keys::CORRELATION_ID)
        .unwrap()
        .to_owned();
    replier.reply(&request, "too late").await.unwrap();
    consumer_support::wait_until("the requester's drop log line", 10, || {
        !matching(&logs, &["reply dropped", "no request waits", &id]).is_empty()
    })
    .await;

    // 2. The requester is gone: the broker refuses the reply with Java's remark and logs it.
    let gone = producer(&ns);
    let gone_id = gone.instance().client_id().to_owned();
    let g = gone.clone();
    let pending = tokio::spawn(async move {
        g.request(Message::new("rr-late", "gone"), Duration::from_secs(30))
            .await
    });
    let request = tokio::time::timeout(Duration::from_secs(20), requests.recv())
        .await
        .unwrap()
        .unwrap();
    pending.abort();
    gone.shutdown().await;
    let broker = b.broker().unwrap().inner().clone();
    consumer_support::wait_until("the broker to see the requester gone", 10, || {
        broker.producers.find_channel(&gone_id).is_none()
    })
    .await;
    let err = reply_until_refused(&replier, &request).await;
    let ClientError::Broker { code, remark, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*code, 1, "SYSTEM_ERROR: {err}");
    assert_eq!(
        remark,
        &format!("push reply message fail, channel of <{gone_id}> not found.")
    );
    assert!(
        !matching(&logs, &["reply dropped", "not found", &gone_id]).is_empty(),
        "the broker logs the dropped reply"
    );
    consumer.shutdown().await;
    b.shutdown().await;
}

/// Replies until the broker refuses (it notices the closed connection of a requester just
/// shut down a moment later).
async fn reply_until_refused(replier: &DefaultMqProducer, request: &MessageExt) -> ClientError {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match replier.reply(request, "nobody home").await {
            Err(e) => return e,
            Ok(_) => {
                assert!(
                    Instant::now() < deadline,
                    "the broker kept pushing to a closed connection"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_not_stored_when_store_reply_message_is_off() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.store_reply_message_enable = false;
    let b = EmbeddedBroker::start_with(cfg).await.unwrap();
    let ns = b.namesrv_addr().to_string();
    let replier = echo_replier(&ns, "rr-unstored", "rr-unstored-replier").await;
    let requester = producer(&ns);
    for i in 0..3 {
        let reply = requester
            .request(
                Message::new("rr-unstored", format!("u-{i}")),
                Duration::from_secs(15),
            )
            .await
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&reply.body), format!("re:u-{i}"));
    }
    // A marker sent after the replies: once it is dispatched, so is everything before it.
    requester
        .send(&Message::new("rr-unstored-marker", "m"))
        .await
        .unwrap();
    let store = &b.broker().unwrap().inner().store;
    let stored = |topic: &str| -> i64 {
        store
            .queue_ids(topic)
            .into_iter()
            .map(|q| store.max_offset_in_queue(topic, q))
            .sum()
    };
    consumer_support::wait_until("the marker dispatched", 10, || {
        stored("rr-unstored-marker") == 1
    })
    .await;
    assert_eq!(stored("rr-unstored"), 3);
    assert_eq!(
        stored("DefaultCluster_REPLY_TOPIC"),
        0,
        "no reply is stored"
    );
    replier.shutdown().await;
    b.shutdown().await;
}
