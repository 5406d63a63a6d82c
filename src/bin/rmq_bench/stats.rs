//! Counters, per-second reports and latency percentiles (sorted samples, no histogram).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Latency samples in microseconds.
#[derive(Debug, Default)]
pub struct Samples(Vec<u32>);

impl Samples {
    /// With room for `n` samples.
    pub fn with_capacity(n: usize) -> Self {
        Samples(Vec::with_capacity(n))
    }

    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        self.record_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// Records one latency given in µs.
    pub fn record_us(&mut self, us: u64) {
        self.0.push(u32::try_from(us).unwrap_or(u32::MAX));
    }

    /// Adds another set.
    pub fn merge(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    /// Sorts and returns the summary.
    pub fn summary(mut self) -> Summary {
        self.0.sort_unstable();
        let v = &self.0;
        // Nearest rank, in integers: `per_100k` is the percentile × 1000 (99.9 → 99_900).
        let pct = |per_100k: usize| -> f64 {
            if v.is_empty() {
                return 0.0;
            }
            let rank = (per_100k * v.len()).div_ceil(100_000);
            f64::from(v[rank.clamp(1, v.len()) - 1]) / 1000.0
        };
        let mean = if v.is_empty() {
            0.0
        } else {
            v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64 / 1000.0
        };
        Summary {
            count: v.len(),
            mean_ms: mean,
            p50_ms: pct(50_000),
            p99_ms: pct(99_000),
            p999_ms: pct(99_900),
            max_ms: v.last().map_or(0.0, |&x| f64::from(x) / 1000.0),
        }
    }
}

/// Percentiles of a run, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub count: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    /// `p50 0.114 ms, p99 …` for humans.
    pub fn describe(&self) -> String {
        format!(
            "avg {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms",
            self.mean_ms, self.p50_ms, self.p99_ms, self.p999_ms, self.max_ms
        )
    }

    /// The same as JSON fields (no braces).
    pub fn json_fields(&self) -> String {
        format!(
            "\"latency_samples\":{},\"avg_ms\":{:.4},\"p50_ms\":{:.4},\"p99_ms\":{:.4},\"p999_ms\":{:.4},\"max_ms\":{:.4}",
            self.count, self.mean_ms, self.p50_ms, self.p99_ms, self.p999_ms, self.max_ms
        )
    }
}

/// Shared counters, read every second by [`reporter`].
#[derive(Debug, Default)]
pub struct Counters {
    /// Messages done (sent, or consumed) within the measured window.
    pub ok: AtomicU64,
    /// Failed operations.
    pub failed: AtomicU64,
}

impl Counters {
    /// Adds `n` successes.
    pub fn ok(&self, n: u64) {
        self.ok.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one failure.
    pub fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Prints one line per second (`label: N msg/s, failed F`) until `end`.
pub fn reporter(
    label: &'static str,
    counters: Arc<Counters>,
    end: Instant,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        let mut last = (0, 0);
        let mut second = 0;
        while Instant::now() < end {
            tick.tick().await;
            second += 1;
            let now = (
                counters.ok.load(Ordering::Relaxed),
                counters.failed.load(Ordering::Relaxed),
            );
            println!(
                "[{label}] {second:>3}s  {:>8} msg/s  failed {}",
                now.0 - last.0,
                now.1 - last.1
            );
            last = now;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut s = Samples::default();
        for us in 1..=1000 {
            s.record_us(us * 1000);
        }
        let sum = s.summary();
        assert_eq!(sum.p50_ms, 500.0);
        assert_eq!(sum.p99_ms, 990.0);
        assert_eq!(sum.p999_ms, 999.0);
        assert_eq!(sum.max_ms, 1000.0);
    }
}
