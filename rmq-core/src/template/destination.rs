//! `topic` or `topic:tag` destinations, as rocketmq-spring writes them.

use super::TemplateError;

/// A parsed destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The topic.
    pub topic: String,
    /// The tag after `:`, if any.
    pub tag: Option<String>,
}

impl Destination {
    /// Parses `topic` or `topic:tag`.
    pub fn parse(destination: &str) -> Result<Destination, TemplateError> {
        let (topic, tag) = match destination.split_once(':') {
            Some((topic, tag)) => (topic.trim(), Some(tag.trim())),
            None => (destination.trim(), None),
        };
        if topic.is_empty() {
            return Err(TemplateError::Destination(format!(
                "{destination:?} has no topic (expected `topic` or `topic:tag`)"
            )));
        }
        Ok(Destination {
            topic: topic.to_owned(),
            tag: tag.filter(|t| !t.is_empty()).map(str::to_owned),
        })
    }
}

/// Java's `String.hashCode()`, so that `hash_key` picks the same queue as rocketmq-spring's
/// `SelectMessageQueueByHash` does.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The queue index `SelectMessageQueueByHash` picks for `hash_key` among `queues`.
pub fn select_by_hash(hash_key: &str, queues: usize) -> usize {
    if queues == 0 {
        return 0;
    }
    let n = i32::try_from(queues).unwrap_or(i32::MAX);
    (java_string_hash(hash_key) % n).unsigned_abs() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_topic_and_tag() {
        assert_eq!(
            Destination::parse("orders:created").unwrap(),
            Destination { topic: "orders".into(), tag: Some("created".into()) }
        );
        assert_eq!(Destination::parse("orders").unwrap().tag, None);
        assert_eq!(Destination::parse("orders:").unwrap().tag, None);
        assert!(Destination::parse(":tag").is_err());
    }

    #[test]
    fn java_hash_matches() {
        // Java: "hello".hashCode() == 99162322, "order-7".hashCode() == -1207111304.
        assert_eq!(java_string_hash("hello"), 99162322);
        assert_eq!(java_string_hash("order-7"), -1207111304);
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(select_by_hash("hello", 4), 2);
    }
}
