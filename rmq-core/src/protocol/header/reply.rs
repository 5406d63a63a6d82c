//! PUSH_REPLY_MESSAGE_TO_CLIENT (326) header: a reply the broker pushes to its requester.

use super::header;

header! {
    /// `ReplyMessageRequestHeader`: the reply's send header plus where and when the broker
    /// received it. Java's client refuses the push when a required field is missing.
    pub struct ReplyMessageRequestHeader {
        req producer_group: String = "producerGroup",
        req topic: String = "topic",
        req default_topic: String = "defaultTopic",
        req default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        req queue_id: i32 = "queueId",
        req sys_flag: i32 = "sysFlag",
        req born_timestamp: i64 = "bornTimestamp",
        req flag: i32 = "flag",
        opt properties: String = "properties",
        opt reconsume_times: i32 = "reconsumeTimes",
        req unit_mode: bool = "unitMode",
        req born_host: String = "bornHost",
        req store_host: String = "storeHost",
        req store_timestamp: i64 = "storeTimestamp",
    }
}
