//! Message store: SYNC_FLUSH group commit with concurrent writers, and retention.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rmq_broker::store::{
    FlushDiskType, GetMessageStatus, MessageInner, MessageStore, PutMessageStatus, StoreConfig,
    StoreOptions,
};
use rmq_core::protocol::message::encode_properties;

fn config(dir: &Path, seg: u64, flush: FlushDiskType) -> StoreConfig {
    StoreConfig {
        store_path_root_dir: dir.to_path_buf(),
        mapped_file_size_commit_log: seg,
        mapped_file_size_consume_queue: 20 * 10,
        flush_disk_type: flush,
        delete_when: String::new(),
        ..Default::default()
    }
}

fn opts() -> StoreOptions {
    StoreOptions {
        max_hash_slot_num: 64,
        max_index_num: 4096,
        ..Default::default()
    }
}

#[tokio::test]
async fn sync_flush_put_returns_ok() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open_with(
        config(dir.path(), 1 << 20, FlushDiskType::SyncFlush),
        opts(),
    )
    .unwrap();
    for i in 0..20u8 {
        let r = store
            .put_message(MessageInner::new("Sync", 0, vec![i; 1024]))
            .await;
        assert_eq!(r.status, PutMessageStatus::PutOk, "{r:?}");
    }
    let mut no_wait = MessageInner::new("Sync", 0, vec![1; 10]);
    no_wait.properties = encode_properties([("WAIT", "false")]);
    assert_eq!(
        store.put_message(no_wait).await.status,
        PutMessageStatus::PutOk
    );
    store.flush().unwrap();
    assert_eq!(store.max_offset_in_queue("Sync", 0), 21);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_sync_writers_all_complete() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        MessageStore::open_with(
            config(dir.path(), 1 << 20, FlushDiskType::SyncFlush),
            opts(),
        )
        .unwrap(),
    );
    let mut tasks = Vec::new();
    for w in 0..16u8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut offsets = Vec::new();
            for i in 0..40u8 {
                let r = store
                    .put_message(MessageInner::new(
                        "Many",
                        i32::from(w % 4),
                        vec![w ^ i; 300],
                    ))
                    .await;
                assert_eq!(r.status, PutMessageStatus::PutOk, "{r:?}");
                offsets.push(r.messages[0].physical_offset);
            }
            offsets
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 640);
    let total: i64 = (0..4).map(|q| store.max_offset_in_queue("Many", q)).sum();
    assert_eq!(total, 640);
    let r = store.get_message("Many", 2, 0, 1000, usize::MAX, &|_| true);
    assert_eq!(r.messages.len(), 160);
    assert_eq!(r.queue_offsets, (0..160).collect::<Vec<i64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_never_see_half_written_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        MessageStore::open_with(
            config(dir.path(), 64 << 10, FlushDiskType::AsyncFlush),
            opts(),
        )
        .unwrap(),
    );
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            let (mut offset, mut seen) = (0i64, 0usize);
            loop {
                let finished = done.load(std::sync::atomic::Ordering::Acquire);
                let r = store.get_message("Live", 0, offset, 64, usize::MAX, &|_| true);
                for (rec, qo) in r.messages.iter().zip(&r.queue_offsets) {
                    let v = rmq_core::protocol::message::decode_record(rec, true).unwrap();
                    assert_eq!(v.queue_offset, *qo);
                    assert_eq!(v.body.len(), 100 + (*qo as usize % 50));
                    seen += 1;
                }
                if r.status == GetMessageStatus::Found {
                    offset = r.next_begin_offset;
                } else if finished {
                    return seen;
                }
            }
        })
    };
    for i in 0..3000usize {
        let body = vec![(i % 256) as u8; 100 + i % 50];
        assert!(store
            .put_message(MessageInner::new("Live", 0, body))
            .await
            .is_stored());
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    assert_eq!(reader.join().unwrap(), 3000);
}

fn set_mtime(path: &Path, when: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

#[tokio::test]
async fn retention_deletes_old_segments_and_moves_min_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        MessageStore::open_with(config(dir.path(), 4096, FlushDiskType::AsyncFlush), opts())
            .unwrap();
    for i in 0..120u32 {
        let mut m = MessageInner::new("Old", 0, vec![i as u8; 200]);
        m.properties = encode_properties([("KEYS", format!("k{i}").as_str())]);
        assert!(store.put_message(m).await.is_stored());
    }
    // Segments up to the write position (a spare segment prepared ahead may exist too).
    let segments: Vec<_> = (0..=(store.commit_log_max_offset() as u64 - 1) / 4096)
        .map(|i| {
            dir.path()
                .join("commitlog")
                .join(format!("{:020}", i * 4096))
        })
        .collect();
    assert!(segments.len() >= 6, "{segments:?}");
    let now = SystemTime::now();
    let old = now - Duration::from_secs(100 * 3600);
    for p in &segments[..3] {
        set_mtime(p, old);
    }
    let now_ms = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert_eq!(
        store.delete_expired_files(now_ms, false),
        0,
        "not the deleteWhen hour and disk not full"
    );
    assert_eq!(
        store.delete_expired_files(now_ms, true),
        3,
        "only expired segments"
    );
    assert!(!segments[0].exists() && !segments[2].exists() && segments[3].exists());
    let clog_min = store.commit_log_min_offset();
    assert_eq!(clog_min, 3 * 4096);
    let min = store.min_offset_in_queue("Old", 0);
    assert!(min > 0);
    let r = store.get_message("Old", 0, 0, 32, usize::MAX, &|_| true);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetTooSmall, min)
    );
    let r = store.get_message("Old", 0, min, 1, usize::MAX, &|_| true);
    assert_eq!(r.status, GetMessageStatus::Found);
    let first = rmq_core::protocol::message::decode_record(&r.messages[0], true).unwrap();
    assert!(first.physical_offset >= clog_min && first.physical_offset < clog_min + 300);
    assert!(
        store.query_message("Old", "k0", 10, 0, i64::MAX).is_empty(),
        "its record is gone"
    );
    assert_eq!(
        store.earliest_message_time("Old", 0),
        Some(first.store_timestamp)
    );

    // Everything expired: all but the segment being written go.
    for p in &segments[3..] {
        set_mtime(p, old);
    }
    let left = segments.len() - 3;
    assert_eq!(store.delete_expired_files(now_ms, true), left - 1);
    assert!(store.commit_log_min_offset() <= store.commit_log_max_offset());
    let r = store
        .put_message(MessageInner::new("Old", 0, vec![1; 10]))
        .await;
    assert_eq!(r.status, PutMessageStatus::PutOk);
    store.shutdown();
    drop(store);
    let store =
        MessageStore::open_with(config(dir.path(), 4096, FlushDiskType::AsyncFlush), opts())
            .unwrap();
    assert_eq!(store.max_offset_in_queue("Old", 0), 121);
    let min = store.min_offset_in_queue("Old", 0);
    let r = store.get_message("Old", 0, min, 100, usize::MAX, &|_| true);
    assert_eq!(r.status, GetMessageStatus::Found);
    assert_eq!(*r.queue_offsets.last().unwrap(), 120);
}

/// Overwrites consume-queue entry `n` of `topic`/0 in place (files of 10 entries).
fn poke_cq_entry(dir: &Path, topic: &str, n: u64, phy: Option<i64>, size: Option<i32>) {
    use std::os::unix::fs::FileExt;
    let path = dir
        .join("consumequeue")
        .join(topic)
        .join("0")
        .join(format!("{:020}", n / 10 * 200));
    let f = std::fs::File::options().write(true).open(path).unwrap();
    let at = n % 10 * 20;
    if let Some(phy) = phy {
        f.write_all_at(&phy.to_be_bytes(), at).unwrap();
    }
    if let Some(size) = size {
        f.write_all_at(&size.to_be_bytes(), at + 8).unwrap();
    }
}

#[tokio::test]
async fn unreadable_entries_report_found_null_and_removing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 4096, FlushDiskType::AsyncFlush);
    let store = MessageStore::open_with(cfg, opts()).unwrap();
    let mut sizes = Vec::new();
    for i in 0..60u8 {
        let mut m = MessageInner::new("Odd", 0, vec![i; 200]);
        if i == 55 {
            m.properties = encode_properties([("TAGS", "X")]);
        }
        sizes.push(store.put_message(m).await.messages[0].size);
    }
    let x = rmq_core::protocol::message::tags_hash_code("X");
    // The consume queue is mapped shared, so writing the file changes what readers see.
    poke_cq_entry(dir.path(), "Odd", 55, None, Some(sizes[55] + 1));
    let r = store.get_message("Odd", 0, 50, 32, usize::MAX, &|c| c == x);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetFoundNull, 60)
    );

    let first = dir.path().join("commitlog").join(format!("{:020}", 0));
    set_mtime(&first, SystemTime::now() - Duration::from_secs(100 * 3600));
    assert_eq!(
        store.delete_expired_files(0, true),
        0,
        "now_ms 0: nothing is old yet"
    );
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert_eq!(store.delete_expired_files(now_ms, true), 1);
    poke_cq_entry(dir.path(), "Odd", 58, Some(0), None);
    let r = store.get_message("Odd", 0, 58, 1, usize::MAX, &|_| true);
    assert_eq!(r.queue_offsets, vec![59], "the removed record is skipped");
    let r = store.get_message("Odd", 0, 58, 1, usize::MAX, &|c| c != 0);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::MessageWasRemoving, 60)
    );
}

#[tokio::test]
async fn writes_are_refused_above_the_disk_space_warning_level() {
    // Any disk in use is "fuller than 0", and short of u64::MAX free bytes: the store
    // refuses the write with a remark naming the limit instead of writing into a sparse
    // segment that a full disk could not back.
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open_with(
        StoreConfig {
            disk_space_warning_level_ratio: 0.0,
            ..config(dir.path(), 1 << 20, FlushDiskType::AsyncFlush)
        },
        StoreOptions {
            min_free_bytes: Some(u64::MAX),
            ..opts()
        },
    )
    .unwrap();
    let r = store
        .put_message(MessageInner::new("Full", 0, vec![1; 100]))
        .await;
    assert_eq!(r.status, PutMessageStatus::ServiceNotAvailable, "{r:?}");
    let remark = r.remark.unwrap_or_default();
    assert!(remark.contains("diskSpaceWarningLevelRatio"), "{remark}");
    assert_eq!(store.max_offset_in_queue("Full", 0), 0);
    store.shutdown();

    // With room for two segments left, a full-looking disk still takes writes.
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open_with(
        StoreConfig {
            disk_space_warning_level_ratio: 0.0,
            ..config(dir.path(), 1 << 20, FlushDiskType::AsyncFlush)
        },
        opts(),
    )
    .unwrap();
    let r = store
        .put_message(MessageInner::new("Full", 0, vec![1; 100]))
        .await;
    assert_eq!(r.status, PutMessageStatus::PutOk, "{r:?}");
    store.shutdown();
}
