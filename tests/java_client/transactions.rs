//! The official Java `TransactionMQProducer` against rmq-broker: its commit is delivered once,
//! its rollback never, and its Unknown is settled by rmq-broker's check, which the Java
//! client answers with END_TRANSACTION (fromTransactionCheck).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientConfig, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqPushConsumer, ListenerFn,
    MessageExt,
};

use crate::{argv, common, java};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_transaction_producer_on_rmq_broker() {
    let b = tokio::task::spawn_blocking(|| {
        common::BrokerProcess::start_with("transactionCheckInterval=500\ntransactionTimeOut=1000\n")
    })
    .await
    .unwrap();
    let ns = b.namesrv_addr();
    b.create_topic("jc-tx", 4);
    let seen: Arc<Mutex<Vec<MessageExt>>> = Arc::default();
    let s = seen.clone();
    let c = DefaultMqPushConsumer::new(
        ClientConfig {
            name_server_addr: ns.clone(),
            ..Default::default()
        },
        ConsumerConfig {
            consumer_group: "jc-tx-c".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let s = s.clone();
            async move {
                s.lock().unwrap().extend(msgs);
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    )
    .unwrap();
    c.subscribe("jc-tx", "*");
    c.start().await.unwrap();
    let run = java(argv(&[
        "tx-produce",
        "--namesrv",
        &ns,
        "--topic",
        "jc-tx",
        "--group",
        "jc-tx-p",
        "--prefix",
        "tx",
        "--count",
        "3",
        "--states",
        "commit,rollback,unknown",
        "--check-answer",
        "commit",
        "--expect-checks",
        "1",
        "--linger",
        "60",
    ]))
    .await;
    run.assert_ok();
    let sent: Vec<(String, String)> = run
        .records("state")
        .map(|r| {
            (
                r["state"].as_str().unwrap().to_owned(),
                r["msg_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(sent.len(), 3, "{run}");
    let id_of = |state: &str| sent.iter().find(|(s, _)| s == state).unwrap().1.clone();
    let checked: Vec<String> = run
        .records("check")
        .map(|r| r["msg_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        checked,
        [id_of("UNKNOW")],
        "only the unknown one is checked: {run}"
    );
    let want = {
        let mut w = vec![id_of("COMMIT_MESSAGE"), id_of("UNKNOW")];
        w.sort();
        w
    };
    let ids = || {
        let mut v: Vec<String> = seen.lock().unwrap().iter().map(|m| m.msg_id()).collect();
        v.sort();
        v
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while ids() != want {
        assert!(
            Instant::now() < deadline,
            "consumed {:?}, want {want:?}",
            ids()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(ids(), want, "nothing else, nothing twice");
    c.shutdown().await;
}
