//! The check service (Java's `TransactionalMessageCheckService` and
//! `TransactionalMessageServiceImpl.check`): every `transactionCheckInterval` it walks the
//! half queue from its progress offset, skips the half records an op record marks done, and
//! asks a producer of the group about each one older than `transactionTimeOut` (or its
//! `CHECK_IMMUNITY_TIME_IN_SECONDS`), re-putting it first so the count of checks
//! (`TRANSACTION_CHECK_TIMES`) survives; after `transactionCheckMax` checks it moves the
//! message to `TRANS_CHECK_MAX_TIME_TOPIC`.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use rmq_core::clock::now_ms;
use rmq_core::protocol::body::{PERM_READ, PERM_WRITE};
use rmq_core::protocol::header::CheckTransactionStateRequestHeader;
use rmq_core::protocol::message::{decode_record, find_property, keys, RecordView};
use rmq_core::protocol::{RemotingCommand, RequestCode};

use super::half::{check_request_body, renew};
use super::{TRANS_CHECK_MAX_TIME_TOPIC, TRANS_SYS_GROUP};
use crate::broker::{BrokerInner, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC};
use crate::store::MessageInner;

/// Longest one round may take (Java's `MAX_PROCESS_TIME_LIMIT`).
const MAX_ROUND: Duration = Duration::from_secs(60);
/// Records read per store call.
const BATCH: i32 = 32;

/// Runs a check round every `transactionCheckInterval`.
pub async fn check_loop(b: Arc<BrokerInner>) {
    let interval = Duration::from_millis(b.config.transaction_check_interval.max(1));
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if b.is_shutting_down() {
            break;
        }
        check_round(&b).await;
    }
}

/// The op records from `from` on: half offset → op offset, and each op offset's half offsets.
struct Ops {
    done: HashSet<i64>,
    by_op: BTreeMap<i64, Vec<i64>>,
}

fn read_ops(b: &BrokerInner, from: i64) -> Ops {
    let mut ops = Ops {
        done: HashSet::new(),
        by_op: BTreeMap::new(),
    };
    let max = b.store.max_offset_in_queue(TRANS_OP_HALF_TOPIC, 0);
    let mut at = from;
    while at < max {
        let got = b
            .store
            .get_message(TRANS_OP_HALF_TOPIC, 0, at, BATCH, 1 << 20, &|_| true);
        if got.messages.is_empty() {
            if got.next_begin_offset <= at {
                break;
            }
            at = got.next_begin_offset;
            continue;
        }
        for (record, op_offset) in got.messages.iter().zip(&got.queue_offsets) {
            let halves: Vec<i64> = match decode_record(record, false) {
                Ok(v) => std::str::from_utf8(v.body)
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect(),
                Err(e) => {
                    tracing::warn!(op_offset, error = %e, "undecodable transaction op record");
                    Vec::new()
                }
            };
            ops.done.extend(&halves);
            ops.by_op.insert(*op_offset, halves);
        }
        at = got.next_begin_offset.max(at + 1);
    }
    ops
}

/// The progress offset of a system queue (its min offset when none is stored).
fn progress(b: &BrokerInner, topic: &str) -> i64 {
    let min = b.store.min_offset_in_queue(topic, 0);
    b.offsets
        .query(TRANS_SYS_GROUP, topic, 0)
        .filter(|o| *o >= 0)
        .unwrap_or(min)
        .max(min)
}

/// What the round does with one half record.
enum Step {
    /// Done, discarded or checked: go on with the next offset.
    Next,
    /// Too young (or stored during this round): stop here until the next round.
    Stop,
}

/// One pass over the half queue.
pub async fn check_round(b: &Arc<BrokerInner>) {
    let started = now_ms();
    let half_max = b.store.max_offset_in_queue(TRANS_HALF_TOPIC, 0);
    let half_from = progress(b, TRANS_HALF_TOPIC);
    let op_from = progress(b, TRANS_OP_HALF_TOPIC);
    if half_from >= half_max {
        return;
    }
    let ops = read_ops(b, op_from);
    let mut i = half_from;
    'scan: while i < half_max {
        if now_ms() - started > MAX_ROUND.as_millis() as i64 {
            tracing::info!(offset = i, "transaction check round over its time limit");
            break;
        }
        let got = b
            .store
            .get_message(TRANS_HALF_TOPIC, 0, i, BATCH, 4 << 20, &|_| true);
        if got.messages.is_empty() {
            if got.next_begin_offset <= i {
                break;
            }
            i = got.next_begin_offset;
            continue;
        }
        for (record, offset) in got.messages.iter().zip(&got.queue_offsets) {
            let offset = *offset;
            i = offset;
            if ops.done.contains(&offset) || b.transactions.is_ended(offset) {
                i = offset + 1;
                continue;
            }
            let view = match decode_record(record, false) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(offset, error = %e, "skipping an undecodable half message");
                    i = offset + 1;
                    continue;
                }
            };
            match check_one(b, &view, offset, started, &ops).await {
                Step::Next => i = offset + 1,
                Step::Stop => break 'scan,
            }
        }
        i = i.max(got.next_begin_offset);
    }
    let mut op_to = op_from;
    for (op_offset, halves) in &ops.by_op {
        if *op_offset != op_to || halves.iter().any(|h| *h >= i) {
            break;
        }
        op_to += 1;
    }
    if i != half_from || op_to != op_from {
        b.offsets.commit(TRANS_SYS_GROUP, TRANS_HALF_TOPIC, 0, i);
        b.offsets
            .commit(TRANS_SYS_GROUP, TRANS_OP_HALF_TOPIC, 0, op_to);
        if let Err(e) = b.offsets.persist() {
            tracing::warn!(error = %e, "cannot persist the transaction check progress");
        }
    }
    let retention = Duration::from_millis(
        (2 * (b.config.transaction_check_interval + b.config.transaction_time_out)).max(60_000),
    );
    b.transactions.prune(i, retention);
}

/// Java's `getImmunityTime`: seconds, or `transactionTimeOut` for -1 or a bad value.
fn immunity_ms(view: &RecordView<'_>, timeout_ms: i64) -> Option<i64> {
    let s = find_property(view.properties, keys::CHECK_IMMUNITY_TIME_IN_SECONDS)?;
    Some(match s.trim().parse::<i64>() {
        Ok(secs) if secs >= 0 => secs.saturating_mul(1000),
        _ => timeout_ms,
    })
}

async fn check_one(
    b: &Arc<BrokerInner>,
    view: &RecordView<'_>,
    offset: i64,
    started: i64,
    ops: &Ops,
) -> Step {
    let origin = find_property(view.properties, keys::TRANSACTION_PREPARED_QUEUE_OFFSET)
        .and_then(|o| o.trim().parse::<i64>().ok());
    if origin.is_some_and(|o| ops.done.contains(&o) || b.transactions.is_ended(o)) {
        return Step::Next;
    }
    let checked = find_property(view.properties, keys::TRANSACTION_CHECK_TIMES)
        .map(|t| t.trim().parse::<i32>().unwrap_or(i32::MAX));
    let now = now_ms();
    let reserved_ms = (b.config.store.file_reserved_time_hours as i64).saturating_mul(3_600_000);
    if checked.is_some_and(|t| t >= b.config.transaction_check_max)
        || now - view.born_timestamp > reserved_ms
    {
        discard(b, view, offset).await;
        return Step::Next;
    }
    if view.store_timestamp >= started {
        return Step::Stop;
    }
    let timeout = b.config.transaction_time_out as i64;
    let age = now - view.born_timestamp;
    let uniq = find_property(view.properties, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    match immunity_ms(view, timeout) {
        Some(immunity) if age <= immunity => {
            // Not due yet, but it must not hold back the queue: store it again behind.
            let again = renew(view, checked.unwrap_or(0), origin.unwrap_or(offset));
            return match b.store.put_message(again).await {
                r if r.is_stored() => Step::Next,
                r => {
                    tracing::warn!(offset, status = ?r.status, "cannot re-put an immune half message");
                    Step::Stop
                }
            };
        }
        Some(_) => {}
        None if (0..=timeout).contains(&age) => return Step::Stop,
        None => {}
    }
    let origin = origin.unwrap_or(offset);
    if !b.transactions.begin_check(uniq, offset, origin) {
        return Step::Next;
    }
    let times = checked.map_or(1, |t| t + 1);
    let again = renew(view, times, origin);
    let result = b.store.put_message(again.clone()).await;
    let Some(stored) = result.messages.first().filter(|_| result.is_stored()) else {
        tracing::warn!(offset, status = ?result.status, "cannot re-put a half message for its check");
        return Step::Stop;
    };
    tracing::info!(
        real_topic = find_property(view.properties, keys::REAL_TOPIC).unwrap_or_default(),
        uniq_key = uniq.unwrap_or_default(),
        offset,
        new_offset = stored.queue_offset,
        check_times = times,
        "checking a transaction"
    );
    send_check(b, &again, stored);
    Step::Next
}

/// Sends CHECK_TRANSACTION_STATE to a live connection of the message's producer group.
fn send_check(b: &Arc<BrokerInner>, msg: &MessageInner, stored: &crate::store::AppendedMessage) {
    let Some(group) = find_property(&msg.properties, keys::PRODUCER_GROUP) else {
        tracing::warn!(
            offset = stored.queue_offset,
            "half message without a producer group: nobody to check with"
        );
        return;
    };
    let Some(channel) = b.producers.available_channel(group) else {
        tracing::warn!(%group, "transaction check: no live producer of the group");
        return;
    };
    let uniq =
        find_property(&msg.properties, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX).map(str::to_owned);
    let header = CheckTransactionStateRequestHeader {
        topic: find_property(&msg.properties, keys::REAL_TOPIC).map(str::to_owned),
        tran_state_table_offset: stored.queue_offset,
        commit_log_offset: stored.physical_offset,
        msg_id: uniq.clone(),
        transaction_id: uniq,
        offset_msg_id: Some(stored.offset_msg_id.clone()),
        broker_name: Some(b.config.broker_name.clone()),
    };
    let req = RemotingCommand::request_with_header(RequestCode::CheckTransactionState, &header)
        .with_body(check_request_body(msg, stored, b.store_host));
    tokio::spawn(async move {
        if let Err(e) = channel.invoke_oneway(req).await {
            tracing::warn!(error = %e, "sending a transaction check failed");
        }
    });
}

/// Moves a half message checked too often to `TRANS_CHECK_MAX_TIME_TOPIC` (Java's
/// `DefaultTransactionalMessageCheckListener.resolveDiscardMsg`).
async fn discard(b: &Arc<BrokerInner>, view: &RecordView<'_>, offset: i64) {
    tracing::error!(
        offset,
        real_topic = find_property(view.properties, keys::REAL_TOPIC).unwrap_or_default(),
        uniq_key =
            find_property(view.properties, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX).unwrap_or_default(),
        "half message checked too many times: moved to {TRANS_CHECK_MAX_TIME_TOPIC}"
    );
    match b
        .topics
        .create_if_absent(TRANS_CHECK_MAX_TIME_TOPIC, 1, PERM_READ | PERM_WRITE)
    {
        Ok((_, true)) => b.trigger_register(),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "cannot create {TRANS_CHECK_MAX_TIME_TOPIC}");
            return;
        }
    }
    let msg = MessageInner {
        topic: TRANS_CHECK_MAX_TIME_TOPIC.to_owned(),
        queue_id: 0,
        flag: view.flag,
        body: bytes::Bytes::copy_from_slice(view.body),
        properties: view.properties.to_owned(),
        sys_flag: view.sys_flag,
        born_timestamp: view.born_timestamp,
        born_host: view.born_host,
        reconsume_times: view.reconsume_times,
        prepared_transaction_offset: view.prepared_transaction_offset,
    };
    let r = b.store.put_message(msg).await;
    if !r.is_stored() {
        tracing::error!(offset, status = ?r.status, "cannot move a half message to {TRANS_CHECK_MAX_TIME_TOPIC}");
    }
}
