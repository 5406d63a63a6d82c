//! The Java producer's send modes into rmq-broker, read back by the Java consumer (msg ids,
//! offset msg ids, queues, offsets, tags, keys, user properties compared end to end).

use std::collections::BTreeSet;

use crate::{argv, broker, java, records_by_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_sends_keep_ids_tags_keys_and_properties() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    let sent = java(argv(&[
        "produce",
        "--namesrv",
        &ns,
        "--topic",
        "jc-sync",
        "--count",
        "20",
        "--prefix",
        "s",
        "--tags",
        "TagA,TagB",
        "--keys",
        "--props",
        "orderId=42,city=Zürich",
    ]))
    .await;
    sent.assert_ok();
    let run = java(argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "jc-sync",
        "--group",
        "jc-sync-c",
        "--prefix",
        "s",
        "--expect",
        "20",
        "--verbose",
        "--from-first",
    ]))
    .await;
    run.assert_ok();
    let got = records_by_id(&run);
    assert_eq!(got.len(), 20);
    for rec in sent.records("msg_id") {
        let id = rec["msg_id"].as_str().unwrap();
        let index = rec["index"].as_u64().unwrap();
        let seen = got
            .get(id)
            .unwrap_or_else(|| panic!("{id} not consumed: {rec}"));
        assert_eq!(seen["index"], index);
        assert_eq!(seen["offset_msg_id"], rec["offset_msg_id"], "{seen}");
        assert_eq!(seen["queue_id"], rec["queue_id"], "{seen}");
        assert_eq!(seen["queue_offset"], rec["queue_offset"], "{seen}");
        assert_eq!(seen["tag"], if index % 2 == 0 { "TagA" } else { "TagB" });
        assert_eq!(seen["keys"], format!("s-key-{index}"));
        assert_eq!(seen["properties"]["orderId"], "42");
        assert_eq!(seen["properties"]["city"], "Zürich");
        assert_eq!(seen["uniq_key"], id);
        assert_eq!(rec["broker"], "broker-a");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_oneway_batch_orderly_and_delay_sends() {
    let b = broker().await;
    let ns = b.namesrv_addr();
    b.create_topic("jc-modes", 4);
    let mut ids = BTreeSet::new();
    for (mode, start, extra) in [
        ("async", "0", &[][..]),
        ("oneway", "10", &[][..]),
        ("batch", "20", &["--batch", "8"][..]),
    ] {
        let mut args = argv(&[
            "produce",
            "--namesrv",
            &ns,
            "--topic",
            "jc-modes",
            "--mode",
            mode,
            "--count",
            "10",
            "--start-index",
            start,
            "--prefix",
            "m",
        ]);
        args.extend(argv(extra));
        let run = java(args).await;
        run.assert_ok();
        ids.extend(run.sent_msg_ids());
    }
    assert_eq!(ids.len(), 20, "async and batch sends report their msg ids");
    let run = java(argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "jc-modes",
        "--group",
        "jc-modes-c",
        "--prefix",
        "m",
        "--expect",
        "30",
        "--verbose",
        "--from-first",
    ]))
    .await;
    run.assert_ok();
    let got: BTreeSet<String> = records_by_id(&run).into_keys().collect();
    // rmq-broker keeps each batch entry's own UNIQ_KEY (the Java broker shows the request's).
    assert!(
        ids.is_subset(&got),
        "missing: {:?}",
        ids.difference(&got).collect::<Vec<_>>()
    );

    // Orderly: 3 shards through a selector, consumed by the orderly listener in order.
    let run = java(argv(&[
        "produce",
        "--namesrv",
        &ns,
        "--topic",
        "jc-order",
        "--mode",
        "orderly",
        "--shards",
        "3",
        "--count",
        "60",
        "--prefix",
        "o",
        "--quiet",
    ]))
    .await;
    run.assert_ok();
    let run = java(argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "jc-order",
        "--group",
        "jc-order-c",
        "--prefix",
        "o",
        "--expect",
        "60",
        "--orderly",
        "--verbose",
        "--from-first",
    ]))
    .await;
    run.assert_ok();
    assert_eq!(run.n("order_violations"), 0);
    for r in run.records("recv") {
        assert_eq!(
            r["queue_id"].as_u64().unwrap(),
            r["index"].as_u64().unwrap() % 3,
            "{r}"
        );
    }

    // Delay level 2 = 2 s on this broker.
    let run = java(argv(&[
        "produce",
        "--namesrv",
        &ns,
        "--topic",
        "jc-delay",
        "--count",
        "3",
        "--prefix",
        "d",
        "--delay-level",
        "2",
    ]))
    .await;
    run.assert_ok();
    let run = java(argv(&[
        "consume",
        "--namesrv",
        &ns,
        "--topic",
        "jc-delay",
        "--group",
        "jc-delay-c",
        "--prefix",
        "d",
        "--expect",
        "3",
        "--from-first",
        "--verbose",
    ]))
    .await;
    run.assert_ok();
    assert!(
        run.i("min_delay_ms") >= 1_900,
        "delivered after {} ms",
        run.i("min_delay_ms")
    );
    for r in run.records("recv") {
        assert_eq!(r["topic"], "jc-delay", "the real topic is restored: {r}");
    }
}
