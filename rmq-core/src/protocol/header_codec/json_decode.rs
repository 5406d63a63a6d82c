//! Reading JSON headers: a small parser for the header object, written for the one shape it
//! reads (every request and response passes through it).
//!
//! It accepts any valid JSON object and reads the keys it knows: `code`, `language`,
//! `version`, `opaque`, `flag`, `remark`, `extFields`; other keys are skipped. `extFields`
//! values are kept as strings: strings as they are, numbers and booleans as their text, nested
//! arrays and objects as compact JSON, nulls dropped. Whitespace may follow the object (the
//! C++ client ends its header with a newline); anything else is an error.

use std::borrow::Cow;

use bytes::Bytes;

use crate::protocol::command::RemotingCommand;
use crate::protocol::ext_fields::{wire_key, ExtFields};
use crate::protocol::language::{LanguageCode, SerializeType};
use crate::protocol::ProtocolError;

/// Nesting allowed inside skipped or nested values (serde_json's limit).
const MAX_DEPTH: usize = 128;

/// Decodes a JSON header (the body is attached by the frame codec).
pub fn decode_json(header: &[u8]) -> Result<RemotingCommand, ProtocolError> {
    let text = std::str::from_utf8(header).map_err(|e| ProtocolError::InvalidJsonHeader {
        offset: e.valid_up_to(),
        reason: "not UTF-8",
    })?;
    let mut p = Parser { text, pos: 0 };
    let cmd = p.header()?;
    p.skip_ws();
    if p.pos != p.text.len() {
        return Err(p.error("trailing characters after the header object"));
    }
    Ok(cmd)
}

/// One JSON scalar or container, as far as the header needs to tell them apart.
enum Scalar<'a> {
    Str(Cow<'a, str>),
    /// The literal text of a number.
    Num(&'a str),
    Bool(bool),
    Null,
    /// The raw text of an array or object.
    Nested(&'a str),
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, reason: &'static str) -> ProtocolError {
        ProtocolError::InvalidJsonHeader {
            offset: self.pos,
            reason,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8, reason: &'static str) -> Result<(), ProtocolError> {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    /// Calls `entry` for each key of an object (the opening brace not yet read); `entry`
    /// must consume the value.
    fn object(
        &mut self,
        mut entry: impl FnMut(&mut Self, &str) -> Result<(), ProtocolError>,
    ) -> Result<(), ProtocolError> {
        self.expect(b'{', "expected an object")?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.expect(b'"', "expected a key")?;
            let key = self.string_body()?;
            self.expect(b':', "expected ':' after a key")?;
            entry(self, &key)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected ',' or '}' in an object")),
            }
        }
    }

    fn header(&mut self) -> Result<RemotingCommand, ProtocolError> {
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
        self.object(|p, key| {
            match key {
                "code" => cmd.code = p.integer()? as i32,
                "version" => cmd.version = p.integer()? as i32,
                "opaque" => cmd.opaque = p.integer()? as i32,
                "flag" => cmd.flag = p.integer()? as i32,
                "language" => {
                    cmd.language = match p.value(0)? {
                        Scalar::Str(s) => LanguageCode::from_name(&s),
                        Scalar::Num(n) => n
                            .parse::<i64>()
                            .map_or(LanguageCode::Other, LanguageCode::from_byte),
                        _ => LanguageCode::Other,
                    }
                }
                "remark" => {
                    cmd.remark = match p.value(0)? {
                        Scalar::Str(s) => Some(s.into_owned()).filter(|s| !s.is_empty()),
                        Scalar::Null => None,
                        _ => return Err(p.error("remark must be a string")),
                    }
                }
                "extFields" => {
                    p.skip_ws();
                    if p.bytes()[p.pos..].starts_with(b"null") {
                        p.pos += 4;
                    } else {
                        cmd.ext_fields = p.ext_fields()?;
                    }
                }
                _ => {
                    p.value(0)?;
                }
            }
            Ok(())
        })?;
        Ok(cmd)
    }

    fn ext_fields(&mut self) -> Result<ExtFields, ProtocolError> {
        let mut fields = ExtFields::with_capacity(16);
        self.object(|p, key| {
            let value = match p.value(0)? {
                Scalar::Str(s) => s.into_owned(),
                Scalar::Num(n) => number_text(n),
                Scalar::Bool(b) => if b { "true" } else { "false" }.to_owned(),
                Scalar::Null => return Ok(()),
                Scalar::Nested(raw) => compact_json(raw),
            };
            fields.push_received(wire_key(key), value);
            Ok(())
        })?;
        Ok(fields)
    }

    /// An integer value (`code`, `opaque`, …).
    fn integer(&mut self) -> Result<i64, ProtocolError> {
        match self.value(0)? {
            Scalar::Num(n) => n
                .parse::<i64>()
                .map_err(|_| self.error("expected an integer")),
            _ => Err(self.error("expected an integer")),
        }
    }

    /// Any value; containers are validated and returned raw.
    fn value(&mut self, depth: usize) -> Result<Scalar<'a>, ProtocolError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string_body().map(Scalar::Str)
            }
            Some(b'{' | b'[') => {
                self.skip_container(depth)?;
                Ok(Scalar::Nested(&self.text[start..self.pos]))
            }
            Some(b't') => self.literal("true", Scalar::Bool(true)),
            Some(b'f') => self.literal("false", Scalar::Bool(false)),
            Some(b'n') => self.literal("null", Scalar::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &'static str, v: Scalar<'a>) -> Result<Scalar<'a>, ProtocolError> {
        if self.bytes()[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Scalar<'a>, ProtocolError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = self.digits();
        if n == 0 || (n > 1 && self.bytes()[int_start] == b'0') {
            return Err(self.error("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(Scalar::Num(&self.text[start..self.pos]))
    }

    /// Validates an array or object and moves past it.
    fn skip_container(&mut self, depth: usize) -> Result<(), ProtocolError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        let (close, is_object) = match self.peek() {
            Some(b'{') => (b'}', true),
            _ => (b']', false),
        };
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if is_object {
                self.expect(b'"', "expected a key")?;
                self.string_body()?;
                self.expect(b':', "expected ':' after a key")?;
            }
            self.value(depth + 1)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected ',' or the end of a container")),
            }
        }
    }

    /// A string's contents after its opening quote (borrowed when it has no escape); moves
    /// past the closing quote.
    fn string_body(&mut self) -> Result<Cow<'a, str>, ProtocolError> {
        let bytes = self.bytes();
        let rest = &bytes[self.pos..];
        // Fast path: no escape before the closing quote.
        match memchr::memchr2(b'"', b'\\', rest) {
            Some(i) if rest[i] == b'"' => {
                let s = &self.text[self.pos..self.pos + i];
                self.pos += i + 1;
                return Ok(Cow::Borrowed(s));
            }
            None => return Err(self.error("unterminated string")),
            Some(_) => {}
        }
        let mut out = String::with_capacity(rest.len().min(256));
        loop {
            let rest = &bytes[self.pos..];
            let Some(i) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err(self.error("unterminated string"));
            };
            out.push_str(&self.text[self.pos..self.pos + i]);
            self.pos += i + 1;
            if rest[i] == b'"' {
                return Ok(Cow::Owned(out));
            }
            let Some(e) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match e {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let c = self.unicode_escape()?;
                    out.push(c);
                }
                _ => return Err(self.error("invalid escape")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ProtocolError> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.pos += 4;
        u32::from_str_radix(hex, 16).map_err(|_| self.error("invalid \\u escape"))
    }

    /// The character of a `\u` escape (its `u` read), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, ProtocolError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.bytes()[self.pos..].starts_with(b"\\u") {
                    return Err(self.error("lone leading surrogate"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("invalid surrogate pair"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("lone trailing surrogate")),
            c => c,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }
}

/// The text of a number value: integers as written (`-0` as `0`), other numbers as
/// serde_json prints them (`1e3` → `1000.0`).
fn number_text(n: &str) -> String {
    let plain = n.bytes().all(|b| b.is_ascii_digit() || b == b'-') && n.len() <= 18;
    if plain {
        if n == "-0" {
            return "0".to_owned();
        }
        return n.to_owned();
    }
    serde_json::from_str::<serde_json::Number>(n).map_or_else(|_| n.to_owned(), |v| v.to_string())
}

/// Nested arrays and objects as compact JSON text.
fn compact_json(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .map_or_else(|_| raw.to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(json: &str) -> ExtFields {
        decode_json(json.as_bytes()).unwrap().ext_fields
    }

    #[test]
    fn values_become_strings() {
        let f = ext(
            r#"{"extFields":{"s":"x","i":-12,"z":-0,"f":1.5,"e":1e3,"t":true,"n":null,"a":[1, {"k" : "v"}],"o":{}}}"#,
        );
        let get = |k: &str| f.get(k).map(String::as_str);
        assert_eq!(get("s"), Some("x"));
        assert_eq!(get("i"), Some("-12"));
        assert_eq!(get("z"), Some("0"));
        assert_eq!(get("f"), Some("1.5"));
        assert_eq!(get("e"), Some("1000.0"));
        assert_eq!(get("t"), Some("true"));
        assert_eq!(get("n"), None);
        assert_eq!(get("a"), Some(r#"[1,{"k":"v"}]"#));
        assert_eq!(get("o"), Some("{}"));
    }

    #[test]
    fn escapes_decode() {
        let f =
            ext(r#"{"extFields":{"p":"A\u0001b\u0002\"q\"\\\/\n\t\b\f\r\u00e9\ud83d\ude00x"}}"#);
        assert_eq!(
            f.get("p").map(String::as_str),
            Some("A\u{1}b\u{2}\"q\"\\/\n\t\u{8}\u{c}\r\u{e9}\u{1F600}x")
        );
    }

    #[test]
    fn unknown_keys_are_skipped_and_whitespace_allowed() {
        let cmd = decode_json(
            b" {\"x\":{\"y\":[true,false,null,\"}\"]},\"code\" : 11 ,\"flag\":1,\"remark\":null,\"language\":\"CPP\",\"opaque\":-3,\"extFields\":null}\n",
        )
        .unwrap();
        assert_eq!((cmd.code, cmd.flag, cmd.opaque), (11, 1, -3));
        assert_eq!(cmd.language, LanguageCode::Cpp);
        assert!(cmd.ext_fields.is_empty() && cmd.remark.is_none());
    }

    #[test]
    fn malformed_headers_are_errors() {
        for bad in [
            &b""[..],
            b"[]",
            b"{",
            b"{\"code\":1",
            b"{\"code\":1,}",
            b"{\"code\":\"1\"}",
            b"{\"code\":1.5}",
            b"{\"code\":01}",
            b"{\"remark\":1}",
            b"{\"extFields\":{\"a\":\"unterminated}}",
            b"{\"extFields\":{\"a\":\"\\x\"}}",
            b"{\"extFields\":{\"a\":\"\\ud800\"}}",
            b"{\"extFields\":{\"a\":tru}}",
            b"{\"extFields\":[]}",
            b"{} x",
            b"{\"a\":\"\xff\"}",
        ] {
            assert!(
                matches!(
                    decode_json(bad),
                    Err(ProtocolError::InvalidJsonHeader { .. })
                ),
                "{:?} should fail",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(decode_json(deep.as_bytes()).is_err());
    }

    #[test]
    fn agrees_with_serde_json_on_what_it_accepts() {
        let header = br#"{"code":310,"extFields":{"a":"g","b":"T","i":"UNIQ_KEY\u0001AB\u0002"},"flag":0,"language":"JAVA","opaque":9,"serializeTypeCurrentRPC":"JSON","version":401}"#;
        let cmd = decode_json(header).unwrap();
        let v: serde_json::Value = serde_json::from_slice(header).unwrap();
        assert_eq!(cmd.code, v["code"].as_i64().unwrap() as i32);
        assert_eq!(cmd.opaque, 9);
        assert_eq!(cmd.version, 401);
        assert_eq!(cmd.language, LanguageCode::Java);
        for (k, val) in v["extFields"].as_object().unwrap() {
            assert_eq!(
                cmd.ext_fields.get(k.as_str()),
                Some(&val.as_str().unwrap().to_owned())
            );
        }
    }
}
