//! Consumer-group admin calls: consume stats (208), connections (203), running info (307,
//! forwarded by the broker to the client) and the groups consuming a topic (300).

use super::{check, MqAdmin};
use crate::client::ClientError;
use crate::protocol::body::{
    from_fastjson_slice, ConsumeStats, ConsumerConnection, ConsumerRunningInfo, GroupList,
    TopicList,
};
use crate::protocol::header::{
    GetConsumeStatsRequestHeader, GetConsumerConnectionListRequestHeader,
    GetConsumerRunningInfoRequestHeader, TopicRequestHeader,
};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Java's `MixAll.getRetryTopic`.
pub(super) fn retry_topic(group: &str) -> String {
    format!("%RETRY%{group}")
}

pub(super) fn decode_err(what: &'static str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Decode {
        what,
        detail: e.to_string(),
    }
}

impl MqAdmin {
    /// Sends `req` to one broker and waits for the answer (the admin timeout).
    pub(super) async fn call(
        &self,
        addr: &str,
        req: RemotingCommand,
    ) -> Result<RemotingCommand, ClientError> {
        Ok(self
            .instance
            .remoting()
            .invoke(addr, req, self.instance.api_timeout())
            .await?)
    }

    /// Like [`call`](Self::call), for slow calls forwarded to a client (running info, direct
    /// consume): `timeout` instead of the admin timeout.
    pub(super) async fn call_with(
        &self,
        addr: &str,
        req: RemotingCommand,
        timeout: std::time::Duration,
    ) -> Result<RemotingCommand, ClientError> {
        Ok(self.instance.remoting().invoke(addr, req, timeout).await?)
    }

    /// Master addresses of the cluster `cluster` (every cluster when `None`), sorted.
    pub async fn master_addrs_of(&self, cluster: Option<&str>) -> Result<Vec<String>, ClientError> {
        let info = self.cluster_info().await?;
        let mut out: Vec<String> = info
            .broker_addr_table
            .iter()
            .filter(|(name, _)| match cluster {
                None => true,
                Some(c) => info
                    .cluster_addr_table
                    .get(c)
                    .is_some_and(|names| names.contains(*name)),
            })
            .filter_map(|(_, b)| b.master_addr().map(str::to_owned))
            .collect();
        out.sort();
        if out.is_empty() {
            return Err(ClientError::NoRoute {
                topic: cluster.unwrap_or("*").to_owned(),
                reason: "no master broker registered".into(),
            });
        }
        Ok(out)
    }

    /// The masters serving a group: those of its retry topic's route (as Java's admin), else
    /// every master of the cluster (a group that never consumed has no retry topic yet).
    pub(super) async fn group_masters(&self, group: &str) -> Result<Vec<String>, ClientError> {
        if let Ok(route) = self.instance.fetch_route(&retry_topic(group)).await {
            let masters: Vec<String> = route
                .broker_datas
                .iter()
                .filter_map(|b| b.master_addr().map(str::to_owned))
                .collect();
            if !masters.is_empty() {
                return Ok(masters);
            }
        }
        self.master_addrs_of(None).await
    }

    /// The consumer groups that have a retry topic (`%RETRY%<group>`) on the name servers
    /// (GET_ALL_TOPIC_LIST_FROM_NAMESERVER), sorted: the groups mqadmin's `consumerProgress`
    /// lists.
    pub async fn groups_with_retry_topic(&self) -> Result<Vec<String>, ClientError> {
        let (addr, resp) = self
            .instance
            .invoke_namesrv(|| RemotingCommand::request(RequestCode::GetAllTopicListFromNameserver))
            .await?;
        check(&addr, &resp)?;
        let list: TopicList =
            from_fastjson_slice(&resp.body).map_err(|e| decode_err("TopicList", e))?;
        let mut groups: Vec<String> = list
            .topic_list
            .iter()
            .filter_map(|t| t.strip_prefix("%RETRY%").map(str::to_owned))
            .collect();
        groups.sort();
        groups.dedup();
        Ok(groups)
    }

    /// The masters of a topic's route.
    pub(super) async fn topic_masters(&self, topic: &str) -> Result<Vec<String>, ClientError> {
        let route = self.instance.fetch_route(topic).await?;
        Ok(route
            .broker_datas
            .iter()
            .filter_map(|b| b.master_addr().map(str::to_owned))
            .collect())
    }

    /// GET_CONSUME_STATS of a group, merged over its brokers: on `topic` only, or on every
    /// topic the group consumes (`None`, Java's `examineConsumeStats(group)`), with the
    /// summed consume TPS.
    pub async fn examine_consume_stats(
        &self,
        group: &str,
        topic: Option<&str>,
    ) -> Result<ConsumeStats, ClientError> {
        let masters = match topic {
            Some(t) => self.topic_masters(t).await?,
            None => self.group_masters(group).await?,
        };
        let mut out = ConsumeStats::default();
        for addr in masters {
            let req = RemotingCommand::request_with_header(
                RequestCode::GetConsumeStats,
                &GetConsumeStatsRequestHeader {
                    consumer_group: group.to_owned(),
                    topic: topic.map(str::to_owned),
                },
            );
            let resp = self.call_ok(&addr, req).await?;
            let stats =
                ConsumeStats::decode(&resp.body).map_err(|e| decode_err("ConsumeStats", e))?;
            out.consume_tps += stats.consume_tps;
            out.offset_table.extend(stats.offset_table);
        }
        Ok(out)
    }

    /// The whole group's consume stats (every topic it consumes), as `mqadmin consumerProgress
    /// -g` shows them.
    pub async fn consume_stats_all(&self, group: &str) -> Result<ConsumeStats, ClientError> {
        self.examine_consume_stats(group, None).await
    }

    /// GET_CONSUMER_CONNECTION_LIST: the group's online clients (union over its brokers) and
    /// subscriptions. A group online nowhere is CONSUMER_NOT_ONLINE.
    pub async fn consumer_connection(
        &self,
        group: &str,
    ) -> Result<ConsumerConnection, ClientError> {
        let mut out: Option<ConsumerConnection> = None;
        let mut last_err = None;
        for addr in self.group_masters(group).await? {
            let req = RemotingCommand::request_with_header(
                RequestCode::GetConsumerConnectionList,
                &GetConsumerConnectionListRequestHeader {
                    consumer_group: group.to_owned(),
                },
            );
            let resp = self.call(&addr, req).await?;
            if let Err(e) = check(&addr, &resp) {
                last_err = Some(e);
                continue;
            }
            let cc: ConsumerConnection =
                from_fastjson_slice(&resp.body).map_err(|e| decode_err("ConsumerConnection", e))?;
            match &mut out {
                None => out = Some(cc),
                Some(o) => {
                    for c in cc.connection_set {
                        if !o.connection_set.iter().any(|x| x.client_id == c.client_id) {
                            o.connection_set.push(c);
                        }
                    }
                    o.subscription_table.extend(cc.subscription_table);
                }
            }
        }
        match out {
            Some(mut o) if !o.connection_set.is_empty() => {
                o.connection_set
                    .sort_by(|a, b| a.client_id.cmp(&b.client_id));
                Ok(o)
            }
            _ => Err(last_err.unwrap_or_else(|| ClientError::Broker {
                addr: String::new(),
                code: ResponseCode::ConsumerNotOnline.code(),
                remark: format!("the consumer group[{group}] not online"),
            })),
        }
    }

    /// GET_CONSUMER_RUNNING_INFO: the broker forwards the request to the client over its
    /// connection and returns the client's `ConsumerRunningInfo`.
    pub async fn consumer_running_info(
        &self,
        group: &str,
        client_id: &str,
        jstack: bool,
    ) -> Result<ConsumerRunningInfo, ClientError> {
        let mut last_err = None;
        for addr in self.group_masters(group).await? {
            let req = RemotingCommand::request_with_header(
                RequestCode::GetConsumerRunningInfo,
                &GetConsumerRunningInfoRequestHeader {
                    consumer_group: group.to_owned(),
                    client_id: client_id.to_owned(),
                    jstack_enable: Some(jstack),
                },
            );
            let resp = self
                .call_with(&addr, req, std::time::Duration::from_secs(5))
                .await?;
            if let Err(e) = check(&addr, &resp) {
                last_err = Some(e);
                continue;
            }
            return ConsumerRunningInfo::decode(&resp.body)
                .map_err(|e| decode_err("ConsumerRunningInfo", e));
        }
        Err(last_err.unwrap_or_else(|| ClientError::NoRoute {
            topic: retry_topic(group),
            reason: "no broker".into(),
        }))
    }

    /// QUERY_TOPIC_CONSUME_BY_WHO: the groups consuming `topic` (online or with offsets),
    /// union over the topic's brokers, sorted.
    pub async fn topic_consumed_by(&self, topic: &str) -> Result<Vec<String>, ClientError> {
        let mut groups = Vec::new();
        for addr in self.topic_masters(topic).await? {
            let req = RemotingCommand::request_with_header(
                RequestCode::QueryTopicConsumeByWho,
                &TopicRequestHeader {
                    topic: topic.to_owned(),
                },
            );
            let resp = self.call_ok(&addr, req).await?;
            let list: GroupList =
                from_fastjson_slice(&resp.body).map_err(|e| decode_err("GroupList", e))?;
            groups.extend(list.group_list);
        }
        groups.sort();
        groups.dedup();
        Ok(groups)
    }
}
