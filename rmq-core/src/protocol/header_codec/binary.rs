//! The ROCKETMQ binary header (serialize type 1).

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::protocol::command::RemotingCommand;
use crate::protocol::ext_fields::{wire_key, ExtFields};
use crate::protocol::language::{LanguageCode, SerializeType};
use crate::protocol::ProtocolError;

/// Encodes the header of `cmd` in the ROCKETMQ binary form into `dst`.
///
/// ```text
/// code:i16 language:u8 version:i16 opaque:i32 flag:i32 remarkLen:i32 remark extLen:i32 ext
/// ext = repeated keyLen:u16 key valLen:u32 val
/// ```
pub fn encode_binary(cmd: &RemotingCommand, dst: &mut BytesMut) {
    dst.put_i16(cmd.code as i16);
    dst.put_u8(cmd.language.byte());
    dst.put_i16(cmd.version as i16);
    dst.put_i32(cmd.opaque);
    dst.put_i32(cmd.flag);
    match cmd.remark.as_deref() {
        Some(r) if !r.is_empty() => {
            dst.put_i32(r.len() as i32);
            dst.put_slice(r.as_bytes());
        }
        _ => dst.put_i32(0),
    }
    let ext_len: usize = cmd
        .ext_fields
        .iter()
        .map(|(k, v)| 2 + k.len() + 4 + v.len())
        .sum();
    dst.put_i32(ext_len as i32);
    for (k, v) in &cmd.ext_fields {
        dst.put_u16(k.len() as u16);
        dst.put_slice(k.as_bytes());
        dst.put_u32(v.len() as u32);
        dst.put_slice(v.as_bytes());
    }
}

fn take<'a>(buf: &mut &'a [u8], n: usize, what: &'static str) -> Result<&'a [u8], ProtocolError> {
    if buf.len() < n {
        return Err(ProtocolError::InvalidBinaryHeader(what));
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

fn utf8(b: &[u8], what: &'static str) -> Result<String, ProtocolError> {
    String::from_utf8(b.to_vec()).map_err(|_| ProtocolError::InvalidBinaryHeader(what))
}

/// Decodes a ROCKETMQ binary header.
pub fn decode_binary(header: &[u8]) -> Result<RemotingCommand, ProtocolError> {
    let mut buf = header;
    let mut fixed = take(&mut buf, 17, "fixed part truncated")?;
    let code = fixed.get_i16() as i32;
    let language = LanguageCode::from_byte(fixed.get_u8() as i64);
    let version = fixed.get_i16() as i32;
    let opaque = fixed.get_i32();
    let flag = fixed.get_i32();
    let remark_len = fixed.get_i32();
    let remark_len = usize::try_from(remark_len)
        .map_err(|_| ProtocolError::InvalidBinaryHeader("negative remark length"))?;
    let remark = utf8(
        take(&mut buf, remark_len, "remark truncated")?,
        "remark is not UTF-8",
    )?;
    let ext_len = take(&mut buf, 4, "ext length truncated")?.get_i32();
    let ext_len = usize::try_from(ext_len)
        .map_err(|_| ProtocolError::InvalidBinaryHeader("negative ext length"))?;
    let mut ext = take(&mut buf, ext_len, "ext map truncated")?;
    let mut ext_fields = ExtFields::new();
    while !ext.is_empty() {
        let klen = take(&mut ext, 2, "ext key length truncated")?.get_u16() as usize;
        let key = std::str::from_utf8(take(&mut ext, klen, "ext key truncated")?)
            .map_err(|_| ProtocolError::InvalidBinaryHeader("ext key is not UTF-8"))?;
        let vlen = take(&mut ext, 4, "ext value length truncated")?.get_u32() as usize;
        let val = utf8(
            take(&mut ext, vlen, "ext value truncated")?,
            "ext value is not UTF-8",
        )?;
        if !key.is_empty() && !val.is_empty() {
            ext_fields.push_received(wire_key(key), val);
        }
    }
    Ok(RemotingCommand {
        code,
        language,
        version,
        opaque,
        flag,
        remark: Some(remark).filter(|r| !r.is_empty()),
        ext_fields,
        body: Bytes::new(),
        serialize_type: SerializeType::RocketMq,
    })
}
