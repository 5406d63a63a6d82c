//! The accept loop: one [`Channel`] per connection, all served by one handler.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{spawn_connection, Channel, RequestHandler};

/// A running server: stop it with [`ServerHandle::shutdown`].
#[derive(Debug)]
pub struct ServerHandle {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<Channel>>>,
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

    /// Stops accepting and closes every connection.
    pub async fn shutdown(mut self) {
        self.stop_accepting().await;
        self.close_connections();
    }
}

/// Accepts connections on `listener` until `shutdown` completes or the handle is shut down.
pub fn serve<H: RequestHandler>(
    listener: TcpListener,
    handler: Arc<H>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> ServerHandle {
    let (stop, mut stopped) = watch::channel(false);
    let connections: Arc<Mutex<Vec<Channel>>> = Arc::default();
    let conns = connections.clone();
    let task = tokio::spawn(async move {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = stopped.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        tracing::debug!(%peer, "accepted connection");
                        match spawn_connection(stream, handler.clone()) {
                            Ok(ch) => {
                                let mut list = conns.lock().unwrap_or_else(|e| e.into_inner());
                                list.retain(|c| !c.is_closed());
                                list.push(ch);
                            }
                            Err(e) => tracing::warn!(%peer, error = %e, "cannot set up connection"),
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
            }
        }
    });
    ServerHandle {
        stop,
        task: Some(task),
        connections,
    }
}
