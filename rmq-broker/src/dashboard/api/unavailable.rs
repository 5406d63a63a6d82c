//! Routes whose admin calls have not landed in `MqAdmin` yet: a clear 501.

use super::ApiError;

fn missing(what: &str, call: &str) -> ApiError {
    ApiError::not_implemented(format!(
        "{what} needs MqAdmin::{call}, which this build does not have yet"
    ))
}

/// `GET /api/topics`.
pub async fn topic_list() -> ApiError {
    missing("the topic list", "topic_list")
}

/// `GET /api/consumers`.
pub async fn consumer_list() -> ApiError {
    missing("the consumer group list", "subscription_groups")
}

/// `GET /api/producers`.
pub async fn producers() -> ApiError {
    missing("producer connections", "producer_connection")
}

/// `GET /api/messages`.
pub async fn messages() -> ApiError {
    missing("message queries", "query_message_by_key")
}

/// `GET /api/dlq`.
pub async fn dlq() -> ApiError {
    missing("DLQ queries", "query_messages_by_time")
}
