//! Transactional producers for the tests: a listener that answers by the message body and
//! counts its checks, and the sorted bodies a consumer saw.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmq::client::{
    LocalTransactionState, Message, MessageExt, ProducerConfig, TransactionListener,
    TransactionMqProducer, TransactionProducerConfig,
};

use super::{client, Seen};

/// A listener whose local transaction answers the state named by the body's first word
/// (`commit`, `rollback`, anything else: unknown) and whose check answers `check_answer`.
pub struct ByBody {
    check_answer: LocalTransactionState,
    checks: Mutex<BTreeMap<String, usize>>,
}

impl ByBody {
    /// A listener whose checks answer `check_answer`.
    pub fn new(check_answer: LocalTransactionState) -> Arc<Self> {
        Arc::new(ByBody {
            check_answer,
            checks: Mutex::default(),
        })
    }

    /// How many checks the transaction `id` got.
    pub fn checks_of(&self, id: &str) -> usize {
        self.checks.lock().unwrap().get(id).copied().unwrap_or(0)
    }

    /// Checks per transaction id.
    pub fn checks(&self) -> BTreeMap<String, usize> {
        self.checks.lock().unwrap().clone()
    }
}

impl TransactionListener for ByBody {
    fn execute_local_transaction(
        &self,
        msg: &Message,
        _arg: &(dyn Any + Send + Sync),
    ) -> LocalTransactionState {
        match std::str::from_utf8(&msg.body)
            .unwrap_or("")
            .split('-')
            .next()
        {
            Some("commit") => LocalTransactionState::Commit,
            Some("rollback") => LocalTransactionState::Rollback,
            _ => LocalTransactionState::Unknown,
        }
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        *self.checks.lock().unwrap().entry(msg.msg_id()).or_insert(0) += 1;
        self.check_answer
    }
}

/// A started transactional producer on `ns` in `group` with `listener`, heartbeating every
/// `heartbeat`.
pub async fn tx_producer(
    ns: &str,
    group: &str,
    listener: Arc<ByBody>,
    heartbeat: Duration,
) -> TransactionMqProducer {
    let p = TransactionMqProducer::with_config(
        client(ns),
        ProducerConfig {
            producer_group: group.into(),
            ..Default::default()
        },
        TransactionProducerConfig {
            heartbeat_broker_interval: heartbeat,
        },
        listener,
    )
    .unwrap();
    p.start().await.unwrap();
    p
}

/// The bodies `seen` holds, sorted.
pub fn bodies(seen: &Seen) -> Vec<String> {
    let mut b: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    b.sort();
    b
}
