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
/// unrelated variables bind to nothing).
pub fn key_of_env(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    KNOWN_KEYS.iter().copied().find(|k| env_name_of(k) == upper)
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
        assert_eq!(key_of_env("ROCKETMQ_HOME"), None);
    }
}
