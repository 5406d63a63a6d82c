//! Push consumer retries: the send-back fallback (CONSUMER_SEND_MSG_BACK refused by a proxy
//! standing in for the broker → plain send to `%RETRY%<group>`; both refused → consumed again
//! locally), `delay_level_when_next_consume = -1` straight to the DLQ, and namespaces.

mod consumer_support;

use std::time::{Duration, Instant};

use consumer_support::proxy::Proxied;
use consumer_support::{client, ids, produce, wait_committed, wait_until, Seen};
use rmq::broker::{EmbeddedBroker, EmbeddedConfig};
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientConfig, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqPushConsumer, ListenerFn,
    MessageExt,
};
use rmq::protocol::message::keys;
use rmq::protocol::{RequestCode, ResponseCode};

fn fast_retries() -> EmbeddedConfig {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.store.message_delay_level = "1s 1s 1s 1s 1s 1s 1s 1s".into();
    cfg
}

/// A consumer whose listener fails the first delivery of every message and records all.
fn fail_first(
    client: ClientConfig,
    group: &str,
    cfg: ConsumerConfig,
) -> (DefaultMqPushConsumer, Seen) {
    let seen: Seen = Default::default();
    let s = seen.clone();
    let c = DefaultMqPushConsumer::new(
        client,
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            persist_consumer_offset_interval: Duration::from_millis(200),
            ..cfg
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let s = s.clone();
            async move {
                let first = msgs[0].reconsume_times == 0;
                s.lock().unwrap().extend(msgs);
                if first {
                    ConsumeConcurrentlyStatus::ReconsumeLater
                } else {
                    ConsumeConcurrentlyStatus::ConsumeSuccess
                }
            }
        }),
    )
    .unwrap();
    (c, seen)
}

/// A consumer that records everything and always succeeds.
fn recorder(client: ClientConfig, group: &str) -> (DefaultMqPushConsumer, Seen) {
    let seen: Seen = Default::default();
    let s = seen.clone();
    let c = DefaultMqPushConsumer::new(
        client,
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let s = s.clone();
            async move {
                s.lock().unwrap().extend(msgs);
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    )
    .unwrap();
    (c, seen)
}

fn refuse(code: RequestCode) -> consumer_support::proxy::Rule {
    Box::new(move |req| {
        (req.code == code.code())
            .then(|| req.error_to(ResponseCode::SystemError, "refused by the test proxy"))
    })
}

fn is_retry_send(req: &rmq::protocol::RemotingCommand) -> bool {
    req.code == RequestCode::SendMessageV2.code()
        && req
            .ext_fields
            .get("b")
            .is_some_and(|t| t.starts_with("%RETRY%"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_send_back_falls_back_to_a_plain_send_to_the_retry_topic() {
    let env = Proxied::start(fast_retries()).await;
    env.proxy.add_rule(refuse(RequestCode::ConsumerSendMsgBack));
    let ns = env.ns();
    let sent = produce(&env.direct_ns(), "cr-fallback", 1, "m").await;
    let (c, seen) = fail_first(client(&ns), "cr-fallback-group", ConsumerConfig::default());
    c.subscribe("cr-fallback", "*");
    c.start().await.unwrap();
    wait_until("the redelivery", 30, || seen.lock().unwrap().len() >= 2).await;
    let msgs = seen.lock().unwrap().clone();
    let (first, again) = (&msgs[0], &msgs[1]);
    let id = sent.iter().next().unwrap();
    assert_eq!(&first.msg_id(), id);
    assert_eq!(again.reconsume_times, 1);
    assert_eq!(again.topic, "cr-fallback", "shown under the original topic");
    assert_eq!(&again.msg_id(), id, "UNIQ_KEY kept");
    assert_eq!(again.property(keys::ORIGIN_MESSAGE_ID), Some(id.as_str()));
    assert_eq!(again.property(keys::RETRY_TOPIC), Some("cr-fallback"));
    assert_eq!(&again.body[..], b"m-0");
    assert!(!env.proxy.seen(RequestCode::ConsumerSendMsgBack).is_empty());
    let resends: Vec<_> = env
        .proxy
        .seen(RequestCode::SendMessageV2)
        .into_iter()
        .filter(|s| s.ext_fields.get("b").map(String::as_str) == Some("%RETRY%cr-fallback-group"))
        .collect();
    assert_eq!(resends.len(), 1, "one plain send to the retry topic");
    assert_eq!(
        resends[0].ext_fields.get("j").map(String::as_str),
        Some("1"),
        "reconsumeTimes"
    );
    assert_eq!(
        resends[0].ext_fields.get("l").map(String::as_str),
        Some("16"),
        "maxReconsumeTimes"
    );
    c.shutdown().await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_refused_consumes_again_locally_after_a_delay() {
    let env = Proxied::start(fast_retries()).await;
    env.proxy.add_rule(refuse(RequestCode::ConsumerSendMsgBack));
    env.proxy.add_rule(Box::new(|req| {
        is_retry_send(req)
            .then(|| req.error_to(ResponseCode::SystemError, "refused by the test proxy"))
    }));
    let ns = env.ns();
    produce(&env.direct_ns(), "cr-local", 1, "m").await;
    let (c, seen) = fail_first(client(&ns), "cr-local-group", ConsumerConfig::default());
    c.subscribe("cr-local", "*");
    c.start().await.unwrap();
    wait_until("the first delivery", 30, || {
        !seen.lock().unwrap().is_empty()
    })
    .await;
    let t = Instant::now();
    wait_until("the local redelivery", 30, || {
        seen.lock().unwrap().len() >= 2
    })
    .await;
    let waited = t.elapsed();
    let msgs = seen.lock().unwrap().clone();
    assert_eq!(msgs[1].reconsume_times, 1, "counted locally");
    assert_eq!(msgs[1].msg_id(), msgs[0].msg_id());
    assert_eq!(msgs[1].topic, "cr-local");
    assert!(
        waited >= Duration::from_secs(4),
        "after Java's 5 s delay: {waited:?}"
    );
    assert_eq!(
        env.proxy
            .seen(RequestCode::SendMessageV2)
            .iter()
            .filter(|s| s
                .ext_fields
                .get("b")
                .is_some_and(|t| t.starts_with("%RETRY%")))
            .count(),
        1
    );
    // Consumed on the second try: the offset moves past it.
    wait_committed(&env.direct_ns(), "cr-local-group", "cr-local", 20).await;
    c.shutdown().await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_level_minus_one_sends_failures_straight_to_the_dlq() {
    let b = EmbeddedBroker::start_with(fast_retries()).await.unwrap();
    let ns = b.namesrv_addr().to_string();
    produce(&ns, "cr-dlq", 1, "doomed").await;
    let (c, seen) = fail_first(
        client(&ns),
        "cr-dlq-group",
        ConsumerConfig {
            delay_level_when_next_consume: -1,
            ..Default::default()
        },
    );
    c.subscribe("cr-dlq", "*");
    c.start().await.unwrap();
    let (dlq, dlq_seen) = recorder(client(&ns), "cr-dlq-reader");
    dlq.subscribe("%DLQ%cr-dlq-group", "*");
    dlq.start().await.unwrap();
    wait_until("the DLQ message", 30, || {
        !dlq_seen.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(&dlq_seen.lock().unwrap()[0].body[..], b"doomed-0");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(seen.lock().unwrap().len(), 1, "no redelivery");
    dlq.shutdown().await;
    c.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaced_consumer_sees_plain_topic_names() {
    let b = EmbeddedBroker::start_with(fast_retries()).await.unwrap();
    let ns = b.namesrv_addr().to_string();
    // The producer has no namespace: it sends to the wrapped name.
    let sent = produce(&ns, "ns1%orders", 3, "n").await;
    let namespaced = ClientConfig {
        namespace: "ns1".into(),
        ..client(&ns)
    };
    let (c, seen) = fail_first(namespaced, "shop", ConsumerConfig::default());
    c.subscribe("orders", "*");
    c.start().await.unwrap();
    wait_until("3 messages, each twice", 30, || {
        seen.lock().unwrap().len() >= 6
    })
    .await;
    assert_eq!(ids(&seen), sent);
    for m in seen.lock().unwrap().iter() {
        assert_eq!(m.topic, "orders", "namespace taken off (retries too)");
    }
    let topics: Vec<String> = c
        .assigned_queues()
        .await
        .into_iter()
        .map(|q| q.topic)
        .collect();
    assert!(topics.contains(&"orders".to_owned()), "{topics:?}");
    assert!(topics.contains(&"%RETRY%shop".to_owned()), "{topics:?}");
    // On the wire the group and topic carry the namespace.
    wait_committed(&ns, "ns1%shop", "ns1%orders", 20).await;
    c.shutdown().await;
    b.shutdown().await;
}
