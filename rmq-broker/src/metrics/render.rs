//! The exposition text: counters and histograms from the tables, and the gauges of
//! [`super::gauges`] computed now.

use std::fmt::Write;

use super::gauges;
use super::histogram::HistogramSnapshot;
use super::names::{self as n, is_system_group, is_system_topic};
use crate::broker::BrokerInner;

/// A Prometheus text (format 0.0.4) writer: `# HELP`, `# TYPE`, then the samples of a family.
pub(super) struct Text {
    buf: String,
    /// `otel_scope_name`, `cluster`, `node_id`, `node_type` and `metricsLabel`, rendered.
    base: String,
}

pub(super) type Labels<'a> = &'a [(&'a str, &'a str)];

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

pub(super) fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

impl Text {
    pub(super) fn family(&mut self, name: &str, kind: &str, help: &str) {
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

    pub(super) fn sample(&mut self, name: &str, labels: Labels, value: impl std::fmt::Display) {
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
        t.sample(n::BROKER_PERMISSION, &[], b.live.broker_permission());
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
        gauges::connections(&mut t, b);
    }
    if mc.enable_lag_and_dlq_metrics {
        gauges::lag(&mut t, b);
    }
    if mc.enable_message_store_metrics {
        gauges::storage(&mut t, b);
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
