//! Admin headers: topics, message lookup, stats and connections.

use super::header;

header! {
    /// `CreateTopicRequestHeader` (17).
    pub struct CreateTopicRequestHeader {
        req topic: String = "topic",
        req default_topic: String = "defaultTopic",
        req read_queue_nums: i32 = "readQueueNums",
        req write_queue_nums: i32 = "writeQueueNums",
        req perm: i32 = "perm",
        req topic_filter_type: String = "topicFilterType",
        opt topic_sys_flag: i32 = "topicSysFlag",
        req order: bool = "order",
    }
}

header! {
    /// `DeleteTopicRequestHeader` (215).
    pub struct DeleteTopicRequestHeader {
        req topic: String = "topic",
    }
}

header! {
    /// `ViewMessageRequestHeader` (33): `offset` is the commit-log offset.
    pub struct ViewMessageRequestHeader {
        req offset: i64 = "offset",
        opt topic: String = "topic",
    }
}

header! {
    /// `QueryMessageRequestHeader` (12).
    pub struct QueryMessageRequestHeader {
        req topic: String = "topic",
        req key: String = "key",
        req max_num: i32 = "maxNum",
        req begin_timestamp: i64 = "beginTimestamp",
        req end_timestamp: i64 = "endTimestamp",
        opt unique_key_query: bool = "_UNIQUE_KEY_QUERY",
    }
}

header! {
    /// `QueryMessageResponseHeader`.
    pub struct QueryMessageResponseHeader {
        req index_last_update_timestamp: i64 = "indexLastUpdateTimestamp",
        req index_last_update_phyoffset: i64 = "indexLastUpdatePhyoffset",
    }
}

header! {
    /// `GetConsumeStatsRequestHeader` (208).
    pub struct GetConsumeStatsRequestHeader {
        req consumer_group: String = "consumerGroup",
        opt topic: String = "topic",
    }
}

header! {
    /// `GetConsumerConnectionListRequestHeader` (203).
    pub struct GetConsumerConnectionListRequestHeader {
        req consumer_group: String = "consumerGroup",
    }
}

header! {
    /// A request about one topic: `GetTopicStatsInfoRequestHeader` (202),
    /// `QueryTopicConsumeByWhoRequestHeader` (300), `GetTopicConfigRequestHeader` (351).
    pub struct TopicRequestHeader {
        req topic: String = "topic",
    }
}
