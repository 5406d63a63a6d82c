//! Queue selectors for [`DefaultMqProducer::send_with_selector`](super::DefaultMqProducer::send_with_selector).
//!
//! A selector is any `FnOnce(&[MessageQueue]) -> usize` returning an index into the topic's
//! writable queues; the seed's ordered-message selector is one closure:
//!
//! ```
//! # use rmq_core::protocol::body::MessageQueue;
//! let order_id = 7u64;
//! let select = move |qs: &[MessageQueue]| (order_id % qs.len() as u64) as usize;
//! # let qs = vec![MessageQueue::default(); 4];
//! assert_eq!(select(&qs), 3);
//! ```

use crate::protocol::body::MessageQueue;

/// Java's `String.hashCode()` (UTF-16 code units, wrapping arithmetic).
pub fn java_string_hash_code(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// A selector that sends every message with the same `key` to the same queue: the queue
/// Java's `SelectMessageQueueByHash` picks for a `String` argument
/// (`abs(key.hashCode() % queues)`), so Rust and Java producers agree.
///
/// ```
/// # use rmq_core::client::select_by_hash_key;
/// # use rmq_core::protocol::body::MessageQueue;
/// let qs = vec![MessageQueue::default(); 4];
/// assert_eq!(select_by_hash_key("hello")(&qs), 2);
/// ```
pub fn select_by_hash_key(key: &str) -> impl FnOnce(&[MessageQueue]) -> usize {
    let hash = java_string_hash_code(key);
    move |queues: &[MessageQueue]| {
        let n = i32::try_from(queues.len().max(1)).unwrap_or(i32::MAX);
        (hash % n).unsigned_abs() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_java() {
        // Java: "hello".hashCode() == 99162322, "order-7".hashCode() == -1207111304.
        assert_eq!(java_string_hash_code("hello"), 99162322);
        assert_eq!(java_string_hash_code("order-7"), -1207111304);
        let qs = vec![MessageQueue::default(); 3];
        // -1207111304 % 3 == -2 in Java → abs → 2.
        assert_eq!(select_by_hash_key("order-7")(&qs), 2);
        assert_eq!(select_by_hash_key("")(&[]), 0);
    }
}
