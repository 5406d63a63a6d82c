//! The official C++ client (PyPI rocketmq==0.4.4) against the `rmq-broker` binary.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant};

use common::*;

const READY: Duration = Duration::from_secs(30);

fn ids(run: &CppRun) -> BTreeSet<String> {
    run.strings("msg_ids").into_iter().collect()
}

fn acked_ids(run: &CppRun) -> BTreeSet<String> {
    run.records("msg_id")
        .filter(|r| r["status"] == "SEND_OK")
        .filter_map(|r| r["msg_id"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn sync_produce_1000_then_push_consume_exactly_those() {
    let b = BrokerProcess::start();
    b.create_topic("t1000", 4);
    let consumer = b.cpp_spawn(&[
        "consume",
        "--topic",
        "t1000",
        "--group",
        "g1000",
        "--expect",
        "1000",
        "--timeout",
        "120",
    ]);
    assert!(consumer.wait_ready(READY), "consumer not ready");
    let produced = b.cpp(&["produce", "--topic", "t1000", "--count", "1000", "--quiet"]);
    produced.assert_ok();
    assert_eq!(produced.n("sent"), 1000);
    let consumed = consumer.join();
    consumed.assert_ok();
    assert_eq!(consumed.n("received"), 1000);
    assert_eq!(consumed.n("unexpected"), 0);
    // The ids the producer got back are the ids the consumer saw.
    b.create_topic("tids", 4);
    let produced = b.cpp(&["produce", "--topic", "tids", "--count", "50"]);
    produced.assert_ok();
    let consumed = b.cpp(&[
        "consume",
        "--topic",
        "tids",
        "--group",
        "gids",
        "--expect",
        "50",
        "--timeout",
        "60",
    ]);
    consumed.assert_ok();
    assert_eq!(acked_ids(&produced), ids(&consumed));
}

#[test]
fn clustering_splits_queues_and_broadcasting_delivers_to_all() {
    let b = BrokerProcess::start();
    // Clustering: two members of one group.
    b.create_topic("tsplit", 4);
    b.create_topic("tbcast", 4);
    let args = |inst: &'static str| {
        vec![
            "consume",
            "--topic",
            "tsplit",
            "--group",
            "gsplit",
            "--instance",
            inst,
            "--expect",
            "200",
            "--timeout",
            "25",
            "--verbose",
        ]
    };
    let c1 = b.cpp_spawn(&args("one"));
    let c2 = b.cpp_spawn(&args("two"));
    assert!(c1.wait_ready(READY) && c2.wait_ready(READY));
    // Warm up until both members own queues (each has received a warm-up message).
    let deadline = Instant::now() + Duration::from_secs(60);
    let got_warm = |c: &CppChild| {
        c.wait_line(Duration::from_millis(200), |v| {
            v["recv"].as_str().is_some_and(|r| r.starts_with("warm"))
        })
        .is_some()
    };
    let mut start = 0;
    while !(got_warm(&c1) && got_warm(&c2)) {
        assert!(
            Instant::now() < deadline,
            "both consumers never received a warm-up message"
        );
        let s = start.to_string();
        b.cpp(&[
            "produce",
            "--topic",
            "tsplit",
            "--prefix",
            "warm",
            "--count",
            "8",
            "--start-index",
            &s,
            "--quiet",
        ])
        .assert_ok();
        start += 8;
    }
    b.cpp(&["produce", "--topic", "tsplit", "--count", "200", "--quiet"])
        .assert_ok();
    let r1 = c1.join();
    let r2 = c2.join();
    let (a, bb) = (ids(&r1), ids(&r2));
    assert!(
        !a.is_empty() && !bb.is_empty(),
        "both members consume:\n{r1}\n{r2}"
    );
    assert!(a.is_disjoint(&bb), "a message went to both members");
    assert_eq!(
        a.len() + bb.len(),
        200,
        "together they receive each message once:\n{r1}\n{r2}"
    );
    assert_eq!(r1.n("duplicates") + r2.n("duplicates"), 0);

    // Broadcasting: each instance receives all.
    let bargs = |inst: &'static str| {
        vec![
            "consume",
            "--topic",
            "tbcast",
            "--group",
            "gbcast",
            "--broadcast",
            "--instance",
            inst,
            "--expect",
            "100",
            "--timeout",
            "60",
        ]
    };
    let c1 = b.cpp_spawn(&bargs("one"));
    let c2 = b.cpp_spawn(&bargs("two"));
    assert!(c1.wait_ready(READY) && c2.wait_ready(READY));
    b.cpp(&["produce", "--topic", "tbcast", "--count", "100", "--quiet"])
        .assert_ok();
    let r1 = c1.join();
    let r2 = c2.join();
    r1.assert_ok();
    r2.assert_ok();
    assert_eq!(ids(&r1), ids(&r2));
}

#[test]
fn orderly_send_keeps_per_shard_order_for_an_orderly_consumer() {
    let b = BrokerProcess::start();
    b.create_topic("tord", 4);
    let consumer = b.cpp_spawn(&[
        "consume",
        "--topic",
        "tord",
        "--group",
        "gord",
        "--orderly",
        "--expect",
        "400",
        "--timeout",
        "90",
    ]);
    assert!(consumer.wait_ready(READY));
    b.cpp(&[
        "produce",
        "--topic",
        "tord",
        "--count",
        "400",
        "--orderly",
        "--shards",
        "4",
        "--quiet",
    ])
    .assert_ok();
    let r = consumer.join();
    r.assert_ok();
    assert_eq!(r.n("received"), 400);
    assert_eq!(r.n("order_violations"), 0);
}

#[test]
fn oneway_100_are_all_stored_and_pulled() {
    let b = BrokerProcess::start();
    b.cpp(&[
        "produce",
        "--topic",
        "tone",
        "--count",
        "100",
        "--oneway",
        "--shutdown-delay",
        "2",
    ])
    .assert_ok();
    let pulled = b.cpp(&[
        "pull",
        "--topic",
        "tone",
        "--group",
        "gpull",
        "--expect",
        "100",
        "--timeout",
        "60",
    ]);
    pulled.assert_ok();
    assert_eq!(pulled.n("received"), 100);
}

#[test]
fn tag_filter_and_large_compressed_body() {
    let b = BrokerProcess::start();
    b.create_topic("ttag", 4);
    b.create_topic("tbig", 4);
    let consumer = b.cpp_spawn(&[
        "consume",
        "--topic",
        "ttag",
        "--group",
        "gtag",
        "--tag",
        "TagA||TagB",
        "--produced-tags",
        "TagA,TagB,TagC",
        "--expect",
        "90",
        "--timeout",
        "60",
        "--linger",
        "2",
    ]);
    assert!(consumer.wait_ready(READY));
    b.cpp(&[
        "produce",
        "--topic",
        "ttag",
        "--count",
        "90",
        "--tags",
        "TagA,TagB,TagC",
        "--quiet",
    ])
    .assert_ok();
    let r = consumer.join();
    r.assert_ok();
    assert_eq!(r.n("received"), 60, "only TagA and TagB");
    assert_eq!(r.n("total"), 60, "TagC never delivered");

    let consumer = b.cpp_spawn(&[
        "consume",
        "--topic",
        "tbig",
        "--group",
        "gbig",
        "--expect",
        "3",
        "--timeout",
        "60",
    ]);
    assert!(consumer.wait_ready(READY));
    b.cpp(&[
        "produce", "--topic", "tbig", "--count", "3", "--size", "102400",
    ])
    .assert_ok();
    consumer.join().assert_ok();
}

#[test]
fn delay_level_2_is_delivered_no_earlier_than_5s() {
    let b = BrokerProcess::start();
    b.create_topic("tdelay", 4);
    let consumer = b.cpp_spawn(&[
        "consume",
        "--topic",
        "tdelay",
        "--group",
        "gdelay",
        "--expect",
        "10",
        "--timeout",
        "60",
    ]);
    assert!(consumer.wait_ready(READY));
    b.cpp(&[
        "produce",
        "--topic",
        "tdelay",
        "--count",
        "10",
        "--delay-level",
        "2",
        "--quiet",
    ])
    .assert_ok();
    let r = consumer.join();
    r.assert_ok();
    assert!(r.i("min_delay_ms") >= 5000, "delivered too early:\n{r}");
    assert!(r.i("max_delay_ms") < 20_000, "delivered far too late:\n{r}");
}

#[test]
fn restart_keeps_messages_and_consumer_offsets() {
    let mut b = BrokerProcess::start();
    b.cpp(&["produce", "--topic", "trst", "--count", "50", "--quiet"])
        .assert_ok();
    b.cpp(&[
        "consume",
        "--topic",
        "trst",
        "--group",
        "grst",
        "--expect",
        "50",
        "--timeout",
        "60",
    ])
    .assert_ok();
    assert!(b.stop().success(), "graceful stop exits 0");
    b.restart();
    // Messages survived: a pull from offset 0 reads all 50.
    b.cpp(&[
        "pull",
        "--topic",
        "trst",
        "--group",
        "grst-pull",
        "--expect",
        "50",
        "--timeout",
        "60",
    ])
    .assert_ok();
    // Offsets survived: the group gets only the new messages.
    b.cpp(&[
        "produce", "--topic", "trst", "--prefix", "after", "--count", "10", "--quiet",
    ])
    .assert_ok();
    let r = b.cpp(&[
        "consume",
        "--topic",
        "trst",
        "--group",
        "grst",
        "--prefix",
        "after",
        "--expect",
        "10",
        "--timeout",
        "60",
        "--linger",
        "2",
    ]);
    r.assert_ok();
    assert_eq!(
        r.n("unexpected"),
        0,
        "messages before the committed offset were consumed again:\n{r}"
    );
}

#[test]
fn sync_flush_kill9_loses_no_acknowledged_message() {
    let mut b =
        BrokerProcess::start_with("flushDiskType=SYNC_FLUSH\nmappedFileSizeCommitLog=1048576");
    let producer = b.cpp_spawn(&[
        "produce",
        "--topic",
        "tkill",
        "--count",
        "100000",
        "--size",
        "512",
        "--send-timeout-ms",
        "1000",
    ]);
    assert!(
        producer
            .wait_line(Duration::from_secs(60), |v| v["index"]
                .as_u64()
                .is_some_and(|i| i >= 400))
            .is_some(),
        "producer never got 400 acks"
    );
    b.kill9();
    producer.terminate();
    let produced = producer.join();
    let acked = acked_ids(&produced);
    let max_index = produced
        .records("msg_id")
        .filter(|r| r["status"] == "SEND_OK")
        .filter_map(|r| r["index"].as_u64())
        .max()
        .expect("some sends were acked");
    assert!(acked.len() >= 400);
    b.restart();
    let expect = (max_index + 1).to_string();
    let pulled = b.cpp(&[
        "pull",
        "--topic",
        "tkill",
        "--group",
        "gkill",
        "--expect",
        &expect,
        "--timeout",
        "60",
    ]);
    let got = ids(&pulled);
    let missing: Vec<_> = acked.difference(&got).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged messages lost: {:?}\n{pulled}",
        missing.len(),
        missing.iter().take(5).collect::<Vec<_>>()
    );
}

/// The last commit-log segment file and the end of its data.
fn last_segment(store: &std::path::Path) -> (std::path::PathBuf, u64) {
    let mut files: Vec<_> = std::fs::read_dir(store.join("commitlog"))
        .expect("commitlog dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let path = files.pop().expect("a segment");
    let mut data = Vec::new();
    std::fs::File::open(&path)
        .unwrap()
        .read_to_end(&mut data)
        .unwrap();
    let end = data
        .iter()
        .rposition(|b| *b != 0)
        .map_or(0, |p| p as u64 + 1);
    (path, end)
}

#[test]
fn torn_and_garbage_tails_are_truncated_on_recovery() {
    let mut b = BrokerProcess::start_with("mappedFileSizeCommitLog=1048576");
    b.cpp(&["produce", "--topic", "ttorn", "--count", "100", "--quiet"])
        .assert_ok();
    assert!(b.stop().success());
    let (seg, end) = last_segment(&b.store_dir());
    {
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&seg)
            .unwrap();
        // A torn record: the first record's first half, then garbage.
        let mut first = vec![0u8; 120];
        f.seek(SeekFrom::Start(0)).unwrap();
        f.read_exact(&mut first).unwrap();
        f.seek(SeekFrom::Start(end)).unwrap();
        f.write_all(&first[..60]).unwrap();
        f.write_all(&[0xAB; 300]).unwrap();
        f.sync_all().unwrap();
    }
    b.restart();
    b.cpp(&[
        "pull",
        "--topic",
        "ttorn",
        "--group",
        "gtorn",
        "--expect",
        "100",
        "--timeout",
        "60",
    ])
    .assert_ok();
    // Appends continue after the truncated tail.
    b.cpp(&[
        "produce", "--topic", "ttorn", "--prefix", "after", "--count", "20", "--quiet",
    ])
    .assert_ok();
    let r = b.cpp(&[
        "pull",
        "--topic",
        "ttorn",
        "--group",
        "gtorn2",
        "--prefix",
        "after",
        "--expect",
        "20",
        "--timeout",
        "60",
    ]);
    r.assert_ok();
    assert!(b
        .wait_for_log("listening on", Duration::from_secs(1))
        .is_some());
}

#[test]
fn garbage_on_one_connection_does_not_disturb_other_clients() {
    let b = BrokerProcess::start();
    let mut s = std::net::TcpStream::connect(b.broker_addr()).unwrap();
    s.write_all(&[0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4]).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        s.read(&mut buf).unwrap_or(0),
        0,
        "the bad connection is closed"
    );
    b.cpp(&["produce", "--topic", "tgarb", "--count", "10", "--quiet"])
        .assert_ok();
    b.cpp(&[
        "pull",
        "--topic",
        "tgarb",
        "--group",
        "ggarb",
        "--expect",
        "10",
        "--timeout",
        "60",
    ])
    .assert_ok();
}
