//! Remoting over TCP: framed connections shared by servers and clients.
//!
//! A [`Channel`] is one connection. Both sides may send requests on it; responses are matched
//! to requests by `opaque`. Incoming requests go to a [`RequestHandler`], each on its own task,
//! so a held (long-polling) request never blocks the connection, and a request whose peer
//! closes right after sending it is still processed.

mod channel;
mod client;
mod error;
mod server;

pub use channel::{spawn_connection, Channel, RequestHandler, UnsupportedHandler};
pub use client::RemotingClient;
pub use error::RemotingError;
pub use server::{serve, ServerHandle};
