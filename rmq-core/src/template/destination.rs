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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_topic_and_tag() {
        assert_eq!(
            Destination::parse("orders:created").unwrap(),
            Destination {
                topic: "orders".into(),
                tag: Some("created".into())
            }
        );
        assert_eq!(Destination::parse("orders").unwrap().tag, None);
        assert_eq!(Destination::parse("orders:").unwrap().tag, None);
        assert!(Destination::parse(":tag").is_err());
    }
}
