//! The Broker: stores messages and serves producers and consumers.
//!
//! State lives in managers (topics, groups, offsets, consumers, locks, held pulls, delay levels);
//! the request processors in [`processor`] only read and update them.

mod consumer_manager;
mod live_config;
mod lock_manager;
mod long_polling;
mod offset_manager;
mod persist;
pub mod processor;
mod pull_answer;
mod registration;
pub mod schedule;
mod sql_filter;
mod stats;
pub mod stats_items;
mod subscription_group;
mod topic_config;
pub mod transaction;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_core::clock::now_ms;
use rmq_core::protocol::header::NotifyConsumerIdsChangedRequestHeader;
use rmq_core::protocol::{RemotingCommand, RequestCode};
use rmq_core::remoting::{serve_with, Channel, RequestHandler, ServerHandle, ServerOptions};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

pub use consumer_manager::{
    ClientChannel, ConsumerGroupInfo, ConsumerManager, ProducerManager, RegisterOutcome,
};
pub use live_config::{rewrite_properties, LiveConfig, LIVE_KEYS};
pub use lock_manager::{RebalanceLockManager, LOCK_MAX_LIVE_TIME};
pub use long_polling::{ArrivalForwarder, HeldPull, PullRequestHoldService};
pub use offset_manager::ConsumerOffsetManager;
pub use pull_answer::PullRead;
pub use registration::Registration;
pub use schedule::ScheduleMessageService;
pub use sql_filter::SqlFilterCache;
pub use stats::{BrokerStats, DailyTotals};
pub use subscription_group::SubscriptionGroupManager;
pub use topic_config::*;
pub use transaction::TransactionState;

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::store::MessageStore;
use crate::timer::TimerMessageStore;

/// How often offsets and delay progress are written to `config/`.
const PERSIST_INTERVAL: Duration = Duration::from_secs(5);
/// How often silent clients are looked for.
const CLIENT_SCAN_INTERVAL: Duration = Duration::from_secs(10);
/// How often due delayed messages are looked for.
const SCHEDULE_INTERVAL: Duration = Duration::from_millis(100);
/// How long shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything a request processor may touch.
#[derive(Debug)]
pub struct BrokerInner {
    pub config: BrokerConfig,
    /// The keys UPDATE_BROKER_CONFIG may change while running, with their current values.
    pub live: LiveConfig,
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
    /// Compiled SQL92 subscriptions.
    pub sql_filters: SqlFilterCache,
    pub schedule: ScheduleMessageService,
    /// 5.x timer messages (`TIMER_DELIVER_MS` …).
    pub timer: Arc<TimerMessageStore>,
    pub stats: BrokerStats,
    /// Prometheus counters (`rocketmq_*` and `rmq_*`, see [`crate::metrics`]).
    pub metrics: crate::metrics::BrokerMetrics,
    /// Transactions ended or checked while the broker runs.
    pub transactions: TransactionState,
    pub started: Instant,
    /// The name servers this broker registers with.
    pub namesrv: Registration,
    shutting_down: AtomicBool,
    inflight: AtomicUsize,
    idle: Notify,
}

impl BrokerInner {
    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Tells every consumer of a group that membership changed (oneway).
    pub fn notify_consumer_ids_changed(&self, group: &str) {
        if !self.live.notify_consumer_ids_changed_enable() {
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
        let (started, code, oneway) = (Instant::now(), request.code, request.is_oneway());
        let created_topic = crate::metrics::rpc::created_topic(&request);
        let response = processor::dispatch(&self.inner, &channel, request).await;
        if let Some(r) = &response {
            let m = &self.inner.metrics;
            crate::metrics::rpc::record_answer(m, code, r.code, oneway, false, started);
            if let Some(topic) = created_topic {
                let c = &self.inner.config;
                crate::metrics::rpc::record_topic_create(
                    m,
                    &topic,
                    &c.broker_cluster_name,
                    &c.broker_name,
                    r.code,
                    started,
                );
            }
        }
        response
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
    /// Where `GET /metrics` is served (`metricsPort`), if it is.
    metrics_addr: Option<SocketAddr>,
    server: ServerHandle,
    tasks: Vec<JoinHandle<()>>,
}

impl Broker {
    /// Opens the store, binds `listenPort` and starts serving and registering.
    pub async fn start(config: BrokerConfig) -> Result<Broker, BrokerError> {
        let bind = SocketAddr::new(config.bind_ip(), config.listen_port);
        let (listener, local) = crate::listen::listen(bind).await?;
        let store_host = SocketAddr::new(config.broker_ip1, local.port());
        let mut store_cfg = config.store.clone();
        store_cfg.store_host = store_host;
        let store = Arc::new(MessageStore::open(store_cfg)?);
        let (arrival_tx, arrival_rx) = mpsc::unbounded_channel();
        let holds = PullRequestHoldService::default();
        store.set_arriving_listener(Arc::new(holds.forwarder(arrival_tx)));
        let store_for_timer = store.clone();
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
            sql_filters: SqlFilterCache::default(),
            schedule: ScheduleMessageService::load(&config)?,
            timer: Arc::new(TimerMessageStore::open(
                config.timer.clone(),
                store_for_timer,
            )?),
            stats: BrokerStats::new(&config.broker_cluster_name),
            live: LiveConfig::new(&config),
            metrics: crate::metrics::BrokerMetrics::new(&config.metrics),
            transactions: TransactionState::default(),
            started: Instant::now(),
            namesrv: Registration::new(config.namesrv_addrs()),
            shutting_down: AtomicBool::new(false),
            inflight: AtomicUsize::new(0),
            idle: Notify::new(),
            config,
        });
        let server = serve_with(
            listener,
            Arc::new(BrokerHandler {
                inner: inner.clone(),
            }),
            std::future::pending(),
            ServerOptions::default().max_connections(inner.config.server_max_connections),
        );
        inner.timer.start();
        inner
            .metrics
            .set_connection_probe(server.connection_probe());
        tracing::info!("broker listening on {store_host}");
        let metrics = crate::metrics::http::start(&inner).await?;
        let mut tasks = vec![
            tokio::spawn(long_polling::run(inner.clone(), arrival_rx)),
            tokio::spawn(schedule_loop(inner.clone())),
            tokio::spawn(maintenance_loop(inner.clone())),
            tokio::spawn(registration::register_loop(inner.clone())),
            tokio::spawn(transaction::check_loop(inner.clone())),
        ];
        let metrics_addr = metrics.map(|(addr, task)| {
            tasks.push(task);
            addr
        });
        Ok(Broker {
            inner,
            addr: store_host,
            metrics_addr,
            server,
            tasks,
        })
    }

    /// The address clients connect to (`brokerIP1:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the `/metrics` endpoint, when `metricsPort` (or
    /// `metricsExporterType=PROM`) is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The metrics text now (what `GET /metrics` answers; for other HTTP servers).
    pub fn render_metrics(&self) -> String {
        crate::metrics::render(&self.inner)
    }

    /// A cloneable handle rendering this broker's metrics (for the dashboard's server).
    pub fn metrics_handle(&self) -> crate::metrics::MetricsHandle {
        crate::metrics::MetricsHandle::new(self.inner.clone())
    }

    /// Shared state (for embedding and tests).
    pub fn inner(&self) -> &Arc<BrokerInner> {
        &self.inner
    }

    /// Waits until the broker has registered with a name server at least once.
    pub async fn wait_registered(&self, timeout: Duration) -> bool {
        self.inner.namesrv.wait_registered(timeout).await
    }

    /// Replaces the name server list and registers at once.
    pub fn set_namesrv_addrs(&self, addrs: Vec<String>) {
        self.inner.namesrv.set_addrs(addrs);
        self.inner.trigger_register();
    }

    /// Graceful stop: stop accepting, answer held pulls, finish in-flight requests, persist,
    /// unregister from the name servers, flush and close the store.
    pub async fn shutdown(mut self) {
        let inner = self.inner.clone();
        inner.shutting_down.store(true, Ordering::Release);
        self.server.stop_accepting().await;
        for held in inner.holds.take_all() {
            long_polling::answer(inner.clone(), held).await;
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
        inner.timer.shutdown().await;
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
                inner.stats.items.sample(now_ms());
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
