//! Apple Push Notification service gateway (token-based HTTP/2 provider API): sends an alert push
//! whose visible text is a generic placeholder and whose `silbato` field carries the sealed
//! payload; the app's notification service extension decrypts it on the phone and replaces the
//! text (or keeps the placeholder).
//!
//! Owns: [`ApnsConfig`], the `POST {base}/3/device/{token}` request and its `apns-*` headers, the
//! 4096-byte payload limit, an HTTP/2-only client, and the mapping of APNs answers onto
//! [`PushError`].
//!
//! Must never: log or put into an error the device token, the provider token or the payload; put
//! alert content in the visible `aps.alert` text (Apple, and the phone's notification database,
//! would keep it); sign provider tokens (see below).
//!
//! Provider tokens: APNs wants an ES256 JWT (`iss` = team id, `kid` = key id) signed with the
//! team's `.p8` key and refreshed between 20 and 60 minutes. The hub does not hold that key; an
//! external refresher rewrites `auth_token_file` (write, then rename) with the current JWT, and
//! the file is read on every send. A missing or empty file is `NotConfigured`.

use std::{path::PathBuf, time::Duration};

use base64::Engine as _;
use reqwest::StatusCode;

use super::{PushError, PushGateway, SendFuture};

/// APNs refuses a payload over 4 KiB (the whole JSON body).
const MAX_PAYLOAD_BYTES: usize = 4096;

/// Largest sealed payload whose APNs body fits in 4096 bytes: the fixed JSON takes 89
/// bytes, leaving 4007, so at most 4004 base64 characters, which carry 3003 bytes. Larger payloads
/// are `Rejected` without a request; the fan-out should send a wake-up instead.
pub const MAX_PAYLOAD: usize = 3003;

/// Longest device token accepted (hex); today's are 64 digits, Apple reserves the right to grow.
const MAX_DEVICE_TOKEN_LEN: usize = 200;

/// How long APNs should keep trying an offline device, matching the other providers' TTL.
const EXPIRATION_SECS: i64 = 86_400;

/// The `[push.apns]` section.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApnsConfig {
    /// The app's bundle id (the `apns-topic`).
    pub topic: String,
    /// A file holding the current provider token (JWT); read on every send.
    pub auth_token_file: PathBuf,
    /// `https://api.push.apple.com` (or `https://api.sandbox.push.apple.com` for development
    /// builds), or a local stand-in in tests.
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

fn default_base_url() -> String {
    "https://api.push.apple.com".to_owned()
}

/// An APNs sender for one app.
#[derive(Debug, Clone)]
pub struct Apns {
    client: reqwest::Client,
    base: String,
    topic: reqwest::header::HeaderValue,
    auth_token_file: PathBuf,
}

impl Apns {
    /// Checks the configuration and builds an HTTP/2-only client; does not read the token file.
    pub fn new(cfg: &ApnsConfig, timeout: Duration) -> Result<Apns, PushError> {
        Self::with_builder(cfg, super::client_builder(timeout))
    }

    fn with_builder(cfg: &ApnsConfig, builder: reqwest::ClientBuilder) -> Result<Apns, PushError> {
        let topic = cfg.topic.trim();
        if topic.is_empty() || !topic.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(PushError::NotConfigured);
        }
        let topic =
            reqwest::header::HeaderValue::from_str(topic).map_err(|_| PushError::NotConfigured)?;
        let base = super::base_url(&cfg.base_url)?;
        // APNs speaks only HTTP/2. With this setting reqwest offers only "h2" in TLS ALPN for
        // https, and speaks h2c with prior knowledge for http (local stand-ins).
        let client = super::build_client(builder.http2_prior_knowledge())?;
        Ok(Apns {
            client,
            base,
            topic,
            auth_token_file: cfg.auth_token_file.clone(),
        })
    }

    async fn deliver(&self, device_token: &str, payload: &[u8]) -> Result<(), PushError> {
        // Hex only: the token becomes a path segment, so nothing else may reach the URL.
        if device_token.is_empty()
            || device_token.len() > MAX_DEVICE_TOKEN_LEN
            || !device_token.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(PushError::Rejected);
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "aps": {
                // Generic on purpose: this is what shows if the extension cannot decrypt.
                "alert": { "title": "Silbato", "body": "New alert" },
                // Lets the notification service extension run and replace the text.
                "mutable-content": 1,
            },
            "silbato": base64::engine::general_purpose::STANDARD.encode(payload),
        }))
        .map_err(|_| PushError::Rejected)?;
        // Checked before sending so an oversized alert costs no request.
        if body.len() > MAX_PAYLOAD_BYTES {
            return Err(PushError::Rejected);
        }
        let authorization = super::bearer_from_file(&self.auth_token_file, "bearer").await?;
        let url = reqwest::Url::parse(&format!("{}/3/device/{device_token}", self.base))
            .map_err(|_| PushError::Rejected)?;
        let expiration = chrono::Utc::now().timestamp() + EXPIRATION_SECS;
        let response = self
            .client
            .post(url)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header("apns-topic", self.topic.clone())
            .header("apns-push-type", "alert")
            // 10 = deliver immediately; right for a raid alert.
            .header("apns-priority", "10")
            .header("apns-expiration", expiration.to_string())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| super::transport_error(&e))?;
        let status = response.status();
        if status == StatusCode::OK {
            return Ok(());
        }
        let headers = response.headers().clone();
        let body = super::read_limited(response).await;
        Err(map_error(status, &headers, &body))
    }
}

impl PushGateway for Apns {
    fn send<'a>(&'a self, endpoint: &'a str, payload: &'a [u8]) -> SendFuture<'a> {
        Box::pin(async move {
            let outcome = self.deliver(endpoint, payload).await;
            super::log_outcome("apns", &outcome);
            outcome
        })
    }
}

/// APNs error body: `{"reason":"BadDeviceToken"}` (410 adds a `timestamp`).
#[derive(Debug, Default, serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    reason: String,
}

fn map_error(status: StatusCode, headers: &reqwest::header::HeaderMap, body: &[u8]) -> PushError {
    let reason = serde_json::from_slice::<ErrorBody>(body)
        .unwrap_or_default()
        .reason;
    // Note: BadDeviceToken is also what a development-build token gets from the production
    // endpoint (and vice versa), so base_url must match how the app was signed.
    if status == StatusCode::GONE || matches!(reason.as_str(), "BadDeviceToken" | "Unregistered") {
        return PushError::Gone;
    }
    // 429 / 5xx (TooManyRequests, InternalServerError, ServiceUnavailable, Shutdown) retry;
    // ExpiredProviderToken, InvalidProviderToken, DeviceTokenNotForTopic, ... are refusals.
    super::by_status(status.as_u16(), headers)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::{
        Json, Router,
        extract::{Request, State},
        http::{HeaderValue, Method, StatusCode, Version},
        response::{IntoResponse, Response},
    };
    use serde_json::{Value, json};

    use super::super::stand_in::{self, Log, StandIn};
    use super::*;

    const PROVIDER_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJURUFNIn0.c2ln";
    const TOPIC: &str = "org.silbato.app";
    const OK_TOKEN: &str = "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1";

    fn reason(status: StatusCode, reason: &str) -> Response {
        (status, Json(json!({"reason": reason}))).into_response()
    }

    /// An APNs stand-in: refuses anything but HTTP/2 (as APNs does), checks the provider token,
    /// then answers by device token.
    async fn apns_service(State(log): State<Log>, req: Request) -> Response {
        let seen = stand_in::record(&log, req).await;
        if seen.version != Version::HTTP_2 {
            return StatusCode::HTTP_VERSION_NOT_SUPPORTED.into_response();
        }
        let expected = format!("bearer {PROVIDER_TOKEN}");
        if seen
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            != Some(&expected)
        {
            return reason(StatusCode::FORBIDDEN, "InvalidProviderToken");
        }
        match seen.path.strip_prefix("/3/device/").unwrap_or_default() {
            OK_TOKEN => (
                StatusCode::OK,
                [("apns-id", "EC1BF194-B3B2-424A-89A9-5A918A6E2B1D")],
            )
                .into_response(),
            "dead" => (
                StatusCode::GONE,
                Json(json!({"reason": "Unregistered", "timestamp": 1_763_000_000_000u64})),
            )
                .into_response(),
            "bad0" => reason(StatusCode::BAD_REQUEST, "BadDeviceToken"),
            "0429" => (
                StatusCode::TOO_MANY_REQUESTS,
                [("Retry-After", "12")],
                Json(json!({"reason": "TooManyRequests"})),
            )
                .into_response(),
            "0500" => reason(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
            "0503" => reason(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
            "0413" => reason(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge"),
            "0400" => reason(StatusCode::BAD_REQUEST, "DeviceTokenNotForTopic"),
            _ => reason(StatusCode::NOT_FOUND, "BadPath"),
        }
    }

    struct Setup {
        server: StandIn,
        log: Log,
        apns: Apns,
        token_file: PathBuf,
        _dir: tempfile::TempDir,
    }

    async fn start() -> Setup {
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(apns_service).with_state(log.clone());
        let server = StandIn::start(app).await;
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("apns-provider-token");
        std::fs::write(&token_file, PROVIDER_TOKEN).unwrap();
        let cfg = ApnsConfig {
            topic: TOPIC.to_owned(),
            auth_token_file: token_file.clone(),
            base_url: server.url(),
        };
        let apns =
            Apns::with_builder(&cfg, stand_in::client_builder(Duration::from_secs(5))).unwrap();
        Setup {
            server,
            log,
            apns,
            token_file,
            _dir: dir,
        }
    }

    #[tokio::test]
    async fn sends_an_alert_push_over_h2c_whose_payload_round_trips() {
        let s = start().await;
        let sealed: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
        let before = chrono::Utc::now().timestamp();
        s.apns.send(OK_TOKEN, &sealed).await.unwrap();

        let seen = s.log.lock().unwrap()[0].clone();
        assert_eq!(seen.version, Version::HTTP_2, "APNs requires HTTP/2");
        assert_eq!(seen.method, Method::POST);
        assert_eq!(seen.path, format!("/3/device/{OK_TOKEN}"));
        let h = &seen.headers;
        assert_eq!(h["apns-topic"], HeaderValue::from_static(TOPIC));
        assert_eq!(h["apns-push-type"], HeaderValue::from_static("alert"));
        assert_eq!(h["apns-priority"], HeaderValue::from_static("10"));
        let expiration: i64 = h["apns-expiration"].to_str().unwrap().parse().unwrap();
        assert!((before + 86_400..=before + 86_400 + 5).contains(&expiration));

        let body: Value = serde_json::from_slice(&seen.body).unwrap();
        assert_eq!(
            body["aps"],
            json!({"alert": {"title": "Silbato", "body": "New alert"}, "mutable-content": 1})
        );
        assert_eq!(body.as_object().unwrap().len(), 2);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(body["silbato"].as_str().unwrap())
            .unwrap();
        assert_eq!(decoded, sealed);

        drop(s.apns);
        s.server.stop().await;
    }

    #[tokio::test]
    async fn maps_apns_answers() {
        let s = start().await;
        let send = |token: &'static str| s.apns.send(token, b"sealed");
        assert!(matches!(send("dead").await, Err(PushError::Gone)));
        assert!(matches!(send("bad0").await, Err(PushError::Gone)));
        assert!(matches!(
            send("0429").await,
            Err(PushError::Retry {
                after_secs: Some(12)
            })
        ));
        assert!(matches!(
            send("0500").await,
            Err(PushError::Retry { after_secs: None })
        ));
        assert!(matches!(
            send("0503").await,
            Err(PushError::Retry { after_secs: None })
        ));
        assert!(matches!(send("0413").await, Err(PushError::Rejected)));
        assert!(matches!(send("0400").await, Err(PushError::Rejected)));
        let seen = s.log.lock().unwrap().clone();
        assert_eq!(seen.len(), 7);
        assert!(seen.iter().all(|r| r.version == Version::HTTP_2));

        drop(s.apns);
        s.server.stop().await;
    }

    #[tokio::test]
    async fn oversized_payloads_bad_tokens_and_missing_credentials_send_nothing() {
        let s = start().await;
        s.apns.send(OK_TOKEN, &[1u8; MAX_PAYLOAD]).await.unwrap();
        assert!(matches!(
            s.apns.send(OK_TOKEN, &[1u8; MAX_PAYLOAD + 1]).await,
            Err(PushError::Rejected)
        ));
        for token in ["", "zz", "../../x", "ab/cd", "ab?c=d", &"a".repeat(201)] {
            assert!(
                matches!(s.apns.send(token, b"x").await, Err(PushError::Rejected)),
                "{token}"
            );
        }
        std::fs::write(&s.token_file, "").unwrap();
        assert!(matches!(
            s.apns.send(OK_TOKEN, b"x").await,
            Err(PushError::NotConfigured)
        ));
        assert_eq!(s.log.lock().unwrap().len(), 1);

        drop(s.apns);
        s.server.stop().await;
    }

    #[tokio::test]
    async fn unreachable_apns_is_a_network_error() {
        let closed = stand_in::closed_port().await;
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("t");
        std::fs::write(&token_file, PROVIDER_TOKEN).unwrap();
        let cfg = ApnsConfig {
            topic: TOPIC.to_owned(),
            auth_token_file: token_file,
            base_url: format!("http://{closed}"),
        };
        let apns =
            Apns::with_builder(&cfg, stand_in::client_builder(Duration::from_secs(5))).unwrap();
        assert!(matches!(
            apns.send(OK_TOKEN, b"x").await,
            Err(PushError::Network)
        ));
    }
}
