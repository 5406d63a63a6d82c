//! Message store: reopen after a clean shutdown, crash recovery with torn tails, consume queue
//! and index rebuilds.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rmq_broker::store::{
    GetMessageStatus, MessageInner, MessageStore, PutMessageStatus, StoreConfig, StoreOptions,
};
use rmq_core::protocol::message::{decode_record, encode_properties};

const SEG: u64 = 4096;

fn open(dir: &Path) -> MessageStore {
    let config = StoreConfig {
        store_path_root_dir: dir.to_path_buf(),
        mapped_file_size_commit_log: SEG,
        mapped_file_size_consume_queue: 20 * 10,
        ..Default::default()
    };
    // A long housekeeping interval keeps the checkpoint where open() left it.
    let opts = StoreOptions {
        max_hash_slot_num: 64,
        max_index_num: 512,
        flush_interval_consume_queue_ms: 3_600_000,
        ..Default::default()
    };
    MessageStore::open_with(config, opts).unwrap()
}

fn msg(topic: &str, queue_id: i32, i: usize) -> MessageInner {
    let mut m = MessageInner::new(topic, queue_id, vec![i as u8; 60 + i % 200]);
    let keys = format!("key{i} shared");
    m.properties = encode_properties([
        ("UNIQ_KEY", format!("U{i:05}").as_str()),
        ("KEYS", keys.as_str()),
    ]);
    m
}

async fn fill(store: &MessageStore, n: usize) -> Vec<i64> {
    let mut phys = Vec::new();
    for i in 0..n {
        let r = store.put_message(msg("R", (i % 2) as i32, i)).await;
        assert_eq!(r.status, PutMessageStatus::PutOk);
        phys.push(r.messages[0].physical_offset);
    }
    phys
}

/// Every message of queues R/0 and R/1, in queue order, as (queue id, body first byte).
fn read_all(store: &MessageStore) -> Vec<(i32, i64, u8)> {
    let mut out = Vec::new();
    for q in 0..2 {
        let mut off = store.min_offset_in_queue("R", q);
        loop {
            let r = store.get_message("R", q, off, 16, usize::MAX, &|_| true);
            if r.status != GetMessageStatus::Found {
                break;
            }
            for (rec, qo) in r.messages.iter().zip(&r.queue_offsets) {
                let v = decode_record(rec, true).unwrap();
                out.push((q, *qo, v.body[0]));
            }
            off = r.next_begin_offset;
        }
    }
    out
}

fn segment_path(dir: &Path, offset: u64) -> PathBuf {
    dir.join("commitlog")
        .join(format!("{:020}", offset / SEG * SEG))
}

fn write_at_offset(dir: &Path, offset: u64, bytes: &[u8]) {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(segment_path(dir, offset))
        .unwrap();
    f.write_all_at(bytes, offset % SEG).unwrap();
}

#[tokio::test]
async fn reopen_after_clean_shutdown_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    fill(&store, 60).await;
    let before = read_all(&store);
    let max = store.commit_log_max_offset();
    store.shutdown();
    store.shutdown();
    drop(store);

    let store = open(dir.path());
    assert_eq!(read_all(&store), before);
    assert_eq!(store.commit_log_max_offset(), max);
    assert_eq!(store.max_offset_in_queue("R", 0), 30);
    let r = store.put_message(msg("R", 0, 1000)).await;
    assert_eq!(r.messages[0].queue_offset, 30);
    assert!(
        r.messages[0].physical_offset >= max && r.messages[0].physical_offset < max + SEG as i64
    );
    assert_eq!(store.query_message("R", "key7", 10, 0, i64::MAX).len(), 1);
    assert_eq!(store.query_message("R", "U00042", 10, 0, i64::MAX).len(), 1);
}

#[test]
fn store_directory_is_locked_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let second = MessageStore::open(StoreConfig::new(dir.path()));
    assert!(second.unwrap_err().to_string().contains("in use"));
    drop(store);
    drop(open(dir.path()));
}

async fn crash_then_damage_tail(damage: impl FnOnce(&Path, u64, &[u8])) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    fill(&store, 50).await;
    let before = read_all(&store);
    let max = store.commit_log_max_offset() as u64;
    let first = store.look_message_by_offset(0).unwrap();
    store.crash();
    drop(store);
    damage(dir.path(), max, &first);

    let store = open(dir.path());
    assert_eq!(read_all(&store), before, "every earlier message survives");
    assert_eq!(store.commit_log_max_offset() as u64, max, "the tail is cut");
    let tail = std::fs::read(segment_path(dir.path(), max)).unwrap();
    assert!(
        tail[(max % SEG) as usize..].iter().all(|b| *b == 0),
        "rest of the segment zeroed"
    );
    let r = store.put_message(msg("R", 1, 777)).await;
    assert_eq!(r.messages[0].physical_offset as u64, max);
    assert_eq!(r.messages[0].queue_offset, 25);
    let got = store.get_message("R", 1, 25, 1, usize::MAX, &|_| true);
    assert_eq!(
        decode_record(&got.messages[0], true).unwrap().body[0],
        777usize as u8
    );
}

#[tokio::test]
async fn crash_with_garbage_tail_is_truncated() {
    crash_then_damage_tail(|dir, max, _| write_at_offset(dir, max, &[0xAB; 300])).await;
}

#[tokio::test]
async fn crash_with_torn_half_record_is_truncated() {
    crash_then_damage_tail(|dir, max, rec| write_at_offset(dir, max, &rec[..rec.len() / 2])).await;
}

#[tokio::test]
async fn crash_with_zero_tail_recovers() {
    crash_then_damage_tail(|dir, max, _| write_at_offset(dir, max, &[0; 500])).await;
}

#[tokio::test]
async fn corrupt_last_record_drops_its_consume_queue_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let phys = fill(&store, 21).await;
    store.crash();
    drop(store);
    // Flip a body byte of the last record (queue R/0, offset 10): its CRC no longer matches.
    let last = *phys.last().unwrap() as u64;
    write_at_offset(dir.path(), last + 120, &[0xEE]);

    let store = open(dir.path());
    assert_eq!(store.commit_log_max_offset() as u64, last);
    assert_eq!(store.max_offset_in_queue("R", 0), 10);
    assert_eq!(store.max_offset_in_queue("R", 1), 10);
    let r = store.put_message(msg("R", 0, 5)).await;
    assert_eq!(
        (
            r.messages[0].queue_offset,
            r.messages[0].physical_offset as u64
        ),
        (10, last)
    );
}

#[tokio::test]
async fn consume_queues_are_rebuilt_when_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    fill(&store, 40).await;
    let before = read_all(&store);
    store.shutdown();
    drop(store);
    std::fs::remove_dir_all(dir.path().join("consumequeue")).unwrap();

    let store = open(dir.path());
    assert_eq!(read_all(&store), before);
    assert_eq!(store.queue_ids("R"), vec![0, 1]);
    assert_eq!(store.max_offset_in_queue("R", 1), 20);
}

#[tokio::test]
async fn index_survives_restart_and_is_rebuilt_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    fill(&store, 30).await;
    store.shutdown();
    drop(store);
    let store = open(dir.path());
    let hits = store.query_message("R", "shared", 100, 0, i64::MAX);
    assert_eq!(hits.len(), 30);
    let r = store.put_message(msg("R", 0, 31)).await;
    assert_eq!(r.status, PutMessageStatus::PutOk);
    store.crash();
    drop(store);
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();

    let store = open(dir.path());
    let hit = store.query_message("R", "key31", 10, 0, i64::MAX);
    assert_eq!(hit.len(), 1, "the tail after the checkpoint is re-indexed");
    assert_eq!(
        decode_record(&hit[0], true).unwrap().physical_offset,
        r.messages[0].physical_offset
    );
    assert_eq!(store.query_message("R", "U00031", 10, 0, i64::MAX).len(), 1);
    assert!(store
        .query_message("R", "nokey", 10, 0, i64::MAX)
        .is_empty());
    assert!(store
        .query_message("Other", "key31", 10, 0, i64::MAX)
        .is_empty());
}
