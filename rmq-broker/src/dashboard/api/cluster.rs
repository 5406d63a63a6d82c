//! `GET /api/cluster`: clusters, brokers and their addresses.

use axum::Json;
use serde::Serialize;

use super::{ApiResult, Shared};

/// One broker instance (master or slave).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerRow {
    /// Cluster name.
    pub cluster: String,
    /// Broker name.
    pub broker_name: String,
    /// 0 = master.
    pub broker_id: i64,
    /// `ip:port`.
    pub addr: String,
}

/// The response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    /// Cluster name → broker names.
    pub clusters: std::collections::BTreeMap<String, Vec<String>>,
    /// Every broker instance.
    pub brokers: Vec<BrokerRow>,
}

/// `GET /api/cluster`.
pub async fn get(state: Shared) -> ApiResult<ClusterView> {
    let info = state.admin.cluster_info().await?;
    let mut brokers = Vec::new();
    for b in info.broker_addr_table.values() {
        for (id, addr) in &b.broker_addrs {
            brokers.push(BrokerRow {
                cluster: b.cluster.clone(),
                broker_name: b.broker_name.clone(),
                broker_id: *id,
                addr: addr.clone(),
            });
        }
    }
    let clusters = info
        .cluster_addr_table
        .into_iter()
        .map(|(c, names)| (c, names.into_iter().collect()))
        .collect();
    Ok(Json(ClusterView { clusters, brokers }))
}
