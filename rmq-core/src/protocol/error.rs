//! Errors of the protocol layer: framing, header decoding, bodies and messages.

/// A frame or header that cannot be decoded. The connection that sent it should be closed.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The length prefix is below the minimum (4) or above the 16 MiB frame limit.
    #[error("frame length {length} is out of range (4..={max})")]
    BadFrameLength { length: usize, max: usize },
    /// The header length word claims more bytes than the frame holds.
    #[error("header length {header_len} exceeds frame length {frame_len}")]
    HeaderTooLong { header_len: usize, frame_len: usize },
    /// The high byte of the header-length word is neither 0 (JSON) nor 1 (ROCKETMQ).
    #[error("unknown serialize type {0}")]
    UnknownSerializeType(u8),
    /// The JSON header does not parse.
    #[error("invalid JSON header at byte {offset}: {reason}")]
    InvalidJsonHeader { offset: usize, reason: &'static str },
    /// The binary header is truncated or holds invalid UTF-8.
    #[error("invalid ROCKETMQ header: {0}")]
    InvalidBinaryHeader(&'static str),
    /// Socket error while reading or writing frames.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// A typed header could not be read from a command's `extFields`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A required field (`@CFNotNull` in Java) is absent.
    #[error("the custom field <{0}> is null")]
    Missing(&'static str),
    /// A field holds a value of the wrong type.
    #[error("the custom field <{key}> has an invalid value {value:?}")]
    Invalid { key: &'static str, value: String },
}

/// A stored message, batch or property string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageDecodeError {
    /// Fewer bytes than the record claims.
    #[error("message record truncated: need {need} bytes, have {have}")]
    Truncated { need: usize, have: usize },
    /// The magic code is not a message magic code.
    #[error("bad magic code {0:#010x}")]
    BadMagic(u32),
    /// The stored body CRC does not match the body.
    #[error("body crc mismatch: stored {stored}, computed {computed}")]
    BadCrc { stored: u32, computed: u32 },
    /// A length field is negative or inconsistent with the total size.
    #[error("inconsistent record: {0}")]
    Inconsistent(&'static str),
    /// The body could not be inflated.
    #[error("cannot decompress body: {0}")]
    Decompress(String),
}
