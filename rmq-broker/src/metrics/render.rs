//! The exposition text: counters and histograms from the tables, gauges computed now.

use std::fmt::Write;

use rmq_core::clock::now_ms;
use rmq_core::protocol::body::ConsumeType;

use super::histogram::HistogramSnapshot;
use super::names::{self as n, is_retry_or_dlq, is_system_group, is_system_topic};
use crate::broker::BrokerInner;

/// A Prometheus text (format 0.0.4) writer: `# HELP`, `# TYPE`, then the samples of a family.
struct Text {
    buf: String,
    /// `otel_scope_name`, `cluster`, `node_id`, `node_type` and `metricsLabel`, rendered.
    base: String,
}

type Labels<'a> = &'a [(&'a str, &'a str)];

fn escape(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = write!(self.buf, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
    }

    fn labels(&mut self, labels: Labels, le: Option<&str>) {
        self.buf.push('{');
        self.buf.push_str(&self.base);
        for (k, v) in labels {
            self.buf.push(',');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            escape(v, &mut self.buf);
            self.buf.push('"');
        }
        if let Some(le) = le {
            let _ = write!(self.buf, ",le=\"{le}\"");
        }
        self.buf.push('}');
    }

    fn sample(&mut self, name: &str, labels: Labels, value: impl std::fmt::Display) {
        self.buf.push_str(name);
        self.labels(labels, None);
        let _ = writeln!(self.buf, " {value}");
    }

    fn histogram(&mut self, name: &str, labels: Labels, h: &HistogramSnapshot) {
        for (bound, count) in &h.cumulative {
            let _ = write!(self.buf, "{name}_bucket");
            self.labels(labels, Some(&format!("{bound}.0")));
            let _ = writeln!(self.buf, " {count}");
        }
        let _ = write!(self.buf, "{name}_bucket");
        self.labels(labels, Some("+Inf"));
        let _ = writeln!(self.buf, " {}", h.count);
        self.sample(&format!("{name}_sum"), labels, h.sum);
        self.sample(&format!("{name}_count"), labels, h.count);
    }
}

/// The metrics of a broker in the Prometheus text exposition format (what `GET /metrics`
/// answers). Public so that other HTTP servers (the dashboard's) can serve it too.
pub fn render(b: &BrokerInner) -> String {
    let cfg = &b.config;
    let mut base = String::new();
    {
        let mut t = Text {
            buf: String::new(),
            base: String::new(),
        };
        let mut pairs: Vec<(&str, &str)> = vec![
            ("cluster", &cfg.broker_cluster_name),
            ("node_id", &cfg.broker_name),
            ("node_type", "broker"),
        ];
        for (k, v) in &cfg.metrics.labels {
            pairs.push((k, v));
        }
        t.buf.push_str("otel_scope_name=\"");
        t.buf.push_str(n::SCOPE_NAME);
        t.buf.push('"');
        for (k, v) in pairs {
            let _ = write!(t.buf, ",{k}=\"");
            escape(v, &mut t.buf);
            t.buf.push('"');
        }
        std::mem::swap(&mut base, &mut t.buf);
    }
    let mut t = Text {
        buf: String::with_capacity(16 * 1024),
        base,
    };
    let m = &b.metrics;
    let (cluster, broker) = (cfg.broker_cluster_name.as_str(), cfg.broker_name.as_str());
    let mc = &cfg.metrics;

    // Messages in.
    let ins = m.traffic.in_samples();
    let in_labels: Vec<[(&str, &str); 3]> = ins
        .iter()
        .map(|s| {
            [
                ("topic", s.topic.as_str()),
                ("message_type", s.message_type.label()),
                (
                    "is_system",
                    bool_str(is_system_topic(&s.topic, cluster, broker)),
                ),
            ]
        })
        .collect();
    t.family(
        n::MESSAGES_IN_TOTAL,
        "counter",
        "Total number of incoming messages",
    );
    for (s, l) in ins.iter().zip(&in_labels) {
        t.sample(n::MESSAGES_IN_TOTAL, l, s.messages);
    }
    t.family(
        n::THROUGHPUT_IN_TOTAL,
        "counter",
        "Total traffic of incoming messages",
    );
    for (s, l) in ins.iter().zip(&in_labels) {
        t.sample(n::THROUGHPUT_IN_TOTAL, l, s.bytes);
    }
    t.family(n::MESSAGE_SIZE, "histogram", "Incoming messages size");
    for (s, l) in ins.iter().zip(&in_labels) {
        t.histogram(n::MESSAGE_SIZE, l, &s.size);
    }

    // Messages out.
    let outs = m.traffic.out_samples();
    let out_labels: Vec<[(&str, &str); 3]> = outs
        .iter()
        .map(|s| {
            let system = is_system_topic(&s.topic, cluster, broker) || is_system_group(&s.group);
            [
                ("consumer_group", s.group.as_str()),
                ("topic", s.topic.as_str()),
                ("is_system", bool_str(system)),
            ]
        })
        .collect();
    t.family(
        n::MESSAGES_OUT_TOTAL,
        "counter",
        "Total number of outgoing messages",
    );
    for (s, l) in outs.iter().zip(&out_labels) {
        t.sample(n::MESSAGES_OUT_TOTAL, l, s.messages);
    }
    t.family(
        n::THROUGHPUT_OUT_TOTAL,
        "counter",
        "Total traffic of outgoing messages",
    );
    for (s, l) in outs.iter().zip(&out_labels) {
        t.sample(n::THROUGHPUT_OUT_TOTAL, l, s.bytes);
    }

    // RPC latency.
    t.family(n::RPC_LATENCY, "histogram", "Rpc latency");
    for (k, h) in m.rpc.samples() {
        let (req, resp) = (
            n::request_code_desc(k.request_code),
            n::response_code_desc(k.response_code),
        );
        t.histogram(
            n::RPC_LATENCY,
            &[
                ("protocol_type", n::PROTOCOL_REMOTING),
                ("request_code", &req),
                ("response_code", &resp),
                ("is_long_polling", bool_str(k.long_polling)),
                ("result", k.result.label()),
            ],
            &h,
        );
    }

    admin_ops(&mut t, b);
    if mc.enable_stats_metrics {
        t.family(n::BROKER_PERMISSION, "gauge", "Broker permission");
        t.sample(n::BROKER_PERMISSION, &[], cfg.broker_permission);
        t.family(n::TOPIC_NUMBER, "gauge", "Active topic number");
        t.sample(n::TOPIC_NUMBER, &[], b.topics.names().len());
        t.family(
            n::CONSUMER_GROUP_NUMBER,
            "gauge",
            "Active subscription group number",
        );
        t.sample(n::CONSUMER_GROUP_NUMBER, &[], b.groups.all().len());
    }
    if mc.enable_connection_metrics {
        connections(&mut t, b);
    }
    if mc.enable_lag_and_dlq_metrics {
        lag(&mut t, b);
    }
    if mc.enable_message_store_metrics {
        storage(&mut t, b);
    }

    // rmq's own.
    t.family(
        n::RMQ_STORE_PUT_LATENCY,
        "histogram",
        "Latency of each commit-log put (append and sync-flush wait), in microseconds",
    );
    t.histogram(
        n::RMQ_STORE_PUT_LATENCY,
        &[],
        &b.store.put_latency().snapshot(),
    );
    t.family(
        n::RMQ_STORE_FLUSH_LATENCY,
        "histogram",
        "Duration of each commit-log flush, in microseconds",
    );
    t.histogram(
        n::RMQ_STORE_FLUSH_LATENCY,
        &[],
        &b.store.flush_latency().snapshot(),
    );
    t.family(
        n::RMQ_HELD_PULLS,
        "gauge",
        "Pull requests held by long polling",
    );
    t.sample(n::RMQ_HELD_PULLS, &[], b.holds.len());
    if let Some(c) = m.open_connections() {
        t.family(n::RMQ_CONNECTIONS, "gauge", "Open remoting connections");
        t.sample(n::RMQ_CONNECTIONS, &[], c);
    }
    t.buf
}

fn admin_ops(t: &mut Text, b: &BrokerInner) {
    let m = &b.metrics;
    let status = |ok: bool| if ok { "success" } else { "failure" };
    t.family(
        n::TOPIC_CREATE_EXECUTION_TIME,
        "histogram",
        "The distribution of create topic time",
    );
    for (ok, system, h) in m.create_times.topic_samples() {
        let l = [
            ("invocation_status", status(ok)),
            ("is_system", bool_str(system)),
        ];
        t.histogram(n::TOPIC_CREATE_EXECUTION_TIME, &l, &h);
    }
    t.family(
        n::CONSUMER_GROUP_CREATE_EXECUTION_TIME,
        "histogram",
        "The distribution of create subscription time",
    );
    for (ok, h) in m.create_times.group_samples() {
        t.histogram(
            n::CONSUMER_GROUP_CREATE_EXECUTION_TIME,
            &[("invocation_status", status(ok))],
            &h,
        );
    }
    let (cluster, broker) = (&b.config.broker_cluster_name, &b.config.broker_name);
    t.family(
        n::SEND_TO_DLQ_MESSAGES_TOTAL,
        "counter",
        "Consumer send to DLQ messages",
    );
    for (group, topic, count) in m.dlq.samples() {
        let system = is_system_topic(&topic, cluster, broker) || is_system_group(&group);
        t.sample(
            n::SEND_TO_DLQ_MESSAGES_TOTAL,
            &[
                ("consumer_group", &group),
                ("topic", &topic),
                ("is_system", bool_str(system)),
            ],
            count,
        );
    }
}

fn connections(t: &mut Text, b: &BrokerInner) {
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
fn lag(t: &mut Text, b: &BrokerInner) {
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

fn storage(t: &mut Text, b: &BrokerInner) {
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
