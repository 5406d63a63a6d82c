//! Transactional messages (RocketMQ's `TransactionalMessageService`): half messages parked in
//! `RMQ_SYS_TRANS_HALF_TOPIC`, op records in `RMQ_SYS_TRANS_OP_HALF_TOPIC` marking them done,
//! and the check service asking producers about the ones left open.
//!
//! The op topic is the truth: what survives a restart is the half and op records and the
//! check service's progress (consumer offsets of [`TRANS_SYS_GROUP`]). This module also keeps
//! a little memory so that a transaction is never ended twice while the broker runs: a check
//! re-puts the half message (a new record, new offsets), so the producer's own late
//! END_TRANSACTION and the answer to the check could otherwise both commit.

mod check;
mod half;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use check::{check_loop, check_round};
pub use half::{check_request_body, from_half, op_message, renew, to_half};

/// Where half messages checked `transactionCheckMax` times are moved.
pub const TRANS_CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// The group whose consumer offsets are the check service's progress (half and op queues).
pub const TRANS_SYS_GROUP: &str = "CID_SYS_RMQ_TRANS";
/// The tag of op records ("delete").
pub const REMOVE_TAG: &str = "d";

/// How long an ended half offset the check service has passed is still remembered (a repeated
/// END_TRANSACTION within it is not a second commit).
pub const ENDED_RETENTION: Duration = Duration::from_secs(10);

/// What END_TRANSACTION should do with a half message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndDecision {
    /// End it: write the real message (commit) and the op record.
    Proceed,
    /// The transaction was already ended under another half record (a check's re-put):
    /// write only the op record.
    AlreadyEnded,
}

#[derive(Debug)]
struct Checked {
    ended: bool,
    at: Instant,
}

#[derive(Debug, Default)]
struct Memory {
    /// Transactions (by `UNIQ_KEY`) the check service asked about, and whether one of their
    /// half records was ended since.
    checked: HashMap<String, Checked>,
    /// Half-queue offsets ended while the broker runs, and when: kept until the check service
    /// passed them and the retention is over (a repeated END_TRANSACTION is not a second
    /// commit).
    ended_offsets: BTreeMap<i64, Instant>,
}

/// The broker's transaction state in memory (see the module documentation).
#[derive(Debug, Default)]
pub struct TransactionState {
    mem: Mutex<Memory>,
}

impl TransactionState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.mem.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Decides an END_TRANSACTION for the half record at `half_offset` of transaction `uniq`
    /// and records that it ended.
    pub fn begin_end(&self, uniq: Option<&str>, half_offset: i64) -> EndDecision {
        let mut m = self.lock();
        if m.ended_offsets.contains_key(&half_offset) {
            return EndDecision::AlreadyEnded;
        }
        if let Some(c) = uniq.and_then(|u| m.checked.get_mut(u)) {
            if c.ended {
                return EndDecision::AlreadyEnded;
            }
            c.ended = true;
        }
        m.ended_offsets.insert(half_offset, Instant::now());
        EndDecision::Proceed
    }

    /// Undoes [`begin_end`](Self::begin_end) after the real message could not be stored.
    pub fn undo_end(&self, uniq: Option<&str>, half_offset: i64) {
        let mut m = self.lock();
        if let Some(c) = uniq.and_then(|u| m.checked.get_mut(u)) {
            c.ended = false;
        }
        m.ended_offsets.remove(&half_offset);
    }

    /// Whether the half record at `offset` was ended while the broker runs.
    pub fn is_ended(&self, offset: i64) -> bool {
        self.lock().ended_offsets.contains_key(&offset)
    }

    /// Registers a check of transaction `uniq` (half record at `half_offset`, first stored at
    /// `origin`); false when it was ended meanwhile and must not be checked.
    pub fn begin_check(&self, uniq: Option<&str>, half_offset: i64, origin: i64) -> bool {
        let mut m = self.lock();
        if m.ended_offsets.contains_key(&half_offset) || m.ended_offsets.contains_key(&origin) {
            return false;
        }
        if let Some(u) = uniq {
            let c = m.checked.entry(u.to_owned()).or_insert(Checked {
                ended: false,
                at: Instant::now(),
            });
            if c.ended {
                return false;
            }
            c.at = Instant::now();
        }
        true
    }

    /// Forgets ended offsets below `half_offset` (the check service passed them) that ended
    /// more than [`ENDED_RETENTION`] ago, and checks older than `retention`.
    pub fn prune(&self, half_offset: i64, retention: Duration) {
        let mut m = self.lock();
        m.ended_offsets
            .retain(|o, at| *o >= half_offset || at.elapsed() <= ENDED_RETENTION);
        m.checked.retain(|_, c| c.at.elapsed() <= retention);
    }
}
