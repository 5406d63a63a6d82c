//! rmq's `TransactionMqProducer` against the Apache broker: commit delivered once, rollback
//! never, Unknown settled by the Java broker's check (the shared cluster runs with
//! `support::TRANSACTION_CHECKS`).

use std::collections::BTreeMap;
use std::time::Duration;

use rmq::client::{LocalTransactionState, Message};

use crate::consumer_support::transaction::{bodies, tx_producer, ByBody};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rmq_transaction_producer_on_the_java_broker() {
    let ns = ns().await;
    create_topic("ApacheTx", 4).await;
    let (c, seen) = consumer(&ns, "apache-tx-consumer", false, 16);
    c.subscribe("ApacheTx", "*");
    c.start().await.unwrap();
    let listener = ByBody::new(LocalTransactionState::Commit);
    let p = tx_producer(
        &ns,
        "apache-tx-producer",
        listener.clone(),
        Duration::from_secs(1),
    )
    .await;
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
            listener.checks()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A few more check rounds: nothing else arrives, the unknown one was checked once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(bodies(&seen), ["commit-a", "unknown-a"]);
    let checks = listener.checks();
    assert_eq!(checks.get(&ids["unknown-a"]), Some(&1), "{checks:?}");
    assert_eq!(checks.get(&ids["commit-a"]), None, "{checks:?}");
    assert_eq!(checks.get(&ids["rollback-a"]), None, "{checks:?}");
    let got = seen.lock().unwrap().clone();
    let unknown = got.iter().find(|m| &*m.body == b"unknown-a").unwrap();
    assert_eq!(unknown.msg_id(), ids["unknown-a"]);
    p.shutdown().await;
    c.shutdown().await;
}
