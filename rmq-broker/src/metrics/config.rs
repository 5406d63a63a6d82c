//! The metrics keys of `broker.conf`: rmq's `metricsPort`/`metricsHost` and Apache's own
//! (`metricsExporterType=PROM` with `metricsPromExporterPort`/`metricsPromExporterHost`, the
//! `enable…Metrics` switches, `metricsLabel`).

use std::net::IpAddr;

/// Java's `metricsPromExporterPort` default.
pub const DEFAULT_PROM_PORT: u16 = 5557;

/// `metricsExporterType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExporterType {
    /// `DISABLE` (default).
    #[default]
    Disable,
    /// `OTLP_GRPC`: accepted, not honoured (nothing is pushed).
    OtlpGrpc,
    /// `PROM`: serve `/metrics` on `metricsPromExporterPort`.
    Prom,
    /// `LOG`: accepted, not honoured.
    Log,
}

/// Metrics settings.
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    /// `metricsPort` (rmq): serve `GET /metrics` on this port (unset: off, unless
    /// `metricsExporterType=PROM`). 0 = an ephemeral port.
    pub port: Option<u16>,
    /// `metricsHost` / `metricsPromExporterHost`: the address to bind (unset: `brokerIP1`,
    /// as Java).
    pub host: Option<IpAddr>,
    /// `metricsExporterType` (DISABLE).
    pub exporter_type: ExporterType,
    /// `metricsPromExporterPort` (5557): the port when `metricsExporterType=PROM` and
    /// `metricsPort` is unset.
    pub prom_exporter_port: u16,
    /// `metricsLabel`: `k1:v1,k2:v2` labels added to every sample.
    pub labels: Vec<(String, String)>,
    /// `enableRequestMetrics` (true): count messages and bytes in and out.
    pub enable_request_metrics: bool,
    /// `enableRemotingMetrics` (true): the RPC latency histograms.
    pub enable_remoting_metrics: bool,
    /// `enableMessageStoreMetrics` (true): the storage gauges.
    pub enable_message_store_metrics: bool,
    /// `enableConnectionMetrics` (true): producer and consumer connection gauges.
    pub enable_connection_metrics: bool,
    /// `enableStatsMetrics` (true): permission, topic and group numbers.
    pub enable_stats_metrics: bool,
    /// `enableLagAndDlqMetrics` (true): consumer lag gauges.
    pub enable_lag_and_dlq_metrics: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            port: None,
            host: None,
            exporter_type: ExporterType::Disable,
            prom_exporter_port: DEFAULT_PROM_PORT,
            labels: Vec::new(),
            enable_request_metrics: true,
            enable_remoting_metrics: true,
            enable_message_store_metrics: true,
            enable_connection_metrics: true,
            enable_stats_metrics: true,
            enable_lag_and_dlq_metrics: true,
        }
    }
}

/// Keys accepted with no effect (Java's push exporters and tuning).
const ACCEPTED: &[&str] = &[
    "metricsOtelCardinalityLimit",
    "metricsGrpcExporterTarget",
    "metricsGrpcExporterHeader",
    "metricGrpcExporterTimeOutInMills",
    "metricGrpcExporterIntervalInMills",
    "metricLoggingExporterIntervalInMills",
    "metricsInDelta",
    "enablePopMetrics",
    "enableTransactionMetrics",
];

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("true or false".into()),
    }
}

impl MetricsConfig {
    /// Whether `key` is one of the metrics keys.
    pub fn is_key(key: &str) -> bool {
        key.starts_with("metric") || (key.starts_with("enable") && key.ends_with("Metrics"))
    }

    /// The port to serve `/metrics` on, if any.
    pub fn serve_port(&self) -> Option<u16> {
        self.port.or(match self.exporter_type {
            ExporterType::Prom => Some(self.prom_exporter_port),
            _ => None,
        })
    }

    /// Sets one key. `Ok(false)` for an unknown key, `Err(expected)` for an invalid value.
    pub fn apply(&mut self, key: &str, v: &str) -> Result<bool, String> {
        let port = |v: &str| v.parse::<u16>().map_err(|_| "a port 0..65535".to_owned());
        let host = |v: &str| -> Result<Option<IpAddr>, String> {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                v.trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| "an IP address".to_owned())
            }
        };
        match key {
            "metricsPort" => self.port = Some(port(v)?),
            "metricsHost" | "metricsPromExporterHost" => self.host = host(v)?,
            "metricsPromExporterPort" => self.prom_exporter_port = port(v)?,
            "metricsExporterType" => {
                self.exporter_type = match v.trim().to_ascii_uppercase().as_str() {
                    "DISABLE" => ExporterType::Disable,
                    "OTLP_GRPC" => ExporterType::OtlpGrpc,
                    "PROM" => ExporterType::Prom,
                    "LOG" => ExporterType::Log,
                    _ => return Err("DISABLE, OTLP_GRPC, PROM or LOG".into()),
                };
                if matches!(
                    self.exporter_type,
                    ExporterType::OtlpGrpc | ExporterType::Log
                ) {
                    tracing::warn!(value = %v, "metricsExporterType not honoured: only PROM (a /metrics endpoint) is served");
                }
            }
            "metricsLabel" => {
                let mut labels = Vec::new();
                for pair in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let (k, val) = pair
                        .split_once(':')
                        .ok_or_else(|| "labels like `k1:v1,k2:v2`".to_owned())?;
                    let k = k.trim();
                    let valid = !k.is_empty()
                        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && !k.starts_with(|c: char| c.is_ascii_digit());
                    if !valid {
                        return Err(format!(
                            "labels like `k1:v1,k2:v2` (`{k}` is not a label name)"
                        ));
                    }
                    labels.push((k.to_owned(), val.trim().to_owned()));
                }
                self.labels = labels;
            }
            "enableRequestMetrics" => self.enable_request_metrics = parse_bool(v)?,
            "enableRemotingMetrics" => self.enable_remoting_metrics = parse_bool(v)?,
            "enableMessageStoreMetrics" => self.enable_message_store_metrics = parse_bool(v)?,
            "enableConnectionMetrics" => self.enable_connection_metrics = parse_bool(v)?,
            "enableStatsMetrics" => self.enable_stats_metrics = parse_bool(v)?,
            "enableLagAndDlqMetrics" => self.enable_lag_and_dlq_metrics = parse_bool(v)?,
            k if ACCEPTED.contains(&k) => {}
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_unless_a_port_or_prom() {
        let mut c = MetricsConfig::default();
        assert_eq!(c.serve_port(), None);
        c.apply("metricsExporterType", "PROM").unwrap();
        assert_eq!(c.serve_port(), Some(5557));
        c.apply("metricsPromExporterPort", "6000").unwrap();
        assert_eq!(c.serve_port(), Some(6000));
        c.apply("metricsPort", "7000").unwrap();
        assert_eq!(c.serve_port(), Some(7000));
        assert!(c.apply("metricsHost", "nope").is_err());
        c.apply("metricsPromExporterHost", "127.0.0.1").unwrap();
        assert_eq!(c.host, Some("127.0.0.1".parse().unwrap()));
        c.apply("metricsLabel", "a:1, b:two").unwrap();
        assert_eq!(c.labels.len(), 2);
        assert!(c.apply("metricsLabel", "1x:1").is_err());
        assert_eq!(c.apply("metricsWhatever", "1"), Ok(false));
        assert!(c.apply("enableRequestMetrics", "maybe").is_err());
    }
}
