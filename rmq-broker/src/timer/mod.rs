//! 5.x timer messages (`TIMER_DELIVER_MS`, `TIMER_DELAY_SEC`, `TIMER_DELAY_MS`): delivery at
//! an arbitrary time, as RocketMQ 5.x's `TimerMessageStore` does it.
//!
//! A timer message is stored first in the system topic [`TIMER_TOPIC`] (queue 0) with its real
//! topic and queue kept in `REAL_TOPIC`/`REAL_QID` and its delivery time in `TIMER_OUT_MS`
//! ([`message`]). The [`service`] reads that queue, appends one unit per message to the
//! append-only [`log`] (`<storePathRootDir>/timerlog`) and links it into the [`wheel`] slot
//! of its delivery time (`<storePathRootDir>/timerwheel`, one slot per `timerPrecisionMs`).
//! When a slot's time comes its units are loaded and each message is re-put to its real topic
//! at its own delivery time. Progress is kept in the [`checkpoint`]
//! (`<storePathRootDir>/config/timercheck`); delivered units are marked in the log so a
//! restart delivers each pending message once. Log segments whose units are all delivered
//! are removed at checkpoint time.

pub mod checkpoint;
pub mod config;
mod error;
pub mod log;
pub mod message;
pub mod service;
pub mod wheel;

pub use config::TimerConfig;
pub use error::TimerError;
pub use service::{TimerMessageStore, TimerStats};

/// The system topic timer messages wait in (`TimerMessageStore.TIMER_TOPIC`).
pub const TIMER_TOPIC: &str = "rmq_sys_wheel_timer";

/// Timer property keys the broker sets (`MessageConst`).
pub mod keys {
    /// The delivery time (epoch ms) of a message parked in [`super::TIMER_TOPIC`].
    pub const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
    /// When the message entered the timer log (epoch ms).
    pub const TIMER_ENQUEUE_MS: &str = "TIMER_ENQUEUE_MS";
    /// When the message left the timer (epoch ms).
    pub const TIMER_DEQUEUE_MS: &str = "TIMER_DEQUEUE_MS";
    /// How many times the message went round the wheel (never set here: no roll).
    pub const TIMER_ROLL_TIMES: &str = "TIMER_ROLL_TIMES";
    /// The key of a timer message to cancel (not supported: refused).
    pub const TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";
}
