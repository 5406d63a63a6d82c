//! `GET /api/cluster`: clusters, brokers, addresses, versions, TPS in/out, today's totals and
//! disk use (from each broker's runtime info, GET_BROKER_RUNTIME_INFO).

use std::collections::BTreeMap;

use axum::Json;
use futures_util::future::join_all;
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
    /// `brokerVersionDesc`.
    pub version: Option<String>,
    /// `putTps` (first figure).
    pub tps_in: Option<f64>,
    /// `getTransferredTps` (Java 4.x spells it `getTransferedTps`), first figure.
    pub tps_out: Option<f64>,
    /// `msgPutTotalTodayNow`.
    pub today_in: Option<i64>,
    /// `msgGetTotalTodayNow`.
    pub today_out: Option<i64>,
    /// `commitLogDiskRatio` as a percentage.
    pub disk_use: Option<String>,
    /// Why the runtime info is missing, if it is.
    pub error: Option<String>,
    /// Every runtime key, as the broker sent it.
    pub runtime: BTreeMap<String, String>,
}

/// The response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    /// Cluster name → broker names.
    pub clusters: BTreeMap<String, Vec<String>>,
    /// Every broker instance.
    pub brokers: Vec<BrokerRow>,
    /// Server time (ms) of the sample, for rates computed by the page.
    pub timestamp: i64,
}

fn first_figure(v: Option<&String>) -> Option<f64> {
    v?.split_whitespace().next()?.parse().ok()
}

fn fill(row: &mut BrokerRow, rt: BTreeMap<String, String>) {
    row.version = rt.get("brokerVersionDesc").cloned();
    row.tps_in = first_figure(rt.get("putTps"));
    row.tps_out = first_figure(
        rt.get("getTransferredTps")
            .or_else(|| rt.get("getTransferedTps")),
    );
    row.today_in = rt.get("msgPutTotalTodayNow").and_then(|v| v.parse().ok());
    row.today_out = rt.get("msgGetTotalTodayNow").and_then(|v| v.parse().ok());
    row.disk_use = rt
        .get("commitLogDiskRatio")
        .and_then(|v| v.parse::<f64>().ok())
        .map(|r| format!("{:.1}%", r * 100.0));
    row.runtime = rt;
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
                version: None,
                tps_in: None,
                tps_out: None,
                today_in: None,
                today_out: None,
                disk_use: None,
                error: None,
                runtime: BTreeMap::new(),
            });
        }
    }
    let infos = join_all(
        brokers
            .iter()
            .map(|b| state.admin.broker_runtime_info(&b.addr)),
    )
    .await;
    for (row, rt) in brokers.iter_mut().zip(infos) {
        match rt {
            Ok(rt) => fill(row, rt),
            Err(e) => row.error = Some(e.to_string()),
        }
    }
    let clusters = info
        .cluster_addr_table
        .into_iter()
        .map(|(c, names)| (c, names.into_iter().collect()))
        .collect();
    Ok(Json(ClusterView {
        clusters,
        brokers,
        timestamp: rmq_core::clock::now_ms(),
    }))
}
