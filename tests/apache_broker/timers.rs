//! RocketMQ 5.x timer messages sent by rmq's template to the Apache 5.3.3 broker (its timer
//! wheel), read by rmq's push consumer; a delay past the broker's `timerMaxDelaySec` refused
//! with the Java broker's MESSAGE_ILLEGAL remark.

use rmq::RocketMqTemplate;
use rmq_core::clock::now_ms;

use crate::consumer_support::timed_consumer;
use crate::support::{create_topic, ns, producer, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_timer_messages_are_delivered_by_the_java_broker() {
    let ns = ns().await;
    let topic = "ab-timer";
    create_topic(topic, 4).await;
    let (c, got) = timed_consumer(&ns, "ab-timer-g", topic);
    c.start().await.unwrap();
    let t = RocketMqTemplate::new(producer(&ns));
    let mut due = Vec::new();
    let t0 = now_ms();
    t.sync_send_delay_time_seconds(topic, "sec", 2)
        .await
        .unwrap();
    due.push(("sec", t0 + 2_000));
    let t0 = now_ms();
    t.sync_send_delay_time_mills(topic, "ms", 2_500)
        .await
        .unwrap();
    due.push(("ms", t0 + 2_500));
    let at = now_ms() + 3_000;
    t.sync_send_deliver_time_mills(topic, "at", at)
        .await
        .unwrap();
    due.push(("at", at));
    wait_until("the timer messages", 30, || got.lock().unwrap().len() >= 3).await;
    for (body, at) in due {
        let g = got.lock().unwrap();
        let (recv, m) = g
            .iter()
            .find(|(_, m)| &m.body[..] == body.as_bytes())
            .unwrap_or_else(|| panic!("{body} not received"));
        eprintln!(
            "Apache 5.3.3: {body} received {} ms after its time",
            recv - at
        );
        // The Java broker delivers a message once the whole 1 s slot holding its time has
        // passed: never early, up to a second late.
        assert!(
            *recv >= at && *recv <= at + 2_000,
            "{body}: received {} ms after its time",
            recv - at
        );
        assert!(m.property("TIMER_OUT_MS").is_some(), "{:?}", m.properties);
        assert_eq!(m.topic, topic);
    }
    // Past the Java broker's timerMaxDelaySec (3 days).
    let e = t
        .sync_send_delay_time_seconds(topic, "late", 3 * 24 * 3600 + 60)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("code 13"), "{e}");
    assert!(e.to_string().contains("max delay 259200000ms"), "{e}");
    c.shutdown().await;
}
