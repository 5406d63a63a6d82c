//! One framed connection: a reader task, a writer task, the table of pending requests and a
//! sweeper that times out callback waiters.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{FutureExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_util::codec::FramedRead;

use super::pending::{Pending, ResponseCallback, SWEEP_INTERVAL};
use super::RemotingError;
use crate::protocol::{encode_command, RemotingCodec, RemotingCommand, ResponseCode};

/// Handles requests that arrive on a connection.
pub trait RequestHandler: Send + Sync + 'static {
    /// Processes one request. Return `None` to send nothing (oneway, or answered later).
    ///
    /// The future is first polled on the connection's reader: when it completes then, the
    /// next request is read only afterwards, so it must not block the thread; when it waits
    /// (on a flush, a lock, a timer), it continues on a task of its own.
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

/// The reader's initial buffer: many small frames per read.
const READ_BUFFER: usize = 64 * 1024;

/// How many frames the reader handles before it lets other tasks run.
const FRAMES_PER_TURN: usize = 32;

/// How many bytes of queued commands the writer gathers into one write.
const WRITE_BUFFER: usize = 256 * 1024;

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
            pending: Pending::default(),
            closed: AtomicBool::new(false),
            closed_notify: Notify::new(),
        }),
    };

    let writer_channel = channel.clone();
    tokio::spawn(async move {
        let mut write_half = write_half;
        let mut buf = BytesMut::with_capacity(WRITE_BUFFER);
        loop {
            let cmd = tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(cmd) => cmd,
                    None => break,
                },
                _ = writer_channel.closed() => break,
            };
            encode_command(&cmd, &mut buf);
            drop(cmd);
            // Everything else already queued goes out in the same write.
            while buf.len() < WRITE_BUFFER {
                match rx.try_recv() {
                    Ok(cmd) => encode_command(&cmd, &mut buf),
                    Err(_) => break,
                }
            }
            if let Err(e) = write_half.write_all(&buf).await {
                tracing::debug!(remote = %writer_channel.remote_addr(), error = %e, "write failed");
                break;
            }
            buf.clear();
            if buf.capacity() > 4 * WRITE_BUFFER {
                buf = BytesMut::with_capacity(WRITE_BUFFER);
            }
        }
    });

    let sweeper_channel = channel.clone();
    tokio::spawn(async move {
        let ch = sweeper_channel;
        let addr = ch.remote_addr().to_string();
        loop {
            tokio::select! {
                _ = ch.inner.pending.callbacks_pending() => {}
                _ = ch.closed() => break,
            }
            tokio::select! {
                _ = tokio::time::sleep(SWEEP_INTERVAL) => {}
                _ = ch.closed() => break,
            }
            ch.inner.pending.expire(std::time::Instant::now(), &addr);
        }
    });

    let reader_channel = channel.clone();
    tokio::spawn(async move {
        let mut frames =
            FramedRead::with_capacity(read_half, RemotingCodec::default(), READ_BUFFER);
        // Responses of the requests read in one go, handed to the writer together once no
        // further frame is ready: one writer wake-up and one write for the lot.
        let mut answers: Vec<RemotingCommand> = Vec::new();
        let mut since_yield = 0;
        loop {
            if since_yield >= FRAMES_PER_TURN {
                // Let the tasks this batch woke (the writer with its answers, senders whose
                // callbacks ran) go before reading on: a woken task waits in this worker's
                // LIFO slot, which no other worker may take, until this task yields. Without
                // this, a full window of requests and answers would ping-pong as one batch.
                since_yield = 0;
                for resp in answers.drain(..) {
                    reader_channel.queue_response(resp).await;
                }
                tokio::task::yield_now().await;
            }
            let next = match (&mut frames.next()).now_or_never() {
                Some(next) => {
                    since_yield += 1;
                    next
                }
                None => {
                    since_yield = 0;
                    for resp in answers.drain(..) {
                        reader_channel.queue_response(resp).await;
                    }
                    tokio::select! {
                        next = frames.next() => next,
                        _ = reader_channel.closed() => break,
                    }
                }
            };
            match next {
                None => break,
                Some(Err(e)) => {
                    tracing::warn!(remote = %reader_channel.remote_addr(), error = %e, "malformed frame, closing connection");
                    break;
                }
                Some(Ok(cmd)) if cmd.is_response() => {
                    if let Err(cmd) = reader_channel.inner.pending.complete(cmd) {
                        tracing::debug!(opaque = cmd.opaque, "response without a pending request");
                    }
                }
                Some(Ok(cmd)) => {
                    let h = handler.clone();
                    let ch = reader_channel.clone();
                    let mut handling = Box::pin(async move {
                        let oneway = cmd.is_oneway();
                        match h.handle(ch.clone(), cmd).await {
                            Some(resp) if !oneway => Some((ch, resp)),
                            _ => None,
                        }
                    });
                    // Most requests complete without waiting (a send under ASYNC_FLUSH, an
                    // offset query): run them here, in order, and spawn only the ones that
                    // wait (a flush, a held pull). A future polled once and then handed to
                    // a task registers the task's waker on its next poll.
                    match (&mut handling).now_or_never() {
                        Some(Some((_, resp))) => answers.push(resp),
                        Some(None) => {}
                        None => {
                            tokio::spawn(async move {
                                if let Some((ch, resp)) = handling.await {
                                    ch.queue_response(resp).await;
                                }
                            });
                        }
                    }
                }
            }
        }
        for resp in answers {
            reader_channel.queue_response(resp).await;
        }
        reader_channel.mark_closed();
        handler.on_close(&reader_channel);
    });
    Ok(channel)
}
