//! `sendMessage` (one message, optionally to one queue) and `consumeMessage` (pull messages of
//! a topic or a queue and print them, committing nothing).

use clap::Args;
use rmq_core::client::{DefaultMqProducer, ProducerConfig, SendStatus};
use rmq_core::protocol::body::MessageQueue;
use rmq_core::protocol::message::Message;
use serde_json::json;

use crate::output::{Report, Table};
use crate::{AdminCliError, Common};

fn status_name(s: SendStatus) -> &'static str {
    match s {
        SendStatus::SendOk => "SEND_OK",
        SendStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
        SendStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
        SendStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
    }
}

/// `sendMessage` flags.
#[derive(Debug, Clone, Args)]
pub struct SendMessageArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Body (UTF-8).
    #[arg(short = 'p', long = "body")]
    pub body: String,
    /// Keys.
    #[arg(short = 'k', long = "key")]
    pub keys: Option<String>,
    /// Tag.
    #[arg(short = 'c', long = "tags")]
    pub tags: Option<String>,
    /// Broker name (with `-i`: that queue only).
    #[arg(short = 'b', long = "broker", requires = "queue")]
    pub broker: Option<String>,
    /// Queue id.
    #[arg(short = 'i', long = "qid", requires = "broker")]
    pub queue: Option<i32>,
}

/// Sends one message and prints where it went.
pub async fn send_message(
    common: &Common,
    args: &SendMessageArgs,
) -> Result<Report, AdminCliError> {
    let producer = DefaultMqProducer::new(
        common.client_config()?,
        ProducerConfig {
            producer_group: "PID_RMQ_ADMIN".into(),
            ..Default::default()
        },
    )?;
    let mut msg = Message::new(args.topic.trim(), args.body.clone().into_bytes());
    if let Some(k) = &args.keys {
        msg = msg.with_keys(k.clone());
    }
    if let Some(t) = &args.tags {
        msg = msg.with_tags(t.clone());
    }
    let result = match (&args.broker, args.queue) {
        (Some(b), Some(q)) => {
            producer
                .send_to_queue(&msg, &MessageQueue::new(args.topic.trim(), b.trim(), q))
                .await
        }
        _ => producer.send(&msg).await,
    };
    producer.shutdown().await;
    let r = result?;
    let mut table = Table::new(["#Broker Name", "#QID", "#Send Result", "#MsgId"]);
    table.row([
        r.message_queue.broker_name.clone(),
        r.message_queue.queue_id.to_string(),
        status_name(r.send_status).to_owned(),
        r.msg_id.clone(),
    ]);
    Ok(Report::table(
        &table,
        json!({
            "brokerName": r.message_queue.broker_name, "queueId": r.message_queue.queue_id,
            "sendStatus": status_name(r.send_status), "msgId": r.msg_id,
            "offsetMsgId": r.offset_msg_id, "queueOffset": r.queue_offset,
        }),
    ))
}

/// `consumeMessage` flags.
#[derive(Debug, Clone, Args)]
pub struct ConsumeMessageArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Only this broker.
    #[arg(short = 'b', long = "brokerName")]
    pub broker: Option<String>,
    /// Only this queue (with `-b`).
    #[arg(short = 'i', long = "queueId", requires = "broker")]
    pub queue: Option<i32>,
    /// Start at this offset (with `-b -i`; else each queue's min offset).
    #[arg(short = 'o', long = "offset", requires = "queue")]
    pub offset: Option<i64>,
    /// At most this many messages (128).
    #[arg(short = 'c', long = "MessageNumber", default_value_t = 128)]
    pub count: usize,
    /// Accepted for mqadmin compatibility; pulls use the tools group and commit nothing.
    #[arg(short = 'g', long = "consumerGroup")]
    pub group: Option<String>,
}

/// Pulls and prints up to `-c` messages, queue by queue.
pub async fn consume_message(
    common: &Common,
    args: &ConsumeMessageArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let result = async {
        let topic = args.topic.trim();
        let mut queues: Vec<MessageQueue> = Vec::new();
        match (&args.broker, args.queue) {
            (Some(b), Some(q)) => queues.push(MessageQueue::new(topic, b.trim(), q)),
            _ => {
                let route = admin.topic_route(topic).await?;
                for qd in &route.queue_datas {
                    if args.broker.as_deref().is_some_and(|b| b.trim() != qd.broker_name) {
                        continue;
                    }
                    for q in 0..qd.read_queue_nums {
                        queues.push(MessageQueue::new(topic, &qd.broker_name, q));
                    }
                }
            }
        }
        queues.sort();
        let mut table = Table::new(["#Broker Name", "#QID", "#Offset", "#MsgId", "#Tags", "#Keys", "#Body"]);
        let mut rows = Vec::new();
        for mq in queues {
            let addr = admin.broker_master(topic, &mq.broker_name).await?;
            let mut offset = match args.offset {
                Some(o) => o,
                None => admin.pull_at(&addr, topic, mq.queue_id, 0, 1).await?.min_offset,
            };
            while rows.len() < args.count {
                let want = (args.count - rows.len()).min(32) as i32;
                let batch = admin.pull_at(&addr, topic, mq.queue_id, offset, want).await?;
                if batch.messages.is_empty() {
                    break;
                }
                for m in batch.messages.iter().take(args.count - rows.len()) {
                    let body = String::from_utf8_lossy(&m.body).into_owned();
                    table.row([
                        mq.broker_name.clone(),
                        mq.queue_id.to_string(),
                        m.queue_offset.to_string(),
                        m.msg_id(),
                        m.tags().unwrap_or("").to_owned(),
                        m.keys().unwrap_or("").to_owned(),
                        body.clone(),
                    ]);
                    rows.push(json!({
                        "brokerName": mq.broker_name, "queueId": mq.queue_id, "queueOffset": m.queue_offset,
                        "msgId": m.msg_id(), "tags": m.tags(), "keys": m.keys(), "body": body,
                    }));
                }
                if batch.next_offset <= offset {
                    break;
                }
                offset = batch.next_offset;
            }
        }
        Ok::<_, AdminCliError>(Report::table(&table, json!({ "messages": rows })))
    }
    .await;
    admin.close().await;
    result
}
