//! NameServer headers: broker registration, routes, KV config.

use super::header;

header! {
    /// `RegisterBrokerRequestHeader` (103).
    pub struct RegisterBrokerRequestHeader {
        req broker_name: String = "brokerName",
        req broker_addr: String = "brokerAddr",
        req cluster_name: String = "clusterName",
        req ha_server_addr: String = "haServerAddr",
        req broker_id: i64 = "brokerId",
        opt heartbeat_timeout_millis: i64 = "heartbeatTimeoutMillis",
        opt compressed: bool = "compressed",
        opt body_crc32: i32 = "bodyCrc32",
    }
}

header! {
    /// `RegisterBrokerResponseHeader`.
    pub struct RegisterBrokerResponseHeader {
        opt ha_server_addr: String = "haServerAddr",
        opt master_addr: String = "masterAddr",
    }
}

header! {
    /// `UnRegisterBrokerRequestHeader` (104).
    pub struct UnregisterBrokerRequestHeader {
        req broker_name: String = "brokerName",
        req broker_addr: String = "brokerAddr",
        req cluster_name: String = "clusterName",
        req broker_id: i64 = "brokerId",
    }
}

header! {
    /// `GetRouteInfoRequestHeader` (105).
    pub struct GetRouteInfoRequestHeader {
        req topic: String = "topic",
        opt accept_standard_json_only: bool = "acceptStandardJsonOnly",
    }
}

header! {
    /// `PutKVConfigRequestHeader` (100).
    pub struct PutKvConfigRequestHeader {
        req namespace: String = "namespace",
        req key: String = "key",
        req value: String = "value",
    }
}

header! {
    /// `GetKVConfigRequestHeader` (101) and `DeleteKVConfigRequestHeader` (102).
    pub struct KvConfigKeyRequestHeader {
        req namespace: String = "namespace",
        req key: String = "key",
    }
}

header! {
    /// `GetKVConfigResponseHeader`.
    pub struct GetKvConfigResponseHeader {
        opt value: String = "value",
    }
}

header! {
    /// `GetKVListByNamespaceRequestHeader` (219).
    pub struct GetKvListByNamespaceRequestHeader {
        req namespace: String = "namespace",
    }
}

header! {
    /// `DeleteTopicFromNamesrvRequestHeader` (216).
    pub struct DeleteTopicFromNamesrvRequestHeader {
        req topic: String = "topic",
        opt cluster_name: String = "clusterName",
    }
}

header! {
    /// `GetTopicsByClusterRequestHeader` (224).
    pub struct GetTopicsByClusterRequestHeader {
        req cluster: String = "cluster",
    }
}

header! {
    /// `QueryDataVersionRequestHeader` (322).
    pub struct QueryDataVersionRequestHeader {
        req broker_name: String = "brokerName",
        req broker_addr: String = "brokerAddr",
        req cluster_name: String = "clusterName",
        req broker_id: i64 = "brokerId",
    }
}

header! {
    /// `QueryDataVersionResponseHeader`.
    pub struct QueryDataVersionResponseHeader {
        req changed: bool = "changed",
    }
}
