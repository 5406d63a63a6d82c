//! The official Apache RocketMQ Java client (rocketmq-client 5.3.3, through the driver in
//! tests/java/client) and rocketmq-spring-boot-starter 2.3.5 (examples/spring-boot) against
//! the `rmq-broker` binary: every send mode, push consumers (concurrently and orderly,
//! clustering and broadcasting, RECONSUME_LATER → retry → DLQ), the lite pull consumer, and
//! Spring Boot applications talking to `#[rocketmq_listener]` handlers and the template.

#[path = "../../rmq-broker/tests/common/mod.rs"]
mod common;

#[path = "../consumer_support/mod.rs"]
mod consumer_support;

mod cli_consumers;
mod consume;
mod produce;
mod request_reply;
mod spring;
mod sql92;
mod timers;
mod transactions;

use std::collections::BTreeMap;

use serde_json::Value;

/// Runs the Java client driver on a blocking thread.
pub async fn java(args: Vec<String>) -> common::CppRun {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::java_client(&args)
    })
    .await
    .unwrap()
}

/// `["a", "b"]` → owned strings.
pub fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// A broker binary (name server + broker) whose delay levels are short: level 2 is 2 s, every
/// other level 1 s.
pub async fn broker() -> common::BrokerProcess {
    tokio::task::spawn_blocking(|| {
        common::BrokerProcess::start_with(
            "messageDelayLevel=1s 2s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s",
        )
    })
    .await
    .unwrap()
}

/// A consumer run's per-delivery records, by msg id.
pub fn records_by_id(run: &common::CppRun) -> BTreeMap<String, Value> {
    run.records("recv")
        .map(|r| (r["msg_id"].as_str().unwrap_or("").to_string(), r.clone()))
        .collect()
}
