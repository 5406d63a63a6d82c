//! The DLQ page: a group's dead letters (`%DLQ%<group>`) by time, and resending one to the
//! group.

use axum::extract::Query;
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::messages::{resend_to, row, scan_by_time, ResendForm};
use super::{ApiError, ApiResult, Shared};

/// `GET /api/dlq` parameters.
#[derive(Debug, Deserialize)]
pub struct DlqQuery {
    group: Option<String>,
    begin: Option<i64>,
    end: Option<i64>,
}

/// `GET /api/dlq?group=G&begin=&end=`.
pub async fn query(state: Shared, Query(q): Query<DlqQuery>) -> ApiResult<Value> {
    let group = q
        .group
        .filter(|g| !g.is_empty())
        .ok_or_else(|| ApiError::bad_request("query parameter `group` is required"))?;
    let now = rmq_core::clock::now_ms();
    let topic = crate::broker::dlq_topic(&group);
    if !state.admin.topic_list().await?.contains(&topic) {
        return Ok(Json(json!({"topic": topic, "messages": [],
            "note": format!("no dead letters: topic {topic} does not exist")})));
    }
    let msgs = scan_by_time(
        &state,
        &topic,
        q.begin.unwrap_or(now - 86_400_000),
        q.end.unwrap_or(now + 60_000),
    )
    .await?;
    Ok(Json(
        json!({"topic": topic, "messages": msgs.iter().map(row).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/dlq/resend` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DlqResend {
    group: String,
    msg_id: String,
    #[serde(default)]
    client_id: Option<String>,
}

/// `POST /api/dlq/resend` `{group, msgId, clientId?}`: the dead letter goes to a member of
/// its group again.
pub async fn resend(
    state: Shared,
    headers: HeaderMap,
    Json(f): Json<DlqResend>,
) -> ApiResult<Value> {
    state.auth.check_write(&headers)?;
    let form = ResendForm {
        topic: crate::broker::dlq_topic(&f.group),
        group: f.group,
        client_id: f.client_id,
    };
    Ok(Json(resend_to(&state, &f.msg_id, form).await?))
}
