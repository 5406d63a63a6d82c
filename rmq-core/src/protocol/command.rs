//! `RemotingCommand`: one request or response of the remoting protocol.

use std::sync::atomic::{AtomicI32, Ordering};

use bytes::Bytes;

use super::header::CommandHeader;
use super::language::{LanguageCode, SerializeType};
use super::response_code::ResponseCode;
use super::HeaderError;

use super::ext_fields::ExtFields;

/// Flag bit 0: the command is a response.
pub const FLAG_RESPONSE: i32 = 1;
/// Flag bit 1: the request expects no response.
pub const FLAG_ONEWAY: i32 = 2;

/// The version rmq announces: V4_9_4 (401), so servers answer standard JSON.
pub const RMQ_VERSION: i32 = 401;

static NEXT_OPAQUE: AtomicI32 = AtomicI32::new(0);

/// One remoting command: a request, a oneway request, or a response.
///
/// ```text
/// +-------------+-----------------------------------+--------+------+
/// | length: u32 | serializeType << 24 | headerLen   | header | body |
/// +-------------+-----------------------------------+--------+------+
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RemotingCommand {
    /// Request code for requests, response code for responses.
    pub code: i32,
    /// Sender's language.
    pub language: LanguageCode,
    /// Sender's `MQVersion` ordinal.
    pub version: i32,
    /// Request id; a response carries its request's opaque.
    pub opaque: i32,
    /// Bit 0 response, bit 1 oneway.
    pub flag: i32,
    /// Human-readable error text of a response.
    pub remark: Option<String>,
    /// The custom header.
    pub ext_fields: ExtFields,
    /// Raw body bytes.
    pub body: Bytes,
    /// The header encoding this command was received in or will be sent in.
    pub serialize_type: SerializeType,
}

impl RemotingCommand {
    /// A new request with a fresh opaque.
    pub fn request(code: impl Into<i32>) -> Self {
        RemotingCommand {
            code: code.into(),
            language: LanguageCode::Rust,
            version: RMQ_VERSION,
            opaque: NEXT_OPAQUE.fetch_add(1, Ordering::Relaxed) & i32::MAX,
            flag: 0,
            remark: None,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
            serialize_type: SerializeType::Json,
        }
    }

    /// A new request carrying a typed header.
    pub fn request_with_header(code: impl Into<i32>, header: &impl CommandHeader) -> Self {
        let mut cmd = Self::request(code);
        header.write_to(&mut cmd.ext_fields);
        cmd
    }

    /// A new request carrying a typed header, its strings moved in.
    pub fn request_with_owned_header(code: impl Into<i32>, header: impl CommandHeader) -> Self {
        let mut cmd = Self::request(code);
        header.into_fields(&mut cmd.ext_fields);
        cmd
    }

    /// Takes a typed header out of `extFields`, moving its strings out.
    pub fn take_header<H: CommandHeader>(&mut self) -> Result<H, HeaderError> {
        H::take_from(&mut self.ext_fields)
    }

    /// A response to `self` with the given code; it copies the opaque and the serialize type.
    pub fn response_to(&self, code: impl Into<i32>) -> Self {
        RemotingCommand {
            code: code.into(),
            language: LanguageCode::Java,
            version: RMQ_VERSION,
            opaque: self.opaque,
            flag: FLAG_RESPONSE,
            remark: None,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
            serialize_type: self.serialize_type,
        }
    }

    /// A successful response to `self`.
    pub fn success_to(&self) -> Self {
        self.response_to(ResponseCode::Success)
    }

    /// An error response to `self` with a remark.
    pub fn error_to(&self, code: ResponseCode, remark: impl Into<String>) -> Self {
        self.response_to(code).with_remark(remark)
    }

    /// Sets the remark.
    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Writes a typed header into `extFields`.
    pub fn with_header(mut self, header: &impl CommandHeader) -> Self {
        header.write_to(&mut self.ext_fields);
        self
    }

    /// Marks the request oneway.
    pub fn oneway(mut self) -> Self {
        self.flag |= FLAG_ONEWAY;
        self
    }

    /// Reads a typed header from `extFields`.
    pub fn decode_header<H: CommandHeader>(&self) -> Result<H, HeaderError> {
        H::read_from(&self.ext_fields)
    }

    /// Whether this is a response.
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    /// Whether this request expects no response.
    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    /// The response code as an enum, when known.
    pub fn response_code(&self) -> Option<ResponseCode> {
        ResponseCode::from_code(self.code)
    }

    /// The remark, or "" when absent.
    pub fn remark_str(&self) -> &str {
        self.remark.as_deref().unwrap_or("")
    }
}
