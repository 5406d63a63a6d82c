//! The append path: validate, encode under the append lock, dispatch, then (after the lock)
//! tell the arriving listener and wait for the disk under SYNC_FLUSH.

use std::time::Duration;

use rmq_core::protocol::message::{
    body_crc, encode_record, find_property, keys, offset_msg_id, record_size, RecordFields,
};
use std::net::SocketAddr;

use super::commit_log::END_FILE_MIN_BLANK_LENGTH;
use super::config::FlushDiskType;
use super::dispatch::{self, DispatchRecord};
use super::error::StoreError;
use super::types::{AppendedMessage, MessageInner, PutMessageResult, PutMessageStatus};
use super::StoreInner;
use rmq_core::clock::now_ms;

/// Largest topic or properties string a record can carry (i16 length).
const MAX_SHORT_LEN: usize = i16::MAX as usize;

/// True for topics that are safe as a directory name and fit a record.
pub fn valid_topic(topic: &str) -> bool {
    !topic.is_empty()
        && topic.len() <= MAX_SHORT_LEN
        && topic != "."
        && topic != ".."
        && !topic.contains(['/', '\\', '\0'])
}

struct Arrival {
    queue_offset: i64,
    tags_code: i64,
}

fn check(inner: &StoreInner, msgs: &[MessageInner]) -> Result<Vec<(u32, usize)>, PutMessageResult> {
    use PutMessageStatus::*;
    let Some(first) = msgs.first() else {
        return Err(PutMessageResult::failed(MessageIllegal, "empty batch"));
    };
    if inner.is_shut_down() {
        return Err(PutMessageResult::failed(
            ServiceNotAvailable,
            "message store is shut down",
        ));
    }
    if let Some(remark) = inner.disk_full_remark() {
        return Err(PutMessageResult::failed(ServiceNotAvailable, remark));
    }
    if !valid_topic(&first.topic) || first.queue_id < 0 {
        return Err(PutMessageResult::failed(
            MessageIllegal,
            format!(
                "illegal topic {:?} or queue id {}",
                first.topic, first.queue_id
            ),
        ));
    }
    let seg = inner.commit_log.segment_size();
    let mut out = Vec::with_capacity(msgs.len());
    for m in msgs {
        if m.topic != first.topic || m.queue_id != first.queue_id {
            return Err(PutMessageResult::failed(
                MessageIllegal,
                "a batch must have one topic and queue",
            ));
        }
        if m.properties.len() > MAX_SHORT_LEN {
            return Err(PutMessageResult::failed(
                PropertiesSizeExceeded,
                format!(
                    "properties of {} bytes exceed {MAX_SHORT_LEN}",
                    m.properties.len()
                ),
            ));
        }
        if m.body.len() > inner.config.max_message_size {
            return Err(PutMessageResult::failed(
                MessageIllegal,
                format!(
                    "body of {} bytes exceeds maxMessageSize {}",
                    m.body.len(),
                    inner.config.max_message_size
                ),
            ));
        }
        let size = record_size(&fields(inner, m, 0, 0, 0, None));
        if size as u64 + END_FILE_MIN_BLANK_LENGTH > seg {
            return Err(PutMessageResult::failed(
                MessageIllegal,
                format!("record of {size} bytes does not fit a commit-log segment of {seg} bytes"),
            ));
        }
        out.push((body_crc(&m.body), size));
    }
    Ok(out)
}

fn fields<'a>(
    inner: &StoreInner,
    m: &'a MessageInner,
    queue_offset: i64,
    phy: i64,
    store_ts: i64,
    crc: Option<u32>,
) -> RecordFields<'a> {
    RecordFields {
        topic: &m.topic,
        queue_id: m.queue_id,
        flag: m.flag,
        queue_offset,
        physical_offset: phy,
        sys_flag: m.sys_flag,
        born_timestamp: m.born_timestamp,
        born_host: m.born_host,
        store_timestamp: store_ts,
        store_host: inner.config.store_host,
        reconsume_times: m.reconsume_times,
        prepared_transaction_offset: m.prepared_transaction_offset,
        body: &m.body,
        properties: &m.properties,
        body_crc: crc,
    }
}

/// Appends and dispatches `msgs` under one lock. Returns what was stored and the end offset,
/// plus the error that stopped the batch early, if any.
fn append(
    inner: &StoreInner,
    msgs: &[MessageInner],
    pre: &[(u32, usize)],
) -> (Vec<AppendedMessage>, Vec<Arrival>, u64, Option<StoreError>) {
    let mut appended = Vec::with_capacity(msgs.len());
    let mut arrivals = Vec::with_capacity(msgs.len());
    let topic = &msgs[0].topic;
    let total: u64 = pre.iter().map(|(_, s)| *s as u64).sum();
    let mut w = inner.commit_log.lock();
    let mut end = w.write_offset();
    if inner.is_shut_down() {
        return (appended, arrivals, end, Some(StoreError::ShutDown));
    }
    // Under the append lock, like `delete_topic`, so the queue can't be deleted meanwhile.
    let cq = if msgs.iter().any(|m| dispatch::goes_to_queue(m.sys_flag)) {
        match inner.cqs.get_or_create(topic, msgs[0].queue_id) {
            Ok(q) => Some(q),
            Err(e) => return (appended, arrivals, end, Some(e)),
        }
    } else {
        None
    };
    let store_ts = now_ms();
    if let Err(e) = w.reserve_contiguous(total) {
        return (appended, arrivals, end, Some(e));
    }
    let mut next_qoff = cq.as_ref().map_or(0, |q| q.max_offset());
    let mut error = None;
    for (m, &(crc, size)) in msgs.iter().zip(pre) {
        let to_queue = dispatch::goes_to_queue(m.sys_flag);
        let qoff = if to_queue { next_qoff } else { 0 };
        let f = fields(inner, m, qoff, 0, store_ts, Some(crc));
        let phy = match w.append(size, |phy, buf| {
            encode_record(
                &RecordFields {
                    physical_offset: phy,
                    ..f
                },
                buf,
            );
        }) {
            Ok(phy) => phy,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        let rec = DispatchRecord {
            topic,
            queue_id: m.queue_id,
            queue_offset: qoff,
            phy,
            size: size as i32,
            sys_flag: m.sys_flag,
            store_timestamp: store_ts,
            properties: &m.properties,
        };
        let tags = dispatch::dispatch(&rec, cq.as_deref(), &inner.index, &inner.parsed);
        end = phy as u64 + size as u64;
        appended.push(AppendedMessage {
            physical_offset: phy,
            size: size as i32,
            queue_offset: qoff,
            store_timestamp: store_ts,
            offset_msg_id: String::new(),
        });
        match tags {
            Ok(tags_code) => {
                if to_queue {
                    next_qoff += 1;
                    arrivals.push(Arrival {
                        queue_offset: qoff,
                        tags_code,
                    });
                }
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    if error.is_none() {
        w.set_dispatched(end);
    }
    drop(w);
    for a in &mut appended {
        a.offset_msg_id = inner.msg_id_prefix.with_offset(a.physical_offset);
    }
    (appended, arrivals, end, error)
}

/// `put_message`/`put_messages`.
pub async fn put(inner: &StoreInner, msgs: Vec<MessageInner>) -> PutMessageResult {
    let started = std::time::Instant::now();
    let r = put_timed(inner, msgs).await;
    if !r.messages.is_empty() {
        inner
            .put_latency
            .record(started.elapsed().as_micros().min(u64::MAX as u128) as u64);
    }
    r
}

async fn put_timed(inner: &StoreInner, msgs: Vec<MessageInner>) -> PutMessageResult {
    let pre = match check(inner, &msgs) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (appended, arrivals, end, error) = append(inner, &msgs, &pre);
    if !arrivals.is_empty() {
        let listener = inner
            .listener
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(l) = listener {
            for a in &arrivals {
                l.arriving(
                    &msgs[0].topic,
                    msgs[0].queue_id,
                    a.queue_offset,
                    a.tags_code,
                );
            }
        }
    }
    if let Some(StoreError::ShutDown) = error {
        return PutMessageResult::failed(
            PutMessageStatus::ServiceNotAvailable,
            "message store is shut down",
        );
    }
    if let Some(e) = error {
        tracing::error!(error = %e, topic = %msgs[0].topic, "append failed");
        return PutMessageResult {
            status: PutMessageStatus::UnknownError,
            messages: appended,
            remark: Some(e.to_string()),
        };
    }
    let mut status = PutMessageStatus::PutOk;
    let mut remark = None;
    if inner.config.flush_disk_type == FlushDiskType::SyncFlush {
        let wait = find_property(&msgs[0].properties, keys::WAIT_STORE_MSG_OK) != Some("false");
        if !wait {
            inner.flush.wakeup();
        } else if inner.commit_log.flushed_offset() < end {
            let rx = inner.flush.request(end);
            let timeout = Duration::from_millis(inner.config.sync_flush_timeout_ms);
            if !matches!(tokio::time::timeout(timeout, rx).await, Ok(Ok(()))) {
                tracing::warn!(
                    end,
                    timeout_ms = inner.config.sync_flush_timeout_ms,
                    "sync flush timed out"
                );
                status = PutMessageStatus::FlushDiskTimeout;
                remark = Some(format!(
                    "commit log not flushed within {} ms",
                    inner.config.sync_flush_timeout_ms
                ));
            }
        }
    }
    PutMessageResult {
        status,
        messages: appended,
        remark,
    }
}

/// The offset msgId of the store host, formatted once: rmq-core's `offset_msg_id` is the
/// host's hex followed by the 8-byte offset as 16 hex digits; only the offset changes.
#[derive(Debug)]
pub struct MsgIdPrefix {
    host: SocketAddr,
    prefix: String,
}

impl MsgIdPrefix {
    pub fn new(host: SocketAddr) -> Self {
        let zero = offset_msg_id(host, 0);
        MsgIdPrefix {
            host,
            prefix: zero[..zero.len() - 16].to_owned(),
        }
    }

    /// `offset_msg_id(host, phy)`.
    pub fn with_offset(&self, phy: i64) -> String {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut s = String::with_capacity(self.prefix.len() + 16);
        s.push_str(&self.prefix);
        for b in phy.to_be_bytes() {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xF)]));
        }
        debug_assert_eq!(s, offset_msg_id(self.host, phy));
        s
    }
}
