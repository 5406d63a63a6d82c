//! `BrokerProcess`: the `rmq-broker standalone` binary under test, and raw remoting calls.

use std::fs::{self};
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::*;

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
    /// `Some`: `rmq-broker broker -n <these>` (no name server of its own).
    external_namesrv: Option<String>,
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
        Self::start_mode(extra_conf, None)
    }

    /// Starts `rmq-broker broker` (no name server of its own) registering with `namesrv`
    /// (`host:port;host:port`, e.g. an Apache NameServer); `namesrv_addr` returns its first.
    pub fn start_broker_only(namesrv: &str, extra_conf: &str) -> BrokerProcess {
        Self::start_mode(extra_conf, Some(namesrv.to_string()))
    }

    fn start_mode(extra_conf: &str, external_namesrv: Option<String>) -> BrokerProcess {
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
            external_namesrv,
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
        update_and_create_topic(&self.broker_addr(), topic, queues);
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
        let mut cmd = Command::new(broker_binary());
        match &self.external_namesrv {
            Some(ns) => cmd
                .arg("broker")
                .arg("-c")
                .arg(&self.conf)
                .arg("-n")
                .arg(ns),
            None => cmd
                .arg("standalone")
                .arg("-c")
                .arg(&self.conf)
                .arg("--namesrv-port")
                .arg(namesrv_port.to_string()),
        };
        let mut child = cmd
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
                let namesrv = match &self.external_namesrv {
                    Some(ns) => ns.split(';').next().and_then(|a| a.parse().ok()),
                    None => find_addr(&s.lines, "namesrv listening on "),
                };
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
pub fn remoting_request(addr: &str, code: i32, ext_fields: &[(&str, &str)]) -> Value {
    remoting_call(addr, code, ext_fields).0
}

/// Like [`remoting_request`], and also returns the response body.
///
/// ```text
/// frame = length:u32 BE (of the rest) | header length:u32 BE (high byte 0 = JSON) | header | body
/// ```
pub fn remoting_call(addr: &str, code: i32, ext_fields: &[(&str, &str)]) -> (Value, Vec<u8>) {
    remoting_call_body(addr, code, ext_fields, &[])
}

/// Like [`remoting_call`], with a request body.
pub fn remoting_call_body(
    addr: &str,
    code: i32,
    ext_fields: &[(&str, &str)],
    body: &[u8],
) -> (Value, Vec<u8>) {
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
    let mut frame = Vec::with_capacity(8 + header.len() + body.len());
    frame.extend_from_slice(&((4 + header.len() + body.len()) as u32).to_be_bytes());
    frame.extend_from_slice(&(header.len() as u32).to_be_bytes());
    frame.extend_from_slice(header.as_bytes());
    frame.extend_from_slice(body);

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
    let header = serde_json::from_slice(&rest[4..4 + header_len])
        .unwrap_or_else(|e| panic!("request {code} to {addr}: bad response header: {e}"));
    (header, rest[4 + header_len..].to_vec())
}
