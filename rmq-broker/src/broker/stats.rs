//! Counters shown by GET_BROKER_RUNTIME_INFO: messages put and got since start, and their
//! values at this and the previous local midnight (`msgPutTotalTodayMorning`, ...), as
//! `mqadmin clusterList -m` reads them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::store::local_day;

/// Message counters of the broker.
#[derive(Debug, Default)]
pub struct BrokerStats {
    /// Messages stored since start.
    pub put_total: AtomicU64,
    /// Messages handed to consumers since start.
    pub get_total: AtomicU64,
    /// Windowed per-topic / per-group counters (VIEW_BROKER_STATS_DATA).
    pub items: super::stats_items::StatsItems,
    daily: Mutex<Daily>,
    /// Messages pulled per (group, topic) in the last minute, by second: the consume TPS
    /// GET_CONSUME_STATS reports (Java's `tpsGroupGetNums`).
    group_gets: Mutex<HashMap<(String, String), Buckets>>,
}

/// (second, messages) pairs, oldest first.
type Buckets = Vec<(i64, u64)>;

/// The window of the consume TPS.
const TPS_WINDOW_SECS: i64 = 60;

/// The counters at the start of today and of yesterday (0 before the broker ran).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DailyTotals {
    pub put_today_morning: u64,
    pub put_yesterday_morning: u64,
    pub get_today_morning: u64,
    pub get_yesterday_morning: u64,
}

#[derive(Debug, Default)]
struct Daily {
    /// The local day the snapshots belong to (0: not started).
    day: i64,
    totals: DailyTotals,
}

impl BrokerStats {
    /// Counts `count` messages pulled by `group` from `topic` at `now_ms`.
    pub fn record_group_get(&self, group: &str, topic: &str, count: u64, now_ms: i64) {
        let sec = now_ms / 1000;
        let mut t = self.group_gets.lock().unwrap_or_else(|e| e.into_inner());
        let buckets = t.entry((group.to_owned(), topic.to_owned())).or_default();
        buckets.retain(|(s, _)| sec - s < TPS_WINDOW_SECS);
        match buckets.last_mut() {
            Some((s, n)) if *s == sec => *n += count,
            _ => buckets.push((sec, count)),
        }
    }

    /// Messages per second `group` pulled from `topic` over the last minute.
    pub fn group_get_tps(&self, group: &str, topic: &str, now_ms: i64) -> f64 {
        let sec = now_ms / 1000;
        let t = self.group_gets.lock().unwrap_or_else(|e| e.into_inner());
        let total: u64 = t
            .get(&(group.to_owned(), topic.to_owned()))
            .map(|b| {
                b.iter()
                    .filter(|(s, _)| sec - s < TPS_WINDOW_SECS)
                    .map(|(_, n)| n)
                    .sum()
            })
            .unwrap_or(0);
        total as f64 / TPS_WINDOW_SECS as f64
    }

    /// Takes the midnight snapshots when the local day changed since the last call (the
    /// broker calls this every few seconds).
    pub fn roll_day(&self, now_ms: i64) -> DailyTotals {
        let today = local_day(now_ms);
        let mut d = self.daily.lock().unwrap_or_else(|e| e.into_inner());
        if d.day == 0 {
            d.day = today;
        } else if today != d.day {
            let (put, get) = (
                self.put_total.load(Ordering::Relaxed),
                self.get_total.load(Ordering::Relaxed),
            );
            // One day on: yesterday morning is the old "today morning"; more: nothing was
            // counted yesterday.
            let next_day = today == d.day + 1;
            let t = &mut d.totals;
            if next_day {
                t.put_yesterday_morning = t.put_today_morning;
                t.get_yesterday_morning = t.get_today_morning;
            } else {
                t.put_yesterday_morning = put;
                t.get_yesterday_morning = get;
            }
            t.put_today_morning = put;
            t.get_today_morning = get;
            d.day = today;
        }
        d.totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn consume_tps_counts_the_last_minute() {
        let s = BrokerStats::default();
        let t0 = 1_800_000_000_000;
        s.record_group_get("g", "t", 30, t0);
        s.record_group_get("g", "t", 30, t0 + 500);
        s.record_group_get("g", "t", 60, t0 + 30_000);
        assert_eq!(s.group_get_tps("g", "t", t0 + 30_000), 2.0);
        assert_eq!(s.group_get_tps("g", "t", t0 + 61_000), 1.0);
        assert_eq!(s.group_get_tps("g", "other", t0), 0.0);
    }

    #[test]
    fn midnight_snapshots_roll() {
        let s = BrokerStats::default();
        let t0 = 1_800_000_000_000;
        assert_eq!(s.roll_day(t0), DailyTotals::default());
        s.put_total.store(10, Ordering::Relaxed);
        s.get_total.store(4, Ordering::Relaxed);
        let t = s.roll_day(t0 + DAY);
        assert_eq!((t.put_today_morning, t.get_today_morning), (10, 4));
        assert_eq!((t.put_yesterday_morning, t.get_yesterday_morning), (0, 0));
        s.put_total.store(25, Ordering::Relaxed);
        let t = s.roll_day(t0 + 2 * DAY);
        assert_eq!((t.put_today_morning, t.put_yesterday_morning), (25, 10));
        // Three idle days later: nothing happened yesterday.
        let t = s.roll_day(t0 + 5 * DAY);
        assert_eq!((t.put_today_morning, t.put_yesterday_morning), (25, 25));
    }
}
