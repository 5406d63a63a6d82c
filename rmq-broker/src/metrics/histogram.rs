//! A fixed-bucket histogram on atomics: recording is two relaxed atomic adds (the bucket and
//! the sum), no lock and no allocation.

use std::sync::atomic::{AtomicU64, Ordering};

/// Explicit bucket upper bounds (inclusive, as Prometheus `le`), ascending; values above the
/// last bound land in the `+Inf` bucket.
pub type Bounds = &'static [u64];

/// Message size buckets of the Java broker (`rocketmq_message_size`): 1 KiB, 4 KiB, 512 KiB,
/// 1 MiB, 2 MiB, 4 MiB.
pub const MESSAGE_SIZE_BOUNDS: Bounds = &[
    1024,
    4 * 1024,
    512 * 1024,
    1024 * 1024,
    2 * 1024 * 1024,
    4 * 1024 * 1024,
];

/// RPC latency buckets of the Java broker (`rocketmq_rpc_latency`), in milliseconds.
pub const RPC_LATENCY_MS_BOUNDS: Bounds = &[1, 3, 5, 7, 10, 100, 1000, 2000, 3000];

/// Buckets of rmq's own store latencies (put, flush), in microseconds: 10 µs … 1 s.
pub const STORE_LATENCY_US_BOUNDS: Bounds = &[
    10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000,
];

/// A histogram with fixed buckets.
#[derive(Debug)]
pub struct Histogram {
    bounds: Bounds,
    /// `bounds.len() + 1` non-cumulative counts; the last is `+Inf`.
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
}

/// A point-in-time copy of a histogram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// `(upper bound, cumulative count)` per bound, ascending.
    pub cumulative: Vec<(u64, u64)>,
    /// Number of observations (the `+Inf` bucket).
    pub count: u64,
    /// Sum of the observed values.
    pub sum: u64,
}

impl Histogram {
    /// An empty histogram over `bounds`.
    pub fn new(bounds: Bounds) -> Histogram {
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    #[inline]
    pub fn record(&self, value: u64) {
        let i = self.bounds.partition_point(|&b| b < value);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    /// Records `n` observations of the same value.
    #[inline]
    pub fn record_n(&self, value: u64, n: u64) {
        let i = self.bounds.partition_point(|&b| b < value);
        self.buckets[i].fetch_add(n, Ordering::Relaxed);
        self.sum
            .fetch_add(value.saturating_mul(n), Ordering::Relaxed);
    }

    /// The bucket counts, cumulated, with count and sum.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut acc = 0u64;
        let mut cumulative = Vec::with_capacity(self.bounds.len());
        for (i, b) in self.bounds.iter().enumerate() {
            acc += self.buckets[i].load(Ordering::Relaxed);
            cumulative.push((*b, acc));
        }
        acc += self.buckets[self.bounds.len()].load(Ordering::Relaxed);
        HistogramSnapshot {
            cumulative,
            count: acc,
            sum: self.sum.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_inclusive_and_cumulative() {
        let h = Histogram::new(RPC_LATENCY_MS_BOUNDS);
        for v in [0, 1, 2, 3, 50, 5000] {
            h.record(v);
        }
        h.record_n(7, 2);
        let s = h.snapshot();
        assert_eq!(s.count, 8);
        assert_eq!(s.sum, 1 + 2 + 3 + 50 + 5000 + 14);
        assert_eq!(s.cumulative[0], (1, 2)); // 0, 1
        assert_eq!(s.cumulative[1], (3, 4)); // 2, 3
        assert_eq!(s.cumulative[3], (7, 6)); // 7, 7
        assert_eq!(s.cumulative[5], (100, 7)); // 50
        assert_eq!(s.cumulative.last(), Some(&(3000, 7))); // 5000 only in +Inf
    }
}
