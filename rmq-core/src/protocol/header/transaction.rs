//! Transaction headers: END_TRANSACTION (37) and CHECK_TRANSACTION_STATE (39).

use super::header;

header! {
    /// `EndTransactionRequestHeader` (37, producer → broker, oneway): commits or rolls back
    /// the half message stored at `commitLogOffset` / half-queue offset `tranStateTableOffset`.
    /// `commitOrRollback` is a sysFlag transaction type (0 unknown, 8 commit, 12 rollback).
    pub struct EndTransactionRequestHeader {
        opt topic: String = "topic",
        req producer_group: String = "producerGroup",
        req tran_state_table_offset: i64 = "tranStateTableOffset",
        req commit_log_offset: i64 = "commitLogOffset",
        req commit_or_rollback: i32 = "commitOrRollback",
        opt from_transaction_check: bool = "fromTransactionCheck",
        req msg_id: String = "msgId",
        opt transaction_id: String = "transactionId",
        opt broker_name: String = "brokerName",
    }
}

header! {
    /// `CheckTransactionStateRequestHeader` (39, broker → producer, oneway); the body is the
    /// half message in its stored layout, with its real topic and queue.
    pub struct CheckTransactionStateRequestHeader {
        opt topic: String = "topic",
        req tran_state_table_offset: i64 = "tranStateTableOffset",
        req commit_log_offset: i64 = "commitLogOffset",
        opt msg_id: String = "msgId",
        opt transaction_id: String = "transactionId",
        opt offset_msg_id: String = "offsetMsgId",
        opt broker_name: String = "brokerName",
    }
}
