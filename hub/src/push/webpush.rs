//! Web Push / UnifiedPush gateway (RFC 8030 §5): POSTs the sealed payload to the endpoint URL the
//! device registered.
//!
//! Owns: endpoint checks (http or https only), the RFC 8030 request headers, and the mapping of
//! the push service's status onto [`PushError`].
//!
//! Must never: log or put into an error the endpoint URL (it identifies the device) or the
//! payload; follow a redirect; contact a non-http(s) URL.
//!
//! Why the body is not wrapped in RFC 8291 (`Content-Encoding: aes128gcm`): the payload is already
//! sealed end to end to the device with Silbato's own HPKE (RFC 9180) seal, so the push service
//! and anyone who subpoenas it see only ciphertext either way, and a second layer would need the
//! browser-style `p256dh`/`auth` subscription keys that Silbato's devices do not register.
//! UnifiedPush distributors accept and deliver a raw body unchanged. A distributor or browser push
//! service that insists on RFC 8291 (answering 400/415) would need that layer added here, keyed by
//! subscription keys the protocol would then have to carry.

use std::time::Duration;

use reqwest::{StatusCode, header::CONTENT_TYPE};

use super::{PushError, PushGateway, SendFuture};

/// The payload size every push service must accept (RFC 8030 §7.2; UnifiedPush promises the
/// same). Larger bodies are sent anyway and may be answered 413, which maps to `Rejected`.
pub const MAX_PAYLOAD: usize = 4096;

/// Messages that cannot be delivered within a day are stale alerts; the push service may drop
/// them after that.
const TTL_SECS: &str = "86400";

/// A Web Push / UnifiedPush sender.
#[derive(Debug, Clone)]
pub struct WebPush {
    client: reqwest::Client,
}

impl WebPush {
    /// A sender whose requests give up after `timeout`. Unless `allow_private`, its resolver
    /// (`crate::egress::PublicOnly`) drops every non-public address an endpoint's name resolves
    /// to, so a name that later points at the operator's own network is not reached (the fan-out
    /// refuses non-public address literals itself).
    pub fn new(timeout: Duration, allow_private: bool) -> Result<WebPush, PushError> {
        Self::with_builder(
            super::client_builder(timeout).dns_resolver(std::sync::Arc::new(
                crate::egress::PublicOnly { allow_private },
            )),
        )
    }

    fn with_builder(builder: reqwest::ClientBuilder) -> Result<WebPush, PushError> {
        Ok(WebPush {
            client: super::build_client(builder)?,
        })
    }

    async fn deliver(&self, endpoint: &str, payload: &[u8]) -> Result<(), PushError> {
        let url = endpoint_url(endpoint)?;
        let response = self
            .client
            .post(url)
            .header("TTL", TTL_SECS)
            // Alerts about a raid nearby must wake the device even in power-saving modes.
            .header("Urgency", "high")
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(payload.to_vec())
            .send()
            .await
            .map_err(|e| super::transport_error(&e))?;
        map_status(response.status(), response.headers())
    }
}

impl PushGateway for WebPush {
    fn send<'a>(&'a self, endpoint: &'a str, payload: &'a [u8]) -> SendFuture<'a> {
        Box::pin(async move {
            let outcome = self.deliver(endpoint, payload).await;
            super::log_outcome("webpush", &outcome);
            outcome
        })
    }
}

/// Only what `silbato_proto::protocol::checked_url` accepts is a push endpoint: https with a host,
/// plain http only to this machine, no credentials in the URL. Anything else (file:, data:, a
/// relative path, `http://localhost@elsewhere`) is refused before any connection is made.
fn endpoint_url(endpoint: &str) -> Result<reqwest::Url, PushError> {
    silbato_proto::protocol::checked_url(endpoint).map_err(|_| PushError::Rejected)
}

fn map_status(status: StatusCode, headers: &reqwest::header::HeaderMap) -> Result<(), PushError> {
    match status.as_u16() {
        // RFC 8030 answers 201 Created; some distributors answer 200 or 202. Any 2xx means the
        // service took the message.
        _ if status.is_success() => Ok(()),
        404 | 410 => Err(PushError::Gone),
        s => Err(super::by_status(s, headers)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::{
        Router,
        extract::{Request, State},
        http::{HeaderValue, Method, StatusCode},
        response::{IntoResponse, Response},
    };

    use super::super::stand_in::{self, Log, StandIn};
    use super::*;

    /// A push service stand-in: the last path segment picks the answer.
    async fn push_service(State(log): State<Log>, req: Request) -> Response {
        let seen = stand_in::record(&log, req).await;
        match seen.path.rsplit('/').next().unwrap_or_default() {
            "ok" => (StatusCode::CREATED, [("Location", "/msg/1")]).into_response(),
            "accepted" => StatusCode::ACCEPTED.into_response(),
            "gone404" => StatusCode::NOT_FOUND.into_response(),
            "gone410" => StatusCode::GONE.into_response(),
            "busy" => (StatusCode::TOO_MANY_REQUESTS, [("Retry-After", "42")]).into_response(),
            "later" => {
                let when = chrono::Utc::now() + chrono::Duration::seconds(600);
                let date = when.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
                (StatusCode::SERVICE_UNAVAILABLE, [("Retry-After", date)]).into_response()
            }
            "broken" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            "big" => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
            "bad" => StatusCode::BAD_REQUEST.into_response(),
            "moved" => (StatusCode::TEMPORARY_REDIRECT, [("Location", "/push/ok")]).into_response(),
            "slow" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                StatusCode::CREATED.into_response()
            }
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }

    async fn start() -> (StandIn, Log, WebPush) {
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(push_service).with_state(log.clone());
        let server = StandIn::start(app).await;
        let wp = WebPush::with_builder(stand_in::client_builder(Duration::from_secs(5))).unwrap();
        (server, log, wp)
    }

    #[tokio::test]
    async fn posts_the_raw_sealed_payload_with_rfc8030_headers() {
        let (server, log, wp) = start().await;
        let sealed: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let endpoint = format!("{}/push/AbC123/ok", server.url());
        wp.send(&endpoint, &sealed).await.unwrap();
        // A content-free wake-up is an empty body.
        wp.send(&format!("{}/push/x/accepted", server.url()), &[])
            .await
            .unwrap();

        let seen = log.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        let first = &seen[0];
        assert_eq!(first.method, Method::POST);
        assert_eq!(first.path, "/push/AbC123/ok");
        assert_eq!(first.headers["ttl"], HeaderValue::from_static("86400"));
        assert_eq!(first.headers["urgency"], HeaderValue::from_static("high"));
        assert_eq!(
            first.headers["content-type"],
            HeaderValue::from_static("application/octet-stream")
        );
        assert!(first.headers.get("content-encoding").is_none());
        assert_eq!(first.body.as_ref(), sealed.as_slice());
        assert!(seen[1].body.is_empty());

        drop(wp);
        server.stop().await;
    }

    #[tokio::test]
    async fn maps_push_service_answers() {
        let (server, log, wp) = start().await;
        let send = |last: &str| {
            let endpoint = format!("{}/push/dev/{last}", server.url());
            let wp = wp.clone();
            async move { wp.send(&endpoint, b"sealed").await }
        };
        assert!(matches!(send("gone404").await, Err(PushError::Gone)));
        assert!(matches!(send("gone410").await, Err(PushError::Gone)));
        assert!(matches!(
            send("busy").await,
            Err(PushError::Retry {
                after_secs: Some(42)
            })
        ));
        match send("later").await {
            Err(PushError::Retry {
                after_secs: Some(s),
            }) => assert!((590..=600).contains(&s)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            send("broken").await,
            Err(PushError::Retry { after_secs: None })
        ));
        assert!(matches!(send("big").await, Err(PushError::Rejected)));
        assert!(matches!(send("bad").await, Err(PushError::Rejected)));
        // The redirect is refused, not followed: the stand-in sees exactly one request for it.
        let before = log.lock().unwrap().len();
        assert!(matches!(send("moved").await, Err(PushError::Rejected)));
        assert_eq!(log.lock().unwrap().len(), before + 1);

        drop(wp);
        server.stop().await;
    }

    #[tokio::test]
    async fn refuses_non_http_endpoints_without_connecting() {
        let (server, log, wp) = start().await;
        for endpoint in [
            "ftp://127.0.0.1/push".to_owned(),
            "file:///etc/passwd".to_owned(),
            "/relative/path".to_owned(),
            "data:text/plain,hi".to_owned(),
            format!("http://user:pw@{}/push/dev/ok", server.addr),
            format!("http://localhost:1@{}/push/dev/ok", server.addr),
            "http://push.example.org/push/dev/ok".to_owned(),
            String::new(),
        ] {
            assert!(
                matches!(wp.send(&endpoint, b"x").await, Err(PushError::Rejected)),
                "{endpoint}"
            );
        }
        assert!(log.lock().unwrap().is_empty());
        drop(wp);
        server.stop().await;
    }

    #[tokio::test]
    async fn unreachable_and_slow_services_are_network_errors() {
        let closed = stand_in::closed_port().await;
        let wp = WebPush::with_builder(stand_in::client_builder(Duration::from_secs(5))).unwrap();
        assert!(matches!(
            wp.send(&format!("http://{closed}/push/dev/ok"), b"x").await,
            Err(PushError::Network)
        ));

        let (server, _log, _) = start().await;
        let impatient =
            WebPush::with_builder(stand_in::client_builder(Duration::from_millis(300))).unwrap();
        assert!(matches!(
            impatient
                .send(&format!("{}/push/dev/slow", server.url()), b"x")
                .await,
            Err(PushError::Network)
        ));
        drop(impatient);
        server.stop().await;
    }
}
