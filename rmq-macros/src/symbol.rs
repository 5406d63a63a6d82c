//! The attribute keys of `#[rocketmq_listener]`, each defined once.

use std::fmt::{self, Display};

use syn::Ident;

/// One attribute key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

pub const CONSUMER_GROUP: Symbol = Symbol("consumer_group");
pub const TOPIC: Symbol = Symbol("topic");
pub const SELECTOR_TYPE: Symbol = Symbol("selector_type");
pub const SELECTOR_EXPRESSION: Symbol = Symbol("selector_expression");
pub const CONSUME_MODE: Symbol = Symbol("consume_mode");
pub const MESSAGE_MODEL: Symbol = Symbol("message_model");
pub const CONSUME_THREAD_NUMBER: Symbol = Symbol("consume_thread_number");
pub const MAX_RECONSUME_TIMES: Symbol = Symbol("max_reconsume_times");
pub const CONSUME_TIMEOUT: Symbol = Symbol("consume_timeout");
pub const REPLY_TIMEOUT: Symbol = Symbol("reply_timeout");
pub const ACCESS_KEY: Symbol = Symbol("access_key");
pub const SECRET_KEY: Symbol = Symbol("secret_key");
pub const ENABLE_MSG_TRACE: Symbol = Symbol("enable_msg_trace");
pub const CUSTOMIZED_TRACE_TOPIC: Symbol = Symbol("customized_trace_topic");
pub const NAME_SERVER: Symbol = Symbol("name_server");
pub const ACCESS_CHANNEL: Symbol = Symbol("access_channel");
pub const TLS_ENABLE: Symbol = Symbol("tls_enable");
pub const NAMESPACE: Symbol = Symbol("namespace");
pub const DELAY_LEVEL_WHEN_NEXT_CONSUME: Symbol = Symbol("delay_level_when_next_consume");
pub const SUSPEND_CURRENT_QUEUE_TIME_MILLIS: Symbol = Symbol("suspend_current_queue_time_millis");
pub const AWAIT_TERMINATION_MILLIS_WHEN_SHUTDOWN: Symbol =
    Symbol("await_termination_millis_when_shutdown");
pub const INSTANCE_NAME: Symbol = Symbol("instance_name");

/// Every key, in rocketmq-spring's declaration order (how errors list them).
pub const ALL: &[Symbol] = &[
    CONSUMER_GROUP,
    TOPIC,
    SELECTOR_TYPE,
    SELECTOR_EXPRESSION,
    CONSUME_MODE,
    MESSAGE_MODEL,
    CONSUME_THREAD_NUMBER,
    MAX_RECONSUME_TIMES,
    CONSUME_TIMEOUT,
    REPLY_TIMEOUT,
    ACCESS_KEY,
    SECRET_KEY,
    ENABLE_MSG_TRACE,
    CUSTOMIZED_TRACE_TOPIC,
    NAME_SERVER,
    ACCESS_CHANNEL,
    TLS_ENABLE,
    NAMESPACE,
    DELAY_LEVEL_WHEN_NEXT_CONSUME,
    SUSPEND_CURRENT_QUEUE_TIME_MILLIS,
    AWAIT_TERMINATION_MILLIS_WHEN_SHUTDOWN,
    INSTANCE_NAME,
];

impl Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

/// The candidate closest to `word`, if it is close enough to be a likely typo. A Java-style
/// camelCase `word` (`messageModel`) is compared in snake_case.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = to_snake_case(word);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `consumeThreadNumber` → `consume_thread_number`, `TOPIC` → `topic`.
fn to_snake_case(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 4);
    let mut prev_lower = false;
    for c in word.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ALL.iter().map(|s| s.0);
        assert_eq!(
            closest("consumer_grop", keys.clone()),
            Some("consumer_group")
        );
        assert_eq!(closest("topics", keys.clone()), Some("topic"));
        assert_eq!(closest("messageModel", keys.clone()), Some("message_model"));
        assert_eq!(closest("TOPIC", keys.clone()), Some("topic"));
        assert_eq!(closest("retries", keys), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
