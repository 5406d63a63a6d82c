//! PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361) headers.

use super::header;

/// `PullSysFlag`: the request carries a commit offset to persist.
pub const PULL_FLAG_COMMIT_OFFSET: i32 = 0x1;
/// `PullSysFlag`: the broker may hold the request (long polling).
pub const PULL_FLAG_SUSPEND: i32 = 0x2;
/// `PullSysFlag`: the subscription travels in the header.
pub const PULL_FLAG_SUBSCRIPTION: i32 = 0x4;
/// `PullSysFlag`: class filter mode (unsupported).
pub const PULL_FLAG_CLASS_FILTER: i32 = 0x8;
/// `PullSysFlag`: lite pull consumer.
pub const PULL_FLAG_LITE_PULL: i32 = 0x10;

header! {
    /// `PullMessageRequestHeader`.
    pub struct PullMessageRequestHeader {
        req consumer_group: String = "consumerGroup",
        req topic: String = "topic",
        req queue_id: i32 = "queueId",
        req queue_offset: i64 = "queueOffset",
        req max_msg_nums: i32 = "maxMsgNums",
        req sys_flag: i32 = "sysFlag",
        req commit_offset: i64 = "commitOffset",
        req suspend_timeout_millis: i64 = "suspendTimeoutMillis",
        opt subscription: String = "subscription",
        req sub_version: i64 = "subVersion",
        opt expression_type: String = "expressionType",
        opt max_msg_bytes: i32 = "maxMsgBytes",
    }
}

header! {
    /// `PullMessageResponseHeader`.
    pub struct PullMessageResponseHeader {
        req suggest_which_broker_id: i64 = "suggestWhichBrokerId",
        req next_begin_offset: i64 = "nextBeginOffset",
        req min_offset: i64 = "minOffset",
        req max_offset: i64 = "maxOffset",
    }
}
