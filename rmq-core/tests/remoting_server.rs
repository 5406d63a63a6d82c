//! The server's cap on open connections, with real sockets on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_core::protocol::{RemotingCommand, ResponseCode};
use rmq_core::remoting::{
    serve_with, spawn_connection, Channel, ServerOptions, UnsupportedHandler,
    DEFAULT_MAX_CONNECTIONS,
};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// How long any awaited condition may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(5);

/// A client connection to `addr`.
async fn connect(addr: SocketAddr) -> Channel {
    let stream = TcpStream::connect(addr).await.unwrap();
    spawn_connection(stream, Arc::new(UnsupportedHandler)).unwrap()
}

/// The server answers a request on `ch` (with REQUEST_CODE_NOT_SUPPORTED: its handler
/// supports nothing).
async fn assert_answered(ch: &Channel) {
    let resp = ch
        .invoke(RemotingCommand::request(9999), DEADLINE)
        .await
        .expect("a connection within the cap is served");
    assert_eq!(
        resp.response_code(),
        Some(ResponseCode::RequestCodeNotSupported)
    );
}

/// The server closes `stream` within the deadline: a read sees the end of the stream (or a
/// reset), never data.
async fn assert_closed_by_server(stream: &mut TcpStream) {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(DEADLINE, stream.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        Ok(Ok(n)) => panic!("read {n} bytes from a connection past the cap"),
        Err(_) => panic!("a connection past the cap is still open after {DEADLINE:?}"),
    }
}

/// Polls `condition` until it holds, failing the test after the deadline.
async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn default_cap_is_ten_thousand() {
    assert_eq!(DEFAULT_MAX_CONNECTIONS, 10_000);
    assert_eq!(
        ServerOptions::default().max_connections,
        DEFAULT_MAX_CONNECTIONS
    );
    assert_eq!(
        ServerOptions::default().max_connections(3).max_connections,
        3
    );
}

#[tokio::test]
async fn connections_past_the_cap_are_closed_and_a_closed_one_frees_its_slot() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = serve_with(
        listener,
        Arc::new(UnsupportedHandler),
        std::future::pending(),
        ServerOptions::default().max_connections(3),
    );
    assert_eq!(server.max_connections(), 3);

    let mut open = Vec::new();
    for _ in 0..3 {
        let ch = connect(addr).await;
        assert_answered(&ch).await;
        open.push(ch);
    }
    assert_eq!(server.open_connections(), 3);

    let mut fourth = TcpStream::connect(addr).await.unwrap();
    assert_closed_by_server(&mut fourth).await;
    assert_eq!(server.open_connections(), 3);

    open.remove(0).close();
    wait_until("the closed connection's slot to be freed", || {
        server.open_connections() == 2
    })
    .await;
    let again = connect(addr).await;
    assert_answered(&again).await;
    assert_eq!(server.open_connections(), 3);
    for ch in &open {
        assert_answered(ch).await;
    }

    server.shutdown().await;
}
