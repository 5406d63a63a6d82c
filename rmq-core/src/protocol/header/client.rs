//! Client-management headers: consumer list, notify, unregister, send-back.

use super::header;

header! {
    /// `GetConsumerListByGroupRequestHeader` (38).
    pub struct GetConsumerListByGroupRequestHeader {
        req consumer_group: String = "consumerGroup",
    }
}

header! {
    /// `NotifyConsumerIdsChangedRequestHeader` (40, broker → consumer, oneway).
    pub struct NotifyConsumerIdsChangedRequestHeader {
        req consumer_group: String = "consumerGroup",
    }
}

header! {
    /// `UnregisterClientRequestHeader` (35).
    pub struct UnregisterClientRequestHeader {
        req client_id: String = "clientID",
        opt producer_group: String = "producerGroup",
        opt consumer_group: String = "consumerGroup",
    }
}

header! {
    /// `ConsumerSendMsgBackRequestHeader` (36). `offset` is the commit-log offset.
    pub struct ConsumerSendMsgBackRequestHeader {
        req offset: i64 = "offset",
        req group: String = "group",
        req delay_level: i32 = "delayLevel",
        opt origin_msg_id: String = "originMsgId",
        opt origin_topic: String = "originTopic",
        opt unit_mode: bool = "unitMode",
        opt max_reconsume_times: i32 = "maxReconsumeTimes",
    }
}

header! {
    /// `GetConsumerRunningInfoRequestHeader` (307).
    pub struct GetConsumerRunningInfoRequestHeader {
        req consumer_group: String = "consumerGroup",
        req client_id: String = "clientId",
        opt jstack_enable: bool = "jstackEnable",
    }
}

header! {
    /// `ConsumeMessageDirectlyResultRequestHeader` (309, admin → broker → consumer): the body is
    /// the message in its stored layout.
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        req consumer_group: String = "consumerGroup",
        opt client_id: String = "clientId",
        opt msg_id: String = "msgId",
        opt broker_name: String = "brokerName",
        opt topic: String = "topic",
        opt topic_sys_flag: i32 = "topicSysFlag",
        opt group_sys_flag: i32 = "groupSysFlag",
    }
}
