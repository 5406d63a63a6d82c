//! The requests of one connection that wait for their responses, matched by opaque.
//!
//! A waiter is either a task (a oneshot the caller awaits with its own timeout) or a callback
//! that the connection's reader calls with the response; callbacks carry a deadline and a
//! sweeper fails the expired ones, the way Java's `scanResponseTable` does, so an async call
//! costs no task and no timer of its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, Notify};

use super::RemotingError;
use crate::protocol::RemotingCommand;

/// Called once with the response of a request, or with why none came.
pub type ResponseCallback = Box<dyn FnOnce(Result<RemotingCommand, RemotingError>) + Send>;

/// How often expired callbacks are looked for while some are pending.
pub(crate) const SWEEP_INTERVAL: Duration = Duration::from_millis(20);

enum Waiter {
    Task(oneshot::Sender<RemotingCommand>),
    Callback {
        deadline: Instant,
        timeout: Duration,
        callback: ResponseCallback,
    },
}

/// The pending table of one connection.
#[derive(Default)]
pub(crate) struct Pending {
    table: Mutex<HashMap<i32, Waiter>>,
    callbacks: AtomicUsize,
    callback_added: Notify,
}

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Waiter>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a task waiting for the response to `opaque`.
    pub fn insert_task(&self, opaque: i32, tx: oneshot::Sender<RemotingCommand>) {
        self.lock().insert(opaque, Waiter::Task(tx));
    }

    /// Registers a callback for the response to `opaque`, failed with a timeout after
    /// `timeout`.
    pub fn insert_callback(&self, opaque: i32, timeout: Duration, callback: ResponseCallback) {
        let waiter = Waiter::Callback {
            deadline: Instant::now() + timeout,
            timeout,
            callback,
        };
        let replaced = self.lock().insert(opaque, waiter);
        if !matches!(replaced, Some(Waiter::Callback { .. }))
            && self.callbacks.fetch_add(1, Ordering::AcqRel) == 0
        {
            self.callback_added.notify_one();
        }
    }

    fn take(&self, opaque: i32) -> Option<Waiter> {
        let waiter = self.lock().remove(&opaque);
        if matches!(waiter, Some(Waiter::Callback { .. })) {
            self.callbacks.fetch_sub(1, Ordering::AcqRel);
        }
        waiter
    }

    /// Forgets the waiter of `opaque` without calling it.
    pub fn remove(&self, opaque: i32) {
        drop(self.take(opaque));
    }

    /// Hands a response to its waiter; gives it back when nobody waits for it.
    pub fn complete(&self, resp: RemotingCommand) -> Result<(), RemotingCommand> {
        match self.take(resp.opaque) {
            Some(Waiter::Task(tx)) => {
                // The caller may have given up (timed out) meanwhile: nothing to do then.
                let _ = tx.send(resp);
                Ok(())
            }
            Some(Waiter::Callback { callback, .. }) => {
                callback(Ok(resp));
                Ok(())
            }
            None => Err(resp),
        }
    }

    /// Fails the waiter of `opaque` with `error` (a task just sees its sender dropped).
    pub fn fail(&self, opaque: i32, error: RemotingError) {
        if let Some(Waiter::Callback { callback, .. }) = self.take(opaque) {
            callback(Err(error));
        }
    }

    /// Fails every callback whose deadline has passed with a timeout naming `addr`.
    pub fn expire(&self, now: Instant, addr: &str) {
        let expired: Vec<Waiter> = {
            let mut table = self.lock();
            let keys: Vec<i32> = table
                .iter()
                .filter(|(_, w)| matches!(w, Waiter::Callback { deadline, .. } if *deadline <= now))
                .map(|(k, _)| *k)
                .collect();
            keys.iter().filter_map(|k| table.remove(k)).collect()
        };
        for waiter in expired {
            if let Waiter::Callback {
                callback, timeout, ..
            } = waiter
            {
                self.callbacks.fetch_sub(1, Ordering::AcqRel);
                callback(Err(RemotingError::Timeout {
                    addr: addr.to_owned(),
                    timeout_ms: timeout.as_millis() as u64,
                }));
            }
        }
    }

    /// The connection closed: tasks see their senders dropped, callbacks are called with
    /// `ChannelClosed`.
    pub fn close(&self, addr: &str) {
        let all: Vec<Waiter> = self.lock().drain().map(|(_, w)| w).collect();
        for waiter in all {
            if let Waiter::Callback { callback, .. } = waiter {
                self.callbacks.fetch_sub(1, Ordering::AcqRel);
                callback(Err(RemotingError::ChannelClosed(addr.to_owned())));
            }
        }
    }

    /// Returns once at least one callback is pending.
    pub async fn callbacks_pending(&self) {
        while self.callbacks.load(Ordering::Acquire) == 0 {
            self.callback_added.notified().await;
        }
    }
}
