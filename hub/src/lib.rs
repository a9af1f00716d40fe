//! `silbato-hub`: the reference network server of Silbato (protocol v1, see `docs/hub.md`).
//!
//! It serves the network's signed documents (profile, packs, watch-list) as their exact bytes,
//! verifies and stores alerts and fans them out to the push subscriptions of their regions,
//! stores sealed sighting reports it cannot read until a dispatcher fetches them, and forgets
//! delivered reports after the retention period. It must learn as little as possible: no report
//! content, no client addresses in logs or storage, no place finer than a region code.
//!
//! [`start`] runs a hub on its own thread (tests); [`serve`] runs one on the
//! caller's runtime (the binary).

pub mod config;
pub mod coverage;
pub mod db;
pub mod documents;
pub mod egress;
pub mod error;
pub mod fanout;
pub mod handler;
pub mod listener;
pub mod push;
pub mod ratelimit;
pub mod routes;
pub mod subscriptions;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use silbato_store::Store;

pub use config::{HubConfig, Limits, Retention};
pub use db::Purged;
pub use error::{ApiError, HubError};
pub use fanout::FanoutStats;
use fanout::FanoutTracker;
use push::Gateways;
use ratelimit::{NonceCache, RateLimiter, ReportQuota};

/// How often retention runs while the hub is up (it also runs once at start).
pub const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);
/// How long the binary waits for running fan-outs after it stops taking requests.
pub const FANOUT_DRAIN: Duration = Duration::from_secs(10);

/// An open hub: its configuration, database, documents and push gateways. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: HubConfig,
    pub(crate) store: Arc<Store>,
    pub(crate) docs: documents::Documents,
    pub(crate) gateways: Gateways,
    pub(crate) limiter: RateLimiter,
    pub(crate) report_quota: ReportQuota,
    pub(crate) nonces: NonceCache,
    pub(crate) fanout: Arc<FanoutTracker>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("listen", &self.inner.config.listen)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// Verifies the configured documents (the profile with its own root keys, packs, the
    /// watch-list against the profile's publisher keys), opens `<data_dir>/hub.db` (migrating
    /// it), and runs one retention pass.
    pub fn open(config: HubConfig, gateways: Gateways) -> Result<Hub, HubError> {
        config.check()?;
        check_gateways(&config)?;
        let docs = documents::Documents::open(
            &config.network_profile,
            config.packs_dir.as_deref(),
            config.watchlist.as_deref(),
        )?;
        let store = Arc::new(db::open(&config.data_dir)?);
        let hub = Hub {
            inner: Arc::new(Inner {
                limiter: RateLimiter::new(config.limits.requests_per_minute),
                report_quota: ReportQuota::new(config.limits.report_bytes_per_client_per_day),
                nonces: NonceCache::default(),
                config,
                store,
                docs,
                gateways,
                fanout: Arc::new(FanoutTracker::default()),
            }),
        };
        hub.run_retention()?;
        Ok(hub)
    }

    pub fn config(&self) -> &HubConfig {
        &self.inner.config
    }

    /// Whether pushes may go to non-public addresses (`[egress] allow_private_endpoints`): what
    /// the subscription check and, at delivery, [`egress::PublicOnly`] / [`egress::check_url`]
    /// are given.
    pub fn allow_private_endpoints(&self) -> bool {
        self.inner.config.egress.allow_private_endpoints
    }

    /// The axum router with every route and middleware; serve it on a
    /// [`listener::serve`], which gives each request its `ConnectInfo<listener::Peer>` so rate
    /// limits apply (as [`serve`] does).
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// Deletes reports delivered longer ago than the retention period, and alerts long expired.
    pub fn run_retention(&self) -> Result<Purged, HubError> {
        let r = self.inner.config.retention;
        let purged = db::purge(
            &self.inner.store,
            Utc::now(),
            db::PurgeDays {
                delivered_reports: r.delivered_reports_days,
                expired_alerts: r.expired_alerts_days,
                undelivered_reports: r.undelivered_reports_days,
            },
        )?;
        if purged != Purged::default() {
            tracing::info!(
                reports = purged.reports,
                undelivered_reports = purged.undelivered,
                alerts = purged.alerts,
                "retention pass deleted old rows"
            );
        }
        Ok(purged)
    }

    pub fn fanout_stats(&self) -> FanoutStats {
        self.inner.fanout.stats()
    }

    /// Blocks until no alert fan-out is running, or `timeout`; true if idle. Call it from a
    /// plain thread, never from inside the hub's runtime.
    pub fn wait_fanout_idle(&self, timeout: Duration) -> bool {
        self.inner.fanout.wait_idle(timeout)
    }
}

async fn maintenance(hub: Hub) {
    let mut retention = tokio::time::interval(RETENTION_INTERVAL);
    let mut prune = tokio::time::interval(Duration::from_secs(60));
    // The first ticks fire at once; retention already ran at open.
    retention.tick().await;
    loop {
        tokio::select! {
            _ = retention.tick() => {
                let h = hub.clone();
                match tokio::task::spawn_blocking(move || h.run_retention()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "retention pass failed"),
                    Err(_) => tracing::error!("retention pass panicked"),
                }
            }
            _ = prune.tick() => {
                hub.inner.limiter.prune(Instant::now());
                hub.inner.report_quota.prune(Instant::now());
                hub.inner.nonces.prune(Utc::now().timestamp());
            }
        }
    }
}

/// Serves `hub` on `listener` until `shutdown` completes, then stops taking requests and lets
/// the ones in flight finish. Background fan-outs keep running on the runtime.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    hub: Hub,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HubError> {
    let upkeep = tokio::spawn(maintenance(hub.clone()));
    let limits = hub.inner.config.limits;
    listener::serve(
        listener,
        hub.router(),
        listener::Connections::new(limits.max_connections_per_client, limits.max_connections),
        Duration::from_secs(limits.header_read_timeout_secs),
        shutdown,
    )
    .await;
    upkeep.abort();
    Ok(())
}

/// Targets whose logs can name a client address, a push endpoint or its host (HTTP client
/// connection traces, TLS server names): silenced whatever `RUST_LOG` asks for.
pub const SILENCED_LOG_TARGETS: &[&str] = &[
    "hyper",
    "hyper_util",
    "reqwest",
    "h2",
    "rustls",
    "tower_http",
];

/// The hub's log filter: `directives` (`RUST_LOG`; `info` when absent or invalid) with
/// [`SILENCED_LOG_TARGETS`] turned off, so no log level makes the hub name an address.
pub fn log_filter(directives: Option<&str>) -> tracing_subscriber::EnvFilter {
    let mut filter = directives
        .and_then(|d| tracing_subscriber::EnvFilter::try_new(d).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    for target in SILENCED_LOG_TARGETS {
        if let Ok(d) = format!("{target}=off").parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// Refuses configured push gateways on non-public addresses unless `[egress]` allows them.
fn check_gateways(config: &HubConfig) -> Result<(), HubError> {
    let allow = config.egress.allow_private_endpoints;
    let urls = config
        .push
        .fcm
        .iter()
        .map(|f| f.base_url.as_str())
        .chain(config.push.apns.iter().map(|a| a.base_url.as_str()));
    for raw in urls {
        let Ok(url) = url::Url::parse(raw.trim()) else {
            // Malformed URLs are the gateways' own configuration error.
            continue;
        };
        if egress::check_gateway(&url, allow).is_err() {
            return Err(HubError::Config {
                reason: "a push gateway's host is not a public internet address; set [egress] allow_private_endpoints = true to allow it".into(),
            });
        }
    }
    Ok(())
}

/// Serves `hub` until SIGINT or SIGTERM, then waits up to [`FANOUT_DRAIN`] for fan-outs.
pub async fn serve(listener: tokio::net::TcpListener, hub: Hub) -> Result<(), HubError> {
    serve_with_shutdown(listener, hub.clone(), shutdown_signal()).await?;
    let deadline = Instant::now() + FANOUT_DRAIN;
    while hub.fanout_stats().jobs_in_flight > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}

/// A hub running on its own thread with its own runtime. Stops on [`RunningHub::shutdown`] or
/// when dropped.
pub struct RunningHub {
    pub addr: SocketAddr,
    hub: Hub,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for RunningHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningHub")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Opens the hub, binds `config.listen` (`127.0.0.1:0` picks a free port), and serves it on a
/// new thread that owns a tokio runtime. Returns once the socket is listening.
pub fn start(config: HubConfig, gateways: Gateways) -> Result<RunningHub, HubError> {
    let listen = config.listen.clone();
    let hub = Hub::open(config, gateways)?;
    let bind_err = |source| HubError::Bind {
        listen: listen.clone(),
        source,
    };
    let listener = std::net::TcpListener::bind(&listen).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("silbato-hub-rt")
        .enable_all()
        .build()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = hub.clone();
    let thread = std::thread::Builder::new()
        .name("silbato-hub".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot use the listening socket");
                        return;
                    }
                };
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(e) = serve_with_shutdown(listener, served, shutdown).await {
                    tracing::error!(error = %e, "hub stopped with an error");
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(2));
        })?;
    Ok(RunningHub {
        addr,
        hub,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl RunningHub {
    /// `http://<addr>`, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    pub fn fanout_stats(&self) -> FanoutStats {
        self.hub.fanout_stats()
    }

    /// Blocks until no alert fan-out is running, or `timeout`; true if idle.
    pub fn wait_fanout_idle(&self, timeout: Duration) -> bool {
        self.hub.wait_fanout_idle(timeout)
    }

    /// Stops taking requests, lets those in flight finish, and joins the server thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
