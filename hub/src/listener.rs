//! The TCP listener the hub serves on, which keeps client addresses out of every log.
//!
//! axum (at trace level) logs each accepted connection's address with `Debug`. Here the address
//! is a [`Peer`] whose `Debug` prints nothing, so no log level or filter can leak it; the rate
//! limiter reads it through `ConnectInfo<Peer>` and nothing else does.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::net::{TcpListener, TcpStream};

/// A client's address, for the in-memory rate limiter only. Its `Debug` is redacted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub(crate) IpAddr);

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Peer(<redacted>)")
    }
}

/// A `TcpListener` whose accepted connections carry a [`Peer`] instead of a `SocketAddr`.
#[derive(Debug)]
pub struct PrivateListener(pub TcpListener);

impl Listener for PrivateListener {
    type Io = TcpStream;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (stream, Peer(addr.ip()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: say so (no address in an accept
                    // error), back off a little, go on.
                    tracing::error!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(Peer(self.0.local_addr()?.ip()))
    }
}

impl Connected<IncomingStream<'_, PrivateListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, PrivateListener>) -> Self {
        *stream.remote_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_never_prints_its_address() {
        let p = Peer("203.0.113.9".parse().unwrap());
        assert!(!format!("{p:?}").contains("203"));
    }
}
