//! The gauges computed at scrape time: client connections, consumer lag, storage and timer.

use rmq_core::clock::now_ms;
use rmq_core::protocol::body::ConsumeType;

use super::names::{self as n, is_retry_or_dlq, is_system_group, is_system_topic};
use super::render::{bool_str, Labels, Text};
use crate::broker::BrokerInner;

pub(super) fn connections(t: &mut Text, b: &BrokerInner) {
    use std::collections::BTreeMap;
    let mut producers: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (lang, version) in b.producers.client_versions() {
        *producers
            .entry((lang.name().to_ascii_lowercase(), n::version_desc(version)))
            .or_default() += 1;
    }
    t.family(n::PRODUCER_CONNECTIONS, "gauge", "Producer connections");
    for ((lang, version), count) in &producers {
        t.sample(
            n::PRODUCER_CONNECTIONS,
            &[
                ("language", lang),
                ("version", version),
                ("protocol_type", n::PROTOCOL_REMOTING),
            ],
            count,
        );
    }
    let mut consumers: BTreeMap<(String, String, String, &str), usize> = BTreeMap::new();
    let mut names = b.consumers.group_names();
    names.sort();
    for group in names {
        let Some(info) = b.consumers.group(&group) else {
            continue;
        };
        let mode = match info.consume_type {
            ConsumeType::ConsumeActively => "pull",
            ConsumeType::ConsumePassively => "push",
            ConsumeType::ConsumePop => "pop",
        };
        for c in info.channels.values() {
            *consumers
                .entry((
                    group.clone(),
                    c.language.name().to_ascii_lowercase(),
                    n::version_desc(c.version),
                    mode,
                ))
                .or_default() += 1;
        }
    }
    t.family(n::CONSUMER_CONNECTIONS, "gauge", "Consumer connections");
    for ((group, lang, version, mode), count) in &consumers {
        t.sample(
            n::CONSUMER_CONNECTIONS,
            &[
                ("consumer_group", group),
                ("language", lang),
                ("version", version),
                ("consume_mode", mode),
                ("protocol_type", n::PROTOCOL_REMOTING),
                ("is_system", bool_str(is_system_group(group))),
            ],
            count,
        );
    }
}

/// Lag per group and topic from the committed offsets, in flight from the pull offsets
/// (Java's `ConsumerLagCalculator`): lag = queue end − committed, in flight = pulled −
/// committed, ready = queue end − pulled; latencies are the ages of the oldest unconsumed and
/// oldest unpulled messages.
pub(super) fn lag(t: &mut Text, b: &BrokerInner) {
    #[derive(Default)]
    struct Lag {
        group: String,
        topic: String,
        lag: i64,
        inflight: i64,
        ready: i64,
        lag_latency_ms: i64,
        queueing_latency_ms: i64,
    }
    let (cluster, broker) = (&b.config.broker_cluster_name, &b.config.broker_name);
    let now = now_ms();
    let age = |oldest: Option<i64>| oldest.map_or(0, |ts| (now - ts).max(0));
    let older = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut rows: Vec<Lag> = b
        .offsets
        .entries()
        .into_iter()
        .map(|(topic, group, queues)| {
            let pulled = b.metrics.traffic.pull_offsets(&group, &topic);
            let mut r = Lag::default();
            let (mut oldest_unconsumed, mut oldest_unpulled) = (None, None);
            for (qid, committed) in queues {
                let max = b.store.max_offset_in_queue(&topic, qid);
                let committed = committed.max(0);
                let pulled = pulled
                    .get(&qid)
                    .copied()
                    .unwrap_or(committed)
                    .clamp(committed, max.max(committed));
                if max > committed {
                    r.lag += max - committed;
                    oldest_unconsumed = older(
                        oldest_unconsumed,
                        b.store.store_time_of(&topic, qid, committed),
                    );
                }
                r.inflight += pulled - committed;
                if max > pulled {
                    r.ready += max - pulled;
                    oldest_unpulled =
                        older(oldest_unpulled, b.store.store_time_of(&topic, qid, pulled));
                }
            }
            r.lag_latency_ms = age(oldest_unconsumed);
            r.queueing_latency_ms = age(oldest_unpulled);
            r.group = group;
            r.topic = topic;
            r
        })
        .collect();
    rows.sort_by(|a, b| (&a.group, &a.topic).cmp(&(&b.group, &b.topic)));
    let labels: Vec<[(&str, &str); 4]> = rows
        .iter()
        .map(|r| {
            let system = is_system_topic(&r.topic, cluster, broker) || is_system_group(&r.group);
            [
                ("consumer_group", r.group.as_str()),
                ("topic", r.topic.as_str()),
                ("is_retry", bool_str(is_retry_or_dlq(&r.topic))),
                ("is_system", bool_str(system)),
            ]
        })
        .collect();
    type Family = (&'static str, &'static str, fn(&Lag) -> i64);
    let families: [Family; 5] = [
        (n::CONSUMER_LAG_MESSAGES, "Consumer lag messages", |r| r.lag),
        (n::CONSUMER_LAG_LATENCY, "Consumer lag time", |r| {
            r.lag_latency_ms
        }),
        (
            n::CONSUMER_INFLIGHT_MESSAGES,
            "Consumer inflight messages",
            |r| r.inflight,
        ),
        (
            n::CONSUMER_QUEUEING_LATENCY,
            "Consumer queueing time",
            |r| r.queueing_latency_ms,
        ),
        (n::CONSUMER_READY_MESSAGES, "Consumer ready messages", |r| {
            r.ready
        }),
    ];
    for (name, help, value) in families {
        t.family(name, "gauge", help);
        for (r, l) in rows.iter().zip(&labels) {
            t.sample(name, l, value(r));
        }
    }
}

pub(super) fn storage(t: &mut Text, b: &BrokerInner) {
    let l: Labels = &[("storage_type", "local"), ("storage_medium", "disk")];
    if let Some(used) = b.store.disk_used_bytes() {
        t.family(n::STORAGE_SIZE, "gauge", "Broker storage size");
        t.sample(n::STORAGE_SIZE, l, used);
    }
    t.family(
        n::STORAGE_FLUSH_BEHIND,
        "gauge",
        "Broker flush behind bytes",
    );
    t.sample(n::STORAGE_FLUSH_BEHIND, l, b.store.flush_behind_bytes());
    t.family(
        n::STORAGE_DISPATCH_BEHIND,
        "gauge",
        "Broker dispatch behind bytes",
    );
    t.sample(
        n::STORAGE_DISPATCH_BEHIND,
        l,
        b.store.dispatch_behind_bytes(),
    );
    if b.config.timer.wheel_enable {
        // Timer messages stored in rmq_sys_wheel_timer but not yet in the timer log.
        let topic = crate::timer::TIMER_TOPIC;
        let enqueued = b.timer.stats().queue_offset;
        let behind = (b.store.max_offset_in_queue(topic, 0) - enqueued).max(0);
        let latency = if behind > 0 {
            b.store
                .store_time_of(topic, 0, enqueued)
                .map_or(0, |ts| (now_ms() - ts).max(0))
        } else {
            0
        };
        t.family(n::TIMER_ENQUEUE_LAG, "gauge", "Timer enqueue messages lag");
        t.sample(n::TIMER_ENQUEUE_LAG, l, behind);
        t.family(n::TIMER_ENQUEUE_LATENCY, "gauge", "Timer enqueue latency");
        t.sample(n::TIMER_ENQUEUE_LATENCY, l, latency);
    }
    if let Some(ts) = b.store.earliest_message_time_in_log() {
        t.family(
            n::STORAGE_MESSAGE_RESERVE_TIME,
            "gauge",
            "Broker message reserve time",
        );
        t.sample(n::STORAGE_MESSAGE_RESERVE_TIME, l, (now_ms() - ts).max(0));
    }
}
