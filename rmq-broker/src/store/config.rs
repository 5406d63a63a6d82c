//! Store configuration: the `broker.conf` keys that shape the commit log, the consume queues,
//! flushing and retention, with RocketMQ's defaults.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use super::error::{DelayLevelError, StoreError};

/// How `put_message` waits for the disk (`flushDiskType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlushDiskType {
    /// Answer once the record is durable (group commit).
    SyncFlush,
    /// Answer right away; a background thread flushes every `flushIntervalCommitLog`.
    #[default]
    AsyncFlush,
}

impl FromStr for FlushDiskType {
    type Err = StoreError;

    /// Parses `SYNC_FLUSH` or `ASYNC_FLUSH` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, StoreError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "SYNC_FLUSH" => Ok(FlushDiskType::SyncFlush),
            "ASYNC_FLUSH" => Ok(FlushDiskType::AsyncFlush),
            _ => Err(StoreError::Config {
                key: "flushDiskType",
                value: s.to_owned(),
                reason: "expected `SYNC_FLUSH` or `ASYNC_FLUSH`".into(),
            }),
        }
    }
}

impl fmt::Display for FlushDiskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlushDiskType::SyncFlush => "SYNC_FLUSH",
            FlushDiskType::AsyncFlush => "ASYNC_FLUSH",
        })
    }
}

/// Configuration of a [`MessageStore`](super::MessageStore).
///
/// Field names follow RocketMQ's `MessageStoreConfig` in snake_case. Defaults:
///
/// | field | default |
/// |---|---|
/// | `mapped_file_size_commit_log` | 1 GiB |
/// | `mapped_file_size_consume_queue` | 300 000 × 20 bytes |
/// | `flush_disk_type` | `ASYNC_FLUSH` |
/// | `flush_interval_commit_log_ms` | 500 |
/// | `sync_flush_timeout_ms` | 5000 |
/// | `max_message_size` | 4 MiB |
/// | `delete_when` | `"04"` (local hours, `;`-separated) |
/// | `file_reserved_time_hours` | 72 |
/// | `disk_max_used_space_ratio` | 75 |
/// | `disk_space_warning_level_ratio` | 0.90 |
/// | `message_delay_level` | `1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h` |
/// | `store_host` | `127.0.0.1:10911` |
/// | `warm_mapped_file_enable` | true |
///
/// Less common knobs are in [`StoreOptions`].
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Root of `commitlog/`, `consumequeue/`, `index/` and the `checkpoint` file.
    pub store_path_root_dir: PathBuf,
    /// Size of each commit-log segment.
    pub mapped_file_size_commit_log: u64,
    /// Size of each consume-queue file (rounded down to a multiple of 20).
    pub mapped_file_size_consume_queue: u64,
    pub flush_disk_type: FlushDiskType,
    /// ASYNC_FLUSH: interval of the background commit-log flush.
    pub flush_interval_commit_log_ms: u64,
    /// SYNC_FLUSH: how long `put_message` waits for the disk before `FlushDiskTimeout`.
    pub sync_flush_timeout_ms: u64,
    /// Largest body the store accepts. Records larger than a segment are refused too.
    pub max_message_size: usize,
    /// Local hours at which expired commit-log segments are deleted, e.g. `"04"` or `"04;16"`.
    pub delete_when: String,
    /// Age (by modification time) after which a commit-log segment may be deleted.
    pub file_reserved_time_hours: u64,
    /// Above this disk usage (percent) expired segments are deleted at any hour.
    pub disk_max_used_space_ratio: u32,
    /// Above this disk usage (a fraction), while the free space is also short of two
    /// commit-log segments ([`StoreOptions::min_free_bytes`]), the store refuses writes with
    /// `ServiceNotAvailable` (Java's `diskSpaceWarningLevelRatio`) instead of filling the
    /// disk: a write into a sparse mapped segment on a full disk would kill the process.
    pub disk_space_warning_level_ratio: f64,
    /// Delay of each level, 1-based, units `s`, `m`, `h`, `d`.
    pub message_delay_level: String,
    /// The broker address written into every record (and into offset msgIds).
    pub store_host: SocketAddr,
    /// Prepare the next commit-log segment ahead of the writer and, under SYNC_FLUSH, zero-fill
    /// the active one ahead of it so that group commits don't also commit block allocation.
    pub warm_mapped_file_enable: bool,
}

/// Store settings beyond [`StoreConfig`], for [`MessageStore::open_with`](super::MessageStore::open_with).
///
/// | field | default |
/// |---|---|
/// | `flush_interval_consume_queue_ms` | 1000 |
/// | `clean_resource_interval_ms` | 10 000 |
/// | `max_hash_slot_num` / `max_index_num` | 5 000 000 / 20 000 000 |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Interval of the background consume-queue/index flush and checkpoint write.
    pub flush_interval_consume_queue_ms: u64,
    /// Interval of the retention check.
    pub clean_resource_interval_ms: u64,
    /// Hash slots per index file.
    pub max_hash_slot_num: u32,
    /// Entries per index file.
    pub max_index_num: u32,
    /// Writes are refused only while the disk is also this short of free bytes (`None`:
    /// two commit-log segments, what the segment being written and the next may still need).
    pub min_free_bytes: Option<u64>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            flush_interval_consume_queue_ms: 1000,
            clean_resource_interval_ms: 10_000,
            max_hash_slot_num: 5_000_000,
            max_index_num: 20_000_000,
            min_free_bytes: None,
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        StoreConfig {
            store_path_root_dir: home.join("store"),
            mapped_file_size_commit_log: 1024 * 1024 * 1024,
            mapped_file_size_consume_queue: 300_000 * 20,
            flush_disk_type: FlushDiskType::AsyncFlush,
            flush_interval_commit_log_ms: 500,
            sync_flush_timeout_ms: 5000,
            max_message_size: 4 * 1024 * 1024,
            delete_when: "04".to_owned(),
            file_reserved_time_hours: 72,
            disk_max_used_space_ratio: 75,
            disk_space_warning_level_ratio: 0.90,
            message_delay_level: "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
                .to_owned(),
            store_host: SocketAddr::from((Ipv4Addr::LOCALHOST, 10911)),
            warm_mapped_file_enable: true,
        }
    }
}

impl StoreConfig {
    /// A default configuration rooted at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StoreConfig {
            store_path_root_dir: dir.into(),
            ..Default::default()
        }
    }

    /// Consume-queue file size rounded down to whole 20-byte entries (at least one).
    pub(crate) fn consume_queue_file_size(&self) -> u64 {
        let entries = (self.mapped_file_size_consume_queue / 20).max(1);
        entries * 20
    }

    /// Checks the values that can be wrong and parses the string-typed ones.
    pub(crate) fn validate(&self, opts: &StoreOptions) -> Result<ParsedConfig, StoreError> {
        if self.mapped_file_size_commit_log < 4096 {
            return Err(StoreError::Config {
                key: "mappedFileSizeCommitLog",
                value: self.mapped_file_size_commit_log.to_string(),
                reason: "must be at least 4096 bytes".into(),
            });
        }
        if opts.max_hash_slot_num == 0 || opts.max_index_num < 2 {
            return Err(StoreError::Config {
                key: "maxHashSlotNum/maxIndexNum",
                value: format!("{}/{}", opts.max_hash_slot_num, opts.max_index_num),
                reason: "need at least 1 slot and 2 entries".into(),
            });
        }
        Ok(ParsedConfig {
            delay_levels_ms: parse_delay_levels(&self.message_delay_level)
                .map_err(|e| e.in_value(&self.message_delay_level))?,
            delete_hours: parse_delete_when(&self.delete_when)?,
        })
    }
}

/// The string-typed settings, parsed once at open.
#[derive(Debug, Clone)]
pub(crate) struct ParsedConfig {
    /// Delay of level `i + 1` in milliseconds.
    pub delay_levels_ms: Vec<i64>,
    /// Hours (0..24) at which retention runs.
    pub delete_hours: Vec<u32>,
}

impl ParsedConfig {
    /// Delivery time of a message stored at `store_ts` with delay `level` (RocketMQ's
    /// `computeDeliverTimestamp`): the level is clamped to the table; an unknown level
    /// (≤ 0 or missing) delivers after one second.
    pub fn deliver_timestamp(&self, level: Option<i32>, store_ts: i64) -> i64 {
        match level {
            Some(l) if l > 0 && !self.delay_levels_ms.is_empty() => {
                let idx = (l as usize).min(self.delay_levels_ms.len()) - 1;
                store_ts + self.delay_levels_ms[idx]
            }
            _ => store_ts + 1000,
        }
    }
}

/// Parses `messageDelayLevel`: space-separated durations, each a whole number followed by
/// its unit `s`, `m`, `h` or `d`, into milliseconds per level (level 1 first).
///
/// At least one level is required. Never panics: the unit is the token's last character,
/// whatever its width, so `5秒` is refused as an unknown unit.
pub fn parse_delay_levels(s: &str) -> Result<Vec<i64>, DelayLevelError> {
    let levels = s
        .split_whitespace()
        .map(|tok| {
            let bad = |reason| DelayLevelError::Token {
                token: tok.to_owned(),
                reason,
            };
            let mut chars = tok.chars();
            let unit = chars.next_back();
            let unit_ms = match unit {
                Some('s') => 1000,
                Some('m') => 60_000,
                Some('h') => 3_600_000,
                Some('d') => 86_400_000,
                _ => return Err(bad("the unit must be one of s, m, h, d")),
            };
            let n: i64 = chars.as_str().parse().map_err(|_| bad("not a number"))?;
            n.checked_mul(unit_ms)
                .filter(|v| *v >= 0)
                .ok_or_else(|| bad("out of range"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if levels.is_empty() {
        return Err(DelayLevelError::Empty);
    }
    Ok(levels)
}

/// Parses `deleteWhen`: hours `0..=23` separated by `;`.
pub fn parse_delete_when(s: &str) -> Result<Vec<u32>, StoreError> {
    s.split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<u32>()
                .ok()
                .filter(|h| *h < 24)
                .ok_or_else(|| StoreError::Config {
                    key: "deleteWhen",
                    value: s.to_owned(),
                    reason: format!("`{t}` is not an hour 0..23"),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flush_disk_type() {
        assert_eq!(
            "SYNC_FLUSH".parse::<FlushDiskType>().unwrap(),
            FlushDiskType::SyncFlush
        );
        assert_eq!(
            "async_flush".parse::<FlushDiskType>().unwrap(),
            FlushDiskType::AsyncFlush
        );
        let err = "FAST".parse::<FlushDiskType>().unwrap_err().to_string();
        assert!(err.contains("SYNC_FLUSH"), "{err}");
    }

    #[test]
    fn parses_default_delay_levels() {
        let levels = parse_delay_levels(&StoreConfig::default().message_delay_level).unwrap();
        assert_eq!(levels.len(), 18);
        assert_eq!(levels[0], 1000);
        assert_eq!(levels[4], 60_000);
        assert_eq!(levels[17], 7_200_000);
        assert_eq!(parse_delay_levels("2d").unwrap(), vec![172_800_000]);
        assert!(parse_delay_levels("1s 5x").is_err());
        assert!(parse_delay_levels("s").is_err());
    }

    #[test]
    fn delay_levels_refuse_empty_and_non_ascii_units_without_panicking() {
        assert_eq!(parse_delay_levels(""), Err(DelayLevelError::Empty));
        assert_eq!(parse_delay_levels("  "), Err(DelayLevelError::Empty));
        for bad in ["1s 5秒", "5秒", "秒", "1é", "é1s", "1ßs"] {
            let err = parse_delay_levels(bad).unwrap_err().to_string();
            assert!(!err.is_empty(), "{bad}");
        }
        let err = parse_delay_levels("1s 5秒").unwrap_err().to_string();
        assert!(err.contains("5秒") && err.contains("unit"), "{err}");
        assert!(parse_delay_levels("-1s").is_err());
        assert!(parse_delay_levels("99999999999999999d").is_err());
    }

    #[test]
    fn deliver_timestamp_clamps_level() {
        let p = StoreConfig::default()
            .validate(&StoreOptions::default())
            .unwrap();
        assert_eq!(p.deliver_timestamp(Some(1), 10), 1010);
        assert_eq!(p.deliver_timestamp(Some(99), 0), 7_200_000);
        assert_eq!(p.deliver_timestamp(None, 5), 1005);
        assert_eq!(p.deliver_timestamp(Some(0), 5), 1005);
    }

    #[test]
    fn parses_delete_when() {
        assert_eq!(parse_delete_when("04").unwrap(), vec![4]);
        assert_eq!(parse_delete_when("04;16").unwrap(), vec![4, 16]);
        assert!(parse_delete_when("25").is_err());
    }
}
