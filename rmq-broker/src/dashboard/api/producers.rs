//! `GET /api/producers?topic=T&group=G`: the connections of a producer group.

use axum::extract::Query;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, ApiResult, Shared};

/// Parameters.
#[derive(Debug, Deserialize)]
pub struct ProducerQuery {
    topic: Option<String>,
    group: Option<String>,
}

/// `GET /api/producers?topic=T&group=G`.
pub async fn get(state: Shared, Query(q): Query<ProducerQuery>) -> ApiResult<Value> {
    let (Some(topic), Some(group)) = (
        q.topic.filter(|t| !t.is_empty()),
        q.group.filter(|g| !g.is_empty()),
    ) else {
        return Err(ApiError::bad_request(
            "query parameters `topic` and `group` are required",
        ));
    };
    let connections = state.admin.producer_connection(&group, &topic).await?;
    Ok(Json(
        json!({"topic": topic, "group": group, "connections": super::connections_json(&connections)}),
    ))
}
