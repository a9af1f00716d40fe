//! Firebase Cloud Messaging gateway (HTTP v1 API): sends the sealed payload as a high-priority
//! data message to one registration token.
//!
//! Owns: [`FcmConfig`], the `messages:send` request (`{base}/v1/projects/{project_id}/messages:send`,
//! bearer access token, JSON body), the 4096-byte data limit, and the mapping of FCM's answers onto
//! [`PushError`].
//!
//! Must never: log or put into an error the registration token, the access token or the payload;
//! send a `notification` block (FCM would then render text itself, and the phone's notification
//! database would keep it); mint OAuth2 tokens (see below).
//!
//! Access tokens: FCM v1 wants a short-lived OAuth2 access token for a service account with the
//! `https://www.googleapis.com/auth/firebase.messaging` scope. The hub does not hold the service
//! account key: the operator runs a separate refresher (for example a timer running
//! `gcloud auth print-access-token --impersonate-service-account=...`, or workload identity) that
//! rewrites `access_token_file` (write, then rename, so no half token is read) before the
//! token's hour is up. The file is read on every send, so a rotation takes effect without a
//! restart; a missing or empty file is `NotConfigured`.

use std::{path::PathBuf, time::Duration};

use base64::Engine as _;
use reqwest::StatusCode;

use super::{PushError, PushGateway, SendFuture};

/// The key under which the phone finds the base64 (standard alphabet, padded) sealed payload.
const DATA_KEY: &str = "silbato";

/// FCM's documented limit for a data message: keys and values together, in bytes.
const MAX_DATA_BYTES: usize = 4096;

/// Largest sealed payload that fits the 4096-byte data limit once base64-encoded under "silbato":
/// 4096 - 7 leaves 4089, so at most 4088 base64 characters, which carry 3066 bytes. Larger
/// payloads are `Rejected` without a request; the fan-out should send a wake-up instead.
pub const MAX_PAYLOAD: usize = 3066;

/// Longest registration token accepted; real ones are a few hundred bytes.
const MAX_TOKEN_LEN: usize = 4096;

/// The `[push.fcm]` section.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FcmConfig {
    /// The Firebase / Google Cloud project id.
    pub project_id: String,
    /// A file holding a current OAuth2 access token; read on every send.
    pub access_token_file: PathBuf,
    /// `https://fcm.googleapis.com`, or a local stand-in in tests.
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

fn default_base_url() -> String {
    "https://fcm.googleapis.com".to_owned()
}

/// An FCM HTTP v1 sender for one project.
#[derive(Debug, Clone)]
pub struct Fcm {
    client: reqwest::Client,
    send_url: reqwest::Url,
    access_token_file: PathBuf,
}

impl Fcm {
    /// Checks the configuration and builds the client; does not read the token file yet.
    pub fn new(cfg: &FcmConfig, timeout: Duration) -> Result<Fcm, PushError> {
        Self::with_builder(cfg, super::client_builder(timeout))
    }

    fn with_builder(cfg: &FcmConfig, builder: reqwest::ClientBuilder) -> Result<Fcm, PushError> {
        if !valid_project_id(&cfg.project_id) {
            return Err(PushError::NotConfigured);
        }
        let base = super::base_url(&cfg.base_url)?;
        let send_url = reqwest::Url::parse(&format!(
            "{base}/v1/projects/{}/messages:send",
            cfg.project_id
        ))
        .map_err(|_| PushError::NotConfigured)?;
        Ok(Fcm {
            client: super::build_client(builder)?,
            send_url,
            access_token_file: cfg.access_token_file.clone(),
        })
    }

    async fn deliver(&self, token: &str, payload: &[u8]) -> Result<(), PushError> {
        if token.is_empty()
            || token.len() > MAX_TOKEN_LEN
            || !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(PushError::Rejected);
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(payload);
        // Checked here rather than left to FCM so an oversized alert costs no request and is not
        // mistaken for a bad token (FCM answers both with INVALID_ARGUMENT).
        if DATA_KEY.len() + encoded.len() > MAX_DATA_BYTES {
            return Err(PushError::Rejected);
        }
        let authorization = super::bearer_from_file(&self.access_token_file, "Bearer").await?;
        let body = serde_json::json!({
            "message": {
                "token": token,
                "data": { DATA_KEY: encoded },
                // HIGH so a sleeping Android phone wakes for a raid alert; the TTL matches Web Push.
                "android": { "priority": "HIGH", "ttl": "86400s" },
            }
        });
        let response = self
            .client
            .post(self.send_url.clone())
            .header(reqwest::header::AUTHORIZATION, authorization)
            .json(&body)
            .send()
            .await
            .map_err(|e| super::transport_error(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let headers = response.headers().clone();
        let body = super::read_limited(response).await;
        Err(map_error(status, &headers, &body))
    }
}

impl PushGateway for Fcm {
    fn send<'a>(&'a self, endpoint: &'a str, payload: &'a [u8]) -> SendFuture<'a> {
        Box::pin(async move {
            let outcome = self.deliver(endpoint, payload).await;
            super::log_outcome("fcm", &outcome);
            outcome
        })
    }
}

/// Project ids are lowercase letters, digits and hyphens (older domain-scoped ones add `.` and
/// `:`); nothing that could change the request path.
fn valid_project_id(id: &str) -> bool {
    id.len() <= 100
        && id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':'))
}

/// The parts of a Google API error body (`{"error":{"status":..,"message":..,"details":[..]}}`)
/// that decide the outcome.
#[derive(Debug, Default, serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorInfo,
}

#[derive(Debug, Default, serde::Deserialize)]
struct ErrorInfo {
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

impl ErrorInfo {
    /// `errorCode` of the `google.firebase.fcm.v1.FcmError` detail, if any.
    fn fcm_error_codes(&self) -> impl Iterator<Item = &str> {
        self.details
            .iter()
            .filter_map(|d| d.get("errorCode").and_then(|c| c.as_str()))
    }

    /// Whether a `google.rpc.BadRequest` detail blames `message.token`.
    fn blames_token_field(&self) -> bool {
        self.details.iter().any(|d| {
            d.get("fieldViolations")
                .and_then(|v| v.as_array())
                .is_some_and(|vs| {
                    vs.iter()
                        .any(|v| v.get("field").and_then(|f| f.as_str()) == Some("message.token"))
                })
        })
    }

    /// INVALID_ARGUMENT about the token itself. A bare INVALID_ARGUMENT can also mean our message
    /// is malformed; reading that as "token gone" would delete every FCM subscription because of
    /// one bug of ours, so only answers that name the token count.
    fn token_is_invalid(&self) -> bool {
        let invalid_argument = self.status == "INVALID_ARGUMENT"
            || self.fcm_error_codes().any(|c| c == "INVALID_ARGUMENT");
        invalid_argument
            && (self.blames_token_field() || self.message.contains("registration token"))
    }
}

fn map_error(status: StatusCode, headers: &reqwest::header::HeaderMap, body: &[u8]) -> PushError {
    let info = serde_json::from_slice::<ErrorBody>(body)
        .unwrap_or_default()
        .error;
    if status == StatusCode::NOT_FOUND
        || info.status == "UNREGISTERED"
        || info.fcm_error_codes().any(|c| c == "UNREGISTERED")
    {
        return PushError::Gone;
    }
    if status == StatusCode::BAD_REQUEST && info.token_is_invalid() {
        return PushError::Gone;
    }
    // QUOTA_EXCEEDED (429), UNAVAILABLE (503), INTERNAL (500) ask for backoff; 401/403 (expired
    // access token, SENDER_ID_MISMATCH, wrong project) and other refusals need the operator, and
    // the subscription itself may be fine.
    super::by_status(status.as_u16(), headers)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::{
        Json, Router,
        extract::{Request, State},
        http::{HeaderValue, Method, StatusCode},
        response::{IntoResponse, Response},
    };
    use serde_json::{Value, json};

    use super::super::stand_in::{self, Log, StandIn};
    use super::*;

    const ACCESS_TOKEN: &str = "ya29.test-access-token";

    fn google_error(code: u16, status: &str, message: &str, details: Value) -> Value {
        json!({"error": {"code": code, "status": status, "message": message, "details": details}})
    }

    fn fcm_detail(code: &str) -> Value {
        json!([{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}])
    }

    /// An FCM v1 stand-in: checks the bearer token, then answers by registration token the way
    /// the documented API does.
    async fn fcm_service(State(log): State<Log>, req: Request) -> Response {
        let seen = stand_in::record(&log, req).await;
        let expected = format!("Bearer {ACCESS_TOKEN}");
        if seen
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            != Some(&expected)
        {
            let body = google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid credentials.",
                json!([]),
            );
            return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        }
        let Ok(msg) = serde_json::from_slice::<Value>(&seen.body) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        match msg["message"]["token"].as_str().unwrap_or_default() {
            "tok-ok" => Json(json!({"name": "projects/silbato-test/messages/0:1"})).into_response(),
            "tok-unregistered" => {
                let body = google_error(
                    404,
                    "NOT_FOUND",
                    "Requested entity was not found.",
                    fcm_detail("UNREGISTERED"),
                );
                (StatusCode::NOT_FOUND, Json(body)).into_response()
            }
            "tok-invalid" => {
                let body = google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "The registration token is not a valid FCM registration token",
                    fcm_detail("INVALID_ARGUMENT"),
                );
                (StatusCode::BAD_REQUEST, Json(body)).into_response()
            }
            "tok-field" => {
                let details = json!([{"@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": "message.token", "description": "Invalid registration token"}]}]);
                let body = google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "Request contains an invalid argument.",
                    details,
                );
                (StatusCode::BAD_REQUEST, Json(body)).into_response()
            }
            "tok-our-bug" => {
                let details = json!([{"@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": "message", "description": "Unknown name \"x\""}]}]);
                let body = google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "Invalid JSON payload received.",
                    details,
                );
                (StatusCode::BAD_REQUEST, Json(body)).into_response()
            }
            "tok-quota" => {
                let body = google_error(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Quota exceeded.",
                    fcm_detail("QUOTA_EXCEEDED"),
                );
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("Retry-After", "30")],
                    Json(body),
                )
                    .into_response()
            }
            "tok-unavailable" => {
                let body = google_error(
                    503,
                    "UNAVAILABLE",
                    "The service is unavailable.",
                    fcm_detail("UNAVAILABLE"),
                );
                (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
            }
            "tok-mismatch" => {
                let body = google_error(
                    403,
                    "PERMISSION_DENIED",
                    "SenderId mismatch",
                    fcm_detail("SENDER_ID_MISMATCH"),
                );
                (StatusCode::FORBIDDEN, Json(body)).into_response()
            }
            _ => StatusCode::IM_A_TEAPOT.into_response(),
        }
    }

    struct Setup {
        server: StandIn,
        log: Log,
        fcm: Fcm,
        token_file: PathBuf,
        _dir: tempfile::TempDir,
    }

    async fn start() -> Setup {
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(fcm_service).with_state(log.clone());
        let server = StandIn::start(app).await;
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("fcm-access-token");
        std::fs::write(&token_file, format!("{ACCESS_TOKEN}\n")).unwrap();
        let cfg = FcmConfig {
            project_id: "silbato-test".to_owned(),
            access_token_file: token_file.clone(),
            base_url: format!("{}/", server.url()),
        };
        let fcm =
            Fcm::with_builder(&cfg, stand_in::client_builder(Duration::from_secs(5))).unwrap();
        Setup {
            server,
            log,
            fcm,
            token_file,
            _dir: dir,
        }
    }

    #[tokio::test]
    async fn sends_a_v1_data_message_whose_payload_round_trips() {
        let s = start().await;
        let sealed: Vec<u8> = (0..=255u8).rev().cycle().take(1000).collect();
        s.fcm.send("tok-ok", &sealed).await.unwrap();

        let seen = s.log.lock().unwrap()[0].clone();
        assert_eq!(seen.method, Method::POST);
        assert_eq!(seen.path, "/v1/projects/silbato-test/messages:send");
        assert_eq!(
            seen.headers["content-type"],
            HeaderValue::from_static("application/json")
        );
        let msg: Value = serde_json::from_slice(&seen.body).unwrap();
        assert_eq!(
            msg.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["message"]
        );
        let m = &msg["message"];
        assert_eq!(m["token"], "tok-ok");
        assert_eq!(m["android"], json!({"priority": "HIGH", "ttl": "86400s"}));
        assert!(m.get("notification").is_none(), "no text for FCM to render");
        assert_eq!(m["data"].as_object().unwrap().len(), 1);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(m["data"]["silbato"].as_str().unwrap())
            .unwrap();
        assert_eq!(decoded, sealed);

        drop(s.fcm);
        s.server.stop().await;
    }

    #[tokio::test]
    async fn maps_fcm_answers() {
        let s = start().await;
        let send = |token: &'static str| s.fcm.send(token, b"sealed");
        assert!(matches!(
            send("tok-unregistered").await,
            Err(PushError::Gone)
        ));
        assert!(matches!(send("tok-invalid").await, Err(PushError::Gone)));
        assert!(matches!(send("tok-field").await, Err(PushError::Gone)));
        // INVALID_ARGUMENT that does not blame the token must not delete the subscription.
        assert!(matches!(
            send("tok-our-bug").await,
            Err(PushError::Rejected)
        ));
        assert!(matches!(
            send("tok-quota").await,
            Err(PushError::Retry {
                after_secs: Some(30)
            })
        ));
        assert!(matches!(
            send("tok-unavailable").await,
            Err(PushError::Retry { after_secs: None })
        ));
        assert!(matches!(
            send("tok-mismatch").await,
            Err(PushError::Rejected)
        ));
        assert_eq!(s.log.lock().unwrap().len(), 7);

        drop(s.fcm);
        s.server.stop().await;
    }

    #[tokio::test]
    async fn reads_the_access_token_file_on_every_send() {
        let s = start().await;
        s.fcm.send("tok-ok", b"x").await.unwrap();
        std::fs::write(&s.token_file, "ya29.rotated").unwrap();
        // The stand-in only knows the old token: the new one is sent, and refused with 401.
        assert!(matches!(
            s.fcm.send("tok-ok", b"x").await,
            Err(PushError::Rejected)
        ));
        let sent: Vec<_> = s
            .log
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.headers["authorization"].clone())
            .collect();
        assert_eq!(sent[1], HeaderValue::from_static("Bearer ya29.rotated"));

        std::fs::remove_file(&s.token_file).unwrap();
        assert!(matches!(
            s.fcm.send("tok-ok", b"x").await,
            Err(PushError::NotConfigured)
        ));
        assert_eq!(s.log.lock().unwrap().len(), 2, "no request without a token");

        drop(s.fcm);
        s.server.stop().await;
    }

    #[tokio::test]
    async fn oversized_payloads_and_bad_tokens_are_refused_before_sending() {
        let s = start().await;
        s.fcm.send("tok-ok", &[7u8; MAX_PAYLOAD]).await.unwrap();
        assert!(matches!(
            s.fcm.send("tok-ok", &[7u8; MAX_PAYLOAD + 1]).await,
            Err(PushError::Rejected)
        ));
        for token in ["", "has space", "tab\there", &"t".repeat(MAX_TOKEN_LEN + 1)] {
            assert!(matches!(
                s.fcm.send(token, b"x").await,
                Err(PushError::Rejected)
            ));
        }
        assert_eq!(s.log.lock().unwrap().len(), 1);

        drop(s.fcm);
        s.server.stop().await;
    }

    #[tokio::test]
    async fn unreachable_fcm_is_a_network_error() {
        let closed = stand_in::closed_port().await;
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("t");
        std::fs::write(&token_file, ACCESS_TOKEN).unwrap();
        let cfg = FcmConfig {
            project_id: "silbato-test".to_owned(),
            access_token_file: token_file,
            base_url: format!("http://{closed}"),
        };
        let fcm =
            Fcm::with_builder(&cfg, stand_in::client_builder(Duration::from_secs(5))).unwrap();
        assert!(matches!(
            fcm.send("tok-ok", b"x").await,
            Err(PushError::Network)
        ));
    }

    #[test]
    fn project_ids_cannot_change_the_path() {
        assert!(valid_project_id("silbato-test-123"));
        assert!(valid_project_id("example.com:legacy-project"));
        for bad in ["", "..", ".", "a/b", "a?b", "a#b", "a b", "a%2Fb", "-x"] {
            assert!(!valid_project_id(bad), "{bad}");
        }
    }
}
