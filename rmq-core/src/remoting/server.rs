//! The accept loop: one [`Channel`] per connection, all served by one handler, with a cap on
//! how many connections are open at once.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

use super::{spawn_connection, Channel, RequestHandler};

/// How many connections a server keeps open at once unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// How often a server at its connection cap says so.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// How a server accepts connections. Build it from [`ServerOptions::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    /// Open connections at most ([`DEFAULT_MAX_CONNECTIONS`]); past it a new connection is
    /// accepted and closed at once, so a flood of sockets cannot exhaust file descriptors.
    pub max_connections: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ServerOptions {
    /// Sets how many connections may be open at once.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }
}

/// A running server: stop it with [`ServerHandle::shutdown`].
#[derive(Debug)]
pub struct ServerHandle {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<Channel>>>,
    slots: Arc<Semaphore>,
    max_connections: usize,
}

impl ServerHandle {
    /// Stops accepting connections; open connections keep being served.
    pub async fn stop_accepting(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Closes every open connection.
    pub fn close_connections(&self) {
        let conns =
            std::mem::take(&mut *self.connections.lock().unwrap_or_else(|e| e.into_inner()));
        for ch in conns {
            ch.close();
        }
    }

    /// How many accepted connections are open (they count against the cap until closed).
    pub fn open_connections(&self) -> usize {
        self.max_connections
            .saturating_sub(self.slots.available_permits())
    }

    /// A function counting the open connections, usable after the handle is gone (for
    /// metrics).
    pub fn connection_probe(&self) -> impl Fn() -> usize + Send + Sync + 'static {
        let (slots, max) = (self.slots.clone(), self.max_connections);
        move || max.saturating_sub(slots.available_permits())
    }

    /// The cap on open connections this server was started with.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// Stops accepting and closes every connection.
    pub async fn shutdown(mut self) {
        self.stop_accepting().await;
        self.close_connections();
    }
}

/// Accepts connections on `listener` until `shutdown` completes or the handle is shut down,
/// with the default [`ServerOptions`].
pub fn serve<H: RequestHandler>(
    listener: TcpListener,
    handler: Arc<H>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> ServerHandle {
    serve_with(listener, handler, shutdown, ServerOptions::default())
}

/// Accepts connections on `listener` until `shutdown` completes or the handle is shut down.
pub fn serve_with<H: RequestHandler>(
    listener: TcpListener,
    handler: Arc<H>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: ServerOptions,
) -> ServerHandle {
    let (stop, mut stopped) = watch::channel(false);
    let max_connections = options.max_connections.min(Semaphore::MAX_PERMITS);
    let mut admission = Admission {
        handler,
        connections: Arc::default(),
        slots: Arc::new(Semaphore::new(max_connections)),
        max_connections,
        refused: 0,
        last_warn: None,
    };
    let (connections, slots) = (admission.connections.clone(), admission.slots.clone());
    let task = tokio::spawn(async move {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = stopped.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => admission.admit(stream, peer),
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
    });
    ServerHandle {
        stop,
        task: Some(task),
        connections,
        slots,
        max_connections,
    }
}

/// What the accept loop needs to set up (or turn away) one connection.
struct Admission<H> {
    handler: Arc<H>,
    connections: Arc<Mutex<Vec<Channel>>>,
    /// One permit per connection that may still open; a connection holds its own until it
    /// closes.
    slots: Arc<Semaphore>,
    max_connections: usize,
    /// Connections turned away since the last warning, and when that was.
    refused: u64,
    last_warn: Option<Instant>,
}

impl<H: RequestHandler> Admission<H> {
    /// Serves an accepted connection, or closes it when the cap is reached.
    fn admit(&mut self, stream: TcpStream, peer: SocketAddr) {
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            drop(stream);
            self.refused += 1;
            // One line a second at most: a flood of sockets must not flood the log too.
            let now = Instant::now();
            if self
                .last_warn
                .is_none_or(|t| now - t >= REFUSAL_LOG_INTERVAL)
            {
                tracing::warn!(
                    %peer,
                    max_connections = self.max_connections,
                    refused = self.refused,
                    "connection limit of {} reached, closing new connections ({} refused since the last report)",
                    self.max_connections,
                    self.refused
                );
                self.refused = 0;
                self.last_warn = Some(now);
            }
            return;
        };
        tracing::debug!(%peer, "accepted connection");
        match spawn_connection(stream, self.handler.clone()) {
            Ok(ch) => {
                let mut list = self.connections.lock().unwrap_or_else(|e| e.into_inner());
                list.retain(|c| !c.is_closed());
                list.push(ch.clone());
                tokio::spawn(async move {
                    ch.closed().await;
                    drop(slot);
                });
            }
            Err(e) => tracing::warn!(%peer, error = %e, "cannot set up connection"),
        }
    }
}
