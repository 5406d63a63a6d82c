//! Recovery on open: find the end of the commit log, cut a torn tail, and bring the consume
//! queues and the index up to date with it.
//!
//! 1. Each consume queue finds its written end (entries are written in order, so a binary
//!    search for the first all-zero entry) and drops garbage entries.
//! 2. The dispatch point D: the checkpoint's logics offset (every consume-queue and index entry
//!    of records below it is durable), or — without a checkpoint — the highest commit-log
//!    offset the consume queues cover; the commit-log start when no consume-queue file exists.
//! 3. After a clean shutdown with D at the recorded end and nothing written past it, the end is
//!    trusted and nothing is read. Otherwise records are verified (size, magic, physical
//!    offset, body CRC) from the checkpoint's flushed offset (or D, if lower; both are record
//!    boundaries — should there be no record there, from the start of its segment; from the
//!    first segment without a checkpoint). A BLANK record continues at the next segment; the
//!    first invalid record is the torn tail. Records at or past D are re-dispatched (consume
//!    queues skip offsets they already hold; the index may get duplicates, which queries
//!    drop).
//! 4. The commit log is cut at the end: the rest of that segment is zeroed (hole punched) and
//!    later segments are deleted. Consume-queue entries at or past the end are dropped.

use std::collections::HashMap;
use std::sync::Arc;

use rmq_core::protocol::message::{
    decode_record, peek_size_and_magic, RecordView, BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE_V1,
    MESSAGE_MAGIC_CODE_V2,
};

use super::checkpoint::Checkpoint;
use super::config::ParsedConfig;
use super::consume_queue::ConsumeQueue;
use super::dispatch::{self, DispatchRecord};
use super::error::StoreError;
use super::index::IndexService;
use super::mapped_file::MappedFile;
use super::mapped_file_queue::MappedFileQueue;
use super::sys;

/// Consume queues during recovery, owned, by topic and queue id.
pub type RecoveringQueues = HashMap<(String, i32), ConsumeQueue>;

/// What recovery needs besides the commit log.
pub struct Context<'a> {
    pub queues: &'a mut RecoveringQueues,
    pub index: &'a IndexService,
    pub parsed: &'a ParsedConfig,
    pub checkpoint: Option<Checkpoint>,
    pub cq_root: &'a std::path::Path,
    pub cq_file_size: u64,
}

/// Recovers the commit log in `clog` and the consume queues; returns the commit-log end and
/// whether the clean-shutdown shortcut applied.
///
/// # Errors
/// I/O errors while reading, zeroing or deleting files.
pub fn recover(clog: &mut MappedFileQueue, ctx: Context<'_>) -> Result<(u64, bool), StoreError> {
    for q in ctx.queues.values_mut() {
        q.recover(u64::MAX, false)?;
    }
    let clog_min = clog.min_offset();
    let any_cq = ctx.queues.values().any(ConsumeQueue::has_files);
    let dispatch_from = match (&ctx.checkpoint, any_cq) {
        (_, false) => clog_min,
        (Some(cp), true) => cp.logics_offset,
        (None, true) => ctx
            .queues
            .values()
            .filter_map(ConsumeQueue::max_phy_end)
            .max()
            .unwrap_or(clog_min),
    }
    .max(clog_min);

    let files: Vec<Arc<MappedFile>> = clog.snapshot();
    if files.is_empty() {
        truncate_queues(ctx.queues, 0, true)?;
        return Ok((0, false));
    }
    if let Some(end) = clean_end(&files, ctx.checkpoint.as_ref(), dispatch_from)? {
        drop(files);
        cut(clog, end, false)?;
        truncate_queues(ctx.queues, end, false)?;
        return Ok((end, true));
    }
    let start_at = ctx.checkpoint.map_or(clog_min, |cp| {
        cp.commit_log_flushed_offset.min(dispatch_from)
    });
    let start_idx = files
        .partition_point(|f| f.end() <= start_at)
        .min(files.len() - 1);
    tracing::info!(
        from = files[start_idx].start(),
        dispatch_from,
        "recovering commit log"
    );
    let queues = ctx.queues;
    let mut on_record = |phy: u64, view: &RecordView<'_>| {
        if phy < dispatch_from {
            return Ok(());
        }
        let rec = DispatchRecord::from_view(view, phy as i64);
        let cq = if rec.goes_to_queue() {
            let key = (rec.topic.to_owned(), rec.queue_id);
            if !queues.contains_key(&key) {
                let q = ConsumeQueue::load(ctx.cq_root, rec.topic, rec.queue_id, ctx.cq_file_size)?;
                queues.insert(key.clone(), q);
            }
            queues.get(&key)
        } else {
            None
        };
        dispatch::dispatch(&rec, cq, ctx.index, ctx.parsed).map(|_| ())
    };
    // The checkpoint offsets are record boundaries; should the one we start at not be, walk
    // its whole segment instead.
    let seg_start = files[start_idx].start();
    let first_rel = start_at
        .saturating_sub(seg_start)
        .min(files[start_idx].size());
    let mut end = walk(&files[start_idx..], first_rel, &mut on_record)?;
    if end == seg_start + first_rel && first_rel > 0 {
        tracing::warn!(
            offset = start_at,
            "no record at the checkpoint offset, verifying its whole segment"
        );
        end = walk(&files[start_idx..], 0, &mut on_record)?;
    }
    drop(files);
    cut(clog, end, true)?;
    truncate_queues(queues, end, true)?;
    Ok((end, false))
}

/// The end recorded by a clean shutdown, if it can be trusted without reading records.
fn clean_end(
    files: &[Arc<MappedFile>],
    cp: Option<&Checkpoint>,
    dispatch_from: u64,
) -> Result<Option<u64>, StoreError> {
    let Some(cp) = cp.filter(|cp| cp.clean_shutdown) else {
        return Ok(None);
    };
    let end = cp.commit_log_flushed_offset;
    let (first, last) = (&files[0], &files[files.len() - 1]);
    if end < first.start() || end > last.end() || dispatch_from < end {
        return Ok(None);
    }
    let idx = files.partition_point(|f| f.end() <= end);
    if let Some(f) = files.get(idx) {
        let rel = end - f.start();
        if f.size() - rel >= 8 {
            let mut b = [0u8; 8];
            sys::read_exact_at(f.file(), f.path(), &mut b, rel)?;
            if b != [0u8; 8] {
                tracing::warn!(path = %f.path().display(), offset = rel, "data after the clean-shutdown end, verifying");
                return Ok(None);
            }
        }
    }
    Ok(Some(end))
}

/// Reads a segment through `pread` in large pieces (not through the mapping, so recovery
/// does not grow the RSS).
struct Reader<'a> {
    f: &'a MappedFile,
    buf: Vec<u8>,
    at: u64,
}

impl<'a> Reader<'a> {
    const CHUNK: usize = 4 << 20;

    fn new(f: &'a MappedFile) -> Self {
        Reader {
            f,
            buf: Vec::new(),
            at: 0,
        }
    }

    /// `[rel, rel + len)` of the file.
    fn get(&mut self, rel: u64, len: usize) -> Result<&[u8], StoreError> {
        let have = rel >= self.at && rel + len as u64 <= self.at + self.buf.len() as u64;
        if !have {
            let n = (self.f.size() - rel).min(Self::CHUNK.max(len) as u64) as usize;
            self.buf.resize(n, 0);
            sys::read_exact_at(self.f.file(), self.f.path(), &mut self.buf, rel)?;
            self.at = rel;
        }
        let s = (rel - self.at) as usize;
        Ok(&self.buf[s..s + len])
    }
}

/// Verifies records from `first_rel` in `files[0]` on, calling `on_record` for each valid
/// one; returns the offset just past the last valid record (or BLANK).
fn walk(
    files: &[Arc<MappedFile>],
    first_rel: u64,
    mut on_record: impl FnMut(u64, &RecordView<'_>) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    for (i, f) in files.iter().enumerate() {
        let mut reader = Reader::new(f);
        let mut rel = if i == 0 { first_rel } else { 0 };
        let next_segment = loop {
            let rem = f.size() - rel;
            if rem < 8 {
                break true;
            }
            let header = reader.get(rel, 8)?;
            let (size, magic) = peek_size_and_magic(header).unwrap_or((0, 0));
            if magic == BLANK_MAGIC_CODE && size >= 8 && size as u64 == rem {
                break true;
            }
            let pos = f.start() + rel;
            if (magic == MESSAGE_MAGIC_CODE_V1 || magic == MESSAGE_MAGIC_CODE_V2)
                && size > 8
                && size as u64 <= rem
            {
                let bytes = reader.get(rel, size as usize)?;
                match decode_record(bytes, true) {
                    Ok(v) if v.physical_offset == pos as i64 => {
                        on_record(pos, &v)?;
                        rel += size as u64;
                        continue;
                    }
                    Ok(v) => {
                        tracing::warn!(path = %f.path().display(), offset = rel, stored = v.physical_offset, "record has a foreign physical offset; torn tail")
                    }
                    Err(e) => {
                        tracing::warn!(path = %f.path().display(), offset = rel, error = %e, "invalid record; torn tail")
                    }
                }
            } else if size != 0 || magic != 0 {
                tracing::warn!(path = %f.path().display(), offset = rel, size, magic = format_args!("{magic:#010x}"), "garbage after the last record; torn tail");
            }
            return Ok(pos);
        };
        if next_segment && i + 1 == files.len() {
            return Ok(f.end());
        }
    }
    Ok(files.last().map_or(0, |f| f.end()))
}

/// Sets the write position to `end`: zeroes the rest of its segment (when `zero_rest`) and
/// deletes the segments after it.
fn cut(clog: &mut MappedFileQueue, end: u64, zero_rest: bool) -> Result<(), StoreError> {
    let files = clog.files_mut();
    while files.len() > 1 && files.last().is_some_and(|f| f.start() > end) {
        if let Some(f) = files.pop() {
            tracing::warn!(path = %f.path().display(), end, "deleting commit-log segment past the recovered end");
            f.destroy()?;
        }
    }
    for f in files.iter_mut() {
        let Some(f) = Arc::get_mut(f) else {
            return Err(StoreError::corrupt(
                clog_dir_hint(),
                end,
                "commit-log segment shared during recovery",
            ));
        };
        if end >= f.end() {
            f.set_positions(f.size());
            continue;
        }
        let rel = end.saturating_sub(f.start());
        if zero_rest {
            sys::punch_hole(f.file(), f.path(), rel, f.size() - rel)?;
        }
        f.set_positions(rel);
    }
    Ok(())
}

fn clog_dir_hint() -> &'static std::path::Path {
    std::path::Path::new("commitlog")
}

fn truncate_queues(
    queues: &mut RecoveringQueues,
    end: u64,
    zero_rest: bool,
) -> Result<(), StoreError> {
    for q in queues.values_mut() {
        q.recover(end, zero_rest)?;
    }
    Ok(())
}
