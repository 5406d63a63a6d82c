//! The C++ client driver: one run (`CppRun`) or a background process (`CppChild`).

use std::fmt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;

// ----------------------------------------------------------------------------- C++ client driver

/// The outcome of one driver run.
pub struct CppRun {
    /// The driver: `cpp_client.py` or `JavaClient`.
    pub program: &'static str,
    /// The driver's arguments (after the script path).
    pub args: Vec<String>,
    /// The exit status (0 = the driver's expectations were met).
    pub status: ExitStatus,
    /// The last line with `"summary": true`, or `Value::Null` when there was none.
    pub summary: Value,
    /// Every other JSON line, in order (per-message records, `ready`, warnings).
    pub lines: Vec<Value>,
    /// stdout lines that were not JSON (should be none).
    pub noise: Vec<String>,
    /// Everything the driver wrote to stderr.
    pub stderr: String,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
    /// The harness had to stop the driver (hard limit passed).
    pub killed: bool,
}

impl CppRun {
    /// Exit status 0.
    pub fn ok(&self) -> bool {
        self.status.success()
    }

    /// Panics with the whole run (args, status, summary, stderr) unless the exit status was 0.
    #[track_caller]
    pub fn assert_ok(&self) -> &CppRun {
        assert!(self.ok(), "{} driver failed:\n{self}", self.program);
        self
    }

    /// A numeric summary field; panics with the run when it is missing.
    #[track_caller]
    pub fn n(&self, key: &str) -> u64 {
        self.summary[key]
            .as_u64()
            .unwrap_or_else(|| panic!("summary field `{key}` is not a number:\n{self}"))
    }

    /// A signed numeric summary field (e.g. `min_delay_ms`); panics when it is missing.
    #[track_caller]
    pub fn i(&self, key: &str) -> i64 {
        self.summary[key]
            .as_i64()
            .unwrap_or_else(|| panic!("summary field `{key}` is not a number:\n{self}"))
    }

    /// A summary field that is a list of strings (e.g. `msg_ids`).
    #[track_caller]
    pub fn strings(&self, key: &str) -> Vec<String> {
        self.summary[key]
            .as_array()
            .unwrap_or_else(|| panic!("summary field `{key}` is not a list:\n{self}"))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// The non-summary lines that have `key` (e.g. `"msg_id"` for produce records).
    pub fn records(&self, key: &str) -> impl Iterator<Item = &Value> {
        let key = key.to_string();
        self.lines.iter().filter(move |l| l.get(&key).is_some())
    }

    /// The `msg_id`s of a `produce` run's successful sends, sorted.
    pub fn sent_msg_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .records("msg_id")
            .filter_map(|r| r["msg_id"].as_str().map(str::to_string))
            .collect();
        ids.sort();
        ids
    }
}

impl fmt::Display for CppRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut summary = self.summary.to_string();
        if summary.len() > 4000 {
            let cut = (0..=4000)
                .rev()
                .find(|&i| summary.is_char_boundary(i))
                .unwrap_or(0);
            summary.truncate(cut);
            summary.push('…');
        }
        writeln!(f, "{} {}", self.program, self.args.join(" "))?;
        writeln!(
            f,
            "  exit: {} after {:.1?}{}",
            self.status,
            self.elapsed,
            if self.killed {
                " (killed by the harness)"
            } else {
                ""
            }
        )?;
        writeln!(f, "  summary: {summary}")?;
        writeln!(f, "  other lines: {}", self.lines.len())?;
        for l in self
            .lines
            .iter()
            .filter(|l| l.get("error").is_some() || l.get("warn").is_some())
            .take(10)
        {
            writeln!(f, "    {l}")?;
        }
        for l in self.noise.iter().take(10) {
            writeln!(f, "  stdout (not JSON): {l}")?;
        }
        writeln!(f, "  stderr (tail):\n{}", tail(&self.stderr, 40))
    }
}

impl fmt::Debug for CppRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A driver running in the background (e.g. a consumer that must be up before a producer
/// sends). Killed on drop if still running.
pub struct CppChild {
    program: &'static str,
    args: Vec<String>,
    child: Option<Child>,
    stdout: Arc<Output>,
    stderr: Arc<Output>,
    started: Instant,
    hard_limit: Duration,
    /// A directory of the driver's own (its home), removed after the driver has exited.
    home: Option<tempfile::TempDir>,
}

impl CppChild {
    /// Keeps `dir` until the driver has exited, then removes it.
    pub fn keeping(mut self, dir: tempfile::TempDir) -> Self {
        self.home = Some(dir);
        self
    }

    /// The driver's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Waits for the `{"ready": true}` line that consume and pull print once the client
    /// started (its rebalance may still be in progress). False at timeout or exit.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        self.wait_line(timeout, |v| v["ready"] == Value::Bool(true))
            .is_some()
    }

    /// Waits for a stdout JSON line matching `pred`; `None` at timeout or when the driver exited.
    pub fn wait_line(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        self.stdout
            .wait_until(Instant::now() + timeout, |s| {
                let hit = s
                    .lines
                    .iter()
                    .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                    .find(|v| pred(v));
                match hit {
                    Some(v) => Some(Some(v)),
                    None if s.open_streams == 0 => Some(None),
                    None => None,
                }
            })
            .flatten()
    }

    /// Waits until `n` stdout JSON lines match `pred`; returns the matching lines so far (fewer
    /// than `n` at timeout or when the driver exited).
    pub fn wait_lines(
        &self,
        timeout: Duration,
        n: usize,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let all = |s: &OutputState| -> Vec<Value> {
            s.lines
                .iter()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|v| pred(v))
                .collect()
        };
        self.stdout
            .wait_until(Instant::now() + timeout, |s| {
                let hits = all(s);
                (hits.len() >= n || s.open_streams == 0).then_some(hits)
            })
            .unwrap_or_else(|| all(&self.stdout.lock()))
    }

    /// SIGTERM: the driver stops early, shuts the client down and prints its summary.
    pub fn terminate(&self) {
        if let Some(child) = &self.child {
            signal(child.id(), "-TERM");
        }
    }

    /// Waits for the exit, at most until the hard limit: the driver's own
    /// `--timeout`/`--duration` (+ `--linger`, `--shutdown-delay`) + 30 s since spawn.
    pub fn join(self) -> CppRun {
        let deadline = self.started + self.hard_limit;
        self.finish(deadline)
    }

    /// Waits for the exit at most `timeout` from now; then SIGTERM (summary) and SIGKILL.
    pub fn wait(self, timeout: Duration) -> CppRun {
        self.finish(Instant::now() + timeout)
    }

    fn finish(mut self, deadline: Instant) -> CppRun {
        let mut child = self.child.take().expect("running");
        let mut killed = false;
        let status = match wait_child(&mut child, &self.stdout, deadline) {
            Some(status) => status,
            None => {
                killed = true;
                signal(child.id(), "-TERM");
                wait_child(&mut child, &self.stdout, Instant::now() + CPP_TERM_GRACE)
                    .unwrap_or_else(|| kill_and_reap(&mut child))
            }
        };
        let elapsed = self.started.elapsed();
        let drained = Instant::now() + Duration::from_secs(5);
        self.stdout
            .wait_until(drained, |s| (s.open_streams == 0).then_some(()));
        self.stderr
            .wait_until(drained, |s| (s.open_streams == 0).then_some(()));
        let mut run = CppRun {
            program: self.program,
            args: std::mem::take(&mut self.args),
            status,
            summary: Value::Null,
            lines: Vec::new(),
            noise: Vec::new(),
            stderr: self.stderr.text(),
            elapsed,
            killed,
        };
        for line in self.stdout.lines() {
            match serde_json::from_str::<Value>(&line) {
                Ok(v) if v["summary"] == Value::Bool(true) => {
                    if !run.summary.is_null() {
                        run.lines.push(std::mem::replace(&mut run.summary, v));
                    } else {
                        run.summary = v;
                    }
                }
                Ok(v) => run.lines.push(v),
                Err(_) if line.trim().is_empty() => {}
                Err(_) => run.noise.push(line),
            }
        }
        run
    }
}

impl Drop for CppChild {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_and_reap(&mut child);
        }
    }
}

/// Runs the driver to completion; pass `--namesrv` in `args` (or use [`BrokerProcess::cpp`]).
pub fn cpp(args: &[&str]) -> CppRun {
    cpp_spawn(args).join()
}

/// Starts the driver in the background; pass `--namesrv` in `args`
/// (or use [`BrokerProcess::cpp_spawn`]).
pub fn cpp_spawn(args: &[&str]) -> CppChild {
    let python = interop_python();
    let mut cmd = Command::new(&python);
    cmd.arg(driver_script()).env("PYTHONUNBUFFERED", "1");
    spawn_driver(cmd, "cpp_client.py", args)
}

/// Starts a driver (`cmd` + `args`) whose stdout is JSON lines ending with a summary line.
pub fn spawn_driver(mut cmd: Command, program: &'static str, args: &[&str]) -> CppChild {
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} ({cmd:?}): {e}"));
    let stdout = Output::new();
    let stderr = Output::new();
    stdout.read_from(child.stdout.take().expect("piped stdout"));
    stderr.read_from(child.stderr.take().expect("piped stderr"));
    CppChild {
        program,
        args: args.iter().map(|a| a.to_string()).collect(),
        child: Some(child),
        stdout,
        stderr,
        started: Instant::now(),
        hard_limit: driver_limit(args),
        home: None,
    }
}

/// The driver's own time budget (`--timeout` or `--duration`, plus `--linger` and
/// `--shutdown-delay`) + 30 s, or 300 s when it states none.
fn driver_limit(args: &[&str]) -> Duration {
    let value = |flag: &str| -> Option<f64> {
        let prefix = format!("{flag}=");
        args.iter().enumerate().find_map(|(i, a)| {
            if *a == flag {
                args.get(i + 1)?.parse().ok()
            } else {
                a.strip_prefix(&prefix)?.parse().ok()
            }
        })
    };
    let budget = value("--timeout")
        .filter(|t| *t > 0.0)
        .or_else(|| value("--duration"));
    match budget {
        Some(secs) => {
            let extra = value("--linger").unwrap_or(0.0) + value("--shutdown-delay").unwrap_or(0.0);
            Duration::from_secs_f64(secs + extra) + CPP_SLACK
        }
        None => CPP_DEFAULT_LIMIT,
    }
}
