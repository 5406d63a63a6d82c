//! A pool of outgoing connections, one per address, with timeouts and reconnects.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::Mutex;

use super::{spawn_connection, Channel, RemotingError, RequestHandler};
use crate::protocol::RemotingCommand;

/// How long a TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Outgoing connections keyed by `host:port`. Cheap to clone.
pub struct RemotingClient<H: RequestHandler> {
    handler: Arc<H>,
    channels: Arc<Mutex<HashMap<String, Channel>>>,
}

impl<H: RequestHandler> std::fmt::Debug for RemotingClient<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemotingClient").finish_non_exhaustive()
    }
}

impl<H: RequestHandler> Clone for RemotingClient<H> {
    fn clone(&self) -> Self {
        RemotingClient {
            handler: self.handler.clone(),
            channels: self.channels.clone(),
        }
    }
}

impl<H: RequestHandler> RemotingClient<H> {
    /// A client whose connections pass server-initiated requests to `handler`.
    pub fn new(handler: Arc<H>) -> Self {
        RemotingClient {
            handler,
            channels: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The open connection to `addr`, connecting when there is none.
    pub async fn channel(&self, addr: &str) -> Result<Channel, RemotingError> {
        let mut channels = self.channels.lock().await;
        if let Some(ch) = channels.get(addr) {
            if !ch.is_closed() {
                return Ok(ch.clone());
            }
        }
        let connect = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr));
        let stream = match connect.await {
            Ok(Ok(s)) => s,
            Ok(Err(source)) => {
                return Err(RemotingError::Connect {
                    addr: addr.to_owned(),
                    source,
                })
            }
            Err(_) => {
                return Err(RemotingError::Connect {
                    addr: addr.to_owned(),
                    source: std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
                })
            }
        };
        let ch = spawn_connection(stream, self.handler.clone()).map_err(|source| {
            RemotingError::Connect {
                addr: addr.to_owned(),
                source,
            }
        })?;
        channels.insert(addr.to_owned(), ch.clone());
        Ok(ch)
    }

    /// Sends a request to `addr` and waits for the response.
    pub async fn invoke(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let ch = tokio::time::timeout(timeout, self.channel(addr))
            .await
            .map_err(|_| RemotingError::Timeout {
                addr: addr.to_owned(),
                timeout_ms: timeout.as_millis() as u64,
            })??;
        let result = ch.invoke(request, timeout).await;
        if matches!(result, Err(RemotingError::ChannelClosed(_))) {
            self.forget(addr, &ch).await;
        }
        result
    }

    /// Sends a oneway request to `addr`.
    pub async fn invoke_oneway(
        &self,
        addr: &str,
        request: RemotingCommand,
    ) -> Result<(), RemotingError> {
        let ch = self.channel(addr).await?;
        ch.invoke_oneway(request).await
    }

    async fn forget(&self, addr: &str, ch: &Channel) {
        let mut channels = self.channels.lock().await;
        if channels.get(addr) == Some(ch) {
            channels.remove(addr);
        }
    }

    /// Closes every connection.
    pub async fn close_all(&self) {
        for (_, ch) in self.channels.lock().await.drain() {
            ch.close();
        }
    }
}
