//! fastjson's non-standard map keys, read and written.
//!
//! Java's fastjson writes `Map<MessageQueue, V>` with the key object itself as the key
//! (`{{"brokerName":"b","queueId":0,"topic":"T"}:{...}}`) and `Map<Long, V>` with unquoted
//! numbers (`{0:"a"}`). Neither is JSON; Java tools (mqadmin, the dashboard) expect the first
//! form for MessageQueue-keyed tables.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Decodes a body a Java peer wrote with fastjson: standard JSON directly, else after
/// [`fastjson_to_json`] (a Java NameServer writes `brokerAddrs` as `{0:"host:port"}` unless the
/// request asked for standard JSON, which 4.x NameServers and GET_BROKER_CLUSTER_INFO ignore).
pub fn from_fastjson_slice<T: DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(first) => match std::str::from_utf8(body) {
            Ok(text) => serde_json::from_str(&fastjson_to_json(text)),
            Err(_) => Err(first),
        },
    }
}

/// Rewrites fastjson's map keys into JSON strings so `serde_json` can read the text: an object
/// used as a key becomes the string of its text, an unquoted numeric key is quoted. Valid JSON
/// passes through unchanged.
pub fn fastjson_to_json(text: &str) -> String {
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len() + 16);
    // true: object, false: array.
    let mut stack: Vec<bool> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let end = string_end(b, i);
                out.extend_from_slice(&b[i..end]);
                i = end;
                expect_key = false;
                continue;
            }
            b'{' if expect_key => {
                let end = balanced_end(b, i);
                let key = serde_json::to_string(&text[i..end]).unwrap_or_default();
                out.extend_from_slice(key.as_bytes());
                i = end;
                expect_key = false;
                continue;
            }
            b'-' | b'0'..=b'9' if expect_key => {
                let start = i;
                while i < b.len() && (b[i] == b'-' || b[i].is_ascii_digit()) {
                    i += 1;
                }
                out.push(b'"');
                out.extend_from_slice(&b[start..i]);
                out.push(b'"');
                expect_key = false;
                continue;
            }
            b'{' => {
                stack.push(true);
                expect_key = true;
            }
            b'[' => {
                stack.push(false);
                expect_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => expect_key = stack.last() == Some(&true),
            b':' => expect_key = false,
            c if c.is_ascii_whitespace() => {}
            _ => expect_key = false,
        }
        out.push(c);
        i += 1;
    }
    // Only ASCII was inserted and whole UTF-8 sequences were copied.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The index just past the string starting at `b[start] == '"'`.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// The index just past the object or array starting at `b[start]`.
fn balanced_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = string_end(b, i);
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Writes a map whose keys are objects the way fastjson does: `{KEY_JSON:VALUE_JSON,...}`.
pub fn write_object_keyed_map<'a, K, V>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'a K, &'a V)>,
) where
    K: Serialize + 'a,
    V: Serialize + 'a,
{
    out.push('{');
    let mut first = true;
    for (k, v) in entries {
        let (Ok(k), Ok(v)) = (serde_json::to_string(k), serde_json::to_string(v)) else {
            continue;
        };
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&k);
        out.push(':');
        out.push_str(&v);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_and_numeric_keys_become_strings() {
        let text = r#"{"t":{{"brokerName":"b","queueId":0,"topic":"T"}:{"x":1}, 7:"a", -1 : "b"},"s":"{{:}}","l":[{"a":1},2]}"#;
        let json = fastjson_to_json(text);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let t = v["t"].as_object().unwrap();
        assert_eq!(
            t[r#"{"brokerName":"b","queueId":0,"topic":"T"}"#]["x"],
            serde_json::json!(1)
        );
        assert_eq!(t["7"], "a");
        assert_eq!(t["-1"], "b");
        assert_eq!(v["s"], "{{:}}");
        assert_eq!(v["l"][1], 2);
        let plain = r#"{"a":[1,2,{"b":"ü"}],"c":-3}"#;
        assert_eq!(fastjson_to_json(plain), plain);
    }

    #[test]
    fn cluster_info_of_a_java_name_server_decodes() {
        // GET_BROKER_CLUSTER_INFO as the Apache 5.3.3 NameServer answered it (fastjson keys).
        let body = br#"{"brokerAddrTable":{"broker-j":{"brokerAddrs":{0:"127.0.0.1:20911"},"brokerName":"broker-j","cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-j"]}}"#;
        assert!(serde_json::from_slice::<super::super::ClusterInfo>(body).is_err());
        let info: super::super::ClusterInfo = from_fastjson_slice(body).unwrap();
        assert_eq!(
            info.broker_addr_table["broker-j"].master_addr(),
            Some("127.0.0.1:20911")
        );
        assert!(info.cluster_addr_table["DefaultCluster"].contains("broker-j"));
    }

    #[test]
    fn writes_object_keys() {
        let mut s = String::new();
        let m: std::collections::BTreeMap<(i32, i32), i32> = [((1, 2), 3)].into_iter().collect();
        write_object_keyed_map(&mut s, m.iter());
        assert_eq!(s, "{[1,2]:3}");
    }
}
