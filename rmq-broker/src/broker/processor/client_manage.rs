//! HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38) and
//! CHECK_CLIENT_CONFIG (46).

use rmq_core::protocol::body::{
    CheckClientRequestBody, ConsumerIdList, HeartbeatData, MessageModel, PERM_READ, PERM_WRITE,
};
use rmq_core::protocol::header::{
    GetConsumerListByGroupRequestHeader, UnregisterClientRequestHeader,
};
use rmq_core::protocol::{RemotingCommand, ResponseCode};
use rmq_core::remoting::Channel;

use super::{body_or_reply, header_or_reply, json_response};
use crate::broker::{retry_topic, BrokerInner};

/// HEART_BEAT: registers producers and consumers, creates retry topics, notifies groups.
pub fn heartbeat(b: &BrokerInner, ch: &Channel, req: &RemotingCommand) -> Option<RemotingCommand> {
    let data = body_or_reply!(req, HeartbeatData);
    if ch.is_closed() {
        // The connection closed while this request waited: don't register a dead client.
        return None;
    }
    for consumer in &data.consumer_data_set {
        let Some(group) = b.groups.find_or_create(&consumer.group_name) else {
            return Some(req.error_to(
                ResponseCode::SubscriptionGroupNotExist,
                format!(
                    "subscription group [{}] does not exist",
                    consumer.group_name
                ),
            ));
        };
        if consumer.message_model == MessageModel::Clustering || group.retry_queue_nums > 0 {
            let retry = retry_topic(&consumer.group_name);
            match b.topics.create_if_absent(
                &retry,
                group.retry_queue_nums.max(1),
                PERM_READ | PERM_WRITE,
            ) {
                Ok((_, true)) => b.trigger_register(),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, %retry, "cannot create retry topic"),
            }
        }
        // Java compiles expression subscriptions at registration and logs a bad one; the
        // heartbeat is accepted either way (the pull is refused).
        for sub in consumer
            .subscription_data_set
            .iter()
            .filter(|s| !s.is_tag_type())
        {
            let _ = b.sql_filters.get(
                &consumer.group_name,
                &sub.topic,
                &sub.sub_string,
                sub.sub_version,
            );
        }
        let outcome =
            b.consumers
                .register(consumer, ch, &data.client_id, req.language, req.version);
        if outcome.members_changed || outcome.subscriptions_changed {
            tracing::info!(group = %consumer.group_name, client = %data.client_id, ?outcome, "consumer group changed");
            b.notify_consumer_ids_changed(&consumer.group_name);
        }
    }
    for producer in &data.producer_data_set {
        b.producers.register(
            &producer.group_name,
            ch,
            &data.client_id,
            req.language,
            req.version,
        );
    }
    Some(req.success_to())
}

/// CHECK_CLIENT_CONFIG: whether this broker can filter by a subscription, asked by Java
/// consumers at start for a non-TAG one. Java's answers: SYSTEM_ERROR with
/// `enablePropertyFilter=false`, SUBSCRIPTION_PARSE_FAILED with the compile error, else
/// SUCCESS.
pub fn check_client_config(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let body = body_or_reply!(req, CheckClientRequestBody);
    let Some(sub) = body.subscription_data.filter(|s| !s.is_tag_type()) else {
        return Some(req.success_to());
    };
    if !b.config.enable_property_filter {
        return Some(req.error_to(
            ResponseCode::SystemError,
            format!(
                "The broker does not support consumer to filter message by {}",
                sub.expression_type
            ),
        ));
    }
    if !sub.expression_type.eq_ignore_ascii_case("SQL92") {
        return Some(req.error_to(
            ResponseCode::SubscriptionParseFailed,
            format!("unknown expression type {}", sub.expression_type),
        ));
    }
    match b
        .sql_filters
        .get(&body.group, &sub.topic, &sub.sub_string, sub.sub_version)
    {
        Ok(_) => Some(req.success_to()),
        Err(e) => Some(req.error_to(ResponseCode::SubscriptionParseFailed, e.to_string())),
    }
}

/// UNREGISTER_CLIENT: removes the channel from the named groups.
pub fn unregister_client(
    b: &BrokerInner,
    ch: &Channel,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, UnregisterClientRequestHeader);
    if let Some(g) = h.producer_group.as_deref().filter(|g| !g.is_empty()) {
        b.producers.unregister(ch.id(), Some(g));
    }
    if let Some(g) = h.consumer_group.as_deref().filter(|g| !g.is_empty()) {
        for group in b.consumers.unregister(ch.id(), Some(g)) {
            b.notify_consumer_ids_changed(&group);
        }
    }
    Some(req.success_to())
}

/// GET_CONSUMER_LIST_BY_GROUP: the sorted client ids of a group.
pub fn consumer_list(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, GetConsumerListByGroupRequestHeader);
    let ids = b.consumers.client_ids(&h.consumer_group);
    if ids.is_empty() {
        return Some(req.error_to(
            ResponseCode::SystemError,
            format!("no consumer for this group, {}", h.consumer_group),
        ));
    }
    Some(json_response(
        req,
        &ConsumerIdList {
            consumer_id_list: ids,
        },
    ))
}
