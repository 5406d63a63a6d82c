//! Admin headers about consumer groups: deleting a subscription group (207) and resetting a
//! group's offsets (222 admin → broker, 220 broker → client).

use super::header;

header! {
    /// `DeleteSubscriptionGroupRequestHeader` (207). `cleanOffset` (5.x) also drops the
    /// group's committed offsets.
    pub struct DeleteSubscriptionGroupRequestHeader {
        req group_name: String = "groupName",
        opt clean_offset: bool = "cleanOffset",
    }
}

header! {
    /// `ResetOffsetRequestHeader`: INVOKE_BROKER_TO_RESET_OFFSET (222, admin → broker) and
    /// RESET_CONSUMER_CLIENT_OFFSET (220, broker → client; the body is a `ResetOffsetBody`).
    /// `timestamp` -1 means "to the max offset"; 5.x adds `queueId`/`offset` for one queue.
    pub struct ResetOffsetRequestHeader {
        req topic: String = "topic",
        req group: String = "group",
        req timestamp: i64 = "timestamp",
        req is_force: bool = "isForce",
        opt queue_id: i32 = "queueId",
        opt offset: i64 = "offset",
    }
}
