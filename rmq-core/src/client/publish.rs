//! The producer's view of a topic's route (Java's `TopicPublishInfo`): its writable queues and
//! their masters, cached per topic and refreshed in the background every
//! `poll_name_server_interval` and after a failed send.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use super::{unwrap_namespace, ClientError, ClientInstance};
use crate::protocol::body::{MessageQueue, TopicRouteData, PERM_WRITE};

/// The topic new topics are auto-created from.
pub const AUTO_CREATE_TOPIC_KEY_TOPIC: &str = "TBW102";

/// The writable queues of one topic (wire names) and the masters serving them.
#[derive(Debug)]
pub struct TopicPublishInfo {
    /// Writable queues, by broker name then queue id; never empty.
    pub queues: Vec<MessageQueue>,
    /// The same queues with the namespace taken off the topic (what selectors see).
    pub user_queues: Vec<MessageQueue>,
    /// Broker name → master address.
    masters: Vec<(String, String)>,
    /// Round-robin position of the next send.
    pub counter: AtomicUsize,
}

impl TopicPublishInfo {
    /// The master address of `broker_name`.
    pub fn master(&self, broker_name: &str) -> Option<&str> {
        self.masters
            .iter()
            .find(|(b, _)| b == broker_name)
            .map(|(_, a)| a.as_str())
    }

    /// The master address of `mq`'s broker, or NoRoute naming the topic and the broker.
    pub fn master_of(&self, topic: &str, mq: &MessageQueue) -> Result<&str, ClientError> {
        self.master(&mq.broker_name)
            .ok_or_else(|| ClientError::NoRoute {
                topic: topic.to_owned(),
                reason: format!("no master for broker {}", mq.broker_name),
            })
    }
}

/// Java's `topicRouteData2TopicPublishInfo`: the writable queues of brokers with a master,
/// sorted by broker name (or the `orderTopicConf` list for ordered topics).
pub fn queues_of(topic: &str, route: &TopicRouteData) -> Vec<MessageQueue> {
    let has_master = |name: &str| {
        route
            .broker_datas
            .iter()
            .any(|b| b.broker_name == name && b.master_addr().is_some())
    };
    let mut out = Vec::new();
    if let Some(conf) = route.order_topic_conf.as_deref().filter(|c| !c.is_empty()) {
        // "brokerName:queueNums;brokerName:queueNums"
        for item in conf.split(';') {
            let Some((name, nums)) = item.split_once(':') else {
                continue;
            };
            let Ok(nums) = nums.trim().parse::<i32>() else {
                continue;
            };
            for id in 0..nums {
                out.push(MessageQueue::new(topic, name.trim(), id));
            }
        }
        return out;
    }
    let mut datas: Vec<_> = route.queue_datas.iter().collect();
    datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    for q in datas {
        if q.perm & PERM_WRITE == 0 || !has_master(&q.broker_name) {
            continue;
        }
        for id in 0..q.write_queue_nums {
            out.push(MessageQueue::new(topic, q.broker_name.clone(), id));
        }
    }
    out
}

/// A failed send refreshes the route at most this often.
const MIN_REFRESH_AFTER_FAILURE_MS: u64 = 1000;

struct Entry {
    info: Arc<TopicPublishInfo>,
    /// Milliseconds since the table's epoch when the route was fetched.
    fetched_at: u64,
    /// Milliseconds since the table's epoch after which the route is refreshed.
    refresh_at: AtomicU64,
    refreshing: AtomicBool,
}

/// The publish infos of one producer, keyed by wire topic.
pub struct PublishTable {
    instance: Arc<ClientInstance>,
    namespace: String,
    default_topic_queue_nums: i32,
    interval_ms: u64,
    epoch: Instant,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
}

impl std::fmt::Debug for PublishTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishTable")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl PublishTable {
    /// A table over `instance`'s name servers; routes are refreshed every `interval`.
    pub fn new(
        instance: Arc<ClientInstance>,
        namespace: &str,
        default_topic_queue_nums: i32,
        interval: std::time::Duration,
    ) -> Self {
        PublishTable {
            instance,
            namespace: namespace.to_owned(),
            default_topic_queue_nums,
            interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
            epoch: Instant::now(),
            entries: RwLock::new(HashMap::new()),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// The cached publish info of `topic` (a wire name); a stale one is served while it is
    /// refreshed in the background.
    pub fn cached(self: &Arc<Self>, topic: &str) -> Option<Arc<TopicPublishInfo>> {
        let entry = self
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(topic)
            .cloned()?;
        if self.now_ms() >= entry.refresh_at.load(Ordering::Relaxed) {
            self.refresh_in_background(topic, &entry);
        }
        Some(entry.info.clone())
    }

    /// The publish info of `topic` (a wire name): [`cached`](Self::cached), or fetched now
    /// when the topic was never looked up.
    pub async fn get(self: &Arc<Self>, topic: &str) -> Result<Arc<TopicPublishInfo>, ClientError> {
        if let Some(info) = self.cached(topic) {
            return Ok(info);
        }
        let info = Arc::new(self.fetch(topic).await?);
        self.store(topic, info.clone());
        Ok(info)
    }

    /// Marks `topic`'s route for a refresh (after a failed send) and starts it.
    pub fn invalidate(self: &Arc<Self>, topic: &str) {
        let entry = self
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(topic)
            .cloned();
        if let Some(entry) = entry {
            if self.now_ms() >= entry.fetched_at + MIN_REFRESH_AFTER_FAILURE_MS {
                self.refresh_in_background(topic, &entry);
            }
        }
    }

    fn refresh_in_background(self: &Arc<Self>, topic: &str, entry: &Arc<Entry>) {
        if entry.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            entry.refreshing.store(false, Ordering::Release);
            return;
        };
        let table = self.clone();
        let entry = entry.clone();
        let topic = topic.to_owned();
        handle.spawn(async move {
            match table.fetch(&topic).await {
                Ok(info) => table.store(&topic, Arc::new(info)),
                Err(e) => {
                    tracing::debug!(topic, error = %e, "route refresh failed; keeping the cached route");
                    // Try again after another interval, not on every send.
                    entry
                        .refresh_at
                        .store(table.now_ms() + table.interval_ms(), Ordering::Relaxed);
                }
            }
            entry.refreshing.store(false, Ordering::Release);
        });
    }

    fn store(&self, topic: &str, info: Arc<TopicPublishInfo>) {
        let now = self.now_ms();
        let entry = Arc::new(Entry {
            info,
            fetched_at: now,
            refresh_at: AtomicU64::new(now + self.interval_ms()),
            refreshing: AtomicBool::new(false),
        });
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(topic.to_owned(), entry);
    }

    /// Asks the name servers for `topic`'s route, falling back to `TBW102` (with
    /// `default_topic_queue_nums` queues per broker) when the topic does not exist yet.
    async fn fetch(&self, topic: &str) -> Result<TopicPublishInfo, ClientError> {
        let route = match self.instance.fetch_route(topic).await {
            Ok(r) => r,
            Err(ClientError::NoRoute { .. }) => {
                let mut tbw = self
                    .instance
                    .fetch_route(AUTO_CREATE_TOPIC_KEY_TOPIC)
                    .await
                    .map_err(|e| ClientError::NoRoute {
                        topic: topic.to_owned(),
                        reason: match e {
                            ClientError::NoRoute { .. } => {
                                "the name servers do not know the topic \
                                and no broker auto-creates topics (autoCreateTopicEnable=false): \
                                create it first"
                                    .to_owned()
                            }
                            other => format!("topic unknown and no auto-create template: {other}"),
                        },
                    })?;
                for q in &mut tbw.queue_datas {
                    let n = q.read_queue_nums.min(self.default_topic_queue_nums);
                    q.write_queue_nums = n;
                    q.read_queue_nums = n;
                }
                tbw
            }
            Err(e) => return Err(e),
        };
        let queues = queues_of(topic, &route);
        if queues.is_empty() {
            return Err(ClientError::NoRoute {
                topic: topic.to_owned(),
                reason: "no writable queue on a broker with a master".into(),
            });
        }
        let user_queues = queues
            .iter()
            .map(|q| MessageQueue {
                topic: unwrap_namespace(&self.namespace, &q.topic),
                ..q.clone()
            })
            .collect();
        let masters = route
            .broker_datas
            .iter()
            .filter_map(|b| Some((b.broker_name.clone(), b.master_addr()?.to_owned())))
            .collect();
        Ok(TopicPublishInfo {
            queues,
            user_queues,
            masters,
            counter: AtomicUsize::new(rand_start()),
        })
    }
}

fn rand_start() -> usize {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::body::{BrokerData, QueueData};

    fn qd(name: &str, n: i32, perm: i32) -> QueueData {
        QueueData {
            broker_name: name.into(),
            read_queue_nums: n,
            write_queue_nums: n,
            perm,
            topic_sys_flag: 0,
        }
    }

    fn bd(name: &str, master: bool) -> BrokerData {
        BrokerData {
            cluster: "c".into(),
            broker_name: name.into(),
            broker_addrs: if master {
                [(0, format!("{name}:10911"))].into()
            } else {
                [(1, format!("{name}:10911"))].into()
            },
            ..Default::default()
        }
    }

    #[test]
    fn writable_queues_of_brokers_with_a_master() {
        let route = TopicRouteData {
            queue_datas: vec![qd("b", 2, 6), qd("a", 1, 6), qd("c", 2, 4), qd("d", 2, 6)],
            broker_datas: vec![bd("a", true), bd("b", true), bd("c", true), bd("d", false)],
            ..Default::default()
        };
        let names: Vec<String> = queues_of("t", &route)
            .iter()
            .map(|q| q.to_string())
            .collect();
        assert_eq!(names, ["t@a#0", "t@b#0", "t@b#1"]);
        let ordered = TopicRouteData {
            order_topic_conf: Some("b:2;a:1".into()),
            ..route
        };
        let names: Vec<String> = queues_of("t", &ordered)
            .iter()
            .map(|q| q.to_string())
            .collect();
        assert_eq!(names, ["t@b#0", "t@b#1", "t@a#0"]);
    }
}
