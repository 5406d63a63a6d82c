//! The Spring-style layer end to end: `#[rocketmq_listener]` handlers, `RocketMqTemplate` and
//! `Application` on the embedded broker, against the `rmq-broker` binary, and with the C++
//! client on the other side. One test binary; each test starts only its own listeners.

#[path = "../../rmq-broker/tests/common/mod.rs"]
mod common;

#[path = "../consumer_support/log_capture.rs"]
mod log_capture;

mod delivery;
mod external;
mod honesty;
mod payloads;
mod request_reply;
mod sql92;
mod startup;
mod support;
mod template;
