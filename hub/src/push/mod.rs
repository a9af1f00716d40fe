//! Push gateway: hands an already-sealed payload to a device's push provider (Web Push /
//! UnifiedPush, Firebase Cloud Messaging, Apple Push Notification service).
//!
//! Owns: the [`PushGateway`] trait the hub's fan-out calls, the provider configuration, the HTTP
//! clients (timeouts, no redirects, ring as the one rustls provider), and the mapping of each
//! provider's answer onto [`PushError`] so the hub can delete dead subscriptions and back off.
//!
//! Must never: read, build or alter alert content (payloads arrive sealed to the device with HPKE,
//! or empty as a content-free wake-up); log an endpoint, a device token, an access token or a
//! payload (debug-level tracing names the provider and the outcome only); put such values into an
//! error (the variants carry no strings for that reason); follow redirects; use
//! `reqwest::blocking` (this code runs inside tokio).

pub mod apns;
pub mod fcm;
pub mod webpush;

use std::{future::Future, io::Read, path::Path, pin::Pin, sync::Arc, time::Duration};

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

/// The future a gateway returns; boxed so gateways can live behind `Arc<dyn PushGateway>`.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), PushError>> + Send + 'a>>;

/// One push provider. `endpoint` is what the device registered (a URL for Web Push, a token for
/// FCM / APNs).
pub trait PushGateway: Send + Sync {
    /// Delivers `payload` (opaque ciphertext, or empty for a wake-up) to one device.
    fn send<'a>(&'a self, endpoint: &'a str, payload: &'a [u8]) -> SendFuture<'a>;
}

/// Why a push was not delivered. No variant carries text from the provider or the request, so an
/// error can be logged without leaking an endpoint, a token or a payload.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// 404/410 (Web Push), UNREGISTERED/404 (FCM), 410/BadDeviceToken (APNs): the hub deletes the
    /// subscription.
    #[error("the push endpoint is gone")]
    Gone,
    /// 429/5xx; `after_secs` is the provider's Retry-After, when it sent one.
    #[error("the push service asked to retry later")]
    Retry { after_secs: Option<u64> },
    /// Any other refusal (other 4xx, a malformed endpoint, a payload over the provider's limit).
    #[error("the push service refused the message")]
    Rejected,
    /// Connection failure or timeout.
    #[error("the push service could not be reached")]
    Network,
    /// The provider is missing, or its configuration or credential file is unusable.
    #[error("this provider is not configured")]
    NotConfigured,
}

/// The `[push]` section of the hub's configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushConfig {
    /// Web Push / UnifiedPush needs no credentials, so it is on unless turned off.
    #[serde(default = "yes")]
    pub webpush: bool,
    #[serde(default)]
    pub fcm: Option<fcm::FcmConfig>,
    #[serde(default)]
    pub apns: Option<apns::ApnsConfig>,
    /// Whole-request timeout per push, in seconds (default 10; 0 is raised to 1).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Most push subscriptions one client (address; IPv6 /64) may hold, pending or confirmed
    /// (default 16; 0 is raised to 1). Counted by a keyed hash that is new at every start.
    #[serde(default = "default_max_subscriptions_per_client")]
    pub max_subscriptions_per_client: u32,
    /// Seconds a device has to echo its confirmation push before the subscription is forgotten
    /// (default 86,400; at least 60).
    #[serde(default = "default_confirm_within")]
    pub confirm_within_secs: u64,
    /// `[egress] allow_private_endpoints`, copied here by `HubConfig` (not a `[push]` key): off,
    /// the Web Push client's resolver drops every non-public address a name resolves to.
    #[serde(skip)]
    pub allow_private_endpoints: bool,
}

// Written by hand rather than derived so that `PushConfig::default()` agrees with an empty
// `[push]` section: a derived Default would turn Web Push off and set a zero timeout.
impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            webpush: yes(),
            fcm: None,
            apns: None,
            timeout_secs: default_timeout(),
            max_subscriptions_per_client: default_max_subscriptions_per_client(),
            confirm_within_secs: default_confirm_within(),
            allow_private_endpoints: false,
        }
    }
}

fn default_max_subscriptions_per_client() -> u32 {
    16
}

fn default_confirm_within() -> u64 {
    86_400
}

fn yes() -> bool {
    true
}

fn default_timeout() -> u64 {
    10
}

/// The configured gateways, one per provider name used in the protocol. `Default` is
/// [`Gateways::none`].
#[derive(Clone, Default)]
pub struct Gateways {
    pub webpush: Option<Arc<dyn PushGateway>>,
    pub fcm: Option<Arc<dyn PushGateway>>,
    pub apns: Option<Arc<dyn PushGateway>>,
}

impl std::fmt::Debug for Gateways {
    // Says which providers are on; the gateways themselves are trait objects without Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateways")
            .field("webpush", &self.webpush.is_some())
            .field("fcm", &self.fcm.is_some())
            .field("apns", &self.apns.is_some())
            .finish()
    }
}

impl Gateways {
    /// Builds one HTTP client per configured provider. Fails with `NotConfigured` when a provider
    /// section is unusable (bad base URL, project id or topic) or a client cannot be built; token
    /// files are not read here but on every send, so they can be rotated without a restart.
    pub fn from_config(cfg: &PushConfig) -> Result<Gateways, PushError> {
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        let webpush: Option<Arc<dyn PushGateway>> = if cfg.webpush {
            Some(Arc::new(webpush::WebPush::new(
                timeout,
                cfg.allow_private_endpoints,
            )?))
        } else {
            None
        };
        let fcm: Option<Arc<dyn PushGateway>> = match &cfg.fcm {
            Some(c) => Some(Arc::new(fcm::Fcm::new(c, timeout)?)),
            None => None,
        };
        let apns: Option<Arc<dyn PushGateway>> = match &cfg.apns {
            Some(c) => Some(Arc::new(apns::Apns::new(c, timeout)?)),
            None => None,
        };
        Ok(Gateways { webpush, fcm, apns })
    }

    /// No provider at all (push disabled, or tests that do not push).
    pub fn none() -> Gateways {
        Gateways {
            webpush: None,
            fcm: None,
            apns: None,
        }
    }

    /// Provider name as in the protocol: "webpush" | "fcm" | "apns".
    pub fn for_provider(&self, provider: &str) -> Option<Arc<dyn PushGateway>> {
        match provider {
            "webpush" => self.webpush.clone(),
            "fcm" => self.fcm.clone(),
            "apns" => self.apns.clone(),
            _ => None,
        }
    }
}

/// Largest payload a provider is sure to deliver ("webpush" | "fcm" | "apns"), so the fan-out
/// can send a content-free wake-up instead of a sealed alert that would be refused. FCM and APNs
/// carry the payload base64-encoded inside a 4 KiB message, so their limits are near 3 KB.
pub fn max_payload(provider: &str) -> Option<usize> {
    match provider {
        "webpush" => Some(webpush::MAX_PAYLOAD),
        "fcm" => Some(fcm::MAX_PAYLOAD),
        "apns" => Some(apns::MAX_PAYLOAD),
        _ => None,
    }
}

/// Longest Retry-After honoured. Every push is sent with a one-day TTL, so waiting longer is
/// pointless, and a hostile or broken provider must not park the fan-out forever.
const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// Most of an error body read from a provider; the answers we parse are a few hundred bytes.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Largest credential file read; OAuth2 access tokens and ES256 JWTs are well under 4 KiB.
const MAX_TOKEN_FILE: u64 = 16 * 1024;

/// The common client settings. reqwest is built with `rustls-no-provider`, so ring must be the
/// process-wide rustls provider before any client exists.
fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
    // Err only means a provider is already installed (by the hub or an earlier call): fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // A redirect would send a sealed payload, and for FCM / APNs the bearer token, wherever
        // the answer points; push services do not redirect, so a 3xx is treated as a refusal.
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .user_agent("silbato-hub")
}

/// Turns a client-builder failure (no TLS roots, no crypto provider) into a configuration error.
fn build_client(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, PushError> {
    builder.build().map_err(|_| PushError::NotConfigured)
}

/// Maps a failed `send()`. The reqwest error is dropped unseen because its text holds the URL,
/// which for Web Push is the device's endpoint.
fn transport_error(err: &reqwest::Error) -> PushError {
    if err.is_builder() {
        PushError::Rejected
    } else {
        PushError::Network
    }
}

/// `Retry` with the provider's Retry-After, if any.
/// What every provider means by a failure status once its own special cases are handled: 429 and
/// 5xx ask for a retry (honouring Retry-After); anything else is a refusal the operator must look at.
fn by_status(status: u16, headers: &HeaderMap) -> PushError {
    if status == 429 || (500..600).contains(&status) {
        retry(headers)
    } else {
        PushError::Rejected
    }
}

fn retry(headers: &HeaderMap) -> PushError {
    let after_secs = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    PushError::Retry { after_secs }
}

/// Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3); anything else is ignored.
fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    let value = value.trim();
    let secs = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too long for u64 is still "a very long time".
        value.parse::<u64>().unwrap_or(u64::MAX)
    } else {
        // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is valid RFC 2822.
        let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        u64::try_from((when.with_timezone(&chrono::Utc) - now).num_seconds()).unwrap_or(0)
    };
    Some(secs.min(MAX_RETRY_AFTER_SECS))
}

/// Reads at most `MAX_ERROR_BODY` bytes of a response; a broken body reads as what arrived.
async fn read_limited(mut response: reqwest::Response) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY.saturating_sub(out.len());
        out.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or_default());
        if out.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    out
}

/// Reads a credential file on every send (tokens are minted and rotated outside the hub) and
/// returns `"{scheme} {token}"` as a sensitive header value, which reqwest and http keep out of
/// Debug output. Runs on the blocking pool because tokio's `fs` feature is not enabled.
async fn bearer_from_file(path: &Path, scheme: &'static str) -> Result<HeaderValue, PushError> {
    let path = path.to_path_buf();
    let text = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        let mut text = String::new();
        std::fs::File::open(&path)?
            .take(MAX_TOKEN_FILE + 1)
            .read_to_string(&mut text)?;
        Ok(text)
    })
    .await
    .map_err(|_| PushError::NotConfigured)?
    .map_err(|_| PushError::NotConfigured)?;
    if text.len() as u64 > MAX_TOKEN_FILE {
        return Err(PushError::NotConfigured);
    }
    let token = text.trim();
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(PushError::NotConfigured);
    }
    let mut value = HeaderValue::from_str(&format!("{scheme} {token}"))
        .map_err(|_| PushError::NotConfigured)?;
    value.set_sensitive(true);
    Ok(value)
}

/// Checks a configured provider base URL (`checked_url`: https, or http only to this machine for
/// local stand-ins; no credentials; here also no query or fragment) and returns it without a
/// trailing slash, ready for a path to be appended.
fn base_url(raw: &str) -> Result<String, PushError> {
    let url =
        silbato_proto::protocol::checked_url(raw.trim()).map_err(|_| PushError::NotConfigured)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(PushError::NotConfigured);
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The one thing a gateway may log: which provider, and how it went.
fn log_outcome(provider: &'static str, outcome: &Result<(), PushError>) {
    let outcome = match outcome {
        Ok(()) => "delivered",
        Err(PushError::Gone) => "gone",
        Err(PushError::Retry { .. }) => "retry",
        Err(PushError::Rejected) => "rejected",
        Err(PushError::Network) => "network",
        Err(PushError::NotConfigured) => "not-configured",
    };
    tracing::debug!(provider, outcome, "push");
}

/// A local stand-in for a provider's HTTP API: an axum server on 127.0.0.1 that records every
/// request it sees, plus a client builder that never goes through a proxy.
#[cfg(test)]
pub(crate) mod stand_in {
    use std::{
        net::SocketAddr,
        sync::{Arc, Mutex},
        time::Duration,
    };

    use axum::{Router, body::Bytes, extract::Request, http::HeaderMap};
    use tokio::{sync::oneshot, task::JoinHandle};

    /// One request as the stand-in received it.
    #[derive(Debug, Clone)]
    pub struct Seen {
        pub method: axum::http::Method,
        pub path: String,
        pub version: axum::http::Version,
        pub headers: HeaderMap,
        pub body: Bytes,
    }

    pub type Log = Arc<Mutex<Vec<Seen>>>;

    /// Takes a request apart, stores it in `log` and returns the copy for the handler to answer.
    pub async fn record(log: &Log, req: Request) -> Seen {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let seen = Seen {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            version: parts.version,
            headers: parts.headers,
            body,
        };
        log.lock().unwrap().push(seen.clone());
        seen
    }

    #[derive(Debug)]
    pub struct StandIn {
        pub addr: SocketAddr,
        stop: oneshot::Sender<()>,
        task: JoinHandle<std::io::Result<()>>,
    }

    impl StandIn {
        /// Serves `app` on an OS-assigned port of 127.0.0.1.
        pub async fn start(app: Router) -> StandIn {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (stop, stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
            });
            StandIn { addr, stop, task }
        }

        pub fn url(&self) -> String {
            format!("http://{}", self.addr)
        }

        /// Shuts the server down and checks it really stopped.
        pub async fn stop(self) {
            let _ = self.stop.send(());
            let joined = tokio::time::timeout(Duration::from_secs(10), self.task)
                .await
                .expect("stand-in did not stop");
            joined.unwrap().unwrap();
        }
    }

    /// The production client settings, minus any system proxy, so tests only touch 127.0.0.1.
    pub fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
        super::client_builder(timeout).no_proxy()
    }

    /// An address on 127.0.0.1 where nothing listens (bound, then released).
    pub async fn closed_port() -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_means_webpush_only_with_ten_seconds() {
        let cfg: PushConfig = serde_json::from_str("{}").unwrap();
        assert!(cfg.webpush);
        assert!(cfg.fcm.is_none() && cfg.apns.is_none());
        assert_eq!(cfg.timeout_secs, 10);
        let d = PushConfig::default();
        assert!(d.webpush);
        assert_eq!(d.timeout_secs, 10);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<PushConfig>(r#"{"webpsuh": false}"#).is_err());
        let bad_fcm = r#"{"fcm": {"project_id": "p", "access_token_file": "/t", "key": "x"}}"#;
        assert!(serde_json::from_str::<PushConfig>(bad_fcm).is_err());
    }

    #[test]
    fn provider_sections_parse_with_default_base_urls() {
        let cfg: PushConfig = serde_json::from_str(
            r#"{"webpush": false, "timeout_secs": 3,
                "fcm": {"project_id": "silbato-test", "access_token_file": "/run/fcm"},
                "apns": {"topic": "org.silbato.app", "auth_token_file": "/run/apns"}}"#,
        )
        .unwrap();
        assert!(!cfg.webpush);
        assert_eq!(cfg.timeout_secs, 3);
        assert_eq!(cfg.fcm.unwrap().base_url, "https://fcm.googleapis.com");
        assert_eq!(cfg.apns.unwrap().base_url, "https://api.push.apple.com");
    }

    // A plain test, not tokio: the hub's main builds its gateways before starting the runtime.
    #[test]
    fn from_config_builds_what_is_configured() {
        let gw = Gateways::from_config(&PushConfig::default()).unwrap();
        assert!(gw.for_provider("webpush").is_some());
        assert!(gw.for_provider("fcm").is_none());
        assert!(gw.for_provider("apns").is_none());
        assert!(gw.for_provider("WebPush").is_none());

        let cfg: PushConfig = serde_json::from_str(
            r#"{"webpush": false,
                "fcm": {"project_id": "silbato-test", "access_token_file": "/run/fcm"},
                "apns": {"topic": "org.silbato.app", "auth_token_file": "/run/apns"}}"#,
        )
        .unwrap();
        let gw = Gateways::from_config(&cfg).unwrap();
        assert!(gw.for_provider("webpush").is_none());
        assert!(gw.for_provider("fcm").is_some());
        assert!(gw.for_provider("apns").is_some());
        assert_eq!(
            format!("{gw:?}"),
            "Gateways { webpush: false, fcm: true, apns: true }"
        );

        let none = Gateways::none();
        assert!(
            ["webpush", "fcm", "apns"]
                .iter()
                .all(|p| none.for_provider(p).is_none())
        );
    }

    #[test]
    fn unusable_provider_sections_are_not_configured() {
        for bad in [
            r#"{"fcm": {"project_id": "a/b", "access_token_file": "/t"}}"#,
            r#"{"fcm": {"project_id": "", "access_token_file": "/t"}}"#,
            r#"{"fcm": {"project_id": "p", "access_token_file": "/t", "base_url": "ftp://x"}}"#,
            r#"{"apns": {"topic": "", "auth_token_file": "/t"}}"#,
            r#"{"apns": {"topic": "t", "auth_token_file": "/t", "base_url": "not a url"}}"#,
        ] {
            let cfg: PushConfig = serde_json::from_str(bad).unwrap();
            assert!(
                matches!(Gateways::from_config(&cfg), Err(PushError::NotConfigured)),
                "{bad}"
            );
        }
    }

    #[test]
    fn payload_limits_per_provider() {
        assert_eq!(max_payload("webpush"), Some(4096));
        assert_eq!(max_payload("fcm"), Some(3066));
        assert_eq!(max_payload("apns"), Some(3003));
        assert_eq!(max_payload("sms"), None);
    }

    #[test]
    fn retry_after_seconds_dates_and_junk() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("120", now), Some(120));
        assert_eq!(parse_retry_after(" 0 ", now), Some(0));
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 12:01:30 GMT", now),
            Some(90)
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 11:00:00 GMT", now),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(MAX_RETRY_AFTER_SECS)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[tokio::test]
    async fn token_files_are_trimmed_bounded_and_sensitive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  abc.def-ghi\n").unwrap();
        let v = bearer_from_file(&path, "Bearer").await.unwrap();
        assert_eq!(v.to_str().unwrap(), "Bearer abc.def-ghi");
        assert!(v.is_sensitive());
        assert!(!format!("{v:?}").contains("abc"));

        for bad in ["", " \n", "two words", &"x".repeat(20_000)] {
            std::fs::write(&path, bad).unwrap();
            assert!(matches!(
                bearer_from_file(&path, "Bearer").await,
                Err(PushError::NotConfigured)
            ));
        }
        assert!(matches!(
            bearer_from_file(&dir.path().join("missing"), "Bearer").await,
            Err(PushError::NotConfigured)
        ));
    }

    #[test]
    fn base_urls_are_checked_and_trimmed() {
        assert_eq!(
            base_url("https://fcm.googleapis.com/").unwrap(),
            "https://fcm.googleapis.com"
        );
        assert_eq!(
            base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "ftp://x",
            "https://x/?a=b",
            "https://x/#f",
            "https://u:p@x",
            "http://localhost:1@evil.example/",
            "http://fcm.googleapis.com",
            "x",
            "",
        ] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }
}
