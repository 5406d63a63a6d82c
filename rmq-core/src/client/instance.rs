//! `ClientInstance`: name server lookups, topic routes and broker connections shared by the
//! producers and consumers of one process.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::protocol::body::{from_fastjson_slice, TopicRouteData};
use crate::protocol::header::GetRouteInfoRequestHeader;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::{Channel, RemotingClient, RequestHandler};
use tokio::sync::Notify;

use super::consumer::ConsumerRegistry;
use super::reply_table::ReplyTable;
use super::transaction::TransactionCheckers;
use super::ClientError;

/// Settings shared by every client of an instance.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `host:port;host:port`.
    pub name_server_addr: String,
    /// Instance name: the client id is `<local ip>@<instance name>`. `DEFAULT` becomes
    /// `<pid>#<nanos>` (unique per instance); any other name is used as is, so instances of
    /// one name on one host are the same client to the brokers (Java semantics).
    pub instance_name: String,
    /// Timeout of name server and admin calls.
    pub mq_client_api_timeout: Duration,
    /// How often topic routes are refreshed from the name servers (30 s).
    pub poll_name_server_interval: Duration,
    /// Namespace: topics and groups go on the wire as `namespace%name` (empty: none).
    pub namespace: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            name_server_addr: std::env::var("NAMESRV_ADDR").unwrap_or_default(),
            instance_name: "DEFAULT".into(),
            mq_client_api_timeout: Duration::from_secs(3),
            poll_name_server_interval: Duration::from_secs(30),
            namespace: String::new(),
        }
    }
}

/// Serves the requests brokers send to clients: NOTIFY_CONSUMER_IDS_CHANGED triggers a
/// rebalance; GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY and
/// RESET_CONSUMER_CLIENT_OFFSET go to the registered consumer of the group;
/// PUSH_REPLY_MESSAGE_TO_CLIENT completes a waiting request; CHECK_TRANSACTION_STATE goes to
/// the transaction producer of the message's group; anything not built yet gets
/// REQUEST_CODE_NOT_SUPPORTED.
#[derive(Debug, Default)]
pub struct ClientHandler {
    /// Woken when a consumer group's membership changed.
    pub rebalance: Notify,
    /// The consumers of this instance by (namespaced) group.
    pub consumers: ConsumerRegistry,
    /// Requests waiting for a reply (PUSH_REPLY_MESSAGE_TO_CLIENT completes them).
    pub replies: ReplyTable,
    /// The transaction producers of this instance by (namespaced) group.
    pub transactions: TransactionCheckers,
}

impl RequestHandler for ClientHandler {
    async fn handle(&self, channel: Channel, request: RemotingCommand) -> Option<RemotingCommand> {
        if request.code == RequestCode::NotifyConsumerIdsChanged.code() {
            tracing::debug!("consumer ids changed: rebalancing");
            self.rebalance.notify_one();
            return None;
        }
        if request.code == RequestCode::GetConsumerRunningInfo.code() {
            return Some(self.consumers.get_consumer_running_info(&request).await);
        }
        if request.code == RequestCode::ConsumeMessageDirectly.code() {
            return Some(self.consumers.consume_message_directly(&request).await);
        }
        if request.code == RequestCode::ResetConsumerClientOffset.code() {
            self.consumers.reset_offset(&request).await;
            return None;
        }
        if request.code == RequestCode::PushReplyMessageToClient.code() {
            return Some(self.replies.on_push(&request));
        }
        if request.code == RequestCode::CheckTransactionState.code() {
            self.transactions.handle(channel, &request);
            return None;
        }
        Some(request.error_to(
            ResponseCode::RequestCodeNotSupported,
            format!(" request type {} not supported", request.code),
        ))
    }
}

/// Routes and connections of one client process.
pub struct ClientInstance {
    config: ClientConfig,
    namesrv: Vec<String>,
    remoting: RemotingClient<ClientHandler>,
    handler: Arc<ClientHandler>,
    routes: RwLock<HashMap<String, TopicRouteData>>,
    /// When each route was fetched: older than `poll_name_server_interval` is refetched.
    fetched: RwLock<HashMap<String, std::time::Instant>>,
    client_id: String,
}

impl std::fmt::Debug for ClientInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientInstance")
            .field("client_id", &self.client_id)
            .field("namesrv", &self.namesrv)
            .finish()
    }
}

impl ClientInstance {
    /// A new instance; fails when no name server is configured.
    pub fn new(config: ClientConfig) -> Result<Arc<Self>, ClientError> {
        let namesrv: Vec<String> = config
            .name_server_addr
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if namesrv.is_empty() {
            return Err(ClientError::Config(
                "no name server address (name_server_addr)".into(),
            ));
        }
        let client_id = build_client_id(local_ip(), &config.instance_name);
        let handler = Arc::new(ClientHandler::default());
        Ok(Arc::new(ClientInstance {
            client_id,
            config,
            namesrv,
            remoting: RemotingClient::new(handler.clone()),
            handler,
            routes: RwLock::new(HashMap::new()),
            fetched: RwLock::new(HashMap::new()),
        }))
    }

    /// `ip@instance` (Java's `buildMQClientId`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The transport.
    pub fn remoting(&self) -> &RemotingClient<ClientHandler> {
        &self.remoting
    }

    /// The consumers registered with this instance (they answer server-initiated requests).
    pub fn consumers(&self) -> &ConsumerRegistry {
        &self.handler.consumers
    }

    /// Requests of this instance waiting for their replies.
    pub fn replies(&self) -> &ReplyTable {
        &self.handler.replies
    }

    /// The transaction producers of this instance (they answer transaction checks).
    pub fn transaction_checkers(&self) -> &TransactionCheckers {
        &self.handler.transactions
    }

    /// Resolves when a broker says a consumer group's membership changed.
    pub async fn rebalance_requested(&self) {
        self.handler.rebalance.notified().await;
    }

    /// Every master address of the cached routes.
    pub fn all_master_addrs(&self) -> Vec<String> {
        let mut addrs: Vec<String> = self
            .routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .flat_map(|r| r.broker_datas.iter())
            .filter_map(|b| b.master_addr().map(str::to_owned))
            .collect();
        addrs.sort();
        addrs.dedup();
        addrs
    }

    /// The name server addresses this client was given.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrv.clone()
    }

    /// The API call timeout.
    pub fn api_timeout(&self) -> Duration {
        self.config.mq_client_api_timeout
    }

    /// Sends a request to the name servers in turn; returns the first answer and its address.
    pub async fn invoke_namesrv(
        &self,
        request: impl Fn() -> RemotingCommand,
    ) -> Result<(String, RemotingCommand), ClientError> {
        let mut last = None;
        for addr in &self.namesrv {
            match self
                .remoting
                .invoke(addr, request(), self.config.mq_client_api_timeout)
                .await
            {
                Ok(resp) => return Ok((addr.clone(), resp)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.map_or_else(|| ClientError::Config("no name server".into()), Into::into))
    }

    /// Asks the name servers for a topic's route.
    pub async fn fetch_route(&self, topic: &str) -> Result<TopicRouteData, ClientError> {
        let (addr, resp) = self
            .invoke_namesrv(|| {
                RemotingCommand::request_with_header(
                    RequestCode::GetRouteinfoByTopic,
                    &GetRouteInfoRequestHeader {
                        topic: topic.to_owned(),
                        accept_standard_json_only: Some(true),
                    },
                )
            })
            .await?;
        if resp.code != ResponseCode::Success.code() {
            return Err(ClientError::NoRoute {
                topic: topic.to_owned(),
                reason: format!("{addr} answered code {}: {}", resp.code, resp.remark_str()),
            });
        }
        let route: TopicRouteData =
            from_fastjson_slice(&resp.body).map_err(|e| ClientError::Decode {
                what: "TopicRouteData",
                detail: e.to_string(),
            })?;
        self.routes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(topic.to_owned(), route.clone());
        self.fetched
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(topic.to_owned(), std::time::Instant::now());
        Ok(route)
    }

    /// The cached route, fetched when absent or older than `poll_name_server_interval`
    /// (30 s); a failed refresh keeps serving the cached route.
    pub async fn route(&self, topic: &str) -> Result<TopicRouteData, ClientError> {
        let stale = self
            .fetched
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(topic)
            .is_none_or(|t| t.elapsed() >= self.config.poll_name_server_interval);
        if stale {
            match self.fetch_route(topic).await {
                Ok(r) => return Ok(r),
                Err(e) => {
                    let cached = self
                        .routes
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(topic)
                        .cloned();
                    return cached.ok_or(e);
                }
            }
        }
        if let Some(r) = self
            .routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(topic)
        {
            return Ok(r.clone());
        }
        self.fetch_route(topic).await
    }

    /// The master address of a broker name, from any cached route.
    pub fn master_addr(&self, broker_name: &str) -> Option<String> {
        self.routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .flat_map(|r| r.broker_datas.iter())
            .find(|b| b.broker_name == broker_name)
            .and_then(|b| b.master_addr().map(str::to_owned))
    }
}

/// The host address brokers see this client as (Java's `NetworkUtil.getLocalAddress`): the
/// source address of the route to a public address, found by connecting a UDP socket (which
/// sends nothing); IPv6 addresses are bracketed as Java does; 127.0.0.1 without a route.
/// Computed once per process.
pub(crate) fn local_ip() -> &'static str {
    static IP: OnceLock<String> = OnceLock::new();
    IP.get_or_init(|| {
        let probes: [(SocketAddr, SocketAddr); 2] = [
            (
                (Ipv4Addr::UNSPECIFIED, 0).into(),
                (Ipv4Addr::new(8, 8, 8, 8), 53).into(),
            ),
            (
                (Ipv6Addr::UNSPECIFIED, 0).into(),
                (
                    Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888),
                    53,
                )
                    .into(),
            ),
        ];
        probes
            .iter()
            .find_map(|(bind, target)| route_source(*bind, *target))
            .map_or_else(|| "127.0.0.1".to_owned(), normalize_host_address)
    })
}

/// The local address the kernel would send from to reach `target`, when usable.
fn route_source(bind: SocketAddr, target: SocketAddr) -> Option<IpAddr> {
    let socket = UdpSocket::bind(bind).ok()?;
    socket.connect(target).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Java's `normalizeHostAddress`: IPv6 in brackets.
fn normalize_host_address(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// The instance part of a client id: `DEFAULT` becomes `<pid>#<nanos>` (Java's
/// `changeInstanceNameToPID`, `UtilAll.getPid() + "#" + System.nanoTime()`), with nanos since
/// the epoch made strictly increasing within the process so two instances never collide.
fn instance_name(configured: &str) -> String {
    if configured != "DEFAULT" {
        return configured.to_owned();
    }
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let prev = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or_default();
    format!("{}#{}", std::process::id(), now.max(prev + 1))
}

/// Java's `buildMQClientId`: `ip@instanceName`.
fn build_client_id(ip: &str, configured_instance_name: &str) -> String {
    format!("{ip}@{}", instance_name(configured_instance_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_instance_names_are_pid_and_distinct_nanos() {
        let ids: Vec<String> = (0..100)
            .map(|_| build_client_id("10.0.0.1", "DEFAULT"))
            .collect();
        let pid = std::process::id();
        for id in &ids {
            let (ip, instance) = id.split_once('@').unwrap();
            assert_eq!(ip, "10.0.0.1");
            let (p, nanos) = instance.split_once('#').unwrap();
            assert_eq!(p, pid.to_string());
            assert!(nanos.parse::<u64>().unwrap() > 0);
        }
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "no two instances collide");
    }

    #[test]
    fn named_instances_are_used_as_is() {
        assert_eq!(build_client_id("10.0.0.1", "bc-a"), "10.0.0.1@bc-a");
        assert_eq!(build_client_id("10.0.0.1", "bc-a"), "10.0.0.1@bc-a");
    }

    #[test]
    fn local_ip_is_an_address() {
        let ip = local_ip();
        let bare = ip.trim_start_matches('[').trim_end_matches(']');
        let parsed: IpAddr = bare.parse().unwrap();
        assert_eq!(ip.starts_with('['), parsed.is_ipv6());
        assert!(!parsed.is_unspecified());
    }

    #[test]
    fn ipv6_is_bracketed() {
        assert_eq!(
            normalize_host_address("fe80::1".parse().unwrap()),
            "[fe80::1]"
        );
        assert_eq!(
            normalize_host_address("10.1.2.3".parse().unwrap()),
            "10.1.2.3"
        );
    }
}
