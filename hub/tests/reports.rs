//! Sealed reports: idempotency, dispatcher-signed listing (and who is refused), size limits,
//! delivery marks and retention.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Fixture, client, error_code};
use reqwest::StatusCode;
use silbato_core::crypto::SigningKey;
use silbato_core::protocol::{
    HEADER_IDEMPOTENCY, MAX_REPORT_BYTES, ReportReceipt, ReportsPage, idempotency_key, open_report,
    sign_request, unb64,
};
use silbato_core::vault::{Activity, Agency, Confidence, Sighting};
use silbato_testkit::ReportBuilder;

fn post_report(base: &str, key: Option<&str>, body: Vec<u8>) -> reqwest::blocking::Response {
    let mut req = client()
        .post(format!("{base}/v1/reports"))
        .header("content-type", "application/octet-stream")
        .body(body);
    if let Some(k) = key {
        req = req.header(HEADER_IDEMPOTENCY, k);
    }
    req.send().unwrap()
}

fn list(
    base: &str,
    path_and_query: &str,
    key: &SigningKey,
    at: DateTime<Utc>,
) -> reqwest::blocking::Response {
    let mut req = client().get(format!("{base}{path_and_query}"));
    let host = base.trim_start_matches("http://");
    for (name, value) in sign_request(key, "GET", host, path_and_query, b"", at).unwrap() {
        req = req.header(name, value);
    }
    req.send().unwrap()
}

/// A report of `chi` sealed to dispatcher d1 alone.
fn sealed_report(f: &Fixture, record: &str) -> Vec<u8> {
    ReportBuilder::new("chi")
        .record_id(record)
        .sighting(Sighting::new(
            Utc::now(),
            Activity::Raid,
            Agency::Ice,
            Confidence::Observed,
        ))
        .now(Utc::now())
        .seal(&[f.net.seal.public_key()])
        .unwrap()
}

#[test]
fn reports_are_idempotent_and_only_dispatchers_list_them() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();

    let sealed = sealed_report(&f, "r1");
    let key = idempotency_key(&sealed);
    let resp = post_report(&base, Some(&key), sealed.clone());
    assert_eq!(resp.status(), StatusCode::CREATED);
    let first: ReportReceipt = resp.json().unwrap();
    assert!(!first.duplicate);

    // A retry: the same key and body.
    let resp = post_report(&base, Some(&key), sealed.clone());
    assert_eq!(resp.status(), StatusCode::OK);
    let again: ReportReceipt = resp.json().unwrap();
    assert_eq!(
        again,
        ReportReceipt {
            id: first.id.clone(),
            duplicate: true
        }
    );

    // The same key with another body.
    let (status, code) = error_code(post_report(&base, Some(&key), sealed_report(&f, "r2")));
    assert_eq!((status, code.as_str()), (409, "conflict"));

    // Keys: missing, empty, too long, bad characters.
    let long = "k".repeat(65);
    for k in [
        None,
        Some(""),
        Some(long.as_str()),
        Some("a b"),
        Some("a/b"),
    ] {
        let (status, code) = error_code(post_report(&base, k, sealed.clone()));
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{k:?}");
    }
    // An empty report, and one over the limit.
    assert_eq!(
        error_code(post_report(&base, Some("empty"), Vec::new())).0,
        400
    );
    let (status, code) = error_code(post_report(
        &base,
        Some("big"),
        vec![7u8; MAX_REPORT_BYTES + 1],
    ));
    assert_eq!((status, code.as_str()), (413, "too_large"));
    // A sealed-report header for one recipient, then bytes up to the limit.
    let mut just_fits = vec![2u8, 1];
    just_fits.resize(MAX_REPORT_BYTES, 7);
    assert_eq!(
        post_report(&base, Some("just-fits"), just_fits).status(),
        StatusCode::CREATED
    );

    // Nobody but a current dispatcher lists them.
    let pq = "/v1/reports?after=0&limit=10";
    let (status, code) = error_code(client().get(format!("{base}{pq}")).send().unwrap());
    assert_eq!((status, code.as_str()), (401, "unauthorized"), "unsigned");
    assert_eq!(
        error_code(list(&base, pq, &f.net.stranger, Utc::now())).0,
        401,
        "stranger"
    );
    assert_eq!(
        error_code(list(&base, pq, &f.net.root, Utc::now())).0,
        401,
        "a root key is not a dispatcher"
    );
    assert_eq!(
        error_code(list(&base, pq, &f.net.retired, Utc::now())).0,
        401,
        "retired dispatcher"
    );
    assert_eq!(
        error_code(list(
            &base,
            pq,
            &f.net.d1,
            Utc::now() - Duration::minutes(10)
        ))
        .0,
        401,
        "stale date"
    );
    assert_eq!(
        error_code(list(
            &base,
            pq,
            &f.net.d1,
            Utc::now() + Duration::minutes(10)
        ))
        .0,
        401,
        "future date"
    );
    // Signed for another query than the one sent.
    let mut req = client().get(format!("{base}/v1/reports?after=0&limit=11"));
    let host = base.trim_start_matches("http://");
    for (name, value) in sign_request(&f.net.d1, "GET", host, pq, b"", Utc::now()).unwrap() {
        req = req.header(name, value);
    }
    assert_eq!(error_code(req.send().unwrap()).0, 401, "query not covered");

    // A dispatcher lists them; the hub only ever had ciphertext, and the dispatcher opens it.
    let resp = list(&base, pq, &f.net.d2, Utc::now());
    assert_eq!(resp.status(), StatusCode::OK);
    let page: ReportsPage = resp.json().unwrap();
    assert_eq!(page.reports.len(), 2);
    assert!(!page.more);
    assert_eq!(page.reports[0].id, first.id);
    let bytes = unb64(&page.reports[0].sealed).unwrap();
    assert_eq!(bytes, sealed);
    assert_eq!(open_report(&bytes, &f.net.seal).unwrap().record_id, "r1");
    assert!(
        (Utc::now() - page.reports[0].received_at)
            .num_seconds()
            .abs()
            < 60
    );

    // Paging one at a time.
    let p1: ReportsPage = list(&base, "/v1/reports?limit=1", &f.net.d1, Utc::now())
        .json()
        .unwrap();
    assert_eq!((p1.reports.len(), p1.more), (1, true));
    let p2: ReportsPage = list(
        &base,
        &format!("/v1/reports?after={}&limit=1", p1.next),
        &f.net.d1,
        Utc::now(),
    )
    .json()
    .unwrap();
    assert_eq!((p2.reports.len(), p2.more), (1, false));
    assert_ne!(p1.reports[0].id, p2.reports[0].id);
    let p3: ReportsPage = list(
        &base,
        &format!("/v1/reports?after={}", p2.next),
        &f.net.d1,
        Utc::now(),
    )
    .json()
    .unwrap();
    assert!(p3.reports.is_empty());
    assert_eq!(p3.next, p2.next);
    assert_eq!(
        error_code(list(&base, "/v1/reports?after=zz", &f.net.d1, Utc::now())).0,
        400
    );
    hub.shutdown();
}

fn delivered_count(db: &std::path::Path) -> (i64, i64) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(
        "SELECT count(*), count(delivered_at) FROM reports",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

fn backdate_deliveries(db: &std::path::Path, days: i64) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    c.execute(
        "UPDATE reports SET delivered_at = delivered_at - ?1 WHERE delivered_at IS NOT NULL",
        [days * 86_400],
    )
    .unwrap();
}

#[test]
fn delivered_reports_are_deleted_after_the_retention_period() {
    let mut f = Fixture::new();
    f.config.retention.delivered_reports_days = 30;
    let db = f.config.data_dir.join("hub.db");
    let hub = f.start();
    let base = hub.url();
    for i in 0..3 {
        let s = sealed_report(&f, &format!("r{i}"));
        assert_eq!(
            post_report(&base, Some(&format!("key-{i}")), s).status(),
            201
        );
    }
    // A dispatcher fetches two of the three.
    let page: ReportsPage = list(&base, "/v1/reports?limit=2", &f.net.d1, Utc::now())
        .json()
        .unwrap();
    assert_eq!(page.reports.len(), 2);
    assert_eq!(delivered_count(&db), (3, 2));

    // 29 days later: kept. A second fetch does not restart the clock.
    backdate_deliveries(&db, 29);
    let again: ReportsPage = list(&base, "/v1/reports?limit=2", &f.net.d1, Utc::now())
        .json()
        .unwrap();
    assert_eq!(again.reports.len(), 2);
    assert_eq!(hub.hub().run_retention().unwrap().reports, 0);
    assert_eq!(delivered_count(&db), (3, 2));

    // 31 days: the two delivered ones go; the undelivered one stays.
    backdate_deliveries(&db, 2);
    assert_eq!(hub.hub().run_retention().unwrap().reports, 2);
    assert_eq!(delivered_count(&db), (1, 0));
    hub.shutdown();

    // The pass at start: deliver the last one, age it while the hub is down, start again.
    let hub = f.start();
    let page: ReportsPage = list(&hub.url(), "/v1/reports", &f.net.d1, Utc::now())
        .json()
        .unwrap();
    assert_eq!(page.reports.len(), 1);
    hub.shutdown();
    backdate_deliveries(&db, 31);
    let hub = f.start();
    assert_eq!(delivered_count(&db), (0, 0));
    hub.shutdown();
}
