//! `broker.conf`: RocketMQ's broker keys in Java properties format.
//!
//! Keys keep RocketMQ's names and defaults. An unknown key is logged as a warning; an invalid
//! value is an error naming the key, the value, the file and the line.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use crate::error::{ConfigError, InvalidValue};
use crate::store::{parse_delay_levels, FlushDiskType, StoreConfig};
use crate::timer::TimerConfig;

mod not_honoured;
use not_honoured::{not_honoured, NOT_HONOURED};

/// The broker's role. Only masters are built; `SLAVE` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerRole {
    /// Master that acks before replication.
    AsyncMaster,
    /// Master that would wait for a slave (no slaves here: behaves like ASYNC_MASTER).
    SyncMaster,
}

/// Every setting of a broker, with RocketMQ's defaults.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// `brokerClusterName` (DefaultCluster).
    pub broker_cluster_name: String,
    /// `brokerName` (broker-a).
    pub broker_name: String,
    /// `brokerId` (0 = master).
    pub broker_id: i64,
    /// `namesrvAddr`: `host:port;host:port`.
    pub namesrv_addr: Option<String>,
    /// `listenPort` (10911; 0 = ephemeral).
    pub listen_port: u16,
    /// `brokerIP1`: the address announced to name servers and written into records.
    pub broker_ip1: IpAddr,
    /// The store's keys: `storePathRootDir`, `flushDiskType`, `flushIntervalCommitLog`,
    /// `syncFlushTimeout`, `mappedFileSizeCommitLog`, `mappedFileSizeConsumeQueue`,
    /// `maxMessageSize`, `deleteWhen`, `fileReservedTime`, `diskMaxUsedSpaceRatio`,
    /// `diskSpaceWarningLevelRatio`, `messageDelayLevel` and `warmMapedFileEnable`
    /// (RocketMQ's defaults, except `warmMapedFileEnable`: true here). Its `store_host` is
    /// set when the broker starts, from `brokerIP1` and the bound port.
    pub store: StoreConfig,
    /// `brokerRole` (ASYNC_MASTER).
    pub broker_role: BrokerRole,
    /// `autoCreateTopicEnable` (true).
    pub auto_create_topic_enable: bool,
    /// `autoCreateSubscriptionGroup` (true).
    pub auto_create_subscription_group: bool,
    /// `defaultTopicQueueNums` (8).
    pub default_topic_queue_nums: i32,
    /// `brokerPermission` (6).
    pub broker_permission: i32,
    /// `registerNameServerPeriod` in ms (30000, clamped to 10000..=60000).
    pub register_name_server_period: u64,
    /// `longPollingEnable` (true).
    pub long_polling_enable: bool,
    /// `shortPollingTimeMills` (1000).
    pub short_polling_time_mills: u64,
    /// `traceOn` (true).
    pub trace_on: bool,
    /// `serverWorkerThreads`: threads of the `rmq-broker` binary's runtime, which reads,
    /// processes and answers requests (0 = half the cores, at least one: the store's flush,
    /// warm-up and clean-up threads and the page cache take the rest). Not used by the
    /// embedded broker, which runs on the application's runtime.
    pub server_worker_threads: usize,
    /// `regionId` (DefaultRegion).
    pub region_id: String,
    /// `clusterTopicEnable` (true).
    pub cluster_topic_enable: bool,
    /// `brokerTopicEnable` (true).
    pub broker_topic_enable: bool,
    /// `notifyConsumerIdsChangedEnable` (true).
    pub notify_consumer_ids_changed_enable: bool,
    /// `channelExpiredTimeout` in ms (120000).
    pub channel_expired_timeout: u64,
    /// `serverMaxConnections` (10000): the most client connections the broker's server keeps
    /// open at once (at least 1).
    pub server_max_connections: usize,
    /// The timer keys: `timerWheelEnable`, `timerMaxDelaySec`, `timerPrecisionMs`,
    /// `timerFlushIntervalMs` (RocketMQ's defaults).
    pub timer: TimerConfig,
    /// `storeReplyMessageEnable` (true): replies (SEND_REPLY_MESSAGE) are stored in the
    /// cluster's reply topic as well as pushed to their requester.
    pub store_reply_message_enable: bool,
    /// `transactionTimeOut` in ms (6000): a half message younger than this is not checked.
    pub transaction_time_out: u64,
    /// `transactionCheckMax` (15): checks of one half message before it is moved to
    /// `TRANS_CHECK_MAX_TIME_TOPIC`.
    pub transaction_check_max: i32,
    /// `transactionCheckInterval` in ms (30000, RocketMQ 5.x): how often open half messages
    /// are checked with their producers.
    pub transaction_check_interval: u64,
    /// `enablePropertyFilter` (true here; false in Java's broker): whether consumers may
    /// subscribe with SQL92 expressions. When false, a SQL92 pull is refused with
    /// SYSTEM_ERROR as in Java.
    pub enable_property_filter: bool,
    /// `dashboardPort` (unset: no dashboard): serve the web dashboard on this port beside the
    /// broker, pointed at the broker's name servers (0 = ephemeral).
    pub dashboard_port: Option<u16>,
    /// `dashboardUser` / `dashboardPassword`: the login for state-changing dashboard calls
    /// (unset: none required).
    pub dashboard_user: Option<String>,
    /// `dashboardPassword`.
    pub dashboard_password: Option<String>,
    /// `dashboardReadOnly` (false): refuse every state-changing dashboard call.
    pub dashboard_read_only: bool,
    /// The file the broker was started with (`-c`): UPDATE_BROKER_CONFIG writes the keys it
    /// changes back into it, as Java does.
    pub config_file: Option<PathBuf>,
    /// The metrics keys: `metricsPort`, `metricsHost`, and Apache's `metricsExporterType`,
    /// `metricsPromExporterPort`, `metricsPromExporterHost`, `metricsLabel`,
    /// `enable…Metrics` (see [`crate::metrics::MetricsConfig`]).
    pub metrics: crate::metrics::MetricsConfig,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            broker_cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            broker_id: 0,
            namesrv_addr: std::env::var("NAMESRV_ADDR").ok().filter(|s| !s.is_empty()),
            listen_port: 10911,
            broker_ip1: IpAddr::V4(Ipv4Addr::LOCALHOST),
            store: StoreConfig::default(),
            broker_role: BrokerRole::AsyncMaster,
            auto_create_topic_enable: true,
            auto_create_subscription_group: true,
            default_topic_queue_nums: 8,
            broker_permission: 6,
            register_name_server_period: 30_000,
            long_polling_enable: true,
            short_polling_time_mills: 1000,
            trace_on: true,
            server_worker_threads: 0,
            region_id: "DefaultRegion".into(),
            cluster_topic_enable: true,
            broker_topic_enable: true,
            notify_consumer_ids_changed_enable: true,
            channel_expired_timeout: 120_000,
            server_max_connections: 10_000,
            timer: TimerConfig::default(),
            store_reply_message_enable: true,
            dashboard_port: None,
            dashboard_user: None,
            dashboard_password: None,
            dashboard_read_only: false,
            transaction_time_out: 6_000,
            transaction_check_max: 15,
            transaction_check_interval: 30_000,
            enable_property_filter: true,
            config_file: None,
            metrics: crate::metrics::MetricsConfig::default(),
        }
    }
}

fn parse_bool(v: &str) -> Result<bool, &'static str> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("true or false"),
    }
}

fn parse_num<T: std::str::FromStr>(v: &str) -> Result<T, &'static str> {
    v.parse().map_err(|_| "a number in range")
}

impl BrokerConfig {
    /// The runtime threads `serverWorkerThreads` asks for (0 resolved against the cores).
    pub fn runtime_workers(&self) -> usize {
        match self.server_worker_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        }
    }

    /// Loads a `broker.conf` file over the defaults.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut cfg = BrokerConfig::default();
        cfg.apply_properties(&text, path)?;
        cfg.config_file = Some(path.to_owned());
        Ok(cfg)
    }

    /// Applies Java-properties text; `origin` names the file in errors. Every invalid value
    /// is reported, in file order, in one [`ConfigError::Invalid`]; the valid keys are applied
    /// either way.
    pub fn apply_properties(&mut self, text: &str, origin: &Path) -> Result<(), ConfigError> {
        let mut invalid = Vec::new();
        for (line_no, key, value) in parse_properties(text) {
            if let Some(why) = not_honoured(&key, &value) {
                tracing::warn!(key = %key, value = %value, file = %origin.display(), line = line_no, "broker.conf key not honoured: {why}");
            }
            match self.set(&key, &value) {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(key = %key, file = %origin.display(), line = line_no, "unknown broker.conf key ignored");
                }
                Err(expected) => invalid.push(InvalidValue {
                    key,
                    value,
                    path: origin.to_owned(),
                    line: line_no,
                    expected,
                }),
            }
        }
        if invalid.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(invalid))
        }
    }

    /// Sets one key. `Ok(false)` for an unknown key, `Err(expected)` for an invalid value.
    pub fn set(&mut self, key: &str, v: &str) -> Result<bool, String> {
        let e = |s: &str| s.to_owned();
        match key {
            "brokerClusterName" => self.broker_cluster_name = v.to_owned(),
            "brokerName" => self.broker_name = v.to_owned(),
            "brokerId" => {
                self.broker_id = parse_num(v).map_err(e)?;
                if self.broker_id != 0 {
                    return Err("0 (slaves are not supported yet)".into());
                }
            }
            "namesrvAddr" => self.namesrv_addr = Some(v.to_owned()).filter(|s| !s.is_empty()),
            "listenPort" => self.listen_port = parse_num(v).map_err(e)?,
            "brokerIP1" => self.broker_ip1 = v.parse().map_err(|_| "an IP address".to_owned())?,
            "storePathRootDir" => self.store.store_path_root_dir = expand_home(v),
            "deleteWhen" => {
                if v.split(';')
                    .any(|h| h.trim().parse::<u8>().map_or(true, |h| h > 23))
                {
                    return Err("hours 00..23 separated by ';'".into());
                }
                self.store.delete_when = v.to_owned();
            }
            "fileReservedTime" => self.store.file_reserved_time_hours = parse_num(v).map_err(e)?,
            "brokerRole" => {
                self.broker_role = match v {
                    "ASYNC_MASTER" => BrokerRole::AsyncMaster,
                    "SYNC_MASTER" => BrokerRole::SyncMaster,
                    "SLAVE" => {
                        return Err(
                            "ASYNC_MASTER or SYNC_MASTER (SLAVE is not supported yet)".into()
                        )
                    }
                    _ => return Err("ASYNC_MASTER, SYNC_MASTER or SLAVE".into()),
                }
            }
            "flushDiskType" => {
                self.store.flush_disk_type = match v {
                    "ASYNC_FLUSH" => FlushDiskType::AsyncFlush,
                    "SYNC_FLUSH" => FlushDiskType::SyncFlush,
                    _ => return Err("ASYNC_FLUSH or SYNC_FLUSH".into()),
                }
            }
            "autoCreateTopicEnable" => self.auto_create_topic_enable = parse_bool(v).map_err(e)?,
            "autoCreateSubscriptionGroup" => {
                self.auto_create_subscription_group = parse_bool(v).map_err(e)?
            }
            "messageDelayLevel" => {
                parse_delay_levels(v).map_err(|e| format!("delays like `1s 5s 1m 2h` ({e})"))?;
                self.store.message_delay_level = v.to_owned();
            }
            "maxMessageSize" => self.store.max_message_size = parse_num(v).map_err(e)?,
            "mappedFileSizeCommitLog" => {
                let n: u64 = parse_num(v).map_err(e)?;
                if n < 4096 {
                    return Err("at least 4096".into());
                }
                self.store.mapped_file_size_commit_log = n;
            }
            "mappedFileSizeConsumeQueue" => {
                let n: u64 = parse_num(v).map_err(e)?;
                if n < 20 {
                    return Err("at least 20".into());
                }
                self.store.mapped_file_size_consume_queue = n / 20 * 20;
            }
            "diskMaxUsedSpaceRatio" => {
                let n: u32 = parse_num(v).map_err(e)?;
                if !(10..=95).contains(&n) {
                    return Err("a percentage 10..95".into());
                }
                self.store.disk_max_used_space_ratio = n;
            }
            "diskSpaceWarningLevelRatio" => {
                let r: f64 = parse_num(v).map_err(e)?;
                if !(0.0..=1.0).contains(&r) {
                    return Err("a fraction 0.0..1.0".into());
                }
                self.store.disk_space_warning_level_ratio = r;
            }
            "defaultTopicQueueNums" => self.default_topic_queue_nums = parse_num(v).map_err(e)?,
            "brokerPermission" => self.broker_permission = parse_num(v).map_err(e)?,
            "registerNameServerPeriod" => {
                self.register_name_server_period =
                    parse_num::<u64>(v).map_err(e)?.clamp(10_000, 60_000)
            }
            "dashboardPort" => self.dashboard_port = Some(parse_num(v).map_err(e)?),
            "dashboardUser" => self.dashboard_user = Some(v.to_owned()).filter(|s| !s.is_empty()),
            "dashboardPassword" => self.dashboard_password = Some(v.to_owned()),
            "dashboardReadOnly" => self.dashboard_read_only = parse_bool(v).map_err(e)?,
            "enablePropertyFilter" => self.enable_property_filter = parse_bool(v).map_err(e)?,
            "longPollingEnable" => self.long_polling_enable = parse_bool(v).map_err(e)?,
            "shortPollingTimeMills" => self.short_polling_time_mills = parse_num(v).map_err(e)?,
            "flushIntervalCommitLog" => {
                self.store.flush_interval_commit_log_ms = parse_num(v).map_err(e)?
            }
            "syncFlushTimeout" => self.store.sync_flush_timeout_ms = parse_num(v).map_err(e)?,
            "traceOn" => self.trace_on = parse_bool(v).map_err(e)?,
            "serverWorkerThreads" => self.server_worker_threads = parse_num(v).map_err(e)?,
            "regionId" => self.region_id = v.to_owned(),
            "clusterTopicEnable" => self.cluster_topic_enable = parse_bool(v).map_err(e)?,
            "brokerTopicEnable" => self.broker_topic_enable = parse_bool(v).map_err(e)?,
            "warmMapedFileEnable" | "warmMappedFileEnable" => {
                self.store.warm_mapped_file_enable = parse_bool(v).map_err(e)?
            }
            "notifyConsumerIdsChangedEnable" => {
                self.notify_consumer_ids_changed_enable = parse_bool(v).map_err(e)?
            }
            "channelExpiredTimeout" => self.channel_expired_timeout = parse_num(v).map_err(e)?,
            "serverMaxConnections" => {
                let n: usize = parse_num(v).map_err(e)?;
                if n == 0 {
                    return Err("at least 1".into());
                }
                self.server_max_connections = n;
            }
            "storeReplyMessageEnable" => {
                self.store_reply_message_enable = parse_bool(v).map_err(e)?
            }
            "transactionTimeOut" => self.transaction_time_out = parse_num(v).map_err(e)?,
            "transactionCheckMax" => self.transaction_check_max = parse_num(v).map_err(e)?,
            "transactionCheckInterval" => {
                let ms: u64 = parse_num(v).map_err(e)?;
                if ms == 0 {
                    return Err("at least 1 ms".into());
                }
                self.transaction_check_interval = ms;
            }
            k if NOT_HONOURED.iter().any(|(n, _, _)| *n == k) => {}
            k if k.starts_with("timer") => return self.timer.apply(k, v),
            k if crate::metrics::MetricsConfig::is_key(k) => return self.metrics.apply(k, v),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The address the broker's servers bind (its own, the standalone name server's, the
    /// dashboard's): `brokerIP1` when it is a loopback address, else every interface.
    pub fn bind_ip(&self) -> std::net::IpAddr {
        if self.broker_ip1.is_loopback() {
            self.broker_ip1
        } else {
            std::net::IpAddr::from([0, 0, 0, 0])
        }
    }

    /// The name server addresses, split on `;`.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrv_addr
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

fn expand_home(v: &str) -> PathBuf {
    match (v.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(v),
    }
}

/// Parses Java properties text into `(line, key, value)`; `#`/`!` comments, `=`/`:`/space
/// separators, trailing-backslash continuations.
pub fn parse_properties(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        let (start, mut logical) = match pending.take() {
            Some((start, acc)) => (start, acc + line),
            None => {
                if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                    continue;
                }
                (i + 1, line.to_owned())
            }
        };
        if logical.ends_with('\\') && !logical.ends_with("\\\\") {
            logical.pop();
            pending = Some((start, logical));
            continue;
        }
        let sep = logical
            .find(['=', ':'])
            .or_else(|| logical.find(char::is_whitespace));
        let (k, v) = match sep {
            Some(p) => (&logical[..p], &logical[p + 1..]),
            None => (&logical[..], ""),
        };
        out.push((start, k.trim().to_owned(), v.trim().to_owned()));
    }
    if let Some((start, logical)) = pending {
        out.push((start, logical.trim().to_owned(), String::new()));
    }
    out
}

#[cfg(test)]
mod tests;
