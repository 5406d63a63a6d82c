//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) headers and the response.

use super::{header, CommandHeader};
use crate::protocol::{ExtFields, HeaderError};

header! {
    /// `SendMessageRequestHeader` with the long (V1) key names, used by code 10 and the C++ client.
    pub struct SendMessageRequestHeader {
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
        opt unit_mode: bool = "unitMode",
        opt max_reconsume_times: i32 = "maxReconsumeTimes",
        opt batch: bool = "batch",
        opt broker_name: String = "bname",
    }
}

header! {
    /// `SendMessageRequestHeaderV2`: the same fields under the short keys `a`..`n` (codes 310, 320).
    pub struct SendMessageRequestHeaderV2 {
        req a: String = "a",
        req b: String = "b",
        req c: String = "c",
        req d: i32 = "d",
        req e: i32 = "e",
        req f: i32 = "f",
        req g: i64 = "g",
        req h: i32 = "h",
        opt i: String = "i",
        opt j: i32 = "j",
        opt k: bool = "k",
        opt l: i32 = "l",
        opt m: bool = "m",
        opt n: String = "n",
    }
}

impl From<SendMessageRequestHeaderV2> for SendMessageRequestHeader {
    fn from(v: SendMessageRequestHeaderV2) -> Self {
        SendMessageRequestHeader {
            producer_group: v.a,
            topic: v.b,
            default_topic: v.c,
            default_topic_queue_nums: v.d,
            queue_id: v.e,
            sys_flag: v.f,
            born_timestamp: v.g,
            flag: v.h,
            properties: v.i,
            reconsume_times: v.j,
            unit_mode: v.k,
            max_reconsume_times: v.l,
            batch: v.m,
            broker_name: v.n,
        }
    }
}

impl From<SendMessageRequestHeader> for SendMessageRequestHeaderV2 {
    fn from(v: SendMessageRequestHeader) -> Self {
        SendMessageRequestHeaderV2 {
            a: v.producer_group,
            b: v.topic,
            c: v.default_topic,
            d: v.default_topic_queue_nums,
            e: v.queue_id,
            f: v.sys_flag,
            g: v.born_timestamp,
            h: v.flag,
            i: v.properties,
            j: v.reconsume_times,
            k: v.unit_mode,
            l: v.max_reconsume_times,
            m: v.batch,
            n: v.broker_name,
        }
    }
}

impl SendMessageRequestHeader {
    /// Reads either key set, whatever the request code: the V2 short keys when `a` is present,
    /// the V1 names otherwise (a tolerant broker accepts both).
    pub fn read_any(fields: &ExtFields) -> Result<Self, HeaderError> {
        if fields.contains_key("a") {
            SendMessageRequestHeaderV2::read_from(fields).map(Into::into)
        } else {
            Self::read_from(fields)
        }
    }

    /// [`read_any`](Self::read_any), moving the strings out of `fields`.
    pub fn take_any(fields: &mut ExtFields) -> Result<Self, HeaderError> {
        if fields.contains_key("a") {
            SendMessageRequestHeaderV2::take_from(fields).map(Into::into)
        } else {
            Self::take_from(fields)
        }
    }
}

header! {
    /// `SendMessageResponseHeader`. `msg_id` is the offset msgId (comma-joined for a batch).
    pub struct SendMessageResponseHeader {
        req msg_id: String = "msgId",
        req queue_id: i32 = "queueId",
        req queue_offset: i64 = "queueOffset",
        opt transaction_id: String = "transactionId",
        opt batch_uniq_id: String = "batchUniqId",
        opt msg_region: String = "MSG_REGION",
        opt trace_on: String = "TRACE_ON",
    }
}
