//! Commit-log append throughput: 1 KiB bodies, ASYNC_FLUSH with one writer, SYNC_FLUSH with
//! one writer and with 16 concurrent writers (tokio tasks).
//!
//! Run: `cargo bench -p rmq-broker --bench store_append`. Each iteration appends one message,
//! so criterion's throughput line is messages per second.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rmq_broker::store::{FlushDiskType, MessageInner, MessageStore, PutMessageStatus, StoreConfig};
use rmq_core::protocol::message::{encode_properties, new_uniq_id};

/// Scratch space on the build's filesystem (not a tmpfs `/tmp`), removed afterwards.
fn bench_dir() -> tempfile::TempDir {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).expect("create bench dir");
    tempfile::Builder::new()
        .prefix("store-append-")
        .tempdir_in(base)
        .expect("tempdir")
}

fn open(dir: &tempfile::TempDir, flush: FlushDiskType) -> Arc<MessageStore> {
    let config = StoreConfig {
        store_path_root_dir: dir.path().to_path_buf(),
        mapped_file_size_commit_log: 128 << 20,
        flush_disk_type: flush,
        ..StoreConfig::default()
    };
    Arc::new(MessageStore::open(config).expect("open store"))
}

/// 1 KiB messages with the properties a Java producer sends (distinct UNIQ_KEYs, a tag).
fn messages() -> Vec<MessageInner> {
    let body = Bytes::from(vec![b'x'; 1024]);
    (0..1024)
        .map(|_| {
            let mut m = MessageInner::new("BenchTopic", 0, body.clone());
            let uniq = new_uniq_id();
            m.properties = encode_properties([
                ("UNIQ_KEY", uniq.as_str()),
                ("TAGS", "TagA"),
                ("WAIT", "true"),
            ]);
            m
        })
        .collect()
}

async fn put_n(store: &MessageStore, msgs: &[MessageInner], n: u64) {
    for i in 0..n {
        let r = store
            .put_message(msgs[i as usize % msgs.len()].clone())
            .await;
        assert_eq!(r.status, PutMessageStatus::PutOk);
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let msgs = Arc::new(messages());
    let mut group = c.benchmark_group("store_append_1KiB");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(1));

    for (name, flush) in [
        ("async_flush_1_writer", FlushDiskType::AsyncFlush),
        ("sync_flush_1_writer", FlushDiskType::SyncFlush),
    ] {
        let dir = bench_dir();
        let store = open(&dir, flush);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    put_n(&store, &msgs, iters).await;
                    start.elapsed()
                })
            })
        });
        store.shutdown();
    }

    let dir = bench_dir();
    let store = open(&dir, FlushDiskType::SyncFlush);
    group.bench_function("sync_flush_16_writers", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                let tasks: Vec<_> = (0..16)
                    .map(|w| {
                        let (store, msgs) = (store.clone(), msgs.clone());
                        let n = iters / 16 + u64::from(w < iters % 16);
                        tokio::spawn(async move { put_n(&store, &msgs, n).await })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("writer task");
                }
                start.elapsed()
            })
        })
    });
    store.shutdown();
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
