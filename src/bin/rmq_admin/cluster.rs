//! `clusterList`: the clusters, their brokers and addresses.

use clap::Args;
use serde_json::json;

use crate::output::{Report, Table};
use crate::{AdminCliError, Common};

/// `clusterList` flags.
#[derive(Debug, Clone, Args)]
pub struct ClusterListArgs {
    /// Only this cluster.
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: Option<String>,
}

/// Lists every broker of every cluster (of `-c` only, if given).
pub async fn cluster_list(
    common: &Common,
    args: &ClusterListArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let info = admin.cluster_info().await;
    admin.close().await;
    let info = info?;
    let mut table = Table::new(["#Cluster Name", "#Broker Name", "#BID", "#Addr"]);
    let mut rows = Vec::new();
    for (cluster, names) in &info.cluster_addr_table {
        if args.cluster.as_ref().is_some_and(|c| c != cluster) {
            continue;
        }
        for name in names {
            let Some(data) = info.broker_addr_table.get(name) else {
                continue;
            };
            for (id, addr) in &data.broker_addrs {
                table.row([
                    cluster.as_str(),
                    name.as_str(),
                    &id.to_string(),
                    addr.as_str(),
                ]);
                rows.push(
                    json!({"cluster": cluster, "brokerName": name, "brokerId": id, "addr": addr}),
                );
            }
        }
    }
    Ok(Report::table(&table, json!({ "brokers": rows })))
}
