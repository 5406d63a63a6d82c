//! JSON bodies of requests and responses.
//!
//! Deserialization is lenient where clients differ: enums as names or ordinals, numbers as
//! strings, absent collections as empty.

mod broker_admin;
mod check_client;
mod consumer_admin;
mod consumer_info;
mod fastjson;
mod heartbeat;
mod lenient;
mod lock;
mod misc;
mod register_broker;
mod route;
mod topic_config;

pub use broker_admin::*;
pub use check_client::*;
pub use consumer_admin::*;
pub use consumer_info::*;
pub use fastjson::{fastjson_to_json, from_fastjson_slice, write_object_keyed_map};
pub use heartbeat::*;
pub use lock::*;
pub use misc::*;
pub use register_broker::*;
pub use route::*;
pub use topic_config::*;
