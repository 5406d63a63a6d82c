//! The `rmq-broker` binary's `namesrv` and `broker` subcommands as separate processes, graceful
//! stop, and configuration errors.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rmq-broker");

struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    fn spawn(args: &[&str]) -> Proc {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rmq-broker");
        let (tx, rx) = mpsc::channel();
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Proc {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a line containing `needle`; returns it.
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?}; output so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn addr_after(&mut self, needle: &str) -> String {
        let line = self.wait_for(needle);
        line.rsplit(' ').next().unwrap().trim().to_owned()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "process did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn route_code(ns: &str, topic: &str) -> i32 {
    use rmq_core::protocol::header::GetRouteInfoRequestHeader;
    use rmq_core::protocol::{RemotingCommand, RequestCode};
    use rmq_core::remoting::{RemotingClient, UnsupportedHandler};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = RemotingClient::new(std::sync::Arc::new(UnsupportedHandler));
        let req = RemotingCommand::request_with_header(
            RequestCode::GetRouteinfoByTopic,
            &GetRouteInfoRequestHeader {
                topic: topic.into(),
                accept_standard_json_only: None,
            },
        );
        let code = client
            .invoke(ns, req, Duration::from_secs(5))
            .await
            .unwrap()
            .code;
        client.close_all().await;
        code
    })
}

#[test]
fn namesrv_and_broker_processes_register_and_unregister() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("broker.conf");
    std::fs::write(
        &conf,
        format!(
            "brokerClusterName = DefaultCluster\nbrokerName = broker-b\nbrokerId = 0\nbrokerIP1 = 127.0.0.1\nlistenPort = 0\n\
             storePathRootDir = {}\nautoCreateTopicEnable=true\n",
            dir.path().join("store").display()
        ),
    )
    .unwrap();
    let mut ns = Proc::spawn(&["namesrv", "-p", "0", "-b", "127.0.0.1"]);
    let ns_addr = ns.addr_after("namesrv listening on");
    let mut broker = Proc::spawn(&["broker", "-c", conf.to_str().unwrap(), "-n", &ns_addr]);
    broker.wait_for("broker listening on");
    broker.wait_for("broker registered with namesrv");
    assert_eq!(route_code(&ns_addr, "TBW102"), 0);
    assert_eq!(
        route_code(&ns_addr, "broker-b"),
        0,
        "the broker-name topic is routed"
    );
    assert!(broker.terminate().success(), "broker exits 0 on SIGTERM");
    // The broker unregistered on its way out.
    assert_eq!(route_code(&ns_addr, "TBW102"), 17);
    assert!(ns.terminate().success(), "namesrv exits 0 on SIGTERM");
}

/// Writes `dir/name`: a broker on 127.0.0.1, an ephemeral port and a store in `dir/store`
/// (three lines), then `extra`, whose first line is thus line 4.
fn loopback_conf(dir: &std::path::Path, name: &str, extra: &str) -> std::path::PathBuf {
    let conf = dir.join(name);
    std::fs::write(
        &conf,
        format!(
            "listenPort = 0\nbrokerIP1 = 127.0.0.1\nstorePathRootDir = {}\n{extra}",
            dir.join("store").display()
        ),
    )
    .unwrap();
    conf
}

/// Starts `rmq-broker standalone -c <conf>` with an ephemeral NameServer port.
fn spawn_standalone(conf: &std::path::Path) -> Proc {
    Proc::spawn(&[
        "standalone",
        "-c",
        conf.to_str().unwrap(),
        "--namesrv-port",
        "0",
    ])
}

/// Runs `rmq-broker standalone -c <conf>` to its exit; the exit status and the standard error.
fn standalone_exit(conf: &std::path::Path) -> (std::process::ExitStatus, String) {
    let out = Command::new(BIN)
        .args([
            "standalone",
            "-c",
            conf.to_str().unwrap(),
            "--namesrv-port",
            "0",
        ])
        .output()
        .unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn invalid_config_names_key_value_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(
        &conf,
        "brokerName = b\nlistenPort = 0\nflushDiskType = SOMETIMES\n",
    )
    .unwrap();
    let (status, err) = standalone_exit(&conf);
    assert!(!status.success());
    assert!(
        err.contains("flushDiskType") && err.contains("SOMETIMES") && err.contains("bad.conf:3"),
        "{err}"
    );

    std::fs::write(&conf, "brokerRole = SLAVE\n").unwrap();
    let out = Command::new(BIN)
        .args(["broker", "-c", conf.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SLAVE is not supported"));
}

#[test]
fn non_ascii_delay_unit_fails_start_up_naming_key_value_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = loopback_conf(dir.path(), "delay.conf", "messageDelayLevel=1s 5秒\n");
    let (status, err) = standalone_exit(&conf);
    assert!(!status.success(), "{err}");
    assert_eq!(status.code(), Some(1), "an error exit, not a panic: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for needle in ["messageDelayLevel", "1s 5秒", "delay.conf:4", "`5秒`"] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
    assert!(
        !dir.path().join("store").exists(),
        "nothing is opened before the configuration is whole"
    );
}

#[test]
fn every_mistake_of_a_broker_conf_is_reported_in_one_start_up_failure() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("three.conf");
    std::fs::write(
        &conf,
        "# three mistakes\nlistenPort = eleven\nbrokerName = b\nflushDiskType = SOMETIMES\n\
         serverMaxConnections = 0\n",
    )
    .unwrap();
    let (status, err) = standalone_exit(&conf);
    assert!(!status.success(), "{err}");
    assert!(err.contains("3 invalid values"), "{err}");
    for (key, value, line) in [
        ("listenPort", "eleven", 2),
        ("flushDiskType", "SOMETIMES", 4),
        ("serverMaxConnections", "0", 5),
    ] {
        let reported = err
            .lines()
            .find(|l| l.contains(&format!("`{key}`")))
            .unwrap_or_else(|| panic!("{key} not reported:\n{err}"));
        assert!(reported.contains(&format!("{value:?}")), "{reported}");
        assert!(
            reported.contains(&format!("three.conf:{line}")),
            "{reported}"
        );
    }
    // One failure: the list is printed once by the binary (and once more in its log line).
    assert_eq!(
        err.matches("rmq-broker: 3 invalid values").count(),
        1,
        "{err}"
    );
}

#[test]
fn keys_rmq_does_not_honour_are_named_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let conf = loopback_conf(
        dir.path(),
        "honest.conf",
        "aclEnable = true\nenableCalcFilterBitMap = true\nenableDLegerCommitLog = true\n\
         haListenPort = 10912\nbrokerIP2 = 127.0.0.1\nbrokerRole = SYNC_MASTER\n\
         slaveReadEnable = false\n",
    );
    let mut p = spawn_standalone(&conf);
    p.wait_for("broker registered");
    let logs = p.seen.join("\n");
    for (key, line) in [
        ("aclEnable", 4),
        ("enableCalcFilterBitMap", 5),
        ("enableDLegerCommitLog", 6),
        ("haListenPort", 7),
        ("brokerIP2", 8),
        ("brokerRole", 9),
    ] {
        let warning = logs
            .lines()
            .find(|l| l.contains("not honoured") && l.contains(&format!("key={key}")))
            .unwrap_or_else(|| panic!("no warning for {key}:\n{logs}"));
        assert!(warning.contains(&format!("line={line}")), "{warning}");
        assert!(warning.contains("honest.conf"), "{warning}");
    }
    assert!(
        !logs.contains("key=slaveReadEnable"),
        "slaveReadEnable = false is what rmq does: no warning\n{logs}"
    );
    assert!(p.terminate().success());
}

/// Asks the broker at `addr` for its runtime info on a connection of its own; the answer's code.
async fn runtime_info_code(
    client: &rmq_core::remoting::RemotingClient<rmq_core::remoting::UnsupportedHandler>,
    addr: &str,
) -> Result<i32, String> {
    use rmq_core::protocol::{RemotingCommand, RequestCode};
    let req = RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo);
    client
        .invoke(addr, req, Duration::from_secs(5))
        .await
        .map(|r| r.code)
        .map_err(|e| e.to_string())
}

#[test]
fn connections_past_server_max_connections_are_closed_with_a_log_line() {
    use rmq_core::remoting::{RemotingClient, UnsupportedHandler};
    use std::io::Read;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let conf = loopback_conf(dir.path(), "broker.conf", "serverMaxConnections = 2\n");
    let mut p = spawn_standalone(&conf);
    let addr = p.addr_after("broker listening on");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Two connections, each its own client: both are served.
    let clients: Vec<_> = (0..2)
        .map(|_| RemotingClient::new(Arc::new(UnsupportedHandler)))
        .collect();
    for c in &clients {
        assert_eq!(rt.block_on(runtime_info_code(c, &addr)), Ok(0));
    }
    // A third is accepted and closed at once, with a warning naming the limit.
    let mut third = std::net::TcpStream::connect(&addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(third.read(&mut buf).unwrap(), 0, "the server closes it");
    p.wait_for("connection limit of 2 reached");
    // Closing one frees its slot: a new connection is served again.
    rt.block_on(clients[0].close_all());
    let again = RemotingClient::new(Arc::new(UnsupportedHandler));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match rt.block_on(runtime_info_code(&again, &addr)) {
            Ok(code) => {
                assert_eq!(code, 0);
                break;
            }
            Err(e) => assert!(Instant::now() < deadline, "no slot came free: {e}"),
        }
        rt.block_on(again.close_all());
    }
    assert_eq!(rt.block_on(runtime_info_code(&clients[1], &addr)), Ok(0));
    assert!(p.terminate().success());
}
