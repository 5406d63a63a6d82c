//! What the tests share: a sink the handlers write to, waits with deadlines, and an
//! application builder that runs only the named listeners.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use rmq::ApplicationBuilder;
use tokio::sync::Notify;

/// Values recorded by handlers, by key (each test uses its own keys).
pub struct Sink {
    values: Mutex<HashMap<String, Vec<String>>>,
    changed: Notify,
}

pub static SINK: LazyLock<Sink> = LazyLock::new(|| Sink {
    values: Mutex::new(HashMap::new()),
    changed: Notify::new(),
});

impl Sink {
    pub fn push(&self, key: &str, value: impl Into<String>) {
        self.values
            .lock()
            .unwrap()
            .entry(key.to_owned())
            .or_default()
            .push(value.into());
        self.changed.notify_waiters();
    }

    pub fn get(&self, key: &str) -> Vec<String> {
        self.values
            .lock()
            .unwrap()
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until `key` holds at least `n` values; panics with what it has after `secs`.
    pub async fn wait_len(&self, key: &str, n: usize, secs: u64) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let notified = self.changed.notified();
            let got = self.get(key);
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let got = self.get(key);
                assert!(
                    got.len() >= n,
                    "{key}: {} of {n} values after {secs}s: {got:?}",
                    got.len()
                );
                return got;
            }
        }
    }
}

/// Polls `cond` every 20 ms until it holds; panics naming `what` after `secs`.
pub async fn wait_until(what: &str, secs: u64, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An application that reads no file and no environment, runs only `listeners` (handler
/// function names), and logs nothing.
pub fn app(listeners: &[&'static str]) -> ApplicationBuilder {
    let names: Vec<&'static str> = listeners.to_vec();
    rmq::Application::builder()
        .config_file("tests/application/no-such-file.yml")
        .read_env(false)
        .without_logging()
        .set("rocketmq.producer.group", "app-test-producer")
        .listeners(move |d| names.contains(&d.name))
}

/// An embedded broker whose 18 delay levels are all one second (retries come back fast).
pub fn fast_retries() -> rmq::broker::EmbeddedConfig {
    let mut cfg = rmq::broker::EmbeddedConfig::default();
    cfg.broker.store.message_delay_level =
        "1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s".into();
    cfg
}
