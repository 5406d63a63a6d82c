//! The real Apache RocketMQ NameServer and Broker (5.3.3, and 4.9.7 for the 4.x line) as the
//! test oracle.
//!
//! [`ApacheNamesrv`] / [`ApacheBroker`] start them on 127.0.0.1 with free ports, small heaps,
//! 100 MiB commit-log segments and a temporary store, through `rmq.harness.Launch`
//! (tests/java/apache): the JVM stops the server, removes its work directory and exits when its
//! stdin closes, so a server also ends with the test binary that started it, however that ends.
//! [`ApacheCluster`] is a NameServer + one Broker; a test binary keeps one in a `OnceLock` to
//! share it between its tests (it then stops when the binary exits).

use std::fs;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

/// How long a Java server may take from exec to "registered".
pub const JAVA_START_DEADLINE: Duration = Duration::from_secs(90);
/// How long a Java server may take to stop after `stop` / SIGTERM.
const JAVA_STOP_DEADLINE: Duration = Duration::from_secs(30);

/// An Apache RocketMQ release the harness can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApacheVersion {
    /// 5.3.3: the newest 5.3.x on Maven Central.
    V5,
    /// 4.9.7: the newest 4.x served here (4.9.8 is not on this machine's Maven mirror).
    V4,
}

impl ApacheVersion {
    /// The Maven version string.
    pub fn version(self) -> &'static str {
        match self {
            ApacheVersion::V5 => "5.3.3",
            ApacheVersion::V4 => "4.9.7",
        }
    }
}

// ----------------------------------------------------------------------------- ports

fn bindable(port: u16) -> bool {
    // 4.x brokers bind the wildcard address, so both must be free.
    TcpListener::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)).is_ok()
        && TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// A port `p` below the ephemeral range with `p - 2 ..= p + 1` free: a Java broker listens on
/// `listenPort`, `listenPort - 2` (VIP channel) and `listenPort + 1` (HA).
pub fn free_java_port() -> u16 {
    static NEXT: Mutex<u16> = Mutex::new(0);
    let mut next = NEXT.lock().unwrap_or_else(|e| e.into_inner());
    if *next == 0 {
        // spread test binaries (and parallel test runs) over the range
        *next = 21_000 + (std::process::id() % 2_000) as u16 * 5;
    }
    loop {
        let p = *next;
        *next = if p > 31_000 { 21_000 } else { p + 5 };
        if (p - 2..=p + 1).all(bindable) {
            return p;
        }
    }
}

// ----------------------------------------------------------------------------- servers

/// One Java server process started through `rmq.harness.Launch`.
struct JavaServer {
    role: &'static str,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    output: Arc<Output>,
    work: PathBuf,
}

impl JavaServer {
    /// Starts `Launch <role> <work> <args>` and waits for `RMQ_HARNESS_READY`. `Err` holds why
    /// it did not start (the process is gone then; the work directory is kept for its logs).
    fn spawn(
        version: ApacheVersion,
        role: &'static str,
        work: &Path,
        jvm: &[&str],
        args: &[&str],
    ) -> Result<JavaServer, String> {
        let build = apache_build(version);
        let home = work.join("rocketmq-home");
        let conf = home.join("conf");
        fs::create_dir_all(&conf).expect("create ROCKETMQ_HOME/conf");
        // 4.x reads its logback configuration from $ROCKETMQ_HOME/conf; 5.x from its jar.
        for name in [
            "logback_namesrv.xml",
            "logback_broker.xml",
            "logback_tools.xml",
        ] {
            fs::write(conf.join(name), LOGBACK_4X).expect("write a logback configuration");
        }
        let mut cmd = Command::new(java_binary());
        cmd.args(jvm)
            .arg(format!("-Duser.home={}", work.display()))
            .arg(format!("-Drocketmq.home.dir={}", home.display()))
            .arg("-Drocketmq.broker.diskSpaceWarningLevelRatio=0.99")
            .arg(
                "-Drocketmq.client.logRoot=".to_string() + &work.join("logs").display().to_string(),
            );
        if version == ApacheVersion::V4 {
            cmd.args(JDK17_OPENS_4X);
        }
        let mut child = cmd
            .arg("-cp")
            .arg(build.classpath())
            .arg("rmq.harness.Launch")
            .arg(role)
            .arg(work)
            .args(args)
            .env("ROCKETMQ_HOME", &home)
            .current_dir(work)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", java_binary().display()));
        let output = Output::new();
        output.read_from(child.stdout.take().expect("piped stdout"));
        output.read_from(child.stderr.take().expect("piped stderr"));
        let stdin = child.stdin.take();
        let needle = format!("RMQ_HARNESS_READY {role}");
        let ready = output.wait_until(Instant::now() + JAVA_START_DEADLINE, |s| {
            if s.lines.iter().any(|l| l.contains(&needle)) {
                Some(true)
            } else if s.open_streams == 0 {
                Some(false)
            } else {
                None
            }
        });
        if ready == Some(true) {
            return Ok(JavaServer {
                role,
                child: Some(child),
                stdin,
                output,
                work: work.to_path_buf(),
            });
        }
        let status = wait_child(&mut child, &output, Instant::now() + Duration::from_secs(5))
            .unwrap_or_else(|| kill_and_reap(&mut child));
        let log = work
            .join("logs")
            .join("rocketmqlogs")
            .join(format!("{role}.log"));
        Err(format!(
            "Apache RocketMQ {} {role} did not start ({}; {status}); its log file: {}\n{}\n--- last lines of {} ---\n{}",
            version.version(),
            if ready.is_none() { "timed out" } else { "exited" },
            log.display(),
            tail(&output.text(), 60),
            log.display(),
            tail(&fs::read_to_string(&log).unwrap_or_default(), 60),
        ))
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Asks the launcher to shut the server down (as its own shutdown hook would); waits.
    fn stop(&mut self) -> Option<ExitStatus> {
        let child = self.child.take()?;
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"stop\n");
        }
        Some(self.reap(child))
    }

    /// SIGTERM: the server's own shutdown hook runs (the `mqshutdown` way).
    fn terminate(&mut self) -> Option<ExitStatus> {
        let child = self.child.take()?;
        signal(child.id(), "-TERM");
        Some(self.reap(child))
    }

    /// Waits for a server asked to stop, [`JAVA_STOP_DEADLINE`] at most, then kills it.
    fn reap(&self, mut child: Child) -> ExitStatus {
        wait_child(
            &mut child,
            &self.output,
            Instant::now() + JAVA_STOP_DEADLINE,
        )
        .unwrap_or_else(|| kill_and_reap(&mut child))
    }

    fn logs(&self) -> String {
        let log = self
            .work
            .join("logs")
            .join("rocketmqlogs")
            .join(format!("{}.log", self.role));
        format!(
            "{}\n--- {} ---\n{}",
            self.output.text(),
            log.display(),
            tail(&fs::read_to_string(&log).unwrap_or_default(), 100)
        )
    }
}

impl Drop for JavaServer {
    fn drop(&mut self) {
        if thread::panicking() && self.child.is_some() {
            eprintln!(
                "---- Apache RocketMQ {} ----\n{}",
                self.role,
                tail(&self.logs(), 120)
            );
        }
        self.stop();
        let _ = fs::remove_dir_all(&self.work);
    }
}

/// JVM flags the JDK 17 needs for 4.x (its `MappedFile.clean()` reflects into
/// `DirectByteBuffer`; apache/rocketmq #3321).
pub const JDK17_OPENS_4X: &[&str] = &[
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
];

/// JVM flags of the test servers: small heaps, quick start-up (C1 only), little CPU at idle.
const SERVER_JVM_NAMESRV: &[&str] = &[
    "-Xms128m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xss512k",
];
const SERVER_JVM_BROKER: &[&str] = &[
    "-Xms512m",
    "-Xmx512m",
    "-XX:MaxDirectMemorySize=512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xss512k",
];

/// A logback configuration for 4.x (which insists on one): everything to
/// `${user.home}/logs/rocketmqlogs/<logger>.log`, warnings also to stderr.
const LOGBACK_4X: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${user.home}/logs/rocketmqlogs/${rmq.harness.role:-broker}.log</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5p [%t] %c{0} - %m%n</pattern></encoder>
  </appender>
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>WARN</level></filter>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5p %c{0} - %m%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/><appender-ref ref="STDERR"/></root>
</configuration>
"#;

pub fn work_dir(prefix: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("create a temporary directory")
        .keep()
}

/// Up to three attempts: a chosen port may be taken by someone else meanwhile.
fn spawn_with_retries(
    what: &str,
    mut attempt: impl FnMut() -> Result<JavaServer, String>,
) -> JavaServer {
    let mut errors = Vec::new();
    for _ in 0..3 {
        match attempt() {
            Ok(server) => return server,
            Err(e) if e.contains("Address already in use") => errors.push(e),
            Err(e) => panic!("{e}"),
        }
    }
    panic!(
        "{what}: every attempt found its port taken:\n{}",
        errors.join("\n")
    );
}

/// A real Apache RocketMQ NameServer on 127.0.0.1.
pub struct ApacheNamesrv {
    server: JavaServer,
    port: u16,
    /// The release it runs.
    pub version: ApacheVersion,
}

impl ApacheNamesrv {
    /// Starts a NameServer of `version` on a free port; panics naming its log when it fails.
    pub fn start(version: ApacheVersion) -> ApacheNamesrv {
        let mut port = 0;
        let server = spawn_with_retries("Apache NameServer", || {
            port = free_java_port();
            let work = work_dir("rmq-apache-namesrv-");
            let conf = work.join("namesrv.conf");
            // bindAddress exists from 5.0; 4.x binds the wildcard address and ignores it.
            fs::write(&conf, format!("listenPort={port}\nbindAddress=127.0.0.1\n"))
                .expect("write namesrv.conf");
            let conf = conf.display().to_string();
            JavaServer::spawn(
                version,
                "namesrv",
                &work,
                &[SERVER_JVM_NAMESRV, &["-Drmq.harness.role=namesrv"]].concat(),
                &["-c", &conf],
            )
        });
        ApacheNamesrv {
            server,
            port,
            version,
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The JVM's process id.
    pub fn pid(&self) -> Option<u32> {
        self.server.pid()
    }
}

/// A real Apache RocketMQ Broker on 127.0.0.1, registered with its name servers.
pub struct ApacheBroker {
    server: JavaServer,
    port: u16,
    /// `brokerName`.
    pub name: String,
    /// `brokerClusterName`.
    pub cluster: String,
    /// The release it runs.
    pub version: ApacheVersion,
}

impl ApacheBroker {
    /// Starts a master broker `name` of `DefaultCluster` registering with `namesrv`
    /// (`host:port;host:port`). `extra_conf` holds more `key=value` lines for broker.conf.
    /// Returns once the name server routes the broker (its cluster info names it).
    pub fn start(
        version: ApacheVersion,
        namesrv: &str,
        name: &str,
        extra_conf: &str,
    ) -> ApacheBroker {
        let cluster = extra_conf
            .lines()
            .find_map(|l| l.trim().strip_prefix("brokerClusterName="))
            .unwrap_or("DefaultCluster")
            .to_string();
        let mut port = 0;
        let server = spawn_with_retries("Apache Broker", || {
            port = free_java_port();
            let work = work_dir("rmq-apache-broker-");
            let store = work.join("store");
            let conf = work.join("broker.conf");
            let mut text = format!(
                "brokerClusterName={cluster}\nbrokerName={name}\nbrokerId=0\n\
                 brokerRole=ASYNC_MASTER\nflushDiskType=ASYNC_FLUSH\n\
                 namesrvAddr={namesrv}\nbrokerIP1=127.0.0.1\nbindAddress=127.0.0.1\n\
                 listenPort={port}\nstorePathRootDir={store}\n\
                 storePathCommitLog={store}/commitlog\nmappedFileSizeCommitLog=104857600\n\
                 maxIndexNum=10000\nmaxHashSlotNum=40000\nautoCreateTopicEnable=true\n\
                 autoCreateSubscriptionGroup=true\nenablePropertyFilter=true\n\
                 diskMaxUsedSpaceRatio=95\nwaitTimeMillsInSendQueue=1000\n",
                store = store.display()
            );
            text.push_str(extra_conf);
            text.push('\n');
            fs::write(&conf, text).expect("write broker.conf");
            let conf = conf.display().to_string();
            let server = JavaServer::spawn(
                version,
                "broker",
                &work,
                &[SERVER_JVM_BROKER, &["-Drmq.harness.role=broker"]].concat(),
                &["-c", &conf],
            )?;
            Ok(server)
        });
        let broker = ApacheBroker {
            server,
            port,
            name: name.to_string(),
            cluster,
            version,
        };
        for ns in namesrv.split(';').filter(|s| !s.is_empty()) {
            wait_broker_registered(ns, &broker.name, &broker.addr(), JAVA_START_DEADLINE);
        }
        broker
    }

    /// `127.0.0.1:PORT`, the address clients use.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The JVM's process id.
    pub fn pid(&self) -> Option<u32> {
        self.server.pid()
    }

    /// Graceful stop through the broker's own shutdown hook (SIGTERM, as `mqshutdown broker`):
    /// it unregisters from its name servers.
    pub fn shutdown(&mut self) -> Option<ExitStatus> {
        self.server.terminate()
    }

    /// Creates `topic` with `queues` queues on this broker (UPDATE_AND_CREATE_TOPIC) and waits
    /// until `namesrv` routes it to this broker.
    pub fn create_topic(&self, namesrv: &str, topic: &str, queues: u32) {
        create_topic_on(&self.addr(), namesrv, topic, queues, &self.name);
    }

    /// Broker and launcher output, and the tail of `broker.log`.
    pub fn logs(&self) -> String {
        self.server.logs()
    }
}

/// UPDATE_AND_CREATE_TOPIC of `topic` with `queues` read and write queues on `broker_addr`
/// (any broker: rmq's or Apache's); panics unless it succeeds.
pub fn update_and_create_topic(broker_addr: &str, topic: &str, queues: u32) {
    let queues = queues.to_string();
    let reply = remoting_request(
        broker_addr,
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
    assert_eq!(
        reply["code"], 0,
        "creating topic {topic} on {broker_addr} failed: {reply}"
    );
}

/// UPDATE_AND_CREATE_TOPIC on `broker_addr`, then waits (≤ 20 s) until `namesrv` has a route
/// of `topic` naming `broker_name`.
pub fn create_topic_on(
    broker_addr: &str,
    namesrv: &str,
    topic: &str,
    queues: u32,
    broker_name: &str,
) {
    update_and_create_topic(broker_addr, topic, queues);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (header, body) =
            remoting_call(namesrv, REQUEST_GET_ROUTEINFO_BY_TOPIC, &[("topic", topic)]);
        if header["code"] == 0 && String::from_utf8_lossy(&body).contains(broker_name) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{namesrv} has no route of {topic} on {broker_name} 20 s after it was created: {header}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// GET_BROKER_CLUSTER_INFO.
pub const REQUEST_GET_BROKER_CLUSTER_INFO: i32 = 106;

/// Waits until `namesrv`'s cluster info has broker `name` at `addr`; panics at `timeout`.
pub fn wait_broker_registered(namesrv: &str, name: &str, addr: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let (header, body) = remoting_call(namesrv, REQUEST_GET_BROKER_CLUSTER_INFO, &[]);
        let text = String::from_utf8_lossy(&body);
        if header["code"] == 0 && text.contains(name) && text.contains(addr) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "broker {name} at {addr} is not registered with {namesrv} after {timeout:?}: {header} {text}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// A NameServer and one Broker (`broker-j`) of the same release.
pub struct ApacheCluster {
    /// The NameServer.
    pub namesrv: ApacheNamesrv,
    /// The Broker.
    pub broker: ApacheBroker,
}

impl ApacheCluster {
    /// Starts a NameServer, then a Broker registering with it.
    pub fn start(version: ApacheVersion, extra_broker_conf: &str) -> ApacheCluster {
        let namesrv = ApacheNamesrv::start(version);
        let broker = ApacheBroker::start(version, &namesrv.addr(), "broker-j", extra_broker_conf);
        ApacheCluster { namesrv, broker }
    }

    /// The NameServer's address.
    pub fn namesrv_addr(&self) -> String {
        self.namesrv.addr()
    }

    /// Creates `topic` with `queues` queues on the broker and waits for its route.
    pub fn create_topic(&self, topic: &str, queues: u32) {
        self.broker
            .create_topic(&self.namesrv.addr(), topic, queues);
    }
}
