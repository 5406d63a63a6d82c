//! The two header encodings: JSON (serialize type 0) and ROCKETMQ binary (type 1).
//!
//! Decoding is lenient the way the Java broker is (and a little more): `serializeTypeCurrentRPC`
//! may be missing, `extFields` values may be JSON numbers or booleans, `language` may be a name
//! or an ordinal, and unknown keys are ignored.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde::Deserialize;
use serde_json::Value;

use super::command::RemotingCommand;
use super::ext_fields::{wire_key, ExtFields, ExtKey};
use super::language::{LanguageCode, SerializeType};
use super::ProtocolError;

/// The decoded JSON header: read straight into a [`RemotingCommand`], `extFields` entries
/// inserted as they are parsed (no intermediate map, no `Value`s).
struct JsonHeaderIn(RemotingCommand);

/// The header keys the decoder knows; everything else is skipped.
enum HeaderKey {
    Code,
    Language,
    Version,
    Opaque,
    Flag,
    Remark,
    ExtFields,
    Other,
}

impl<'de> Deserialize<'de> for HeaderKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = HeaderKey;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a header key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HeaderKey, E> {
                Ok(match v {
                    "code" => HeaderKey::Code,
                    "language" => HeaderKey::Language,
                    "version" => HeaderKey::Version,
                    "opaque" => HeaderKey::Opaque,
                    "flag" => HeaderKey::Flag,
                    "remark" => HeaderKey::Remark,
                    "extFields" => HeaderKey::ExtFields,
                    _ => HeaderKey::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// `language`: a name (`"JAVA"`) or an ordinal; anything else is `Other`.
struct LanguageIn(LanguageCode);

impl<'de> Deserialize<'de> for LanguageIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LanguageIn;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a language name or ordinal")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LanguageIn, E> {
                Ok(LanguageIn(LanguageCode::from_name(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<LanguageIn, E> {
                Ok(LanguageIn(LanguageCode::from_byte(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<LanguageIn, E> {
                Ok(LanguageIn(LanguageCode::from_byte(
                    i64::try_from(v).unwrap_or(-1),
                )))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<LanguageIn, E> {
                Ok(LanguageIn(LanguageCode::Other))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<LanguageIn, E> {
                Ok(LanguageIn(LanguageCode::Other))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<LanguageIn, E> {
                Ok(LanguageIn(LanguageCode::Other))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<LanguageIn, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(LanguageIn(LanguageCode::Other))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<LanguageIn, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(LanguageIn(LanguageCode::Other))
            }
        }
        d.deserialize_any(V)
    }
}

/// An `extFields` key, allocated only when it is not a one-letter key.
struct KeyIn(ExtKey);

impl<'de> Deserialize<'de> for KeyIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = KeyIn;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an extFields key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeyIn, E> {
                Ok(KeyIn(wire_key(v)))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<KeyIn, E> {
                Ok(KeyIn(if v.len() == 1 { wire_key(&v) } else { v.into() }))
            }
        }
        d.deserialize_str(V)
    }
}

/// `extFields`: an object (entries with null values dropped) or null.
struct ExtFieldsIn(ExtFields);

impl<'de> Deserialize<'de> for ExtFieldsIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ExtFieldsIn;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an extFields object")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<ExtFieldsIn, E> {
                Ok(ExtFieldsIn(ExtFields::new()))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<ExtFieldsIn, E> {
                Ok(ExtFieldsIn(ExtFields::new()))
            }
            fn visit_some<D2: serde::Deserializer<'de>>(
                self,
                d: D2,
            ) -> Result<ExtFieldsIn, D2::Error> {
                d.deserialize_map(V)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ExtFieldsIn, A::Error> {
                let mut fields = ExtFields::new();
                while let Some(key) = map.next_key::<KeyIn>()? {
                    if let ExtValue(Some(v)) = map.next_value()? {
                        fields.insert(key.0, v);
                    }
                }
                Ok(ExtFieldsIn(fields))
            }
        }
        d.deserialize_option(V)
    }
}

impl<'de> Deserialize<'de> for JsonHeaderIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JsonHeaderIn;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a remoting command header object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<JsonHeaderIn, A::Error> {
                let mut cmd = RemotingCommand {
                    code: 0,
                    language: LanguageCode::Other,
                    version: 0,
                    opaque: 0,
                    flag: 0,
                    remark: None,
                    ext_fields: ExtFields::new(),
                    body: Bytes::new(),
                    serialize_type: SerializeType::Json,
                };
                while let Some(key) = map.next_key::<HeaderKey>()? {
                    match key {
                        HeaderKey::Code => cmd.code = map.next_value::<i64>()? as i32,
                        HeaderKey::Language => cmd.language = map.next_value::<LanguageIn>()?.0,
                        HeaderKey::Version => cmd.version = map.next_value::<i64>()? as i32,
                        HeaderKey::Opaque => cmd.opaque = map.next_value::<i64>()? as i32,
                        HeaderKey::Flag => cmd.flag = map.next_value::<i64>()? as i32,
                        HeaderKey::Remark => {
                            cmd.remark = map
                                .next_value::<Option<String>>()?
                                .filter(|r| !r.is_empty())
                        }
                        HeaderKey::ExtFields => cmd.ext_fields = map.next_value::<ExtFieldsIn>()?.0,
                        HeaderKey::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(JsonHeaderIn(cmd))
            }
        }
        d.deserialize_map(V)
    }
}

/// One `extFields` value as sent: a string, a number, a boolean or null.
struct ExtValue(Option<String>);

impl<'de> Deserialize<'de> for ExtValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ExtValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(
                    serde_json::Number::from_f64(v)
                        .map_or_else(|| v.to_string(), |n| n.to_string()),
                )))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(if v { "true" } else { "false" }.to_owned())))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<ExtValue, E> {
                Ok(ExtValue(None))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<ExtValue, E> {
                Ok(ExtValue(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ExtValue, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element::<Value>()? {
                    items.push(v);
                }
                Ok(ExtValue(Some(Value::Array(items).to_string())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ExtValue, A::Error> {
                let mut obj = serde_json::Map::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    obj.insert(k, v);
                }
                Ok(ExtValue(Some(Value::Object(obj).to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

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

/// Decodes a JSON header (the body is attached by the frame codec).
pub fn decode_json(header: &[u8]) -> Result<RemotingCommand, ProtocolError> {
    let h: JsonHeaderIn = serde_json::from_slice(header)?;
    Ok(h.0)
}

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
            ext_fields.insert(wire_key(key), val);
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
