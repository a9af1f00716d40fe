//! Protocol v1 between devices, dispatchers and a hub (`docs/protocol.md`, `docs/openapi.yaml`):
//! the JSON bodies, the size limits, how a dispatcher signs a request, and the sealed sighting
//! report.
//!
//! Shared by the hub and the sync client so both sides agree on every byte. Signed documents
//! (profiles, packs, watch-lists, alerts) travel as their exact envelope bytes, base64'd where they
//! sit inside a JSON body, so nothing between the signer and the device can re-encode them. This
//! module must never put a report's plaintext anywhere but inside a seal.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{PublicKey, SigningKey, hex, sha256, sha256_hex};
use crate::error::{Error, Result};
use crate::seal::{self, SealPublicKey, SealSecretKey};
use crate::sighting::Sighting;
pub use crate::urls::{checked_url, is_loopback_http, same_hub};

pub use crate::error::ProtocolError;

pub const API_PREFIX: &str = "/v1";
/// Largest response a device reads for a profile, pack or watch-list.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// Largest alerts page a device reads.
pub const MAX_ALERTS_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// Largest sealed report a hub accepts.
pub const MAX_REPORT_BYTES: usize = 512 * 1024;
/// Largest alerts page a hub serves.
pub const MAX_PAGE_LIMIT: u32 = 500;
/// How far a dispatcher's request date may be from the hub's clock.
pub const REQUEST_SKEW: Duration = Duration::minutes(5);

pub const HEADER_KEY: &str = "x-silbato-key";
pub const HEADER_DATE: &str = "x-silbato-date";
pub const HEADER_SIGNATURE: &str = "x-silbato-signature";
pub const HEADER_IDEMPOTENCY: &str = "idempotency-key";

/// `GET /v1/alerts` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsPage {
    /// Alert envelopes, exact bytes, base64.
    pub alerts: Vec<String>,
    /// Opaque cursor to pass as `after` next time.
    pub next: String,
    /// More alerts are waiting after `next`.
    pub more: bool,
}

/// `POST /v1/alerts` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertPosted {
    pub id: String,
    pub duplicate: bool,
    /// Push deliveries queued for this alert.
    pub fanout: u64,
}

/// `POST /v1/reports` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportReceipt {
    pub id: String,
    /// The same idempotency key and body were received before.
    pub duplicate: bool,
}

/// `GET /v1/reports` response, for dispatchers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsPage {
    pub reports: Vec<SealedReportItem>,
    pub next: String,
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedReportItem {
    pub id: String,
    pub received_at: DateTime<Utc>,
    /// The sealed bytes, base64: the hub cannot read them.
    pub sealed: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushProvider {
    /// UnifiedPush / Web Push (RFC 8030): the endpoint is a URL the hub POSTs to.
    Webpush,
    /// Firebase Cloud Messaging HTTP v1: the endpoint is the registration token.
    Fcm,
    /// Apple Push Notification service: the endpoint is the device token.
    Apns,
}

/// `POST /v1/push/subscriptions` body: an endpoint, the device's push key, and coarse regions —
/// never a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSubscription {
    pub provider: PushProvider,
    pub endpoint: String,
    pub push_key: SealPublicKey,
    pub regions: Vec<String>,
}

impl PushSubscription {
    pub fn validate(&self) -> Result<()> {
        if self.endpoint.is_empty()
            || self.endpoint.len() > 2048
            || self.endpoint.chars().any(char::is_control)
        {
            return Err(Error::from(ProtocolError::Endpoint));
        }
        if self.provider == PushProvider::Webpush && checked_url(&self.endpoint).is_err() {
            return Err(Error::from(ProtocolError::WebPushEndpoint));
        }
        if self.regions.is_empty()
            || self.regions.len() > 32
            || !self.regions.iter().all(|r| valid_region(r))
        {
            return Err(Error::from(ProtocolError::SubscriptionRegions));
        }
        Ok(())
    }
}

/// Every error body a hub returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// A stable code: `bad_request`, `too_large`, `unauthorized`, `rejected`, `conflict`,
    /// `not_found`, `rate_limited`, `unavailable`.
    pub error: String,
    pub message: String,
    pub retryable: bool,
}

pub fn valid_region(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

/// Whether an alert tagged `alert_region` concerns a device following `followed`: the same
/// region, one inside it, or one containing it (US-IL covers US-IL-CHI and the reverse).
pub fn region_matches(followed: &str, alert_region: &str) -> bool {
    followed == alert_region
        || alert_region
            .strip_prefix(followed)
            .is_some_and(|r| r.starts_with('-'))
        || followed
            .strip_prefix(alert_region)
            .is_some_and(|r| r.starts_with('-'))
}

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub fn unb64(text: &str) -> Option<Vec<u8>> {
    B64.decode(text).ok()
}

// ---- dispatcher request signatures ----

const REQUEST_DOMAIN: &str = "silbato-request-v1";

/// What a dispatcher signs: the method, the path with its query, the date, and the body's hash.
pub fn request_message(method: &str, path_and_query: &str, date: &str, body: &[u8]) -> Vec<u8> {
    format!(
        "{REQUEST_DOMAIN}\n{}\n{path_and_query}\n{date}\n{}",
        method.to_ascii_uppercase(),
        sha256_hex(body)
    )
    .into_bytes()
}

/// The three headers that authenticate a dispatcher's request.
pub fn sign_request(
    key: &SigningKey,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> [(&'static str, String); 3] {
    let date = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let sig = key.sign(&request_message(method, path_and_query, &date, body));
    [
        (HEADER_KEY, key.public_key().to_string()),
        (HEADER_DATE, date),
        (HEADER_SIGNATURE, b64(&sig)),
    ]
}

/// Checks a signed request: the key is one `allowed` accepts, the date is within five minutes of
/// `now`, and the signature covers exactly this request.
// Each argument is one part of the request the signature covers; bundling them would only hide that.
#[allow(clippy::too_many_arguments)]
pub fn verify_request(
    key: Option<&str>,
    date: Option<&str>,
    signature: Option<&str>,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: DateTime<Utc>,
    allowed: impl Fn(&PublicKey) -> bool,
) -> Result<PublicKey> {
    let unauthorized = Error::from(ProtocolError::NotADispatcher);
    let (Some(key), Some(date), Some(signature)) = (key, date, signature) else {
        return Err(unauthorized);
    };
    let key = PublicKey::parse(key).map_err(|_| Error::from(ProtocolError::NotADispatcher))?;
    let when =
        DateTime::parse_from_rfc3339(date).map_err(|_| Error::from(ProtocolError::RequestDate))?;
    if (when.with_timezone(&Utc) - now).abs() > REQUEST_SKEW {
        return Err(Error::from(ProtocolError::RequestSkew));
    }
    let sig = unb64(signature).ok_or(Error::from(ProtocolError::RequestSignature))?;
    if !allowed(&key) || !key.verify(&request_message(method, path_and_query, date, body), &sig) {
        return Err(unauthorized);
    }
    Ok(key)
}

// ---- sealed reports ----

const REPORT_INFO: &[u8] = b"silbato/report/v1";
const REPORT_AAD: &[u8] = b"silbato-report";

/// What a patroller sends the dispatchers: the sighting, tied to the signed vault entry it came
/// from so a dispatcher (and later a lawyer) can check it against the device's key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub v: u32,
    pub network: String,
    /// The vault record the report comes from.
    pub record_id: String,
    pub sighting: Sighting,
    /// The patroller device's Ed25519 key (it signs the vault chain).
    pub device_key: PublicKey,
    pub created_at: DateTime<Utc>,
}

/// Seals a report to every dispatcher seal key: one copy of the content key per dispatcher.
pub fn seal_report(report: &Report, recipients: &[SealPublicKey]) -> Result<Vec<u8>> {
    let plain = Zeroizing::new(serde_json::to_vec(report).map_err(|_| Error::Encode)?);
    seal::seal_to_many(recipients, REPORT_INFO, REPORT_AAD, &plain).map_err(Error::from)
}

/// Opens a sealed report with one dispatcher's secret key.
pub fn open_report(sealed: &[u8], secret: &SealSecretKey) -> Result<Report> {
    if sealed.len() > MAX_REPORT_BYTES {
        return Err(Error::TooLarge {
            what: crate::DocKind::Envelope,
            limit: MAX_REPORT_BYTES,
        });
    }
    let plain = seal::open_from_many(secret, REPORT_INFO, REPORT_AAD, sealed)
        .map_err(|_| Error::Decrypt)?;
    serde_json::from_slice(&plain).map_err(|_| Error::Malformed {
        what: crate::DocKind::Envelope,
        line: 0,
        column: 0,
    })
}

/// An idempotency key derived from the sealed bytes: retries of the same report collide, two
/// reports never do.
pub fn idempotency_key(sealed: &[u8]) -> String {
    let d = sha256(sealed);
    hex(d.get(..16).unwrap_or(&d))
}

/// A dispatcher's keys in one file: the Ed25519 key that signs alerts and hub requests, and the
/// X25519 key that opens the sealed reports addressed to them. Written readable by its owner only.
pub struct DispatcherKeys {
    pub signing: SigningKey,
    pub seal: SealSecretKey,
}

impl std::fmt::Debug for DispatcherKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DispatcherKeys({}, {})",
            self.signing.public_key(),
            self.seal.public_key()
        )
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DispatcherFile {
    #[serde(rename = "type")]
    kind: String,
    version: u32,
    signing_key_file: serde_json::Value,
    seal_key_file: serde_json::Value,
}

const DISPATCHER_TYPE: &str = "silbato-dispatcher-keys";

impl DispatcherKeys {
    pub fn generate() -> Result<Self> {
        Ok(DispatcherKeys {
            signing: SigningKey::generate()?,
            seal: SealSecretKey::generate().map_err(|_| Error::Crypto)?,
        })
    }

    pub fn to_key_file(&self) -> Result<Zeroizing<String>> {
        let signing: serde_json::Value =
            serde_json::from_str(&self.signing.to_key_file()?).map_err(|_| Error::Crypto)?;
        let seal: serde_json::Value =
            serde_json::from_str(&self.seal.to_key_file().map_err(|_| Error::Crypto)?)
                .map_err(|_| Error::Crypto)?;
        let doc = DispatcherFile {
            kind: DISPATCHER_TYPE.into(),
            version: 1,
            signing_key_file: signing,
            seal_key_file: seal,
        };
        Ok(Zeroizing::new(
            serde_json::to_string_pretty(&doc).map_err(|_| Error::Encode)?,
        ))
    }

    pub fn from_key_file(bytes: &[u8]) -> Result<Self> {
        let doc: DispatcherFile = serde_json::from_slice(bytes)
            .map_err(|e| Error::from_json(crate::DocKind::KeyFile, &e))?;
        if doc.kind != DISPATCHER_TYPE || doc.version != 1 {
            return Err(Error::from(ProtocolError::NotADispatcherKeyFile));
        }
        let signing =
            Zeroizing::new(serde_json::to_vec(&doc.signing_key_file).map_err(|_| Error::Encode)?);
        let seal =
            Zeroizing::new(serde_json::to_vec(&doc.seal_key_file).map_err(|_| Error::Encode)?);
        Ok(DispatcherKeys {
            signing: SigningKey::from_key_file(&signing)?,
            seal: SealSecretKey::from_key_file(&seal)
                .map_err(|_| Error::from(ProtocolError::DispatcherSealKey))?,
        })
    }
}

/// The seal keys of a network's dispatchers whose keys are valid `now`: who a report goes to.
pub fn report_recipients(
    profile: &crate::network::NetworkProfile,
    now: DateTime<Utc>,
) -> Vec<SealPublicKey> {
    profile
        .dispatcher_keys
        .iter()
        .filter(|d| d.valid_from <= now && now < d.valid_until)
        .filter_map(|d| d.seal_key)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_matched_on_the_exact_host() {
        assert!(is_loopback_http("http://127.0.0.1:8080/push/1"));
        assert!(is_loopback_http("http://localhost/x"));
        assert!(!is_loopback_http("http://localhost.evil.example/x"));
        assert!(!is_loopback_http("http://127.0.0.1.nip.io/x"));
        assert!(!is_loopback_http("http://10.0.0.1/x"));
    }

    #[test]
    fn loopback_url_with_userinfo_is_refused() {
        // A user name or password before the host: the request would go to the host after `@`.
        for bad in [
            "http://localhost:1@evil.example/",
            "http://user:pw@127.0.0.1/",
            "http://user@127.0.0.1/",
            "http://:pw@[::1]/",
            "https://localhost@evil.example",
            "https://user:pw@hub.example.org/",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
            assert!(!is_loopback_http(bad), "{bad}");
        }
        for good in [
            "http://127.0.0.1:8080/x",
            "http://[::1]/",
            "http://localhost/",
            "https://hub.example.org/",
            "https://hub.example.org:8443/push/abc?x=1",
        ] {
            assert!(checked_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://localhost.evil.example/",
            "http://127.0.0.1.nip.io/",
            "http://10.0.0.1/",
            "http://hub.example.org/",
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
            "data:text/plain,x",
            "https://",
            "/v1/alerts",
            "",
            " https://hub.example.org/",
            "https://hub.example.org/\n",
            "https://hub.exa\tmple.org/",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
        assert!(is_loopback_http("http://[::1]:9/"));
        assert!(!is_loopback_http("https://127.0.0.1/"));
        // The error names no part of the URL.
        let e = checked_url("http://secret-user:pw@evil.example/").unwrap_err();
        assert!(!e.to_string().contains("evil") && !e.to_string().contains("secret"));
    }

    #[test]
    fn webpush_endpoints_are_checked_as_urls() {
        let sub = |endpoint: &str| PushSubscription {
            provider: PushProvider::Webpush,
            endpoint: endpoint.into(),
            push_key: SealSecretKey::generate().unwrap().public_key(),
            regions: vec!["US-IL".into()],
        };
        assert!(sub("https://push.example.org/abc").validate().is_ok());
        assert!(sub("http://127.0.0.1:9/push").validate().is_ok());
        for bad in [
            "http://localhost:1@evil.example/",
            "https://u:p@push.example.org/",
            "http://push.example.org/",
            "ftp://push.example.org/",
        ] {
            assert!(sub(bad).validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_nest() {
        assert!(region_matches("US-IL", "US-IL-CHI"));
        assert!(region_matches("US-IL-CHI", "US-IL"));
        assert!(region_matches("US-IL", "US-IL"));
        assert!(!region_matches("US-IL", "US-ILX"));
        assert!(!region_matches("US-IL", "US-CA"));
    }

    #[test]
    fn request_signatures() {
        let key = SigningKey::generate().unwrap();
        let now = Utc::now();
        let [(_, k), (_, d), (_, s)] = sign_request(&key, "get", "/v1/reports?after=0", b"", now);
        let ok = |m: &str, pq: &str, body: &[u8], at: DateTime<Utc>| {
            verify_request(Some(&k), Some(&d), Some(&s), m, pq, body, at, |x| {
                *x == key.public_key()
            })
            .is_ok()
        };
        assert!(ok("GET", "/v1/reports?after=0", b"", now));
        assert!(
            !ok("GET", "/v1/reports?after=9", b"", now),
            "the query is covered"
        );
        assert!(
            !ok("POST", "/v1/reports?after=0", b"", now),
            "the method is covered"
        );
        assert!(
            !ok("GET", "/v1/reports?after=0", b"x", now),
            "the body is covered"
        );
        assert!(
            !ok(
                "GET",
                "/v1/reports?after=0",
                b"",
                now + Duration::minutes(10)
            ),
            "stale"
        );
        assert!(
            verify_request(
                Some(&k),
                Some(&d),
                Some(&s),
                "GET",
                "/v1/reports?after=0",
                b"",
                now,
                |_| false
            )
            .is_err()
        );
        assert!(verify_request(None, Some(&d), Some(&s), "GET", "/", b"", now, |_| true).is_err());
    }

    #[test]
    fn reports_open_only_for_dispatchers() {
        let a = SealSecretKey::generate().unwrap();
        let b = SealSecretKey::generate().unwrap();
        let stranger = SealSecretKey::generate().unwrap();
        let device = SigningKey::generate().unwrap();
        let report = Report {
            v: 1,
            network: "chi".into(),
            record_id: "r1".into(),
            sighting: Sighting::new(
                Utc::now(),
                crate::sighting::Activity::Raid,
                crate::sighting::Agency::Ice,
                crate::sighting::Confidence::Observed,
            ),
            device_key: device.public_key(),
            created_at: Utc::now(),
        };
        let sealed = seal_report(&report, &[a.public_key(), b.public_key()]).unwrap();
        assert_eq!(open_report(&sealed, &a).unwrap(), report);
        assert_eq!(open_report(&sealed, &b).unwrap(), report);
        assert!(open_report(&sealed, &stranger).is_err());
        assert_eq!(idempotency_key(&sealed), idempotency_key(&sealed));
        assert!(seal_report(&report, &[]).is_err());
    }
}
