//! The writer of a connection: encodes queued commands and writes them in batches.

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use super::Channel;
use crate::protocol::{encode_command, RemotingCommand};

/// How many bytes of queued commands the writer gathers into one write.
const WRITE_BUFFER: usize = 256 * 1024;

/// Writes the commands of `queue` until it ends, the channel closes or a write fails;
/// everything already queued when a command arrives goes out in the same write.
pub(super) async fn run(
    channel: Channel,
    mut queue: mpsc::Receiver<RemotingCommand>,
    mut out: OwnedWriteHalf,
) {
    let mut buf = BytesMut::with_capacity(WRITE_BUFFER);
    loop {
        let cmd = tokio::select! {
            cmd = queue.recv() => match cmd {
                Some(cmd) => cmd,
                None => break,
            },
            _ = channel.closed() => break,
        };
        encode_command(&cmd, &mut buf);
        drop(cmd);
        while buf.len() < WRITE_BUFFER {
            match queue.try_recv() {
                Ok(cmd) => encode_command(&cmd, &mut buf),
                Err(_) => break,
            }
        }
        if let Err(e) = out.write_all(&buf).await {
            tracing::debug!(remote = %channel.remote_addr(), error = %e, "write failed");
            break;
        }
        buf.clear();
        if buf.capacity() > 4 * WRITE_BUFFER {
            buf = BytesMut::with_capacity(WRITE_BUFFER);
        }
    }
}
