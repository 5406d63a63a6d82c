//! The read path: pulls by queue offset, time lookups, and key queries.

use bytes::Bytes;
use rmq_core::protocol::message::{decode_record, find_property, keys};

use super::consume_queue::ConsumeQueue;
use super::types::{GetMessageResult, GetMessageStatus};
use super::{MessageStore, StoreInner};

/// Entries scanned per pull at least (RocketMQ: 16000 bytes of consume queue).
const MIN_SCAN_ENTRIES: usize = 800;

fn status_only(status: GetMessageStatus, next: i64, min: i64, max: i64) -> GetMessageResult {
    GetMessageResult {
        status,
        next_begin_offset: next,
        min_offset: min,
        max_offset: max,
        messages: Vec::new(),
        queue_offsets: Vec::new(),
    }
}

impl MessageStore {
    /// Reads up to `max_msg_nums` records (and about `max_total_bytes`, but at least one) of
    /// `topic`/`queue_id` from queue offset `offset`, skipping entries whose tags code `filter`
    /// rejects. See remoting-protocol.md §5.9 for the statuses and `next_begin_offset`.
    pub fn get_message(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        max_total_bytes: usize,
        filter: &dyn Fn(i64) -> bool,
    ) -> GetMessageResult {
        let inner: &StoreInner = &self.inner;
        use GetMessageStatus::*;
        let Some(cq) = inner.cqs.get(topic, queue_id) else {
            return status_only(NoMatchedLogicQueue, 0, 0, 0);
        };
        let (min, max) = (cq.min_offset(), cq.max_offset());
        if max == 0 {
            return status_only(NoMessageInQueue, 0, min, max);
        }
        if offset < min {
            return status_only(OffsetTooSmall, min, min, max);
        }
        if offset == max {
            return status_only(OffsetOverflowOne, offset, min, max);
        }
        if offset > max {
            return status_only(
                OffsetOverflowBadly,
                if min == 0 { min } else { max },
                min,
                max,
            );
        }
        let max_nums = max_msg_nums.max(1) as usize;
        let scan_limit = MIN_SCAN_ENTRIES.max(max_nums) as i64;
        let clog = &inner.commit_log;
        let mut res = status_only(NoMatchedMessage, offset, min, max);
        let mut total = 0usize;
        let mut i = offset;
        while i < max && i - offset < scan_limit && res.messages.len() < max_nums {
            let Some(e) = cq.entry(i) else { break };
            if e.is_record() {
                if (e.phy as u64) < clog.min_offset() {
                    res.status = MessageWasRemoving;
                } else if filter(e.tags_code) {
                    if !res.messages.is_empty() && total + e.size as usize > max_total_bytes {
                        break;
                    }
                    match clog
                        .read(e.phy as u64, e.size as usize)
                        .filter(|b| b.get(..4) == Some(&e.size.to_be_bytes()[..]))
                    {
                        Some(b) => {
                            total += b.len();
                            res.messages.push(b);
                            res.queue_offsets.push(i);
                        }
                        None if (e.phy as u64) < clog.min_offset() => {
                            res.status = MessageWasRemoving
                        }
                        None => res.status = OffsetFoundNull,
                    }
                }
            }
            i += 1;
        }
        res.next_begin_offset = i;
        if !res.messages.is_empty() {
            res.status = Found;
        }
        res
    }
}

/// Store timestamp of the record at queue offset `n`.
pub fn store_time(inner: &StoreInner, cq: &ConsumeQueue, n: i64) -> Option<i64> {
    let e = cq.entry(n).filter(|e| e.is_record())?;
    let b = inner.commit_log.read(e.phy as u64, e.size as usize)?;
    decode_record(&b, false).ok().map(|v| v.store_timestamp)
}

/// First queue offset whose record was stored at or after `ts` (max offset if none).
pub fn offset_by_time(inner: &StoreInner, cq: &ConsumeQueue, ts: i64) -> i64 {
    let (mut lo, mut hi) = (cq.min_offset(), cq.max_offset());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if store_time(inner, cq, mid).is_none_or(|t| t < ts) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Store time of the first readable record of the queue.
pub fn earliest_time(inner: &StoreInner, cq: &ConsumeQueue) -> Option<i64> {
    let (min, max) = (cq.min_offset(), cq.max_offset());
    (min..max)
        .take(MIN_SCAN_ENTRIES)
        .find_map(|n| store_time(inner, cq, n))
}

impl MessageStore {
    /// Records of `topic` whose `KEYS` contain `key` or whose `UNIQ_KEY` is `key`, stored within
    /// `[begin_ms, end_ms]`, newest first, at most `max_num`.
    pub fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: usize,
        begin_ms: i64,
        end_ms: i64,
    ) -> Vec<Bytes> {
        let inner: &StoreInner = &self.inner;
        let candidates = inner.index.query(
            topic,
            key,
            max_num.saturating_mul(2).saturating_add(16),
            begin_ms,
            end_ms,
        );
        let mut out = Vec::new();
        for phy in candidates {
            if out.len() >= max_num {
                break;
            }
            let Some(b) = u64::try_from(phy)
                .ok()
                .and_then(|p| inner.commit_log.read_record(p))
            else {
                continue;
            };
            let Ok(v) = decode_record(&b, false) else {
                continue;
            };
            let key_matches = find_property(v.properties, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
                == Some(key)
                || find_property(v.properties, keys::KEYS)
                    .is_some_and(|ks| ks.split_whitespace().any(|k| k == key));
            if v.topic == topic
                && key_matches
                && v.store_timestamp >= begin_ms
                && v.store_timestamp <= end_ms
            {
                out.push(b);
            }
        }
        out
    }
}
