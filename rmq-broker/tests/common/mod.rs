//! Harness for the integration tests that run the real `rmq-broker` binary and the
//! official Apache RocketMQ C++ client.
//!
//! * [`BrokerProcess`] starts `rmq-broker standalone` on ephemeral ports with a broker.conf
//!   and a store in a temporary directory, waits until it is registered, and stops,
//!   kills or restarts it.
//! * [`cpp`] / [`cpp_spawn`] run `tests/interop/cpp_client.py` (the C++ client driver) and
//!   parse its JSON lines into a [`CppRun`]; [`interop_python`] finds or installs the
//!   venv with the client.
//!
//! Everything is cleaned up on drop, also when a test panics: child processes are killed
//! and temporary directories removed. A panicking test gets the broker's log on stderr.
#![allow(dead_code)]

use std::fmt;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

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

// ----------------------------------------------------------------------------- broker

/// A running `rmq-broker standalone` (name server + broker in one process).
///
/// Its directory holds `broker.conf` and `store/`; both survive [`restart`](Self::restart)
/// and are removed on drop.
pub struct BrokerProcess {
    dir: TempDir,
    conf: PathBuf,
    extra_conf: String,
    child: Option<Child>,
    output: Arc<Output>,
    /// Logs of earlier runs of this broker (before restarts).
    history: String,
    runs: usize,
    namesrv: SocketAddr,
    broker: SocketAddr,
}

impl BrokerProcess {
    /// Starts a broker with the default test config.
    pub fn start() -> BrokerProcess {
        BrokerProcess::start_with("")
    }

    /// Starts a broker whose broker.conf also holds `extra_conf` (`key=value` lines that
    /// override the defaults: `DefaultCluster`, `broker-a`, ephemeral ports, 127.0.0.1,
    /// `autoCreateTopicEnable=true`, `ASYNC_FLUSH`, the store in the temporary directory).
    ///
    /// Panics with the broker's log when it is not registered within 20 s.
    pub fn start_with(extra_conf: &str) -> BrokerProcess {
        let dir = tempfile::Builder::new()
            .prefix("rmq-broker-test-")
            .tempdir()
            .expect("create a temporary directory");
        let conf = dir.path().join("broker.conf");
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        let mut broker = BrokerProcess {
            dir,
            conf,
            extra_conf: extra_conf.to_string(),
            child: None,
            output: Output::new(),
            history: String::new(),
            runs: 0,
            namesrv: unspecified,
            broker: unspecified,
        };
        broker.spawn(None);
        broker
    }

    /// The name server address clients use, `127.0.0.1:PORT`.
    pub fn namesrv_addr(&self) -> String {
        self.namesrv.to_string()
    }

    /// The broker's client-facing address, `127.0.0.1:PORT`.
    pub fn broker_addr(&self) -> String {
        self.broker.to_string()
    }

    /// The store root (`storePathRootDir`).
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The temporary directory holding broker.conf and the store.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The broker.conf the broker runs with.
    pub fn conf_path(&self) -> &Path {
        &self.conf
    }

    /// The process id of the current run, if it is running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process of the current run is still alive.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Everything the broker printed (stdout and stderr, all runs so far).
    pub fn logs(&self) -> String {
        format!("{}{}", self.history, self.output.text())
    }

    /// Waits until a log line of the current run contains `needle`; returns that line.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Option<String> {
        self.output.wait_until(Instant::now() + timeout, |s| {
            s.lines.iter().find(|l| l.contains(needle)).cloned()
        })
    }

    /// How many log lines of the current run contain `needle`.
    pub fn count_log(&self, needle: &str) -> usize {
        self.output
            .lines()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// SIGTERM, then waits up to 20 s for the exit and returns its status.
    ///
    /// Panics (after SIGKILL) when the broker does not exit in time.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the broker is not running");
        signal(child.id(), "-TERM");
        match wait_child(
            &mut child,
            &self.output,
            Instant::now() + BROKER_STOP_DEADLINE,
        ) {
            Some(status) => {
                self.end_run(&status);
                status
            }
            None => {
                let status = kill_and_reap(&mut child);
                self.end_run(&status);
                panic!(
                    "rmq-broker did not exit within {BROKER_STOP_DEADLINE:?} of SIGTERM (killed: {status})\n{}",
                    tail(&self.logs(), 200)
                );
            }
        }
    }

    /// SIGKILL (a crash: nothing is flushed or persisted) and reap; returns the status.
    pub fn kill9(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the broker is not running");
        let status = kill_and_reap(&mut child);
        self.end_run(&status);
        status
    }

    /// Starts the broker again on the same store and config, on new ephemeral ports
    /// (read [`namesrv_addr`](Self::namesrv_addr) again). Stops it first if it still runs.
    pub fn restart(&mut self) {
        self.stop_if_running();
        self.spawn(None);
    }

    /// Like [`restart`](Self::restart), but on the previous name server and broker ports,
    /// so clients that are still running find the broker again.
    pub fn restart_same_ports(&mut self) {
        self.stop_if_running();
        let ports = (self.namesrv.port(), self.broker.port());
        self.spawn(Some(ports));
    }

    /// Like [`restart`](Self::restart), with `extra_conf` replacing the extra config lines.
    pub fn restart_with(&mut self, extra_conf: &str) {
        self.stop_if_running();
        self.extra_conf = extra_conf.to_string();
        self.spawn(None);
    }

    /// Runs the C++ client driver with `--namesrv` of this broker after the subcommand.
    pub fn cpp(&self, args: &[&str]) -> CppRun {
        self.cpp_spawn(args).join()
    }

    /// Creates `topic` with `queues` read and write queues (UPDATE_AND_CREATE_TOPIC on the
    /// broker) and waits until the name server routes it. Panics on failure.
    ///
    /// Call it before starting C++ consumers: a push consumer that subscribes to a topic the
    /// name server does not know yet only sees its queues at its next route poll, 30 s later.
    pub fn create_topic(&self, topic: &str, queues: u32) {
        let queues = queues.to_string();
        let reply = remoting_request(
            &self.broker_addr(),
            REQUEST_UPDATE_AND_CREATE_TOPIC,
            &[
                ("topic", topic),
                ("defaultTopic", "TBW102"),
                ("readQueueNums", &queues),
                ("writeQueueNums", &queues),
                ("perm", "6"),
                ("topicFilterType", "SINGLE_TAG"),
                ("topicSysFlag", "0"),
                ("order", "false"),
            ],
        );
        assert_eq!(reply["code"], 0, "creating topic {topic} failed: {reply}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let route = remoting_request(
                &self.namesrv_addr(),
                REQUEST_GET_ROUTEINFO_BY_TOPIC,
                &[("topic", topic)],
            );
            if route["code"] == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the name server has no route for {topic} 10 s after it was created: {route}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the C++ client driver in the background with `--namesrv` of this broker.
    pub fn cpp_spawn(&self, args: &[&str]) -> CppChild {
        let namesrv = self.namesrv_addr();
        let mut full: Vec<&str> = Vec::with_capacity(args.len() + 2);
        full.extend(args.first().copied());
        full.extend(["--namesrv", namesrv.as_str()]);
        full.extend(args.iter().skip(1));
        cpp_spawn(&full)
    }

    fn stop_if_running(&mut self) {
        if self.is_running() {
            self.stop();
        } else if let Some(mut child) = self.child.take() {
            let status = child.wait().expect("reap the exited broker");
            self.end_run(&status);
        }
    }

    fn end_run(&mut self, status: &ExitStatus) {
        let out = std::mem::replace(&mut self.output, Output::new());
        // the readers see EOF right after the exit; give them a moment to drain the pipes
        out.wait_until(Instant::now() + Duration::from_secs(2), |s| {
            (s.open_streams == 0).then_some(())
        });
        self.history.push_str(&out.text());
        self.history
            .push_str(&format!("---- run {} ended: {status} ----\n", self.runs));
    }

    fn write_conf(&self, ports: Option<(u16, u16)>) {
        let mut entries: Vec<(String, String)> = DEFAULT_CONF
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        entries.push((
            "storePathRootDir".into(),
            self.store_dir().display().to_string(),
        ));
        let mut overrides: Vec<(String, String)> = self
            .extra_conf
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
            .map(|l| {
                let (k, v) = l.split_once(['=', ':']).unwrap_or((l, ""));
                (k.trim().to_string(), v.trim().to_string())
            })
            .collect();
        if let Some((_, listen_port)) = ports {
            overrides.push(("listenPort".into(), listen_port.to_string()));
        }
        for (key, value) in overrides {
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
        let text: String = entries.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        fs::write(&self.conf, text).expect("write broker.conf");
    }

    fn spawn(&mut self, ports: Option<(u16, u16)>) {
        self.write_conf(ports);
        let namesrv_port = ports.map_or(0, |(n, _)| n);
        let mut child = Command::new(broker_binary())
            .arg("standalone")
            .arg("-c")
            .arg(&self.conf)
            .arg("--namesrv-port")
            .arg(namesrv_port.to_string())
            .env(
                "RUST_LOG",
                std::env::var("RMQ_TEST_BROKER_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rmq-broker");
        self.output = Output::new();
        self.output
            .read_from(child.stdout.take().expect("piped stdout"));
        self.output
            .read_from(child.stderr.take().expect("piped stderr"));
        self.child = Some(child);
        self.runs += 1;

        let ready = self
            .output
            .wait_until(Instant::now() + BROKER_START_DEADLINE, |s| {
                let namesrv = find_addr(&s.lines, "namesrv listening on ");
                let broker = find_addr(&s.lines, "broker listening on ");
                let registered = s.lines.iter().any(|l| l.contains("broker registered"));
                match (namesrv, broker) {
                    (Some(n), Some(b)) if registered => Some(Ok((n, b))),
                    _ if s.open_streams == 0 => Some(Err(())),
                    _ => None,
                }
            });
        match ready {
            Some(Ok((namesrv, broker))) => {
                self.namesrv = namesrv;
                self.broker = broker;
            }
            Some(Err(())) => {
                let mut child = self.child.take().expect("just spawned");
                let status = wait_child(
                    &mut child,
                    &self.output,
                    Instant::now() + Duration::from_secs(5),
                )
                .unwrap_or_else(|| kill_and_reap(&mut child));
                self.end_run(&status);
                panic!(
                    "rmq-broker exited during start-up ({status})\n{}",
                    tail(&self.logs(), 200)
                );
            }
            None => {
                let status = self.kill9();
                panic!(
                    "rmq-broker was not registered within {BROKER_START_DEADLINE:?} (killed: {status}); \
                     waiting for `namesrv listening on`, `broker listening on` and `broker registered`\n{}",
                    tail(&self.logs(), 200)
                );
            }
        }
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = kill_and_reap(&mut child);
            self.end_run(&status);
        }
        if thread::panicking() {
            eprintln!(
                "---- rmq-broker log (last 300 lines; dir {}) ----\n{}",
                self.dir.path().display(),
                tail(&self.logs(), 300)
            );
        }
    }
}

/// The address after `needle` in the first line that has it; an unspecified host
/// (0.0.0.0, [::]) becomes 127.0.0.1.
fn find_addr(lines: &[String], needle: &str) -> Option<SocketAddr> {
    lines.iter().find_map(|line| {
        let rest = &line[line.find(needle)? + needle.len()..];
        let token = rest
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '\'' | ')'))
            .next()?;
        let mut addr: SocketAddr = token.parse().ok()?;
        if addr.ip().is_unspecified() {
            addr.set_ip([127, 0, 0, 1].into());
        }
        Some(addr)
    })
}

// ----------------------------------------------------------------------------- raw remoting

/// UPDATE_AND_CREATE_TOPIC, sent to a broker.
pub const REQUEST_UPDATE_AND_CREATE_TOPIC: i32 = 17;
/// GET_ROUTEINFO_BY_TOPIC, sent to a name server.
pub const REQUEST_GET_ROUTEINFO_BY_TOPIC: i32 = 105;

/// Sends one JSON-header remoting request to `addr` on a fresh connection and returns the
/// response header as JSON (`code`, `remark`, `extFields`, ...). Panics on I/O errors.
///
/// ```text
/// frame = length:u32 BE (of the rest) | header length:u32 BE (high byte 0 = JSON) | header | body
/// ```
pub fn remoting_request(addr: &str, code: i32, ext_fields: &[(&str, &str)]) -> Value {
    use std::io::Write;

    let fields: serde_json::Map<String, Value> = ext_fields
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    let header = serde_json::json!({
        "code": code, "language": "JAVA", "version": 401, "opaque": 1, "flag": 0,
        "extFields": fields,
    })
    .to_string();
    let mut frame = Vec::with_capacity(8 + header.len());
    frame.extend_from_slice(&(4 + header.len() as u32).to_be_bytes());
    frame.extend_from_slice(&(header.len() as u32).to_be_bytes());
    frame.extend_from_slice(header.as_bytes());

    let fail =
        |what: &str, e: std::io::Error| -> ! { panic!("request {code} to {addr}: {what}: {e}") };
    let mut conn = std::net::TcpStream::connect(addr).unwrap_or_else(|e| fail("connect", e));
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap_or_else(|e| fail("timeout", e));
    conn.write_all(&frame).unwrap_or_else(|e| fail("write", e));
    let mut len = [0u8; 4];
    conn.read_exact(&mut len)
        .unwrap_or_else(|e| fail("read length", e));
    let mut rest = vec![0u8; u32::from_be_bytes(len) as usize];
    conn.read_exact(&mut rest)
        .unwrap_or_else(|e| fail("read frame", e));
    let header_len =
        (u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) & 0x00ff_ffff) as usize;
    assert_eq!(
        rest[0], 0,
        "request {code} to {addr}: the response header is not JSON"
    );
    serde_json::from_slice(&rest[4..4 + header_len])
        .unwrap_or_else(|e| panic!("request {code} to {addr}: bad response header: {e}"))
}

// ----------------------------------------------------------------------------- C++ client driver

/// The outcome of one driver run.
pub struct CppRun {
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
        assert!(self.ok(), "C++ client driver failed:\n{self}");
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
        writeln!(f, "cpp_client.py {}", self.args.join(" "))?;
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
    args: Vec<String>,
    child: Option<Child>,
    stdout: Arc<Output>,
    stderr: Arc<Output>,
    started: Instant,
    hard_limit: Duration,
}

impl CppChild {
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
    let mut child = Command::new(&python)
        .arg(driver_script())
        .args(args)
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} {}: {e}",
                python.display(),
                driver_script().display()
            )
        });
    let stdout = Output::new();
    let stderr = Output::new();
    stdout.read_from(child.stdout.take().expect("piped stdout"));
    stderr.read_from(child.stderr.take().expect("piped stderr"));
    CppChild {
        args: args.iter().map(|a| a.to_string()).collect(),
        child: Some(child),
        stdout,
        stderr,
        started: Instant::now(),
        hard_limit: driver_limit(args),
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
