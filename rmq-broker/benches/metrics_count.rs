//! CPU cost of the metrics counting done per send, measured in thread CPU time (not wall
//! time, which a loaded machine inflates): the message type from the properties, the
//! incoming-traffic count (read lock, topic lookup, atomic adds, a histogram bucket), the RPC
//! latency record, the put-latency histogram, and the clock reads the timings take.
//!
//! Run: `cargo bench -p rmq-broker --bench metrics_count`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rmq_broker::metrics::histogram::{Histogram, STORE_LATENCY_US_BOUNDS};
use rmq_broker::metrics::{BrokerMetrics, MessageType, MetricsConfig, RpcKey, RpcResult};

/// The properties of a message from the Java client (keys, tags, unique id, wait flag).
const PROPS: &str = "KEYS\u{1}order-42\u{2}TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}7F0000010B3C18B4AAC27A6F3E5A0000\u{2}WAIT\u{1}true\u{2}";

const KEY: RpcKey = RpcKey {
    request_code: 310,
    response_code: 0,
    long_polling: false,
    result: RpcResult::Success,
};

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Median over 7 rounds of the CPU ns per call of `f`.
fn measure(name: &str, mut f: impl FnMut()) -> f64 {
    const N: u32 = 2_000_000;
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t0 = thread_cpu();
            for _ in 0..N {
                f();
            }
            (thread_cpu() - t0).as_nanos() as f64 / N as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    println!("{name:<48} {:>7.1} ns CPU", rounds[3]);
    rounds[3]
}

fn main() {
    let m = BrokerMetrics::new(&MetricsConfig::default());
    for i in 0..300 {
        m.record_in(
            &format!("topic-{i}"),
            MessageType::Normal,
            [100u64].into_iter(),
        );
    }
    let put = Histogram::new(STORE_LATENCY_US_BOUNDS);
    let started = Instant::now();
    measure("clock read (Instant::now)", || {
        black_box(Instant::now());
    });
    measure("message type from properties", || {
        black_box(MessageType::of_properties(black_box(PROPS)));
    });
    measure("record_in (1 message)", || {
        m.record_in(
            black_box("topic-42"),
            MessageType::Normal,
            [1300u64].into_iter(),
        )
    });
    measure("record_rpc", || {
        m.record_rpc(KEY, black_box(Duration::from_micros(300)))
    });
    measure("histogram record", || put.record(black_box(120)));
    measure("whole send: type, in, 4 clock reads, put, rpc", || {
        let rpc_start = Instant::now();
        let t = MessageType::of_properties(black_box(PROPS));
        let put_start = Instant::now();
        put.record(put_start.elapsed().as_micros() as u64);
        m.record_in("topic-42", t, [1300u64].into_iter());
        m.record_rpc(KEY, rpc_start.elapsed());
    });
    black_box(started);
}
