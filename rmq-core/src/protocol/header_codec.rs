//! The two header encodings: JSON (serialize type 0) and ROCKETMQ binary (type 1).
//!
//! Decoding is lenient the way the Java broker is (and a little more): `serializeTypeCurrentRPC`
//! may be missing, `extFields` values may be JSON numbers or booleans, `language` may be a name
//! or an ordinal, and unknown keys are ignored.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::command::{ExtFields, RemotingCommand};
use super::language::{LanguageCode, SerializeType};
use super::ProtocolError;

#[derive(Serialize)]
struct JsonHeaderOut<'a> {
    code: i32,
    #[serde(rename = "extFields", skip_serializing_if = "ExtFields::is_empty")]
    ext_fields: &'a ExtFields,
    flag: i32,
    language: &'static str,
    opaque: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    remark: Option<&'a str>,
    #[serde(rename = "serializeTypeCurrentRPC")]
    serialize_type: &'static str,
    version: i32,
}

#[derive(Deserialize)]
struct JsonHeaderIn {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    language: Option<Value>,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    opaque: i64,
    #[serde(default)]
    flag: i64,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default, rename = "extFields")]
    ext_fields: Option<std::collections::BTreeMap<String, ExtValue>>,
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

/// Encodes the header of `cmd` as JSON into `dst`.
pub fn encode_json(cmd: &RemotingCommand, dst: &mut BytesMut) {
    let out = JsonHeaderOut {
        code: cmd.code,
        ext_fields: &cmd.ext_fields,
        flag: cmd.flag,
        language: cmd.language.name(),
        opaque: cmd.opaque,
        remark: cmd.remark.as_deref(),
        serialize_type: "JSON",
        version: cmd.version,
    };
    // Serializing plain strings and integers into memory cannot fail.
    serde_json::to_writer(dst.writer(), &out).expect("JSON header serialization is infallible");
}

/// Decodes a JSON header (the body is attached by the frame codec).
pub fn decode_json(header: &[u8]) -> Result<RemotingCommand, ProtocolError> {
    let h: JsonHeaderIn = serde_json::from_slice(header)?;
    let language = match h.language {
        Some(Value::String(s)) => LanguageCode::from_name(&s),
        Some(Value::Number(n)) => LanguageCode::from_byte(n.as_i64().unwrap_or(7)),
        _ => LanguageCode::Other,
    };
    let ext_fields = h
        .ext_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| v.0.map(|v| (k, v)))
        .collect();
    Ok(RemotingCommand {
        code: h.code as i32,
        language,
        version: h.version as i32,
        opaque: h.opaque as i32,
        flag: h.flag as i32,
        remark: h.remark.filter(|r| !r.is_empty()),
        ext_fields,
        body: Bytes::new(),
        serialize_type: SerializeType::Json,
    })
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
        let key = utf8(
            take(&mut ext, klen, "ext key truncated")?,
            "ext key is not UTF-8",
        )?;
        let vlen = take(&mut ext, 4, "ext value length truncated")?.get_u32() as usize;
        let val = utf8(
            take(&mut ext, vlen, "ext value truncated")?,
            "ext value is not UTF-8",
        )?;
        if !key.is_empty() && !val.is_empty() {
            ext_fields.insert(key, val);
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
