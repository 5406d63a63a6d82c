//! Counters shown by GET_BROKER_RUNTIME_INFO: messages put and got since start, and their
//! values at this and the previous local midnight (`msgPutTotalTodayMorning`, ...), as
//! `mqadmin clusterList -m` reads them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::store::local_day;

/// Message counters of the broker.
#[derive(Debug)]
pub struct BrokerStats {
    /// Messages stored since start.
    pub put_total: AtomicU64,
    /// Windowed per-topic / per-group counters (VIEW_BROKER_STATS_DATA, the topic's put TPS
    /// and the group's consume TPS).
    pub items: super::stats_items::StatsItems,
    daily: Mutex<Daily>,
}

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
    /// Counters of a broker of `cluster`.
    pub fn new(cluster: &str) -> BrokerStats {
        BrokerStats {
            put_total: AtomicU64::new(0),
            items: super::stats_items::StatsItems::new(cluster),
            daily: Mutex::default(),
        }
    }

    /// Messages handed to consumers since start (counted by the `BROKER_GET_NUMS` item).
    pub fn get_total(&self) -> u64 {
        self.items.broker_gets()
    }

    /// Messages per second `group` pulled from `topic` over the last minute (Java's
    /// `tpsGroupGetNums`: the minute window of `GROUP_GET_NUMS`).
    pub fn group_get_tps(&self, group: &str, topic: &str, now_ms: i64) -> f64 {
        self.items
            .group_windows(group, topic, true, now_ms)
            .map_or(0.0, |w| w[0].tps)
    }

    /// Takes the midnight snapshots when the local day changed since the last call (the
    /// broker calls this every few seconds).
    pub fn roll_day(&self, now_ms: i64) -> DailyTotals {
        let today = local_day(now_ms);
        let mut d = self.daily.lock().unwrap_or_else(|e| e.into_inner());
        if d.day == 0 {
            d.day = today;
        } else if today != d.day {
            let (put, get) = (self.put_total.load(Ordering::Relaxed), self.get_total());
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
    fn consume_tps_is_the_minute_window_of_group_gets() {
        let s = BrokerStats::new("c");
        s.items.record_get("g", "t", 30, 300);
        s.items.record_get("g", "t", 30, 300);
        let now = rmq_core::clock::now_ms();
        let tps = s.group_get_tps("g", "t", now);
        let minute = s
            .items
            .windows(super::super::stats_items::GROUP_GET_NUMS, "t@g", now)
            .map(|w| w[0]);
        assert_eq!(minute.map(|w| (w.sum, w.tps)), Some((60, tps)));
        assert!(tps > 0.0);
        assert_eq!(s.group_get_tps("g", "other", now), 0.0);
    }

    #[test]
    fn midnight_snapshots_roll() {
        let s = BrokerStats::new("c");
        let t0 = 1_800_000_000_000;
        assert_eq!(s.roll_day(t0), DailyTotals::default());
        s.put_total.store(10, Ordering::Relaxed);
        s.items.record_get("g", "t", 4, 400);
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
