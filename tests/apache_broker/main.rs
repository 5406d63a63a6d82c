//! rmq's client and framework against the real Apache RocketMQ NameServer + Broker (5.3.3,
//! resolved from Maven Central and started once for this test binary): the scenarios the
//! embedded-broker tests cover, with the reference implementation on the other side.

#[path = "../../rmq-broker/tests/common/mod.rs"]
mod common;

#[path = "../consumer_support/mod.rs"]
mod consumer_support;
#[path = "../dashboard_support/mod.rs"]
mod dashboard_support;
mod support;

mod admin;
mod cli_cluster;
mod cli_consumers;
mod cli_java_mqadmin;
mod consumers;
mod dashboard;
mod framework;
mod lite_pull;
mod metrics;
mod mqadmin;
mod request_reply;
mod sends;
mod sql92;
mod timers;
mod transactions;
mod v4;
