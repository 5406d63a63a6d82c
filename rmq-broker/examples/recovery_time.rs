//! Measures recovery after a crash: fills a store with ~1 GiB of 1 KiB messages, "crashes" it
//! (no final flush of queues or index, no clean checkpoint), removes the checkpoint so every
//! record must be verified, and times the reopen.
//!
//! ```text
//! cargo run --release -p rmq-broker --example recovery_time -- [DIR] [MESSAGES]
//! ```

use std::time::Instant;

use rmq_broker::store::{MessageInner, MessageStore, StoreConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args.next().map_or_else(
        || std::env::current_dir().expect("cwd").join("target"),
        Into::into,
    );
    let count: usize = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let dir = tempfile::Builder::new()
        .prefix("rmq-recovery-")
        .tempdir_in(base)?;
    let mut cfg = StoreConfig::new(dir.path().join("store"));
    cfg.mapped_file_size_commit_log = 256 * 1024 * 1024;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let store = MessageStore::open(cfg.clone())?;
    let body = bytes::Bytes::from(vec![b'x'; 1024]);
    rt.block_on(async {
        for i in 0..count {
            let mut m = MessageInner::new("recovery", (i % 8) as i32, body.clone());
            m.properties = format!("TAGS\u{1}T{}\u{2}KEYS\u{1}k{i}\u{2}", i % 4);
            store.put_message(m).await;
        }
    });
    let bytes = store.commit_log_max_offset();
    store.crash();
    drop(store);
    let _ = std::fs::remove_file(cfg.store_path_root_dir.join("checkpoint"));
    let started = Instant::now();
    let store = MessageStore::open(cfg)?;
    let elapsed = started.elapsed();
    let gib = bytes as f64 / (1u64 << 30) as f64;
    println!(
        "{{\"commit_log_bytes\":{bytes},\"recovery_ms\":{:.1},\"seconds_per_gib\":{:.3},\"max_offset_q0\":{}}}",
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() / gib,
        store.max_offset_in_queue("recovery", 0)
    );
    store.shutdown();
    Ok(())
}
