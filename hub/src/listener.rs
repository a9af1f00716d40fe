//! The hub's accept loop, which keeps client addresses out of every log and slow clients from
//! starving the others.
//!
//! A client's address is a [`Peer`] whose `Debug` prints nothing, so no log level or filter can
//! leak it; the rate limiter, the connection cap and the report quota read it (through
//! `ConnectInfo<Peer>`) and nothing else does. Each connection is HTTP/1 with a header-read
//! timeout (a client that never finishes its headers is dropped); [`Connections`] caps the open
//! connections per client address (IPv6: per /64) and in all: one over the cap is closed at once,
//! before anything is read from it. The whole-request timeout is a middleware in `routes.rs`.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};

use crate::ratelimit::client_key;

/// A client's address, for the in-memory rate limiter, connection cap and report quota only.
/// Its `Debug` is redacted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub(crate) IpAddr);

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Peer(<redacted>)")
    }
}

/// Open connections per client key and in all, in memory only.
#[derive(Debug)]
pub struct Connections {
    per_client: usize,
    total: usize,
    open: Mutex<(HashMap<IpAddr, usize>, usize)>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Slot {
    key: IpAddr,
    conns: Arc<Connections>,
}

impl Connections {
    pub fn new(per_client: u32, total: u32) -> Arc<Connections> {
        Arc::new(Connections {
            per_client: usize::try_from(per_client).unwrap_or(usize::MAX),
            total: usize::try_from(total).unwrap_or(usize::MAX),
            open: Mutex::new((HashMap::new(), 0)),
        })
    }

    /// A place for one more connection from `ip`, or `None` over either cap.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let key = client_key(ip);
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (map, total) = &mut *open;
        if *total >= self.total {
            return None;
        }
        let n = map.entry(key).or_insert(0);
        if *n >= self.per_client {
            return None;
        }
        *n += 1;
        *total += 1;
        Some(Slot {
            key,
            conns: self.clone(),
        })
    }

    /// Connections open now (all clients).
    pub fn open(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .conns
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (map, total) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// The next connection, its peer address redacted. Accept errors (out of file descriptors and
/// the like; they carry no address) are logged and retried after a short pause.
async fn accept(listener: &TcpListener) -> (TcpStream, Peer) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                return (stream, Peer(addr.ip()));
            }
            Err(e) => {
                tracing::error!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// How long the accept loop waits for open connections after `shutdown`.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes: HTTP/1 with a `header_read_timeout`,
/// at most `conns`' caps of open connections, each request carrying `ConnectInfo<Peer>`. Then
/// stops accepting and lets open connections finish for up to [`SHUTDOWN_GRACE`].
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    conns: Arc<Connections>,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = accept(&listener) => accepted,
            () = &mut shutdown => break,
        };
        let Some(slot) = conns.admit(peer.0) else {
            // Over the cap: closed before a byte is read.
            drop(stream);
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            tower_service::Service::call(&mut router, req)
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A connection error (a reset, a header timeout) concerns that client only.
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {}
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

    #[test]
    fn connections_are_capped_per_client_and_in_all() {
        let c = Connections::new(2, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let s1 = c.admit(a).unwrap();
        let _s2 = c.admit(a).unwrap();
        assert!(c.admit(a).is_none(), "per client");
        let _s3 = c.admit(b).unwrap();
        assert!(c.admit(b).is_none(), "in all");
        drop(s1);
        assert!(c.admit(a).is_some(), "a closed connection frees its place");
    }
}
