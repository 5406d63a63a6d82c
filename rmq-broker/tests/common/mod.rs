//! Harness for the integration tests that run the real `rmq-broker` binary, the official
//! Apache RocketMQ C++ client and the reference implementation itself.
//!
//! * [`BrokerProcess`] starts `rmq-broker standalone` (or `broker` against other name servers)
//!   on ephemeral ports with a broker.conf and a store in a temporary directory, waits until it
//!   is registered, and stops, kills or restarts it.
//! * [`cpp`] / [`cpp_spawn`] run `tests/interop/cpp_client.py` (the C++ client driver) and
//!   parse its JSON lines into a [`CppRun`]; [`interop_python`] finds or installs the
//!   venv with the client.
//! * `apache`: the Apache NameServer and Broker (5.3.3 and 4.9.7) from Maven Central
//!   ([`ApacheNamesrv`], [`ApacheBroker`], [`ApacheCluster`]); `maven`: building the Java
//!   projects ([`maven_build`]); `java_client`: the Java client driver, `mqadmin` and the
//!   Spring Boot example's applications.
//!
//! Everything is cleaned up on drop, also when a test panics: child processes are killed
//! and temporary directories removed. A panicking test gets the broker's log on stderr.
#![allow(dead_code)]

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

mod apache;
mod broker;
mod cpp;
mod java_client;
mod maven;
pub mod prom;
// Each test binary uses part of the harness.
#[allow(unused_imports)]
pub use apache::*;
#[allow(unused_imports)]
pub use broker::*;
#[allow(unused_imports)]
pub use cpp::*;
#[allow(unused_imports)]
pub use java_client::*;
#[allow(unused_imports)]
pub use maven::*;

/// How long a broker may take from spawn to "registered with the name server".
pub const BROKER_START_DEADLINE: Duration = Duration::from_secs(20);
/// How long a broker may take to exit after SIGTERM.
pub const BROKER_STOP_DEADLINE: Duration = Duration::from_secs(20);
/// Added to the driver's own `--timeout`/`--duration` before the harness kills it.
const CPP_SLACK: Duration = Duration::from_secs(30);
/// Hard limit for a driver run that states no `--timeout`/`--duration` (e.g. `produce`).
const CPP_DEFAULT_LIMIT: Duration = Duration::from_secs(300);
/// After SIGTERM the driver prints its summary and exits; this is how long it gets.
const CPP_TERM_GRACE: Duration = Duration::from_secs(10);
/// Per run, older log lines beyond this many are dropped (the count is kept).
const MAX_LOG_LINES: usize = 100_000;

const DEFAULT_CONF: &[(&str, &str)] = &[
    ("brokerClusterName", "DefaultCluster"),
    ("brokerName", "broker-a"),
    ("brokerId", "0"),
    ("listenPort", "0"),
    ("brokerIP1", "127.0.0.1"),
    ("autoCreateTopicEnable", "true"),
    ("flushDiskType", "ASYNC_FLUSH"),
];

// ----------------------------------------------------------------------------- paths

/// The `rmq-broker` binary: cargo's path for rmq-broker's own tests, else the workspace's
/// debug build (test binaries of other packages that include this harness).
pub fn broker_binary() -> PathBuf {
    option_env!("CARGO_BIN_EXE_rmq-broker")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/rmq-broker"))
}

/// The workspace root (the directory holding `tests/interop/`).
pub fn workspace_root() -> PathBuf {
    // CARGO_MANIFEST_DIR is rmq-broker/ for its tests and the root for the facade's tests.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.ancestors()
        .find(|d| d.join("tests/interop/cpp_client.py").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

/// `tests/interop/` of the workspace: `install.sh` and `cpp_client.py`.
pub fn interop_dir() -> PathBuf {
    workspace_root().join("tests").join("interop")
}

/// The C++ client driver script.
pub fn driver_script() -> PathBuf {
    interop_dir().join("cpp_client.py")
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn interop_venv() -> PathBuf {
    env_path("RMQ_INTEROP_VENV").unwrap_or_else(|| {
        env_path("HOME")
            .unwrap_or_else(std::env::temp_dir)
            .join(".cache/rmq-interop/venv")
    })
}

// ----------------------------------------------------------------------------- python

/// A python interpreter that can `import rocketmq.client` (the C++ client wheel).
///
/// `RMQ_INTEROP_PYTHON` if set, else `${RMQ_INTEROP_VENV:-$HOME/.cache/rmq-interop/venv}/bin/python3`.
/// When that python cannot import the wheel, `tests/interop/install.sh` runs once: once per
/// test binary (a `OnceLock`) and one at a time across test binaries (a file lock next to
/// the venv). Panics with the installer's output when that fails.
pub fn interop_python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(find_or_install_python) {
        Ok(python) => python.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn can_import_client(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import rocketmq.client"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn find_or_install_python() -> Result<PathBuf, String> {
    let venv = interop_venv();
    let candidate =
        env_path("RMQ_INTEROP_PYTHON").unwrap_or_else(|| venv.join("bin").join("python3"));
    if can_import_client(&candidate) {
        return Ok(candidate);
    }
    let lock_dir = venv
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    fs::create_dir_all(&lock_dir)
        .map_err(|e| format!("cannot create {}: {e}", lock_dir.display()))?;
    let lock_path = lock_dir.join(".rmq-interop-install.lock");
    let lock = File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    // Another test binary may have finished the install while this one waited.
    if can_import_client(&candidate) {
        return Ok(candidate);
    }
    let script = interop_dir().join("install.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("RMQ_INTEROP_VENV", &venv)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run bash {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let python = stdout
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(PathBuf::from);
    match python {
        Some(python) if out.status.success() && can_import_client(&python) => Ok(python),
        _ => Err(format!(
            "the C++ interop client is not installed and `bash {}` failed ({}); \
             run it by hand, or point RMQ_INTEROP_PYTHON at a python that can `import rocketmq.client`\n\
             --- stdout ---\n{}\n--- stderr ---\n{}",
            script.display(),
            out.status,
            stdout.trim_end(),
            String::from_utf8_lossy(&out.stderr).trim_end(),
        )),
    }
}

// ----------------------------------------------------------------------------- output capture

#[derive(Default)]
struct OutputState {
    lines: Vec<String>,
    /// Lines dropped from the front because of `MAX_LOG_LINES`.
    dropped: usize,
    /// Pipes still being read; 0 once the process closed all of them (normally: exited).
    open_streams: usize,
}

/// Lines read from a child's pipes by background threads, with a condition to wait on.
struct Output {
    state: Mutex<OutputState>,
    changed: Condvar,
}

impl Output {
    fn new() -> Arc<Output> {
        Arc::new(Output {
            state: Mutex::new(OutputState::default()),
            changed: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, OutputState> {
        // A test that panicked while holding the lock must not hide the logs from Drop.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads `stream` line by line on a new thread until EOF.
    fn read_from(self: &Arc<Self>, stream: impl Read + Send + 'static) {
        self.lock().open_streams += 1;
        let out = Arc::clone(self);
        thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf)
                            .trim_end_matches(['\r', '\n'])
                            .to_string();
                        let mut s = out.lock();
                        s.lines.push(line);
                        if s.lines.len() > MAX_LOG_LINES {
                            let excess = s.lines.len() - MAX_LOG_LINES;
                            s.lines.drain(..excess);
                            s.dropped += excess;
                        }
                        drop(s);
                        out.changed.notify_all();
                    }
                }
            }
            out.lock().open_streams -= 1;
            out.changed.notify_all();
        });
    }

    /// Waits until `check` returns `Some`, or `deadline` passes (then `None`).
    fn wait_until<T>(
        &self,
        deadline: Instant,
        mut check: impl FnMut(&OutputState) -> Option<T>,
    ) -> Option<T> {
        let mut s = self.lock();
        loop {
            if let Some(v) = check(&s) {
                return Some(v);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            s = self
                .changed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn all_closed(&self) -> bool {
        self.lock().open_streams == 0
    }

    fn lines(&self) -> Vec<String> {
        self.lock().lines.clone()
    }

    fn text(&self) -> String {
        let s = self.lock();
        let mut text = String::new();
        if s.dropped > 0 {
            text.push_str(&format!("[{} earlier lines dropped]\n", s.dropped));
        }
        for l in &s.lines {
            text.push_str(l);
            text.push('\n');
        }
        text
    }
}

fn signal(pid: u32, sig: &str) {
    // No libc in the tests: the kill(1) binary sends the signal.
    let _ = Command::new("kill")
        .arg(sig)
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Waits for `child` to exit until `deadline`. Exit is noticed through the pipes closing
/// (a condition wait); afterwards `try_wait` is polled briefly for the status.
fn wait_child(child: &mut Child, output: &Output, deadline: Instant) -> Option<ExitStatus> {
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        let step = (now + Duration::from_millis(50)).min(deadline);
        if output.all_closed() {
            thread::sleep(step - now);
        } else {
            output.wait_until(step, |s| (s.open_streams == 0).then_some(()));
        }
    }
}

fn kill_and_reap(child: &mut Child) -> ExitStatus {
    let _ = child.kill();
    child.wait().expect("wait for a killed child")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
