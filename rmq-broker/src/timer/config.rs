//! The `broker.conf` keys of the timer.

/// The longest delay the wheel holds without rolling: 7 days (`TIMER_WHEEL_TTL_DAY`).
pub const WHEEL_TTL_SEC: u64 = 7 * 24 * 3600;

/// Timer settings, with RocketMQ's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerConfig {
    /// `timerWheelEnable` (true): timer messages are accepted.
    pub wheel_enable: bool,
    /// `timerMaxDelaySec` (259200 = 3 days): the longest delay accepted (at most 7 days here).
    pub max_delay_sec: u64,
    /// `timerPrecisionMs` (1000): the time one wheel slot covers. Messages are still
    /// delivered at their own time; a slot is loaded when its time comes.
    pub precision_ms: u64,
    /// `timerFlushIntervalMs` (1000): how often the timer log and wheel are synced and the
    /// checkpoint written.
    pub flush_interval_ms: u64,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            wheel_enable: true,
            max_delay_sec: 3 * 24 * 3600,
            precision_ms: 1000,
            flush_interval_ms: 1000,
        }
    }
}

impl TimerConfig {
    /// Applies one `broker.conf` key. `Ok(false)` when the key is not a timer key; `Err`
    /// describes what the key accepts.
    pub fn apply(&mut self, key: &str, v: &str) -> Result<bool, String> {
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| "a non-negative integer".to_owned())
        };
        match key {
            "timerWheelEnable" => {
                self.wheel_enable = match v.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err("true or false".into()),
                }
            }
            "timerMaxDelaySec" => {
                let n = num(v)?;
                if !(1..=WHEEL_TTL_SEC).contains(&n) {
                    return Err(format!(
                        "1..={WHEEL_TTL_SEC} seconds (the timer wheel holds 7 days; messages are not rolled)"
                    ));
                }
                self.max_delay_sec = n;
            }
            "timerPrecisionMs" => {
                let n = num(v)?;
                if !(100..=60_000).contains(&n) {
                    return Err("100..=60000 milliseconds".into());
                }
                self.precision_ms = n;
            }
            "timerFlushIntervalMs" => {
                let n = num(v)?;
                if !(10..=60_000).contains(&n) {
                    return Err("10..=60000 milliseconds".into());
                }
                self.flush_interval_ms = n;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The number of wheel slots: two wheel TTLs (as RocketMQ), so a slot is never reused
    /// while a message may still wait in it.
    pub fn wheel_slots(&self) -> u64 {
        2 * WHEEL_TTL_SEC * 1000 / self.precision_ms
    }

    /// The start of the slot holding `time_ms`.
    pub fn slot_start(&self, time_ms: i64) -> i64 {
        let p = self.precision_ms as i64;
        time_ms.div_euclid(p) * p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_refuse_out_of_range() {
        let mut c = TimerConfig::default();
        assert_eq!(c.apply("timerMaxDelaySec", "60"), Ok(true));
        assert_eq!(c.max_delay_sec, 60);
        assert!(c.apply("timerMaxDelaySec", "604801").is_err());
        assert!(c.apply("timerPrecisionMs", "10").is_err());
        assert_eq!(c.apply("timerPrecisionMs", "500"), Ok(true));
        assert_eq!(c.slot_start(1_234), 1_000);
        assert_eq!(c.apply("timerWheelEnable", "FALSE"), Ok(true));
        assert!(!c.wheel_enable);
        assert_eq!(c.apply("brokerName", "x"), Ok(false));
    }
}
