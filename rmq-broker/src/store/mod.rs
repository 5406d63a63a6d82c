//! The broker's message store, RocketMQ-style: one commit log for every record, a consume
//! queue per topic/queue pointing into it, and a key index.
//!
//! ```text
//! <storePathRootDir>/
//!   commitlog/<20-digit start offset>            fixed-size segments of records (§4.1)
//!   consumequeue/<topic>/<queueId>/<20-digit>    20-byte entries (§4.7)
//!   index/<20-digit creation ms>                 RocketMQ IndexFile layout
//!   checkpoint                                   recovery start, clean-shutdown flag
//!   lock                                         held while a store has the directory open
//! ```
//!
//! The store never sees a request: the broker calls [`MessageStore::put_message`] and
//! [`MessageStore::get_message`] and gets status enums back.
//!
//! # Examples
//!
//! ```no_run
//! # async fn demo() -> Result<(), rmq_broker::store::StoreError> {
//! use rmq_broker::store::{MessageInner, MessageStore, StoreConfig, GetMessageStatus};
//!
//! let store = MessageStore::open(StoreConfig::new("/tmp/rmq-store"))?;
//! let put = store.put_message(MessageInner::new("TopicA", 0, "hello")).await;
//! assert!(put.is_stored());
//! let got = store.get_message("TopicA", 0, 0, 32, 4 << 20, &|_tags| true);
//! assert_eq!(got.status, GetMessageStatus::Found);
//! store.shutdown();
//! # Ok(()) }
//! ```

mod checkpoint;
mod cleanup;
mod commit_log;
mod config;
mod consume_queue;
mod consume_queue_table;
mod dispatch;
mod error;
mod flush;
mod get;
mod index;
mod index_file;
mod mapped_file;
mod mapped_file_queue;
mod put;
pub(crate) mod real_topic;
mod recovery;
pub(crate) mod sealed;
mod sys;
pub(crate) use sys::local_day;
mod types;
mod warm;
mod warm_signal;

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use bytes::Bytes;

pub use config::{parse_delay_levels, parse_delete_when, FlushDiskType, StoreConfig, StoreOptions};
pub use dispatch::SCHEDULE_TOPIC;
pub use error::{DelayLevelError, StoreError};
pub use types::{
    AppendedMessage, GetMessageResult, GetMessageStatus, MessageArrivingListener, MessageInner,
    PutMessageResult, PutMessageStatus,
};

use checkpoint::{Checkpoint, CheckpointFile};
use commit_log::CommitLog;
use config::ParsedConfig;
use consume_queue_table::ConsumeQueueTable;
use flush::{FlushService, Ticker};
use index::IndexService;
use mapped_file_queue::MappedFileQueue;
use warm_signal::{WarmMode, WarmSignal};

/// State shared with the background threads.
pub(crate) struct StoreInner {
    config: StoreConfig,
    opts: StoreOptions,
    parsed: ParsedConfig,
    commit_log: Arc<CommitLog>,
    cqs: ConsumeQueueTable,
    index: IndexService,
    checkpoint: CheckpointFile,
    flush: Arc<FlushService>,
    warm: Arc<WarmSignal>,
    ticker: Arc<Ticker>,
    listener: RwLock<Option<Arc<dyn MessageArrivingListener>>>,
    shut_down: AtomicBool,
    /// The disk holding the store is fuller than `disk_space_warning_level_ratio`.
    disk_full: AtomicBool,
    msg_id_prefix: put::MsgIdPrefix,
    /// The last checkpoint written, to skip rewriting an unchanged one.
    last_checkpoint: Mutex<Option<Checkpoint>>,
    /// Duration of each put, in microseconds (`rmq_store_put_latency`).
    put_latency: crate::metrics::histogram::Histogram,
}

impl StoreInner {
    fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    /// Reads the disk usage and refuses or accepts writes accordingly (logged on change).
    fn check_disk_space(&self) {
        let (ratio, free) = sys::disk_usage(&self.config.store_path_root_dir);
        let min_free = self
            .opts
            .min_free_bytes
            .unwrap_or_else(|| self.config.mapped_file_size_commit_log.saturating_mul(2));
        let full = ratio > self.config.disk_space_warning_level_ratio && free < min_free;
        if self.disk_full.swap(full, Ordering::AcqRel) != full {
            if full {
                tracing::error!(
                    ratio,
                    free,
                    limit = self.config.disk_space_warning_level_ratio,
                    "disk almost full: the message store refuses writes"
                );
            } else {
                tracing::info!(
                    ratio,
                    "disk usage back under the limit: writes accepted again"
                );
            }
        }
    }

    /// Why writes are refused for lack of disk space, if they are.
    fn disk_full_remark(&self) -> Option<String> {
        if !self.disk_full.load(Ordering::Acquire) {
            return None;
        }
        Some(format!(
            "the disk holding the store is fuller than diskSpaceWarningLevelRatio {:.2} and short of free space for the commit log: the message store is not writeable",
            self.config.disk_space_warning_level_ratio
        ))
    }

    /// Drops the mapped pages of every store file from the process (idle store).
    fn release_pages(&self) {
        for f in self.commit_log.queue().snapshot() {
            f.release_pages();
        }
        for cq in self.cqs.all() {
            cq.release_pages();
        }
        self.index.release_pages();
    }

    /// Flushes consume queues and index, then writes the checkpoint. With `clean`, also
    /// flushes the commit log and marks the shutdown clean.
    fn flush_logics_and_checkpoint(&self, clean: bool) -> Result<(), StoreError> {
        let logics = self.commit_log.dispatched_offset();
        for cq in self.cqs.all() {
            cq.flush()?;
        }
        self.index.flush()?;
        let flushed = if clean {
            self.commit_log.flush()?
        } else {
            self.commit_log.flushed_offset()
        };
        let cp = Checkpoint {
            commit_log_flushed_offset: flushed,
            logics_offset: logics,
            timestamp: rmq_core::clock::now_ms(),
            clean_shutdown: clean && logics == flushed,
        };
        let mut last = self
            .last_checkpoint
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|l| {
            Checkpoint {
                timestamp: cp.timestamp,
                ..l
            } == cp
        }) {
            return Ok(());
        }
        self.checkpoint.write(&cp)?;
        *last = Some(cp);
        Ok(())
    }
}

/// The message store. `Send + Sync`; share it behind an `Arc`.
pub struct MessageStore {
    inner: Arc<StoreInner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    lock_file: Mutex<Option<File>>,
    closed: AtomicBool,
}

impl std::fmt::Debug for MessageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStore")
            .field("root", &self.inner.config.store_path_root_dir)
            .finish_non_exhaustive()
    }
}

impl MessageStore {
    /// Opens the store: creates the directories, recovers the commit log, the consume queues
    /// and the index, and starts the flush, warm and housekeeping threads.
    ///
    /// # Errors
    /// `Config` for invalid settings, `Locked` when another store has the directory open,
    /// `Io`/`Corrupt` when files cannot be read or repaired.
    pub fn open(config: StoreConfig) -> Result<MessageStore, StoreError> {
        Self::open_with(config, StoreOptions::default())
    }

    /// [`open`](Self::open) with the less common settings.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(config: StoreConfig, opts: StoreOptions) -> Result<MessageStore, StoreError> {
        let started = std::time::Instant::now();
        let parsed = config.validate(&opts)?;
        let root = config.store_path_root_dir.clone();
        std::fs::create_dir_all(&root)
            .map_err(|e| StoreError::io("create directory", &root, None, e))?;
        let lock_path = root.join("lock");
        let lock_file = sys::open_rw(&lock_path, true)?;
        match lock_file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked { path: root })
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(StoreError::io("lock", &lock_path, None, e))
            }
        }
        let (checkpoint, cp) = CheckpointFile::open(&root)?;
        let cq_root = root.join("consumequeue");
        let cq_file_size = config.consume_queue_file_size();
        let (cqs, cq_list) = ConsumeQueueTable::load(&cq_root, cq_file_size)?;
        let mut queues: recovery::RecoveringQueues = cq_list
            .into_iter()
            .map(|q| ((q.topic().to_owned(), q.queue_id()), q))
            .collect();
        let index = IndexService::load(
            &root.join("index"),
            opts.max_hash_slot_num,
            opts.max_index_num,
        )?;
        let warm_mode = match (config.warm_mapped_file_enable, config.flush_disk_type) {
            (false, _) => WarmMode::Off,
            (true, FlushDiskType::SyncFlush) => WarmMode::Zero,
            (true, FlushDiskType::AsyncFlush) => WarmMode::Populate,
        };
        let mut clog = MappedFileQueue::load(
            &root.join("commitlog"),
            config.mapped_file_size_commit_log,
            warm_mode == WarmMode::Zero,
            true,
        )?;
        let ctx = recovery::Context {
            queues: &mut queues,
            index: &index,
            parsed: &parsed,
            checkpoint: cp,
            cq_root: &cq_root,
            cq_file_size,
        };
        let (end, clean) = recovery::recover(&mut clog, ctx)?;
        if clog.is_empty() {
            clog.create_file(end)?;
        } else if !clean {
            // The recovered tail may only be in the page cache; make it durable before the
            // checkpoint says so.
            if let Some(f) = clog.find(end).or_else(|| clog.last()) {
                f.sync_data()?;
            }
        }
        let clog_min = clog.min_offset();
        for q in queues.values() {
            q.correct_min_offset(clog_min);
        }
        cqs.insert_all(queues.into_values().collect());
        let warm = Arc::new(WarmSignal::new(
            warm_mode,
            config.mapped_file_size_commit_log,
        ));
        let commit_log = Arc::new(CommitLog::new(clog, end, warm.clone()));
        let flush = Arc::new(FlushService::new(
            config.flush_disk_type,
            config.flush_interval_commit_log_ms,
        ));
        let msg_id_prefix = put::MsgIdPrefix::new(config.store_host);
        let inner = Arc::new(StoreInner {
            config,
            opts,
            parsed,
            commit_log: commit_log.clone(),
            cqs,
            index,
            checkpoint,
            flush: flush.clone(),
            warm: warm.clone(),
            ticker: Arc::new(Ticker::default()),
            listener: RwLock::new(None),
            shut_down: AtomicBool::new(false),
            disk_full: AtomicBool::new(false),
            msg_id_prefix,
            last_checkpoint: Mutex::new(None),
            put_latency: crate::metrics::histogram::Histogram::new(
                crate::metrics::histogram::STORE_LATENCY_US_BOUNDS,
            ),
        });
        inner.flush_logics_and_checkpoint(false)?;
        inner.check_disk_space();
        let spawn_err = |e: std::io::Error| StoreError::io("spawn thread for", &root, None, e);
        let mut threads = vec![flush.spawn(commit_log.clone()).map_err(spawn_err)?];
        if warm_mode != WarmMode::Off {
            threads.push(warm::spawn(commit_log, warm).map_err(spawn_err)?);
        }
        threads.push(
            cleanup::spawn_housekeeping(inner.clone(), inner.ticker.clone()).map_err(spawn_err)?,
        );
        tracing::info!(
            root = %root.display(),
            commit_log_min = clog_min,
            commit_log_max = end,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "message store opened"
        );
        Ok(MessageStore {
            inner,
            threads: Mutex::new(threads),
            lock_file: Mutex::new(Some(lock_file)),
            closed: AtomicBool::new(false),
        })
    }

    /// The configuration the store was opened with.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// Sets the listener told about every dispatched message.
    pub fn set_arriving_listener(&self, l: Arc<dyn MessageArrivingListener>) {
        *self
            .inner
            .listener
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(l);
    }

    /// Stores one message. Under SYNC_FLUSH, waits until it is durable unless its `WAIT`
    /// property is `"false"`.
    pub async fn put_message(&self, msg: MessageInner) -> PutMessageResult {
        put::put(&self.inner, vec![msg]).await
    }

    /// Stores a batch (one topic and queue) contiguously under one lock with consecutive
    /// queue offsets, and waits for the disk once.
    pub async fn put_messages(&self, msgs: Vec<MessageInner>) -> PutMessageResult {
        put::put(&self.inner, msgs).await
    }

    /// The next queue offset to be written (0 if the queue doesn't exist).
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .cqs
            .get(topic, queue_id)
            .map_or(0, |q| q.max_offset())
    }

    /// The first readable queue offset (0 if the queue doesn't exist).
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .cqs
            .get(topic, queue_id)
            .map_or(0, |q| q.min_offset())
    }

    /// The first queue offset stored at or after `timestamp_ms` (the max offset if none).
    pub fn offset_in_queue_by_time(&self, topic: &str, queue_id: i32, timestamp_ms: i64) -> i64 {
        self.inner
            .cqs
            .get(topic, queue_id)
            .map_or(0, |q| get::offset_by_time(&self.inner, &q, timestamp_ms))
    }

    /// Store time of the oldest readable message of the queue.
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> Option<i64> {
        let q = self.inner.cqs.get(topic, queue_id)?;
        get::earliest_time(&self.inner, &q)
    }

    /// Store time of the message at `queue_offset`.
    pub fn store_time_of(&self, topic: &str, queue_id: i32, queue_offset: i64) -> Option<i64> {
        let q = self.inner.cqs.get(topic, queue_id)?;
        get::store_time(&self.inner, &q, queue_offset)
    }

    /// The whole record at `commit_log_offset`.
    pub fn look_message_by_offset(&self, commit_log_offset: i64) -> Option<Bytes> {
        self.inner
            .commit_log
            .read_record(u64::try_from(commit_log_offset).ok()?)
    }

    /// Removes the consume queues of `topic` (its records stay in the commit log until
    /// retention deletes them).
    pub fn delete_topic(&self, topic: &str) {
        if put::valid_topic(topic) {
            // Under the append lock, so no append is writing into the queues being deleted.
            let _w = self.inner.commit_log.lock();
            self.inner.cqs.delete_topic(topic);
        }
    }

    /// Queue ids of `topic` that have a consume queue, sorted.
    pub fn queue_ids(&self, topic: &str) -> Vec<i32> {
        self.inner.cqs.queue_ids(topic)
    }

    pub fn commit_log_min_offset(&self) -> i64 {
        self.inner.commit_log.min_offset() as i64
    }

    pub fn commit_log_max_offset(&self) -> i64 {
        self.inner.commit_log.max_offset() as i64
    }

    /// Latency of each put (append, and the sync-flush wait under SYNC_FLUSH), in µs.
    pub fn put_latency(&self) -> &crate::metrics::histogram::Histogram {
        &self.inner.put_latency
    }

    /// Duration of each commit-log flush, in µs.
    pub fn flush_latency(&self) -> &crate::metrics::histogram::Histogram {
        &self.inner.flush.latency
    }

    /// Bytes written to the commit log but not flushed yet.
    pub fn flush_behind_bytes(&self) -> u64 {
        let log = &self.inner.commit_log;
        log.max_offset().saturating_sub(log.flushed_offset())
    }

    /// Bytes written to the commit log but not dispatched to the consume queues yet.
    pub fn dispatch_behind_bytes(&self) -> u64 {
        let log = &self.inner.commit_log;
        log.max_offset().saturating_sub(log.dispatched_offset())
    }

    /// Bytes used on the filesystem holding the store (total − free, as Java's
    /// `rocketmq_storage_size`); `None` when it cannot be read.
    pub fn disk_used_bytes(&self) -> Option<u64> {
        sys::disk_used_bytes(&self.inner.config.store_path_root_dir)
    }

    /// Store time of the oldest message in the commit log.
    pub fn earliest_message_time_in_log(&self) -> Option<i64> {
        let log = &self.inner.commit_log;
        let min = log.min_offset();
        if min >= log.max_offset() {
            return None;
        }
        let record = log.read_record(min)?;
        rmq_core::protocol::message::decode_record(&record, false)
            .ok()
            .map(|v| v.store_timestamp)
    }

    /// Used fraction (0..=1) of the disk holding the store.
    pub fn disk_used_ratio(&self) -> f64 {
        sys::disk_used_ratio(&self.inner.config.store_path_root_dir)
    }

    /// Runs retention now; `force` ignores the `delete_when` hours. Returns the number of
    /// commit-log segments deleted.
    pub fn delete_expired_files(&self, now_ms: i64, force: bool) -> usize {
        cleanup::delete_expired_files(&self.inner, now_ms, force)
    }

    /// Flushes the commit log, consume queues and index, and writes the checkpoint.
    ///
    /// # Errors
    /// `Io` when a flush or the checkpoint write fails.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.commit_log.flush()?;
        self.inner.flush_logics_and_checkpoint(false)
    }

    /// Stops the threads, flushes everything and writes a clean checkpoint. Idempotent;
    /// also run on drop.
    pub fn shutdown(&self) {
        if !self.stop_threads() {
            return;
        }
        self.inner.commit_log.queue().discard_spare();
        if let Err(e) = self.inner.flush_logics_and_checkpoint(true) {
            tracing::error!(error = %e, "flush at shutdown failed");
        }
        self.lock_file
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        tracing::info!(root = %self.inner.config.store_path_root_dir.display(), "message store shut down");
    }

    /// Test hook: stops the threads like a crash would leave the files — no final flush of
    /// consume queues or index, no clean checkpoint — and releases the directory lock.
    #[doc(hidden)]
    pub fn crash(&self) {
        if self.stop_threads() {
            self.lock_file
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
        }
    }

    /// Refuses new appends, waits for in-flight ones, stops and joins the threads. False if
    /// already done.
    fn stop_threads(&self) -> bool {
        if self.closed.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.inner.shut_down.store(true, Ordering::Release);
        drop(self.inner.commit_log.lock());
        self.inner.flush.stop();
        self.inner.warm.stop();
        self.inner.ticker.stop();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for t in threads {
            let _ = t.join();
        }
        true
    }
}

impl Drop for MessageStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}
