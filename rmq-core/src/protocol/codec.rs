//! Length-prefixed remoting frames on `tokio-util`'s codec traits.
//!
//! ```text
//! length:u32 = 4 + headerLen + bodyLen
//! headerWord:u32 = serializeType << 24 | headerLen
//! ```
//! Decoding returns `Ok(None)` until a whole frame is buffered. A bad length, a header longer than
//! its frame, an unknown serialize type or an unparsable header is an error: the caller closes
//! that connection.

use bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::command::RemotingCommand;
use super::header_codec::{decode_binary, decode_json, encode_binary, encode_json};
use super::language::SerializeType;
use super::ProtocolError;

/// The largest frame accepted (Java's `frameMaxLength`): 16 MiB.
pub const MAX_FRAME_LENGTH: usize = 16 * 1024 * 1024;

/// The frame codec. One per connection.
#[derive(Debug, Clone)]
pub struct RemotingCodec {
    max_frame: usize,
}

impl Default for RemotingCodec {
    fn default() -> Self {
        RemotingCodec {
            max_frame: MAX_FRAME_LENGTH,
        }
    }
}

impl RemotingCodec {
    /// A codec with a custom frame limit.
    pub fn with_max_frame(max_frame: usize) -> Self {
        RemotingCodec { max_frame }
    }
}

/// Decodes one frame body (everything after the length prefix).
pub fn decode_frame(mut frame: bytes::Bytes) -> Result<RemotingCommand, ProtocolError> {
    if frame.len() < 4 {
        return Err(ProtocolError::BadFrameLength {
            length: frame.len(),
            max: MAX_FRAME_LENGTH,
        });
    }
    let word = frame.get_u32();
    let serialize = (word >> 24) as u8;
    let header_len = (word & 0x00FF_FFFF) as usize;
    if header_len > frame.len() {
        return Err(ProtocolError::HeaderTooLong {
            header_len,
            frame_len: frame.len() + 4,
        });
    }
    let header = frame.split_to(header_len);
    let mut cmd = match SerializeType::from_byte(serialize) {
        Some(SerializeType::Json) => decode_json(&header)?,
        Some(SerializeType::RocketMq) => decode_binary(&header)?,
        None => return Err(ProtocolError::UnknownSerializeType(serialize)),
    };
    cmd.body = frame;
    Ok(cmd)
}

impl Decoder for RemotingCodec {
    type Item = RemotingCommand;
    type Error = ProtocolError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>, ProtocolError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let length = u32::from_be_bytes([src[0], src[1], src[2], src[3]]) as usize;
        if !(4..=self.max_frame).contains(&length) {
            return Err(ProtocolError::BadFrameLength {
                length,
                max: self.max_frame,
            });
        }
        if src.len() < 4 + length {
            src.reserve(4 + length - src.len());
            return Ok(None);
        }
        src.advance(4);
        let frame = src.split_to(length).freeze();
        decode_frame(frame).map(Some)
    }
}

impl Encoder<RemotingCommand> for RemotingCodec {
    type Error = ProtocolError;

    fn encode(&mut self, cmd: RemotingCommand, dst: &mut BytesMut) -> Result<(), ProtocolError> {
        encode_command(&cmd, dst);
        Ok(())
    }
}

/// Appends the whole frame of `cmd` (length prefix included) to `dst`.
pub fn encode_command(cmd: &RemotingCommand, dst: &mut BytesMut) {
    let start = dst.len();
    dst.put_u32(0); // length, patched below
    dst.put_u32(0); // header word, patched below
    let header_start = dst.len();
    match cmd.serialize_type {
        SerializeType::Json => encode_json(cmd, dst),
        SerializeType::RocketMq => encode_binary(cmd, dst),
    }
    let header_len = dst.len() - header_start;
    dst.extend_from_slice(&cmd.body);
    let length = (dst.len() - start - 4) as u32;
    let word = (u32::from(cmd.serialize_type.byte()) << 24) | (header_len as u32 & 0x00FF_FFFF);
    dst[start..start + 4].copy_from_slice(&length.to_be_bytes());
    dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
}
