//! `rmq-bench consumer` (TPS and born→consumed latency) and `rmq-bench idle` (resident memory
//! of one producer and one push consumer doing nothing).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq::client::{
    ClientError, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqPushConsumer, ListenerFn,
    Message, MessageExt,
};

use super::clients::{client, producer};
use super::memory::rss_kib;
use super::stats::{now_us, reporter, Counters, Samples};
use super::{ConsumerArgs, IdleArgs, SEND_TIME_PROPERTY};

/// Latency of a consumed message in µs: from the producer's `BENCH_SEND_US` stamp when
/// present, else from the born timestamp (ms resolution).
fn latency_us(m: &MessageExt, now: u64) -> u64 {
    let sent = m
        .property(SEND_TIME_PROPERTY)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or_else(|| u64::try_from(m.born_timestamp).unwrap_or(0) * 1000);
    now.saturating_sub(sent)
}

/// Runs the consumer benchmark and prints its summary.
pub async fn run(args: ConsumerArgs) -> Result<(), ClientError> {
    let counters = Arc::new(Counters::default());
    let samples = Arc::new(Mutex::new(Samples::with_capacity(1 << 20)));
    let start = Instant::now() + Duration::from_secs(args.warmup);
    let end = start + Duration::from_secs(args.duration);
    let listener = {
        let counters = counters.clone();
        let samples = samples.clone();
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let now = Instant::now();
            if now >= start && now <= end {
                let t = now_us();
                let mut s = samples.lock().unwrap_or_else(|e| e.into_inner());
                for m in &msgs {
                    s.record_us(latency_us(m, t));
                }
                counters.ok(msgs.len() as u64);
            }
            std::future::ready(ConsumeConcurrentlyStatus::ConsumeSuccess)
        })
    };
    let consumer = DefaultMqPushConsumer::new(
        client(&args.namesrv),
        ConsumerConfig {
            consumer_group: args.group.clone(),
            ..Default::default()
        },
        listener,
    )?;
    consumer.subscribe(&args.topic, &args.expression);
    consumer.start().await?;
    println!(
        "consumer: group {}, topic {} ({}), {} s warm-up + {} s",
        args.group, args.topic, args.expression, args.warmup, args.duration
    );
    tokio::time::sleep_until(start.into()).await;
    let _ = reporter("consumer", counters.clone(), end).await;
    consumer.shutdown().await;
    let n = counters.ok.load(std::sync::atomic::Ordering::Relaxed);
    let secs = args.duration.max(1) as f64;
    let summary = std::mem::take(&mut *samples.lock().unwrap_or_else(|e| e.into_inner())).summary();
    println!(
        "consumer: {n} msgs in {secs:.0} s = {:.0} msg/s; born→consumed latency: {}",
        n as f64 / secs,
        summary.describe()
    );
    println!(
        "RESULT {{\"role\":\"consumer\",\"tps\":{:.1},\"ok\":{n},{}}}",
        n as f64 / secs,
        summary.json_fields()
    );
    Ok(())
}

/// Starts a producer (one send) and a push consumer, idles, prints the resident memory.
pub async fn idle(args: IdleArgs) -> Result<(), ClientError> {
    let client = client(&args.namesrv);
    let producer = producer(&client, "rmq-bench-idle-producer")?;
    producer
        .send(&Message::new(args.topic.clone(), "idle"))
        .await?;
    let consumer = DefaultMqPushConsumer::new(
        client,
        ConsumerConfig {
            consumer_group: "rmq-bench-idle-consumer".into(),
            ..Default::default()
        },
        ListenerFn(|_msgs: Vec<MessageExt>| {
            std::future::ready(ConsumeConcurrentlyStatus::ConsumeSuccess)
        }),
    )?;
    consumer.subscribe(&args.topic, "*");
    consumer.start().await?;
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    match rss_kib(None) {
        Some((rss, hwm)) => {
            println!(
                "idle client (1 producer + 1 push consumer, {} s): VmRSS {:.1} MiB, VmHWM {:.1} MiB",
                args.seconds,
                rss as f64 / 1024.0,
                hwm as f64 / 1024.0
            );
            println!("RESULT {{\"role\":\"idle\",\"rss_kib\":{rss},\"hwm_kib\":{hwm}}}");
        }
        None => println!("idle: /proc/self/status not readable"),
    }
    consumer.shutdown().await;
    Ok(())
}
