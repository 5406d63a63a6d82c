//! `rmq-bench request`: request-reply round trips (`DefaultMqProducer::request`) for a fixed
//! time, answered by an in-process replier (a push consumer replying with the request's body)
//! unless `--no-replier`; prints requests/s and round-trip latency percentiles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientConfig, ClientError, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqProducer,
    DefaultMqPushConsumer, ListenerFn, Message, MessageExt, ProducerConfig,
};

use super::stats::{reporter, Counters, Samples};
use super::RequestArgs;

fn client(namesrv: &str) -> ClientConfig {
    ClientConfig {
        name_server_addr: namesrv.to_owned(),
        ..ClientConfig::default()
    }
}

/// The in-process replier: echoes every request's body back.
async fn replier(a: &RequestArgs) -> Result<DefaultMqPushConsumer, ClientError> {
    let producer = DefaultMqProducer::new(
        client(&a.namesrv),
        ProducerConfig {
            producer_group: format!("{}_replier", a.group),
            ..ProducerConfig::default()
        },
    )?;
    let consumer = DefaultMqPushConsumer::new(
        client(&a.namesrv),
        ConsumerConfig {
            consumer_group: format!("{}_replier", a.group),
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            ..ConsumerConfig::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let producer = producer.clone();
            async move {
                for m in msgs {
                    if let Err(e) = producer.reply(&m, m.body.clone()).await {
                        eprintln!("rmq-bench: reply failed: {e}");
                    }
                }
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    )?;
    consumer.subscribe(&a.topic, "*");
    consumer.start().await?;
    Ok(consumer)
}

/// Runs the benchmark.
pub async fn run(a: RequestArgs) -> Result<(), ClientError> {
    let replier = if a.no_replier {
        None
    } else {
        Some(replier(&a).await?)
    };
    let requester = DefaultMqProducer::new(
        client(&a.namesrv),
        ProducerConfig {
            producer_group: a.group.clone(),
            ..ProducerConfig::default()
        },
    )?;
    let timeout = Duration::from_millis(a.timeout_ms);
    let body = vec![b'r'; a.size];
    // Until a first reply comes back (the replier's queues assigned), within 30 s.
    let ready_by = Instant::now() + Duration::from_secs(30);
    loop {
        match requester
            .request(Message::new(a.topic.clone(), body.clone()), timeout)
            .await
        {
            Ok(_) => break,
            Err(e) if Instant::now() < ready_by => {
                eprintln!("rmq-bench: waiting for the replier: {e}")
            }
            Err(e) => return Err(e),
        }
    }
    let start = Instant::now() + Duration::from_secs(a.warmup);
    let end = start + Duration::from_secs(a.duration);
    let counters = Arc::new(Counters::default());
    let report = reporter("request", counters.clone(), end);
    let mut tasks = Vec::new();
    for _ in 0..a.threads.max(1) {
        let requester = requester.clone();
        let counters = counters.clone();
        let msg = Message::new(a.topic.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Samples::with_capacity(1 << 16);
            while Instant::now() < end {
                let begin = Instant::now();
                let r = requester.request(msg.clone(), timeout).await;
                let done = Instant::now();
                if begin >= start && done <= end {
                    match r {
                        Ok(_) => {
                            counters.ok(1);
                            samples.record(done - begin);
                        }
                        Err(_) => counters.failed(),
                    }
                }
            }
            samples
        }));
    }
    let mut samples = Samples::default();
    for t in tasks {
        samples.merge(t.await.unwrap_or_default());
    }
    let _ = report.await;
    let ok = counters.ok.load(std::sync::atomic::Ordering::Relaxed);
    let failed = counters.failed.load(std::sync::atomic::Ordering::Relaxed);
    let tps = ok as f64 / a.duration.max(1) as f64;
    let summary = samples.summary();
    println!(
        "request-reply: {tps:.0} requests/s over {} s, {failed} failed; round trip {}",
        a.duration,
        summary.describe()
    );
    println!(
        "RESULT {{\"mode\":\"request\",\"threads\":{},\"size\":{},\"tps\":{tps:.1},\"ok\":{ok},\"failed\":{failed},{}}}",
        a.threads,
        a.size,
        summary.json_fields()
    );
    if let Some(c) = replier {
        c.shutdown().await;
    }
    requester.shutdown().await;
    Ok(())
}
