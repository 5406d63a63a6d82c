//! `rmq-admin` (the binary) against the `rmq-broker` binary, with real rmq-core consumers and
//! producers: each module runs commands and checks what they print (tables and `--json`) and
//! what they did (offsets reset and re-consumed, groups created and deleted, messages found,
//! consumed directly). Needs `cargo build -p rmq-broker --bin rmq-broker` first.

#[path = "../../rmq-broker/tests/common/mod.rs"]
mod common;
#[path = "../consumer_support/mod.rs"]
mod consumer_support;

mod consumers;
mod messages;
