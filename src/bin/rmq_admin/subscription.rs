//! Subscription-group commands: `updateSubGroup`, `deleteSubGroup`.

use clap::Args;
use rmq_core::protocol::body::SubscriptionGroupConfig;
use serde_json::json;

use crate::output::Report;
use crate::{AdminCliError, Common};

/// Where a command acts: one broker (`-b`) or every master of a cluster (`-c`).
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// Broker address.
    #[arg(short = 'b', long = "brokerAddr")]
    pub broker: Option<String>,
    /// Cluster name (every master of it).
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: Option<String>,
}

impl Target {
    async fn addrs(&self, admin: &rmq_core::client::MqAdmin) -> Result<Vec<String>, AdminCliError> {
        match (&self.broker, &self.cluster) {
            (Some(b), _) => Ok(vec![b.trim().to_owned()]),
            (None, Some(c)) => Ok(admin.master_addrs_of(Some(c.trim())).await?),
            (None, None) => Err(AdminCliError::Usage(
                "give -b brokerAddr or -c clusterName".into(),
            )),
        }
    }
}

/// `updateSubGroup` flags (mqadmin's).
#[derive(Debug, Clone, Args)]
pub struct UpdateSubGroupArgs {
    #[command(flatten)]
    pub target: Target,
    /// Consumer group.
    #[arg(short = 'g', long = "groupName")]
    pub group: String,
    /// Consuming enabled.
    #[arg(short = 's', long = "consumeEnable")]
    pub consume_enable: Option<bool>,
    /// Consume from the min offset when the group is new.
    #[arg(short = 'm', long = "consumeFromMinEnable")]
    pub consume_from_min_enable: Option<bool>,
    /// Broadcast consumption allowed.
    #[arg(short = 'd', long = "consumeBroadcastEnable")]
    pub consume_broadcast_enable: Option<bool>,
    /// Orderly consumption.
    #[arg(short = 'o', long = "consumeMessageOrderly")]
    pub consume_message_orderly: Option<bool>,
    /// Retry queues.
    #[arg(short = 'q', long = "retryQueueNums")]
    pub retry_queue_nums: Option<i32>,
    /// Redeliveries before the DLQ.
    #[arg(short = 'r', long = "retryMaxTimes")]
    pub retry_max_times: Option<i32>,
    /// Consume from this broker id.
    #[arg(short = 'i', long = "brokerId")]
    pub broker_id: Option<i64>,
    /// Broker id to consume from when slow.
    #[arg(short = 'w', long = "whichBrokerWhenConsumeSlowly")]
    pub which_broker_when_consume_slowly: Option<i64>,
    /// Notify clients when the group's members change.
    #[arg(short = 'a', long = "notifyConsumerIdsChanged")]
    pub notify_consumer_ids_changed: Option<bool>,
}

/// Creates or updates the group on the broker or on every master of the cluster.
pub async fn update_sub_group(
    common: &Common,
    args: &UpdateSubGroupArgs,
) -> Result<Report, AdminCliError> {
    let d = SubscriptionGroupConfig::default();
    let cfg = SubscriptionGroupConfig {
        group_name: args.group.trim().to_owned(),
        consume_enable: args.consume_enable.unwrap_or(d.consume_enable),
        consume_from_min_enable: args
            .consume_from_min_enable
            .unwrap_or(d.consume_from_min_enable),
        consume_broadcast_enable: args
            .consume_broadcast_enable
            .unwrap_or(d.consume_broadcast_enable),
        consume_message_orderly: args
            .consume_message_orderly
            .unwrap_or(d.consume_message_orderly),
        retry_queue_nums: args.retry_queue_nums.unwrap_or(d.retry_queue_nums),
        retry_max_times: args.retry_max_times.unwrap_or(d.retry_max_times),
        broker_id: args.broker_id.unwrap_or(d.broker_id),
        which_broker_when_consume_slowly: args
            .which_broker_when_consume_slowly
            .unwrap_or(d.which_broker_when_consume_slowly),
        notify_consumer_ids_changed_enable: args
            .notify_consumer_ids_changed
            .unwrap_or(d.notify_consumer_ids_changed_enable),
        ..d
    };
    let admin = common.admin()?;
    let result = async {
        let mut done = Vec::new();
        for addr in args.target.addrs(&admin).await? {
            admin.update_subscription_group(&addr, &cfg).await?;
            done.push(addr);
        }
        Ok::<_, AdminCliError>(done)
    }
    .await;
    admin.close().await;
    let done = result?;
    let mut text: String = done
        .iter()
        .map(|a| format!("create subscription group to {a} success.\n"))
        .collect();
    let cfg_json = serde_json::to_value(&cfg).unwrap_or_default();
    text.push_str(&format!("{cfg_json}\n"));
    Ok(Report {
        text,
        json: json!({"brokers": done, "config": cfg_json}),
    })
}

/// `deleteSubGroup` flags.
#[derive(Debug, Clone, Args)]
pub struct DeleteSubGroupArgs {
    #[command(flatten)]
    pub target: Target,
    /// Consumer group.
    #[arg(short = 'g', long = "groupName")]
    pub group: String,
    /// Also remove the group's committed offsets.
    #[arg(short = 'r', long = "removeOffset")]
    pub remove_offset: Option<bool>,
}

/// Deletes the group from the broker or from every master of the cluster.
pub async fn delete_sub_group(
    common: &Common,
    args: &DeleteSubGroupArgs,
) -> Result<Report, AdminCliError> {
    let group = args.group.trim();
    let admin = common.admin()?;
    let result = async {
        let mut done = Vec::new();
        for addr in args.target.addrs(&admin).await? {
            admin
                .delete_subscription_group(&addr, group, args.remove_offset.unwrap_or(false))
                .await?;
            done.push(addr);
        }
        Ok::<_, AdminCliError>(done)
    }
    .await;
    admin.close().await;
    let done = result?;
    let text = done
        .iter()
        .map(|a| match &args.target.cluster {
            Some(c) if args.target.broker.is_none() => format!(
                "delete subscription group [{group}] from broker [{a}] in cluster [{c}] success.\n"
            ),
            _ => format!("delete subscription group [{group}] from broker [{a}] success.\n"),
        })
        .collect();
    Ok(Report {
        text,
        json: json!({"group": group, "brokers": done}),
    })
}
