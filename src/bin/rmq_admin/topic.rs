//! Topic commands: `topicList`, `topicRoute`, `topicStatus`, `updateTopic`, `deleteTopic`.

use clap::Args;
use rmq_core::client::MqAdmin;
use rmq_core::protocol::body::{TopicConfig, PERM_INHERIT, PERM_READ, PERM_WRITE};
use serde_json::json;

use crate::output::{Report, Table};
use crate::time::format_millis;
use crate::{AdminCliError, Common};

/// Runs `f` with an admin client and closes it afterwards.
async fn with_admin<F, Fut>(common: &Common, f: F) -> Result<Report, AdminCliError>
where
    F: FnOnce(MqAdmin) -> Fut,
    Fut: std::future::Future<Output = (MqAdmin, Result<Report, AdminCliError>)>,
{
    let admin = common.admin()?;
    let (admin, result) = f(admin).await;
    admin.close().await;
    result
}

/// `topicList` flags.
#[derive(Debug, Clone, Args)]
pub struct TopicListArgs {
    /// Print each topic's cluster and consumer groups (retry and DLQ topics left out).
    #[arg(short = 'c', long = "clusterModel")]
    pub cluster_model: bool,
}

/// Every topic of the name server, one per line; with `-c` a table of cluster, topic and the
/// groups consuming it.
pub async fn topic_list(common: &Common, args: &TopicListArgs) -> Result<Report, AdminCliError> {
    let cluster_model = args.cluster_model;
    with_admin(common, |admin| async move {
        let r = async {
            let topics = admin.topic_list().await?;
            if !cluster_model {
                let text = topics.iter().map(|t| format!("{t}\n")).collect();
                return Ok(Report {
                    text,
                    json: json!({ "topics": topics }),
                });
            }
            let info = admin.cluster_info().await?;
            let mut table = Table::new(["#Cluster Name", "#Topic", "#Consumer Group"]);
            let mut rows = Vec::new();
            for topic in &topics {
                if topic.starts_with("%RETRY%") || topic.starts_with("%DLQ%") {
                    continue;
                }
                // As mqadmin: the cluster of the route's first broker; lookup failures leave
                // the cells empty.
                let cluster = match admin.topic_route(topic).await {
                    Ok(route) => route
                        .broker_datas
                        .first()
                        .and_then(|b| {
                            info.cluster_addr_table
                                .iter()
                                .find(|(_, names)| names.contains(&b.broker_name))
                                .map(|(c, _)| c.clone())
                        })
                        .unwrap_or_default(),
                    Err(_) => String::new(),
                };
                let mut groups = admin.topic_consumed_by(topic).await.unwrap_or_default();
                if groups.is_empty() {
                    groups.push(String::new());
                }
                for g in groups {
                    table.row([cluster.as_str(), topic.as_str(), g.as_str()]);
                    rows.push(json!({"cluster": cluster, "topic": topic, "consumerGroup": g}));
                }
            }
            Ok(Report::table(&table, json!({ "topics": rows })))
        }
        .await;
        (admin, r)
    })
    .await
}

/// `topicRoute` flags.
#[derive(Debug, Clone, Args)]
pub struct TopicRouteArgs {
    /// The topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Print a table instead of the route's JSON.
    #[arg(short = 'l', long = "list")]
    pub list: bool,
}

/// The topic's route: its JSON (mqadmin's default) or, with `-l`, a table per broker.
pub async fn topic_route(common: &Common, args: &TopicRouteArgs) -> Result<Report, AdminCliError> {
    let (topic, list) = (args.topic.trim().to_owned(), args.list);
    with_admin(common, |admin| async move {
        let r = async {
            let mut route = admin.topic_route(&topic).await?;
            route
                .queue_datas
                .sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
            route
                .broker_datas
                .sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
            let value = serde_json::to_value(&route).map_err(|e| {
                AdminCliError::Usage(format!("cannot render the route as JSON: {e}"))
            })?;
            if !list {
                let text = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
                return Ok(Report { text, json: value });
            }
            let mut table = Table::new([
                "#ClusterName",
                "#BrokerName",
                "#BrokerAddrs",
                "#ReadQueue",
                "#WriteQueue",
                "#Perm",
            ]);
            let (mut read, mut write) = (0, 0);
            for b in &route.broker_datas {
                let Some(q) = route
                    .queue_datas
                    .iter()
                    .find(|q| q.broker_name == b.broker_name)
                else {
                    continue;
                };
                read += q.read_queue_nums;
                write += q.write_queue_nums;
                // Java prints the address map with Map.toString: {0=host:port}.
                let addrs: Vec<String> = b
                    .broker_addrs
                    .iter()
                    .map(|(id, a)| format!("{id}={a}"))
                    .collect();
                table.row([
                    b.cluster.clone(),
                    b.broker_name.clone(),
                    format!("{{{}}}", addrs.join(", ")),
                    q.read_queue_nums.to_string(),
                    q.write_queue_nums.to_string(),
                    q.perm.to_string(),
                ]);
            }
            let mut text = table.render();
            text.push_str(&"-".repeat(158));
            text.push('\n');
            text.push_str(&format!(
                "Total:  {}  {read}  {write}\n",
                route.queue_datas.len()
            ));
            Ok(Report { text, json: value })
        }
        .await;
        (admin, r)
    })
    .await
}

/// `topicStatus` flags.
#[derive(Debug, Clone, Args)]
pub struct TopicStatusArgs {
    /// The topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Accepted for mqadmin compatibility (its cluster / lmq parent topic); not used.
    #[arg(short = 'c', long = "cluster")]
    pub cluster: Option<String>,
}

/// Per queue min/max offset and last store time, as mqadmin's `topicStatus`.
pub async fn topic_status(
    common: &Common,
    args: &TopicStatusArgs,
) -> Result<Report, AdminCliError> {
    let topic = args.topic.trim().to_owned();
    with_admin(common, |admin| async move {
        let r = async {
            let stats = admin.topic_stats(&topic).await?;
            let mut table = Table::new([
                "#Broker Name",
                "#QID",
                "#Min Offset",
                "#Max Offset",
                "#Last Updated",
            ]);
            let mut rows = Vec::new();
            for (mq, o) in &stats.offset_table {
                let last = if o.last_update_timestamp > 0 {
                    format_millis(o.last_update_timestamp)
                } else {
                    String::new()
                };
                table.row([
                    mq.broker_name.clone(),
                    mq.queue_id.to_string(),
                    o.min_offset.to_string(),
                    o.max_offset.to_string(),
                    last,
                ]);
                rows.push(json!({
                    "brokerName": mq.broker_name, "queueId": mq.queue_id,
                    "minOffset": o.min_offset, "maxOffset": o.max_offset,
                    "lastUpdateTimestamp": o.last_update_timestamp,
                }));
            }
            let mut text = table.render();
            text.push_str(&format!("\nTopic Put TPS: {}\n", stats.topic_put_tps));
            Ok(Report {
                text,
                json: json!({ "topic": topic, "queues": rows, "topicPutTps": stats.topic_put_tps }),
            })
        }
        .await;
        (admin, r)
    })
    .await
}

/// `updateTopic` flags (mqadmin's defaults: 8 read and write queues, perm 6).
#[derive(Debug, Clone, Args)]
pub struct UpdateTopicArgs {
    /// The topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Create it on this broker.
    #[arg(short = 'b', long = "brokerAddr", conflicts_with = "cluster")]
    pub broker: Option<String>,
    /// Create it on every master of this cluster.
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: Option<String>,
    /// Read queues.
    #[arg(short = 'r', long = "readQueueNums", default_value_t = 8)]
    pub read: i32,
    /// Write queues.
    #[arg(short = 'w', long = "writeQueueNums", default_value_t = 8)]
    pub write: i32,
    /// Permission: 2 (W), 4 (R) or 6 (RW).
    #[arg(short = 'p', long = "perm", default_value_t = 6)]
    pub perm: i32,
    /// Ordered topic (`true|false`).
    #[arg(short = 'o', long = "order")]
    pub order: Option<bool>,
}

/// Java's `PermName.perm2String`: `RWX` with `-` for a missing bit.
fn perm_string(perm: i32) -> String {
    [(PERM_READ, 'R'), (PERM_WRITE, 'W'), (PERM_INHERIT, 'X')]
        .iter()
        .map(|(bit, c)| if perm & bit != 0 { *c } else { '-' })
        .collect()
}

/// Java's `TopicConfig.toString`, which mqadmin prints after creating a topic.
fn describe(c: &TopicConfig) -> String {
    let attrs: Vec<String> = c
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, topicSysFlag={}, order={}, attributes={{{}}}]",
        c.topic_name,
        c.read_queue_nums,
        c.write_queue_nums,
        perm_string(c.perm),
        c.topic_filter_type,
        c.topic_sys_flag,
        c.order,
        attrs.join(", ")
    )
}

/// Creates or updates a topic on one broker (`-b`) or every master of a cluster (`-c`).
pub async fn update_topic(
    common: &Common,
    args: &UpdateTopicArgs,
) -> Result<Report, AdminCliError> {
    let mut cfg = TopicConfig::new(args.topic.trim(), 8, args.perm);
    cfg.read_queue_nums = args.read;
    cfg.write_queue_nums = args.write;
    cfg.order = args.order.unwrap_or(false);
    let (broker, cluster) = (args.broker.clone(), args.cluster.clone());
    with_admin(common, |admin| async move {
        let r = async {
            let addrs: Vec<String> = match (broker, cluster) {
                (Some(addr), _) => {
                    admin.update_topic(addr.trim(), &cfg).await?;
                    vec![addr.trim().to_owned()]
                }
                (None, Some(c)) => admin
                    .update_topic_in_cluster(c.trim(), &cfg)
                    .await?
                    .into_iter()
                    .map(|b| b.addr)
                    .collect(),
                (None, None) => {
                    return Err(AdminCliError::Usage(
                        "one of -b (brokerAddr) or -c (clusterName) is required".into(),
                    ))
                }
            };
            let mut text: String = addrs
                .iter()
                .map(|a| format!("create topic to {a} success.\n"))
                .collect();
            text.push_str(&describe(&cfg));
            text.push('\n');
            Ok(Report {
                text,
                json: json!({ "brokers": addrs, "topicConfig": cfg }),
            })
        }
        .await;
        (admin, r)
    })
    .await
}

/// `deleteTopic` flags.
#[derive(Debug, Clone, Args)]
pub struct DeleteTopicArgs {
    /// The topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// The cluster to delete it from.
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: String,
}

/// Deletes a topic from a cluster's masters and from the name servers.
pub async fn delete_topic(
    common: &Common,
    args: &DeleteTopicArgs,
) -> Result<Report, AdminCliError> {
    let (topic, cluster) = (args.topic.trim().to_owned(), args.cluster.trim().to_owned());
    with_admin(common, |admin| async move {
        let r = async {
            admin.delete_topic(&topic, &cluster).await?;
            Ok(Report {
                text: format!(
                    "delete topic [{topic}] from cluster [{cluster}] success.\ndelete topic [{topic}] from NameServer success.\n"
                ),
                json: json!({ "topic": topic, "cluster": cluster, "deleted": true }),
            })
        }
        .await;
        (admin, r)
    })
    .await
}
