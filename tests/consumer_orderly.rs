//! Orderly consumers and `max_reconsume_times` (Java's `ConsumeMessageOrderlyService`
//! `checkReconsumeTimes` / `sendMessageBack`): a suspended message is retried locally with its
//! reconsume times counted; at the maximum it is resent to `%RETRY%<group>` (reconsume times
//! above the maximum, so the broker stores it in `%DLQ%<group>`) and the queue moves on; −1
//! retries forever; a failed resend keeps the queue suspended.

mod consumer_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use consumer_support::proxy::{Proxied, Proxy};
use consumer_support::{client, producer, wait_committed, wait_until, Seen};
use rmq::broker::EmbeddedConfig;
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, ConsumerConfig, DefaultMqPushConsumer,
    ListenerFn, Message, MessageExt, MqAdmin, OrderlyListenerFn,
};
use rmq::protocol::message::keys;
use rmq::protocol::{RequestCode, ResponseCode};

fn fast_retries() -> EmbeddedConfig {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.store.message_delay_level = "1s 1s 1s 1s 1s 1s 1s 1s".into();
    cfg
}

/// (body, reconsume times) of every listener call, in order.
type Calls = Arc<Mutex<Vec<(String, i32)>>>;

fn bodies(calls: &Calls, body: &str) -> Vec<i32> {
    calls
        .lock()
        .unwrap()
        .iter()
        .filter(|(b, _)| b == body)
        .map(|(_, rt)| *rt)
        .collect()
}

/// Sends `bodies` in order to queue 0 of `topic` (one queue: the first blocks the rest).
async fn produce_on_queue_0(ns: &str, topic: &str, bodies: &[&str]) {
    let p = producer(ns);
    for body in bodies {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match p
                .send_with_selector(&Message::new(topic, body.to_string()), |_| 0)
                .await
            {
                Ok(r) => {
                    assert_eq!(r.message_queue.queue_id, 0);
                    break;
                }
                Err(e) => {
                    assert!(Instant::now() < deadline, "send failed for 30 s: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
    p.shutdown().await;
}

/// An orderly consumer of `topic` whose listener fails `poison` (suspends, or panics when
/// `panic`) and accepts everything else; records every call.
fn orderly(
    ns: &str,
    group: &str,
    topic: &str,
    max_reconsume_times: i32,
    panic: bool,
) -> (DefaultMqPushConsumer, Calls) {
    let calls: Calls = Arc::default();
    let log = calls.clone();
    let c = DefaultMqPushConsumer::new_orderly(
        client(ns),
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            max_reconsume_times,
            suspend_current_queue_time_millis: 100,
            persist_consumer_offset_interval: Duration::from_millis(200),
            ..Default::default()
        },
        OrderlyListenerFn(move |m: MessageExt| {
            let log = log.clone();
            async move {
                let body = String::from_utf8_lossy(&m.body).into_owned();
                let poison = body == "poison";
                log.lock().unwrap().push((body, m.reconsume_times));
                if !poison {
                    return ConsumeOrderlyStatus::Success;
                }
                if panic {
                    panic!("the test listener fails on purpose");
                }
                ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
            }
        }),
    )
    .unwrap();
    c.subscribe(topic, "*");
    (c, calls)
}

/// A consumer of `%DLQ%<group>` that records what it gets.
async fn dlq_reader(ns: &str, group: &str) -> (DefaultMqPushConsumer, Seen) {
    let seen: Seen = Default::default();
    let s = seen.clone();
    let c = DefaultMqPushConsumer::new(
        client(ns),
        ConsumerConfig {
            consumer_group: format!("{group}-dlq-reader"),
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
    c.subscribe(&format!("%DLQ%{group}"), "*");
    c.start().await.unwrap();
    (c, seen)
}

/// Messages stored in `%DLQ%<group>` (0 when the topic does not exist).
async fn dlq_count(ns: &str, group: &str) -> i64 {
    let admin = MqAdmin::new(client(ns)).unwrap();
    let n = match admin.consume_stats(group, &format!("%DLQ%{group}")).await {
        Ok(stats) => stats.values().map(|s| s.broker_offset).sum(),
        Err(_) => 0,
    };
    admin.close().await;
    n
}

/// SEND_MESSAGE_V2 requests to a retry topic the proxy saw.
fn retry_sends(proxy: &Proxy) -> Vec<consumer_support::proxy::Seen> {
    proxy
        .seen(RequestCode::SendMessageV2)
        .into_iter()
        .filter(|s| {
            s.ext_fields
                .get("b")
                .is_some_and(|t| t.starts_with("%RETRY%"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_message_goes_to_the_dlq_after_max_reconsume_times_and_the_queue_moves_on() {
    let env = Proxied::start(fast_retries()).await;
    let (ns, direct) = (env.ns(), env.direct_ns());
    let (topic, group) = ("co-max", "co-max-group");
    produce_on_queue_0(&direct, topic, &["poison", "next"]).await;
    let (c, calls) = orderly(&ns, group, topic, 2, false);
    c.start().await.unwrap();
    wait_until("the next message of the queue", 30, || {
        !bodies(&calls, "next").is_empty()
    })
    .await;
    assert_eq!(
        bodies(&calls, "poison"),
        vec![0, 1, 2],
        "1 call + max_reconsume_times retries"
    );
    let order: Vec<String> = calls.lock().unwrap().iter().map(|c| c.0.clone()).collect();
    assert_eq!(order, ["poison", "poison", "poison", "next"]);
    assert_eq!(bodies(&calls, "next"), vec![0]);

    // Java's orderly sendMessageBack: a plain send to the retry topic, not SEND_MSG_BACK.
    assert!(env.proxy.seen(RequestCode::ConsumerSendMsgBack).is_empty());
    let resends = retry_sends(&env.proxy);
    assert_eq!(resends.len(), 1, "one resend");
    let h = &resends[0].ext_fields;
    assert_eq!(h.get("b").map(String::as_str), Some("%RETRY%co-max-group"));
    assert_eq!(h.get("j").map(String::as_str), Some("3"), "reconsumeTimes");
    assert_eq!(
        h.get("l").map(String::as_str),
        Some("2"),
        "maxReconsumeTimes"
    );

    let (reader, dlq) = dlq_reader(&direct, group).await;
    wait_until("the DLQ message", 30, || !dlq.lock().unwrap().is_empty()).await;
    let dead = dlq.lock().unwrap()[0].clone();
    assert_eq!(&dead.body[..], b"poison");
    assert_eq!(dead.topic, "%DLQ%co-max-group");
    assert_eq!(dead.reconsume_times, 3);
    assert_eq!(dead.property(keys::RETRY_TOPIC), Some(topic));
    assert_eq!(dlq_count(&direct, group).await, 1);
    // Both messages count as consumed.
    wait_committed(&direct, group, topic, 20).await;
    reader.shutdown().await;
    c.shutdown().await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_max_reconsume_times_minus_one_retries_forever() {
    let env = Proxied::start(fast_retries()).await;
    let (ns, direct) = (env.ns(), env.direct_ns());
    let (topic, group) = ("co-forever", "co-forever-group");
    produce_on_queue_0(&direct, topic, &["poison", "next"]).await;
    let (c, calls) = orderly(&ns, group, topic, -1, false);
    c.start().await.unwrap();
    wait_until("4 attempts", 30, || bodies(&calls, "poison").len() >= 4).await;
    let attempts = bodies(&calls, "poison");
    assert_eq!(attempts[..4], [0, 1, 2, 3], "counted locally");
    assert!(bodies(&calls, "next").is_empty(), "the queue stays blocked");
    assert!(retry_sends(&env.proxy).is_empty(), "nothing sent back");
    assert!(env.proxy.seen(RequestCode::ConsumerSendMsgBack).is_empty());
    assert_eq!(dlq_count(&direct, group).await, 0, "nothing in the DLQ");
    c.shutdown().await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_orderly_send_back_keeps_suspending_until_it_succeeds() {
    let env = Proxied::start(fast_retries()).await;
    let (ns, direct) = (env.ns(), env.direct_ns());
    let (topic, group) = ("co-refused", "co-refused-group");
    let refuse = Arc::new(AtomicBool::new(true));
    let r = refuse.clone();
    env.proxy.add_rule(Box::new(move |req| {
        let retry = req.code == RequestCode::SendMessageV2.code()
            && req
                .ext_fields
                .get("b")
                .is_some_and(|t| t.starts_with("%RETRY%"));
        (retry && r.load(Ordering::SeqCst))
            .then(|| req.error_to(ResponseCode::SystemError, "refused by the test proxy"))
    }));
    produce_on_queue_0(&direct, topic, &["poison", "next"]).await;
    // A panicking listener is a failure like SuspendCurrentQueueAMoment.
    let (c, calls) = orderly(&ns, group, topic, 1, true);
    c.start().await.unwrap();
    wait_until("2 refused resends", 30, || {
        retry_sends(&env.proxy).len() >= 2
    })
    .await;
    assert!(
        bodies(&calls, "next").is_empty(),
        "still suspended: {:?}",
        calls.lock().unwrap()
    );
    let attempts = bodies(&calls, "poison");
    assert!(attempts.len() >= 3, "{attempts:?}");
    assert_eq!(attempts[..3], [0, 1, 2], "counting goes on");
    refuse.store(false, Ordering::SeqCst);
    wait_until("the next message of the queue", 30, || {
        !bodies(&calls, "next").is_empty()
    })
    .await;
    let last = retry_sends(&env.proxy).pop().unwrap();
    let (j, l) = (
        last.ext_fields.get("j").cloned(),
        last.ext_fields.get("l").cloned(),
    );
    let attempts = bodies(&calls, "poison");
    assert_eq!(
        j.as_deref(),
        Some(
            attempts
                .last()
                .map(|rt| rt + 1)
                .unwrap()
                .to_string()
                .as_str()
        ),
        "reconsumeTimes of the accepted resend"
    );
    assert_eq!(l.as_deref(), Some("1"), "maxReconsumeTimes");
    let (reader, dlq) = dlq_reader(&direct, group).await;
    wait_until("the DLQ message", 30, || !dlq.lock().unwrap().is_empty()).await;
    assert_eq!(&dlq.lock().unwrap()[0].body[..], b"poison");
    reader.shutdown().await;
    c.shutdown().await;
    env.shutdown().await;
}
