//! The dashboard served by the `rmq-broker` binary: beside a broker (broker.conf
//! `dashboardPort`, with a login) and as the `dashboard` sub-command (read-only), checked over
//! plain HTTP on 127.0.0.1.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::BrokerProcess;

/// One HTTP/1.1 request (`Connection: close`); returns the status, the headers and the body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect to the dashboard");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn broker_conf_dashboard_port_serves_the_pages_and_guards_writes_with_the_login() {
    let broker = BrokerProcess::start_with(
        "dashboardPort=0\ndashboardUser=admin\ndashboardPassword=pw\nbrokerIP1=127.0.0.1",
    );
    let line = broker
        .wait_for_log("dashboard listening", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no dashboard: {}", broker.logs()));
    let addr = line
        .split("addr=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("addr in the log line")
        .to_owned();

    let (status, head, page) = http(&addr, "GET", "/", None, None);
    assert_eq!(status, 200, "{head}");
    assert!(
        page.contains("rmq dashboard") && page.contains("/app.js"),
        "{page}"
    );
    let (status, _, js) = http(&addr, "GET", "/app.js", None, None);
    assert_eq!(status, 200);
    assert!(js.contains("#/consumers") || js.contains("consumers:"));

    let (status, _, body) = http(&addr, "GET", "/api/cluster", None, None);
    assert_eq!(status, 200, "{body}");
    let cluster = json(&body);
    assert_eq!(
        cluster["brokers"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    assert_eq!(
        cluster["brokers"][0]["addr"],
        broker.broker_addr(),
        "{body}"
    );
    assert_eq!(cluster["brokers"][0]["version"], "V4_9_4", "{body}");

    let create = r#"{"topic":"dash-bin-topic","queues":2}"#;
    let (status, _, body) = http(&addr, "POST", "/api/topics", None, Some(create));
    assert_eq!(status, 401, "a write without login: {body}");
    assert!(json(&body)["error"].as_str().unwrap().contains("log in"));
    let (status, _, _) = http(
        &addr,
        "POST",
        "/api/login",
        None,
        Some(r#"{"username":"admin","password":"nope"}"#),
    );
    assert_eq!(status, 401);
    let (status, head, _) = http(
        &addr,
        "POST",
        "/api/login",
        None,
        Some(r#"{"username":"admin","password":"pw"}"#),
    );
    assert_eq!(status, 200, "{head}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();
    let (status, _, body) = http(&addr, "POST", "/api/topics", Some(&cookie), Some(create));
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = http(&addr, "GET", "/api/topics?search=dash-bin", None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["topics"], serde_json::json!(["dash-bin-topic"]));
    let (status, _, body) = http(&addr, "GET", "/api/topics/dash-bin-topic", None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body)["queues"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );
    // Messages by time range: one sent before `split`, one after; each window finds its own.
    let send = |body: &str| {
        let (status, _, answer) = http(
            &addr,
            "POST",
            "/api/topics/dash-bin-topic/messages",
            Some(&cookie),
            Some(&format!(r#"{{"body":"{body}"}}"#)),
        );
        assert_eq!(status, 200, "{answer}");
    };
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    };
    send("before-split");
    let split = now_ms() + 5;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while now_ms() <= split {
        assert!(
            std::time::Instant::now() < deadline,
            "the clock did not move"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    send("after-split");
    let window = |begin: i64, end: i64| -> Vec<i64> {
        let path = format!("/api/messages?topic=dash-bin-topic&begin={begin}&end={end}");
        let (status, _, body) = http(&addr, "GET", &path, None, None);
        assert_eq!(status, 200, "{body}");
        json(&body)["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|m| m["storeTimestamp"].as_i64().unwrap_or(0))
            .collect()
    };
    let early = window(split - 60_000, split);
    let late = window(split + 1, now_ms() + 60_000);
    assert_eq!(early.len(), 1, "{early:?}");
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(early[0] <= split && late[0] > split, "{early:?} {late:?}");
    assert_eq!(window(split - 60_000, now_ms() + 60_000).len(), 2);

    let (status, _, body) = http(&addr, "DELETE", "/api/topics/dash-bin-topic", None, None);
    assert_eq!(status, 401, "a delete without login: {body}");
    let (status, _, body) = http(
        &addr,
        "DELETE",
        "/api/topics/dash-bin-topic",
        Some(&cookie),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = http(&addr, "GET", "/api/topics?search=dash-bin", None, None);
    assert_eq!(
        json(&body)["topics"],
        serde_json::json!([]),
        "deleted: {body}"
    );
    let (status, _, body) = http(&addr, "GET", "/api/nowhere", None, None);
    assert_eq!(status, 404, "{body}");
    // Beside a broker, the dashboard also serves that broker's Prometheus metrics.
    let (status, head, body) = http(&addr, "GET", "/metrics", None, None);
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    assert!(
        body.contains("# TYPE rocketmq_topic_number gauge"),
        "{body}"
    );
}

#[test]
fn dashboard_sub_command_in_read_only_mode_refuses_writes() {
    let broker = BrokerProcess::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rmq-broker"))
        .args(["dashboard", "--namesrv", &broker.namesrv_addr()])
        .args(["--port", "0", "--bind", "127.0.0.1", "--read-only"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rmq-broker dashboard");
    // Logs go to stdout too: the announcement is the line without a timestamp.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut addr = None;
    for _ in 0..50 {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(a) = line.trim().strip_prefix("dashboard listening on http://") {
            addr = Some(a.to_owned());
            break;
        }
    }
    let Some(addr) = addr else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("rmq-broker dashboard did not announce its address");
    };
    let (_, _, body) = http(&addr, "GET", "/api/session", None, None);
    let session = json(&body);
    let (status, _, cluster) = http(&addr, "GET", "/api/cluster", None, None);
    // Pointed at a name server only, there is no broker of its own to export.
    let (m_status, _, _) = http(&addr, "GET", "/metrics", None, None);
    let (w_status, _, w_body) = http(
        &addr,
        "POST",
        "/api/topics/anything/messages",
        None,
        Some(r#"{"body":"x"}"#),
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(session["readOnly"], true, "{session}");
    assert_eq!(status, 200, "{cluster}");
    assert_eq!(m_status, 404);
    assert_eq!(w_status, 403, "{w_body}");
    assert!(
        json(&w_body)["error"]
            .as_str()
            .is_some_and(|e| e.contains("read-only")),
        "{w_body}"
    );
}
