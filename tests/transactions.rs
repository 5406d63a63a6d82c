//! Transactional messages through the `rmq-broker` binary: commit delivered exactly once,
//! rollback never, Unknown settled by the broker's check, a producer process killed after its
//! half message (a second producer of the group answers the check), and the broker killed
//! with SIGKILL between the half message and its commit; on the embedded broker, one
//! stream of heartbeats per transaction producer.
//!
//! The brokers run with `transactionCheckInterval=500` and `transactionTimeOut=1000` so
//! checks come within seconds.

#[path = "../rmq-broker/tests/common/mod.rs"]
mod common;
mod consumer_support;

use std::any::Any;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::BrokerProcess;
use consumer_support::transaction::{self, bodies, ByBody};
use consumer_support::{client, counts, recorder, wait_until, Seen};
use rmq::broker::EmbeddedBroker;
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ConsumerConfig, DefaultMqPushConsumer, LocalTransactionState, Message, MessageExt, MqAdmin,
    ProducerConfig, TransactionListener, TransactionMqProducer,
};
use rmq_core::clock::now_ms;

const FAST_CHECKS: &str = "transactionCheckInterval=500\ntransactionTimeOut=1000\n";

/// A started transactional producer heartbeating every 500 ms.
async fn tx_producer(ns: &str, group: &str, listener: Arc<ByBody>) -> TransactionMqProducer {
    transaction::tx_producer(ns, group, listener, Duration::from_millis(500)).await
}

async fn consumer(ns: &str, group: &str, topic: &str) -> (DefaultMqPushConsumer, Seen) {
    let (c, seen) = recorder(
        ns,
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        false,
    );
    c.subscribe(topic, "*");
    c.start().await.unwrap();
    (c, seen)
}

/// Messages stored in `topic` (the sum of its queues' max offsets).
async fn stored(ns: &str, group: &str, topic: &str) -> i64 {
    let admin = MqAdmin::new(client(ns)).unwrap();
    let total = match admin.consume_stats(group, topic).await {
        Ok(stats) => stats.values().map(|s| s.broker_offset).sum(),
        Err(_) => -1,
    };
    admin.close().await;
    total
}

/// Waits long enough for several check rounds (the negative half of "exactly once").
async fn several_check_rounds() {
    tokio::time::sleep(Duration::from_millis(2500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commit_once_rollback_never_unknown_settled_by_check() {
    let broker = BrokerProcess::start_with(FAST_CHECKS);
    let ns = broker.namesrv_addr();
    broker.create_topic("TxOrders", 4);
    let (c, seen) = consumer(&ns, "tx-orders-consumer", "TxOrders").await;
    let listener = ByBody::new(LocalTransactionState::Commit);
    let p = tx_producer(&ns, "tx-orders-producer", listener.clone()).await;
    let mut ids = BTreeMap::new();
    for body in ["commit-1", "rollback-1", "unknown-1"] {
        let r = p
            .send_message_in_transaction(&Message::new("TxOrders", body), &())
            .await
            .unwrap();
        ids.insert(body, r.transaction_id.clone());
        let expected = match body {
            "commit-1" => LocalTransactionState::Commit,
            "rollback-1" => LocalTransactionState::Rollback,
            _ => LocalTransactionState::Unknown,
        };
        assert_eq!(r.local_transaction_state, expected, "{body}");
    }
    wait_until("the committed message", 20, || {
        bodies(&seen).contains(&"commit-1".to_owned())
    })
    .await;
    wait_until("the unknown message, committed by its check", 30, || {
        bodies(&seen).contains(&"unknown-1".to_owned())
    })
    .await;
    several_check_rounds().await;
    assert_eq!(bodies(&seen), vec!["commit-1", "unknown-1"]);
    assert!(
        counts(&seen).values().all(|n| *n == 1),
        "{:?}",
        counts(&seen)
    );
    assert_eq!(stored(&ns, "tx-orders-consumer", "TxOrders").await, 2);
    assert_eq!(listener.checks_of(&ids["commit-1"]), 0);
    assert_eq!(listener.checks_of(&ids["rollback-1"]), 0);
    assert_eq!(listener.checks_of(&ids["unknown-1"]), 1);
    // The committed message carries the transaction's id and no half-topic traces.
    let got = seen.lock().unwrap().clone();
    let unknown = got.iter().find(|m| &*m.body == b"unknown-1").unwrap();
    assert_eq!(unknown.msg_id(), ids["unknown-1"]);
    assert_eq!(unknown.property("REAL_TOPIC"), None);
    assert_eq!(unknown.property("TRAN_MSG"), None);
    assert_eq!(unknown.property("PGROUP"), Some("tx-orders-producer"));
    p.shutdown().await;
    c.shutdown().await;
}

/// A committed message's 5.x timer applies at commit (Java's put hook for commit-type
/// messages): stored in its topic not before its time, and delivered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn committed_timer_message_waits_for_its_time() {
    let broker = BrokerProcess::start_with(FAST_CHECKS);
    let ns = broker.namesrv_addr();
    broker.create_topic("TxTimed", 1);
    let (c, seen) = consumer(&ns, "tx-timed-consumer", "TxTimed").await;
    let p = tx_producer(
        &ns,
        "tx-timed-producer",
        ByBody::new(LocalTransactionState::Commit),
    )
    .await;
    let t0 = now_ms();
    let r = p
        .send_message_in_transaction(
            &Message::new("TxTimed", "commit-timed").with_property("TIMER_DELAY_SEC", "2"),
            &(),
        )
        .await
        .unwrap();
    assert_eq!(r.local_transaction_state, LocalTransactionState::Commit);
    wait_until("the committed timer message", 20, || {
        !seen.lock().unwrap().is_empty()
    })
    .await;
    let got = seen.lock().unwrap()[0].clone();
    assert_eq!(&*got.body, b"commit-timed");
    assert!(
        got.store_timestamp >= t0 + 2_000,
        "delivered {} ms early",
        t0 + 2_000 - got.store_timestamp
    );
    assert!(
        got.property("TIMER_OUT_MS").is_some(),
        "{:?}",
        got.properties
    );
    assert_eq!(got.property("REAL_TOPIC"), None);
    assert_eq!(got.property("TRAN_MSG"), None);
    several_check_rounds().await;
    assert_eq!(bodies(&seen), vec!["commit-timed"]);
    assert_eq!(stored(&ns, "tx-timed-consumer", "TxTimed").await, 1);
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_forever_is_moved_after_transaction_check_max() {
    let broker = BrokerProcess::start_with(&format!("{FAST_CHECKS}transactionCheckMax=2\n"));
    let ns = broker.namesrv_addr();
    broker.create_topic("TxStuck", 1);
    let (c, seen) = consumer(&ns, "tx-stuck-consumer", "TxStuck").await;
    let listener = ByBody::new(LocalTransactionState::Unknown);
    let p = tx_producer(&ns, "tx-stuck-producer", listener.clone()).await;
    let r = p
        .send_message_in_transaction(&Message::new("TxStuck", "unknown-stuck"), &())
        .await
        .unwrap();
    broker
        .wait_for_log("TRANS_CHECK_MAX_TIME_TOPIC", Duration::from_secs(30))
        .unwrap_or_else(|| panic!("never moved: {}", broker.logs()));
    assert_eq!(listener.checks_of(&r.transaction_id), 2);
    several_check_rounds().await;
    assert_eq!(
        listener.checks_of(&r.transaction_id),
        2,
        "no check after the last"
    );
    assert!(bodies(&seen).is_empty());
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn system_topics_are_refused() {
    let broker = BrokerProcess::start();
    let ns = broker.namesrv_addr();
    let p = consumer_support::producer(&ns);
    for topic in [
        "RMQ_SYS_TRANS_HALF_TOPIC",
        "RMQ_SYS_TRANS_OP_HALF_TOPIC",
        "TRANS_CHECK_MAX_TIME_TOPIC",
    ] {
        let e = p.send(&Message::new(topic, "x")).await.unwrap_err();
        assert!(e.to_string().contains("forbidden"), "{topic}: {e}");
    }
}

/// The child half of [`killed_producer_is_replaced_by_another_of_its_group`]: sends one half
/// message whose local transaction never returns, prints its id, and waits to be killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_sends_half_and_hangs() {
    let Ok(ns) = std::env::var("RMQ_TX_CHILD_NAMESRV") else {
        return; // only runs as the child process
    };
    struct Hang;
    impl TransactionListener for Hang {
        fn execute_local_transaction(
            &self,
            msg: &Message,
            _arg: &(dyn Any + Send + Sync),
        ) -> LocalTransactionState {
            println!(
                "HALF_SENT {}",
                msg.properties.get("UNIQ_KEY").cloned().unwrap_or_default()
            );
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        fn check_local_transaction(&self, _msg: &MessageExt) -> LocalTransactionState {
            LocalTransactionState::Unknown
        }
    }
    let p = TransactionMqProducer::new(
        client(&ns),
        ProducerConfig {
            producer_group: "tx-killed-producer".into(),
            ..Default::default()
        },
        Arc::new(Hang),
    )
    .unwrap();
    p.start().await.unwrap();
    p.send_message_in_transaction(&Message::new("TxKilled", "orphan"), &())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_producer_is_replaced_by_another_of_its_group() {
    let broker = BrokerProcess::start_with(FAST_CHECKS);
    let ns = broker.namesrv_addr();
    broker.create_topic("TxKilled", 2);
    let (c, seen) = consumer(&ns, "tx-killed-consumer", "TxKilled").await;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_sends_half_and_hangs", "--nocapture"])
        .env("RMQ_TX_CHILD_NAMESRV", &ns)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(id) = line.strip_prefix("HALF_SENT ") {
                let _ = tx.send(id.to_owned());
            }
        }
    });
    let id = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the child never sent its half message");
    child.kill().unwrap(); // SIGKILL: no END_TRANSACTION, no unregister
    child.wait().unwrap();
    let listener = ByBody::new(LocalTransactionState::Commit);
    let p = tx_producer(&ns, "tx-killed-producer", listener.clone()).await;
    wait_until("the orphan, committed by the second producer", 60, || {
        bodies(&seen) == ["orphan"]
    })
    .await;
    assert_eq!(seen.lock().unwrap()[0].msg_id(), id);
    several_check_rounds().await;
    assert_eq!(bodies(&seen), ["orphan"]);
    assert_eq!(listener.checks_of(&id), 1);
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broker_killed_between_half_and_commit_still_decides_once() {
    // A longer timeout: the open transactions are not checked before the crash.
    let mut broker =
        BrokerProcess::start_with("transactionCheckInterval=500\ntransactionTimeOut=4000\n");
    let ns = broker.namesrv_addr();
    broker.create_topic("TxCrash", 2);
    let (c, seen) = consumer(&ns, "tx-crash-consumer", "TxCrash").await;
    let listener = ByBody::new(LocalTransactionState::Commit);
    let p = tx_producer(&ns, "tx-crash-producer", listener.clone()).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = p
            .send_message_in_transaction(&Message::new("TxCrash", format!("unknown-{i}")), &())
            .await
            .unwrap();
        ids.push(r.transaction_id);
    }
    let committed = p
        .send_message_in_transaction(&Message::new("TxCrash", "commit-0"), &())
        .await
        .unwrap();
    wait_until("the committed message before the crash", 20, || {
        bodies(&seen).contains(&"commit-0".to_owned())
    })
    .await;
    assert!(ids.iter().all(|id| listener.checks_of(id) == 0));
    broker.kill9();
    broker.restart_same_ports();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut distinct = bodies(&seen);
        distinct.dedup();
        if distinct == ["commit-0", "unknown-0", "unknown-1", "unknown-2"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after the restart only {distinct:?} arrived; broker log:\n{}",
            broker.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    several_check_rounds().await;
    // Exactly once in the store (a consumer may see a message again after a crash).
    assert_eq!(stored(&ns, "tx-crash-consumer", "TxCrash").await, 4);
    for id in &ids {
        assert!(listener.checks_of(id) >= 1, "{id}");
    }
    assert_eq!(listener.checks_of(&committed.transaction_id), 0);
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn end_transaction_refusals_name_the_problem() {
    let broker =
        BrokerProcess::start_with("transactionCheckInterval=60000\ntransactionTimeOut=60000\n");
    let ns = broker.namesrv_addr();
    broker.create_topic("TxRefused", 1);
    let p = tx_producer(
        &ns,
        "tx-refused-producer",
        ByBody::new(LocalTransactionState::Unknown),
    )
    .await;
    let r = p
        .send_message_in_transaction(&Message::new("TxRefused", "unknown-r"), &())
        .await
        .unwrap();
    let (_, commit_log_offset) =
        rmq::protocol::message::decode_offset_msg_id(&r.send_result.offset_msg_id).unwrap();
    let (offset, phy) = (
        r.send_result.queue_offset.to_string(),
        commit_log_offset.to_string(),
    );
    let addr = broker.broker_addr();
    let end = |group: &str, state_offset: &str, phy: &str| {
        common::remoting_request(
            &addr,
            37,
            &[
                ("producerGroup", group),
                ("tranStateTableOffset", state_offset),
                ("commitLogOffset", phy),
                ("commitOrRollback", "8"),
                ("fromTransactionCheck", "false"),
                ("msgId", r.transaction_id.as_str()),
            ],
        )
    };
    let refusals = [
        (
            end("another-group", &offset, &phy),
            "The producer group wrong",
        ),
        (
            end("tx-refused-producer", "99", &phy),
            "The transaction state table offset wrong",
        ),
        (
            end("tx-refused-producer", &offset, "123456789"),
            "Find prepared transaction message failed",
        ),
    ];
    for (resp, remark) in refusals {
        assert_eq!(resp["code"], 1, "{resp}");
        assert_eq!(resp["remark"], remark, "{resp}");
    }
    let missing = common::remoting_request(&addr, 37, &[("producerGroup", "g")]);
    assert_eq!(missing["code"], 1, "{missing}");
    assert!(
        missing["remark"]
            .as_str()
            .unwrap()
            .contains("tranStateTableOffset"),
        "{missing}"
    );
    // The refusals changed nothing: a proper commit still delivers the message once.
    let ok = end("tx-refused-producer", &offset, &phy);
    assert_eq!(ok["code"], 0, "{ok}");
    let (c, seen) = consumer(&ns, "tx-refused-consumer", "TxRefused").await;
    wait_until("the committed message", 20, || {
        bodies(&seen) == ["unknown-r"]
    })
    .await;
    let again = end("tx-refused-producer", &offset, &phy);
    assert_eq!(again["code"], 0, "{again}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(stored(&ns, "tx-refused-consumer", "TxRefused").await, 1);
    p.shutdown().await;
    c.shutdown().await;
}

/// HEART_BEAT requests `b` answered (its `rocketmq_rpc_latency` count for request code 34).
fn heartbeats(b: &EmbeddedBroker) -> u64 {
    let text = b.broker().expect("a running broker").render_metrics();
    text.lines()
        .filter(|l| {
            l.starts_with("rocketmq_rpc_latency_milliseconds_count{")
                && l.contains("request_code=\"heart_beat\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// The connections the broker lists for `group` (none when it does not know the group).
async fn producer_connections(ns: &str, group: &str) -> usize {
    let admin = MqAdmin::new(client(ns)).unwrap();
    let n = admin
        .producer_connection(group, "TBW102")
        .await
        .map_or(0, |c| c.len());
    admin.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_heartbeat_stream_per_transaction_producer() {
    // The embedded broker: its only client is the producer (the admin calls are not
    // heartbeats), so every HEART_BEAT it counts carries the producer's group.
    let b = EmbeddedBroker::start().await.unwrap();
    let ns = b.namesrv_addr().to_string();
    assert_eq!(heartbeats(&b), 0);
    let group = "tx-beat-producer";
    let p = tx_producer(&ns, group, ByBody::new(LocalTransactionState::Commit)).await;
    // The broker knows the group as soon as start returns.
    assert!(heartbeats(&b) >= 1);
    assert_eq!(producer_connections(&ns, group).await, 1);
    // A transaction on a topic new to the producer (its route learnt, its broker known).
    let r = p
        .send_message_in_transaction(&Message::new("TxBeat", "commit-1"), &())
        .await
        .unwrap();
    assert_eq!(r.local_transaction_state, LocalTransactionState::Commit);
    // Heartbeats every 500 ms: one stream sends one per period, two would send two.
    let (from, at) = (heartbeats(&b), Instant::now());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (sent, periods) = (
        heartbeats(&b) - from,
        (at.elapsed().as_millis() / 500) as u64,
    );
    assert!(
        sent + 2 >= periods && sent <= periods + 1,
        "{sent} heartbeats in {periods} periods of 500 ms"
    );
    // Shutdown stops them: the broker drops the connection and counts no more.
    p.shutdown().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while producer_connections(&ns, group).await != 0 {
        assert!(Instant::now() < deadline, "the broker still lists {group}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = heartbeats(&b);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(heartbeats(&b), after, "heartbeats after shutdown");
    b.shutdown().await;
}
