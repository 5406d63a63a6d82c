//! The broker.conf keys UPDATE_BROKER_CONFIG (25) may change while the broker runs, and their
//! current values. Every other key needs a restart and is refused by name.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use crate::config::BrokerConfig;

/// The keys that apply at once when updated.
pub const LIVE_KEYS: [&str; 5] = [
    "brokerPermission",
    "autoCreateSubscriptionGroup",
    "notifyConsumerIdsChangedEnable",
    "longPollingEnable",
    "shortPollingTimeMills",
];

/// Current values of the live keys (read on every use; the startup values are in
/// `BrokerInner::config`).
#[derive(Debug)]
pub struct LiveConfig {
    broker_permission: AtomicI32,
    notify_consumer_ids_changed_enable: AtomicBool,
    long_polling_enable: AtomicBool,
    short_polling_time_mills: AtomicU64,
}

impl LiveConfig {
    /// The startup values.
    pub fn new(c: &BrokerConfig) -> Self {
        LiveConfig {
            broker_permission: AtomicI32::new(c.broker_permission),
            notify_consumer_ids_changed_enable: AtomicBool::new(
                c.notify_consumer_ids_changed_enable,
            ),
            long_polling_enable: AtomicBool::new(c.long_polling_enable),
            short_polling_time_mills: AtomicU64::new(c.short_polling_time_mills),
        }
    }

    /// `brokerPermission`.
    pub fn broker_permission(&self) -> i32 {
        self.broker_permission.load(Ordering::Relaxed)
    }

    /// `notifyConsumerIdsChangedEnable`.
    pub fn notify_consumer_ids_changed_enable(&self) -> bool {
        self.notify_consumer_ids_changed_enable
            .load(Ordering::Relaxed)
    }

    /// `longPollingEnable`.
    pub fn long_polling_enable(&self) -> bool {
        self.long_polling_enable.load(Ordering::Relaxed)
    }

    /// `shortPollingTimeMills`.
    pub fn short_polling_time_mills(&self) -> u64 {
        self.short_polling_time_mills.load(Ordering::Relaxed)
    }

    /// Takes the live keys' values from `c` (already validated by `BrokerConfig::set`).
    pub fn apply(&self, c: &BrokerConfig) {
        self.broker_permission
            .store(c.broker_permission, Ordering::Relaxed);
        self.notify_consumer_ids_changed_enable
            .store(c.notify_consumer_ids_changed_enable, Ordering::Relaxed);
        self.long_polling_enable
            .store(c.long_polling_enable, Ordering::Relaxed);
        self.short_polling_time_mills
            .store(c.short_polling_time_mills, Ordering::Relaxed);
    }
}

/// Rewrites `key=value` lines of a properties file in place (keeping comments and order) and
/// appends the keys it did not hold.
pub fn rewrite_properties(text: &str, updates: &[(String, String)]) -> String {
    let mut done = vec![false; updates.len()];
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let t = line.trim_start();
        let key = t
            .split(['=', ':'])
            .next()
            .map(str::trim)
            .filter(|_| !t.starts_with('#') && !t.starts_with('!'));
        match key.and_then(|k| updates.iter().position(|(u, _)| u == k)) {
            Some(i) => {
                out.push_str(&format!("{}={}\n", updates[i].0, updates[i].1));
                done[i] = true;
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for ((k, v), done) in updates.iter().zip(done) {
        if !done {
            out.push_str(&format!("{k}={v}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_keeps_comments_and_appends() {
        let text = "# mine\nbrokerName=b\nbrokerPermission = 6\n";
        let out = rewrite_properties(
            text,
            &[
                ("brokerPermission".into(), "4".into()),
                ("longPollingEnable".into(), "false".into()),
            ],
        );
        assert_eq!(
            out,
            "# mine\nbrokerName=b\nbrokerPermission=4\nlongPollingEnable=false\n"
        );
    }
}
