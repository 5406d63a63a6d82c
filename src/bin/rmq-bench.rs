//! `rmq-bench`: RocketMQ's `benchmark/producer.sh` and `consumer.sh` for rmq's native client.
//!
//! ```text
//! rmq-bench producer --namesrv 127.0.0.1:9876 --topic BenchmarkTest --threads 1 --size 1024 \
//!                    --duration 10 --mode sync|async|oneway|batch|tx [--in-flight 256] [--batch 32] [--rate 5000]
//! rmq-bench consumer --namesrv 127.0.0.1:9876 --topic BenchmarkTest --group benchmark_consumer --duration 10
//! rmq-bench idle     --namesrv 127.0.0.1:9876 --topic BenchmarkTest --seconds 5
//! rmq-bench timers   --namesrv 127.0.0.1:9876 --topic BenchTimers --count 10000 --spread-ms 10000 \
//!                    [--lead-ms 5000] [--broker-pid PID] [--no-consume]
//! rmq-bench request  --namesrv 127.0.0.1:9876 --topic RequestBench --threads 1 --size 128 --duration 10 [--no-replier]
//! ```
//!
//! Each prints one line per second, a summary (TPS; send latency p50/p99/p99.9/max for the
//! producer, born→consumed latency for the consumer) and a `RESULT {json}` line for scripts.
//! With `--rate` (or `--stamp`) the producer puts its send time in µs into the user property
//! `BENCH_SEND_US`, which the consumer uses instead of the ms-resolution born timestamp.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[path = "rmq_bench/clients.rs"]
mod clients;
#[path = "rmq_bench/consumer.rs"]
mod consumer;
#[path = "rmq_bench/memory.rs"]
mod memory;
#[path = "rmq_bench/producer.rs"]
mod producer;
#[path = "rmq_bench/request.rs"]
mod request;
#[path = "rmq_bench/stats.rs"]
mod stats;
#[path = "rmq_bench/timers.rs"]
mod timers;

/// The user property holding the producer's send time in µs since the epoch.
pub const SEND_TIME_PROPERTY: &str = "BENCH_SEND_US";

#[derive(Debug, Parser)]
#[command(
    name = "rmq-bench",
    about = "Benchmark rmq's native RocketMQ client",
    version
)]
struct Cli {
    /// Tokio worker threads. One by default: the broker under test usually shares the
    /// machine, and one thread drives a connection with the fewest cross-thread wake-ups.
    #[arg(long, global = true, default_value_t = 1)]
    workers: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send messages for a fixed time; print TPS and send latency.
    Producer(ProducerArgs),
    /// Consume with a push consumer for a fixed time; print TPS and born→consumed latency.
    Consumer(ConsumerArgs),
    /// Start one producer and one push consumer, idle, print the resident memory.
    Idle(IdleArgs),
    /// Send delivery-time (timer) messages; print their lateness and the broker's memory.
    Timers(TimersArgs),
    /// Request-reply round trips for a fixed time; print requests/s and round-trip latency.
    Request(RequestArgs),
}

/// How the producer sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// `send`, one at a time per task.
    Sync,
    /// `send_async_with_callback`, `--in-flight` outstanding.
    Async,
    /// `send_oneway`.
    Oneway,
    /// `send_batch` of `--batch` messages.
    Batch,
    /// `TransactionMqProducer::send_message_in_transaction`, one at a time per task: a half
    /// message, a local transaction that commits at once, a oneway END_TRANSACTION.
    Tx,
}

/// `rmq-bench producer` options.
#[derive(Debug, Clone, Args)]
pub struct ProducerArgs {
    /// Name server address(es), `host:port;host:port`.
    #[arg(long, short = 'n', default_value = "127.0.0.1:9876")]
    pub namesrv: String,
    /// Topic.
    #[arg(long, short = 't', default_value = "BenchmarkTest")]
    pub topic: String,
    /// Producer group.
    #[arg(long, short = 'g', default_value = "benchmark_producer")]
    pub group: String,
    /// Concurrent sending tasks.
    #[arg(long, short = 'w', default_value_t = 1)]
    pub threads: usize,
    /// Body size in bytes.
    #[arg(long, short = 's', default_value_t = 1024)]
    pub size: usize,
    /// Measured seconds.
    #[arg(long, short = 'd', default_value_t = 10)]
    pub duration: u64,
    /// Seconds of load before the measurement starts.
    #[arg(long, default_value_t = 1)]
    pub warmup: u64,
    /// Send mode.
    #[arg(long, short = 'm', value_enum, default_value_t = Mode::Sync)]
    pub mode: Mode,
    /// Async sends outstanding at once (all tasks together).
    #[arg(long, default_value_t = 256)]
    pub in_flight: usize,
    /// Messages per batch request (`--mode batch`).
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Messages per second over all tasks (default: as fast as possible).
    #[arg(long)]
    pub rate: Option<u64>,
    /// Put the send time into `BENCH_SEND_US` (always on with `--rate`).
    #[arg(long)]
    pub stamp: bool,
    /// Tag of every message.
    #[arg(long)]
    pub tag: Option<String>,
    /// Send timeout in ms.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
    /// Header encoding of send requests.
    #[arg(long, value_enum, default_value_t = Serialize::Json)]
    pub serialize: Serialize,
}

/// Header encoding of send requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Serialize {
    /// JSON (Java's default).
    Json,
    /// The ROCKETMQ binary header.
    Rocketmq,
}

/// `rmq-bench consumer` options.
#[derive(Debug, Clone, Args)]
pub struct ConsumerArgs {
    /// Name server address(es).
    #[arg(long, short = 'n', default_value = "127.0.0.1:9876")]
    pub namesrv: String,
    /// Topic.
    #[arg(long, short = 't', default_value = "BenchmarkTest")]
    pub topic: String,
    /// Consumer group.
    #[arg(long, short = 'g', default_value = "benchmark_consumer")]
    pub group: String,
    /// Tag expression.
    #[arg(long, default_value = "*")]
    pub expression: String,
    /// Measured seconds.
    #[arg(long, short = 'd', default_value_t = 10)]
    pub duration: u64,
    /// Seconds after start before the measurement starts.
    #[arg(long, default_value_t = 1)]
    pub warmup: u64,
}

/// `rmq-bench idle` options.
#[derive(Debug, Clone, Args)]
pub struct IdleArgs {
    /// Name server address(es).
    #[arg(long, short = 'n', default_value = "127.0.0.1:9876")]
    pub namesrv: String,
    /// Topic the consumer subscribes to (the producer sends one message to it first).
    #[arg(long, short = 't', default_value = "BenchmarkTest")]
    pub topic: String,
    /// Seconds to idle before measuring.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
}

/// `rmq-bench timers` options.
#[derive(Debug, Clone, Args)]
pub struct TimersArgs {
    /// Name server address(es).
    #[arg(long, short = 'n', default_value = "127.0.0.1:9876")]
    pub namesrv: String,
    /// Topic.
    #[arg(long, short = 't', default_value = "BenchTimers")]
    pub topic: String,
    /// Consumer group.
    #[arg(long, short = 'g', default_value = "benchmark_timer_consumer")]
    pub group: String,
    /// Timer messages to send.
    #[arg(long, default_value_t = 10_000)]
    pub count: u64,
    /// Milliseconds from the start to the first delivery time (longer than the sends take).
    #[arg(long, default_value_t = 5_000)]
    pub lead_ms: u64,
    /// The delivery times are spread evenly over this many milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub spread_ms: u64,
    /// Body size in bytes.
    #[arg(long, short = 's', default_value_t = 128)]
    pub size: usize,
    /// Concurrent sending tasks.
    #[arg(long, default_value_t = 16)]
    pub senders: usize,
    /// Process id of the broker whose VmRSS to read before sending and while all are pending.
    #[arg(long)]
    pub broker_pid: Option<u32>,
    /// Milliseconds to wait after the sends before reading the broker's VmRSS.
    #[arg(long, default_value_t = 3_000)]
    pub settle_ms: u64,
    /// Only send (and measure memory): no consumer, no lateness.
    #[arg(long)]
    pub no_consume: bool,
}

/// `rmq-bench request` options.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    /// Name server address(es).
    #[arg(long, short = 'n', default_value = "127.0.0.1:9876")]
    pub namesrv: String,
    /// Request topic.
    #[arg(long, short = 't', default_value = "RequestBench")]
    pub topic: String,
    /// Requester group (the in-process replier uses `<group>_replier`).
    #[arg(long, short = 'g', default_value = "benchmark_requester")]
    pub group: String,
    /// Concurrent requesting tasks (each waits for its reply before the next request).
    #[arg(long, short = 'w', default_value_t = 1)]
    pub threads: usize,
    /// Body size in bytes (the reply echoes it).
    #[arg(long, short = 's', default_value_t = 128)]
    pub size: usize,
    /// Measured seconds.
    #[arg(long, short = 'd', default_value_t = 10)]
    pub duration: u64,
    /// Seconds of load before the measurement starts.
    #[arg(long, default_value_t = 1)]
    pub warmup: u64,
    /// Reply timeout of one request in ms.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
    /// Don't start the in-process replier (another process answers).
    #[arg(long)]
    pub no_replier: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    rt.worker_threads(cli.workers.max(1));
    let rt = match rt.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rmq-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Producer(a) => producer::run(a).await,
            Command::Consumer(a) => consumer::run(a).await,
            Command::Idle(a) => consumer::idle(a).await,
            Command::Timers(a) => timers::run(a).await,
            Command::Request(a) => request::run(a).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rmq-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
