//! `MqAdmin` calls about brokers: runtime info (28), config (26/25), stats (315), and the
//! brokers of a cluster.

use std::collections::BTreeMap;

use super::{check, MqAdmin};
use crate::client::ClientError;
use crate::protocol::body::{
    format_properties, from_fastjson_slice, parse_properties, BrokerStatsData, KvTable,
};
use crate::protocol::header::ViewBrokerStatsDataRequestHeader;
use crate::protocol::{RemotingCommand, RequestCode};

/// One broker of a cluster as the name server lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BrokerAddr {
    /// The cluster.
    pub cluster: String,
    /// The broker name (master and slaves share it).
    pub broker_name: String,
    /// 0 for the master.
    pub broker_id: i64,
    /// `host:port`.
    pub addr: String,
}

impl MqAdmin {
    /// Sends `req` to `addr` and fails unless the answer is SUCCESS.
    pub(super) async fn call_ok(
        &self,
        addr: &str,
        req: RemotingCommand,
    ) -> Result<RemotingCommand, ClientError> {
        let resp = self.call(addr, req).await?;
        check(addr, &resp)?;
        Ok(resp)
    }

    /// The brokers of `cluster` (every cluster if `None`), masters only if `masters_only`,
    /// sorted by cluster, name and id. An unknown cluster is an error.
    pub async fn cluster_brokers(
        &self,
        cluster: Option<&str>,
        masters_only: bool,
    ) -> Result<Vec<BrokerAddr>, ClientError> {
        let info = self.cluster_info().await?;
        if let Some(c) = cluster {
            if !info.cluster_addr_table.contains_key(c) {
                return Err(ClientError::Config(format!(
                    "cluster {c} not found on the name server"
                )));
            }
        }
        let mut out = Vec::new();
        for (name, cluster_name) in info.cluster_addr_table.iter().flat_map(|(c, names)| {
            names
                .iter()
                .map(move |n| (n, c))
                .filter(|(_, c)| cluster.is_none_or(|wanted| wanted == c.as_str()))
        }) {
            let Some(data) = info.broker_addr_table.get(name) else {
                continue;
            };
            for (id, addr) in &data.broker_addrs {
                if masters_only && *id != 0 {
                    continue;
                }
                out.push(BrokerAddr {
                    cluster: cluster_name.clone(),
                    broker_name: name.clone(),
                    broker_id: *id,
                    addr: addr.clone(),
                });
            }
        }
        out.sort();
        Ok(out)
    }

    /// GET_BROKER_RUNTIME_INFO (28): the broker's runtime keys (`putTps`, `brokerVersionDesc`,
    /// `commitLogDiskRatio`, ...).
    pub async fn broker_runtime_info(
        &self,
        addr: &str,
    ) -> Result<BTreeMap<String, String>, ClientError> {
        let resp = self
            .call_ok(
                addr,
                RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo),
            )
            .await?;
        let kv: KvTable = from_fastjson_slice(&resp.body).map_err(|e| ClientError::Decode {
            what: "KVTable",
            detail: e.to_string(),
        })?;
        Ok(kv.table)
    }

    /// GET_BROKER_CONFIG (26): the broker's effective configuration.
    pub async fn broker_config(&self, addr: &str) -> Result<BTreeMap<String, String>, ClientError> {
        let resp = self
            .call_ok(addr, RemotingCommand::request(RequestCode::GetBrokerConfig))
            .await?;
        Ok(parse_properties(&String::from_utf8_lossy(&resp.body)))
    }

    /// UPDATE_BROKER_CONFIG (25): sets these keys on the broker. A broker refuses keys it
    /// cannot change (rmq-broker names them in the error).
    pub async fn update_broker_config(
        &self,
        addr: &str,
        props: &BTreeMap<String, String>,
    ) -> Result<(), ClientError> {
        let req = RemotingCommand::request(RequestCode::UpdateBrokerConfig)
            .with_body(format_properties(props).into_bytes());
        self.call_ok(addr, req).await.map(|_| ())
    }

    /// VIEW_BROKER_STATS_DATA (315): one stats item (`TOPIC_PUT_NUMS` keyed by topic,
    /// `GROUP_GET_NUMS` keyed by `topic@group`, ...) over the last minute, hour and day.
    pub async fn view_broker_stats(
        &self,
        addr: &str,
        stats_name: &str,
        stats_key: &str,
    ) -> Result<BrokerStatsData, ClientError> {
        let req = RemotingCommand::request_with_header(
            RequestCode::ViewBrokerStatsData,
            &ViewBrokerStatsDataRequestHeader {
                stats_name: stats_name.to_owned(),
                stats_key: stats_key.to_owned(),
            },
        );
        let resp = self.call_ok(addr, req).await?;
        from_fastjson_slice(&resp.body).map_err(|e| ClientError::Decode {
            what: "BrokerStatsData",
            detail: e.to_string(),
        })
    }
}
