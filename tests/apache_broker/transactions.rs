//! rmq's `TransactionMqProducer` against the Apache broker: commit delivered once, rollback
//! never, Unknown settled by the Java broker's check (the shared cluster runs with
//! `support::TRANSACTION_CHECKS`).

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmq::client::{
    LocalTransactionState, Message, MessageExt, ProducerConfig, TransactionListener,
    TransactionMqProducer, TransactionProducerConfig,
};

use crate::support::*;

/// Local transactions answer by body prefix; checks answer Commit and are counted.
#[derive(Default)]
struct ByBody {
    checks: Mutex<BTreeMap<String, usize>>,
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
        LocalTransactionState::Commit
    }
}

fn bodies(seen: &Seen) -> Vec<String> {
    let mut b: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    b.sort();
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rmq_transaction_producer_on_the_java_broker() {
    let ns = ns().await;
    create_topic("ApacheTx", 4).await;
    let (c, seen) = consumer(&ns, "apache-tx-consumer", false, 16);
    c.subscribe("ApacheTx", "*");
    c.start().await.unwrap();
    let listener = Arc::new(ByBody::default());
    let p = TransactionMqProducer::with_config(
        client(&ns),
        ProducerConfig {
            producer_group: "apache-tx-producer".into(),
            ..Default::default()
        },
        TransactionProducerConfig {
            heartbeat_broker_interval: Duration::from_secs(1),
        },
        listener.clone(),
    )
    .unwrap();
    p.start().await.unwrap();
    let mut ids = BTreeMap::new();
    for body in ["commit-a", "rollback-a", "unknown-a"] {
        let r = p
            .send_message_in_transaction(&Message::new("ApacheTx", body), &())
            .await
            .unwrap();
        ids.insert(body, r.transaction_id);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while bodies(&seen) != ["commit-a", "unknown-a"] {
        assert!(
            std::time::Instant::now() < deadline,
            "got {:?}, checks {:?}",
            bodies(&seen),
            listener.checks.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A few more check rounds: nothing else arrives, the unknown one was checked once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(bodies(&seen), ["commit-a", "unknown-a"]);
    let checks = listener.checks.lock().unwrap().clone();
    assert_eq!(checks.get(&ids["unknown-a"]), Some(&1), "{checks:?}");
    assert_eq!(checks.get(&ids["commit-a"]), None, "{checks:?}");
    assert_eq!(checks.get(&ids["rollback-a"]), None, "{checks:?}");
    let got = seen.lock().unwrap().clone();
    let unknown = got.iter().find(|m| &*m.body == b"unknown-a").unwrap();
    assert_eq!(unknown.msg_id(), ids["unknown-a"]);
    p.shutdown().await;
    c.shutdown().await;
}
