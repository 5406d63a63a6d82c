//! The official Java client (the driver in tests/java/client, whose command line and JSON
//! lines follow the C++ driver's), `mqadmin` (rocketmq-tools' `MQAdminStartup`) and the Spring
//! Boot example's applications as processes.

use std::fs;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::*;

// ----------------------------------------------------------------------------- java client

/// The Java client driver's JVM flags: quick start-up, small heap.
const CLIENT_JVM: &[&str] = &[
    "-Xms64m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xss512k",
];

/// Runs the Java client driver (`rmq.driver.JavaClient`, tests/java/client) to completion.
pub fn java_client(args: &[&str]) -> CppRun {
    java_client_spawn(args).join()
}

/// Starts the Java client driver in the background.
pub fn java_client_spawn(args: &[&str]) -> CppChild {
    let build = java_client_build();
    let home = driver_home();
    let mut cmd = Command::new(java_binary());
    cmd.args(CLIENT_JVM)
        .arg(format!("-Duser.home={}", home.path().display()))
        .arg(format!(
            "-Drocketmq.client.logRoot={}",
            home.path().join("logs").display()
        ))
        .arg("-Drocketmq.client.logLevel=WARN")
        .arg("-cp")
        .arg(build.classpath())
        .arg("rmq.driver.JavaClient");
    spawn_driver(cmd, "JavaClient", args).keeping(home)
}

/// Starts the Java client driver's `reply-consume` in `group` on `topic` (replying `re:<body>`
/// to `expect` requests, then exiting) and waits until it consumes.
pub fn java_replier_spawn(ns: &str, topic: &str, group: &str, expect: usize) -> CppChild {
    let expect = expect.to_string();
    let c = java_client_spawn(&[
        "reply-consume",
        "--namesrv",
        ns,
        "--topic",
        topic,
        "--group",
        group,
        "--expect",
        &expect,
    ]);
    assert!(
        c.wait_ready(Duration::from_secs(60)),
        "the Java replier did not start"
    );
    c
}

/// A fresh home directory for one Java process: the Java client keeps its logs and its
/// broadcasting offsets (`~/.rocketmq_offsets/<client id>/<group>`) under `user.home`, and a
/// broadcasting consumer would otherwise resume from the offsets of an earlier test run.
fn driver_home() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("rmq-java-home-")
        .tempdir()
        .expect("temp dir for a Java process")
}

/// Runs `mqadmin` sub-commands of rocketmq-tools `version` one after another in one JVM
/// (`rmq.harness.MqadminBatch` → `MQAdminStartup.main0`, what the `mqadmin` script runs);
/// returns each command's output (stdout and stderr, without logback's status lines).
pub fn mqadmin(version: ApacheVersion, commands: &[Vec<String>]) -> Vec<String> {
    let build = apache_build(version);
    let home = work_dir("rmq-mqadmin-");
    let mut cmd = Command::new(java_binary());
    cmd.args(CLIENT_JVM)
        .arg(format!("-Duser.home={}", home.display()))
        .arg(format!(
            "-Drocketmq.client.logRoot={}",
            home.join("logs").display()
        ));
    if version == ApacheVersion::V4 {
        cmd.args(JDK17_OPENS_4X);
    }
    let mut args: Vec<String> = Vec::new();
    for (i, c) in commands.iter().enumerate() {
        if i > 0 {
            args.push("--next".into());
        }
        args.extend(c.iter().cloned());
    }
    let out = cmd
        .arg("-cp")
        .arg(build.classpath())
        .arg("rmq.harness.MqadminBatch")
        .args(&args)
        .env("ROCKETMQ_HOME", &home)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run mqadmin: {e}"));
    let _ = fs::remove_dir_all(&home);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut outputs: Vec<String> = Vec::new();
    for line in text.lines() {
        // A command whose output ends without a newline (queryMsgById -d) glues the next
        // marker to its last line.
        if let Some(pos) = line.find("===RMQ_MQADMIN=== ") {
            if let Some(o) = outputs.last_mut().filter(|_| pos > 0) {
                o.push_str(&line[..pos]);
                o.push('\n');
            }
            outputs.push(String::new());
        } else if line.contains(" |-INFO in ") || line.contains(" |-WARN in ") {
            continue;
        } else if let Some(o) = outputs.last_mut() {
            o.push_str(line);
            o.push('\n');
        }
    }
    assert!(
        out.status.success() && outputs.len() == commands.len() + 1,
        "mqadmin batch failed ({}):\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    outputs.pop();
    outputs
}

/// A JSON line of a driver: `value[key]` as a string (empty when absent).
pub fn s<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or("")
}

/// Starts a module of the Spring Boot example (`"producer"` or `"consumer"`) with
/// `--key=value` arguments; its stdout is JSON lines (the consumer prints `{"ready": true}`,
/// then one line per message; the producer one line per send and a summary).
pub fn spring_app(module: &str, args: &[&str]) -> CppChild {
    let build = spring_boot_build();
    let (cp, main) = match module {
        "producer" => (
            &build.classpaths[0],
            "com.example.rmq.producer.ProducerApplication",
        ),
        "consumer" => (
            &build.classpaths[1],
            "com.example.rmq.consumer.ConsumerApplication",
        ),
        other => panic!("no Spring Boot module {other}"),
    };
    let home = driver_home();
    let mut cmd = Command::new(java_binary());
    cmd.args(CLIENT_JVM)
        .arg(format!("-Duser.home={}", home.path().display()))
        .arg("-cp")
        .arg(cp)
        .arg(main);
    spawn_driver(
        cmd,
        if module == "producer" {
            "spring-boot producer"
        } else {
            "spring-boot consumer"
        },
        args,
    )
    .keeping(home)
}
