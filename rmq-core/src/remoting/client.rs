//! A pool of outgoing connections, one per address, with timeouts and reconnects.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
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
    /// Open connections; looked up without waiting on every request.
    channels: Arc<StdMutex<HashMap<String, Channel>>>,
    /// Held while connecting, so one address gets one connection.
    connecting: Arc<Mutex<()>>,
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
            connecting: self.connecting.clone(),
        }
    }
}

impl<H: RequestHandler> RemotingClient<H> {
    /// A client whose connections pass server-initiated requests to `handler`.
    pub fn new(handler: Arc<H>) -> Self {
        RemotingClient {
            handler,
            channels: Arc::default(),
            connecting: Arc::default(),
        }
    }

    /// The open connection to `addr`, connecting when there is none.
    pub async fn channel(&self, addr: &str) -> Result<Channel, RemotingError> {
        if let Some(ch) = self.open_channel(addr) {
            return Ok(ch);
        }
        let _connecting = self.connecting.lock().await;
        if let Some(ch) = self.open_channel(addr) {
            return Ok(ch);
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
        self.lock_channels().insert(addr.to_owned(), ch.clone());
        Ok(ch)
    }

    fn lock_channels(&self) -> std::sync::MutexGuard<'_, HashMap<String, Channel>> {
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The open connection to `addr`, if there is one (never connects).
    pub fn open_channel(&self, addr: &str) -> Option<Channel> {
        self.lock_channels()
            .get(addr)
            .filter(|ch| !ch.is_closed())
            .cloned()
    }

    /// Sends a request to `addr` and waits for the response.
    pub async fn invoke(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let started = std::time::Instant::now();
        let ch = match self.open_channel(addr) {
            Some(ch) => ch,
            None => tokio::time::timeout(timeout, self.channel(addr))
                .await
                .map_err(|_| RemotingError::Timeout {
                    addr: addr.to_owned(),
                    timeout_ms: timeout.as_millis() as u64,
                })??,
        };
        let remaining = timeout.saturating_sub(started.elapsed());
        let result = ch.invoke(request, remaining).await;
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
        let mut channels = self.lock_channels();
        if channels.get(addr) == Some(ch) {
            channels.remove(addr);
        }
    }

    /// Closes every connection.
    pub async fn close_all(&self) {
        let channels: Vec<Channel> = self.lock_channels().drain().map(|(_, ch)| ch).collect();
        for ch in channels {
            ch.close();
        }
    }
}
