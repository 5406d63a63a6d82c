//! The NameServer's request table: one arm per request code.

use std::sync::Arc;

use rmq_core::protocol::body::{DataVersion, KvTable, RegisterBrokerBody, TopicList};
use rmq_core::protocol::header::*;
use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rmq_core::remoting::{Channel, RequestHandler};

use super::kv_config::KvConfigManager;
use super::route_info::RouteInfoManager;

/// KV namespace holding ordered-topic queue layouts.
pub const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

/// Shared NameServer state.
#[derive(Debug, Default)]
pub struct NamesrvState {
    /// Routes.
    pub routes: RouteInfoManager,
    /// KV config.
    pub kv: KvConfigManager,
}

/// Serves NameServer requests.
#[derive(Debug, Clone)]
pub struct NamesrvProcessor {
    pub(crate) state: Arc<NamesrvState>,
}

fn json_body<T: serde::Serialize>(req: &RemotingCommand, value: &T) -> RemotingCommand {
    match serde_json::to_vec(value) {
        Ok(b) => req.success_to().with_body(b),
        Err(e) => req.error_to(ResponseCode::SystemError, e.to_string()),
    }
}

macro_rules! header_or_reply {
    ($req:expr, $t:ty) => {
        match $req.decode_header::<$t>() {
            Ok(h) => h,
            Err(e) => return $req.error_to(ResponseCode::SystemError, e.to_string()),
        }
    };
}

impl NamesrvProcessor {
    fn process(&self, channel: &Channel, req: &RemotingCommand) -> RemotingCommand {
        let s = &self.state;
        match RequestCode::from_code(req.code) {
            Some(RequestCode::RegisterBroker) => self.register_broker(channel, req),
            Some(RequestCode::UnregisterBroker) => {
                let h = header_or_reply!(req, UnregisterBrokerRequestHeader);
                s.routes.unregister_broker(&h);
                req.success_to()
            }
            Some(RequestCode::GetRouteinfoByTopic) => {
                let h = header_or_reply!(req, GetRouteInfoRequestHeader);
                match s.routes.pickup_topic_route(&h.topic) {
                    Some(mut route) => {
                        route.order_topic_conf = s.kv.get(ORDER_TOPIC_CONFIG, &h.topic);
                        json_body(req, &route)
                    }
                    None => req.error_to(
                        ResponseCode::TopicNotExist,
                        format!(
                            "No topic route info in name server for the topic: {}\nSee http://rocketmq.apache.org/docs/faq/ for further details.",
                            h.topic
                        ),
                    ),
                }
            }
            Some(RequestCode::GetBrokerClusterInfo) => json_body(req, &s.routes.cluster_info()),
            Some(RequestCode::GetAllTopicListFromNameserver) => json_body(
                req,
                &TopicList {
                    topic_list: s.routes.all_topics(),
                    broker_addr: None,
                },
            ),
            Some(RequestCode::GetTopicsByCluster) => {
                let h = header_or_reply!(req, GetTopicsByClusterRequestHeader);
                json_body(
                    req,
                    &TopicList {
                        topic_list: s.routes.topics_by_cluster(&h.cluster),
                        broker_addr: None,
                    },
                )
            }
            Some(RequestCode::GetSystemTopicListFromNs) => json_body(
                req,
                &TopicList {
                    topic_list: s.routes.system_topics(),
                    broker_addr: None,
                },
            ),
            Some(RequestCode::QueryDataVersion) => {
                let h = header_or_reply!(req, QueryDataVersionRequestHeader);
                let theirs: Option<DataVersion> = serde_json::from_slice(&req.body).ok();
                let ours = s.routes.data_version(&h.broker_addr);
                let changed = ours.is_none() || theirs.is_none() || ours != theirs;
                // Java: the query counts as a heartbeat of a known broker.
                s.routes.touch(&h.broker_addr);
                let resp = req
                    .success_to()
                    .with_header(&QueryDataVersionResponseHeader { changed });
                match ours.map(|v| serde_json::to_vec(&v)) {
                    Some(Ok(b)) => resp.with_body(b),
                    _ => resp,
                }
            }
            Some(RequestCode::DeleteTopicInNamesrv) => {
                let h = header_or_reply!(req, DeleteTopicFromNamesrvRequestHeader);
                s.routes.delete_topic(&h.topic, h.cluster_name.as_deref());
                req.success_to()
            }
            Some(RequestCode::PutKvConfig) => {
                let h = header_or_reply!(req, PutKvConfigRequestHeader);
                s.kv.put(&h.namespace, &h.key, &h.value);
                req.success_to()
            }
            Some(RequestCode::GetKvConfig) => {
                let h = header_or_reply!(req, KvConfigKeyRequestHeader);
                match s.kv.get(&h.namespace, &h.key) {
                    Some(value) => req
                        .success_to()
                        .with_header(&GetKvConfigResponseHeader { value: Some(value) }),
                    None => req.error_to(
                        ResponseCode::QueryNotFound,
                        format!("No config item, Namespace: {} Key: {}", h.namespace, h.key),
                    ),
                }
            }
            Some(RequestCode::DeleteKvConfig) => {
                let h = header_or_reply!(req, KvConfigKeyRequestHeader);
                s.kv.delete(&h.namespace, &h.key);
                req.success_to()
            }
            Some(RequestCode::GetKvlistByNamespace) => {
                let h = header_or_reply!(req, GetKvListByNamespaceRequestHeader);
                match s.kv.list(&h.namespace) {
                    Some(table) => json_body(req, &KvTable { table }),
                    None => req.error_to(
                        ResponseCode::QueryNotFound,
                        format!("No config item, Namespace: {}", h.namespace),
                    ),
                }
            }
            _ => req.error_to(
                ResponseCode::RequestCodeNotSupported,
                format!(" request type {} not supported", req.code),
            ),
        }
    }

    fn register_broker(&self, channel: &Channel, req: &RemotingCommand) -> RemotingCommand {
        let h = header_or_reply!(req, RegisterBrokerRequestHeader);
        if let Some(expected) = h.body_crc32.filter(|c| *c != 0) {
            let actual = (crc32fast::hash(&req.body) & 0x7FFF_FFFF) as i32;
            if actual != expected {
                return req.error_to(ResponseCode::SystemError, "crc32 not match");
            }
        }
        let body: RegisterBrokerBody = if req.body.is_empty() {
            RegisterBrokerBody::default()
        } else {
            match RegisterBrokerBody::decode(&req.body, h.compressed == Some(true)) {
                Ok(b) => b,
                Err(e) => return req.error_to(ResponseCode::SystemError, e.to_string()),
            }
        };
        let result = self.state.routes.register_broker(
            &h,
            &body.topic_config_serialize_wrapper,
            channel.id(),
        );
        let table = self.state.kv.list(ORDER_TOPIC_CONFIG).unwrap_or_default();
        let resp = req.success_to().with_header(&RegisterBrokerResponseHeader {
            ha_server_addr: result.ha_server_addr,
            master_addr: result.master_addr,
        });
        match serde_json::to_vec(&KvTable { table }) {
            Ok(b) => resp.with_body(b),
            Err(_) => resp,
        }
    }
}

impl RequestHandler for NamesrvProcessor {
    async fn handle(&self, channel: Channel, request: RemotingCommand) -> Option<RemotingCommand> {
        tracing::debug!(code = request.code, opaque = request.opaque, remote = %channel.remote_addr(), "namesrv request");
        Some(self.process(&channel, &request))
    }

    fn on_close(&self, channel: &Channel) {
        self.state.routes.on_channel_close(channel.id());
    }
}
