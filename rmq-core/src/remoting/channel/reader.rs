//! The reader of a connection: decodes frames, hands responses to their waiters and requests
//! to the handler, and queues the answers of the requests that complete at once.

use std::sync::Arc;

use futures_util::{FutureExt, StreamExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio_util::codec::FramedRead;

use super::Channel;
use crate::protocol::{ProtocolError, RemotingCodec, RemotingCommand};
use crate::remoting::RequestHandler;

/// The reader's initial buffer: many small frames per read.
const READ_BUFFER: usize = 64 * 1024;

/// How many frames the reader handles before it lets other tasks run.
const FRAMES_PER_TURN: usize = 32;

/// Reads `input` until it ends, a frame is malformed or the channel closes; then closes the
/// channel and tells the handler.
pub(super) async fn run<H: RequestHandler>(
    channel: Channel,
    input: OwnedReadHalf,
    handler: Arc<H>,
) {
    let mut reader = Reader {
        frames: FramedRead::with_capacity(input, RemotingCodec::default(), READ_BUFFER),
        channel,
        handler,
        answers: Vec::new(),
        since_yield: 0,
    };
    while let Some(frame) = reader.next_frame().await {
        match frame {
            Ok(cmd) => reader.dispatch(cmd),
            Err(e) => {
                tracing::warn!(remote = %reader.channel.remote_addr(), error = %e, "malformed frame, closing connection");
                break;
            }
        }
    }
    reader.flush_answers().await;
    reader.channel.mark_closed();
    reader.handler.on_close(&reader.channel);
}

struct Reader<H> {
    frames: FramedRead<OwnedReadHalf, RemotingCodec>,
    channel: Channel,
    handler: Arc<H>,
    /// Responses of the requests read in one go, handed to the writer together once no
    /// further frame is ready: one writer wake-up and one write for the lot.
    answers: Vec<RemotingCommand>,
    /// Frames handled since this task last let others run.
    since_yield: usize,
}

impl<H: RequestHandler> Reader<H> {
    /// The next frame; `None` at the end of the stream or when the channel closes.
    async fn next_frame(&mut self) -> Option<Result<RemotingCommand, ProtocolError>> {
        if self.since_yield >= FRAMES_PER_TURN {
            // Let the tasks this batch woke (the writer with its answers, senders whose
            // callbacks ran) go before reading on: a woken task waits in this worker's LIFO
            // slot, which no other worker may take, until this task yields. Without this, a
            // full window of requests and answers would ping-pong as one batch.
            self.since_yield = 0;
            self.flush_answers().await;
            tokio::task::yield_now().await;
        }
        if let Some(next) = (&mut self.frames.next()).now_or_never() {
            self.since_yield += 1;
            return next;
        }
        self.since_yield = 0;
        self.flush_answers().await;
        tokio::select! {
            next = self.frames.next() => next,
            _ = self.channel.closed() => None,
        }
    }

    /// Queues the answers gathered so far for writing.
    async fn flush_answers(&mut self) {
        for resp in self.answers.drain(..) {
            self.channel.queue_response(resp).await;
        }
    }

    /// Hands a response to its waiter, a request to the handler.
    fn dispatch(&mut self, cmd: RemotingCommand) {
        if cmd.is_response() {
            if let Err(cmd) = self.channel.inner.pending.complete(cmd) {
                tracing::debug!(opaque = cmd.opaque, "response without a pending request");
            }
            return;
        }
        let handler = self.handler.clone();
        let channel = self.channel.clone();
        let mut handling = Box::pin(async move {
            let oneway = cmd.is_oneway();
            match handler.handle(channel.clone(), cmd).await {
                Some(resp) if !oneway => Some((channel, resp)),
                _ => None,
            }
        });
        // Most requests complete without waiting (a send under ASYNC_FLUSH, an offset query):
        // run them here, in order, and spawn only the ones that wait (a flush, a held pull).
        // A future polled once and then handed to a task registers the task's waker on its
        // next poll.
        match (&mut handling).now_or_never() {
            Some(Some((_, resp))) => self.answers.push(resp),
            Some(None) => {}
            None => {
                tokio::spawn(async move {
                    if let Some((channel, resp)) = handling.await {
                        channel.queue_response(resp).await;
                    }
                });
            }
        }
    }
}
