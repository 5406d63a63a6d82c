//! One framed connection: a reader task, a writer task and the table of pending requests.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_util::codec::{FramedRead, FramedWrite};

use super::RemotingError;
use crate::protocol::{RemotingCodec, RemotingCommand, ResponseCode};

/// Handles requests that arrive on a connection.
pub trait RequestHandler: Send + Sync + 'static {
    /// Processes one request. Return `None` to send nothing (oneway, or answered later).
    fn handle(
        &self,
        channel: Channel,
        request: RemotingCommand,
    ) -> impl Future<Output = Option<RemotingCommand>> + Send;

    /// Called once when the connection closes.
    fn on_close(&self, _channel: &Channel) {}
}

/// Answers every request with REQUEST_CODE_NOT_SUPPORTED.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnsupportedHandler;

impl RequestHandler for UnsupportedHandler {
    async fn handle(&self, _channel: Channel, request: RemotingCommand) -> Option<RemotingCommand> {
        let code = request.code;
        Some(request.error_to(
            ResponseCode::RequestCodeNotSupported,
            format!(" request type {code} not supported"),
        ))
    }
}

static NEXT_CHANNEL_ID: AtomicU64 = AtomicU64::new(1);

struct Inner {
    id: u64,
    remote: SocketAddr,
    local: SocketAddr,
    tx: mpsc::Sender<RemotingCommand>,
    pending: Mutex<HashMap<i32, oneshot::Sender<RemotingCommand>>>,
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

    /// Sends a request and waits for its response.
    pub async fn invoke(
        &self,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let opaque = request.opaque;
        let (tx, rx) = oneshot::channel();
        self.lock_pending().insert(opaque, tx);
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
        self.lock_pending().remove(&opaque);
        result
    }

    /// Sends a oneway request.
    pub async fn invoke_oneway(&self, request: RemotingCommand) -> Result<(), RemotingError> {
        self.send(request.oneway()).await
    }

    fn lock_pending(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<i32, oneshot::Sender<RemotingCommand>>> {
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes the connection: both tasks stop and pending calls fail.
    pub fn close(&self) {
        self.mark_closed();
    }

    fn mark_closed(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.closed_notify.notify_waiters();
        // Dropping the senders wakes every waiting invoke with ChannelClosed.
        self.lock_pending().clear();
    }
}

/// How many commands may queue for writing before senders wait.
const WRITE_QUEUE: usize = 4096;

/// Starts the reader and writer tasks of a connection and returns its channel.
pub fn spawn_connection<H: RequestHandler>(
    stream: TcpStream,
    handler: Arc<H>,
) -> std::io::Result<Channel> {
    let remote = stream.peer_addr()?;
    let local = stream.local_addr()?;
    let _ = stream.set_nodelay(true);
    let (read_half, write_half) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<RemotingCommand>(WRITE_QUEUE);
    let channel = Channel {
        inner: Arc::new(Inner {
            id: NEXT_CHANNEL_ID.fetch_add(1, Ordering::Relaxed),
            remote,
            local,
            tx,
            pending: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
            closed_notify: Notify::new(),
        }),
    };

    let writer_channel = channel.clone();
    tokio::spawn(async move {
        let mut sink = FramedWrite::new(write_half, RemotingCodec::default());
        loop {
            let cmd = tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(cmd) => cmd,
                    None => break,
                },
                _ = writer_channel.closed() => break,
            };
            if let Err(e) = sink.feed(cmd).await {
                tracing::debug!(remote = %writer_channel.remote_addr(), error = %e, "write failed");
                break;
            }
            // Batch whatever else is queued into the same flush.
            let mut failed = false;
            while let Ok(cmd) = rx.try_recv() {
                if let Err(e) = sink.feed(cmd).await {
                    tracing::debug!(remote = %writer_channel.remote_addr(), error = %e, "write failed");
                    failed = true;
                    break;
                }
            }
            if failed || sink.flush().await.is_err() {
                break;
            }
        }
    });

    let reader_channel = channel.clone();
    tokio::spawn(async move {
        let mut frames = FramedRead::new(read_half, RemotingCodec::default());
        loop {
            let next = tokio::select! {
                next = frames.next() => next,
                _ = reader_channel.closed() => break,
            };
            match next {
                None => break,
                Some(Err(e)) => {
                    tracing::warn!(remote = %reader_channel.remote_addr(), error = %e, "malformed frame, closing connection");
                    break;
                }
                Some(Ok(cmd)) if cmd.is_response() => {
                    let waiter = reader_channel.lock_pending().remove(&cmd.opaque);
                    match waiter {
                        Some(w) => {
                            let _ = w.send(cmd);
                        }
                        None => tracing::debug!(
                            opaque = cmd.opaque,
                            "response without a pending request"
                        ),
                    }
                }
                Some(Ok(cmd)) => {
                    let h = handler.clone();
                    let ch = reader_channel.clone();
                    tokio::spawn(async move {
                        let oneway = cmd.is_oneway();
                        if let Some(resp) = h.handle(ch.clone(), cmd).await {
                            if !oneway {
                                let _ = ch.send(resp).await;
                            }
                        }
                    });
                }
            }
        }
        reader_channel.mark_closed();
        handler.on_close(&reader_channel);
    });
    Ok(channel)
}
