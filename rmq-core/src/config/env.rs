//! Spring's relaxed binding of environment variables: `ROCKETMQ_NAME_SERVER` →
//! `rocketmq.name-server`.

use super::properties::KNOWN_KEYS;

/// The canonical environment variable name of a dotted key: upper case, `.` and `-` → `_`.
pub fn env_name_of(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '.' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// The `rocketmq.*` key an environment variable binds to, if any (`ROCKETMQ_HOME` and other
/// unrelated variables bind to nothing). Like Spring, dashes may be dropped:
/// `ROCKETMQ_NAMESERVER` and `ROCKETMQ_NAME_SERVER` both bind `rocketmq.name-server`.
pub fn key_of_env(name: &str) -> Option<&'static str> {
    let wanted = squash(name);
    if !name.to_ascii_uppercase().starts_with("ROCKETMQ_") {
        return None;
    }
    KNOWN_KEYS
        .iter()
        .map(String::as_str)
        .find(|k| squash(k) == wanted)
}

fn squash(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_names() {
        assert_eq!(
            key_of_env("ROCKETMQ_NAME_SERVER"),
            Some("rocketmq.name-server")
        );
        assert_eq!(
            key_of_env("ROCKETMQ_PRODUCER_SEND_MESSAGE_TIMEOUT"),
            Some("rocketmq.producer.send-message-timeout")
        );
        assert_eq!(
            key_of_env("ROCKETMQ_PULL_CONSUMER_GROUP"),
            Some("rocketmq.pull-consumer.group")
        );
        assert_eq!(
            key_of_env("ROCKETMQ_NAMESERVER"),
            Some("rocketmq.name-server")
        );
        assert_eq!(
            key_of_env("ROCKETMQ_PULLCONSUMER_GROUP"),
            Some("rocketmq.pull-consumer.group")
        );
        assert_eq!(key_of_env("ROCKETMQ_HOME"), None);
        assert_eq!(key_of_env("ROCKETMQNAME_SERVER"), None);
    }
}
