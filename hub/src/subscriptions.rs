//! The push subscription routes (`docs/protocol.md`, "Push subscriptions"): signed by the
//! device's subscription key, confirmed by echoing the challenge of a confirmation push, capped per
//! client.
//!
//! Owns: checking the signature headers, the per-client tag (a keyed hash of the client's address
//! under a secret that lives in memory only and changes at every start, so `hub.db` never holds an
//! address or anything that can be turned back into one), the challenge, and mapping the
//! database's verdict to an answer. Must never: log or put into an answer an endpoint, a key, a
//! challenge or a client address.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use silbato_proto::crypto::{random_fill, sha256};
use silbato_proto::protocol::{HEADER_DATE, HEADER_KEY, HEADER_SIGNATURE, PushSubscription, unb64};
use silbato_proto::push::{
    CHALLENGE_LEN, PushConfirm, PushUnsubscribe, SignedPushRequest, verify_push_request,
};

use crate::Hub;
use crate::db::{self, SubscribeOutcome, SubscribeRequest, Subscriber, UnsubscribeOutcome};
use crate::error::ApiError;
use crate::fanout;
use crate::handler::{blocking, read_body};
use crate::listener::Peer;
use crate::ratelimit::client_key;

/// Largest push subscription body.
const MAX_SUBSCRIPTION_BYTES: usize = 16 * 1024;
pub const SUBSCRIPTIONS_PATH: &str = "/v1/push/subscriptions";
pub const CONFIRM_PATH: &str = "/v1/push/confirm";

/// SHA-256 of a per-process random secret and the client key. Without a peer address (a router
/// served without connect info) every request shares one tag.
fn client_tag(peer: Option<IpAddr>) -> Result<[u8; 32], ApiError> {
    static SECRET: OnceLock<[u8; 32]> = OnceLock::new();
    let secret = match SECRET.get() {
        Some(s) => s,
        None => {
            let mut s = [0u8; 32];
            random_fill(&mut s).map_err(|_| ApiError::unavailable())?;
            SECRET.get_or_init(|| s)
        }
    };
    let mut input = secret.to_vec();
    match peer.map(client_key) {
        Some(IpAddr::V4(v4)) => input.extend_from_slice(&v4.octets()),
        Some(IpAddr::V6(v6)) => input.extend_from_slice(&v6.octets()),
        None => {}
    }
    Ok(sha256(&input))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The signature check; its failure is a `401` that says which rule failed (never a value).
fn signed(
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<SignedPushRequest, ApiError> {
    verify_push_request(
        header(headers, HEADER_KEY),
        header(headers, HEADER_DATE),
        header(headers, HEADER_SIGNATURE),
        method,
        path,
        body,
        now,
    )
    .map_err(|e| ApiError {
        message: e.to_string(),
        ..ApiError::unauthorized()
    })
}

fn forbidden() -> ApiError {
    ApiError {
        status: StatusCode::FORBIDDEN,
        message: "this subscription is registered with another subscription key".to_owned(),
        ..ApiError::unauthorized()
    }
}

fn stale() -> ApiError {
    ApiError::conflict("a newer signed request for this subscription was already accepted")
}

async fn body_of(hub: &Hub, req: Request) -> Result<(HeaderMap, Option<IpAddr>, Bytes), ApiError> {
    let peer = req.extensions().get::<ConnectInfo<Peer>>().map(|c| c.0.0);
    let (parts, body) = req.into_parts();
    let limit = MAX_SUBSCRIPTION_BYTES.min(hub.inner.config.limits.max_body_bytes);
    let bytes = read_body(&parts.headers, body, limit).await?;
    Ok((parts.headers, peer, bytes))
}

/// `POST /v1/push/subscriptions`: registers or changes a subscription (see [`db::subscribe`]);
/// `201` or `202` when a confirmation push is on its way, `200` when a confirmed subscription's
/// regions changed.
pub async fn post_subscription(State(hub): State<Hub>, req: Request) -> Result<Response, ApiError> {
    let (headers, peer, body) = body_of(&hub, req).await?;
    let now = Utc::now();
    let signed = signed(&headers, "POST", SUBSCRIPTIONS_PATH, &body, now)?;
    // serde's message can quote the input: say only what was expected.
    let sub: PushSubscription = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body is not a push subscription"))?;
    sub.validate()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let provider = db::provider_name(sub.provider);
    if hub.inner.gateways.for_provider(provider).is_none() {
        return Err(ApiError::bad_request(format!(
            "this hub does not deliver through {provider}"
        )));
    }
    // No server-side request forgery: a Web Push endpoint must resolve to a public address unless
    // the operator allowed private ones (`crate::egress`).
    if sub.provider == silbato_proto::protocol::PushProvider::Webpush {
        let url = silbato_proto::protocol::checked_url(&sub.endpoint)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        crate::egress::check_endpoint(&url, hub.allow_private_endpoints())
            .await
            .map_err(|e| ApiError::bad_request(e.to_string()).with_reason("endpoint_address"))?;
    }
    let mut regions: Vec<String> = Vec::with_capacity(sub.regions.len());
    for r in &sub.regions {
        if !regions.contains(r) {
            regions.push(r.clone());
        }
    }
    let tag = client_tag(peer)?;
    let mut challenge = [0u8; CHALLENGE_LEN];
    random_fill(&mut challenge).map_err(|_| ApiError::unavailable())?;
    let cfg = &hub.inner.config.push;
    let cap = cfg.max_subscriptions_per_client.max(1);
    let expires = now
        + chrono::Duration::seconds(
            i64::try_from(cfg.confirm_within_secs.max(60)).unwrap_or(86_400),
        );
    let h = hub.clone();
    let s = sub.clone();
    let outcome = blocking(move || {
        let hash = sha256(&challenge);
        Ok(db::subscribe(
            &h.inner.store,
            &SubscribeRequest {
                provider: s.provider,
                endpoint: &s.endpoint,
                push_key: &s.push_key,
                sign_key: &signed.key,
                signed_at: signed.date,
                regions: &regions,
                client_tag: &tag,
                cap,
                challenge_sha256: &hash,
                challenge_expires: expires,
            },
            now,
        )?)
    })
    .await?;
    match outcome {
        SubscribeOutcome::Pending { created } => {
            hub.inner.fanout.begin_confirmation();
            tokio::spawn(fanout::confirm(
                hub.inner.store.clone(),
                hub.inner.gateways.clone(),
                Arc::clone(&hub.inner.fanout),
                Subscriber {
                    provider: provider.to_owned(),
                    endpoint: sub.endpoint,
                    push_key: sub.push_key,
                },
                challenge,
                hub.allow_private_endpoints(),
            ));
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::ACCEPTED
            };
            Ok((
                status,
                axum::Json(serde_json::json!({ "confirmed": false })),
            )
                .into_response())
        }
        SubscribeOutcome::Updated => Ok((
            StatusCode::OK,
            axum::Json(serde_json::json!({ "confirmed": true })),
        )
            .into_response()),
        SubscribeOutcome::Forbidden => Err(forbidden()),
        SubscribeOutcome::Stale => Err(stale()),
        SubscribeOutcome::OverCap => Err(ApiError {
            retry_after: None,
            retryable: false,
            message: "this client already holds as many push subscriptions as the hub allows"
                .to_owned(),
            ..ApiError::rate_limited(0)
        }),
    }
}

/// `POST /v1/push/confirm`: the device echoes its confirmation push's challenge; `204`, or `404`
/// whatever did not match.
pub async fn post_confirm(State(hub): State<Hub>, req: Request) -> Result<Response, ApiError> {
    let (headers, _, body) = body_of(&hub, req).await?;
    let now = Utc::now();
    let signed = signed(&headers, "POST", CONFIRM_PATH, &body, now)?;
    let c: PushConfirm = serde_json::from_slice(&body).map_err(|_| {
        ApiError::bad_request("the body is {\"endpoint\": ..., \"challenge\": ...}")
    })?;
    let challenge: [u8; CHALLENGE_LEN] = unb64(&c.challenge)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::bad_request("a challenge is 32 bytes, base64"))?;
    let h = hub.clone();
    let confirmed = blocking(move || {
        Ok(db::confirm_subscription(
            &h.inner.store,
            &c.endpoint,
            &signed.key,
            &sha256(&challenge),
            now,
        )?)
    })
    .await?;
    if confirmed {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(
            "no pending subscription matches this challenge",
        ))
    }
}

/// `DELETE /v1/push/subscriptions`: signed by the subscription's key; `204` whether or not it was
/// there.
pub async fn delete_subscription(
    State(hub): State<Hub>,
    req: Request,
) -> Result<Response, ApiError> {
    let (headers, _, body) = body_of(&hub, req).await?;
    let now = Utc::now();
    let signed = signed(&headers, "DELETE", SUBSCRIPTIONS_PATH, &body, now)?;
    let un: PushUnsubscribe = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body is {\"endpoint\": ...}"))?;
    if un.endpoint.is_empty() || un.endpoint.len() > 2048 {
        return Err(ApiError::bad_request(
            "a push endpoint is 1 to 2048 characters",
        ));
    }
    let h = hub.clone();
    let outcome = blocking(move || {
        Ok(db::unsubscribe(
            &h.inner.store,
            &un.endpoint,
            &signed.key,
            signed.date,
        )?)
    })
    .await?;
    match outcome {
        UnsubscribeOutcome::Deleted | UnsubscribeOutcome::NotThere => {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        UnsubscribeOutcome::Forbidden => Err(forbidden()),
        UnsubscribeOutcome::Stale => Err(stale()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_tags_are_keyed_and_group_ipv6_by_slash_64() {
        let a = client_tag(Some("192.0.2.7".parse().unwrap())).unwrap();
        assert_ne!(a, client_tag(Some("192.0.2.8".parse().unwrap())).unwrap());
        assert_eq!(
            client_tag(Some("2001:db8:1:2::1".parse().unwrap())).unwrap(),
            client_tag(Some("2001:db8:1:2::ffff".parse().unwrap())).unwrap()
        );
        // Not a bare hash of the address: the secret is in it.
        assert_ne!(a, sha256(&[192, 0, 2, 7]));
    }
}
