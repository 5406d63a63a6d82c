//! The two header encodings: JSON (serialize type 0) and ROCKETMQ binary (type 1).
//!
//! Decoding is lenient the way the Java broker is (and a little more): `serializeTypeCurrentRPC`
//! may be missing, `extFields` values may be JSON numbers or booleans, `language` may be a name
//! or an ordinal, and unknown keys are ignored.

mod binary;
mod json_decode;
mod json_encode;

pub use binary::{decode_binary, encode_binary};
pub use json_decode::decode_json;
pub use json_encode::encode_json;
