//! `MqAdmin` calls about topics: list (206/224), route (105), stats (202), create/update (17),
//! delete (215 on brokers + 216 on name servers).

use super::{check, BrokerAddr, MqAdmin};
use crate::client::ClientError;
use crate::protocol::body::{
    from_fastjson_slice, TopicConfig, TopicList, TopicRouteData, TopicStatsTable,
};
use crate::protocol::header::{
    CreateTopicRequestHeader, DeleteTopicFromNamesrvRequestHeader, DeleteTopicRequestHeader,
    GetTopicsByClusterRequestHeader, TopicRequestHeader,
};
use crate::protocol::{RemotingCommand, RequestCode};

fn topic_list(body: &[u8]) -> Result<Vec<String>, ClientError> {
    let list: TopicList = from_fastjson_slice(body).map_err(|e| ClientError::Decode {
        what: "TopicList",
        detail: e.to_string(),
    })?;
    let mut topics = list.topic_list;
    topics.sort();
    Ok(topics)
}

impl MqAdmin {
    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206): every topic the name server knows, sorted.
    pub async fn topic_list(&self) -> Result<Vec<String>, ClientError> {
        let (addr, resp) = self
            .instance
            .invoke_namesrv(|| RemotingCommand::request(RequestCode::GetAllTopicListFromNameserver))
            .await?;
        check(&addr, &resp)?;
        topic_list(&resp.body)
    }

    /// GET_TOPICS_BY_CLUSTER (224): the topics of one cluster, sorted.
    pub async fn topics_by_cluster(&self, cluster: &str) -> Result<Vec<String>, ClientError> {
        let (addr, resp) = self
            .instance
            .invoke_namesrv(|| {
                RemotingCommand::request_with_header(
                    RequestCode::GetTopicsByCluster,
                    &GetTopicsByClusterRequestHeader {
                        cluster: cluster.to_owned(),
                    },
                )
            })
            .await?;
        check(&addr, &resp)?;
        topic_list(&resp.body)
    }

    /// GET_ROUTEINFO_BY_TOPIC (105): the topic's route as the name server has it now.
    pub async fn topic_route(&self, topic: &str) -> Result<TopicRouteData, ClientError> {
        self.instance.fetch_route(topic).await
    }

    /// GET_TOPIC_STATS_INFO (202) from every master of the topic: per queue min/max offset and
    /// last store time.
    pub async fn topic_stats(&self, topic: &str) -> Result<TopicStatsTable, ClientError> {
        let route = self.topic_route(topic).await?;
        let mut out = TopicStatsTable::default();
        for b in &route.broker_datas {
            let Some(addr) = b.master_addr() else {
                continue;
            };
            let req = RemotingCommand::request_with_header(
                RequestCode::GetTopicStatsInfo,
                &TopicRequestHeader {
                    topic: topic.to_owned(),
                },
            );
            let resp = self.call_ok(addr, req).await?;
            let t = TopicStatsTable::decode(&resp.body).map_err(|e| ClientError::Decode {
                what: "TopicStatsTable",
                detail: e.to_string(),
            })?;
            out.offset_table.extend(t.offset_table);
            out.topic_put_tps += t.topic_put_tps;
        }
        Ok(out)
    }

    /// UPDATE_AND_CREATE_TOPIC (17) on one broker.
    pub async fn update_topic(&self, addr: &str, cfg: &TopicConfig) -> Result<(), ClientError> {
        let h = CreateTopicRequestHeader {
            topic: cfg.topic_name.clone(),
            default_topic: "TBW102".into(),
            read_queue_nums: cfg.read_queue_nums,
            write_queue_nums: cfg.write_queue_nums,
            perm: cfg.perm,
            topic_filter_type: cfg.topic_filter_type.clone(),
            topic_sys_flag: Some(cfg.topic_sys_flag),
            order: cfg.order,
        };
        let req = RemotingCommand::request_with_header(RequestCode::UpdateAndCreateTopic, &h);
        self.call_ok(addr, req).await.map(|_| ())
    }

    /// UPDATE_AND_CREATE_TOPIC (17) on every master of `cluster`; returns their addresses.
    pub async fn update_topic_in_cluster(
        &self,
        cluster: &str,
        cfg: &TopicConfig,
    ) -> Result<Vec<BrokerAddr>, ClientError> {
        let masters = self.cluster_brokers(Some(cluster), true).await?;
        for b in &masters {
            self.update_topic(&b.addr, cfg).await?;
        }
        Ok(masters)
    }

    /// Deletes a topic from the masters of `cluster` (DELETE_TOPIC_IN_BROKER, 215) and then
    /// from every name server (DELETE_TOPIC_IN_NAMESRV, 216, scoped to the cluster).
    pub async fn delete_topic(&self, topic: &str, cluster: &str) -> Result<(), ClientError> {
        let masters = self.cluster_brokers(Some(cluster), true).await?;
        for b in &masters {
            let req = RemotingCommand::request_with_header(
                RequestCode::DeleteTopicInBroker,
                &DeleteTopicRequestHeader {
                    topic: topic.to_owned(),
                },
            );
            self.call_ok(&b.addr, req).await?;
        }
        for ns in self.instance.namesrv_addrs() {
            let req = RemotingCommand::request_with_header(
                RequestCode::DeleteTopicInNamesrv,
                &DeleteTopicFromNamesrvRequestHeader {
                    topic: topic.to_owned(),
                    cluster_name: Some(cluster.to_owned()),
                },
            );
            self.call_ok(&ns, req).await?;
        }
        Ok(())
    }
}
