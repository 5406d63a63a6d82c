//! Procedural macros for rmq. `#[rocketmq_listener]` lands with the framework issue.
