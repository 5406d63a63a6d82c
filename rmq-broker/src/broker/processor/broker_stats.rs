//! VIEW_BROKER_STATS_DATA (315) and GET_PRODUCER_CONNECTION_LIST (204).

use rmq_core::protocol::body::{BrokerStatsData, BrokerStatsItem, ProducerConnection};
use rmq_core::protocol::header::{
    GetProducerConnectionListRequestHeader, ViewBrokerStatsDataRequestHeader,
};
use rmq_core::protocol::{RemotingCommand, ResponseCode};

use super::{header_or_reply, json_response};
use crate::broker::stats_items::WindowStats;
use crate::broker::BrokerInner;

fn item(w: WindowStats) -> BrokerStatsItem {
    BrokerStatsItem {
        sum: w.sum as i64,
        tps: w.tps,
        avgpt: w.avgpt,
    }
}

/// VIEW_BROKER_STATS_DATA (315): one stats item over the last minute, hour and day; an item
/// nothing was counted under answers SYSTEM_ERROR `The stats <name> <key> not exist` as Java.
pub fn view_broker_stats(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, ViewBrokerStatsDataRequestHeader);
    let now = rmq_core::clock::now_ms();
    let Some([minute, hour, day]) = b.stats.items.windows(&h.stats_name, &h.stats_key, now) else {
        return Some(req.error_to(
            ResponseCode::SystemError,
            format!("The stats <{}> <{}> not exist", h.stats_name, h.stats_key),
        ));
    };
    Some(json_response(
        req,
        &BrokerStatsData {
            stats_minute: item(minute),
            stats_hour: item(hour),
            stats_day: item(day),
        },
    ))
}

/// GET_PRODUCER_CONNECTION_LIST (204): the connected producers of a group.
pub fn producer_connections(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, GetProducerConnectionListRequestHeader);
    match b.producers.connections(&h.producer_group) {
        Some(connection_set) => Some(json_response(req, &ProducerConnection { connection_set })),
        None => Some(req.error_to(
            ResponseCode::SystemError,
            format!("the producer group[{}] not exist", h.producer_group),
        )),
    }
}
