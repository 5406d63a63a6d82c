//! `rmq-bench producer`: sync, async, oneway or batch sends for a fixed time, optionally at a
//! fixed rate; prints TPS and send latency percentiles.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq::client::{
    ClientConfig, ClientError, DefaultMqProducer, LocalTransactionState, Message, MessageExt,
    ProducerConfig, TransactionListener, TransactionMqProducer,
};
use rmq::protocol::SerializeType;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::stats::{now_us, reporter, Counters, Samples};
use super::{Mode, ProducerArgs, Serialize, SEND_TIME_PROPERTY};

/// When the measured window starts and ends.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

impl Window {
    fn counts(&self, begin: Instant, done: Instant) -> bool {
        begin >= self.start && done <= self.end
    }
}

/// `--mode tx`: every local transaction commits at once.
struct CommitAll;

impl TransactionListener for CommitAll {
    fn execute_local_transaction(
        &self,
        _msg: &Message,
        _arg: &(dyn std::any::Any + Send + Sync),
    ) -> LocalTransactionState {
        LocalTransactionState::Commit
    }

    fn check_local_transaction(&self, _msg: &MessageExt) -> LocalTransactionState {
        LocalTransactionState::Commit
    }
}

struct Load {
    producer: DefaultMqProducer,
    /// The transaction producer of `--mode tx`.
    tx: Option<TransactionMqProducer>,
    args: ProducerArgs,
    /// Topic, body and tag of every message.
    template: Message,
    counters: Arc<Counters>,
    window: Window,
}

impl Load {
    fn message(&self) -> Message {
        let mut m = self.template.clone();
        if self.args.stamp || self.args.rate.is_some() {
            m = m.with_property(SEND_TIME_PROPERTY, now_us().to_string());
        }
        m
    }

    /// Time between two sends of one task at `--rate`.
    /// A pacer for one of the `--threads` tasks: `--rate` spread over them, or no pacing.
    fn pacer(&self) -> Pacer {
        let pace = self
            .args
            .rate
            .filter(|r| *r > 0)
            .map(|rate| Duration::from_secs_f64(self.args.threads.max(1) as f64 / rate as f64));
        Pacer {
            pace,
            next: Instant::now(),
        }
    }

    /// One task of sync, oneway or batch sends, one after the other.
    async fn sequential(self: Arc<Self>) -> Samples {
        let mut samples = Samples::with_capacity(1 << 16);
        let mut pacer = self.pacer();
        while pacer.tick(self.window.end).await {
            let begin = Instant::now();
            let r: Result<u64, ClientError> = match self.args.mode {
                Mode::Sync | Mode::Async => self.producer.send(&self.message()).await.map(|_| 1),
                Mode::Oneway => self.producer.send_oneway(&self.message()).await.map(|_| 1),
                Mode::Tx => match &self.tx {
                    Some(tx) => tx
                        .send_message_in_transaction(&self.message(), &())
                        .await
                        .map(|_| 1),
                    None => Err(ClientError::Config("no transaction producer".into())),
                },
                Mode::Batch => {
                    let msgs: Vec<Message> = (0..self.args.batch).map(|_| self.message()).collect();
                    self.producer
                        .send_batch(&msgs)
                        .await
                        .map(|_| msgs.len() as u64)
                }
            };
            let done = Instant::now();
            if self.window.counts(begin, done) {
                match r {
                    Ok(n) => {
                        self.counters.ok(n);
                        samples.record(done - begin);
                    }
                    Err(e) => {
                        self.counters.failed();
                        tracing::debug!(error = %e, "send failed");
                    }
                }
            }
        }
        samples
    }

    /// One task issuing async sends, at most `--in-flight` outstanding over all tasks; a
    /// send's callback records it and gives its permit back.
    async fn issue_async(self: Arc<Self>, permits: Arc<Semaphore>, samples: Arc<Mutex<Samples>>) {
        let mut pacer = self.pacer();
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            if !pacer.tick(self.window.end).await {
                break;
            }
            self.clone().send_async(permit, samples.clone());
        }
    }

    /// One async send.
    fn send_async(self: Arc<Self>, permit: OwnedSemaphorePermit, samples: Arc<Mutex<Samples>>) {
        let begin = Instant::now();
        let load = self.clone();
        self.producer
            .send_async_with_callback(self.message(), move |r| {
                let done = Instant::now();
                let ok = r.is_ok();
                if load.window.counts(begin, done) {
                    if ok {
                        load.counters.ok(1);
                        samples
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .record(done - begin);
                    } else {
                        load.counters.failed();
                    }
                }
                drop(permit);
            });
    }
}

/// Runs the producer benchmark and prints its summary.
pub async fn run(args: ProducerArgs) -> Result<(), ClientError> {
    let client = ClientConfig {
        name_server_addr: args.namesrv.clone(),
        ..Default::default()
    };
    let config = ProducerConfig {
        producer_group: args.group.clone(),
        send_msg_timeout: Duration::from_millis(args.timeout_ms),
        serialize_type: match args.serialize {
            Serialize::Json => SerializeType::Json,
            Serialize::Rocketmq => SerializeType::RocketMq,
        },
        ..Default::default()
    };
    let (producer, tx) = if args.mode == Mode::Tx {
        let tx = TransactionMqProducer::new(client, config, Arc::new(CommitAll))?;
        tx.start().await?;
        (tx.producer().clone(), Some(tx))
    } else {
        (DefaultMqProducer::new(client, config)?, None)
    };
    // Route and connection ready before the clock starts.
    producer.publish_queues(&args.topic).await?;
    let start = Instant::now() + Duration::from_secs(args.warmup);
    let window = Window {
        start,
        end: start + Duration::from_secs(args.duration),
    };
    let counters = Arc::new(Counters::default());
    let load = Arc::new(Load {
        producer: producer.clone(),
        tx: tx.clone(),
        template: {
            let m = Message::new(args.topic.clone(), vec![b'x'; args.size]);
            match &args.tag {
                Some(tag) => m.with_tags(tag.clone()),
                None => m,
            }
        },
        counters: counters.clone(),
        window,
        args: args.clone(),
    });
    println!(
        "producer: mode {:?}, {} task(s), {} B bodies, topic {}, {} s warm-up + {} s{}",
        args.mode,
        args.threads,
        args.size,
        args.topic,
        args.warmup,
        args.duration,
        args.rate.map_or(String::new(), |r| format!(", {r} msg/s")),
    );
    let report = {
        let counters = counters.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            reporter("producer", counters, window.end).await.ok();
        })
    };
    let mut samples = Samples::default();
    if args.mode == Mode::Async {
        let in_flight = args.in_flight.max(1);
        let permits = Arc::new(Semaphore::new(in_flight));
        let recorded = Arc::new(Mutex::new(Samples::with_capacity(1 << 20)));
        let tasks: Vec<_> = (0..args.threads.max(1))
            .map(|_| tokio::spawn(load.clone().issue_async(permits.clone(), recorded.clone())))
            .collect();
        for t in tasks {
            let _ = t.await;
        }
        // Every outstanding send answers (or times out) and gives its permit back.
        let all = u32::try_from(in_flight).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(
            Duration::from_millis(args.timeout_ms * 4),
            permits.acquire_many(all),
        )
        .await;
        samples = std::mem::take(&mut *recorded.lock().unwrap_or_else(|e| e.into_inner()));
    } else {
        let tasks: Vec<_> = (0..args.threads.max(1))
            .map(|_| tokio::spawn(load.clone().sequential()))
            .collect();
        for t in tasks {
            if let Ok(s) = t.await {
                samples.merge(s);
            }
        }
    }
    let _ = report.await;
    let ok = counters.ok.load(std::sync::atomic::Ordering::Relaxed);
    let failed = counters.failed.load(std::sync::atomic::Ordering::Relaxed);
    let secs = args.duration.max(1) as f64;
    let tps = ok as f64 / secs;
    let per_request = if args.mode == Mode::Batch {
        " (per batch request)"
    } else {
        ""
    };
    let summary = samples.summary();
    println!(
        "producer {:?}: {ok} msgs in {secs:.0} s = {tps:.0} msg/s, failed {failed}; send latency{per_request}: {}",
        args.mode,
        summary.describe()
    );
    println!(
        "RESULT {{\"role\":\"producer\",\"mode\":\"{:?}\",\"threads\":{},\"size\":{},\"tps\":{tps:.1},\"ok\":{ok},\"failed\":{failed},{}}}",
        args.mode,
        args.threads,
        args.size,
        summary.json_fields()
    );
    if let Some(tx) = &tx {
        tx.shutdown().await;
    }
    producer.instance().remoting().close_all().await;
    Ok(())
}

/// Paces one sending task at its share of `--rate` and tells when the window has closed.
struct Pacer {
    pace: Option<Duration>,
    next: Instant,
}

impl Pacer {
    /// Waits for the task's next slot; false once `end` has passed.
    async fn tick(&mut self, end: Instant) -> bool {
        let now = Instant::now();
        if now >= end {
            return false;
        }
        if let Some(pace) = self.pace {
            if self.next > now {
                tokio::time::sleep_until(self.next.into()).await;
            }
            self.next += pace;
        }
        true
    }
}
