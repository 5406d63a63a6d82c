//! RocketMQ 5.x timer messages from the Java producer (`Message.setDeliverTimeMs`,
//! `setDelayTimeSec`, `setDelayTimeMs`) into rmq-broker, read by the Java push consumer: each
//! delivered not before its time and within 1 s after it; a delay past `timerMaxDelaySec`
//! refused with MESSAGE_ILLEGAL naming the key.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::java_client_spawn;
use crate::{argv, broker, java};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_timer_messages_arrive_on_time_and_past_max_is_refused() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-timer", 4);
    let consumer = java_client_spawn(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "jc-timer",
        "--group",
        "jc-timer-c",
        "--prefix",
        "t",
        "--expect",
        "6",
        "--verbose",
        "--from-first",
        "--timeout",
        "60",
    ]);
    assert!(
        consumer.wait_ready(Duration::from_secs(60)),
        "the Java consumer did not start"
    );
    let sent = java(argv(&[
        "timer-produce",
        "--namesrv",
        &ns,
        "--topic",
        "jc-timer",
        "--prefix",
        "t",
        "--count",
        "6",
        "--kind",
        "mixed",
        "--delay-ms",
        "3000",
    ]))
    .await;
    sent.assert_ok();
    assert_eq!(sent.n("sent"), 6, "{sent}");
    let due: BTreeMap<u64, i64> = sent
        .records("due_ms")
        .map(|r| (r["index"].as_u64().unwrap(), r["due_ms"].as_i64().unwrap()))
        .collect();
    let run = tokio::task::spawn_blocking(move || consumer.join())
        .await
        .unwrap();
    run.assert_ok();
    let recv: Vec<_> = run.records("recv").collect();
    assert_eq!(recv.len(), 6, "{run}");
    for r in recv {
        let index = r["index"].as_u64().unwrap();
        let at = due[&index];
        let got = r["recv_ms"].as_i64().unwrap();
        assert!(got >= at, "message {index} received {} ms early", at - got);
        assert!(
            got <= at + 1_000,
            "message {index} received {} ms late",
            got - at
        );
        assert!(r["properties"]["TIMER_OUT_MS"].is_string(), "{r}");
    }

    // Past timerMaxDelaySec (3 days by default).
    let late = java(argv(&[
        "timer-produce",
        "--namesrv",
        &ns,
        "--topic",
        "jc-timer",
        "--prefix",
        "late",
        "--count",
        "1",
        "--delay-ms",
        &(3 * 24 * 3600 * 1000 + 60_000).to_string(),
    ]))
    .await;
    late.assert_ok();
    let rec = late.records("error").next().expect("a refusal record");
    assert_eq!(rec["code"], 13, "{rec}");
    assert!(
        rec["error"].as_str().unwrap().contains("timerMaxDelaySec"),
        "{rec}"
    );
}
