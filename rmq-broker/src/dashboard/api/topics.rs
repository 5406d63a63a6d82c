//! The Topics page: search, route, per-queue min/max offset, consumer groups,
//! create/update/delete, and send a test message.

use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::Json;
use rmq_core::protocol::message::Message;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, ApiResult, Shared};

/// Topics the brokers keep for themselves.
fn is_system_topic(t: &str) -> bool {
    const NAMES: [&str; 8] = [
        "TBW102",
        "SCHEDULE_TOPIC_XXXX",
        "BenchmarkTest",
        "OFFSET_MOVED_EVENT",
        "SELF_TEST_TOPIC",
        "RMQ_SYS_TRANS_HALF_TOPIC",
        "RMQ_SYS_TRANS_OP_HALF_TOPIC",
        "TRANS_CHECK_MAX_TIME_TOPIC",
    ];
    NAMES.contains(&t)
        || t.starts_with("rmq_sys_")
        || t.starts_with("RMQ_SYS_")
        || t.starts_with("%RETRY%")
        || t.starts_with("%DLQ%")
}

/// `GET /api/topics` parameters.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Substring to match (case-insensitive).
    #[serde(default)]
    search: Option<String>,
    /// `true`: include system, retry and DLQ topics.
    #[serde(default)]
    system: Option<String>,
}

/// `GET /api/topics?search=&system=`: the name servers' topic list.
pub async fn list(state: Shared, Query(q): Query<ListQuery>) -> ApiResult<Value> {
    let system = q.system.as_deref() == Some("true");
    let info = state.admin.cluster_info().await?;
    let needle = q.search.unwrap_or_default().to_lowercase();
    let topics: Vec<String> = state
        .admin
        .topic_list()
        .await?
        .into_iter()
        .filter(|t| {
            system
                || !(is_system_topic(t)
                    || info.cluster_addr_table.contains_key(t)
                    || info.broker_addr_table.contains_key(t))
        })
        .filter(|t| t.to_lowercase().contains(&needle))
        .collect();
    Ok(Json(json!({ "topics": topics })))
}

/// `GET /api/topics/{topic}`: route, per-queue offsets, consuming groups.
pub async fn detail(state: Shared, Path(topic): Path<String>) -> ApiResult<Value> {
    let route = state.admin.topic_route(&topic).await?;
    let stats = state.admin.topic_stats(&topic).await?;
    let queues: Vec<Value> = stats
        .offset_table
        .iter()
        .map(|(mq, o)| {
            json!({"brokerName": mq.broker_name, "queueId": mq.queue_id,
                "minOffset": o.min_offset, "maxOffset": o.max_offset,
                "lastUpdateTimestamp": o.last_update_timestamp})
        })
        .collect();
    let brokers: Vec<Value> = route
        .broker_datas
        .iter()
        .map(|b| {
            let q = route.queue_datas.iter().find(|q| q.broker_name == b.broker_name);
            json!({"brokerName": b.broker_name, "cluster": b.cluster, "brokerAddrs": b.broker_addrs,
                "readQueueNums": q.map(|q| q.read_queue_nums), "writeQueueNums": q.map(|q| q.write_queue_nums),
                "perm": q.map(|q| q.perm)})
        })
        .collect();
    let mut out =
        json!({"topic": topic, "queues": queues, "route": {"brokers": brokers, "raw": route}});
    match state.admin.topic_consumed_by(&topic).await {
        Ok(groups) => out["consumerGroups"] = json!(groups),
        Err(e) => out["consumerGroupsError"] = json!(e.to_string()),
    }
    Ok(Json(out))
}

/// `DELETE /api/topics/{topic}`: from every cluster's masters and the name servers.
pub async fn delete(
    state: Shared,
    headers: HeaderMap,
    Path(topic): Path<String>,
) -> ApiResult<Value> {
    state.auth.check_write(&headers)?;
    valid_topic(&topic)?;
    let route = state.admin.topic_route(&topic).await?;
    let mut clusters: Vec<String> = route
        .broker_datas
        .iter()
        .map(|b| b.cluster.clone())
        .collect();
    clusters.sort();
    clusters.dedup();
    for c in &clusters {
        state.admin.delete_topic(&topic, c).await?;
    }
    Ok(Json(
        json!({"topic": topic, "deleted": true, "clusters": clusters}),
    ))
}

/// `POST /api/topics` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTopic {
    topic: String,
    #[serde(default = "default_queues")]
    queues: i32,
}

fn default_queues() -> i32 {
    8
}

fn valid_topic(t: &str) -> Result<(), ApiError> {
    if t.is_empty()
        || t.len() > 127
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '%' || c == '|')
    {
        return Err(ApiError::bad_request(format!(
            "invalid topic name {t:?}: 1..127 characters of [A-Za-z0-9_%|-]"
        )));
    }
    Ok(())
}

/// `POST /api/topics` `{topic, queues}`: creates or updates the topic on every master.
pub async fn create(
    state: Shared,
    headers: HeaderMap,
    Json(form): Json<CreateTopic>,
) -> ApiResult<Value> {
    state.auth.check_write(&headers)?;
    valid_topic(&form.topic)?;
    if !(1..=1024).contains(&form.queues) {
        return Err(ApiError::bad_request("queues must be 1..1024"));
    }
    state.admin.create_topic(&form.topic, form.queues).await?;
    Ok(Json(json!({"topic": form.topic, "queues": form.queues})))
}

/// `POST /api/topics/{topic}/messages` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestMessage {
    #[serde(default)]
    body: String,
    #[serde(default)]
    tags: Option<String>,
    #[serde(default)]
    keys: Option<String>,
}

/// `POST /api/topics/{topic}/messages` `{body, tags, keys}`: sends one message.
pub async fn send(
    state: Shared,
    headers: HeaderMap,
    Path(topic): Path<String>,
    Json(form): Json<TestMessage>,
) -> ApiResult<Value> {
    state.auth.check_write(&headers)?;
    valid_topic(&topic)?;
    let mut msg = Message::new(topic.clone(), form.body.into_bytes());
    if let Some(t) = form.tags.filter(|t| !t.is_empty()) {
        msg = msg.with_tags(t);
    }
    if let Some(k) = form.keys.filter(|k| !k.is_empty()) {
        msg = msg.with_keys(k);
    }
    let producer = state.producer().await?;
    let r = producer.send(&msg).await?;
    Ok(Json(json!({
        "sendStatus": format!("{:?}", r.send_status),
        "msgId": r.msg_id,
        "offsetMsgId": r.offset_msg_id,
        "brokerName": r.message_queue.broker_name,
        "queueId": r.message_queue.queue_id,
        "queueOffset": r.queue_offset,
    })))
}
