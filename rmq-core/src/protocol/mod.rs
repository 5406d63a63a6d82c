//! The RocketMQ remoting protocol: types and bytes only, no sockets.

pub mod body;
mod codec;
mod codes_macro;
mod command;
mod error;
mod ext_fields;
pub mod header;
mod header_codec;
mod language;
pub mod message;
mod request_code;
mod response_code;
mod version;

pub use codec::{decode_frame, encode_command, RemotingCodec, MAX_FRAME_LENGTH};
pub use command::{RemotingCommand, FLAG_ONEWAY, FLAG_RESPONSE, RMQ_VERSION};
pub use error::{HeaderError, MessageDecodeError, ProtocolError};
pub use ext_fields::{wire_key, ExtFields, ExtKey};
pub use header::CommandHeader;
pub use header_codec::{decode_binary, decode_json, encode_binary, encode_json};
pub use language::{LanguageCode, SerializeType};
pub use request_code::RequestCode;
pub use response_code::ResponseCode;
pub use version::version_desc;

#[cfg(test)]
mod tests;
