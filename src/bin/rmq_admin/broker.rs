//! Broker commands: `brokerStatus` (GET_BROKER_RUNTIME_INFO), `getBrokerConfig` and
//! `updateBrokerConfig` (GET/UPDATE_BROKER_CONFIG).

use std::collections::BTreeMap;

use clap::Args;
use rmq_core::client::{BrokerAddr, MqAdmin};
use serde_json::{json, Map, Value};

use crate::output::Report;
use crate::{AdminCliError, Common};

/// `-b brokerAddr` or `-c clusterName`: which brokers a command talks to.
#[derive(Debug, Clone, Args)]
pub struct BrokerTarget {
    /// Broker address (`host:port`).
    #[arg(short = 'b', long = "brokerAddr", conflicts_with = "cluster")]
    pub broker: Option<String>,
    /// Every broker of this cluster.
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: Option<String>,
}

impl BrokerTarget {
    /// The brokers named by `-b` or `-c` (masters only if `masters_only`).
    pub async fn resolve(
        &self,
        admin: &MqAdmin,
        masters_only: bool,
    ) -> Result<Vec<BrokerAddr>, AdminCliError> {
        match (&self.broker, &self.cluster) {
            (Some(addr), _) => Ok(vec![BrokerAddr {
                cluster: String::new(),
                broker_name: String::new(),
                broker_id: 0,
                addr: addr.trim().to_owned(),
            }]),
            (None, Some(c)) => Ok(admin.cluster_brokers(Some(c.trim()), masters_only).await?),
            (None, None) => Err(AdminCliError::Usage(
                "one of -b (brokerAddr) or -c (clusterName) is required".into(),
            )),
        }
    }
}

/// `brokerStatus` flags.
#[derive(Debug, Clone, Args)]
pub struct BrokerStatusArgs {
    #[command(flatten)]
    pub target: BrokerTarget,
}

/// The runtime keys of one broker (`key: value`) or of every broker of a cluster
/// (`addr key: value`), as mqadmin prints them.
pub async fn broker_status(
    common: &Common,
    args: &BrokerStatusArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let result = async {
        let brokers = args.target.resolve(&admin, false).await?;
        let mut text = String::new();
        let mut out = Map::new();
        for b in &brokers {
            let t = admin.broker_runtime_info(&b.addr).await?;
            for (k, v) in &t {
                if args.target.cluster.is_some() {
                    text.push_str(&format!("{:<24} {k:<32}: {v}\n", b.addr));
                } else {
                    text.push_str(&format!("{k:<32}: {v}\n"));
                }
            }
            out.insert(b.addr.clone(), json!(t));
        }
        Ok(Report {
            text,
            json: json!({ "brokers": out }),
        })
    }
    .await;
    admin.close().await;
    result
}

/// `getBrokerConfig` flags.
#[derive(Debug, Clone, Args)]
pub struct GetBrokerConfigArgs {
    #[command(flatten)]
    pub target: BrokerTarget,
}

/// The configuration of one broker or of every broker of a cluster, as mqadmin prints it.
pub async fn get_broker_config(
    common: &Common,
    args: &GetBrokerConfigArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let result = async {
        let brokers = args.target.resolve(&admin, false).await?;
        let masters: BTreeMap<&str, &str> = brokers
            .iter()
            .filter(|b| b.broker_id == 0)
            .map(|b| (b.broker_name.as_str(), b.addr.as_str()))
            .collect();
        let mut text = String::new();
        let mut out = Map::new();
        for b in &brokers {
            let cfg = admin.broker_config(&b.addr).await?;
            let title = if args.target.cluster.is_none() {
                b.addr.clone()
            } else if b.broker_id == 0 {
                format!("Master: {}", b.addr)
            } else {
                let master = masters.get(b.broker_name.as_str()).copied().unwrap_or("");
                format!("My Master: {master}=====Slave: {}", b.addr)
            };
            text.push_str(&format!("============{title}============\n"));
            if cfg.is_empty() {
                text.push_str(&format!("Broker[{}] has no config property!\n", b.addr));
            }
            for (k, v) in &cfg {
                text.push_str(&format!("{k:<50}=  {v}\n"));
            }
            text.push('\n');
            out.insert(b.addr.clone(), json!(cfg));
        }
        Ok(Report {
            text,
            json: Value::Object(out),
        })
    }
    .await;
    admin.close().await;
    result
}

/// `updateBrokerConfig` flags.
#[derive(Debug, Clone, Args)]
pub struct UpdateBrokerConfigArgs {
    #[command(flatten)]
    pub target: BrokerTarget,
    /// With `-c`: update the slaves too (`true`), not only the masters.
    #[arg(short = 'a', long = "updateAllBroker")]
    pub all: Option<bool>,
    /// The key.
    #[arg(short = 'k', long = "key")]
    pub key: String,
    /// The value.
    #[arg(short = 'v', long = "value")]
    pub value: String,
}

/// Sets one key on one broker or on the brokers of a cluster.
pub async fn update_broker_config(
    common: &Common,
    args: &UpdateBrokerConfigArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let result = async {
        let brokers = args
            .target
            .resolve(&admin, !args.all.unwrap_or(false))
            .await?;
        let props = BTreeMap::from([(args.key.trim().to_owned(), args.value.trim().to_owned())]);
        let mut text = String::new();
        let mut updated = Vec::new();
        for b in &brokers {
            admin.update_broker_config(&b.addr, &props).await?;
            text.push_str(&format!("update broker config success, {}\n", b.addr));
            updated.push(b.addr.clone());
        }
        Ok(Report {
            text,
            json: json!({ "key": args.key, "value": args.value, "updated": updated }),
        })
    }
    .await;
    admin.close().await;
    result
}
