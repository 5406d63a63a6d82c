//! The NameServer's state: clusters, brokers, topic queues and broker liveness.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use rmq_core::protocol::body::{
    BrokerData, ClusterInfo, DataVersion, QueueData, TopicConfigSerializeWrapper, TopicRouteData,
};
use rmq_core::protocol::header::{RegisterBrokerRequestHeader, UnregisterBrokerRequestHeader};

/// Default broker expiry without a heartbeat (`heartbeatTimeoutMillis`).
pub const BROKER_CHANNEL_EXPIRED_TIME: Duration = Duration::from_secs(120);

#[derive(Debug)]
struct BrokerLiveInfo {
    last_update: Instant,
    timeout: Duration,
    data_version: DataVersion,
    channel_id: u64,
    ha_server_addr: String,
    broker_name: String,
    cluster_name: String,
}

#[derive(Debug, Default)]
struct Tables {
    cluster_addr: BTreeMap<String, BTreeSet<String>>,
    broker_addr: BTreeMap<String, BrokerData>,
    topic_queue: BTreeMap<String, BTreeMap<String, QueueData>>,
    broker_live: HashMap<String, BrokerLiveInfo>,
}

/// Route tables behind one lock: registrations are rare and reads are short.
#[derive(Debug, Default)]
pub struct RouteInfoManager {
    tables: RwLock<Tables>,
}

/// What a registration answers.
#[derive(Debug, Default)]
pub struct RegisterResult {
    /// The master's address (for slaves).
    pub master_addr: Option<String>,
    /// The master's HA address (for slaves).
    pub ha_server_addr: Option<String>,
}

impl RouteInfoManager {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Tables> {
        self.tables.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers (or refreshes) a broker and, for masters, its topics.
    pub fn register_broker(
        &self,
        h: &RegisterBrokerRequestHeader,
        topics: &TopicConfigSerializeWrapper,
        channel_id: u64,
    ) -> RegisterResult {
        let mut t = self.write();
        t.cluster_addr
            .entry(h.cluster_name.clone())
            .or_default()
            .insert(h.broker_name.clone());
        let bd = t
            .broker_addr
            .entry(h.broker_name.clone())
            .or_insert_with(|| BrokerData {
                cluster: h.cluster_name.clone(),
                broker_name: h.broker_name.clone(),
                ..Default::default()
            });
        // An address that re-registers under another id replaces its old entry.
        bd.broker_addrs
            .retain(|id, addr| !(addr == &h.broker_addr && *id != h.broker_id));
        let first = bd
            .broker_addrs
            .insert(h.broker_id, h.broker_addr.clone())
            .is_none();
        let changed = t
            .broker_live
            .get(&h.broker_addr)
            .is_none_or(|l| l.data_version != topics.data_version);
        if h.broker_id == 0 {
            // Add or update only: Java 5.x brokers register just the new topic at times
            // (registerIncrementBrokerData), and Java's NameServer deletes topics only on
            // unregistration or DELETE_TOPIC_IN_NAMESRV (deleteTopicWithBrokerRegistration=false).
            // As Java, a topic is also applied when the route lacks this broker (a route deleted
            // at the name server comes back with the next registration).
            for (name, cfg) in &topics.topic_config_table {
                let missing = t
                    .topic_queue
                    .get(name)
                    .is_none_or(|q| !q.contains_key(&h.broker_name));
                if !(first || changed || missing) {
                    continue;
                }
                t.topic_queue.entry(name.clone()).or_default().insert(
                    h.broker_name.clone(),
                    QueueData {
                        broker_name: h.broker_name.clone(),
                        read_queue_nums: cfg.read_queue_nums,
                        write_queue_nums: cfg.write_queue_nums,
                        perm: cfg.perm,
                        topic_sys_flag: cfg.topic_sys_flag,
                    },
                );
            }
        }
        let timeout = h
            .heartbeat_timeout_millis
            .filter(|ms| *ms > 0)
            .map_or(BROKER_CHANNEL_EXPIRED_TIME, |ms| {
                Duration::from_millis(ms as u64)
            });
        t.broker_live.insert(
            h.broker_addr.clone(),
            BrokerLiveInfo {
                last_update: Instant::now(),
                timeout,
                data_version: topics.data_version.clone(),
                channel_id,
                ha_server_addr: h.ha_server_addr.clone(),
                broker_name: h.broker_name.clone(),
                cluster_name: h.cluster_name.clone(),
            },
        );
        let mut result = RegisterResult::default();
        if h.broker_id != 0 {
            if let Some(master) = t
                .broker_addr
                .get(&h.broker_name)
                .and_then(|b| b.master_addr().map(str::to_owned))
            {
                result.ha_server_addr =
                    t.broker_live.get(&master).map(|l| l.ha_server_addr.clone());
                result.master_addr = Some(master);
            }
        }
        result
    }

    /// Removes one broker address; a broker name left without addresses loses its topics.
    pub fn unregister_broker(&self, h: &UnregisterBrokerRequestHeader) {
        let mut t = self.write();
        Self::remove_addr(&mut t, &h.cluster_name, &h.broker_name, &h.broker_addr);
    }

    fn remove_addr(t: &mut Tables, cluster: &str, broker_name: &str, addr: &str) {
        t.broker_live.remove(addr);
        let now_empty = match t.broker_addr.get_mut(broker_name) {
            Some(bd) => {
                bd.broker_addrs.retain(|_, a| a != addr);
                bd.broker_addrs.is_empty()
            }
            None => false,
        };
        if now_empty {
            t.broker_addr.remove(broker_name);
            if let Some(set) = t.cluster_addr.get_mut(cluster) {
                set.remove(broker_name);
                if set.is_empty() {
                    t.cluster_addr.remove(cluster);
                }
            }
            for queues in t.topic_queue.values_mut() {
                queues.remove(broker_name);
            }
            t.topic_queue.retain(|_, q| !q.is_empty());
        }
        tracing::info!(broker = broker_name, %addr, "broker unregistered");
    }

    /// Removes brokers whose heartbeat is older than their timeout; returns how many.
    pub fn scan_not_active(&self) -> usize {
        let mut t = self.write();
        let now = Instant::now();
        let expired: Vec<(String, String, String)> = t
            .broker_live
            .iter()
            .filter(|(_, l)| now.duration_since(l.last_update) > l.timeout)
            .map(|(addr, l)| (l.cluster_name.clone(), l.broker_name.clone(), addr.clone()))
            .collect();
        for (cluster, name, addr) in &expired {
            tracing::warn!(broker = %name, %addr, "broker expired: no heartbeat");
            Self::remove_addr(&mut t, cluster, name, addr);
        }
        expired.len()
    }

    /// Removes brokers registered through a connection that closed.
    pub fn on_channel_close(&self, channel_id: u64) {
        let mut t = self.write();
        let gone: Vec<(String, String, String)> = t
            .broker_live
            .iter()
            .filter(|(_, l)| l.channel_id == channel_id)
            .map(|(addr, l)| (l.cluster_name.clone(), l.broker_name.clone(), addr.clone()))
            .collect();
        for (cluster, name, addr) in &gone {
            Self::remove_addr(&mut t, cluster, name, addr);
        }
    }

    /// The route of a topic, `None` when no broker serves it.
    pub fn pickup_topic_route(&self, topic: &str) -> Option<TopicRouteData> {
        let t = self.read();
        let queues = t.topic_queue.get(topic)?;
        let queue_datas: Vec<QueueData> = queues.values().cloned().collect();
        let broker_datas: Vec<BrokerData> = queues
            .keys()
            .filter_map(|name| t.broker_addr.get(name).cloned())
            .collect();
        if broker_datas.is_empty() {
            return None;
        }
        Some(TopicRouteData {
            order_topic_conf: None,
            queue_datas,
            broker_datas,
            filter_server_table: HashMap::new(),
        })
    }

    /// The cluster view.
    pub fn cluster_info(&self) -> ClusterInfo {
        let t = self.read();
        ClusterInfo {
            broker_addr_table: t.broker_addr.clone(),
            cluster_addr_table: t.cluster_addr.clone(),
        }
    }

    /// Every topic with a route.
    pub fn all_topics(&self) -> Vec<String> {
        self.read().topic_queue.keys().cloned().collect()
    }

    /// Topics served by the brokers of a cluster.
    pub fn topics_by_cluster(&self, cluster: &str) -> Vec<String> {
        let t = self.read();
        let Some(names) = t.cluster_addr.get(cluster) else {
            return Vec::new();
        };
        t.topic_queue
            .iter()
            .filter(|(_, q)| q.keys().any(|b| names.contains(b)))
            .map(|(topic, _)| topic.clone())
            .collect()
    }

    /// Cluster and broker names (they double as system topics).
    pub fn system_topics(&self) -> Vec<String> {
        let t = self.read();
        t.cluster_addr
            .iter()
            .flat_map(|(c, names)| std::iter::once(c.clone()).chain(names.iter().cloned()))
            .collect()
    }

    /// Deletes a topic's route (optionally only for one cluster's brokers).
    pub fn delete_topic(&self, topic: &str, cluster: Option<&str>) {
        let mut t = self.write();
        match cluster.and_then(|c| t.cluster_addr.get(c).cloned()) {
            Some(names) => {
                if let Some(q) = t.topic_queue.get_mut(topic) {
                    q.retain(|b, _| !names.contains(b));
                    if q.is_empty() {
                        t.topic_queue.remove(topic);
                    }
                }
            }
            None => {
                t.topic_queue.remove(topic);
            }
        }
    }

    /// The data version last registered from `broker_addr`.
    pub fn data_version(&self, broker_addr: &str) -> Option<DataVersion> {
        self.read()
            .broker_live
            .get(broker_addr)
            .map(|l| l.data_version.clone())
    }

    /// Refreshes the heartbeat time of a broker (QUERY_DATA_VERSION counts as a heartbeat).
    pub fn touch(&self, broker_addr: &str) {
        if let Some(l) = self.write().broker_live.get_mut(broker_addr) {
            l.last_update = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use rmq_core::protocol::body::TopicConfig;

    use super::*;

    fn header(addr: &str) -> RegisterBrokerRequestHeader {
        RegisterBrokerRequestHeader {
            broker_name: "broker-a".into(),
            broker_addr: addr.into(),
            cluster_name: "DefaultCluster".into(),
            ha_server_addr: "127.0.0.1:10912".into(),
            broker_id: 0,
            heartbeat_timeout_millis: None,
            compressed: None,
            body_crc32: None,
        }
    }

    fn topics(names: &[&str], counter: i64) -> TopicConfigSerializeWrapper {
        TopicConfigSerializeWrapper {
            topic_config_table: names
                .iter()
                .map(|n| (n.to_string(), TopicConfig::new(*n, 4, 6)))
                .collect(),
            data_version: DataVersion {
                counter,
                state_version: 0,
                timestamp: 1,
            },
        }
    }

    #[test]
    fn a_route_deleted_at_the_name_server_returns_with_the_next_registration() {
        let m = RouteInfoManager::default();
        let h = header("127.0.0.1:10911");
        m.register_broker(&h, &topics(&["T1"], 1), 9);
        m.delete_topic("T1", None);
        assert!(m.pickup_topic_route("T1").is_none());
        // Same data version: Java still re-applies a topic the route lacks.
        m.register_broker(&h, &topics(&["T1"], 1), 9);
        assert!(m.pickup_topic_route("T1").is_some());
    }

    #[test]
    fn register_route_and_unregister() {
        let m = RouteInfoManager::default();
        m.register_broker(&header("127.0.0.1:10911"), &topics(&["T1", "TBW102"], 1), 9);
        let r = m.pickup_topic_route("T1").unwrap();
        assert_eq!(r.queue_datas[0].write_queue_nums, 4);
        assert_eq!(r.broker_datas[0].master_addr(), Some("127.0.0.1:10911"));
        assert!(m.pickup_topic_route("nope").is_none());
        // A new version adds topics and keeps the others (increment registrations).
        m.register_broker(&header("127.0.0.1:10911"), &topics(&["T2"], 2), 9);
        assert!(m.pickup_topic_route("T1").is_some());
        assert!(m.pickup_topic_route("T2").is_some());
        m.delete_topic("T1", None);
        assert!(m.pickup_topic_route("T1").is_none());
        assert_eq!(
            m.cluster_info().cluster_addr_table["DefaultCluster"].len(),
            1
        );
        m.on_channel_close(9);
        assert!(m.pickup_topic_route("T2").is_none());
        assert!(m.cluster_info().broker_addr_table.is_empty());
    }

    #[test]
    fn expiry_removes_silent_brokers() {
        let m = RouteInfoManager::default();
        let mut h = header("127.0.0.1:1");
        h.heartbeat_timeout_millis = Some(1);
        m.register_broker(&h, &topics(&["T"], 1), 1);
        let deadline = Instant::now() + Duration::from_secs(5);
        while m.scan_not_active() == 0 {
            assert!(Instant::now() < deadline, "broker never expired");
            std::thread::yield_now();
        }
        assert!(m.pickup_topic_route("T").is_none());
    }
}
