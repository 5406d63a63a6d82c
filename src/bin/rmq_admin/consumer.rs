//! Consumer-group commands: `consumerProgress`, `consumerConnection`, `resetOffsetByTime`.

use clap::Args;
use rmq_core::client::ResetOutcome;
use rmq_core::protocol::version_desc;
use serde_json::json;

use crate::output::{Report, Table};
use crate::time::{format_seconds, parse_timestamp};
use crate::{AdminCliError, Common};

/// `consumerProgress` flags.
#[derive(Debug, Clone, Args)]
pub struct ConsumerProgressArgs {
    /// Consumer group (else: every group, one line each).
    #[arg(short = 'g', long = "groupName")]
    pub group: Option<String>,
    /// Only this topic (else every topic the group consumes).
    #[arg(short = 't', long = "topicName")]
    pub topic: Option<String>,
}

/// The group's progress per queue, as mqadmin's `consumerProgress -g` prints it.
pub async fn consumer_progress(
    common: &Common,
    args: &ConsumerProgressArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let Some(group) = args.group.as_deref() else {
        let report = groups_overview(&admin).await;
        admin.close().await;
        return report;
    };
    let stats = admin
        .examine_consume_stats(group, args.topic.as_deref())
        .await;
    admin.close().await;
    let stats = stats?;
    let mut table = Table::new([
        "#Topic",
        "#Broker Name",
        "#QID",
        "#Broker Offset",
        "#Consumer Offset",
        "#Diff",
        "#Inflight",
        "#LastTime",
    ]);
    let mut rows = Vec::new();
    let mut inflight_total = 0i64;
    for (mq, w) in &stats.offset_table {
        let diff = w.broker_offset - w.consumer_offset;
        let inflight = w.pull_offset - w.consumer_offset;
        inflight_total += inflight;
        let last = if w.last_timestamp == 0 {
            "N/A".to_owned()
        } else {
            format_seconds(w.last_timestamp)
        };
        table.row([
            mq.topic.clone(),
            mq.broker_name.clone(),
            mq.queue_id.to_string(),
            w.broker_offset.to_string(),
            w.consumer_offset.to_string(),
            diff.to_string(),
            inflight.to_string(),
            last,
        ]);
        rows.push(json!({
            "topic": mq.topic, "brokerName": mq.broker_name, "queueId": mq.queue_id,
            "brokerOffset": w.broker_offset, "consumerOffset": w.consumer_offset,
            "diff": diff, "inflight": inflight, "lastTimestamp": w.last_timestamp,
        }));
    }
    let diff_total = stats.diff_total();
    let mut text = table.render();
    text.push_str(&format!(
        "\nConsume TPS: {:.2}\nConsume Diff Total: {diff_total}\nConsume Inflight Total: {inflight_total}\n",
        stats.consume_tps
    ));
    Ok(Report {
        text,
        json: json!({
            "group": group, "queues": rows, "consumeTps": stats.consume_tps,
            "diffTotal": diff_total, "inflightTotal": inflight_total,
        }),
    })
}

/// mqadmin's `consumerProgress` without `-g`: every group with a retry topic, its clients
/// (count, lowest version, type, model), consume TPS and diff total.
async fn groups_overview(admin: &rmq_core::client::MqAdmin) -> Result<Report, AdminCliError> {
    use rmq_core::protocol::body::ConsumeType;
    let mut table = Table::new([
        "#Group",
        "#Count",
        "#Version",
        "#Type",
        "#Model",
        "#TPS",
        "#Diff Total",
    ]);
    let mut rows = Vec::new();
    for group in admin.groups_with_retry_topic().await? {
        let stats = admin.consume_stats_all(&group).await.ok();
        let cc = admin.consumer_connection(&group).await.ok();
        let count = cc.as_ref().map_or(0, |c| c.connection_set.len());
        let (version, kind, model) = match cc.as_ref().filter(|_| count > 0) {
            Some(c) => {
                let min = c
                    .connection_set
                    .iter()
                    .map(|x| x.version)
                    .min()
                    .unwrap_or(0);
                let kind = if c.consume_type == ConsumeType::ConsumeActively {
                    "PULL"
                } else {
                    "PUSH"
                };
                let model = if c.consume_type == ConsumeType::ConsumePassively {
                    c.message_model.as_str()
                } else {
                    ""
                };
                (version_desc(min), kind, model)
            }
            None => ("OFFLINE".to_owned(), "", ""),
        };
        let tps = stats.as_ref().map_or(0, |s| s.consume_tps as i64);
        let diff = stats.as_ref().map_or(0, |s| s.diff_total());
        table.row([
            group.clone(),
            count.to_string(),
            version.clone(),
            kind.to_owned(),
            model.to_owned(),
            tps.to_string(),
            diff.to_string(),
        ]);
        rows.push(json!({
            "group": group, "count": count, "version": version, "type": kind, "model": model,
            "tps": tps, "diffTotal": diff,
        }));
    }
    Ok(Report::table(&table, json!({ "groups": rows })))
}

/// `consumerConnection` flags.
#[derive(Debug, Clone, Args)]
pub struct ConsumerConnectionArgs {
    /// Consumer group.
    #[arg(short = 'g', long = "consumerGroup")]
    pub group: String,
}

/// The group's online clients and subscriptions.
pub async fn consumer_connection(
    common: &Common,
    args: &ConsumerConnectionArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let cc = admin.consumer_connection(&args.group).await;
    admin.close().await;
    let cc = cc?;
    let mut clients = Table::new(["#ClientId", "#ClientAddr", "#Language", "#Version"]);
    for c in &cc.connection_set {
        clients.row([
            c.client_id.clone(),
            c.client_addr.clone(),
            c.language.clone(),
            version_desc(c.version),
        ]);
    }
    let mut subs = Table::new(["#Topic", "#SubExpression"]);
    let mut topics: Vec<_> = cc.subscription_table.values().collect();
    topics.sort_by(|a, b| a.topic.cmp(&b.topic));
    for s in &topics {
        subs.row([s.topic.clone(), s.sub_string.clone()]);
    }
    let text = format!(
        "{}\nBelow is subscription:\n{}\nConsumeType: {}\nMessageModel: {}\nConsumeFromWhere: {}\n",
        clients.render(),
        subs.render(),
        cc.consume_type.as_str(),
        cc.message_model.as_str(),
        cc.consume_from_where.as_str()
    );
    let connections: Vec<_> = cc
        .connection_set
        .iter()
        .map(|c| json!({"clientId": c.client_id, "clientAddr": c.client_addr, "language": c.language, "version": version_desc(c.version)}))
        .collect();
    let subscriptions: Vec<_> = topics
        .iter()
        .map(|s| json!({"topic": s.topic, "subExpression": s.sub_string}))
        .collect();
    Ok(Report {
        text,
        json: json!({
            "group": args.group, "connections": connections, "subscriptions": subscriptions,
            "consumeType": cc.consume_type.as_str(), "messageModel": cc.message_model.as_str(),
            "consumeFromWhere": cc.consume_from_where.as_str(),
        }),
    })
}

/// `resetOffsetByTime` flags.
#[derive(Debug, Clone, Args)]
pub struct ResetOffsetByTimeArgs {
    /// Consumer group.
    #[arg(short = 'g', long = "group")]
    pub group: String,
    /// Topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// `now`, milliseconds, or `yyyy-MM-dd#HH:mm:ss:SSS`.
    #[arg(short = 's', long = "timestamp")]
    pub timestamp: String,
    /// Also move offsets forward (`true`, the default) or only back (`false`).
    #[arg(short = 'f', long = "force")]
    pub force: Option<bool>,
}

/// Resets the group's offsets on the topic to the time; online clients restart from them.
pub async fn reset_offset_by_time(
    common: &Common,
    args: &ResetOffsetByTimeArgs,
) -> Result<Report, AdminCliError> {
    let ts = parse_timestamp(&args.timestamp).map_err(AdminCliError::Usage)?;
    let force = args.force.unwrap_or(true);
    let admin = common.admin()?;
    let outcome = admin
        .reset_offset_by_time(&args.topic, &args.group, ts, force)
        .await;
    admin.close().await;
    let mut text = format!(
        "start reset consumer offset by specified, group[{}], topic[{}], force[{force}], timestamp(string)[{}], timestamp(long)[{ts}]\n",
        args.group, args.topic, args.timestamp
    );
    let mut rows = Vec::new();
    match outcome? {
        ResetOutcome::Reset(table) => {
            let mut t = Table::new(["#brokerName", "#queueId", "#offset"]);
            for (mq, offset) in &table {
                t.row([
                    mq.broker_name.clone(),
                    mq.queue_id.to_string(),
                    offset.to_string(),
                ]);
                rows.push(
                    json!({"brokerName": mq.broker_name, "queueId": mq.queue_id, "offset": offset}),
                );
            }
            text.push_str(&t.render());
        }
        ResetOutcome::Committed(table) => {
            // mqadmin's ResetOffsetByTimeOldCommand table.
            text = format!(
                "reset consumer offset by specified consumerGroup[{}], topic[{}], force[{force}], timestamp(string)[{}], timestamp(long)[{ts}]\n",
                args.group, args.topic, args.timestamp
            );
            let mut t = Table::new([
                "#brokerName",
                "#queueId",
                "#brokerOffset",
                "#consumerOffset",
                "#timestampOffset",
                "#resetOffset",
            ]);
            for (mq, r) in &table {
                t.row([
                    mq.broker_name.clone(),
                    mq.queue_id.to_string(),
                    r.broker_offset.to_string(),
                    r.consumer_offset.to_string(),
                    r.timestamp_offset.to_string(),
                    r.rollback_offset.to_string(),
                ]);
                rows.push(json!({"brokerName": mq.broker_name, "queueId": mq.queue_id, "offset": r.rollback_offset, "previousOffset": r.consumer_offset}));
            }
            text.push_str(&t.render());
        }
    }
    Ok(Report {
        text,
        json: json!({"group": args.group, "topic": args.topic, "timestamp": ts, "force": force, "offsets": rows}),
    })
}
