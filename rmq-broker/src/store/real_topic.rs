//! A message parked in a system topic (the half topic, the timer topic, the delay-level
//! topic) keeps its own topic and queue in `REAL_TOPIC` and `REAL_QID`; these move it there
//! and read them back.

use rmq_core::protocol::message::{find_property, keys, remove_property, set_property};

use super::MessageInner;

/// Moves `msg` to queue `queue_id` of `system_topic`, setting `REAL_TOPIC` and `REAL_QID` to
/// the topic and queue it had.
pub fn park_in(msg: &mut MessageInner, system_topic: &str, queue_id: i32) {
    let props = set_property(&msg.properties, keys::REAL_TOPIC, &msg.topic);
    msg.properties = set_property(&props, keys::REAL_QUEUE_ID, &msg.queue_id.to_string());
    msg.topic = system_topic.to_owned();
    msg.queue_id = queue_id;
}

/// The `REAL_TOPIC` and `REAL_QID` of a parked message's properties; each `None` when
/// missing, the queue also when it is not a number.
pub fn real_destination(properties: &str) -> (Option<&str>, Option<i32>) {
    (
        find_property(properties, keys::REAL_TOPIC),
        find_property(properties, keys::REAL_QUEUE_ID).and_then(|q| q.trim().parse().ok()),
    )
}

/// `properties` without `REAL_TOPIC` and `REAL_QID`: the message back in its real topic.
pub fn without_real(properties: &str) -> String {
    remove_property(
        &remove_property(properties, keys::REAL_TOPIC),
        keys::REAL_QUEUE_ID,
    )
}
