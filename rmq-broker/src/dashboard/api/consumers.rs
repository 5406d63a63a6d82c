//! `GET /api/consumers/{group}?topic=T`: per-queue Broker Offset / Consumer Offset / Diff and
//! the group's Diff Total.

use axum::extract::{Path, Query};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiResult, Shared};

/// Query parameters.
#[derive(Debug, Deserialize)]
pub struct DetailQuery {
    /// The subscribed topic.
    topic: Option<String>,
}

/// One queue's progress.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRow {
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// The queue's max offset.
    pub broker_offset: i64,
    /// The group's committed offset.
    pub consumer_offset: i64,
    /// Broker Offset − Consumer Offset.
    pub diff: i64,
    /// Store time of the last consumed message (ms).
    pub last_timestamp: i64,
}

/// The response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDetail {
    /// The group.
    pub group: String,
    /// Per-queue rows.
    pub queues: Vec<QueueRow>,
    /// Sum of the diffs.
    pub diff_total: i64,
}

/// `GET /api/consumers/{group}?topic=T`.
pub async fn detail(
    state: Shared,
    Path(group): Path<String>,
    Query(q): Query<DetailQuery>,
) -> ApiResult<GroupDetail> {
    let topic = q
        .topic
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("query parameter `topic` is required"))?;
    let stats = state.admin.consume_stats(&group, &topic).await?;
    let queues: Vec<QueueRow> = stats
        .into_iter()
        .map(|(mq, s)| QueueRow {
            diff: s.lag(),
            topic: mq.topic,
            broker_name: mq.broker_name,
            queue_id: mq.queue_id,
            broker_offset: s.broker_offset,
            consumer_offset: s.consumer_offset,
            last_timestamp: s.last_timestamp,
        })
        .collect();
    let diff_total = queues.iter().map(|q| q.diff).sum();
    Ok(Json(GroupDetail {
        group,
        queues,
        diff_total,
    }))
}
