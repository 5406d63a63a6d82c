//! `rmq-bench timers`: delivery-time (timer) messages. Sends `--count` messages with
//! `TIMER_DELIVER_MS` spread over `--spread-ms` starting `--lead-ms` from now (so all are
//! pending at once), then measures each one's lateness (receive time − delivery time) at a
//! push consumer, and optionally the broker's resident memory (`--broker-pid`) while they are
//! pending.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientError, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqPushConsumer, ListenerFn,
    Message, MessageExt,
};

use super::clients::{client, producer};
use super::memory::rss_kib;
use super::stats::{now_us, Samples};
use super::TimersArgs;

/// The user property holding a message's delivery time (ms since the epoch).
const DUE_PROPERTY: &str = "BENCH_DUE_MS";

fn now_ms() -> i64 {
    (now_us() / 1000) as i64
}

/// What the consumer saw.
#[derive(Default)]
struct Seen {
    late: Mutex<Samples>,
    early: AtomicU64,
    received: AtomicU64,
}

/// Runs the timer benchmark and prints its summary.
pub async fn run(args: TimersArgs) -> Result<(), ClientError> {
    let client = client(&args.namesrv);
    let producer = producer(&client, "benchmark_timer_producer")?;
    // Creates the topic (and tells the consumer below it is ready).
    producer.send(&Message::new(&args.topic, "warm-up")).await?;
    let seen = Arc::new(Seen::default());
    let consumer = if args.no_consume {
        None
    } else {
        let s = seen.clone();
        let c = DefaultMqPushConsumer::new(
            client.clone(),
            ConsumerConfig {
                consumer_group: args.group.clone(),
                consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
                ..Default::default()
            },
            ListenerFn(move |msgs: Vec<MessageExt>| {
                let now = now_us();
                for m in &msgs {
                    let Some(due) = m.property(DUE_PROPERTY).and_then(|v| v.parse::<u64>().ok())
                    else {
                        continue;
                    };
                    let due_us = due * 1000;
                    if now < due_us {
                        s.early.fetch_add(1, Ordering::Relaxed);
                    }
                    s.late
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .record_us(now.saturating_sub(due_us));
                    s.received.fetch_add(1, Ordering::Relaxed);
                }
                std::future::ready(ConsumeConcurrentlyStatus::ConsumeSuccess)
            }),
        )?;
        c.subscribe(&args.topic, "*");
        c.start().await?;
        Some(c)
    };
    let before = args.broker_pid.and_then(|pid| rss_kib(Some(pid)));
    let base = now_ms() + args.lead_ms as i64;
    let body = vec![b'x'; args.size];
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..args.senders.max(1) {
        let (producer, next, failed, body, topic) = (
            producer.clone(),
            next.clone(),
            failed.clone(),
            body.clone(),
            args.topic.clone(),
        );
        let (count, spread) = (args.count, args.spread_ms);
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let due = base + (i * spread / count.max(1)) as i64;
                let msg = Message::new(&topic, body.clone())
                    .with_property("TIMER_DELIVER_MS", due.to_string())
                    .with_property(DUE_PROPERTY, due.to_string());
                if producer.send(&msg).await.is_err() {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let sent_in = started.elapsed();
    let pending_at_end = now_ms() < base;
    println!(
        "sent {} timer messages in {:.1} s ({} failed); all pending when done: {pending_at_end}",
        args.count,
        sent_in.as_secs_f64(),
        failed.load(Ordering::Relaxed)
    );
    let mut rss_json = String::new();
    if let Some(pid) = args.broker_pid {
        tokio::time::sleep(Duration::from_millis(args.settle_ms)).await;
        if let (Some((rss0, _)), Some((rss, hwm))) = (before, rss_kib(Some(pid))) {
            println!(
                "broker {pid}: VmRSS {:.1} MiB before, {:.1} MiB with {} pending (+{:.1} MiB), VmHWM {:.1} MiB",
                rss0 as f64 / 1024.0,
                rss as f64 / 1024.0,
                args.count,
                (rss as f64 - rss0 as f64) / 1024.0,
                hwm as f64 / 1024.0
            );
            rss_json =
                format!(",\"rss_before_kib\":{rss0},\"rss_pending_kib\":{rss},\"hwm_kib\":{hwm}");
        }
    }
    let mut late_json = String::new();
    if let Some(c) = consumer {
        let want = args.count - failed.load(Ordering::Relaxed);
        let deadline = Instant::now()
            + Duration::from_millis((base - now_ms()).max(0) as u64 + args.spread_ms + 30_000);
        while seen.received.load(Ordering::Relaxed) < want && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let received = seen.received.load(Ordering::Relaxed);
        let early = seen.early.load(Ordering::Relaxed);
        let late = std::mem::take(&mut *seen.late.lock().unwrap_or_else(|e| e.into_inner()));
        let s = late.summary();
        println!(
            "received {received} of {want}, {early} before their time; lateness {}",
            s.describe()
        );
        late_json = format!(
            ",\"received\":{received},\"early\":{early},{}",
            s.json_fields()
        );
        c.shutdown().await;
    }
    println!(
        "RESULT {{\"role\":\"timers\",\"count\":{},\"spread_ms\":{},\"send_s\":{:.2},\"all_pending\":{pending_at_end}{rss_json}{late_json}}}",
        args.count,
        args.spread_ms,
        sent_in.as_secs_f64()
    );
    producer.shutdown().await;
    Ok(())
}
