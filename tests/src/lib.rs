//! Test support for the end-to-end scenarios in `tests/`: a whole network made in code (keys,
//! signed profile, a running hub), devices, and the network faults the scenarios inject.
//!
//! Everything here listens on 127.0.0.1 with an OS-assigned port and stops when dropped; nothing
//! touches any other address.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{Duration as ChronoDuration, Utc};
use silbato_core::app::{App, AppConfig};
use silbato_core::crypto::SigningKey;
use silbato_core::inbox::Inbox;
use silbato_core::inbox::alert::{Alert, Certainty};
use silbato_core::keys::{FileKeyStore, KdfParams};
use silbato_core::network::NetworkProfile;
use silbato_core::protocol::DispatcherKeys;
use silbato_core::rights::RightsLibrary;
use silbato_core::sync::{HubClient, SyncConfig, SyncReport, SyncTargets};
use silbato_core::watchlist::Watchlists;
use silbato_hub::{HubConfig, RunningHub, push::Gateways};
use silbato_testkit::{AlertBuilder, NetworkBuilder};

/// A network made in code by `silbato_testkit`: root key, two dispatchers (with report keys), a
/// signed profile on disk.
pub struct TestNetwork {
    pub dir: tempfile::TempDir,
    pub root: SigningKey,
    pub dispatchers: Vec<DispatcherKeys>,
    pub profile: NetworkProfile,
    pub profile_path: PathBuf,
}

impl TestNetwork {
    /// `hub_url` goes into the profile; pass the proxy's URL when devices should go through one.
    pub fn new(hub_url: &str) -> Self {
        Self::from_builder(Self::builder(hub_url))
    }

    /// What [`TestNetwork::new`] builds, to change first: testkit's `chi` network ("Chicago
    /// Rapid Response") on `hub_url`, regions Chicago and Los Angeles, dispatchers Ana and Luis
    /// valid from a day ago for 30 days, no publisher. Its clock is the wall clock, which the hub
    /// and the devices read. Its keys come from the label `chi`: give another network
    /// `.seed(..)` when two must not share keys.
    pub fn builder(hub_url: &str) -> NetworkBuilder {
        NetworkBuilder::new("chi")
            .now(Utc::now())
            .hub_url(hub_url)
            .region("US-CA-LA", "Los Angeles")
            .publishers(0)
    }

    /// The network `builder` describes, its signed profile written to a temporary directory.
    /// Only the first root key is kept.
    pub fn from_builder(builder: NetworkBuilder) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let silbato_testkit::TestNetwork {
            profile,
            roots,
            dispatchers,
            envelope,
            ..
        } = builder.build();
        let root = roots.into_iter().next().expect("a network with a root key");
        let profile_path = dir.path().join("profile.json");
        std::fs::write(&profile_path, envelope).unwrap();
        TestNetwork {
            dir,
            root,
            dispatchers,
            profile,
            profile_path,
        }
    }

    pub fn sign_profile(profile: &NetworkProfile, root: &SigningKey) -> Vec<u8> {
        silbato_testkit::sign_profile(profile, &[root])
    }

    pub fn profile_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.profile_path).unwrap()
    }

    pub fn hub_config(&self) -> HubConfig {
        let mut c = HubConfig::new(
            "127.0.0.1:0",
            self.dir.path().join("hub-data"),
            &self.profile_path,
        );
        c.limits.requests_per_minute = 1_000_000;
        // The devices' push endpoints are on loopback (issue 12 item 17 refuses them otherwise).
        c.egress.allow_private_endpoints = true;
        c
    }

    pub fn start_hub(&self, gateways: Gateways) -> RunningHub {
        silbato_hub::start(self.hub_config(), gateways).unwrap()
    }
}

/// Installs `net`'s profile on `app`, changed by `edit` (another id, name or hub) and signed again
/// by its root, confirmed by its fingerprint.
pub fn install_edited(app: &App, net: &TestNetwork, edit: impl FnOnce(&mut NetworkProfile)) {
    let mut p = net.profile.clone();
    edit(&mut p);
    app.inbox()
        .install_network(
            &TestNetwork::sign_profile(&p, &net.root),
            Some(&p.fingerprint()),
        )
        .unwrap();
}

/// A one-language alert signed by nobody yet, in force for six hours, over 47th and Ashland
/// (800 m) and the given region codes.
pub fn alert(id: &str, certainty: Certainty, regions: &[&str]) -> Alert {
    alert_builder(id, certainty, regions).build()
}

/// [`alert`] as a builder, to change or sign: testkit's raid alert of `chi` at the wall clock,
/// sent a minute ago, with the English headline "Agents reported (`id`)" only.
pub fn alert_builder(id: &str, certainty: Certainty, regions: &[&str]) -> AlertBuilder {
    AlertBuilder::new(id)
        .now(Utc::now())
        .certainty(certainty)
        .expires_in(ChronoDuration::hours(6))
        .regions(regions)
        .without_text("es")
        .text("en", &format!("Agents reported ({id})"))
        .description("en", None)
}

/// Every report waiting at the hub, read page by page as `dispatcher` and opened with its key:
/// the record ids, in the hub's order (a duplicate stored twice shows twice).
pub fn reports_at_hub(hub_url: &str, dispatcher: &DispatcherKeys) -> Vec<String> {
    let client = HubClient::new(SyncConfig::new(hub_url)).unwrap();
    let mut ids = Vec::new();
    let mut cursor = "0".to_owned();
    loop {
        let page = client
            .reports_page(&dispatcher.signing, &cursor, Utc::now())
            .unwrap();
        for item in &page.reports {
            let sealed = silbato_core::protocol::unb64(&item.sealed).unwrap();
            let report = silbato_core::protocol::open_report(&sealed, &dispatcher.seal).unwrap();
            ids.push(report.record_id);
        }
        cursor = page.next;
        if !page.more {
            return ids;
        }
    }
}

/// One phone: its own data directory with the rights library, the inbox and the watch-lists.
/// A device's `App` on `dir` as the tests run it: the fast (insecure) KDF, no idle lock, the
/// inbox key in a user-only key file beside the data.
pub fn open_app(dir: &Path) -> App {
    let config = AppConfig {
        kdf: KdfParams::FAST_INSECURE,
        vault_idle_timeout: None,
        vault_key_in_platform_store: false,
    };
    App::open(dir, config, Arc::new(FileKeyStore::new(dir))).unwrap()
}

pub struct Device {
    pub dir: tempfile::TempDir,
    /// The same composition root the shells use, on this device's data directory.
    pub app: App,
}

impl Device {
    pub fn new(net: &TestNetwork) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let app = open_app(dir.path());
        app.inbox()
            .install_network(&net.profile_bytes(), Some(&net.profile.fingerprint()))
            .unwrap();
        Device { dir, app }
    }

    pub fn rights(&self) -> &RightsLibrary {
        self.app.rights()
    }

    /// The app's inbox (a handle: the panic wipe replaces it with a new, empty one).
    pub fn inbox(&self) -> Arc<Inbox> {
        self.app.inbox()
    }

    pub fn watchlists(&self) -> Arc<Watchlists> {
        self.app.watchlists()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn sync_with(&self, config: SyncConfig, now: chrono::DateTime<Utc>) -> SyncReport {
        let client = HubClient::new(config).unwrap();
        let (inbox, watchlists) = (self.app.inbox(), self.app.watchlists());
        let targets = SyncTargets {
            inbox: &inbox,
            rights: self.app.rights(),
            watchlists: &watchlists,
        };
        silbato_core::sync::sync(&client, &targets, now)
    }
}

/// A small deterministic generator, so a failing fault run can be repeated exactly.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// A tokio runtime on its own thread serving `router` on 127.0.0.1:0, stopped on drop.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(router: axum::Router) -> Server {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
            // Stalled handlers may still be sleeping; don't wait for them.
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        Server {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How often the fault proxy does each bad thing, in percent.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Forward the request, let the hub act, then break the response.
    pub drop_response: u64,
    /// Send the request to the hub twice.
    pub duplicate_request: u64,
    /// Answer 500 with `Retry-After` without forwarding.
    pub error_500: u64,
    /// Forward, then hold the response past the client's timeout.
    pub stall: u64,
    pub stall_for: Duration,
}

#[derive(Debug, Default)]
pub struct FaultCounts {
    pub forwarded: AtomicU64,
    pub dropped: AtomicU64,
    pub duplicated: AtomicU64,
    pub errors: AtomicU64,
    pub stalled: AtomicU64,
}

struct ProxyState {
    upstream: String,
    faults: Faults,
    rng: Mutex<Lcg>,
    client: reqwest::Client,
    counts: Arc<FaultCounts>,
}

/// An HTTP proxy between devices and a hub that misbehaves on purpose.
pub struct FaultProxy {
    pub server: Server,
    pub counts: Arc<FaultCounts>,
}

impl FaultProxy {
    pub fn start(upstream: &str, faults: Faults, seed: u64) -> FaultProxy {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let counts = Arc::new(FaultCounts::default());
        let state = Arc::new(ProxyState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            faults,
            rng: Mutex::new(Lcg(seed)),
            client: reqwest::Client::builder().build().unwrap(),
            counts: counts.clone(),
        });
        let router = axum::Router::new().fallback(proxy).with_state(state);
        FaultProxy {
            server: Server::start(router),
            counts,
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}

async fn forward(
    s: &ProxyState,
    method: &reqwest::Method,
    pq: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<(StatusCode, HeaderMap, Bytes)> {
    let mut req = s
        .client
        .request(method.clone(), format!("{}{pq}", s.upstream))
        .body(body.clone());
    for (k, v) in headers {
        if k != "host" && k != "content-length" {
            req = req.header(k.as_str(), v.as_bytes());
        }
    }
    let resp = req.send().await.ok()?;
    let status = StatusCode::from_u16(resp.status().as_u16()).ok()?;
    let mut h = HeaderMap::new();
    for (k, v) in resp.headers() {
        if k != "content-length"
            && k != "transfer-encoding"
            && k != "connection"
            && let (Ok(name), Ok(value)) = (
                axum::http::HeaderName::from_bytes(k.as_str().as_bytes()),
                HeaderValue::from_bytes(v.as_bytes()),
            )
        {
            h.insert(name, value);
        }
    }
    let bytes = resp.bytes().await.ok()?;
    s.counts.forwarded.fetch_add(1, Ordering::Relaxed);
    Some((status, h, bytes))
}

async fn proxy(State(s): State<Arc<ProxyState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 8 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let pq = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let roll = |pct: u64| s.rng.lock().unwrap().below(100) < pct;
    let f = s.faults;
    if roll(f.error_500) {
        s.counts.errors.fetch_add(1, Ordering::Relaxed);
        return Response::builder()
            .status(500)
            .header("retry-after", "1")
            .body(Body::from("{}"))
            .unwrap();
    }
    if roll(f.duplicate_request) {
        s.counts.duplicated.fetch_add(1, Ordering::Relaxed);
        let _ = forward(&s, &method, &pq, &parts.headers, &body).await;
    }
    let Some((status, headers, bytes)) = forward(&s, &method, &pq, &parts.headers, &body).await
    else {
        return Response::builder().status(502).body(Body::empty()).unwrap();
    };
    if roll(f.stall) {
        s.counts.stalled.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(f.stall_for).await;
    }
    let mut builder = Response::builder().status(status);
    for (k, v) in &headers {
        builder = builder.header(k, v);
    }
    if roll(f.drop_response) {
        // The hub has acted; the device never gets the answer: the body breaks mid-stream.
        s.counts.dropped.fetch_add(1, Ordering::Relaxed);
        let half = bytes.slice(..bytes.len() / 2);
        let stream = futures_util::stream::iter(vec![
            Ok::<Bytes, std::io::Error>(half),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "dropped by the fault proxy",
            )),
        ]);
        return builder
            .header("content-length", bytes.len().to_string())
            .body(Body::from_stream(stream))
            .unwrap();
    }
    builder.body(Body::from(bytes)).unwrap()
}

/// A TCP relay that counts every byte in both directions: what "on the wire" means.
pub struct ByteCounter {
    pub addr: SocketAddr,
    pub up: Arc<AtomicU64>,
    pub down: Arc<AtomicU64>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ByteCounter {
    pub fn start(upstream: SocketAddr) -> ByteCounter {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (up, down) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let (u, d) = (up.clone(), down.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        Ok((client, _)) = listener.accept() => {
                            let (u, d) = (u.clone(), d.clone());
                            tokio::spawn(async move {
                                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
                                let (mut cr, mut cw) = client.into_split();
                                let (mut sr, mut sw) = server.into_split();
                                let a = relay(&mut cr, &mut sw, u);
                                let b = relay(&mut sr, &mut cw, d);
                                let _ = tokio::join!(a, b);
                            });
                        }
                    }
                }
            });
        });
        ByteCounter {
            addr,
            up,
            down,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn total(&self) -> u64 {
        self.up.load(Ordering::Relaxed) + self.down.load(Ordering::Relaxed)
    }

    pub fn reset(&self) {
        self.up.store(0, Ordering::Relaxed);
        self.down.store(0, Ordering::Relaxed);
    }
}

async fn relay(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
    count: Arc<AtomicU64>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                count.fetch_add(n as u64, Ordering::Relaxed);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

impl Drop for ByteCounter {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A loopback UnifiedPush distributor: records every push a hub POSTs to `/push/{device}`.
/// Pushes received, as (device, body).
pub type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

pub struct PushReceiver {
    pub server: Server,
    pub received: Received,
}

impl PushReceiver {
    pub fn start() -> PushReceiver {
        let received: Received = Arc::default();
        let r = received.clone();
        let router = axum::Router::new().route(
            "/push/{device}",
            axum::routing::post(
                move |axum::extract::Path(device): axum::extract::Path<String>, body: Bytes| {
                    let r = r.clone();
                    async move {
                        r.lock().unwrap().push((device, body.to_vec()));
                        StatusCode::CREATED
                    }
                },
            ),
        );
        PushReceiver {
            server: Server::start(router),
            received,
        }
    }

    pub fn endpoint(&self, device: &str) -> String {
        format!("{}/push/{device}", self.server.url())
    }

    pub fn for_device(&self, device: &str) -> Vec<Vec<u8>> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|(d, _)| d == device)
            .map(|(_, b)| b.clone())
            .collect()
    }
}
