//! Remoting over TCP: framed connections shared by servers and clients.
//!
//! A [`Channel`] is one connection. Both sides may send requests on it; responses are matched
//! to requests by `opaque`, either by a task awaiting them or by a callback. Incoming requests go
//! to a [`RequestHandler`]: those that complete at once run in order on the connection's reader;
//! those that wait (a flush, a held pull) continue on their own task, so they never block the
//! connection, and a request whose peer closes right after sending it is still processed.
//!
//! A server ([`serve`], [`serve_with`]) keeps at most [`ServerOptions::max_connections`]
//! connections open; past it new ones are closed at once.

mod channel;
mod client;
mod error;
mod handler;
mod pending;
mod server;

pub use channel::{spawn_connection, Channel};
pub use client::RemotingClient;
pub use error::RemotingError;
pub use handler::{RequestHandler, UnsupportedHandler};
pub use pending::ResponseCallback;
pub use server::{serve, serve_with, ServerHandle, ServerOptions, DEFAULT_MAX_CONNECTIONS};
