//! Topic writes: create/update, and send a test message.

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::Json;
use rmq_core::protocol::message::Message;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, ApiResult, Shared};

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
