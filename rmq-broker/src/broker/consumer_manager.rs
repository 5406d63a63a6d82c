//! Online consumers by group: their channels, client ids and subscriptions.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rmq_core::protocol::body::{
    Connection, ConsumeFromWhere, ConsumeType, ConsumerData, MessageModel, SubscriptionData,
};
use rmq_core::protocol::LanguageCode;
use rmq_core::remoting::Channel;

/// One client connection of a group.
#[derive(Debug, Clone)]
pub struct ClientChannel {
    pub channel: Channel,
    pub client_id: String,
    pub language: LanguageCode,
    pub version: i32,
    pub last_update: Instant,
}

impl ClientChannel {
    /// A client seen just now.
    pub fn new(channel: &Channel, client_id: &str, language: LanguageCode, version: i32) -> Self {
        ClientChannel {
            channel: channel.clone(),
            client_id: client_id.to_owned(),
            language,
            version,
            last_update: Instant::now(),
        }
    }

    /// The connection as admin tools show it.
    pub fn connection(&self) -> Connection {
        Connection {
            client_id: self.client_id.clone(),
            client_addr: self.channel.remote_addr().to_string(),
            language: self.language.name().to_owned(),
            version: self.version,
        }
    }
}

/// A consumer group's members and subscriptions.
#[derive(Debug, Clone)]
pub struct ConsumerGroupInfo {
    pub channels: HashMap<u64, ClientChannel>,
    pub subscriptions: BTreeMap<String, SubscriptionData>,
    pub consume_type: ConsumeType,
    pub message_model: MessageModel,
    pub consume_from_where: ConsumeFromWhere,
}

/// What changed with a registration.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RegisterOutcome {
    /// A member joined.
    pub members_changed: bool,
    /// The subscription set changed.
    pub subscriptions_changed: bool,
}

/// Consumer groups keyed by name.
#[derive(Debug, Default)]
pub struct ConsumerManager {
    groups: Mutex<HashMap<String, ConsumerGroupInfo>>,
}

impl ConsumerManager {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ConsumerGroupInfo>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers or refreshes one client of a group from a heartbeat.
    pub fn register(
        &self,
        data: &ConsumerData,
        channel: &Channel,
        client_id: &str,
        language: LanguageCode,
        version: i32,
    ) -> RegisterOutcome {
        let mut groups = self.lock();
        let info = groups
            .entry(data.group_name.clone())
            .or_insert_with(|| ConsumerGroupInfo {
                channels: HashMap::new(),
                subscriptions: BTreeMap::new(),
                consume_type: data.consume_type,
                message_model: data.message_model,
                consume_from_where: data.consume_from_where,
            });
        info.consume_type = data.consume_type;
        info.message_model = data.message_model;
        info.consume_from_where = data.consume_from_where;
        let mut out = RegisterOutcome::default();
        match info.channels.get_mut(&channel.id()) {
            Some(c) => {
                c.last_update = Instant::now();
                if c.client_id != client_id {
                    c.client_id = client_id.to_owned();
                    out.members_changed = true;
                }
            }
            None => {
                info.channels.insert(
                    channel.id(),
                    ClientChannel::new(channel, client_id, language, version),
                );
                out.members_changed = true;
            }
        }
        // Java's ConsumerGroupInfo.updateSubscription: a newer version replaces, topics
        // missing from the heartbeat are dropped.
        for sub in &data.subscription_data_set {
            let sub = sub.clone().normalized();
            match info.subscriptions.get(&sub.topic) {
                None => {
                    info.subscriptions.insert(sub.topic.clone(), sub);
                    out.subscriptions_changed = true;
                }
                Some(old) if sub.sub_version > old.sub_version => {
                    if old.sub_string != sub.sub_string {
                        out.subscriptions_changed = true;
                    }
                    info.subscriptions.insert(sub.topic.clone(), sub);
                }
                Some(_) => {}
            }
        }
        let before = info.subscriptions.len();
        info.subscriptions
            .retain(|topic, _| data.subscription_data_set.iter().any(|s| &s.topic == topic));
        if info.subscriptions.len() != before {
            out.subscriptions_changed = true;
        }
        out
    }

    /// Removes a channel from one group (or all groups); returns the groups that changed.
    pub fn unregister(&self, channel_id: u64, group: Option<&str>) -> Vec<String> {
        let mut groups = self.lock();
        let mut changed = Vec::new();
        for (name, info) in groups.iter_mut() {
            if group.is_some_and(|g| g != name) {
                continue;
            }
            if info.channels.remove(&channel_id).is_some() {
                changed.push(name.clone());
            }
        }
        groups.retain(|_, info| !info.channels.is_empty());
        changed
    }

    /// Removes clients silent for longer than `timeout`; returns the groups that changed.
    pub fn scan_expired(&self, timeout: Duration) -> Vec<String> {
        let mut groups = self.lock();
        let now = Instant::now();
        let mut changed = Vec::new();
        for (name, info) in groups.iter_mut() {
            let before = info.channels.len();
            info.channels.retain(|_, c| {
                now.duration_since(c.last_update) <= timeout && !c.channel.is_closed()
            });
            if info.channels.len() != before {
                changed.push(name.clone());
            }
        }
        groups.retain(|_, info| !info.channels.is_empty());
        changed
    }

    /// The group's info, if online.
    pub fn group(&self, group: &str) -> Option<ConsumerGroupInfo> {
        self.lock().get(group).cloned()
    }

    /// Sorted, distinct client ids of a group.
    pub fn client_ids(&self, group: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .lock()
            .get(group)
            .map(|g| g.channels.values().map(|c| c.client_id.clone()).collect())
            .unwrap_or_default();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The channels of a group.
    pub fn channels(&self, group: &str) -> Vec<Channel> {
        self.lock()
            .get(group)
            .map(|g| g.channels.values().map(|c| c.channel.clone()).collect())
            .unwrap_or_default()
    }

    /// A group's subscription of a topic.
    pub fn subscription(&self, group: &str, topic: &str) -> Option<SubscriptionData> {
        self.lock()
            .get(group)
            .and_then(|g| g.subscriptions.get(topic).cloned())
    }

    /// Connections of a group as shown by admin tools.
    pub fn connections(&self, group: &str) -> Vec<Connection> {
        self.lock()
            .get(group)
            .map(|g| g.channels.values().map(ClientChannel::connection).collect())
            .unwrap_or_default()
    }

    /// Online groups.
    pub fn group_names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Online groups subscribed to `topic`.
    pub fn groups_subscribing(&self, topic: &str) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, g)| g.subscriptions.contains_key(topic))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// Producer channels by group (for connection lists and transaction checks).
#[derive(Debug, Default)]
pub struct ProducerManager {
    groups: Mutex<HashMap<String, HashMap<u64, ClientChannel>>>,
}

impl ProducerManager {
    /// Registers or refreshes a producer channel.
    pub fn register(
        &self,
        group: &str,
        channel: &Channel,
        client_id: &str,
        language: LanguageCode,
        version: i32,
    ) {
        self.groups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(group.to_owned())
            .or_default()
            .insert(
                channel.id(),
                ClientChannel::new(channel, client_id, language, version),
            );
    }

    /// The connections of a producer group (GET_PRODUCER_CONNECTION_LIST); `None` when no
    /// producer of the group is connected.
    pub fn connections(&self, group: &str) -> Option<Vec<Connection>> {
        let groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        let chans = groups.get(group).filter(|c| !c.is_empty())?;
        Some(chans.values().map(ClientChannel::connection).collect())
    }

    /// Removes a channel from one group or all.
    pub fn unregister(&self, channel_id: u64, group: Option<&str>) {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        for (name, chans) in groups.iter_mut() {
            if group.is_none_or(|g| g == name) {
                chans.remove(&channel_id);
            }
        }
        groups.retain(|_, c| !c.is_empty());
    }

    /// Removes silent producers.
    pub fn scan_expired(&self, timeout: Duration) {
        let now = Instant::now();
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        for chans in groups.values_mut() {
            chans.retain(|_, c| {
                now.duration_since(c.last_update) <= timeout && !c.channel.is_closed()
            });
        }
        groups.retain(|_, c| !c.is_empty());
    }

    /// The open connection of a producer client (Java's `findChannel`): where replies to
    /// its requests are pushed. The most recently heard-from one when it has several.
    pub fn find_channel(&self, client_id: &str) -> Option<Channel> {
        self.groups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .flat_map(HashMap::values)
            .filter(|c| c.client_id == client_id && !c.channel.is_closed())
            .max_by_key(|c| c.last_update)
            .map(|c| c.channel.clone())
    }

    /// A live connection of a producer group, for a transaction check (Java's
    /// `getAvailableChannel`): the most recently heard-from open channel.
    pub fn available_channel(&self, group: &str) -> Option<Channel> {
        self.groups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(group)?
            .values()
            .filter(|c| !c.channel.is_closed())
            .max_by_key(|c| c.last_update)
            .map(|c| c.channel.clone())
    }

    /// The language and version of every producer connection (for the metrics).
    pub fn client_versions(&self) -> Vec<(LanguageCode, i32)> {
        self.groups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .flat_map(|m| m.values().map(|c| (c.language, c.version)))
            .collect()
    }

    /// Number of producer connections.
    pub fn connection_count(&self) -> usize {
        self.groups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(HashMap::len)
            .sum()
    }
}
