//! The Java push and lite pull consumers on rmq-broker: two clustering members split the
//! queues and one leaves without loss, broadcasting, RECONSUME_LATER → %RETRY% → %DLQ% through
//! rmq-broker's send-back, and lite pull in subscribe and assign mode (seek, commit).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use rmq::client::MqAdmin;

use crate::common::{java_client_spawn, CppChild};
use crate::consumer_support::client;
use crate::{argv, broker, java};

/// Waits until the group's two members hold disjoint, non-empty shares of `topic`'s
/// `queues` queues (their ConsumerRunningInfo, 307 through rmq-broker): messages sent from
/// then on are not handed from one member to the other by a rebalance still under way.
async fn wait_until_split(ns: &str, group: &str, topic: &str, queues: usize) {
    let admin = MqAdmin::new(client(ns)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut held: Vec<BTreeSet<i32>> = Vec::new();
        if let Ok(conn) = admin.consumer_connection(group).await {
            for c in &conn.connection_set {
                if let Ok(info) = admin
                    .consumer_running_info(group, &c.client_id, false)
                    .await
                {
                    held.push(
                        info.mq_table
                            .keys()
                            .filter(|mq| mq.topic == topic)
                            .map(|mq| mq.queue_id)
                            .collect(),
                    );
                }
            }
        }
        let total: usize = held.iter().map(BTreeSet::len).sum();
        let union: BTreeSet<i32> = held.iter().flatten().copied().collect();
        if held.len() == 2
            && held.iter().all(|h| !h.is_empty())
            && total == queues
            && union.len() == queues
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the two members did not split {topic}'s queues: {held:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin.close().await;
}

fn spawn(args: Vec<String>) -> CppChild {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = java_client_spawn(&args);
    assert!(
        child.wait_ready(Duration::from_secs(60)),
        "the Java consumer did not start"
    );
    child
}

/// Indices (from the driver's bodies) of what `child` received with body prefix `prefix`.
fn indices(child: &CppChild, prefix: &str) -> Vec<u64> {
    let p = format!("{prefix}-");
    child
        .wait_lines(Duration::ZERO, usize::MAX, |v| {
            v["recv"].as_str().is_some_and(|r| r.starts_with(&p))
        })
        .iter()
        .filter_map(|v| v["index"].as_u64())
        .collect()
}

async fn produce(ns: &str, topic: &str, prefix: &str, n: usize) {
    let run = java(argv(&[
        "produce",
        "--namesrv",
        ns,
        "--topic",
        topic,
        "--prefix",
        prefix,
        "--count",
        &n.to_string(),
        "--quiet",
    ]))
    .await;
    run.assert_ok();
}

async fn wait_for(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clustering_members_split_and_one_leaves_without_loss() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-split", 4);
    let member = |instance: &str| {
        argv(&[
            "consume",
            "--namesrv",
            &ns,
            "--topic",
            "jc-split",
            "--group",
            "jc-split-c",
            "--instance",
            instance,
            "--prefix",
            "a",
            "--expect",
            "100",
            "--verbose",
            "--timeout",
            "120",
        ])
    };
    let c1 = spawn(member("m1"));
    let c2 = spawn(member("m2"));
    wait_until_split(&ns, "jc-split-c", "jc-split", 4).await;
    produce(&ns, "jc-split", "a", 100).await;
    wait_for("100 deliveries over both members", 60, || {
        indices(&c1, "a").len() + indices(&c2, "a").len() >= 100
    })
    .await;
    let (x, y) = (indices(&c1, "a"), indices(&c2, "a"));
    assert!(
        !x.is_empty() && !y.is_empty(),
        "both members consumed: {} / {}",
        x.len(),
        y.len()
    );
    let all: BTreeSet<u64> = x.iter().chain(&y).copied().collect();
    assert_eq!(
        all,
        (0..100).collect(),
        "each message once over both members"
    );
    assert_eq!(x.len() + y.len(), 100, "no duplicates");

    // m2 leaves; m1 takes its queues over and gets every later message.
    c2.terminate();
    let left = c2.join();
    assert_eq!(left.summary["cmd"], "consume", "{left}");
    produce(&ns, "jc-split", "b", 50).await;
    wait_for("the 50 later messages at m1", 60, || {
        indices(&c1, "b").iter().collect::<BTreeSet<_>>().len() == 50
    })
    .await;
    c1.terminate();
    let run = c1.join();
    assert_eq!(run.summary["cmd"], "consume", "{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_reaches_every_member() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-bcast", 4);
    let member = |instance: &str| {
        argv(&[
            "consume",
            "--namesrv",
            &ns,
            "--topic",
            "jc-bcast",
            "--group",
            "jc-bcast-c",
            "--instance",
            instance,
            "--prefix",
            "bc",
            "--expect",
            "30",
            "--broadcast",
            "--from-first",
            "--timeout",
            "60",
        ])
    };
    let c1 = spawn(member("b1"));
    let c2 = spawn(member("b2"));
    produce(&ns, "jc-bcast", "bc", 30).await;
    for c in [c1, c2] {
        let run = c.join();
        run.assert_ok();
        assert_eq!(run.n("received"), 30);
        assert_eq!(run.n("duplicates"), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconsume_later_goes_through_retry_to_the_dlq() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-fail", 4);
    produce(&ns, "jc-fail", "f", 1).await;
    // Every delivery answered RECONSUME_LATER; after 2 reconsumptions the broker dead-letters.
    let run = java(argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "jc-fail",
        "--group",
        "jc-fail-c",
        "--prefix",
        "f",
        "--expect",
        "1",
        "--fail-first",
        "100",
        "--max-reconsume-times",
        "2",
        "--until-deliveries",
        "3",
        "--verbose",
        "--from-first",
        "--timeout",
        "60",
    ]))
    .await;
    run.assert_ok();
    let times: Vec<u64> = run
        .records("recv")
        .map(|r| r["reconsume_times"].as_u64().unwrap())
        .collect();
    assert_eq!(times, [0, 1, 2]);
    let ids: BTreeSet<&str> = run
        .records("recv")
        .map(|r| r["msg_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "the same msg id on every redelivery");
    for r in run.records("recv").skip(1) {
        assert_eq!(r["topic"], "jc-fail", "{r}");
        assert_eq!(r["properties"]["RETRY_TOPIC"], "jc-fail", "{r}");
    }
    let dlq = java(argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "%DLQ%jc-fail-c",
        "--group",
        "jc-dlq-reader",
        "--prefix",
        "f",
        "--expect",
        "1",
        "--verbose",
        "--from-first",
        "--timeout",
        "60",
    ]))
    .await;
    dlq.assert_ok();
    let rec: Vec<&Value> = dlq.records("recv").collect();
    assert_eq!(rec[0]["msg_id"].as_str(), ids.first().copied());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_subscribe_and_assign_with_seek_and_commit() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-lite", 4);
    produce(&ns, "jc-lite", "l", 20).await;
    let run = java(argv(&[
        "lite-pull",
        "--namesrv",
        &ns,
        "--topic",
        "jc-lite",
        "--group",
        "jc-lite-sub",
        "--prefix",
        "l",
        "--expect",
        "20",
        "--timeout",
        "60",
    ]))
    .await;
    run.assert_ok();
    assert_eq!(run.n("duplicates"), 0);

    // Assign all 4 queues from the beginning, commit by hand: offsets 5 per queue.
    let run = java(argv(&[
        "lite-pull",
        "--namesrv",
        &ns,
        "--topic",
        "jc-lite",
        "--group",
        "jc-lite-assign",
        "--prefix",
        "l",
        "--expect",
        "20",
        "--assign",
        "--seek-begin",
        "--manual-commit",
        "--timeout",
        "60",
    ]))
    .await;
    run.assert_ok();
    let committed = run.summary["committed"].as_object().unwrap();
    assert_eq!(committed.len(), 4, "{run}");
    assert!(committed.values().all(|v| v == 5), "{run}");

    // Seek to offset 3 of each queue: the last 2 of each, 8 in all.
    let run = java(argv(&[
        "lite-pull",
        "--namesrv",
        &ns,
        "--topic",
        "jc-lite",
        "--group",
        "jc-lite-seek",
        "--prefix",
        "l",
        "--expect",
        "20",
        "--until-deliveries",
        "8",
        "--assign",
        "--seek",
        "3",
        "--timeout",
        "60",
    ]))
    .await;
    run.assert_ok();
    assert_eq!(run.n("deliveries"), 8, "{run}");
}
