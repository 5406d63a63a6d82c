//! `ExtFields`: the custom header, a small string-to-string map.
//!
//! A header has a handful to a few dozen entries, written once and read a few times, so the
//! entries live in one vector in insertion order (lookups scan it) and keys written by typed
//! headers are `&'static str` (no allocation). Keys a peer sent are owned strings, except the
//! one-letter keys of SEND_MESSAGE_V2, which are mapped back to static ones.

use std::borrow::Cow;
use std::fmt;

/// A key of the custom header.
pub type ExtKey = Cow<'static, str>;

/// The custom header (`extFields`): string keys to string values, one value per key.
///
/// Equality ignores order; iteration yields entries in insertion order.
#[derive(Clone, Default)]
pub struct ExtFields {
    entries: Vec<(ExtKey, String)>,
}

/// The one-letter keys of `SendMessageRequestHeaderV2` (and any other one-letter key).
const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Keys of frequent headers (send and pull responses, offsets), kept static when received.
const COMMON_KEYS: [&str; 16] = [
    "msgId",
    "queueId",
    "queueOffset",
    "MSG_REGION",
    "TRACE_ON",
    "transactionId",
    "topic",
    "consumerGroup",
    "offset",
    "commitOffset",
    "nextBeginOffset",
    "minOffset",
    "maxOffset",
    "suggestWhichBrokerId",
    "brokerName",
    "clientId",
];

/// A received key: one ASCII letter or a common key maps to a static string, anything else
/// is owned.
pub fn wire_key(key: &str) -> ExtKey {
    if key.len() > 1 {
        if let Some(k) = COMMON_KEYS.iter().find(|k| **k == key) {
            return Cow::Borrowed(k);
        }
    }
    match key.as_bytes() {
        [b] if b.is_ascii_alphabetic() => {
            let i = if b.is_ascii_lowercase() {
                usize::from(b - b'a')
            } else {
                26 + usize::from(b - b'A')
            };
            Cow::Borrowed(&LETTERS[i..=i])
        }
        _ => Cow::Owned(key.to_owned()),
    }
}

impl ExtFields {
    /// An empty header.
    pub const fn new() -> Self {
        ExtFields {
            entries: Vec::new(),
        }
    }

    /// An empty header with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        ExtFields {
            entries: Vec::with_capacity(n),
        }
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: impl Into<ExtKey>, value: impl Into<String>) -> Option<String> {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().rev().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Sets a typed header's field: appended as is when the header was empty before the
    /// typed header started writing (`fresh`: each of its keys is new), inserted otherwise.
    pub(crate) fn put_field(&mut self, fresh: bool, key: &'static str, value: String) {
        if fresh {
            self.entries.push((Cow::Borrowed(key), value));
        } else {
            self.insert(key, value);
        }
    }

    /// Appends a received entry without looking for an earlier one with the same key (a
    /// peer sends each key once; should one repeat, lookups find the last, as a JSON map
    /// keeps the last).
    pub(crate) fn push_received(&mut self, key: ExtKey, value: String) {
        self.entries.push((key, value));
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Moves the value of `key` out, leaving the entry with an empty value.
    pub fn take_value(&mut self, key: &str) -> Option<String> {
        self.entries
            .iter_mut()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| std::mem::take(v))
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.entries.iter().rposition(|(k, _)| k == key)?;
        let value = self.entries.remove(i).1;
        self.entries.retain(|(k, _)| k != key);
        Some(value)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &String)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// The keys in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }
}

impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for ExtFields {}

impl fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a ExtFields {
    type Item = (&'a str, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (ExtKey, String)>,
        fn(&'a (ExtKey, String)) -> (&'a str, &'a String),
    >;

    fn into_iter(self) -> Self::IntoIter {
        fn pair(e: &(ExtKey, String)) -> (&str, &String) {
            (e.0.as_ref(), &e.1)
        }
        self.entries.iter().map(pair)
    }
}

impl<K: Into<ExtKey>, V: Into<String>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut out = ExtFields::new();
        for (k, v) in iter {
            out.insert(k, v);
        }
        out
    }
}

impl<K: Into<ExtKey>, V: Into<String>> Extend<(K, V)> for ExtFields {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl serde::Serialize for ExtFields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces_and_keeps_order() {
        let mut f = ExtFields::new();
        assert_eq!(f.insert("b", "1"), None);
        assert_eq!(f.insert(String::from("a"), "2"), None);
        assert_eq!(f.insert("b", "3"), Some("1".to_owned()));
        assert_eq!(
            f.iter().collect::<Vec<_>>(),
            [("b", &"3".to_owned()), ("a", &"2".to_owned())]
        );
        assert_eq!(f.remove("b"), Some("3".to_owned()));
        assert!(!f.contains_key("b") && f.contains_key("a") && f.len() == 1);
    }

    #[test]
    fn equality_ignores_order() {
        let x: ExtFields = [("a", "1"), ("b", "2")].into_iter().collect();
        let y: ExtFields = [("b", "2"), ("a", "1")].into_iter().collect();
        let z: ExtFields = [("b", "2"), ("a", "9")].into_iter().collect();
        assert_eq!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn one_letter_wire_keys_are_static() {
        assert!(matches!(wire_key("a"), Cow::Borrowed("a")));
        assert!(matches!(wire_key("Z"), Cow::Borrowed("Z")));
        assert!(matches!(wire_key("topic"), Cow::Borrowed("topic")));
        assert!(matches!(wire_key("topics"), Cow::Owned(ref s) if s == "topics"));
        assert!(matches!(wire_key("é"), Cow::Owned(_)));
    }
}
