//! Binding the listening socket of a NameServer or a Broker.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::error::BrokerError;

/// Binds `addr` (port 0 = ephemeral); the listener and the address it is bound to.
pub(crate) async fn listen(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), BrokerError> {
    let bind_err = |source| BrokerError::Bind {
        addr: addr.to_string(),
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    Ok((listener, local))
}
