//! The Consumers page: groups with members, TPS and Diff Total; per group the per-queue
//! Broker Offset / Consumer Offset / Diff, its members, a member's running info, and a reset
//! of its offsets by time.

use std::collections::BTreeSet;

use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::Json;
use futures_util::future::join_all;
use rmq_core::client::ResetOutcome;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{ApiError, ApiResult, Shared};

/// Groups the broker keeps for itself (Java's `MixAll` system groups).
fn is_system_group(g: &str) -> bool {
    const NAMES: [&str; 9] = [
        "TOOLS_CONSUMER",
        "FILTERSRV_CONSUMER",
        "__MONITOR_CONSUMER",
        "CLIENT_INNER_PRODUCER",
        "SELF_TEST_C_GROUP",
        "CID_ONS-HTTP-PROXY",
        "CID_ONSAPI_PERMISSION",
        "CID_ONSAPI_OWNER",
        "CID_ONSAPI_PULL",
    ];
    NAMES.contains(&g) || g.starts_with("CID_RMQ_SYS_") || g.starts_with("CID_SYS_RMQ_")
}

/// `GET /api/consumers` parameters.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Include the broker's own groups.
    #[serde(default)]
    system: Option<String>,
}

/// One group of the list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRow {
    /// The group.
    pub group: String,
    /// Online members.
    pub count: usize,
    /// `CONSUME_PASSIVELY` (push) or `CONSUME_ACTIVELY` (pull), when online.
    pub consume_type: Option<Value>,
    /// `CLUSTERING` or `BROADCASTING`, when online.
    pub message_model: Option<Value>,
    /// Consume TPS reported by the brokers.
    pub consume_tps: Option<f64>,
    /// Sum of Broker Offset − Consumer Offset over its queues.
    pub diff_total: Option<i64>,
}

/// `GET /api/consumers`: every subscription group on every master, with members and lag.
pub async fn list(state: Shared, Query(q): Query<ListQuery>) -> ApiResult<Value> {
    let system = q.system.as_deref() == Some("true");
    let masters = state.admin.master_addrs_of(None).await?;
    let mut groups = BTreeSet::new();
    for addr in &masters {
        let w = state.admin.subscription_groups(addr).await?;
        groups.extend(w.subscription_group_table.into_keys());
    }
    let groups: Vec<String> = groups
        .into_iter()
        .filter(|g| system || !is_system_group(g))
        .collect();
    let rows = join_all(groups.into_iter().map(|group| {
        let admin = &state.admin;
        async move {
            let conn = admin.consumer_connection(&group).await.ok();
            let stats = admin.consume_stats_all(&group).await.ok();
            GroupRow {
                count: conn.as_ref().map_or(0, |c| c.connection_set.len()),
                consume_type: conn
                    .as_ref()
                    .and_then(|c| serde_json::to_value(c.consume_type).ok()),
                message_model: conn
                    .as_ref()
                    .and_then(|c| serde_json::to_value(c.message_model).ok()),
                consume_tps: stats.as_ref().map(|s| s.consume_tps),
                diff_total: stats.as_ref().map(|s| {
                    s.offset_table
                        .values()
                        .map(|w| (w.broker_offset - w.consumer_offset).max(0))
                        .sum()
                }),
                group,
            }
        }
    }))
    .await;
    Ok(Json(json!({ "groups": rows })))
}

/// `GET /api/consumers/{group}` parameters.
#[derive(Debug, Deserialize)]
pub struct DetailQuery {
    /// Only this subscribed topic (else every topic of the group).
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

/// `GET /api/consumers/{group}?topic=T`: per-queue rows, Diff Total, members.
pub async fn detail(
    state: Shared,
    Path(group): Path<String>,
    Query(q): Query<DetailQuery>,
) -> ApiResult<Value> {
    let topic = q.topic.filter(|t| !t.is_empty());
    let (table, consume_tps) = match &topic {
        Some(t) => {
            let stats = state.admin.consume_stats(&group, t).await?;
            let rows: Vec<_> = stats
                .into_iter()
                .map(|(mq, s)| (mq, s.broker_offset, s.consumer_offset, s.last_timestamp))
                .collect();
            (rows, None)
        }
        None => {
            let stats = state.admin.consume_stats_all(&group).await?;
            let rows: Vec<_> = stats
                .offset_table
                .into_iter()
                .map(|(mq, w)| (mq, w.broker_offset, w.consumer_offset, w.last_timestamp))
                .collect();
            (rows, Some(stats.consume_tps))
        }
    };
    let queues: Vec<QueueRow> = table
        .into_iter()
        .map(|(mq, broker, consumer, last)| QueueRow {
            diff: (broker - consumer).max(0),
            topic: mq.topic,
            broker_name: mq.broker_name,
            queue_id: mq.queue_id,
            broker_offset: broker,
            consumer_offset: consumer,
            last_timestamp: last,
        })
        .collect();
    let diff_total: i64 = queues.iter().map(|q| q.diff).sum();
    let mut out = json!({
        "group": group,
        "queues": queues,
        "diffTotal": diff_total,
        "consumeTps": consume_tps,
    });
    match state.admin.consumer_connection(&group).await {
        Ok(c) => {
            out["connections"] = super::connections_json(&c.connection_set);
            out["subscriptions"] = serde_json::to_value(&c.subscription_table).unwrap_or_default();
            out["consumeType"] = serde_json::to_value(c.consume_type).unwrap_or_default();
            out["messageModel"] = serde_json::to_value(c.message_model).unwrap_or_default();
        }
        Err(e) => out["connectionsError"] = json!(e.to_string()),
    }
    Ok(Json(out))
}

/// `GET /api/consumers/{group}/running-info` parameters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunningQuery {
    client_id: String,
}

/// `GET /api/consumers/{group}/running-info?clientId=C`: the member's running info.
pub async fn running_info(
    state: Shared,
    Path(group): Path<String>,
    Query(q): Query<RunningQuery>,
) -> ApiResult<Value> {
    let info = state
        .admin
        .consumer_running_info(&group, &q.client_id, false)
        .await?;
    let queues: Vec<Value> = info
        .mq_table
        .iter()
        .map(|(mq, p)| {
            let mut v = serde_json::to_value(p).unwrap_or_default();
            v["topic"] = json!(mq.topic);
            v["brokerName"] = json!(mq.broker_name);
            v["queueId"] = json!(mq.queue_id);
            v
        })
        .collect();
    Ok(Json(json!({
        "properties": info.properties,
        "subscriptions": info.subscription_set,
        "queues": queues,
    })))
}

/// `POST /api/consumers/{group}/reset-offset` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetForm {
    topic: String,
    timestamp: i64,
    #[serde(default = "yes")]
    force: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/consumers/{group}/reset-offset` `{topic, timestamp, force}`.
pub async fn reset_offset(
    state: Shared,
    headers: HeaderMap,
    Path(group): Path<String>,
    Json(form): Json<ResetForm>,
) -> ApiResult<Value> {
    state.auth.check_write(&headers)?;
    if form.topic.is_empty() {
        return Err(ApiError::bad_request("topic is required"));
    }
    let outcome = state
        .admin
        .reset_offset_by_time(&form.topic, &group, form.timestamp, form.force)
        .await?;
    let (how, queues): (&str, Vec<Value>) = match outcome {
        ResetOutcome::Reset(t) => (
            "reset",
            t.into_iter()
                .map(|(mq, o)| json!({"brokerName": mq.broker_name, "queueId": mq.queue_id, "offset": o}))
                .collect(),
        ),
        ResetOutcome::Committed(t) => (
            "committed",
            t.into_iter()
                .map(|(mq, r)| {
                    json!({"brokerName": mq.broker_name, "queueId": mq.queue_id,
                        "brokerOffset": r.broker_offset, "before": r.consumer_offset,
                        "timestampOffset": r.timestamp_offset, "offset": r.rollback_offset})
                })
                .collect(),
        ),
    };
    Ok(Json(
        json!({"group": group, "topic": form.topic, "how": how, "queues": queues}),
    ))
}
