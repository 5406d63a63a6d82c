//! The Broker: stores messages and serves producers and consumers.
//!
//! State lives in managers (topics, groups, offsets, consumers, locks, held pulls, delay levels);
//! the request processors in [`processor`] only read and update them.

mod consumer_manager;
mod lock_manager;
mod long_polling;
mod offset_manager;
mod persist;
pub mod processor;
pub mod schedule;
mod stats;
mod subscription_group;
mod topic_config;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rmq_core::clock::now_ms;

use rmq_core::protocol::body::{RegisterBrokerBody, PERM_READ, PERM_WRITE};
use rmq_core::protocol::header::{
    DeleteTopicFromNamesrvRequestHeader, NotifyConsumerIdsChangedRequestHeader,
    RegisterBrokerRequestHeader, UnregisterBrokerRequestHeader,
};
use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rmq_core::remoting::{
    serve, Channel, RemotingClient, RequestHandler, ServerHandle, UnsupportedHandler,
};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

pub use consumer_manager::{
    ClientChannel, ConsumerGroupInfo, ConsumerManager, ProducerManager, RegisterOutcome,
};
pub use lock_manager::{RebalanceLockManager, LOCK_MAX_LIVE_TIME};
pub use long_polling::{ArrivalForwarder, HeldPull, PullRequestHoldService};
pub use offset_manager::ConsumerOffsetManager;
pub use schedule::ScheduleMessageService;
pub use stats::{BrokerStats, DailyTotals};
pub use subscription_group::SubscriptionGroupManager;
pub use topic_config::*;

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::store::MessageStore;

/// How often offsets and delay progress are written to `config/`.
const PERSIST_INTERVAL: Duration = Duration::from_secs(5);
/// How often silent clients are looked for.
const CLIENT_SCAN_INTERVAL: Duration = Duration::from_secs(10);
/// How often held pulls are checked (deadline or missed wake-up).
const HOLD_CHECK_INTERVAL: Duration = Duration::from_millis(500);
/// How often due delayed messages are looked for.
const SCHEDULE_INTERVAL: Duration = Duration::from_millis(100);
/// Name server call timeout.
const NAMESRV_TIMEOUT: Duration = Duration::from_secs(3);
/// How long shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything a request processor may touch.
#[derive(Debug)]
pub struct BrokerInner {
    pub config: BrokerConfig,
    pub broker_addr: String,
    pub store_host: SocketAddr,
    pub store: Arc<MessageStore>,
    pub topics: TopicConfigManager,
    pub groups: SubscriptionGroupManager,
    pub offsets: ConsumerOffsetManager,
    pub consumers: ConsumerManager,
    pub producers: ProducerManager,
    pub locks: RebalanceLockManager,
    pub holds: PullRequestHoldService,
    pub schedule: ScheduleMessageService,
    pub stats: BrokerStats,
    pub started: Instant,
    namesrv: RemotingClient<UnsupportedHandler>,
    namesrv_addrs: RwLock<Vec<String>>,
    register_now: Notify,
    registered_once: AtomicBool,
    registered: tokio::sync::watch::Sender<bool>,
    shutting_down: AtomicBool,
    inflight: AtomicUsize,
    idle: Notify,
}

impl BrokerInner {
    /// Asks the registration task to register with the name servers now (topic changed).
    pub fn trigger_register(&self) {
        self.register_now.notify_one();
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Tells every consumer of a group that membership changed (oneway).
    pub fn notify_consumer_ids_changed(&self, group: &str) {
        if !self.config.notify_consumer_ids_changed_enable {
            return;
        }
        let header = NotifyConsumerIdsChangedRequestHeader {
            consumer_group: group.to_owned(),
        };
        for ch in self.consumers.channels(group) {
            let req = RemotingCommand::request_with_header(
                RequestCode::NotifyConsumerIdsChanged,
                &header,
            );
            tokio::spawn(async move {
                if let Err(e) = ch.invoke_oneway(req).await {
                    tracing::debug!(error = %e, "notify consumer ids changed failed");
                }
            });
        }
    }

    fn namesrv_list(&self) -> Vec<String> {
        self.namesrv_addrs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Registers with every name server (the full topic table).
    pub(crate) async fn register_all(&self) {
        let mut wrapper = self.topics.wrapper();
        let broker_perm = self.config.broker_permission;
        if broker_perm & (PERM_READ | PERM_WRITE) != PERM_READ | PERM_WRITE {
            // As Java: a read-only or write-only broker announces its topics that way.
            for t in wrapper.topic_config_table.values_mut() {
                t.perm &= broker_perm;
            }
        }
        let body = RegisterBrokerBody {
            topic_config_serialize_wrapper: wrapper,
            filter_server_list: Vec::new(),
        };
        let Ok(body) = serde_json::to_vec(&body) else {
            return;
        };
        let header = RegisterBrokerRequestHeader {
            broker_name: self.config.broker_name.clone(),
            broker_addr: self.broker_addr.clone(),
            cluster_name: self.config.broker_cluster_name.clone(),
            ha_server_addr: format!(
                "{}:{}",
                self.store_host.ip(),
                self.store_host.port().saturating_add(1)
            ),
            broker_id: self.config.broker_id,
            heartbeat_timeout_millis: None,
            compressed: Some(false),
            body_crc32: Some((crc32fast::hash(&body) & 0x7FFF_FFFF) as i32),
        };
        let addrs = self.namesrv_list();
        for addr in addrs {
            let req = RemotingCommand::request_with_header(RequestCode::RegisterBroker, &header)
                .with_body(body.clone());
            match self.namesrv.invoke(&addr, req, NAMESRV_TIMEOUT).await {
                Ok(resp) if resp.code == ResponseCode::Success.code() => {
                    if !self.registered_once.swap(true, Ordering::AcqRel) {
                        tracing::info!("broker registered with namesrv {addr}");
                        self.registered.send_replace(true);
                    }
                }
                Ok(resp) => {
                    tracing::warn!(namesrv = %addr, code = resp.code, remark = resp.remark_str(), "register broker refused")
                }
                Err(e) => tracing::warn!(namesrv = %addr, error = %e, "register broker failed"),
            }
        }
    }

    /// Removes a deleted topic's route from every name server (mqadmin does the same).
    pub async fn delete_topic_in_namesrv(&self, topic: &str) {
        let header = DeleteTopicFromNamesrvRequestHeader {
            topic: topic.to_owned(),
            cluster_name: Some(self.config.broker_cluster_name.clone()),
        };
        for addr in self.namesrv_list() {
            let req =
                RemotingCommand::request_with_header(RequestCode::DeleteTopicInNamesrv, &header);
            if let Err(e) = self.namesrv.invoke(&addr, req, NAMESRV_TIMEOUT).await {
                tracing::warn!(namesrv = %addr, error = %e, topic, "delete topic in namesrv failed");
            }
        }
    }

    async fn unregister_all(&self) {
        let header = UnregisterBrokerRequestHeader {
            broker_name: self.config.broker_name.clone(),
            broker_addr: self.broker_addr.clone(),
            cluster_name: self.config.broker_cluster_name.clone(),
            broker_id: self.config.broker_id,
        };
        let addrs = self.namesrv_list();
        for addr in addrs {
            let req = RemotingCommand::request_with_header(RequestCode::UnregisterBroker, &header);
            if let Err(e) = self.namesrv.invoke(&addr, req, NAMESRV_TIMEOUT).await {
                tracing::warn!(namesrv = %addr, error = %e, "unregister broker failed");
            }
        }
        self.namesrv.close_all().await;
    }

    fn persist_all(&self) {
        for (what, r) in [
            ("consumer offsets", self.offsets.persist()),
            ("delay offsets", self.schedule.persist()),
            ("topics", self.topics.persist()),
            ("subscription groups", self.groups.persist()),
        ] {
            if let Err(e) = r {
                tracing::warn!(error = %e, "cannot persist {what}");
            }
        }
    }

    /// Answers a held pull now (no further suspension). Boxed: the pull path itself may
    /// schedule this, and the box breaks that cycle for the compiler.
    fn answer_held(
        self: &Arc<Self>,
        held: HeldPull,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        let inner = self.clone();
        Box::pin(async move {
            if held.channel.is_closed() {
                return;
            }
            let HeldPull {
                channel, request, ..
            } = held;
            if let Some(resp) =
                processor::pull_message::pull(&inner, &channel, &request, false).await
            {
                let _ = channel.send(resp).await;
            }
        })
    }
}

/// The request handler of a broker's connections.
#[derive(Debug, Clone)]
pub struct BrokerHandler {
    inner: Arc<BrokerInner>,
}

struct InflightGuard<'a>(&'a BrokerInner);

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        if self.0.inflight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl RequestHandler for BrokerHandler {
    async fn handle(&self, channel: Channel, request: RemotingCommand) -> Option<RemotingCommand> {
        self.inner.inflight.fetch_add(1, Ordering::AcqRel);
        let _guard = InflightGuard(&self.inner);
        tracing::debug!(code = request.code, opaque = request.opaque, remote = %channel.remote_addr(), "broker request");
        processor::dispatch(&self.inner, &channel, request).await
    }

    fn on_close(&self, channel: &Channel) {
        self.inner.producers.unregister(channel.id(), None);
        for group in self.inner.consumers.unregister(channel.id(), None) {
            tracing::info!(%group, remote = %channel.remote_addr(), "consumer connection closed");
            self.inner.notify_consumer_ids_changed(&group);
        }
    }
}

/// A running broker.
#[derive(Debug)]
pub struct Broker {
    inner: Arc<BrokerInner>,
    addr: SocketAddr,
    server: ServerHandle,
    tasks: Vec<JoinHandle<()>>,
}

impl Broker {
    /// Opens the store, binds `listenPort` and starts serving and registering.
    pub async fn start(config: BrokerConfig) -> Result<Broker, BrokerError> {
        let bind_ip = if config.broker_ip1.is_loopback() {
            config.broker_ip1
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        let bind = SocketAddr::new(bind_ip, config.listen_port);
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|source| BrokerError::Bind {
                addr: bind.to_string(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| BrokerError::Bind {
            addr: bind.to_string(),
            source,
        })?;
        let store_host = SocketAddr::new(config.broker_ip1, local.port());
        let mut store_cfg = config.store.clone();
        store_cfg.store_host = store_host;
        let store = Arc::new(MessageStore::open(store_cfg)?);
        let (arrival_tx, arrival_rx) = mpsc::unbounded_channel();
        let holds = PullRequestHoldService::default();
        store.set_arriving_listener(Arc::new(holds.forwarder(arrival_tx)));
        let inner = Arc::new(BrokerInner {
            broker_addr: store_host.to_string(),
            store_host,
            store,
            topics: TopicConfigManager::load(&config)?,
            groups: SubscriptionGroupManager::load(&config)?,
            offsets: ConsumerOffsetManager::load(&config)?,
            consumers: ConsumerManager::default(),
            producers: ProducerManager::default(),
            locks: RebalanceLockManager::default(),
            holds,
            schedule: ScheduleMessageService::load(&config)?,
            stats: BrokerStats::default(),
            started: Instant::now(),
            namesrv: RemotingClient::new(Arc::new(UnsupportedHandler)),
            namesrv_addrs: RwLock::new(config.namesrv_addrs()),
            register_now: Notify::new(),
            registered_once: AtomicBool::new(false),
            registered: tokio::sync::watch::channel(false).0,
            shutting_down: AtomicBool::new(false),
            inflight: AtomicUsize::new(0),
            idle: Notify::new(),
            config,
        });
        let server = serve(
            listener,
            Arc::new(BrokerHandler {
                inner: inner.clone(),
            }),
            std::future::pending(),
        );
        tracing::info!("broker listening on {store_host}");
        let tasks = vec![
            tokio::spawn(hold_loop(inner.clone(), arrival_rx)),
            tokio::spawn(schedule_loop(inner.clone())),
            tokio::spawn(maintenance_loop(inner.clone())),
            tokio::spawn(register_loop(inner.clone())),
        ];
        Ok(Broker {
            inner,
            addr: store_host,
            server,
            tasks,
        })
    }

    /// The address clients connect to (`brokerIP1:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Shared state (for embedding and tests).
    pub fn inner(&self) -> &Arc<BrokerInner> {
        &self.inner
    }

    /// Waits until the broker has registered with a name server at least once.
    pub async fn wait_registered(&self, timeout: Duration) -> bool {
        let mut rx = self.inner.registered.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|r| *r))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Replaces the name server list and registers at once.
    pub fn set_namesrv_addrs(&self, addrs: Vec<String>) {
        *self
            .inner
            .namesrv_addrs
            .write()
            .unwrap_or_else(|e| e.into_inner()) = addrs;
        self.inner.trigger_register();
    }

    /// Graceful stop: stop accepting, answer held pulls, finish in-flight requests, persist,
    /// unregister from the name servers, flush and close the store.
    pub async fn shutdown(mut self) {
        let inner = self.inner.clone();
        inner.shutting_down.store(true, Ordering::Release);
        self.server.stop_accepting().await;
        for held in inner.holds.take_all() {
            inner.answer_held(held).await;
        }
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        loop {
            let idle = inner.idle.notified();
            if inner.inflight.load(Ordering::Acquire) == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                tracing::warn!(
                    inflight = inner.inflight.load(Ordering::Acquire),
                    "shutdown grace period over"
                );
                break;
            }
        }
        for t in self.tasks.drain(..) {
            t.abort();
        }
        self.server.close_connections();
        inner.persist_all();
        inner.unregister_all().await;
        inner.store.shutdown();
        tracing::info!(addr = %self.addr, "broker stopped");
    }
}

async fn hold_loop(
    inner: Arc<BrokerInner>,
    mut arrivals: mpsc::UnboundedReceiver<long_polling::Arrival>,
) {
    let mut tick = tokio::time::interval(HOLD_CHECK_INTERVAL);
    loop {
        let ready = tokio::select! {
            a = arrivals.recv() => match a {
                Some((topic, qid, offset, code)) => inner.holds.take_for_arrival(&topic, qid, offset, code),
                None => return,
            },
            _ = tick.tick() => {
                let store = inner.store.clone();
                inner.holds.take_ready(Instant::now(), |t, q| store.max_offset_in_queue(t, q))
            }
        };
        for held in ready {
            let inner = inner.clone();
            tokio::spawn(inner.answer_held(held));
        }
    }
}

async fn schedule_loop(inner: Arc<BrokerInner>) {
    let mut tick = tokio::time::interval(SCHEDULE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        inner.schedule.deliver_due(&inner.store, now_ms()).await;
    }
}

async fn maintenance_loop(inner: Arc<BrokerInner>) {
    let mut persist = tokio::time::interval(PERSIST_INTERVAL);
    let mut scan = tokio::time::interval(CLIENT_SCAN_INTERVAL);
    persist.tick().await;
    scan.tick().await;
    loop {
        tokio::select! {
            _ = persist.tick() => {
                inner.stats.roll_day(now_ms());
                if let Err(e) = inner.offsets.persist() {
                    tracing::warn!(error = %e, "cannot persist consumer offsets");
                }
                if let Err(e) = inner.schedule.persist() {
                    tracing::warn!(error = %e, "cannot persist delay offsets");
                }
            }
            _ = scan.tick() => {
                let timeout = Duration::from_millis(inner.config.channel_expired_timeout);
                inner.producers.scan_expired(timeout);
                for group in inner.consumers.scan_expired(timeout) {
                    inner.notify_consumer_ids_changed(&group);
                }
            }
        }
    }
}

async fn register_loop(inner: Arc<BrokerInner>) {
    let period = Duration::from_millis(inner.config.register_name_server_period);
    loop {
        inner.register_all().await;
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = inner.register_now.notified() => {}
        }
    }
}
