//! One framed connection: a reader task, a writer task, the table of pending requests and a
//! sweeper that times out callback waiters (one module each).

mod reader;
mod sweeper;
mod writer;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};

use super::pending::{Pending, ResponseCallback};
use super::{RemotingError, RequestHandler};
use crate::protocol::RemotingCommand;

static NEXT_CHANNEL_ID: AtomicU64 = AtomicU64::new(1);

struct Inner {
    id: u64,
    remote: SocketAddr,
    local: SocketAddr,
    tx: mpsc::Sender<RemotingCommand>,
    pending: Pending,
    closed: AtomicBool,
    closed_notify: Notify,
}

/// A cheap-to-clone handle to one connection.
#[derive(Clone)]
pub struct Channel {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.inner.id)
            .field("remote", &self.inner.remote)
            .finish()
    }
}

impl PartialEq for Channel {
    fn eq(&self, other: &Self) -> bool {
        self.inner.id == other.inner.id
    }
}
impl Eq for Channel {}

impl std::hash::Hash for Channel {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.id.hash(state);
    }
}

impl Channel {
    /// A process-unique id of this connection.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The peer's address.
    pub fn remote_addr(&self) -> SocketAddr {
        self.inner.remote
    }

    /// Our side's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Waits until the connection closes.
    pub async fn closed(&self) {
        loop {
            let notified = self.inner.closed_notify.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Queues a command (a response, or a oneway request) for writing.
    pub async fn send(&self, cmd: RemotingCommand) -> Result<(), RemotingError> {
        self.inner
            .tx
            .send(cmd)
            .await
            .map_err(|_| RemotingError::ChannelClosed(self.inner.remote.to_string()))
    }

    /// Queues a response, waiting for room only when the write queue is full.
    async fn queue_response(&self, resp: RemotingCommand) {
        match self.inner.tx.try_send(resp) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(resp)) => {
                let _ = self.inner.tx.send(resp).await;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Sends a request and waits for its response.
    pub async fn invoke(
        &self,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let opaque = request.opaque;
        let (tx, rx) = oneshot::channel();
        self.inner.pending.insert_task(opaque, tx);
        let result = async {
            self.send(request).await?;
            match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(resp)) => Ok(resp),
                Ok(Err(_)) => Err(RemotingError::ChannelClosed(self.inner.remote.to_string())),
                Err(_) => Err(RemotingError::Timeout {
                    addr: self.inner.remote.to_string(),
                    timeout_ms: timeout.as_millis() as u64,
                }),
            }
        }
        .await;
        self.inner.pending.remove(opaque);
        result
    }

    /// Sends a request without waiting: `callback` is called with the response (by the
    /// connection's reader, so it should be quick), or with a timeout after `timeout`, or
    /// with `ChannelClosed`. It may be called before this returns, when the connection is
    /// already closed.
    pub fn invoke_with_callback(
        &self,
        request: RemotingCommand,
        timeout: Duration,
        callback: ResponseCallback,
    ) {
        let opaque = request.opaque;
        self.inner
            .pending
            .insert_callback(opaque, timeout, callback);
        match self.inner.tx.try_send(request) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(request)) => {
                let ch = self.clone();
                tokio::spawn(async move {
                    if let Err(e) = ch.send(request).await {
                        ch.inner.pending.fail(opaque, e);
                    }
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => self.inner.pending.fail(
                opaque,
                RemotingError::ChannelClosed(self.inner.remote.to_string()),
            ),
        }
    }

    /// Sends a oneway request.
    pub async fn invoke_oneway(&self, request: RemotingCommand) -> Result<(), RemotingError> {
        self.send(request.oneway()).await
    }

    /// Closes the connection: both tasks stop and pending calls fail.
    pub fn close(&self) {
        self.mark_closed();
    }

    fn mark_closed(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.closed_notify.notify_waiters();
        // Dropping the senders wakes every waiting invoke with ChannelClosed; callbacks are
        // called with it.
        self.inner.pending.close(&self.inner.remote.to_string());
    }
}

/// How many commands may queue for writing before senders wait.
const WRITE_QUEUE: usize = 4096;

/// Starts the reader, the writer and the sweeper of a connection and returns its channel.
pub fn spawn_connection<H: RequestHandler>(
    stream: TcpStream,
    handler: Arc<H>,
) -> std::io::Result<Channel> {
    let remote = stream.peer_addr()?;
    let local = stream.local_addr()?;
    let _ = stream.set_nodelay(true);
    let (read_half, write_half) = stream.into_split();
    let (tx, rx) = mpsc::channel::<RemotingCommand>(WRITE_QUEUE);
    let channel = Channel {
        inner: Arc::new(Inner {
            id: NEXT_CHANNEL_ID.fetch_add(1, Ordering::Relaxed),
            remote,
            local,
            tx,
            pending: Pending::default(),
            closed: AtomicBool::new(false),
            closed_notify: Notify::new(),
        }),
    };
    tokio::spawn(writer::run(channel.clone(), rx, write_half));
    tokio::spawn(sweeper::run(channel.clone()));
    tokio::spawn(reader::run(channel.clone(), read_half, handler));
    Ok(channel)
}
