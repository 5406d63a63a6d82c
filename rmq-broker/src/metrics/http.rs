//! A minimal HTTP/1.1 server for `GET /metrics` (one request per connection, then close):
//! the broker needs nothing more, and this keeps an HTTP stack out of its dependencies.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use tokio::task::JoinHandle;

use super::CONTENT_TYPE;
use crate::broker::BrokerInner;
use crate::error::BrokerError;

/// Longest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request and read the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The first line of a request: method and path (query stripped), or why it is refused.
fn request_line(head: &[u8]) -> Result<(&str, &str), u16> {
    let line_end = head.windows(2).position(|w| w == b"\r\n").ok_or(400u16)?;
    let line = std::str::from_utf8(&head[..line_end]).map_err(|_| 400u16)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if !version.starts_with("HTTP/1.") {
        return Err(505);
    }
    let path = target.split('?').next().unwrap_or(target);
    Ok((method, path))
}

fn response(status: u16, content_type: &str, body: &str, head_only: bool) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "HTTP Version Not Supported",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, u16> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await.map_err(|_| 400u16)?;
        if n == 0 {
            return Err(400);
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(431);
        }
    }
}

async fn serve_one(mut stream: TcpStream, render: Arc<dyn Fn() -> String + Send + Sync>) {
    let answer = async {
        let reply = match read_head(&mut stream).await {
            Err(status) => response(status, "text/plain", "bad request\n", false),
            Ok(head) => match request_line(&head) {
                Err(status) => response(status, "text/plain", "bad request\n", false),
                Ok((method @ ("GET" | "HEAD"), "/metrics")) => {
                    response(200, CONTENT_TYPE, &render(), method == "HEAD")
                }
                Ok((_, "/metrics")) => response(405, "text/plain", "only GET\n", false),
                Ok(_) => response(404, "text/plain", "see /metrics\n", false),
            },
        };
        let _ = stream.write_all(&reply).await;
        let _ = stream.shutdown().await;
    };
    if tokio::time::timeout(IO_TIMEOUT, answer).await.is_err() {
        tracing::debug!("metrics client too slow, dropped");
    }
}

/// Serves `GET /metrics` with `render()` on `listener` until `stop` completes.
pub async fn serve(
    listener: TcpListener,
    render: Arc<dyn Fn() -> String + Send + Sync>,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_one(stream, render.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics server accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// Starts the broker's `/metrics` server when its configuration asks for one
/// (`metricsPort`, or `metricsExporterType=PROM`): on `metricsHost` (default `brokerIP1`).
/// The bound address and the serving task.
///
/// # Errors
/// `Bind` when the address cannot be bound.
pub async fn start(
    inner: &Arc<BrokerInner>,
) -> Result<Option<(SocketAddr, JoinHandle<()>)>, BrokerError> {
    let cfg = &inner.config;
    let Some(port) = cfg.metrics.serve_port() else {
        return Ok(None);
    };
    let addr = SocketAddr::new(cfg.metrics.host.unwrap_or(cfg.broker_ip1), port);
    let bind_err = |source| BrokerError::Bind {
        addr: addr.to_string(),
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    let weak = Arc::downgrade(inner);
    let render: Arc<dyn Fn() -> String + Send + Sync> = Arc::new(move || {
        weak.upgrade()
            .map_or_else(String::new, |b| super::render(&b))
    });
    tracing::info!("metrics served on http://{local}/metrics");
    let task = tokio::spawn(serve(listener, render, std::future::pending()));
    Ok(Some((local, task)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        assert_eq!(
            request_line(b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"),
            Ok(("GET", "/metrics"))
        );
        assert_eq!(request_line(b"GET /metrics\r\n\r\n"), Err(400));
        assert_eq!(request_line(b"GET /metrics HTTP/2\r\n\r\n"), Err(505));
        assert_eq!(request_line(b"\xff\xfe x y\r\n\r\n"), Err(400));
    }
}
