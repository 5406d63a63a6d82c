//! The timers both consumers use: the periodic ticks of their service loops and a pause that
//! ends early when the consumer (or the queue) stops.

use std::time::Duration;

use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// The shortest period of a service-loop timer. A zero period would panic tokio's `interval`
/// (Java's `ScheduledExecutorService.scheduleAtFixedRate` refuses it with an
/// `IllegalArgumentException`); both consumers clamp every period to this instead of letting
/// a configuration mistake kill their service task.
pub(super) const MIN_TIMER_PERIOD: Duration = Duration::from_millis(10);

/// A timer ticking every `period` (at least [`MIN_TIMER_PERIOD`]), first one period from
/// now (Java's `scheduleAtFixedRate(task, period, period)`), delaying missed ticks.
pub(super) fn ticker(period: Duration) -> Interval {
    let period = period.max(MIN_TIMER_PERIOD);
    let mut i = tokio::time::interval_at(Instant::now() + period, period);
    i.set_missed_tick_behavior(MissedTickBehavior::Delay);
    i
}

/// Sleeps for `d` unless `cancel` fires first.
pub(super) async fn pause(cancel: &CancellationToken, d: Duration) {
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = tokio::time::sleep(d) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_zero_period_is_clamped_not_a_panic() {
        assert_eq!(ticker(Duration::ZERO).period(), MIN_TIMER_PERIOD);
        assert_eq!(ticker(Duration::from_millis(1)).period(), MIN_TIMER_PERIOD);
        assert_eq!(
            ticker(Duration::from_secs(20)).period(),
            Duration::from_secs(20)
        );
    }

    #[tokio::test]
    async fn pause_ends_when_cancelled() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let t = std::time::Instant::now();
        pause(&cancel, Duration::from_secs(30)).await;
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
