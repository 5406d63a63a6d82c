//! The dashboard's browser scenario, shared by tests/dashboard.rs (embedded broker) and
//! tests/apache_broker/dashboard.rs (Apache NameServer + Broker): runs the driver
//! (tests/dashboard/drive.js: playwright-core on Debian's chromium) with a deadline and checks
//! the JSON it printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rmq::broker::dashboard::{serve, DashboardConfig};
use rmq::client::{ClientConfig, MqAdmin};

/// The driver's directory.
pub fn driver_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dashboard")
}

/// Where screenshots are kept (test output).
pub fn screenshot_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/dashboard-screenshots")
        .join(name)
}

/// Installs playwright-core from the lock file when it is missing.
fn ensure_driver() {
    let dir = driver_dir();
    assert!(
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "the dashboard tests need Debian's chromium (/usr/bin/chromium): apt-get install -y chromium \
         (tests/run.sh installs it)"
    );
    if dir.join("node_modules/playwright-core").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .expect("npm (Node.js) is needed for the dashboard browser tests");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

/// Runs `drive.js` with `env`, killing it after `deadline`; returns its JSON line.
pub fn drive(env: &[(&str, String)], deadline: Duration) -> serde_json::Value {
    ensure_driver();
    let dir = driver_dir();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("drive.js"))
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .expect("node (Node.js) is needed for the dashboard browser tests");
    let started = Instant::now();
    loop {
        match child.try_wait().expect("waiting for the driver") {
            Some(_) => break,
            None if started.elapsed() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the browser driver did not finish within {deadline:?}");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let out = child.wait_with_output().expect("driver output");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or_else(|| panic!("the driver printed no JSON: {text}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("driver JSON {line}: {e}"))
}

/// What the scenario runs with and expects.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// The group of the listener that consumes `topic`.
    pub group: &'static str,
    /// The topic one "Hello, World!" is sent to.
    pub topic: &'static str,
    /// The application's producer group.
    pub producer_group: &'static str,
    /// Topic of the test message sent from the Topics page.
    pub send_topic: &'static str,
    /// The brokers' `brokerVersionDesc`.
    pub version: &'static str,
    /// Screenshot sub-directory.
    pub shots: &'static str,
    /// A group with one message in its DLQ, resent from the DLQ page (the caller checks its
    /// listener got it).
    pub dlq_group: Option<&'static str>,
}

async fn wait_for(what: &str, secs: u64, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends one "Hello, World!" to `e.topic` through `app` (dashboard enabled with user `admin`,
/// password `s3cret`), waits until its listener (counting into `consumed`) consumed it and
/// the offset is committed, then drives the browser through every page. Returns the driver's
/// report and how many times the listener got the message by the end: once sent, once resent
/// from the Messages page (309), once after the Consumers page reset the offsets (waited for
/// up to a deadline).
pub async fn run(
    app: &rmq::Application,
    consumed: &'static AtomicUsize,
    e: Expect,
) -> (serde_json::Value, usize) {
    let url = format!(
        "http://{}",
        app.dashboard_addr().expect("dashboard enabled")
    );
    let ro = serve(DashboardConfig {
        read_only: true,
        ..DashboardConfig::new("127.0.0.1:0".parse().unwrap(), app.name_server())
    })
    .await
    .expect("read-only dashboard");

    app.template()
        .sync_send(e.topic, "Hello, World!")
        .await
        .expect("send boot-test");
    wait_for("the listener to consume the message", 30, async || {
        consumed.load(Ordering::SeqCst) == 1
    })
    .await;
    let admin = MqAdmin::new(ClientConfig {
        name_server_addr: app.name_server().to_owned(),
        ..ClientConfig::default()
    })
    .unwrap();
    wait_for("the consumer offset to be committed", 30, async || {
        admin
            .consume_stats(e.group, e.topic)
            .await
            .is_ok_and(|s| s.values().map(|q| q.consumer_offset).sum::<i64>() == 1)
    })
    .await;
    admin.close().await;

    let shots = screenshot_dir(e.shots);
    let (report, ro) = tokio::task::spawn_blocking(move || {
        let report = drive(
            &[
                ("DASHBOARD_URL", url),
                ("RO_URL", format!("http://{}", ro.addr())),
                ("GROUP", e.group.to_owned()),
                ("TOPIC", e.topic.to_owned()),
                ("SEND_TOPIC", e.send_topic.to_owned()),
                ("PRODUCER_GROUP", e.producer_group.to_owned()),
                ("USER", "admin".into()),
                ("PASSWORD", "s3cret".into()),
                ("SHOTS", shots.display().to_string()),
                ("DLQ_GROUP", e.dlq_group.unwrap_or_default().to_owned()),
            ],
            Duration::from_secs(150),
        );
        (report, ro)
    })
    .await
    .unwrap();
    eprintln!("driver report: {report:#}");
    ro.shutdown().await;
    // The resent message and the reset each deliver it once more.
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while consumed.load(Ordering::SeqCst) < 3 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    (report, consumed.load(Ordering::SeqCst))
}

/// Checks the driver's report.
pub fn check(report: &serde_json::Value, deliveries: usize, e: Expect) {
    assert_eq!(report["errors"], serde_json::json!([]), "{report:#}");
    // The seed's first test.
    let c = &report["consumers"];
    assert_eq!(c["brokerOffset"], 1, "{report:#}");
    assert_eq!(c["consumerOffset"], 1, "{report:#}");
    assert_eq!(c["diffTotal"], 0, "{report:#}");
    assert!(c["rows"].as_u64().unwrap_or(0) >= 1, "{report:#}");
    assert_eq!(report["groupListed"], true, "{report:#}");
    assert!(c["members"].as_u64().unwrap_or(0) >= 1, "{report:#}");
    // rmq's clients announce V4_9_4 (ordinal 401); the page names it as mqadmin does.
    assert_eq!(c["memberVersions"][0], "V4_9_4", "{report:#}");
    assert!(
        c["runningInfo"]["properties"].is_object(),
        "running info of the member: {report:#}"
    );
    assert_eq!(report["cluster"]["brokers"], 1, "{report:#}");
    assert_eq!(report["cluster"]["chart"], true, "{report:#}");
    assert_eq!(report["cluster"]["version"], e.version, "{report:#}");
    for page in [
        "cluster",
        "consumers",
        "topics",
        "producers",
        "messages",
        "dlq",
    ] {
        let file = report["pages"][page]["screenshot"].as_str().unwrap_or("");
        assert!(
            std::path::Path::new(file).exists(),
            "screenshot of {page}: {report:#}"
        );
        assert_eq!(
            report["pages"][page]["errors"],
            serde_json::json!([]),
            "errors shown on {page}: {report:#}"
        );
    }
    // Topics: the topic's queues hold the one message; the group consumes it.
    assert_eq!(report["topic"]["maxOffsetTotal"], 1, "{report:#}");
    assert!(
        report["topic"]["consumers"]
            .as_str()
            .is_some_and(|g| g.contains(e.group)),
        "{report:#}"
    );
    // Producers: the brokers' connection list for the group (GET_PRODUCER_CONNECTION_LIST).
    // The template's producer announced its group (HEART_BEAT) once it had sent.
    // Topics: a scratch topic created with the form, listed, deleted from its detail (the
    // confirm dialog accepted), and gone from the list.
    let s = &report["scratch"];
    assert_eq!(s["created"], true, "{report:#}");
    assert_eq!(s["listedBefore"], true, "{report:#}");
    assert!(
        s["confirm"]
            .as_str()
            .is_some_and(|c| c.contains("Delete topic")),
        "{report:#}"
    );
    assert_eq!(s["deleted"], true, "{report:#}");
    assert_eq!(s["listedAfter"], false, "{report:#}");
    let p = &report["producers"];
    assert!(p["rows"].as_u64().unwrap_or(0) >= 1, "{report:#}");
    assert_eq!(p["versions"][0], "V4_9_4", "{report:#}");
    // Messages: the test message is found by key; the consumed one by time, CONSUMED by the
    // group, and resent to it.
    assert_eq!(report["foundByKey"]["found"], true, "{report:#}");
    assert!(report["byTime"].as_u64().unwrap_or(0) >= 1, "{report:#}");
    assert_eq!(report["detailBody"], "Hello, World!", "{report:#}");
    assert!(
        report["tracks"].as_array().is_some_and(|t| t
            .iter()
            .any(|t| t["group"] == e.group && t["status"] == "CONSUMED")),
        "{report:#}"
    );
    assert!(
        report["resend"]
            .as_str()
            .is_some_and(|r| r.contains("CR_SUCCESS")),
        "{report:#}"
    );
    if e.dlq_group.is_some() {
        assert_eq!(report["dlq"]["rows"], 1, "{report:#}");
        assert!(
            report["dlq"]["resend"]
                .as_str()
                .is_some_and(|r| r.contains("CR_SUCCESS")),
            "{report:#}"
        );
    }
    // Reset by time from the Consumers page: accepted, and the boot message consumed again.
    assert_eq!(report["reset"]["ok"], true, "{report:#}");
    assert!(
        deliveries >= 3,
        "{deliveries} deliveries: sent, resent and re-consumed after the reset make 3: {report:#}"
    );
    // Login for state-changing calls; a wrong password is refused.
    assert_eq!(report["loginAsked"], true, "{report:#}");
    assert!(
        report["wrongPasswordError"]
            .as_str()
            .is_some_and(|e| e.contains("wrong user or password")),
        "{report:#}"
    );
    assert!(report["sent"]["msgId"].is_string(), "{report:#}");
    // Read-only mode: the page shows it and the API refuses with 403.
    assert_eq!(report["readOnlyBadge"], true, "{report:#}");
    assert_eq!(report["readOnlyApi"]["status"], 403, "{report:#}");
    assert!(
        report["readOnlyError"]
            .as_str()
            .is_some_and(|e| e.contains("read-only")),
        "{report:#}"
    );
}
