//! Writing JSON headers.

use bytes::{BufMut, BytesMut};

use crate::protocol::command::RemotingCommand;

/// Encodes the header of `cmd` as JSON into `dst`, byte for byte what `serde_json` writes
/// for the header object (keys in this order, `extFields` and `remark` left out when empty).
pub fn encode_json(cmd: &RemotingCommand, dst: &mut BytesMut) {
    let mut num = itoa::Buffer::new();
    dst.put_slice(b"{\"code\":");
    dst.put_slice(num.format(cmd.code).as_bytes());
    if !cmd.ext_fields.is_empty() {
        dst.put_slice(b",\"extFields\":{");
        for (i, (k, v)) in cmd.ext_fields.iter().enumerate() {
            if i > 0 {
                dst.put_u8(b',');
            }
            put_json_str(dst, k);
            dst.put_u8(b':');
            put_json_str(dst, v);
        }
        dst.put_u8(b'}');
    }
    dst.put_slice(b",\"flag\":");
    dst.put_slice(num.format(cmd.flag).as_bytes());
    dst.put_slice(b",\"language\":");
    put_json_str(dst, cmd.language.name());
    dst.put_slice(b",\"opaque\":");
    dst.put_slice(num.format(cmd.opaque).as_bytes());
    if let Some(r) = cmd.remark.as_deref() {
        dst.put_slice(b",\"remark\":");
        put_json_str(dst, r);
    }
    dst.put_slice(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    dst.put_slice(num.format(cmd.version).as_bytes());
    dst.put_u8(b'}');
}

/// Writes `s` as a JSON string: `"` and `\\` escaped, control characters as `\n`-style short
/// forms or `\u00xx`, everything else (UTF-8 included) as is.
fn put_json_str(dst: &mut BytesMut, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    dst.reserve(bytes.len() + 2);
    dst.put_u8(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0x00..=0x1f => 0,
            _ => continue,
        };
        dst.put_slice(&bytes[start..i]);
        start = i + 1;
        if short != 0 {
            dst.put_slice(&[b'\\', short]);
        } else {
            dst.put_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        }
    }
    dst.put_slice(&bytes[start..]);
    dst.put_u8(b'"');
}
