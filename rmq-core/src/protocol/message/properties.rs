//! The properties string: `name 0x01 value 0x02` repeated, and the well-known keys.

use std::collections::HashMap;

/// Separates a name from its value.
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Ends each pair.
pub const PROPERTY_SEPARATOR: char = '\u{2}';

/// Well-known property keys (`MessageConst`).
pub mod keys {
    pub const KEYS: &str = "KEYS";
    pub const TAGS: &str = "TAGS";
    pub const WAIT_STORE_MSG_OK: &str = "WAIT";
    pub const DELAY_TIME_LEVEL: &str = "DELAY";
    pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
    pub const REAL_TOPIC: &str = "REAL_TOPIC";
    pub const REAL_QUEUE_ID: &str = "REAL_QID";
    pub const TRANSACTION_PREPARED: &str = "TRAN_MSG";
    pub const PRODUCER_GROUP: &str = "PGROUP";
    pub const MIN_OFFSET: &str = "MIN_OFFSET";
    pub const MAX_OFFSET: &str = "MAX_OFFSET";
    pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
    pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
    pub const MSG_REGION: &str = "MSG_REGION";
    pub const TRACE_SWITCH: &str = "TRACE_ON";
    pub const UNIQ_CLIENT_MESSAGE_ID_KEYIDX: &str = "UNIQ_KEY";
    pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
    pub const CONSUME_START_TIMESTAMP: &str = "CONSUME_START_TIME";
    pub const CLUSTER: &str = "CLUSTER";
    pub const TRANSACTION_ID: &str = "__transactionId__";
    pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
    pub const TRANSACTION_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
    pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
    pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
    pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
    pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
    pub const SHARDING_KEY: &str = "__SHARDINGKEY";
}

/// Parses a properties string. Pairs without a separator or shorter than 3 chars are skipped.
pub fn decode_properties(s: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for pair in s.split(PROPERTY_SEPARATOR) {
        if pair.len() < 3 {
            continue;
        }
        if let Some((k, v)) = pair.split_once(NAME_VALUE_SEPARATOR) {
            map.insert(k.to_owned(), v.to_owned());
        }
    }
    map
}

/// The `key`/`value` pairs of a properties string in order (pairs without a name-value
/// separator are skipped; the key is what precedes the first one).
pub fn property_pairs(s: &str) -> impl Iterator<Item = (&str, &str)> {
    let bytes = s.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < bytes.len() {
            let end = memchr::memchr(PROPERTY_SEPARATOR as u8, &bytes[start..])
                .map_or(bytes.len(), |i| start + i);
            let pair_start = start;
            start = end + 1;
            if let Some(i) = memchr::memchr(NAME_VALUE_SEPARATOR as u8, &bytes[pair_start..end]) {
                // Both separators are ASCII, so these are char boundaries.
                let sep = pair_start + i;
                return Some((&s[pair_start..sep], &s[sep + 1..end]));
            }
        }
        None
    })
}

/// Looks one property up without building a map.
pub fn find_property<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    property_pairs(s).find_map(|(k, v)| (k == key).then_some(v))
}

/// Appends one pair to a properties string.
pub fn push_property(out: &mut String, key: &str, value: &str) {
    // Java 4.9.1..5.1.x producers drop the last separator: restore it before appending.
    if !out.is_empty() && !out.ends_with(PROPERTY_SEPARATOR) {
        out.push(PROPERTY_SEPARATOR);
    }
    out.push_str(key);
    out.push(NAME_VALUE_SEPARATOR);
    out.push_str(value);
    out.push(PROPERTY_SEPARATOR);
}

/// Encodes pairs in the order given.
pub fn encode_properties<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        push_property(&mut out, k, v);
    }
    out
}

/// Returns `s` without the pair named `key`.
pub fn remove_property(s: &str, key: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for pair in s.split(PROPERTY_SEPARATOR) {
        match pair.split_once(NAME_VALUE_SEPARATOR) {
            Some((k, v)) if k != key => push_property(&mut out, k, v),
            _ => {}
        }
    }
    out
}

/// Returns `s` with `key` set to `value` (replacing any previous value).
pub fn set_property(s: &str, key: &str, value: &str) -> String {
    let mut out = remove_property(s, key);
    push_property(&mut out, key, value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lookup() {
        let s = encode_properties([("UNIQ_KEY", "AB"), ("TAGS", "TagA"), ("WAIT", "true")]);
        assert_eq!(
            s,
            "UNIQ_KEY\u{1}AB\u{2}TAGS\u{1}TagA\u{2}WAIT\u{1}true\u{2}"
        );
        let m = decode_properties(&s);
        assert_eq!(m.len(), 3);
        assert_eq!(find_property(&s, "TAGS"), Some("TagA"));
        assert_eq!(find_property(&s, "KEYS"), None);
        let r = set_property(&s, "TAGS", "TagB");
        assert_eq!(find_property(&r, "TAGS"), Some("TagB"));
        assert_eq!(decode_properties(&remove_property(&r, "TAGS")).len(), 2);
    }

    #[test]
    fn appends_after_a_string_without_trailing_separator() {
        // As Java 4.9.1..5.1.x producers send it.
        let mut s = String::from("UNIQ_KEY\u{1}AB\u{2}TAGS\u{1}TagA");
        push_property(&mut s, "CLUSTER", "DefaultCluster");
        assert_eq!(find_property(&s, "TAGS"), Some("TagA"));
        assert_eq!(find_property(&s, "CLUSTER"), Some("DefaultCluster"));
    }

    #[test]
    fn skips_malformed_pairs() {
        let m = decode_properties("a\u{2}k\u{1}v\u{2}x\u{1}\u{2}");
        assert_eq!(m.get("k").map(String::as_str), Some("v"));
        assert_eq!(m.len(), 1);
    }
}
