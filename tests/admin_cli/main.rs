//! The `rmq-admin` binary against the `rmq-broker` binary: each command's table and `--json`,
//! its effect on the broker (topics created and deleted, config updated, stats after sends),
//! and the error cases (one line on stderr, non-zero exit); with real rmq-core consumers and
//! producers, offsets reset and re-consumed, groups created and deleted, messages found and
//! consumed directly.
//!
//! Needs `cargo build -p rmq-broker --bin rmq-broker` first.

#[path = "../../rmq-broker/tests/common/mod.rs"]
mod common;

#[path = "../consumer_support/mod.rs"]
mod consumer_support;

mod cluster;
mod consumers;
mod messages;
mod topics;

use serde_json::Value;

/// What one `rmq-admin` run printed and how it exited.
#[derive(Debug)]
pub struct AdminRun {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl AdminRun {
    /// Fails unless the run succeeded; returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "rmq-admin failed: {self:?}");
        &self.stdout
    }

    /// stdout as JSON (for `--json` runs).
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// Fails unless the run failed with exactly one line on stderr; returns that line.
    #[track_caller]
    pub fn failed(&self) -> &str {
        assert_ne!(self.code, 0, "rmq-admin should have failed: {self:?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stderr expected: {self:?}");
        assert!(lines[0].starts_with("rmq-admin: "), "{self:?}");
        lines[0]
    }
}

/// Runs `rmq-admin args...` (without NAMESRV_ADDR from the environment).
pub async fn admin(args: &[&str]) -> AdminRun {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rmq-admin"))
            .args(&args)
            .env_remove("NAMESRV_ADDR")
            .output()
            .expect("run rmq-admin");
        AdminRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

/// `rmq-admin <cmd...> -n <ns>`.
pub async fn on(ns: &str, args: &[&str]) -> AdminRun {
    let mut all = args.to_vec();
    all.extend(["-n", ns]);
    admin(&all).await
}

/// The header cells of a rendered table (split on runs of 2+ spaces).
pub fn header(text: &str) -> Vec<String> {
    cells(text.lines().next().unwrap_or(""))
}

/// A table line's cells: columns are separated by at least two spaces.
pub fn cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}
