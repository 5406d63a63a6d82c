//! END_TRANSACTION (37): a producer commits or rolls back a half message, after its local
//! transaction or when answering a check.

use std::sync::Arc;

use rmq_core::clock::now_ms;
use rmq_core::protocol::header::EndTransactionRequestHeader;
use rmq_core::protocol::message::{
    decode_record, find_property, keys, TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE,
    TRANSACTION_ROLLBACK_TYPE,
};
use rmq_core::protocol::{RemotingCommand, ResponseCode};
use rmq_core::remoting::Channel;

use super::header_or_reply;
use crate::broker::transaction::{from_half, op_message, EndDecision};
use crate::broker::{BrokerInner, TRANS_HALF_TOPIC};

/// Handles END_TRANSACTION. Unknown states are logged and ignored (no answer); a commit
/// writes the real message, then both write the op record that marks the half message done.
pub async fn end_transaction(
    b: &Arc<BrokerInner>,
    ch: &Channel,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, EndTransactionRequestHeader);
    let from_check = h.from_transaction_check.unwrap_or(false);
    let commit = match h.commit_or_rollback {
        TRANSACTION_COMMIT_TYPE => true,
        TRANSACTION_ROLLBACK_TYPE => false,
        TRANSACTION_NOT_TYPE => {
            tracing::warn!(remote = %ch.remote_addr(), from_check, msg_id = %h.msg_id, remark = req.remark_str(), "producer ended a transaction with state unknown: waiting for a check");
            return None;
        }
        other => {
            tracing::warn!(remote = %ch.remote_addr(), state = other, "END_TRANSACTION with an invalid state ignored");
            return None;
        }
    };
    if !commit || from_check {
        tracing::info!(remote = %ch.remote_addr(), commit, from_check, msg_id = %h.msg_id, remark = req.remark_str(), "transaction ended");
    }
    let Some(record) = b.store.look_message_by_offset(h.commit_log_offset) else {
        return Some(req.error_to(
            ResponseCode::SystemError,
            "Find prepared transaction message failed",
        ));
    };
    let view = match decode_record(&record, false) {
        Ok(v) if v.topic == TRANS_HALF_TOPIC => v,
        _ => {
            return Some(req.error_to(
                ResponseCode::SystemError,
                "Find prepared transaction message failed",
            ))
        }
    };
    if find_property(view.properties, keys::PRODUCER_GROUP) != Some(h.producer_group.as_str()) {
        return Some(req.error_to(ResponseCode::SystemError, "The producer group wrong"));
    }
    if view.queue_offset != h.tran_state_table_offset {
        return Some(req.error_to(
            ResponseCode::SystemError,
            "The transaction state table offset wrong",
        ));
    }
    if !from_check {
        if let Some(secs) = find_property(view.properties, keys::CHECK_IMMUNITY_TIME_IN_SECONDS) {
            let immunity = match secs.trim().parse::<i64>() {
                Ok(s) if s >= 0 => s.saturating_mul(1000),
                _ => b.config.transaction_time_out as i64,
            };
            if now_ms() - view.born_timestamp > immunity {
                return Some(req.error_to(
                    ResponseCode::IllegalOperation,
                    format!("the transaction ended after its CHECK_IMMUNITY_TIME_IN_SECONDS ({immunity} ms): waiting for a check"),
                ));
            }
        }
    }
    let uniq = find_property(view.properties, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    let decision = b.transactions.begin_end(uniq, view.queue_offset);
    if commit && decision == EndDecision::Proceed {
        let mut real = match from_half(&view) {
            Ok(m) => m,
            Err(e) => {
                b.transactions.undo_end(uniq, view.queue_offset);
                return Some(req.error_to(ResponseCode::SystemError, e));
            }
        };
        // The committed message's delay level or 5.x timer applies now, as Java's put hook
        // does for commit-type messages.
        let parked = match crate::timer::message::park(&b.config.timer, &mut real, now_ms()) {
            Ok(p) => p,
            Err((code, remark)) => {
                b.transactions.undo_end(uniq, view.queue_offset);
                return Some(req.error_to(code, remark));
            }
        };
        super::send_message::apply_delay_level(b, &mut real);
        let result = b.store.put_message(real).await;
        if parked {
            b.timer.wake();
        }
        if !result.is_stored() {
            b.transactions.undo_end(uniq, view.queue_offset);
            let remark = result
                .remark
                .unwrap_or_else(|| format!("store refused the message: {:?}", result.status));
            return Some(req.error_to(ResponseCode::SystemError, remark));
        }
        b.stats
            .put_total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    } else if decision == EndDecision::AlreadyEnded {
        tracing::info!(
            uniq_key = uniq.unwrap_or_default(),
            "transaction already ended: op record only"
        );
    }
    let op = b
        .store
        .put_message(op_message(view.queue_offset, b.store_host))
        .await;
    if !op.is_stored() {
        tracing::warn!(offset = view.queue_offset, status = ?op.status, "cannot write a transaction op record");
    }
    Some(req.success_to())
}
