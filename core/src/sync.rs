//! Sync with a network's hub: new profiles, packs and watch-lists, the alerts of the regions this
//! device follows, and the outbox of sealed reports.
//!
//! This module owns the HTTP client (reqwest, blocking, rustls with ring as the one crypto
//! provider), its timeouts and the size limit on every body, ETag caching, alert pulls that commit
//! each page with its cursor in one transaction, and the outbox's full-jitter exponential backoff
//! honouring `Retry-After`. Every failure is a typed, retryable-or-not error in the [`SyncReport`];
//! nothing is half-applied. It must never send a place, a plaintext report or anything but
//! followed region codes to a hub.

use std::collections::HashSet;
use std::io::Read;
use std::sync::Once;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::blocking::{Client, Response};
use reqwest::{StatusCode, Url};
use serde::Serialize;

use crate::crypto::{SigningKey, random_fill};
use crate::error::{Error, Result};
use crate::inbox::{Inbox, IngestOutcome};
use crate::protocol::{
    self, AlertsPage, PushProvider, PushSubscription, ReportReceipt, ReportsPage,
};
use crate::rights::RightsLibrary;
use crate::watchlist::Watchlists;

pub use crate::error::SyncError;

/// How a device talks to a hub.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// `https://hub.example.org` (no trailing `/v1`).
    pub hub_url: String,
    pub connect_timeout: Duration,
    /// For the whole exchange of one request, so a stalled response cannot hang a sync.
    pub request_timeout: Duration,
    /// Alerts asked for per page.
    pub page_limit: u32,
    /// Pages pulled in one sync at most, so one sync always ends.
    pub max_pages: u32,
    /// Outbox backoff: first delay and the cap.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl SyncConfig {
    pub fn new(hub_url: &str) -> Self {
        SyncConfig {
            hub_url: hub_url.trim_end_matches('/').to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            page_limit: 200,
            max_pages: 50,
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(3600),
        }
    }
}

/// What happened to one signed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DocOutcome {
    NotModified,
    Updated {
        version: u64,
    },
    /// The hub does not publish it.
    NotPublished,
    /// Fetched or installed nothing; the reason is in `SyncReport::failures`.
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncFailure {
    pub step: String,
    /// The error's stable code (`docs/errors.md`).
    pub code: String,
    pub error: String,
    pub retryable: bool,
}

impl SyncFailure {
    /// A failed step, with the error's code and message (which never carry user content).
    pub fn new(step: &str, e: &Error) -> Self {
        SyncFailure {
            step: step.to_owned(),
            code: e.code().to_owned(),
            error: e.to_string(),
            retryable: e.is_retryable(),
        }
    }
}

/// What a sync changed and what failed.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub network: DocOutcome,
    pub packs: Vec<(String, DocOutcome)>,
    pub watchlist: DocOutcome,
    pub alerts_accepted: u64,
    pub alerts_duplicate: u64,
    pub alerts_rejected: u64,
    pub reports_sent: u64,
    pub reports_pending: u64,
    pub failures: Vec<SyncFailure>,
    /// Requests made and response bytes read, for the budget of a sync that finds nothing new.
    pub requests: u32,
    pub bytes_received: u64,
}

impl SyncReport {
    fn new() -> Self {
        SyncReport {
            network: DocOutcome::NotModified,
            packs: Vec::new(),
            watchlist: DocOutcome::NotModified,
            alerts_accepted: 0,
            alerts_duplicate: 0,
            alerts_rejected: 0,
            reports_sent: 0,
            reports_pending: 0,
            failures: Vec::new(),
            requests: 0,
            bytes_received: 0,
        }
    }

    fn fail(&mut self, step: &str, e: &Error) {
        self.failures.push(SyncFailure::new(step, e));
    }

    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// Every step that ran failed and nothing was fetched, applied or sent: a hub that could not
    /// be reached, or a client that could not be made. Not to be reported as "synced".
    pub fn all_failed(&self) -> bool {
        let failed = |d: &DocOutcome| matches!(d, DocOutcome::Failed);
        !self.failures.is_empty()
            && failed(&self.network)
            && failed(&self.watchlist)
            && self.packs.iter().all(|(_, d)| failed(d))
            && self.alerts_accepted == 0
            && self.alerts_duplicate == 0
            && self.alerts_rejected == 0
            && self.reports_sent == 0
    }
}

fn net(e: SyncError) -> Error {
    e.into()
}

static PROVIDER: Once = Once::new();

/// ring's provider for a TLS client that never presents a certificate: it loads no private keys,
/// which also keeps RSA and ECDSA signing out of the phone library.
fn client_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::CryptoProvider {
        key_provider: &NoClientKeys,
        ..rustls::crypto::ring::default_provider()
    }
}

#[derive(Debug)]
struct NoClientKeys;

impl rustls::crypto::KeyProvider for NoClientKeys {
    fn load_private_key(
        &self,
        _key: rustls::pki_types::PrivateKeyDer<'static>,
    ) -> std::result::Result<std::sync::Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "hub clients use no client certificate".into(),
        ))
    }
}

/// A hub client: one connection pool, fixed timeouts, bounded bodies.
#[derive(Debug, Clone)]
pub struct HubClient {
    http: Client,
    config: SyncConfig,
    /// `config.hub_url`, parsed and checked once (`protocol::checked_url`).
    base: Url,
}

struct Fetched {
    status: StatusCode,
    etag: Option<String>,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

/// The one check of a hub URL, before any client is made: what [`HubClient::new`] refuses, so
/// a shell can refuse it as a usage error first.
pub fn check_hub_url(hub_url: &str) -> Result<Url> {
    let base = protocol::checked_url(hub_url)?;
    if base.query().is_some() || base.fragment().is_some() {
        return Err(Error::from(SyncError::HubUrlQuery));
    }
    Ok(base)
}

impl HubClient {
    /// Fails with `ProtocolError::Url` unless the hub URL is https (plain http only to this machine)
    /// with no user name, password, query or fragment: every request goes to that host.
    pub fn new(config: SyncConfig) -> Result<Self> {
        let base = check_hub_url(&config.hub_url)?;
        // ring is the only crypto provider in the app: install it before the first client.
        PROVIDER.call_once(|| {
            let _ = client_provider().install_default();
        });
        let http = Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("silbato/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| net(SyncError::Client))?;
        Ok(HubClient { http, config, base })
    }

    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// The hub URL with `/v1/` and `path`'s segments appended and `query` added, every part
    /// escaped by the `url` crate.
    fn url(&self, path: &[&str], query: &[(&str, &str)]) -> Result<Url> {
        let mut url = self.base.clone();
        let api = protocol::API_PREFIX.split('/').filter(|s| !s.is_empty());
        url.path_segments_mut()
            .map_err(|_| Error::from(SyncError::HubUrlPath))?
            .pop_if_empty()
            .extend(api.chain(path.iter().copied()));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Reads a response body, refusing more than `limit` bytes whatever the headers claim.
    fn read(resp: Response, limit: usize, report: &mut SyncReport) -> Result<Fetched> {
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header("etag");
        let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(net(SyncError::TooLarge));
        }
        let mut body = Vec::new();
        let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
        resp.take(cap)
            .read_to_end(&mut body)
            .map_err(|e| classify_io(&e))?;
        report.bytes_received += body.len() as u64;
        if body.len() > limit {
            return Err(net(SyncError::TooLarge));
        }
        Ok(Fetched {
            status,
            etag,
            retry_after,
            body,
        })
    }

    fn send(
        &self,
        req: reqwest::blocking::RequestBuilder,
        limit: usize,
        report: &mut SyncReport,
    ) -> Result<Fetched> {
        report.requests += 1;
        let resp = req.send().map_err(|e| classify(&e))?;
        Self::read(resp, limit, report)
    }

    /// GET a signed document with If-None-Match; `None` when it has not changed or is not published.
    fn get_document(
        &self,
        path: &[&str],
        etag: Option<&str>,
        report: &mut SyncReport,
    ) -> Result<DocFetch> {
        let mut req = self.http.get(self.url(path, &[])?);
        if let Some(tag) = etag {
            req = req.header("if-none-match", tag);
        }
        let f = self.send(req, protocol::MAX_DOCUMENT_BYTES, report)?;
        match f.status {
            StatusCode::NOT_MODIFIED => Ok(DocFetch::NotModified),
            StatusCode::NOT_FOUND => Ok(DocFetch::NotPublished),
            s if s.is_success() => Ok(DocFetch::Body {
                bytes: f.body,
                etag: f.etag,
            }),
            s => Err(status_error(s)),
        }
    }

    /// One page of alerts after `cursor` for `regions`.
    pub fn alerts_page(
        &self,
        regions: &[String],
        cursor: &str,
        report: &mut SyncReport,
    ) -> Result<AlertsPage> {
        let limit = self.config.page_limit.to_string();
        let mut query = vec![("after", cursor), ("limit", limit.as_str())];
        query.extend(regions.iter().map(|r| ("region", r.as_str())));
        let url = self.url(&["alerts"], &query)?;
        let f = self.send(self.http.get(url), protocol::MAX_ALERTS_PAGE_BYTES, report)?;
        if !f.status.is_success() {
            return Err(status_error(f.status));
        }
        serde_json::from_slice(&f.body).map_err(|_| net(SyncError::BadAlertsPage))
    }

    /// POSTs one sealed report. `Ok(None)`: accepted; `Ok(Some(secs))`: try again later.
    fn post_report(
        &self,
        id: &str,
        sealed: &[u8],
        report: &mut SyncReport,
    ) -> Result<Option<Option<u64>>> {
        let req = self
            .http
            .post(self.url(&["reports"], &[])?)
            .header(protocol::HEADER_IDEMPOTENCY, id)
            .header("content-type", "application/octet-stream")
            .body(sealed.to_vec());
        let f = self.send(req, 64 * 1024, report)?;
        match f.status {
            s if s.is_success() => {
                let _: ReportReceipt =
                    serde_json::from_slice(&f.body).map_err(|_| net(SyncError::BadReceipt))?;
                Ok(None)
            }
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                Ok(Some(f.retry_after))
            }
            s if s.is_server_error() => Ok(Some(f.retry_after)),
            s => Err(status_error(s)),
        }
    }

    /// Sends a push subscription request signed with the device's subscription key (`path` is
    /// the protocol path the signature covers, whatever prefix the hub's URL has).
    fn push_request(
        &self,
        method: reqwest::Method,
        path: &[&str],
        body: Vec<u8>,
        key: &SigningKey,
        now: DateTime<Utc>,
    ) -> Result<StatusCode> {
        let signed_path = format!("{}/{}", protocol::API_PREFIX, path.join("/"));
        let mut req = self
            .http
            .request(method.clone(), self.url(path, &[])?)
            .header("content-type", "application/json");
        for (name, value) in
            crate::inbox::push::sign_push_request(key, method.as_str(), &signed_path, &body, now)
        {
            req = req.header(name, value);
        }
        let mut report = SyncReport::new();
        Ok(self.send(req.body(body), 64 * 1024, &mut report)?.status)
    }

    /// Registers (or changes) a push subscription, signed by the device's subscription key. A new
    /// one counts for alerts once the device echoes the hub's confirmation push
    /// ([`HubClient::confirm_push`], done by [`sync`]).
    pub fn subscribe_signed(
        &self,
        sub: &PushSubscription,
        key: &SigningKey,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sub.validate()?;
        let body = serde_json::to_vec(sub).map_err(|_| Error::Encode)?;
        let status = self.push_request(
            reqwest::Method::POST,
            &["push", "subscriptions"],
            body,
            key,
            now,
        )?;
        success(status)
    }

    /// Deletes this device's subscription of `endpoint`, signed by its subscription key. Done
    /// whether or not the hub had it.
    pub fn unsubscribe(&self, endpoint: &str, key: &SigningKey, now: DateTime<Utc>) -> Result<()> {
        let body = serde_json::to_vec(&crate::inbox::push::PushUnsubscribe {
            endpoint: endpoint.to_owned(),
        })
        .map_err(|_| Error::Encode)?;
        let status = self.push_request(
            reqwest::Method::DELETE,
            &["push", "subscriptions"],
            body,
            key,
            now,
        )?;
        success(status)
    }

    /// Echoes a confirmation push's challenge (base64) for `endpoint`; true if this hub was
    /// waiting for it.
    pub fn confirm_push(
        &self,
        endpoint: &str,
        challenge: &str,
        key: &SigningKey,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let body = serde_json::to_vec(&crate::inbox::push::PushConfirm {
            endpoint: endpoint.to_owned(),
            challenge: challenge.to_owned(),
        })
        .map_err(|_| Error::Encode)?;
        match self.push_request(reqwest::Method::POST, &["push", "confirm"], body, key, now)? {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            s => Err(status_error(s)),
        }
    }

    /// Publishes a signed alert (dispatchers).
    pub fn publish_alert(&self, envelope: &[u8]) -> Result<protocol::AlertPosted> {
        let mut report = SyncReport::new();
        let req = self
            .http
            .post(self.url(&["alerts"], &[])?)
            .header("content-type", "application/json")
            .body(envelope.to_vec());
        let f = self.send(req, 64 * 1024, &mut report)?;
        if f.status.is_success() {
            serde_json::from_slice(&f.body).map_err(|_| net(SyncError::BadResponse))
        } else {
            Err(hub_refusal(f.status, &f.body))
        }
    }

    /// Fetches the sealed reports after `cursor` (dispatchers; the request is signed).
    pub fn reports_page(
        &self,
        key: &SigningKey,
        cursor: &str,
        now: DateTime<Utc>,
    ) -> Result<ReportsPage> {
        let mut report = SyncReport::new();
        // A sealed report is up to 512 KiB: ten fit well inside the page limit.
        let url = self.url(&["reports"], &[("after", cursor), ("limit", "10")])?;
        // What the hub checks the signature against: the API path and the query as sent.
        let pq = format!(
            "{}/reports?{}",
            protocol::API_PREFIX,
            url.query().unwrap_or_default()
        );
        let host = protocol::request_host(&url);
        let mut req = self.http.get(url);
        for (name, value) in protocol::sign_request(key, "GET", &host, &pq, b"", now)? {
            req = req.header(name, value);
        }
        let f = self.send(req, protocol::MAX_ALERTS_PAGE_BYTES, &mut report)?;
        if !f.status.is_success() {
            return Err(hub_refusal(f.status, &f.body));
        }
        serde_json::from_slice(&f.body).map_err(|_| net(SyncError::BadReportsPage))
    }
}

enum DocFetch {
    NotModified,
    NotPublished,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
}

fn classify(e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        net(SyncError::Timeout)
    } else if e.is_connect() {
        net(SyncError::Unreachable)
    } else if e.is_body() || e.is_decode() {
        net(SyncError::CutOff)
    } else {
        net(SyncError::RequestFailed)
    }
}

fn classify_io(e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::TimedOut {
        net(SyncError::Timeout)
    } else {
        net(SyncError::CutOff)
    }
}

/// `Ok` for a 2xx answer, else the status's error.
fn success(status: StatusCode) -> Result<()> {
    if status.is_success() {
        Ok(())
    } else {
        Err(status_error(status))
    }
}

fn status_error(s: StatusCode) -> Error {
    if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() {
        net(SyncError::Busy)
    } else if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN {
        net(SyncError::Unauthorized)
    } else {
        net(SyncError::Refused)
    }
}

/// A hub's refusal of something a dispatcher sent, with the hub's stable error code.
fn hub_refusal(s: StatusCode, body: &[u8]) -> Error {
    let parsed = serde_json::from_slice::<protocol::ErrorBody>(body);
    // A refused alert: the hub's finer reason, when it gives one (`docs/protocol.md`).
    if let Ok(b) = &parsed
        && b.error == "rejected"
    {
        match b.reason.as_deref() {
            Some("expired") => return net(SyncError::AlertExpired),
            Some("unknown_network" | "unknown_key") => return net(SyncError::AlertWrongNetwork),
            Some("not_enough_signatures" | "key_outside_validity") => {
                return net(SyncError::AlertSignatures);
            }
            Some("outside_regions") => return net(SyncError::AlertOutsideRegions),
            _ => {}
        }
    }
    match parsed.map(|b| b.error) {
        Ok(code) if code == "rejected" => net(SyncError::Rejected),
        Ok(code) if code == "conflict" => net(SyncError::Conflict),
        Ok(code) if code == "unauthorized" => net(SyncError::NotADispatcher),
        _ => status_error(s),
    }
}

/// Full-jitter exponential backoff: a random delay between zero and `base * 2^attempts`, capped.
pub fn backoff(attempts: u32, base: Duration, cap: Duration) -> Duration {
    let ceiling = base
        .saturating_mul(2u32.saturating_pow(attempts.min(30)))
        .min(cap);
    let mut r = [0u8; 8];
    if random_fill(&mut r).is_err() {
        return ceiling;
    }
    let fraction = (u64::from_le_bytes(r) >> 11) as f64 / (1u64 << 53) as f64;
    ceiling.mul_f64(fraction)
}

/// What a sync works on.
#[derive(Debug)]
pub struct SyncTargets<'a> {
    pub inbox: &'a Inbox,
    pub rights: &'a RightsLibrary,
    pub watchlists: &'a Watchlists,
}

fn state_key(kind: &str, hub: &str, what: &str) -> String {
    format!("{kind}|{hub}|{what}")
}

/// Runs one sync: documents, then alerts, then the outbox. Each step's failure is recorded and
/// the next step still runs; nothing a failed step fetched is applied.
pub fn sync(client: &HubClient, targets: &SyncTargets<'_>, now: DateTime<Utc>) -> SyncReport {
    let mut report = SyncReport::new();
    let hub = client.config.hub_url.clone();
    let inbox = targets.inbox;

    // 1. The network profile: an update must be signed by the installed roots (the inbox checks).
    report.network = fetch_doc(
        client,
        inbox,
        &hub,
        "network",
        &["network"],
        &mut report,
        |bytes| {
            match inbox.install_network(bytes, None) {
                Ok(i) => Ok(Some(i.version)),
                // The version already installed (no ETag yet): nothing to do. An older one is a
                // replay and stays an error.
                Err(Error::Rollback {
                    installed, offered, ..
                }) if installed == offered => Ok(None),
                Err(e) => Err(e),
            }
        },
    );

    // 2. Content packs this device has, from trusted publishers (including confirmed networks').
    let trusted = inbox.trusted_publishers().unwrap_or_default();
    let pack_ids: Vec<String> = targets
        .rights
        .packs()
        .map(|p| p.into_iter().map(|p| p.pack_id).collect())
        .unwrap_or_default();
    for id in pack_ids {
        let outcome = fetch_doc(
            client,
            inbox,
            &hub,
            &format!("pack:{id}"),
            &["packs", &id],
            &mut report,
            |bytes| {
                match targets.rights.install_pack_trusting(bytes, &trusted) {
                    Ok(r) => Ok(Some(r.version)),
                    // The same version again (an ETag was lost): nothing to do.
                    Err(Error::Rollback {
                        installed, offered, ..
                    }) if installed == offered => Ok(None),
                    Err(e) => Err(e),
                }
            },
        );
        report.packs.push((id, outcome));
    }

    // 3. The plate watch-list.
    report.watchlist = fetch_doc(
        client,
        inbox,
        &hub,
        "watchlist",
        &["watchlist"],
        &mut report,
        |bytes| {
            let mut keys: HashSet<_> = trusted.clone();
            if let Ok(own) = targets.rights.publishers() {
                keys.extend(
                    own.iter()
                        .filter_map(|p| crate::crypto::PublicKey::parse(&p.public_key).ok()),
                );
            }
            match targets.watchlists.install(bytes, &keys) {
                Ok(info) => Ok(Some(info.version)),
                Err(Error::Rollback {
                    installed, offered, ..
                }) if installed == offered => Ok(None),
                Err(e) => Err(e),
            }
        },
    );

    // 4. Alerts for the followed regions (or, if none are followed, the network's regions).
    if let Err(e) = pull_alerts(client, inbox, &hub, now, &mut report) {
        report.fail("alerts", &e);
    }

    // 5. The outbox.
    send_outbox(client, inbox, now, &mut report);

    // 6. The push subscription: regions changed since it was sent (a region unfollowed), and
    // confirmation pushes to echo. No request when neither.
    if let Err(e) = sync_push(client, inbox, &hub, now) {
        report.fail("push", &e);
    }
    report.reports_pending = inbox.outbox().map(|o| o.len() as u64).unwrap_or(0);
    report
}

fn fetch_doc(
    client: &HubClient,
    inbox: &Inbox,
    hub: &str,
    name: &str,
    path: &[&str],
    report: &mut SyncReport,
    install: impl FnOnce(&[u8]) -> Result<Option<u64>>,
) -> DocOutcome {
    let key = state_key("etag", hub, name);
    let etag = inbox.sync_state(&key).ok().flatten();
    match client.get_document(path, etag.as_deref(), report) {
        Ok(DocFetch::NotModified) => DocOutcome::NotModified,
        Ok(DocFetch::NotPublished) => DocOutcome::NotPublished,
        Ok(DocFetch::Body { bytes, etag }) => match install(&bytes) {
            Ok(version) => {
                // Remember the ETag only once the document is applied.
                let _ = inbox.set_sync_state(&key, etag.as_deref());
                version.map_or(DocOutcome::NotModified, |v| DocOutcome::Updated {
                    version: v,
                })
            }
            Err(e) => {
                report.fail(name, &e);
                DocOutcome::Failed
            }
        },
        Err(e) => {
            report.fail(name, &e);
            DocOutcome::Failed
        }
    }
}

fn pull_alerts(
    client: &HubClient,
    inbox: &Inbox,
    hub: &str,
    now: DateTime<Utc>,
    report: &mut SyncReport,
) -> Result<()> {
    let mut regions = inbox.followed_regions()?;
    if regions.is_empty() {
        regions = inbox
            .networks()?
            .into_iter()
            .filter(|n| n.confirmed)
            .flat_map(|n| n.regions)
            .collect();
    }
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return Ok(());
    }
    let key = state_key("cursor", hub, &regions.join(","));
    let mut cursor = inbox.sync_state(&key)?.unwrap_or_else(|| "0".into());
    for _ in 0..client.config.max_pages {
        let page = client.alerts_page(&regions, &cursor, report)?;
        let mut envelopes = Vec::with_capacity(page.alerts.len());
        for a in &page.alerts {
            envelopes.push(protocol::unb64(a).ok_or_else(|| net(SyncError::BadBase64))?);
        }
        // The page's alerts and the new cursor commit together.
        for outcome in inbox.ingest_page(&envelopes, now, &key, &page.next)? {
            match outcome {
                IngestOutcome::Accepted { .. } => report.alerts_accepted += 1,
                IngestOutcome::Duplicate { .. } => report.alerts_duplicate += 1,
                IngestOutcome::Rejected(_) => report.alerts_rejected += 1,
            }
        }
        cursor = page.next;
        if !page.more {
            break;
        }
    }
    Ok(())
}

fn send_outbox(client: &HubClient, inbox: &Inbox, now: DateTime<Utc>, report: &mut SyncReport) {
    let due = match inbox.due_reports(&client.config.hub_url, now) {
        Ok(d) => d,
        Err(e) => return report.fail("outbox", &e),
    };
    let cfg = &client.config;
    for (id, sealed, attempts) in due {
        // The list was read before the first post; a wipe or a removed network since then has
        // destroyed what is no longer queued, and it must not leave now.
        match inbox.report_still_queued(&id) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => return report.fail("outbox", &e),
        }
        match client.post_report(&id, &sealed, report) {
            Ok(None) => {
                if let Err(e) = inbox.report_sent(&id) {
                    report.fail("outbox", &e);
                } else {
                    report.reports_sent += 1;
                }
            }
            Ok(Some(retry_after)) => {
                // A hub's Retry-After is honoured up to a day; a larger one is not believed.
                let asked = Duration::from_secs(retry_after.unwrap_or(0).min(86_400));
                let wait = backoff(attempts, cfg.backoff_base, cfg.backoff_cap).max(asked);
                let next = chrono::Duration::from_std(wait)
                    .ok()
                    .and_then(|w| now.checked_add_signed(w))
                    .unwrap_or(now + chrono::Duration::hours(1));
                let _ = inbox.report_deferred(&id, next, "hub_busy");
            }
            Err(e) => {
                let retryable = e.is_retryable();
                // A permanent refusal stays in the outbox for the user to see, not retried.
                let next = if retryable {
                    now + chrono::Duration::from_std(backoff(
                        attempts,
                        cfg.backoff_base,
                        cfg.backoff_cap,
                    ))
                    .unwrap_or(chrono::Duration::hours(1))
                } else {
                    DateTime::<Utc>::MAX_UTC
                };
                let _ =
                    inbox.report_deferred(&id, next, if retryable { "network" } else { "refused" });
                report.fail("outbox", &e);
            }
        }
    }
}

/// A patroller reports a vault record to a network: the record as it now stands is sealed at once
/// to the network's dispatchers and queued in the outbox. The plaintext never leaves the vault.
pub fn queue_sighting_report(
    vault: &crate::vault::Vault,
    inbox: &Inbox,
    record_id: &str,
    network_id: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let profile = inbox.network(network_id)?;
    let recipients = protocol::report_recipients(&profile, now);
    if recipients.is_empty() {
        return Err(Error::from(SyncError::NoReportRecipients));
    }
    let record = vault.record(record_id)?;
    let report = protocol::Report {
        v: 1,
        network: profile.network_id.clone(),
        record_id: record.id,
        sighting: record.sighting,
        device_key: vault.device_public_key()?,
        created_at: now,
    };
    let sealed = protocol::seal_report(&report, &recipients)?;
    if sealed.len() > protocol::MAX_REPORT_BYTES {
        return Err(Error::from(SyncError::ReportTooLarge));
    }
    inbox.queue_report(&profile.network_id, &sealed, now)
}

/// The regions a registered subscription should have now: the ones chosen, or those followed.
fn wanted_regions(
    inbox: &Inbox,
    state: &crate::inbox::push::PushSubscriptionState,
) -> Result<Vec<String>> {
    if state.regions.is_empty() {
        inbox.followed_regions()
    } else {
        Ok(state.regions.clone())
    }
}

/// Brings this hub's copy of the device's push subscription up to date (re-sent, signed, when
/// the regions changed; deleted when no region is left) and echoes pending confirmation
/// challenges to it.
fn sync_push(client: &HubClient, inbox: &Inbox, hub: &str, now: DateTime<Utc>) -> Result<()> {
    let Some(mut state) = inbox.push_subscription()? else {
        return Ok(());
    };
    let Some(i) = state
        .hubs
        .iter()
        .position(|(url, _)| protocol::same_hub(url, hub))
    else {
        return Ok(());
    };
    let key = inbox.push_signing_key()?;
    let wanted = wanted_regions(inbox, &state)?;
    if state.hubs[i].1 != wanted {
        if wanted.is_empty() {
            client.unsubscribe(&state.endpoint, &key, now)?;
            state.hubs.remove(i);
        } else {
            let sub = PushSubscription {
                provider: state.provider,
                endpoint: state.endpoint.clone(),
                push_key: inbox.push_public_key()?,
                regions: wanted.clone(),
            };
            client.subscribe_signed(&sub, &key, now)?;
            state.hubs[i].1 = wanted;
        }
        inbox.set_push_subscription(Some(&state))?;
    }
    if state
        .hubs
        .iter()
        .any(|(url, _)| protocol::same_hub(url, hub))
    {
        for challenge in inbox.pending_push_challenges(now)? {
            if client.confirm_push(&state.endpoint, &challenge, &key, now)? {
                inbox.forget_push_challenge(&challenge)?;
            }
        }
    }
    Ok(())
}

/// A push subscription for this device: its push key and the given regions (or, if none are
/// given, the regions it follows), never a place.
pub fn subscription_for(
    inbox: &Inbox,
    provider: PushProvider,
    endpoint: &str,
    regions: &[String],
) -> Result<PushSubscription> {
    let mut regions: Vec<String> = regions
        .iter()
        .map(|r| r.trim().to_ascii_uppercase())
        .collect();
    if regions.is_empty() {
        regions = inbox.followed_regions()?;
    }
    Ok(PushSubscription {
        provider,
        endpoint: endpoint.to_owned(),
        push_key: inbox.push_public_key()?,
        regions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_and_capped() {
        let base = Duration::from_secs(5);
        let cap = Duration::from_secs(60);
        for attempts in 0..40 {
            let d = backoff(attempts, base, cap);
            assert!(d <= cap);
            assert!(d <= base.saturating_mul(2u32.saturating_pow(attempts.min(30))));
        }
        let samples: HashSet<u128> = (0..20)
            .map(|_| backoff(10, base, cap).as_millis())
            .collect();
        assert!(samples.len() > 5, "full jitter spreads retries");
    }

    #[test]
    fn request_urls_are_built_and_escaped_by_the_url_crate() {
        let client = HubClient::new(SyncConfig::new("https://hub.example.org/")).unwrap();
        assert_eq!(
            client
                .url(&["alerts"], &[("after", "0"), ("region", "a b&c")])
                .unwrap()
                .as_str(),
            "https://hub.example.org/v1/alerts?after=0&region=a+b%26c"
        );
        assert_eq!(
            client.url(&["packs", "../network"], &[]).unwrap().as_str(),
            "https://hub.example.org/v1/packs/..%2Fnetwork"
        );
        let under = HubClient::new(SyncConfig::new("http://127.0.0.1:9/hub/")).unwrap();
        assert_eq!(
            under.url(&["network"], &[]).unwrap().as_str(),
            "http://127.0.0.1:9/hub/v1/network"
        );
    }

    #[test]
    fn hub_urls_with_userinfo_or_plain_http_elsewhere_are_refused() {
        for bad in [
            "http://localhost:1@evil.example",
            "https://user:pw@hub.example.org",
            "http://hub.example.org",
            "https://hub.example.org/?x=1",
            "hub.example.org",
            "",
        ] {
            assert!(
                matches!(
                    HubClient::new(SyncConfig::new(bad)),
                    Err(Error::Protocol(silbato_proto::protocol::ProtocolError::Url)
                        | Error::Sync(SyncError::HubUrlQuery))
                ),
                "{bad}"
            );
        }
        for good in [
            "https://hub.example.org",
            "http://[::1]:8080",
            "http://localhost",
        ] {
            assert!(HubClient::new(SyncConfig::new(good)).is_ok(), "{good}");
        }
    }
}
