//! Message commands: `queryMsgById`, `queryMsgByKey`, `queryMsgByOffset`, `sendMessage`,
//! `consumeMessage`.

use std::collections::BTreeMap;

use clap::Args;
use rmq_core::client::{MessageTrack, MqAdmin};
use rmq_core::protocol::body::{CmResult, ConsumeMessageDirectlyResult, MessageQueue};
use rmq_core::protocol::message::MessageExt;
use serde_json::{json, Value};

use crate::output::{Report, Table};
use crate::time::{format_millis, parse_timestamp};
use crate::{AdminCliError, Common};

/// Writes the body where mqadmin does (`/tmp/rocketmq/msgbodys/<msgId>`); the path, or why not.
fn body_file(msg: &MessageExt) -> String {
    let dir = std::env::temp_dir().join("rocketmq").join("msgbodys");
    let path = dir.join(msg.msg_id());
    match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, &msg.body)) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not written: {e})"),
    }
}

fn opt(v: Option<&str>) -> String {
    v.unwrap_or("null").to_owned()
}

/// mqadmin's `printMsg` lines and the message as JSON.
fn message_report(msg: &MessageExt, tracks: &[MessageTrack]) -> (String, Value) {
    let props: BTreeMap<&String, &String> = msg.properties.iter().collect();
    let props_text = props
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let lines = [
        ("OffsetID:", msg.offset_msg_id()),
        ("Topic:", msg.topic.clone()),
        ("Tags:", format!("[{}]", opt(msg.tags()))),
        ("Keys:", format!("[{}]", opt(msg.keys()))),
        ("Queue ID:", msg.queue_id.to_string()),
        ("Queue Offset:", msg.queue_offset.to_string()),
        ("CommitLog Offset:", msg.commit_log_offset.to_string()),
        ("Reconsume Times:", msg.reconsume_times.to_string()),
        ("Born Timestamp:", format_millis(msg.born_timestamp)),
        ("Store Timestamp:", format_millis(msg.store_timestamp)),
        ("Born Host:", msg.born_host.to_string()),
        ("Store Host:", msg.store_host.to_string()),
        ("System Flag:", msg.sys_flag.to_string()),
        ("Properties:", format!("{{{props_text}}}")),
        ("Message Body Path:", body_file(msg)),
    ];
    let mut text: String = lines
        .iter()
        .map(|(k, v)| format!("{k:<20} {v}\n"))
        .collect();
    if tracks.is_empty() {
        text.push_str("\n\nWARN: No Consumer\n");
    } else {
        text.push_str("\n\n");
        for t in tracks {
            text.push_str(&format!(
                "MessageTrack [consumerGroup={}, trackType={}, exceptionDesc={}]\n",
                t.consumer_group,
                t.track_type.as_str(),
                opt(t.exception_desc.as_deref())
            ));
        }
    }
    let json = json!({
        "msgId": msg.msg_id(), "offsetMsgId": msg.offset_msg_id(), "topic": msg.topic,
        "tags": msg.tags(), "keys": msg.keys(), "queueId": msg.queue_id,
        "queueOffset": msg.queue_offset, "commitLogOffset": msg.commit_log_offset,
        "reconsumeTimes": msg.reconsume_times, "bornTimestamp": msg.born_timestamp,
        "storeTimestamp": msg.store_timestamp, "bornHost": msg.born_host.to_string(),
        "storeHost": msg.store_host.to_string(), "sysFlag": msg.sys_flag,
        "properties": props, "body": String::from_utf8_lossy(&msg.body),
        "tracks": tracks,
    });
    (text, json)
}

/// Java's `ConsumeMessageDirectlyResult.toString()`.
fn direct_text(r: &ConsumeMessageDirectlyResult) -> String {
    format!(
        "ConsumeMessageDirectlyResult [order={}, autoCommit={}, consumeResult={}, remark={}, spentTimeMills={}]",
        r.order,
        r.auto_commit,
        r.consume_result.map(CmResult::as_str).unwrap_or("null"),
        opt(r.remark.as_deref()),
        r.spent_time_mills
    )
}

/// `queryMsgById` flags.
#[derive(Debug, Clone, Args)]
pub struct QueryMsgByIdArgs {
    /// Message id(s), comma separated: offset msg ids, or client ids with `-t`.
    #[arg(short = 'i', long = "msgId")]
    pub msg_id: String,
    /// Topic (needed for client msg ids).
    #[arg(short = 't', long = "topic")]
    pub topic: Option<String>,
    /// Consumer group: with `-d`, that client consumes the message directly.
    #[arg(short = 'g', long = "consumerGroup", requires = "client_id")]
    pub group: Option<String>,
    /// Client id of the group's consumer to push the message to.
    #[arg(short = 'd', long = "clientId", requires = "group")]
    pub client_id: Option<String>,
}

/// Prints each message and which groups consumed it; with `-g -d`, a client consumes it.
pub async fn query_msg_by_id(
    common: &Common,
    args: &QueryMsgByIdArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let result = by_id(&admin, args).await;
    admin.close().await;
    result
}

async fn by_id(admin: &MqAdmin, args: &QueryMsgByIdArgs) -> Result<Report, AdminCliError> {
    let mut text = String::new();
    let mut docs = Vec::new();
    for id in args
        .msg_id
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let msg = admin.view_message(args.topic.as_deref(), id).await?;
        if let (Some(g), Some(c)) = (&args.group, &args.client_id) {
            let r = admin.consume_message_directly(g, c, &msg.topic, id).await?;
            text.push_str(&direct_text(&r));
            text.push('\n');
            docs.push(json!({"msgId": id, "result": r}));
            continue;
        }
        let tracks = admin.message_track(&msg).await.unwrap_or_default();
        let (t, j) = message_report(&msg, &tracks);
        text.push_str(&t);
        docs.push(j);
    }
    Ok(Report {
        text,
        json: json!({ "messages": docs }),
    })
}

/// `queryMsgByKey` flags.
#[derive(Debug, Clone, Args)]
pub struct QueryMsgByKeyArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Message key.
    #[arg(short = 'k', long = "msgKey")]
    pub key: String,
    /// Stored at or after (ms or yyyy-MM-dd#HH:mm:ss:SSS; default 0).
    #[arg(short = 'b', long = "beginTimestamp")]
    pub begin: Option<String>,
    /// Stored at or before (default: now... forever).
    #[arg(short = 'e', long = "endTimestamp")]
    pub end: Option<String>,
    /// At most this many per broker (64).
    #[arg(short = 'm', long = "maxNum", default_value_t = 64)]
    pub max: i32,
}

/// The messages of the topic with the key.
pub async fn query_msg_by_key(
    common: &Common,
    args: &QueryMsgByKeyArgs,
) -> Result<Report, AdminCliError> {
    let ts = |v: &Option<String>, d: i64| match v {
        Some(s) => parse_timestamp(s).map_err(AdminCliError::Usage),
        None => Ok(d),
    };
    let (begin, end) = (ts(&args.begin, 0)?, ts(&args.end, i64::MAX)?);
    let admin = common.admin()?;
    let found = admin
        .query_message_by_key(&args.topic, &args.key, args.max, begin, end)
        .await;
    admin.close().await;
    let found = found?;
    let mut table = Table::new(["#Message ID", "#QID", "#Offset"]);
    let mut rows = Vec::new();
    for m in &found {
        table.row([
            m.msg_id(),
            m.queue_id.to_string(),
            m.queue_offset.to_string(),
        ]);
        rows.push(json!({"msgId": m.msg_id(), "offsetMsgId": m.offset_msg_id(), "queueId": m.queue_id, "queueOffset": m.queue_offset}));
    }
    Ok(Report::table(&table, json!({ "messages": rows })))
}

/// `queryMsgByOffset` flags.
#[derive(Debug, Clone, Args)]
pub struct QueryMsgByOffsetArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Broker name.
    #[arg(short = 'b', long = "brokerName")]
    pub broker: String,
    /// Queue id.
    #[arg(short = 'i', long = "queueId")]
    pub queue_id: i32,
    /// Queue offset.
    #[arg(short = 'o', long = "offset")]
    pub offset: i64,
}

/// The message at a queue offset.
pub async fn query_msg_by_offset(
    common: &Common,
    args: &QueryMsgByOffsetArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let result = async {
        let msg = admin
            .query_message_by_offset(&args.topic, &args.broker, args.queue_id, args.offset)
            .await?
            .ok_or_else(|| {
                AdminCliError::Usage(format!(
                    "no message at offset {} of {}",
                    args.offset,
                    MessageQueue::new(&args.topic, &args.broker, args.queue_id)
                ))
            })?;
        let tracks = admin.message_track(&msg).await.unwrap_or_default();
        Ok::<_, AdminCliError>(message_report(&msg, &tracks))
    }
    .await;
    admin.close().await;
    let (text, json) = result?;
    Ok(Report { text, json })
}
