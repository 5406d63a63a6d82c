//! Consumer offset and queue offset headers (codes 14, 15, 29, 30, 31, 32).

use super::header;

header! {
    /// `QueryConsumerOffsetRequestHeader` (14).
    pub struct QueryConsumerOffsetRequestHeader {
        req consumer_group: String = "consumerGroup",
        req topic: String = "topic",
        req queue_id: i32 = "queueId",
        opt set_zero_if_not_found: bool = "setZeroIfNotFound",
    }
}

header! {
    /// `UpdateConsumerOffsetRequestHeader` (15).
    pub struct UpdateConsumerOffsetRequestHeader {
        req consumer_group: String = "consumerGroup",
        req topic: String = "topic",
        req queue_id: i32 = "queueId",
        req commit_offset: i64 = "commitOffset",
    }
}

header! {
    /// `GetMaxOffsetRequestHeader` (30).
    pub struct GetMaxOffsetRequestHeader {
        req topic: String = "topic",
        req queue_id: i32 = "queueId",
        opt committed: bool = "committed",
    }
}

header! {
    /// `GetMinOffsetRequestHeader` (31).
    pub struct GetMinOffsetRequestHeader {
        req topic: String = "topic",
        req queue_id: i32 = "queueId",
    }
}

header! {
    /// `SearchOffsetRequestHeader` (29).
    pub struct SearchOffsetRequestHeader {
        req topic: String = "topic",
        req queue_id: i32 = "queueId",
        req timestamp: i64 = "timestamp",
        opt boundary_type: String = "boundaryType",
    }
}

header! {
    /// `GetEarliestMsgStoretimeRequestHeader` (32).
    pub struct GetEarliestMsgStoretimeRequestHeader {
        req topic: String = "topic",
        req queue_id: i32 = "queueId",
    }
}

header! {
    /// The `{offset}` response header of codes 14, 29, 30 and 31.
    pub struct OffsetResponseHeader {
        req offset: i64 = "offset",
    }
}

header! {
    /// The `{timestamp}` response header of code 32.
    pub struct TimestampResponseHeader {
        req timestamp: i64 = "timestamp",
    }
}
