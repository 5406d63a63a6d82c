//! `broker.conf`: RocketMQ's broker keys in Java properties format.
//!
//! Keys keep RocketMQ's names and defaults. An unknown key is logged as a warning; an invalid
//! value is an error naming the key, the value, the file and the line.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use crate::error::{ConfigError, InvalidValue};
use crate::store::{parse_delay_levels, FlushDiskType, StoreConfig};
use crate::timer::TimerConfig;

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
            transaction_time_out: 6_000,
            transaction_check_max: 15,
            transaction_check_interval: 30_000,
            enable_property_filter: true,
        }
    }
}

/// Keys RocketMQ defines that rmq accepts but does not honour: the value that matches what
/// rmq does anyway (`None`: any value is ignored) and what happens instead. Setting one to any
/// other value logs a warning naming the key, the file and the line.
#[rustfmt::skip]
const NOT_HONOURED: &[(&str, Option<&str>, &str)] = &[
    ("brokerRole", Some("ASYNC_MASTER"), "there are no slaves to wait for: SYNC_MASTER acknowledges as ASYNC_MASTER"),
    ("brokerIP2", None, "there are no slaves: no HA address is announced"),
    ("haListenPort", None, "there are no slaves: no HA port is opened"),
    ("aclEnable", Some("false"), "ACL is not supported: requests are not authenticated"),
    ("enableDLegerCommitLog", Some("false"), "DLedger is not supported: the commit log is a single replica"),
    ("slaveReadEnable", Some("false"), "there are no slaves to read from"),
    ("transientStorePoolEnable", Some("false"), "there is no transient store pool: writes go to the mapped file"),
    ("fetchNamesrvAddrByAddressServer", Some("false"), "there is no address server: set namesrvAddr"),
    ("enableCalcFilterBitMap", Some("false"), "there is no SQL92 bit-map filter"),
    ("storePathCommitLog", None, "the commit log is always <storePathRootDir>/commitlog"),
    ("storePathConsumeQueue", None, "consume queues are always under <storePathRootDir>/consumequeue"),
    ("storePathIndex", None, "the index is always under <storePathRootDir>/index"),
    ("storeCheckpoint", None, "the checkpoint is always <storePathRootDir>/checkpoint"),
    ("abortFile", None, "the abort marker is always <storePathRootDir>/abort"),
    ("sendMessageThreadPoolNums", None, "requests run on the serverWorkerThreads runtime"),
    ("pullMessageThreadPoolNums", None, "requests run on the serverWorkerThreads runtime"),
    ("waitTimeMillsInSendQueue", None, "sends are not queued behind a thread pool"),
    ("useReentrantLockWhenPutMessage", None, "the commit log has its own lock"),
    ("maxTransferCountOnMessageInMemory", None, "a pull returns up to the request's maxMsgNums"),
    ("maxTransferBytesOnMessageInMemory", None, "a pull returns up to the request's maxMsgNums"),
    ("transferMsgByHeap", None, "pull answers are always built in memory"),
    ("maxErrorRateOfBloomFilter", None, "there is no SQL92 bit-map filter"),
    ("rocketmqHome", None, "rmq-broker needs no ROCKETMQ_HOME"),
    ("autoDeleteUnusedStats", None, "there are no per-topic statistics to delete"),
    ("isEnableBatchPush", None, "there is no batch push"),
    ("timerRollWindowSlots", None, "timer messages are never rolled: the wheel holds 7 days and timerMaxDelaySec is at most that"),
    ("timerCongestNumEachSlot", None, "there is no per-slot flow control of timer messages"),
    ("timerEnableDisruptor", None, "one task enqueues and delivers timer messages"),
    ("timerGetMessageThreadNum", None, "one task enqueues and delivers timer messages"),
    ("timerPutMessageThreadNum", None, "one task enqueues and delivers timer messages"),
    ("timerSkipUnknownError", None, "a failed re-put of a timer message is retried; one the store refuses is dropped with a warning"),
    ("timerInterceptDelayLevel", Some("false"), "delay levels keep using SCHEDULE_TOPIC_XXXX"),
];

/// Why `key = value` is not honoured, when it is one of [`NOT_HONOURED`] with another value.
fn not_honoured(key: &str, value: &str) -> Option<&'static str> {
    NOT_HONOURED
        .iter()
        .find(|(k, _, _)| *k == key)
        .filter(|(_, same, _)| same.is_none_or(|s| !s.eq_ignore_ascii_case(value)))
        .map(|(_, _, why)| *why)
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
            _ => return Ok(false),
        }
        Ok(true)
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
mod tests {
    use super::*;

    const SEED: &str = "brokerClusterName = DefaultCluster\nbrokerName = broker-a\nbrokerId = 0\n\
deleteWhen = 04\nfileReservedTime = 48\nbrokerRole = ASYNC_MASTER\nflushDiskType = ASYNC_FLUSH\n\
autoCreateTopicEnable=true\nbrokerIP1 = 127.0.0.1\n";

    #[test]
    fn seed_file_loads_as_is() {
        let mut c = BrokerConfig::default();
        c.apply_properties(SEED, Path::new("broker.conf")).unwrap();
        assert_eq!(c.broker_name, "broker-a");
        assert_eq!(c.store.file_reserved_time_hours, 48);
        assert_eq!(c.broker_role, BrokerRole::AsyncMaster);
        assert_eq!(c.store.flush_disk_type, FlushDiskType::AsyncFlush);
        assert!(c.auto_create_topic_enable);
        assert_eq!(c.broker_ip1.to_string(), "127.0.0.1");
        assert_eq!(c.listen_port, 10911);
        assert_eq!(c.store.max_message_size, 4_194_304);
    }

    #[test]
    fn transaction_keys_have_rocketmq_5_defaults_and_are_read() {
        let c = BrokerConfig::default();
        assert_eq!(
            (
                c.transaction_check_interval,
                c.transaction_time_out,
                c.transaction_check_max
            ),
            (30_000, 6_000, 15)
        );
        let mut c = BrokerConfig::default();
        c.apply_properties(
            "transactionCheckInterval=500\ntransactionTimeOut=1000\ntransactionCheckMax=3\n",
            Path::new("broker.conf"),
        )
        .unwrap();
        assert_eq!(
            (
                c.transaction_check_interval,
                c.transaction_time_out,
                c.transaction_check_max
            ),
            (500, 1000, 3)
        );
        let err = BrokerConfig::default()
            .apply_properties("transactionCheckInterval=0\n", Path::new("broker.conf"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("transactionCheckInterval") && err.contains("at least 1 ms"),
            "{err}"
        );
    }

    #[test]
    fn invalid_value_names_key_value_file_and_line() {
        let mut c = BrokerConfig::default();
        let err = c
            .apply_properties(
                "# c\nbrokerName=b\nflushDiskType = SOMETIMES\n",
                Path::new("/etc/broker.conf"),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("flushDiskType"), "{err}");
        assert!(err.contains("SOMETIMES"), "{err}");
        assert!(err.contains("/etc/broker.conf:3"), "{err}");
        assert!(err.contains("ASYNC_FLUSH or SYNC_FLUSH"), "{err}");
    }

    #[test]
    fn every_invalid_value_of_a_file_is_reported_together() {
        let mut c = BrokerConfig::default();
        let err = c
            .apply_properties(
                "listenPort = port\nbrokerName = kept\ntraceOn = maybe\n\ndiskMaxUsedSpaceRatio = 200\n",
                Path::new("/etc/broker.conf"),
            )
            .unwrap_err();
        let ConfigError::Invalid(all) = &err else {
            panic!("{err:?}");
        };
        let at: Vec<_> = all.iter().map(|v| (v.key.as_str(), v.line)).collect();
        assert_eq!(
            at,
            [
                ("listenPort", 1),
                ("traceOn", 3),
                ("diskMaxUsedSpaceRatio", 5)
            ]
        );
        let text = err.to_string();
        assert!(text.starts_with("3 invalid values:"), "{text}");
        for needle in [
            "/etc/broker.conf:1",
            "/etc/broker.conf:3",
            "/etc/broker.conf:5",
            "\"200\"",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
        assert_eq!(c.broker_name, "kept", "valid keys still apply");
    }

    #[test]
    fn message_delay_level_with_a_non_ascii_unit_is_an_error_not_a_panic() {
        let mut c = BrokerConfig::default();
        let err = c
            .apply_properties(
                "brokerName=b\nmessageDelayLevel=1s 5秒\n",
                Path::new("b.conf"),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("messageDelayLevel"), "{err}");
        assert!(err.contains("1s 5秒"), "{err}");
        assert!(err.contains("b.conf:2"), "{err}");
        assert!(c.set("messageDelayLevel", "").is_err());
        assert_eq!(c.set("messageDelayLevel", "2s 1d"), Ok(true));
        assert_eq!(c.store.message_delay_level, "2s 1d");
    }

    #[test]
    fn server_max_connections_is_a_positive_count() {
        let mut c = BrokerConfig::default();
        assert_eq!(c.server_max_connections, 10_000);
        assert_eq!(c.set("serverMaxConnections", "250"), Ok(true));
        assert_eq!(c.server_max_connections, 250);
        assert!(c.set("serverMaxConnections", "0").is_err());
        assert!(c.set("serverMaxConnections", "-5").is_err());
        assert!(c.set("serverMaxConnections", "lots").is_err());
        assert_eq!(c.server_max_connections, 250);
    }

    #[test]
    fn store_keys_land_in_the_store_config() {
        let mut c = BrokerConfig::default();
        c.apply_properties(
            "storePathRootDir=/data/s\nflushDiskType=SYNC_FLUSH\nflushIntervalCommitLog=200\n\
             syncFlushTimeout=900\nmappedFileSizeCommitLog=8192\nmappedFileSizeConsumeQueue=130\n\
             maxMessageSize=77\ndeleteWhen=03;15\nfileReservedTime=5\ndiskMaxUsedSpaceRatio=80\n\
             diskSpaceWarningLevelRatio=0.5\nwarmMapedFileEnable=false\n",
            Path::new("b.conf"),
        )
        .unwrap();
        let s = &c.store;
        assert_eq!(s.store_path_root_dir, Path::new("/data/s"));
        assert_eq!(s.flush_disk_type, FlushDiskType::SyncFlush);
        assert_eq!(
            (s.flush_interval_commit_log_ms, s.sync_flush_timeout_ms),
            (200, 900)
        );
        assert_eq!(s.mapped_file_size_commit_log, 8192);
        assert_eq!(s.mapped_file_size_consume_queue, 120);
        assert_eq!(s.max_message_size, 77);
        assert_eq!(
            (s.delete_when.as_str(), s.file_reserved_time_hours),
            ("03;15", 5)
        );
        assert_eq!(s.disk_max_used_space_ratio, 80);
        assert_eq!(s.disk_space_warning_level_ratio, 0.5);
        assert!(!s.warm_mapped_file_enable);
    }

    #[test]
    fn slave_role_is_refused_clearly() {
        let mut c = BrokerConfig::default();
        let err = c
            .apply_properties("brokerRole=SLAVE\n", Path::new("b.conf"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("SLAVE is not supported"), "{err}");
    }

    #[test]
    fn keys_not_honoured_are_named_unless_they_match_what_rmq_does() {
        assert!(not_honoured("aclEnable", "true").is_some_and(|w| w.contains("ACL")));
        assert_eq!(not_honoured("aclEnable", "false"), None);
        assert!(not_honoured("brokerRole", "SYNC_MASTER").is_some());
        assert_eq!(not_honoured("brokerRole", "ASYNC_MASTER"), None);
        assert!(not_honoured("haListenPort", "10912").is_some());
        assert!(not_honoured("enablePropertyFilter", "true").is_none());
        assert!(not_honoured("enableDLegerCommitLog", "true").is_some());
        assert!(not_honoured("brokerIP2", "10.0.0.1").is_some());
        assert_eq!(not_honoured("listenPort", "10911"), None);
    }

    #[test]
    fn unknown_keys_are_not_errors() {
        let mut c = BrokerConfig::default();
        c.apply_properties("noSuchKey=1\nbrokerIP2=1.2.3.4\n", Path::new("b.conf"))
            .unwrap();
    }

    #[test]
    fn server_worker_threads_sizes_the_runtime() {
        let mut c = BrokerConfig::default();
        assert!(c.runtime_workers() >= 1);
        assert_eq!(c.set("serverWorkerThreads", "3"), Ok(true));
        assert_eq!(c.runtime_workers(), 3);
        assert!(c.set("serverWorkerThreads", "many").is_err());
    }

    #[test]
    fn properties_syntax() {
        let p = parse_properties("a=1\n  b : two words \\\n   more\n! bang\nc 3\nd\n");
        assert_eq!(
            p,
            vec![
                (1, "a".into(), "1".into()),
                (2, "b".into(), "two words more".into()),
                (5, "c".into(), "3".into()),
                (6, "d".into(), "".into()),
            ]
        );
    }
}
