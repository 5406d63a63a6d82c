//! Runs the browser driver (tests/dashboard/drive.js: playwright-core on Debian's chromium)
//! with a deadline and returns the JSON it printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
