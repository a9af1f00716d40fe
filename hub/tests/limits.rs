//! Rate limits, body limits, and error bodies for unknown routes and methods.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Fixture, client, error_code};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use silbato_core::protocol::ErrorBody;

#[test]
fn clients_over_their_allowance_get_429_with_retry_after() {
    let mut f = Fixture::new();
    f.config.limits.requests_per_minute = 30;
    let hub = f.start();
    let base = hub.url();
    let c = client();
    for _ in 0..30 {
        assert_eq!(
            c.get(format!("{base}/v1/network")).send().unwrap().status(),
            StatusCode::OK
        );
    }
    let resp = c.get(format!("{base}/v1/alerts")).send().unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = resp.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let body: ErrorBody = resp.json().unwrap();
    assert_eq!(body.error, "rate_limited");
    assert!(body.retryable);
    // One token every 2 s at 30 a minute: after the wait, a request goes through.
    std::thread::sleep(std::time::Duration::from_secs(wait));
    assert_eq!(
        c.get(format!("{base}/v1/network")).send().unwrap().status(),
        StatusCode::OK
    );
    hub.shutdown();
}

#[test]
fn bodies_over_the_limit_get_413() {
    let mut f = Fixture::new();
    f.config.limits.max_body_bytes = 4096;
    let hub = f.start();
    let base = hub.url();
    let c = client();
    let resp = c
        .post(format!("{base}/v1/alerts"))
        .body(vec![b'{'; 4097])
        .send()
        .unwrap();
    let (status, code) = error_code(resp);
    assert_eq!((status, code.as_str()), (413, "too_large"));
    // Reports follow the smaller of the two limits.
    let resp = c
        .post(format!("{base}/v1/reports"))
        .header("idempotency-key", "k1")
        .body(vec![1u8; 5000])
        .send()
        .unwrap();
    assert_eq!(error_code(resp), (413, "too_large".to_owned()));
    // Far over the limit: refused without reading it all.
    let resp = c
        .post(format!("{base}/v1/alerts"))
        .body(vec![b' '; 4 << 20])
        .send();
    if let Ok(resp) = resp {
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    // A body that is not too large is still read (and rejected on its merits).
    let resp = c
        .post(format!("{base}/v1/alerts"))
        .body(vec![b'{'; 4096])
        .send()
        .unwrap();
    assert_eq!(error_code(resp), (422, "rejected".to_owned()));
    hub.shutdown();
}

#[test]
fn unknown_routes_and_methods_answer_with_error_bodies() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();
    let c = client();
    assert_eq!(
        error_code(c.get(format!("{base}/v2/network")).send().unwrap()),
        (404, "not_found".to_owned())
    );
    assert_eq!(error_code(c.get(format!("{base}/")).send().unwrap()).0, 404);
    assert_eq!(
        error_code(c.delete(format!("{base}/v1/alerts")).send().unwrap()).0,
        405
    );
    assert_eq!(
        error_code(c.post(format!("{base}/v1/network")).send().unwrap()).0,
        405
    );
    let (status, code) = error_code(
        c.get(format!("{base}/v1/push/subscriptions"))
            .send()
            .unwrap(),
    );
    assert_eq!((status, code.as_str()), (405, "bad_request"));
    hub.shutdown();
}
