//! `rmq-admin` (cluster, broker, topic and producer commands) next to the Java `mqadmin`
//! 5.3.3: both on the shared Java cluster (same columns, same values where they must agree),
//! and Java `mqadmin` on rmq-broker for the same commands (our broker serves the official tool)
//! compared with `rmq-admin` on rmq-broker.
//!
//! Known differences (kept, not asserted): `topicRoute` prints serde's JSON (same fields, `orderTopicConf` left out when absent);
//! `clusterList` on rmq-broker shows 0 for queue sizes and waits (no thread pools).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rmq::client::LocalTransactionState;

use crate::common::{self, ApacheVersion, BrokerProcess};
use crate::consumer_support::transaction::{tx_producer, ByBody};
use crate::support::*;

/// Runs `rmq-admin args... -n ns`; returns stdout, failing on a non-zero exit.
async fn rmq_admin(ns: &str, args: &[&str]) -> String {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(["-n".into(), ns.to_owned()]);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_rmq-admin"))
            .args(&all)
            .env_remove("NAMESRV_ADDR")
            .output()
            .expect("run rmq-admin")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "rmq-admin {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Java `mqadmin` for each command (`-n ns` appended), in one JVM.
async fn java_mqadmin(ns: &str, cmds: &[&[&str]]) -> Vec<String> {
    let cmds: Vec<Vec<String>> = cmds
        .iter()
        .map(|c| {
            let mut v: Vec<String> = c.iter().map(|a| a.to_string()).collect();
            v.extend(["-n".into(), ns.to_owned()]);
            v
        })
        .collect();
    let outs = tokio::task::spawn_blocking(move || common::mqadmin(ApacheVersion::V5, &cmds))
        .await
        .unwrap();
    for o in &outs {
        assert!(!o.contains("Exception"), "mqadmin failed:\n{o}");
    }
    outs
}

/// A table line's cells: columns are at least two spaces apart.
fn cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The column names of the first non-empty line (mqadmin's output starts with an empty line;
/// its right-aligned headers may be one space apart, so split on `#`).
fn header(out: &str) -> Vec<String> {
    let line = out.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.split('#')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| format!("#{c}"))
        .collect()
}

/// The row whose cells start with `first`.
fn row(out: &str, first: &[&str]) -> Vec<String> {
    out.lines()
        .map(cells)
        .find(|c| c.len() >= first.len() && c.iter().zip(first).all(|(a, b)| a == b))
        .unwrap_or_else(|| panic!("no row {first:?} in\n{out}"))
}

/// `getBrokerConfig`'s `key=  value` lines.
fn config_map(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| l.split_once("=  "))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// `brokerStatus`'s keys.
fn status_keys(out: &str) -> BTreeSet<String> {
    out.lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, _)| k.trim().to_owned())
        .collect()
}

/// `topicStatus` rows by (broker, queue): (min, max, last updated).
fn status_rows(out: &str, broker: &str) -> BTreeMap<String, Vec<String>> {
    out.lines()
        .map(cells)
        .filter(|c| c.first().is_some_and(|b| b == broker))
        .map(|c| (c[1].clone(), c[2..].to_vec()))
        .collect()
}

/// Same commands on one cluster through both tools; asserts what must agree.
async fn compare(ns: &str, broker_addr: &str, broker_name: &str, topic: &str, group: &str) {
    let cmds: Vec<Vec<&str>> = vec![
        vec!["clusterList"],
        vec!["clusterList", "-m"],
        vec!["topicList"],
        vec!["topicRoute", "-t", topic, "-l"],
        vec!["topicStatus", "-t", topic],
        vec!["getBrokerConfig", "-b", broker_addr],
        vec!["brokerStatus", "-b", broker_addr],
        vec!["producerConnection", "-g", group, "-t", topic],
        vec![
            "updateBrokerConfig",
            "-b",
            broker_addr,
            "-k",
            "shortPollingTimeMills",
            "-v",
            "1000",
        ],
        vec!["topicList", "-c"],
    ];
    let mut ours = Vec::new();
    for c in &cmds {
        ours.push(rmq_admin(ns, c).await);
    }
    let refs: Vec<&[&str]> = cmds.iter().map(Vec::as_slice).collect();
    let java = java_mqadmin(ns, &refs).await;
    let show = |i: usize| {
        format!(
            "{:?}\n--- rmq-admin ---\n{}\n--- mqadmin ---\n{}",
            cmds[i], ours[i], java[i]
        )
    };

    // clusterList (-m): same columns; same cluster, name, id, address, version, activation.
    for i in [0, 1] {
        assert_eq!(header(&ours[i]), header(&java[i]), "{}", show(i));
    }
    let (r, j) = (
        row(&ours[0], &["DefaultCluster", broker_name]),
        row(&java[0], &["DefaultCluster", broker_name]),
    );
    assert_eq!(r[..5], j[..5], "{}", show(0));
    assert_eq!(r[3], broker_addr, "{}", show(0));
    assert_eq!(r.last(), j.last(), "{}", show(0));
    // topicList: ours ran first; every topic it lists is Java's but for ones other tests
    // deleted meanwhile, and both list the topic under test.
    let (r, j): (BTreeSet<&str>, BTreeSet<&str>) =
        (ours[2].lines().collect(), java[2].lines().collect());
    assert!(r.contains(topic) && j.contains(topic), "{}", show(2));
    assert!(r.difference(&j).count() <= 2, "{}", show(2));
    // topicRoute -l: same columns and row.
    assert_eq!(header(&ours[3]), header(&java[3]), "{}", show(3));
    assert_eq!(
        row(&ours[3], &["DefaultCluster"]),
        row(&java[3], &["DefaultCluster"]),
        "{}",
        show(3)
    );
    // topicStatus: same columns; same min/max offsets and last-updated times per queue.
    assert_eq!(header(&ours[4]), header(&java[4]), "{}", show(4));
    let (r, j) = (
        status_rows(&ours[4], broker_name),
        status_rows(&java[4], broker_name),
    );
    assert_eq!(r.len(), 4, "{}", show(4));
    assert_eq!(r, j, "{}", show(4));
    // getBrokerConfig: the same keys and values.
    let (r, j) = (config_map(&ours[5]), config_map(&java[5]));
    assert!(r.len() > 10, "{}", show(5));
    assert_eq!(r, j, "{}", show(5));
    assert_eq!(
        ours[5].lines().next(),
        java[5].lines().next(),
        "{}",
        show(5)
    );
    // brokerStatus: the same keys (values move).
    assert_eq!(status_keys(&ours[6]), status_keys(&java[6]), "{}", show(6));
    // producerConnection: the same client.
    let (r, j) = (cells(ours[7].trim()), cells(java[7].trim()));
    assert_eq!(r.len(), 4, "{}", show(7));
    assert_eq!(r, j, "{}", show(7));
    // updateBrokerConfig: the same answer.
    assert_eq!(ours[8].trim(), java[8].trim(), "{}", show(8));
    // topicList -c: same columns; the topic under test with the same cluster.
    assert_eq!(header(&ours[9]), header(&java[9]), "{}", show(9));
    assert_eq!(
        row(&ours[9], &["DefaultCluster", topic]),
        row(&java[9], &["DefaultCluster", topic]),
        "{}",
        show(9)
    );
}

/// Creates `topic` with rmq-admin, sends 6 messages, starts a transactional producer of
/// `group` (it heartbeats, so brokers list it) and waits until the broker lists it.
async fn prepare(
    ns: &str,
    broker_addr: &str,
    topic: &str,
    group: &str,
) -> rmq::client::TransactionMqProducer {
    rmq_admin(
        ns,
        &[
            "updateTopic",
            "-t",
            topic,
            "-b",
            broker_addr,
            "-r",
            "4",
            "-w",
            "4",
        ],
    )
    .await;
    crate::consumer_support::produce(ns, topic, 6, "clic").await;
    let tx = tx_producer(
        ns,
        group,
        ByBody::new(LocalTransactionState::Commit),
        Duration::from_millis(500),
    )
    .await;
    let admin = rmq::client::MqAdmin::new(client(ns)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while admin
        .producer_connection(group, topic)
        .await
        .map_or(true, |c| c.is_empty())
    {
        assert!(std::time::Instant::now() < deadline, "{group} never listed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    admin.close().await;
    tx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmq_admin_and_mqadmin_agree_on_the_java_cluster() {
    let ns = ns().await;
    let addr = shared().broker.addr();
    let tx = prepare(&ns, &addr, "clic-j", "clic-pg-j").await;
    compare(&ns, &addr, "broker-j", "clic-j", "clic-pg-j").await;
    tx.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqadmin_on_rmq_broker_agrees_with_rmq_admin() {
    let broker = tokio::task::spawn_blocking(BrokerProcess::start)
        .await
        .unwrap();
    let (ns, addr) = (broker.namesrv_addr(), broker.broker_addr());
    let tx = prepare(&ns, &addr, "clic-r", "clic-pg-r").await;
    compare(&ns, &addr, "broker-a", "clic-r", "clic-pg-r").await;
    tx.shutdown().await;

    // Java mqadmin's writes on rmq-broker: create, update a live key, delete.
    let outs = java_mqadmin(
        &ns,
        &[
            &[
                "updateTopic",
                "-t",
                "clic-new",
                "-c",
                "DefaultCluster",
                "-r",
                "2",
                "-w",
                "2",
            ],
            &[
                "updateBrokerConfig",
                "-b",
                &addr,
                "-k",
                "longPollingEnable",
                "-v",
                "false",
            ],
            &["deleteTopic", "-t", "clic-new", "-c", "DefaultCluster"],
        ],
    )
    .await;
    assert!(
        outs[0].contains(&format!("create topic to {addr} success.")),
        "{outs:?}"
    );
    assert!(
        outs[1].contains(&format!("update broker config success, {addr}")),
        "{outs:?}"
    );
    assert!(
        outs[2].contains("delete topic [clic-new] from NameServer success."),
        "{outs:?}"
    );
    let cfg = rmq_admin(&ns, &["getBrokerConfig", "-b", &addr, "--json"]).await;
    let cfg: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    assert_eq!(cfg[&addr]["longPollingEnable"], "false");
    let topics = rmq_admin(&ns, &["topicList"]).await;
    assert!(!topics.lines().any(|l| l == "clic-new"), "{topics}");

    // GET_BROKER_RUNTIME_INFO: every key mqadmin's clusterList and -m read is there; the
    // keys only one side has are printed (see the report for the list).
    let admin = rmq::client::MqAdmin::new(client(&ns)).unwrap();
    let ours: BTreeSet<String> = admin
        .broker_runtime_info(&addr)
        .await
        .unwrap()
        .into_keys()
        .collect();
    admin.close().await;
    let java_ns = crate::support::ns().await;
    let admin = rmq::client::MqAdmin::new(client(&java_ns)).unwrap();
    // The Java broker now and then answers SYSTEM_ERROR "NoSuchElementException ...
    // LinkedList.getLast" while its StoreStatsService samples are being rotated: ask again.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let java: BTreeSet<String> = loop {
        match admin.broker_runtime_info(&shared().broker.addr()).await {
            Ok(info) => break info.into_keys().collect(),
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("the Java broker's runtime info, again: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("the Java broker's runtime info: {e}"),
        }
    };
    admin.close().await;
    for key in [
        "brokerActive",
        "brokerVersionDesc",
        "putTps",
        "getTransferredTps",
        "sendThreadPoolQueueSize",
        "sendThreadPoolQueueHeadWaitTimeMills",
        "pullThreadPoolQueueSize",
        "pullThreadPoolQueueHeadWaitTimeMills",
        "ackThreadPoolQueueSize",
        "ackThreadPoolQueueHeadWaitTimeMills",
        "pageCacheLockTimeMills",
        "earliestMessageTimeStamp",
        "commitLogDiskRatio",
        "timerReadBehind",
        "timerOffsetBehind",
        "timerCongestNum",
        "timerEnqueueTps",
        "timerDequeueTps",
        "msgPutTotalTodayNow",
        "msgGetTotalTodayNow",
        "msgPutTotalTodayMorning",
        "msgGetTotalTodayMorning",
        "msgPutTotalYesterdayMorning",
        "msgGetTotalYesterdayMorning",
    ] {
        assert!(
            ours.contains(key) && java.contains(key),
            "{key}: ours {ours:?} java {java:?}"
        );
    }
    eprintln!(
        "runtime info keys only Java has: {:?}\nonly rmq has: {:?}",
        java.difference(&ours).collect::<Vec<_>>(),
        ours.difference(&java).collect::<Vec<_>>()
    );
    drop(broker);
}
