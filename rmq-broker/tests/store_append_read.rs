//! Message store: appending, reading back, filtering, statuses, transactions, delay topic.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rmq_broker::store::{
    GetMessageStatus, MessageArrivingListener, MessageInner, MessageStore, PutMessageStatus,
    StoreConfig, StoreOptions, SCHEDULE_TOPIC,
};
use rmq_core::protocol::message::{
    decode_record, encode_properties, tags_hash_code, BLANK_MAGIC_CODE,
};

fn tiny_config(dir: &Path) -> StoreConfig {
    StoreConfig {
        store_path_root_dir: dir.to_path_buf(),
        mapped_file_size_commit_log: 4096,
        mapped_file_size_consume_queue: 20 * 10,
        ..Default::default()
    }
}

fn open(dir: &Path) -> MessageStore {
    let opts = StoreOptions {
        max_hash_slot_num: 64,
        max_index_num: 512,
        ..Default::default()
    };
    MessageStore::open_with(tiny_config(dir), opts).unwrap()
}

fn msg(topic: &str, queue_id: i32, body: Vec<u8>, props: &[(&str, &str)]) -> MessageInner {
    let mut m = MessageInner::new(topic, queue_id, body);
    m.properties = encode_properties(props.iter().copied());
    m
}

fn all_tags(_: i64) -> bool {
    true
}

#[tokio::test]
async fn append_and_read_back_across_segment_rollovers() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut sent = Vec::new();
    for i in 0..200usize {
        let body: Vec<u8> = (0..(50 + (i * 37) % 400)).map(|b| (b + i) as u8).collect();
        let uniq = format!("UNIQ{i:04}");
        let r = store
            .put_message(msg(
                "TopicA",
                0,
                body.clone(),
                &[("TAGS", "TagA"), ("UNIQ_KEY", &uniq)],
            ))
            .await;
        assert_eq!(r.status, PutMessageStatus::PutOk, "{r:?}");
        assert_eq!(r.messages[0].queue_offset, i as i64);
        sent.push((body, r.messages[0].clone()));
    }
    for w in sent.windows(2) {
        assert!(w[1].1.physical_offset >= w[0].1.physical_offset + i64::from(w[0].1.size));
    }
    let segments = std::fs::read_dir(dir.path().join("commitlog"))
        .unwrap()
        .count();
    assert!(segments > 10, "only {segments} segments");
    let cq_files = std::fs::read_dir(dir.path().join("consumequeue/TopicA/0"))
        .unwrap()
        .count();
    assert_eq!(cq_files, 20);
    assert_eq!(store.max_offset_in_queue("TopicA", 0), 200);
    assert_eq!(store.min_offset_in_queue("TopicA", 0), 0);

    let mut offset = 0;
    let mut got = Vec::new();
    loop {
        let r = store.get_message("TopicA", 0, offset, 32, usize::MAX, &all_tags);
        if r.status != GetMessageStatus::Found {
            assert_eq!(r.status, GetMessageStatus::OffsetOverflowOne);
            break;
        }
        assert_eq!(r.messages.len(), r.queue_offsets.len());
        offset = r.next_begin_offset;
        got.extend(r.messages);
    }
    assert_eq!(got.len(), 200);
    for (i, (rec, (body, app))) in got.iter().zip(&sent).enumerate() {
        let v = decode_record(rec, true).unwrap();
        assert_eq!(v.body, &body[..]);
        assert_eq!(v.topic, "TopicA");
        assert_eq!(v.queue_offset, i as i64);
        assert_eq!(v.physical_offset, app.physical_offset);
        assert_eq!(v.store_timestamp, app.store_timestamp);
        assert_eq!(v.store_host, store.config().store_host);
        assert_eq!(rec.len(), app.size as usize);
        assert_eq!(
            store.look_message_by_offset(app.physical_offset).as_ref(),
            Some(rec)
        );
        assert_eq!(app.offset_msg_id.len(), 32);
    }
    // Segments padded with a BLANK record, which is never returned.
    let seg0 = std::fs::read(dir.path().join("commitlog/00000000000000000000")).unwrap();
    let last = &sent
        .iter()
        .take_while(|(_, a)| a.physical_offset < 4096)
        .last()
        .unwrap()
        .1;
    let blank_at = (last.physical_offset + i64::from(last.size)) as usize;
    assert_eq!(
        &seg0[blank_at + 4..blank_at + 8],
        &BLANK_MAGIC_CODE.to_be_bytes()
    );
    assert_eq!(store.look_message_by_offset(blank_at as i64), None);
    store.shutdown();
}

#[tokio::test]
async fn batch_append_has_consecutive_queue_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    for _ in 0..3 {
        store.put_message(msg("B", 1, vec![1; 100], &[])).await;
    }
    let batch: Vec<_> = (0..5)
        .map(|i| msg("B", 1, vec![i; 120], &[("UNIQ_KEY", &format!("K{i}"))]))
        .collect();
    let r = store.put_messages(batch).await;
    assert_eq!(r.status, PutMessageStatus::PutOk);
    let qoffs: Vec<i64> = r.messages.iter().map(|m| m.queue_offset).collect();
    assert_eq!(qoffs, vec![3, 4, 5, 6, 7]);
    for w in r.messages.windows(2) {
        assert_eq!(
            w[1].physical_offset,
            w[0].physical_offset + i64::from(w[0].size),
            "contiguous"
        );
    }
    let got = store.get_message("B", 1, 3, 32, usize::MAX, &all_tags);
    assert_eq!(got.queue_offsets, vec![3, 4, 5, 6, 7]);

    let mixed = vec![msg("B", 1, vec![1], &[]), msg("B", 2, vec![1], &[])];
    assert_eq!(
        store.put_messages(mixed).await.status,
        PutMessageStatus::MessageIllegal
    );
    assert_eq!(
        store.put_messages(Vec::new()).await.status,
        PutMessageStatus::MessageIllegal
    );
    assert_eq!(
        store.put_message(msg("../x", 0, vec![1], &[])).await.status,
        PutMessageStatus::MessageIllegal
    );
    assert_eq!(
        store
            .put_message(msg("B", 1, vec![0; 5000], &[]))
            .await
            .status,
        PutMessageStatus::MessageIllegal
    );
    let long_props = "x".repeat(40_000);
    let mut m = msg("B", 1, vec![1], &[]);
    m.properties = long_props;
    assert_eq!(
        store.put_message(m).await.status,
        PutMessageStatus::PropertiesSizeExceeded
    );
    assert_eq!(store.max_offset_in_queue("B", 1), 8);
    assert_eq!(store.queue_ids("B"), vec![1]);
}

#[tokio::test]
async fn tag_filter_uses_tags_code() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    for i in 0..10 {
        let tag = if i % 2 == 0 { "TagA" } else { "TagB" };
        store
            .put_message(msg("F", 0, vec![i; 10], &[("TAGS", tag)]))
            .await;
    }
    store.put_message(msg("F", 0, vec![99; 10], &[])).await;
    let a = tags_hash_code("TagA");
    let r = store.get_message("F", 0, 0, 3, usize::MAX, &|code| code == a);
    assert_eq!(r.status, GetMessageStatus::Found);
    assert_eq!(r.queue_offsets, vec![0, 2, 4]);
    assert_eq!(r.next_begin_offset, 5);
    let r = store.get_message("F", 0, 9, 32, usize::MAX, &|code| code == a);
    assert_eq!(r.status, GetMessageStatus::NoMatchedMessage);
    assert_eq!(r.next_begin_offset, 11, "past the scanned range");
    let r = store.get_message("F", 0, 10, 32, usize::MAX, &|code| code == 0);
    assert_eq!(r.queue_offsets, vec![10], "no tag means tags code 0");
}

#[tokio::test]
async fn get_message_statuses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("consumequeue/Empty/0")).unwrap();
    let store = open(dir.path());
    let r = store.get_message("Nope", 0, 0, 32, usize::MAX, &all_tags);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::NoMatchedLogicQueue, 0)
    );
    let r = store.get_message("Empty", 0, 5, 32, usize::MAX, &all_tags);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::NoMessageInQueue, 0)
    );
    for i in 0..4 {
        store.put_message(msg("S", 0, vec![i; 100], &[])).await;
    }
    let r = store.get_message("S", 0, 4, 32, usize::MAX, &all_tags);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetOverflowOne, 4)
    );
    let r = store.get_message("S", 0, 9, 32, usize::MAX, &all_tags);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetOverflowBadly, 0),
        "min is 0"
    );
    let r = store.get_message("S", 0, 1, 2, usize::MAX, &all_tags);
    assert_eq!(
        (r.status, r.next_begin_offset, r.queue_offsets.clone()),
        (GetMessageStatus::Found, 3, vec![1, 2])
    );
    assert_eq!((r.min_offset, r.max_offset), (0, 4));
    let one = r.messages[0].len();
    let r = store.get_message("S", 0, 0, 32, 2 * one + 10, &all_tags);
    assert_eq!(
        (r.queue_offsets.clone(), r.next_begin_offset),
        (vec![0, 1], 2),
        "stops before exceeding the byte limit"
    );
    let r = store.get_message("S", 0, 0, 32, 1, &all_tags);
    assert_eq!(r.queue_offsets, vec![0], "at least one message");
}

#[tokio::test]
async fn prepared_and_rollback_records_are_not_dispatched() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .put_message(msg("TX", 0, b"normal".to_vec(), &[]))
        .await;
    let mut half = msg("TX", 0, b"half".to_vec(), &[("UNIQ_KEY", "HALF1")]);
    half.sys_flag = 0x4;
    let r = store.put_message(half).await;
    assert_eq!(r.status, PutMessageStatus::PutOk);
    assert_eq!(r.messages[0].queue_offset, 0);
    let mut rollback = msg("TX", 0, b"rb".to_vec(), &[]);
    rollback.sys_flag = 0xC;
    assert_eq!(
        store.put_message(rollback).await.messages[0].queue_offset,
        0
    );
    let mut commit = msg("TX", 0, b"commit".to_vec(), &[]);
    commit.sys_flag = 0x8;
    assert_eq!(store.put_message(commit).await.messages[0].queue_offset, 1);
    assert_eq!(store.max_offset_in_queue("TX", 0), 2);
    let rec = store
        .look_message_by_offset(r.messages[0].physical_offset)
        .unwrap();
    assert_eq!(decode_record(&rec, true).unwrap().body, b"half");
    assert_eq!(
        store.query_message("TX", "HALF1", 10, 0, i64::MAX).len(),
        1,
        "half messages are indexed"
    );
}

#[tokio::test]
async fn delay_topic_tags_code_is_delivery_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let r3 = store
        .put_message(msg(
            SCHEDULE_TOPIC,
            2,
            vec![1],
            &[("DELAY", "3"), ("TAGS", "ignored")],
        ))
        .await;
    let r99 = store
        .put_message(msg(SCHEDULE_TOPIC, 2, vec![1], &[("DELAY", "99")]))
        .await;
    let codes = Mutex::new(Vec::new());
    let r = store.get_message(SCHEDULE_TOPIC, 2, 0, 32, usize::MAX, &|c| {
        codes.lock().unwrap().push(c);
        true
    });
    assert_eq!(r.messages.len(), 2);
    let codes = codes.into_inner().unwrap();
    assert_eq!(codes[0], r3.messages[0].store_timestamp + 10_000);
    assert_eq!(
        codes[1],
        r99.messages[0].store_timestamp + 2 * 3_600_000,
        "level clamps to 18 (2h)"
    );
}

#[derive(Default)]
struct Recorder(Mutex<Vec<(String, i32, i64, i64)>>);

impl MessageArrivingListener for Recorder {
    fn arriving(&self, topic: &str, queue_id: i32, queue_offset: i64, tags_code: i64) {
        self.0
            .lock()
            .unwrap()
            .push((topic.to_owned(), queue_id, queue_offset, tags_code));
    }
}

#[tokio::test]
async fn listener_and_time_lookups() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let rec = Arc::new(Recorder::default());
    store.set_arriving_listener(rec.clone());
    let mut times = Vec::new();
    for i in 0..5 {
        let r = store
            .put_message(msg("L", 3, vec![i; 10], &[("TAGS", "T")]))
            .await;
        times.push(r.messages[0].store_timestamp);
    }
    let seen = rec.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[4], ("L".to_owned(), 3, 4, tags_hash_code("T")));
    assert_eq!(store.store_time_of("L", 3, 2), Some(times[2]));
    assert_eq!(store.earliest_message_time("L", 3), Some(times[0]));
    assert_eq!(store.offset_in_queue_by_time("L", 3, 0), 0);
    assert_eq!(store.offset_in_queue_by_time("L", 3, times[4] + 1), 5);
    let at = store.offset_in_queue_by_time("L", 3, times[3]);
    assert!(at <= 3 && times[at as usize] >= times[3]);
    assert_eq!(store.store_time_of("L", 3, 7), None);
    assert!(store.disk_used_ratio() > 0.0);
    store.delete_topic("L");
    assert_eq!(store.max_offset_in_queue("L", 3), 0);
    assert!(store.queue_ids("L").is_empty());
    assert!(!dir.path().join("consumequeue/L").exists());
}
