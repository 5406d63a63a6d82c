//! Admin headers about brokers and producers: broker config, broker stats, producer connections.

use super::header;

header! {
    /// `GetBrokerConfigResponseHeader` (26): the config table's data version as JSON.
    pub struct GetBrokerConfigResponseHeader {
        opt version: String = "version",
    }
}

header! {
    /// `GetProducerConnectionListRequestHeader` (204).
    pub struct GetProducerConnectionListRequestHeader {
        req producer_group: String = "producerGroup",
    }
}

header! {
    /// `ViewBrokerStatsDataRequestHeader` (315): a stats item (`TOPIC_PUT_NUMS`, ...) and its
    /// key (`topic`, `topic@group`, ...).
    pub struct ViewBrokerStatsDataRequestHeader {
        req stats_name: String = "statsName",
        req stats_key: String = "statsKey",
    }
}
