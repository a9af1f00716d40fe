//! The HTTP API, protocol v1 (`silbato_proto::protocol`): handlers, body and query parsing, the
//! rate-limit and access-log middleware.
//!
//! Every error is an `ErrorBody`. The access log has the method, the route template, the status
//! and the latency — never a body, a query string, an idempotency key, an endpoint or an address.

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use silbato_proto::alert::verify_alert_envelope;
use silbato_proto::crypto::{random_id, sha256_hex};
use silbato_proto::protocol::{
    AlertPosted, AlertsPage, HEADER_DATE, HEADER_IDEMPOTENCY, HEADER_KEY, HEADER_NONCE,
    HEADER_SIGNATURE, MAX_PAGE_LIMIT, MAX_REPORT_BYTES, REQUEST_SKEW, ReportReceipt, ReportsPage,
    SealedReportItem, SignedHeaders, b64, check_sealed_report, rejection_reason, valid_region,
    verify_request,
};

use crate::Hub;
use crate::db::{self, AlertInsert, NewAlert, ReportInsert};
use crate::documents::Doc;
use crate::error::ApiError;
use crate::handler::{blocking, read_body};
use crate::listener::Peer;
use crate::ratelimit::NonceCheck;
use crate::subscriptions;
use crate::{coverage, fanout};

/// Default page size for alerts and reports.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// Most region codes one alerts query may name.
pub const MAX_QUERY_REGIONS: usize = 32;

pub fn router(hub: Hub) -> Router {
    Router::new()
        .route("/v1/network", get(get_network))
        .route("/v1/packs/{id}", get(get_pack))
        .route("/v1/watchlist", get(get_watchlist))
        .route("/v1/alerts", get(get_alerts).post(post_alert))
        .route("/v1/reports", get(get_reports).post(post_report))
        .route(
            "/v1/push/subscriptions",
            axum::routing::post(subscriptions::post_subscription)
                .delete(subscriptions::delete_subscription),
        )
        .route(
            "/v1/push/confirm",
            axum::routing::post(subscriptions::post_confirm),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(hub.clone(), request_timeout))
        .layer(middleware::from_fn_with_state(hub.clone(), rate_limit))
        .layer(middleware::from_fn(access_log))
        .with_state(hub)
}

// ---- middleware ----

async fn rate_limit(State(hub): State<Hub>, req: Request, next: Next) -> Response {
    let peer = peer_of(req.extensions());
    if let Some(ip) = peer
        && let Err(wait) = hub.inner.limiter.check(ip, Instant::now())
    {
        return ApiError::rate_limited(wait).into_response();
    }
    next.run(req).await
}

/// The whole-request timeout (`[limits] request_timeout_secs`): reading the body and handling it.
async fn request_timeout(State(hub): State<Hub>, req: Request, next: Next) -> Response {
    let limit = std::time::Duration::from_secs(hub.inner.config.limits.request_timeout_secs);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::timeout().into_response(),
    }
}

fn peer_of(req_extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    req_extensions.get::<ConnectInfo<Peer>>().map(|c| c.0.0)
}

async fn access_log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "-".to_owned(), |m| m.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such resource")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

// ---- helpers ----

// Both queries are read by axum's `Query` (serde_urlencoded) as the decoded pairs, in order,
// because `region` repeats and serde_urlencoded has no repeated-key fields. A repeated `after` or
// `limit` takes the last value; unknown keys are ignored. The paging values stay text so each
// gets its own error message.

/// `?after=&limit=` of `GET /v1/reports`.
#[derive(Debug, Default, Deserialize)]
#[serde(from = "Vec<(String, String)>")]
struct PageQuery {
    after: Option<String>,
    limit: Option<String>,
}

impl PageQuery {
    /// Keeps `after` and `limit`; gives any other pair back.
    fn take(&mut self, key: String, value: String) -> Option<(String, String)> {
        match key.as_str() {
            "after" => self.after = Some(value),
            "limit" => self.limit = Some(value),
            _ => return Some((key, value)),
        }
        None
    }
}

impl From<Vec<(String, String)>> for PageQuery {
    fn from(pairs: Vec<(String, String)>) -> Self {
        let mut page = PageQuery::default();
        for (k, v) in pairs {
            page.take(k, v);
        }
        page
    }
}

/// `?after=&limit=&region=...` of `GET /v1/alerts`.
#[derive(Debug, Default, Deserialize)]
#[serde(from = "Vec<(String, String)>")]
struct AlertsQuery {
    page: PageQuery,
    regions: Vec<String>,
}

impl From<Vec<(String, String)>> for AlertsQuery {
    fn from(pairs: Vec<(String, String)>) -> Self {
        let mut q = AlertsQuery::default();
        for (k, v) in pairs {
            match q.page.take(k, v) {
                Some((k, v)) if k == "region" => q.regions.push(v),
                _ => {}
            }
        }
        q
    }
}

/// The query a handler asked for, or the same 400 as any other bad query. axum's rejection text
/// (which can quote the query) is dropped.
fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|_| ApiError::bad_request("the query string is malformed"))
}

/// Cursor and page size from `after` and `limit`.
fn paging(q: &PageQuery) -> Result<(i64, usize), ApiError> {
    let after = match q.after.as_deref() {
        None | Some("") => 0,
        Some(v) => v
            .parse::<u64>()
            .ok()
            .and_then(|n| i64::try_from(n).ok())
            .ok_or_else(|| ApiError::bad_request("after must be a cursor from a previous page"))?,
    };
    let limit = match q.limit.as_deref() {
        None => DEFAULT_PAGE_LIMIT,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::bad_request("limit must be a positive number"))?
            .min(MAX_PAGE_LIMIT),
    };
    Ok((after, usize::try_from(limit).unwrap_or(100)))
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

fn serve_doc(headers: &HeaderMap, doc: Doc) -> Response {
    let etag = HeaderValue::from_str(&doc.etag).ok();
    let mut response = if etag_matches(headers, &doc.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = doc.bytes.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    let h = response.headers_mut();
    if let Some(etag) = etag {
        h.insert(header::ETAG, etag);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn new_report_id() -> Result<String, ApiError> {
    random_id().map_err(|_| ApiError::unavailable())
}

fn valid_idempotency_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

// ---- documents ----

async fn get_network(State(hub): State<Hub>, headers: HeaderMap) -> Result<Response, ApiError> {
    let doc = blocking(move || Ok(hub.inner.docs.profile().doc)).await?;
    Ok(serve_doc(&headers, doc))
}

async fn get_pack(
    State(hub): State<Hub>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let doc = blocking(move || Ok(hub.inner.docs.pack(&id))).await?;
    let doc = doc.ok_or_else(|| ApiError::not_found("no such pack"))?;
    Ok(serve_doc(&headers, doc))
}

async fn get_watchlist(State(hub): State<Hub>, headers: HeaderMap) -> Result<Response, ApiError> {
    let doc = blocking(move || Ok(hub.inner.docs.watchlist())).await?;
    let doc = doc.ok_or_else(|| ApiError::not_found("this hub publishes no watch-list"))?;
    Ok(serve_doc(&headers, doc))
}

// ---- alerts ----

async fn get_alerts(
    State(hub): State<Hub>,
    q: Result<Query<AlertsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let (after, limit) = paging(&q.page)?;
    let mut regions: Vec<String> = Vec::new();
    for r in q.regions {
        if !valid_region(&r) {
            return Err(ApiError::bad_request("a region is a code like US-IL-CHI"));
        }
        if !regions.contains(&r) {
            regions.push(r);
        }
    }
    if regions.len() > MAX_QUERY_REGIONS {
        return Err(ApiError::bad_request("at most 32 regions per query"));
    }
    let rows = blocking(move || {
        Ok(db::alerts_page(
            &hub.inner.store,
            after,
            &regions,
            limit,
            Utc::now(),
        )?)
    })
    .await?;
    Ok(axum::Json(AlertsPage {
        alerts: rows.envelopes.iter().map(|e| b64(e)).collect(),
        next: rows.next.to_string(),
        more: rows.more,
    })
    .into_response())
}

async fn post_alert(
    State(hub): State<Hub>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_body(&headers, body, hub.inner.config.limits.max_body_bytes).await?;
    let h = hub.clone();
    let (posted, created) = blocking(move || {
        let profile = h.inner.docs.profile();
        let now = Utc::now();
        let verified = verify_alert_envelope(std::slice::from_ref(&profile.profile), &body, now)
            .map_err(|r| {
                ApiError::rejected(format!("alert refused: {r}")).with_reason(rejection_reason(&r))
            })?;
        let alert = &verified.alert;
        if !coverage::covers(&profile.profile, &alert.area) {
            return Err(ApiError::rejected(
                "alert refused: its regions or area lie outside the network's regions",
            )
            .with_reason("outside_regions"));
        }
        let payload_sha256 = sha256_hex(&verified.payload);
        let inserted = db::insert_alert(
            &h.inner.store,
            &NewAlert {
                id: &alert.id,
                payload_sha256: &payload_sha256,
                envelope: &body,
                regions: &alert.area.regions,
                expires: alert.expires,
                references: &alert.references,
            },
            now,
        )?;
        match inserted {
            AlertInsert::Conflict => Err(ApiError::conflict(
                "an alert with this id but different contents is already here",
            )),
            AlertInsert::Duplicate => Ok((
                AlertPosted {
                    id: alert.id.clone(),
                    duplicate: true,
                    fanout: 0,
                },
                None,
            )),
            AlertInsert::New { .. } => {
                let subs = db::matching_subscriptions(&h.inner.store, &alert.area.regions)?;
                let n = subs.len() as u64;
                if n > 0 {
                    // Registered before the answer goes out, so waiting for idle includes it.
                    h.inner.fanout.begin(n);
                }
                Ok((
                    AlertPosted {
                        id: alert.id.clone(),
                        duplicate: false,
                        fanout: n,
                    },
                    Some((body, subs)),
                ))
            }
        }
    })
    .await?;
    let status = match created {
        Some((envelope, subs)) => {
            if !subs.is_empty() {
                tokio::spawn(fanout::run(
                    hub.inner.store.clone(),
                    hub.inner.gateways.clone(),
                    hub.inner.fanout.clone(),
                    std::sync::Arc::new(envelope.to_vec()),
                    subs,
                    hub.allow_private_endpoints(),
                ));
            }
            StatusCode::CREATED
        }
        None => StatusCode::OK,
    };
    Ok((status, axum::Json(posted)).into_response())
}

// ---- reports ----

async fn post_report(
    State(hub): State<Hub>,
    peer: Option<axum::Extension<ConnectInfo<Peer>>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key = header_str(&headers, HEADER_IDEMPOTENCY)
        .filter(|k| valid_idempotency_key(k))
        .ok_or_else(|| {
            ApiError::bad_request(
                "an Idempotency-Key header of 1 to 64 letters, digits, _ or - is required",
            )
        })?
        .to_owned();
    let limit = MAX_REPORT_BYTES.min(hub.inner.config.limits.max_body_bytes);
    let sealed = read_body(&headers, body, limit).await?;
    if sealed.is_empty() {
        return Err(ApiError::bad_request("the report is empty"));
    }
    check_sealed_report(&sealed).map_err(|_| {
        ApiError::bad_request("the body is not a sealed report").with_reason("not_sealed")
    })?;
    // The client's daily allowance, in memory by the rate limiter's client key; given back if the
    // report is not stored after all.
    let size = u64::try_from(sealed.len()).unwrap_or(u64::MAX);
    let client = peer.map(|p| (p.0).0.0);
    if let Some(ip) = client
        && !hub.inner.report_quota.take(ip, size, Instant::now())
    {
        return Err(ApiError::quota(3600));
    }
    let h = hub.clone();
    let outcome = blocking(move || {
        let id = new_report_id()?;
        Ok(db::insert_report(
            &h.inner.store,
            &id,
            &key,
            &sealed,
            Utc::now(),
            h.inner.config.limits.max_stored_report_bytes,
        )?)
    })
    .await;
    if let Some(ip) = client
        && !matches!(outcome, Ok(ReportInsert::New { .. }))
    {
        hub.inner.report_quota.give_back(ip, size);
    }
    let outcome = outcome?;
    match outcome {
        ReportInsert::New { id } => Ok((
            StatusCode::CREATED,
            axum::Json(ReportReceipt {
                id,
                duplicate: false,
            }),
        )
            .into_response()),
        ReportInsert::Duplicate { id } => Ok((
            StatusCode::OK,
            axum::Json(ReportReceipt {
                id,
                duplicate: true,
            }),
        )
            .into_response()),
        ReportInsert::Conflict => Err(ApiError::conflict(
            "this idempotency key was used for a different report",
        )),
        ReportInsert::OverQuota => Err(ApiError::quota(3600)),
    }
}

async fn get_reports(
    State(hub): State<Hub>,
    uri: Uri,
    q: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let profile = hub.inner.docs.profile().profile;
    let path_and_query = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    // The host the client addressed: HTTP/1.1's Host header (or an absolute URI's authority).
    let host = header_str(&headers, header::HOST.as_str())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .unwrap_or_default();
    let verified = verify_request(
        SignedHeaders {
            key: header_str(&headers, HEADER_KEY),
            date: header_str(&headers, HEADER_DATE),
            nonce: header_str(&headers, HEADER_NONCE),
            signature: header_str(&headers, HEADER_SIGNATURE),
        },
        "GET",
        host,
        path_and_query,
        b"",
        now,
        |k| {
            profile
                .dispatcher(k)
                .is_some_and(|d| d.valid_from <= now && now < d.valid_until)
        },
    )
    .map_err(|e| match e {
        silbato_proto::Error::Protocol(silbato_proto::protocol::ProtocolError::RequestNonce) => {
            ApiError::unauthorized().with_reason("bad_nonce")
        }
        _ => ApiError::unauthorized(),
    })?;
    // Remembered until its date is out of the window on the far side; a replay is refused.
    let forget_after = (verified.date + REQUEST_SKEW).timestamp() + 1;
    match hub
        .inner
        .nonces
        .check(&verified.nonce, forget_after, now.timestamp())
    {
        NonceCheck::Fresh => {}
        NonceCheck::Replayed => {
            return Err(ApiError::unauthorized().with_reason("replayed"));
        }
        NonceCheck::Full => return Err(ApiError::unavailable()),
    }
    let (after, limit) = paging(&query(q)?)?;
    let rows = blocking(move || Ok(db::reports_page(&hub.inner.store, after, limit, now)?)).await?;
    Ok(axum::Json(ReportsPage {
        reports: rows
            .reports
            .into_iter()
            .map(|r| SealedReportItem {
                id: r.id,
                received_at: r.received_at,
                sealed: b64(&r.sealed),
            })
            .collect(),
        next: rows.next.to_string(),
        more: rows.more,
    })
    .into_response())
}

// ---- push subscriptions: `crate::push::subscriptions` ----

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts_query(pq: &str) -> Result<AlertsQuery, ApiError> {
        let uri: Uri = pq.parse().unwrap();
        query(Query::try_from_uri(&uri))
    }

    fn page_query(pq: &str) -> Result<PageQuery, ApiError> {
        let uri: Uri = pq.parse().unwrap();
        query(Query::try_from_uri(&uri))
    }

    #[test]
    fn queries_decode_and_repeat() {
        let q = alerts_query("/v1/alerts?region=US-IL&region=US%2DCA&after=7&limit=9&x").unwrap();
        assert_eq!(q.regions, ["US-IL", "US-CA"]);
        assert_eq!(paging(&q.page).unwrap(), (7, 9));
        let q = alerts_query("/v1/alerts?region=a+b%20c&after=1&after=2").unwrap();
        assert_eq!(q.regions, ["a b c"]);
        assert_eq!(paging(&q.page).unwrap().0, 2);
        // Undecodable escapes stay literal and then fail their own check.
        let q = alerts_query("/v1/alerts?after=%zz").unwrap();
        assert!(paging(&q.page).is_err());
        assert_eq!(
            paging(&alerts_query("/v1/alerts").unwrap().page).unwrap(),
            (0, 100)
        );

        let p = page_query("/v1/reports?after=3&limit=100000&other=1").unwrap();
        assert_eq!(paging(&p).unwrap(), (3, MAX_PAGE_LIMIT as usize));
        assert_eq!(
            paging(&page_query("/v1/reports?after=").unwrap())
                .unwrap()
                .0,
            0
        );
        assert!(paging(&page_query("/v1/reports?after=x1").unwrap()).is_err());
        assert!(paging(&page_query("/v1/reports?after=-1").unwrap()).is_err());
        assert!(paging(&page_query("/v1/reports?limit=0").unwrap()).is_err());
        assert_eq!(
            paging(&page_query("/v1/reports").unwrap()).unwrap(),
            (0, 100)
        );
        // As before the extractor: a repeated field takes its last value.
        let p = page_query("/v1/reports?after=1&after=2&limit=3&limit=4").unwrap();
        assert_eq!(paging(&p).unwrap(), (2, 4));
    }

    #[test]
    fn report_ids_are_random_hex() {
        let a = new_report_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_report_id().unwrap());
    }

    #[test]
    fn etags_compare_weakly_in_lists() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(etag_matches(&h, "\"b\""));
        assert!(etag_matches(&h, "\"a\""));
        assert!(!etag_matches(&h, "\"c\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(etag_matches(&h, "\"c\""));
    }

    #[test]
    fn idempotency_keys() {
        assert!(valid_idempotency_key("abc_DEF-123"));
        assert!(!valid_idempotency_key(""));
        assert!(!valid_idempotency_key(&"a".repeat(65)));
        assert!(!valid_idempotency_key("a b"));
        assert!(!valid_idempotency_key("é"));
    }
}
