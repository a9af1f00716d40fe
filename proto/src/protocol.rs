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

use crate::alert::Rejection;
use crate::crypto::{PublicKey, SigningKey, hex, random_id, sha256, sha256_hex};
use crate::error::{Error, Result};
use crate::seal::{self, SealPublicKey, SealSecretKey};
use crate::sighting::Sighting;
pub use crate::urls::{checked_url, is_loopback_http, is_public_ip, request_host, same_hub};

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
/// A fresh random value per signed request; the hub refuses one it has seen in the skew window.
pub const HEADER_NONCE: &str = "x-silbato-nonce";
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
    /// A finer stable reason beside `error`, when the hub has one (see `docs/protocol.md`): for a
    /// refused alert `expired`, `unknown_network`, `not_enough_signatures`, `outside_regions`...;
    /// `replayed`, `not_sealed`, `quota`. Absent from older hubs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The `reason` a hub gives for a refused alert (`ErrorBody::reason`): one stable word per rule.
pub fn rejection_reason(r: &Rejection) -> &'static str {
    match r {
        Rejection::TooLarge => "too_large",
        Rejection::Malformed => "malformed",
        Rejection::UnknownKey => "unknown_key",
        Rejection::UnknownNetwork => "unknown_network",
        Rejection::BadSignature => "bad_signature",
        Rejection::KeyOutsideValidity => "key_outside_validity",
        Rejection::NotEnoughSignatures { .. } => "not_enough_signatures",
        Rejection::Expired => "expired",
        Rejection::FromTheFuture => "from_the_future",
        Rejection::Conflict => "conflict",
    }
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

const REQUEST_DOMAIN: &str = "silbato-request-v2";

/// What a dispatcher signs: the method, the hub's host (as in the `Host` header, lowercase, with
/// a port unless it is the scheme's default), the path with its query, the date, a fresh nonce,
/// and the body's hash. The host keeps a request signed for one hub from being replayed to
/// another; the nonce keeps it from being replayed to the same one.
pub fn request_message(
    method: &str,
    host: &str,
    path_and_query: &str,
    date: &str,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    format!(
        "{REQUEST_DOMAIN}\n{}\n{}\n{path_and_query}\n{date}\n{nonce}\n{}",
        method.to_ascii_uppercase(),
        host.to_ascii_lowercase(),
        sha256_hex(body)
    )
    .into_bytes()
}

/// A nonce is 16 to 64 letters, digits, `_` or `-`.
pub fn valid_nonce(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The four headers that authenticate a dispatcher's request to the hub at `host` (see
/// [`request_host`]), with a fresh random nonce.
pub fn sign_request(
    key: &SigningKey,
    method: &str,
    host: &str,
    path_and_query: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<[(&'static str, String); 4]> {
    let date = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let nonce = random_id()?;
    let sig = key.sign(&request_message(
        method,
        host,
        path_and_query,
        &date,
        &nonce,
        body,
    ));
    Ok([
        (HEADER_KEY, key.public_key().to_string()),
        (HEADER_DATE, date),
        (HEADER_NONCE, nonce),
        (HEADER_SIGNATURE, b64(&sig)),
    ])
}

/// The authentication headers of one request, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedHeaders<'a> {
    pub key: Option<&'a str>,
    pub date: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// A request whose signature verified: who signed it, and the nonce the hub must remember for
/// [`REQUEST_SKEW`] on either side of the date (the caller refuses one it has seen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    pub key: PublicKey,
    pub nonce: String,
    pub date: DateTime<Utc>,
}

/// Checks a signed request: the key is one `allowed` accepts, the date is within five minutes of
/// `now`, the nonce is well-formed, and the signature covers exactly this request to this `host`.
/// Replays within the window are the caller's to refuse, by [`VerifiedRequest::nonce`].
pub fn verify_request(
    headers: SignedHeaders<'_>,
    method: &str,
    host: &str,
    path_and_query: &str,
    body: &[u8],
    now: DateTime<Utc>,
    allowed: impl Fn(&PublicKey) -> bool,
) -> Result<VerifiedRequest> {
    let unauthorized = Error::from(ProtocolError::NotADispatcher);
    let (Some(key), Some(date), Some(signature)) = (headers.key, headers.date, headers.signature)
    else {
        return Err(unauthorized);
    };
    let key = PublicKey::parse(key).map_err(|_| Error::from(ProtocolError::NotADispatcher))?;
    let when = DateTime::parse_from_rfc3339(date)
        .map_err(|_| Error::from(ProtocolError::RequestDate))?
        .with_timezone(&Utc);
    if (when - now).abs() > REQUEST_SKEW {
        return Err(Error::from(ProtocolError::RequestSkew));
    }
    let nonce = headers
        .nonce
        .filter(|n| valid_nonce(n))
        .ok_or(Error::from(ProtocolError::RequestNonce))?;
    let sig = unb64(signature).ok_or(Error::from(ProtocolError::RequestSignature))?;
    let message = request_message(method, host, path_and_query, date, nonce, body);
    if !allowed(&key) || !key.verify(&message, &sig) {
        return Err(unauthorized);
    }
    Ok(VerifiedRequest {
        key,
        nonce: nonce.to_owned(),
        date: when,
    })
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

/// Smallest padded report plaintext.
pub const REPORT_PAD_MIN: usize = 1024;
/// Above this, padded sizes grow in steps of this size instead of doubling.
pub const REPORT_PAD_STEP: usize = 64 * 1024;
/// Bytes of a `seal_to_many` header per recipient (key, encapsulated key, wrapped content key).
const SEALED_ENTRY_LEN: usize = 32 + 32 + 48;
/// The AEAD tag after a sealed body.
const SEALED_TAG_LEN: usize = 16;
/// The `seal_to_many` format byte.
const SEALED_MANY_VERSION: u8 = 2;

/// The padded length of a `len`-byte report plaintext: the next power of two from 1 KiB up to
/// 64 KiB, then the next multiple of 64 KiB; never more than `max` unless `len` itself is.
pub fn report_padded_len(len: usize, max: usize) -> usize {
    let bucket = if len <= REPORT_PAD_MIN {
        REPORT_PAD_MIN
    } else if len <= REPORT_PAD_STEP {
        len.next_power_of_two()
    } else {
        len.div_ceil(REPORT_PAD_STEP)
            .saturating_mul(REPORT_PAD_STEP)
    };
    bucket.min(max).max(len)
}

/// Pads a report's JSON with spaces (which JSON ignores after a value) to
/// [`report_padded_len`], so the sealed size tells only the bucket.
pub fn pad_report(json: &[u8], max: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(report_padded_len(json.len(), max)));
    out.extend_from_slice(json);
    out.resize(report_padded_len(json.len(), max), b' ');
    out
}

/// Removes [`pad_report`]'s padding (and nothing else: a report's JSON never ends in a space).
pub fn unpad_report(padded: &[u8]) -> &[u8] {
    let end = padded.iter().rposition(|b| *b != b' ').map_or(0, |i| i + 1);
    padded.get(..end).unwrap_or_default()
}

/// Seals a report to every dispatcher seal key: one copy of the content key per dispatcher. The
/// plaintext is padded first ([`pad_report`]), within what a hub accepts.
pub fn seal_report(report: &Report, recipients: &[SealPublicKey]) -> Result<Vec<u8>> {
    let plain = Zeroizing::new(serde_json::to_vec(report).map_err(|_| Error::Encode)?);
    let overhead = 2 + recipients.len().saturating_mul(SEALED_ENTRY_LEN) + SEALED_TAG_LEN;
    let padded = pad_report(&plain, MAX_REPORT_BYTES.saturating_sub(overhead));
    seal::seal_to_many(recipients, REPORT_INFO, REPORT_AAD, &padded).map_err(Error::from)
}

/// Whether `bytes` have the shape of a sealed report (what a hub checks before storing one it
/// cannot open): the many-recipient seal format byte, 1 to 32 recipients, their header entries
/// and at least an AEAD tag after them. A raw photo or any other file fails.
pub fn check_sealed_report(bytes: &[u8]) -> Result<()> {
    let bad = || Error::from(ProtocolError::NotASealedReport);
    let (&version, rest) = bytes.split_first().ok_or_else(bad)?;
    let (&count, rest) = rest.split_first().ok_or_else(bad)?;
    let count = usize::from(count);
    if version != SEALED_MANY_VERSION || count == 0 || count > seal::MAX_RECIPIENTS {
        return Err(bad());
    }
    if rest.len() < count * SEALED_ENTRY_LEN + SEALED_TAG_LEN {
        return Err(bad());
    }
    Ok(())
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
    serde_json::from_slice(unpad_report(&plain)).map_err(|_| Error::Malformed {
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
        let host = "hub.example.org";
        let [(_, k), (_, d), (_, n), (_, s)] =
            sign_request(&key, "get", host, "/v1/reports?after=0", b"", now).unwrap();
        let headers = SignedHeaders {
            key: Some(&k),
            date: Some(&d),
            nonce: Some(&n),
            signature: Some(&s),
        };
        let ok = |m: &str, h: &str, pq: &str, body: &[u8], at: DateTime<Utc>| {
            verify_request(headers, m, h, pq, body, at, |x| *x == key.public_key()).is_ok()
        };
        assert!(ok("GET", host, "/v1/reports?after=0", b"", now));
        assert!(ok(
            "GET",
            "HUB.example.org",
            "/v1/reports?after=0",
            b"",
            now
        ));
        assert!(
            !ok("GET", host, "/v1/reports?after=9", b"", now),
            "the query is covered"
        );
        assert!(
            !ok("POST", host, "/v1/reports?after=0", b"", now),
            "the method is covered"
        );
        assert!(
            !ok("GET", host, "/v1/reports?after=0", b"x", now),
            "the body is covered"
        );
        assert!(
            !ok(
                "GET",
                host,
                "/v1/reports?after=0",
                b"",
                now + Duration::minutes(10)
            ),
            "stale"
        );
        let verified = verify_request(
            headers,
            "GET",
            host,
            "/v1/reports?after=0",
            b"",
            now,
            |_| true,
        )
        .unwrap();
        assert_eq!(verified.nonce, n);
        assert!(
            verify_request(
                headers,
                "GET",
                host,
                "/v1/reports?after=0",
                b"",
                now,
                |_| false
            )
            .is_err()
        );
        let no_key = SignedHeaders {
            key: None,
            ..headers
        };
        assert!(verify_request(no_key, "GET", host, "/", b"", now, |_| true).is_err());
    }

    #[test]
    fn h12_21_worked_example_of_docs_protocol_md() {
        // RFC 8032 test key 1; docs/protocol.md §5.
        let key = PublicKey::parse("ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        let date = "2026-11-21T15:32:07Z";
        let nonce = "00112233445566778899aabbccddeeff";
        let sig = "rSIQngGyRY73nIZnCrZQdptxXjjlsrRwSdh6+obxw/M88osaE1Hn0b9COPQveh+GRoMtAgmxyu7JCvjziReiBg==";
        let pq = "/v1/reports?after=0&limit=100";
        let message = request_message("GET", "hub.example.org", pq, date, nonce, b"");
        assert_eq!(message.len(), 187);
        assert!(key.verify(&message, &unb64(sig).unwrap()));
        let headers = SignedHeaders {
            key: Some("ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            date: Some(date),
            nonce: Some(nonce),
            signature: Some(sig),
        };
        let at = DateTime::parse_from_rfc3339(date)
            .unwrap()
            .with_timezone(&Utc);
        assert!(verify_request(headers, "GET", "hub.example.org", pq, b"", at, |_| true).is_ok());
    }

    #[test]
    fn h12_21_the_signature_covers_the_host_and_the_nonce() {
        let key = SigningKey::generate().unwrap();
        let now = Utc::now();
        let pq = "/v1/reports?after=0";
        let [(_, k), (_, d), (_, n), (_, s)] =
            sign_request(&key, "GET", "hub-a.example.org", pq, b"", now).unwrap();
        let [(_, _), (_, _), (_, n2), (_, _)] =
            sign_request(&key, "GET", "hub-a.example.org", pq, b"", now).unwrap();
        assert_ne!(n, n2, "every request gets a fresh nonce");
        let headers = SignedHeaders {
            key: Some(&k),
            date: Some(&d),
            nonce: Some(&n),
            signature: Some(&s),
        };
        let verify = |h: SignedHeaders<'_>, host: &str| {
            verify_request(h, "GET", host, pq, b"", now, |_| true)
        };
        assert!(verify(headers, "hub-a.example.org").is_ok());
        assert!(
            verify(headers, "hub-b.example.org").is_err(),
            "another hub cannot replay it"
        );
        let other_nonce = SignedHeaders {
            nonce: Some(&n2),
            ..headers
        };
        assert!(verify(other_nonce, "hub-a.example.org").is_err());
        let no_nonce = SignedHeaders {
            nonce: None,
            ..headers
        };
        assert_eq!(
            verify(no_nonce, "hub-a.example.org")
                .unwrap_err()
                .to_string(),
            ProtocolError::RequestNonce.to_string()
        );
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

    fn report_with_notes(notes: &str) -> Report {
        let mut sighting = Sighting::new(
            "2026-11-21T10:00:00Z".parse().unwrap(),
            crate::sighting::Activity::Raid,
            crate::sighting::Agency::Ice,
            crate::sighting::Confidence::Observed,
        );
        sighting.notes = Some(notes.to_owned());
        Report {
            v: 1,
            network: "chi".into(),
            record_id: "r1".into(),
            sighting,
            device_key: SigningKey::generate().unwrap().public_key(),
            created_at: "2026-11-21T10:05:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn h12_23_report_padding_known_answers() {
        assert_eq!(report_padded_len(0, usize::MAX), 1024);
        assert_eq!(report_padded_len(2, usize::MAX), 1024);
        assert_eq!(report_padded_len(1024, usize::MAX), 1024);
        assert_eq!(report_padded_len(1025, usize::MAX), 2048);
        assert_eq!(report_padded_len(40_000, usize::MAX), 65_536);
        assert_eq!(report_padded_len(65_537, usize::MAX), 131_072);
        assert_eq!(report_padded_len(200_000, usize::MAX), 262_144);
        assert_eq!(report_padded_len(200_000, 210_000), 210_000, "capped");
        assert_eq!(
            report_padded_len(300, 100),
            300,
            "never shorter than the text"
        );
        let padded = pad_report(b"{\"a\":1}", usize::MAX);
        assert_eq!(padded.len(), 1024);
        assert_eq!(padded.get(..7), Some(&b"{\"a\":1}"[..]));
        assert!(padded[7..].iter().all(|b| *b == b' '));
        assert_eq!(unpad_report(&padded), b"{\"a\":1}");
        assert_eq!(unpad_report(b"   "), b"");
        assert_eq!(unpad_report(b"{}"), b"{}");
    }

    #[test]
    fn h12_23_reports_whose_notes_differ_by_49_characters_seal_to_one_size() {
        let seal = SealSecretKey::generate().unwrap();
        let short = report_with_notes("Two vans");
        let long = report_with_notes(&format!("Two vans{}", "x".repeat(49)));
        let a = seal_report(&short, &[seal.public_key()]).unwrap();
        let b = seal_report(&long, &[seal.public_key()]).unwrap();
        assert_eq!(a.len(), b.len());
        assert_eq!(open_report(&a, &seal).unwrap(), short);
        assert_eq!(open_report(&b, &seal).unwrap(), long);
        check_sealed_report(&a).unwrap();
    }

    #[test]
    fn h12_19_only_a_sealed_report_has_the_header() {
        let seal = SealSecretKey::generate().unwrap();
        let sealed = seal_report(&report_with_notes("n"), &[seal.public_key()]).unwrap();
        assert!(check_sealed_report(&sealed).is_ok());
        let jpeg = [0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F'];
        for bad in [&jpeg[..], b"", b"\x02", b"\x02\x00rest", &sealed[..100]] {
            assert_eq!(
                check_sealed_report(bad).unwrap_err().to_string(),
                ProtocolError::NotASealedReport.to_string()
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn h12_23_padding_round_trips(json in "[ -~]{0,3000}[!-~]", max in 0usize..10_000) {
            let padded = pad_report(json.as_bytes(), max);
            proptest::prop_assert_eq!(padded.len(), report_padded_len(json.len(), max));
            proptest::prop_assert!(padded.len() >= json.len());
            proptest::prop_assert_eq!(unpad_report(&padded), json.as_bytes());
        }
    }
}
