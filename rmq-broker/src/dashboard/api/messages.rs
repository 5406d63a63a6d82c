//! The Messages page: by topic and time range, by key, by id; a message's properties and
//! consume status per group; resend to a group (CONSUME_MESSAGE_DIRECTLY).

use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::Json;
use rmq_core::protocol::message::MessageExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, ApiResult, Shared};

/// Most messages one query returns.
const MAX_RESULTS: usize = 200;
/// How many messages a time-range scan reads at most (over all queues) before it sorts.
const SCAN_LIMIT: usize = 2000;
/// Largest body shown in a detail.
const MAX_BODY_SHOWN: usize = 64 * 1024;

/// One message in a result table.
pub fn row(m: &MessageExt) -> Value {
    json!({
        "msgId": m.msg_id(),
        "offsetMsgId": m.offset_msg_id(),
        "topic": m.topic,
        "tags": m.tags(),
        "keys": m.keys(),
        "queueId": m.queue_id,
        "queueOffset": m.queue_offset,
        "storeTimestamp": m.store_timestamp,
        "bornTimestamp": m.born_timestamp,
        "bornHost": m.born_host.to_string(),
        "storeHost": m.store_host.to_string(),
        "reconsumeTimes": m.reconsume_times,
        "bodyLength": m.body.len(),
    })
}

/// The messages of `topic` stored in `[begin, end]` (ms), newest first, at most
/// [`MAX_RESULTS`]: each queue is read from the offset its broker finds for `begin`
/// (SEARCH_OFFSET_BY_TIMESTAMP) up to the one it finds for `end`, as RocketMQ Dashboard does.
pub async fn scan_by_time(
    state: &super::State,
    topic: &str,
    begin: i64,
    end: i64,
) -> Result<Vec<MessageExt>, ApiError> {
    let route = state.admin.topic_route(topic).await?;
    let stats = state.admin.topic_stats(topic).await?;
    let mut found = Vec::new();
    for (mq, o) in &stats.offset_table {
        let Some(addr) = route
            .broker_datas
            .iter()
            .find(|b| b.broker_name == mq.broker_name)
            .and_then(|b| b.master_addr())
        else {
            continue;
        };
        let from = state
            .admin
            .search_offset(addr, topic, mq.queue_id, begin)
            .await?
            .max(o.min_offset);
        let to = state
            .admin
            .search_offset(addr, topic, mq.queue_id, end.saturating_add(1))
            .await?
            .min(o.max_offset);
        let mut offset = from;
        while offset < to && found.len() < SCAN_LIMIT {
            let batch = state
                .admin
                .pull_at(addr, topic, mq.queue_id, offset, 32)
                .await?;
            if batch.messages.is_empty() || batch.next_offset <= offset {
                break;
            }
            found.extend(
                batch
                    .messages
                    .into_iter()
                    .filter(|m| (begin..=end).contains(&m.store_timestamp)),
            );
            offset = batch.next_offset;
        }
    }
    found.sort_by_key(|m| std::cmp::Reverse(m.store_timestamp));
    found.truncate(MAX_RESULTS);
    Ok(found)
}

/// `GET /api/messages` parameters: `topic` with `begin`/`end`, or `key`, or `msgId`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageQuery {
    topic: Option<String>,
    key: Option<String>,
    msg_id: Option<String>,
    begin: Option<i64>,
    end: Option<i64>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `GET /api/messages?topic=&begin=&end=` | `?topic=&key=` | `?msgId=[&topic=]`.
pub async fn query(state: Shared, Query(q): Query<MessageQuery>) -> ApiResult<Value> {
    let topic = non_empty(q.topic);
    let now = rmq_core::clock::now_ms();
    let msgs = if let Some(id) = non_empty(q.msg_id) {
        vec![state.admin.view_message(topic.as_deref(), &id).await?]
    } else if let Some(key) = non_empty(q.key) {
        let topic = topic.ok_or_else(|| ApiError::bad_request("`topic` is required with `key`"))?;
        let begin = q.begin.unwrap_or(0);
        let end = q.end.unwrap_or(now + 3_600_000);
        state
            .admin
            .query_message_by_key(&topic, &key, MAX_RESULTS as i32, begin, end)
            .await?
    } else {
        let topic = topic.ok_or_else(|| {
            ApiError::bad_request("give `topic` (with `begin`/`end` or `key`) or `msgId`")
        })?;
        let begin = q.begin.unwrap_or(now - 3_600_000);
        let end = q.end.unwrap_or(now + 60_000);
        scan_by_time(&state, &topic, begin, end).await?
    };
    Ok(Json(
        json!({"messages": msgs.iter().map(row).collect::<Vec<_>>()}),
    ))
}

/// `GET /api/messages/{id}` parameters.
#[derive(Debug, Deserialize)]
pub struct DetailQuery {
    topic: Option<String>,
}

/// `GET /api/messages/{id}?topic=T`: properties, body and consume status per group.
pub async fn detail(
    state: Shared,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> ApiResult<Value> {
    let topic = non_empty(q.topic);
    let m = state.admin.view_message(topic.as_deref(), &id).await?;
    let mut out = row(&m);
    let shown = &m.body[..m.body.len().min(MAX_BODY_SHOWN)];
    out["body"] = json!(String::from_utf8_lossy(shown));
    out["properties"] = json!(m.properties);
    match state.admin.message_track(&m).await {
        Ok(tracks) => out["tracks"] = json!(tracks),
        Err(e) => out["tracksError"] = json!(e.to_string()),
    }
    Ok(Json(out))
}

/// `POST /api/messages/{id}/resend` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResendForm {
    pub(super) topic: String,
    pub(super) group: String,
    #[serde(default)]
    pub(super) client_id: Option<String>,
}

/// Hands message `id` of `topic` to a member of `group` (the first online one unless
/// `client_id` is given).
pub async fn resend_to(
    state: &super::State,
    id: &str,
    form: ResendForm,
) -> Result<Value, ApiError> {
    let client_id = match non_empty(form.client_id) {
        Some(c) => c,
        None => state
            .admin
            .consumer_connection(&form.group)
            .await?
            .connection_set
            .first()
            .map(|c| c.client_id.clone())
            .ok_or_else(|| {
                ApiError::bad_request(format!("group {} has no online member", form.group))
            })?,
    };
    let r = state
        .admin
        .consume_message_directly(&form.group, &client_id, &form.topic, id)
        .await?;
    Ok(json!({"group": form.group, "clientId": client_id, "result": r}))
}

/// `POST /api/messages/{id}/resend` `{topic, group, clientId?}`.
pub async fn resend(
    state: Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(form): Json<ResendForm>,
) -> ApiResult<Value> {
    state.auth.check_write(&headers)?;
    Ok(Json(resend_to(&state, &id, form).await?))
}
