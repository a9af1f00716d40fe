//! Issue 12, the hub's hardening: retractions outlive what they retract (1), slow clients cannot
//! starve the hub (15), no push endpoint on a private address (17), reports cannot fill the disk
//! (19), alerts only for the network's regions (20), signed requests cannot be replayed (21),
//! and the log names no endpoint or address at any level (24).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Fixture, alert, client};
use silbato_core::crypto::SigningKey;
use silbato_core::protocol::{
    AlertsPage, ErrorBody, HEADER_IDEMPOTENCY, idempotency_key, sign_request, unb64,
};
use silbato_core::vault::{Activity, Agency, Confidence, Sighting};
use silbato_testkit::{AlertBuilder, ReportBuilder};

fn error_body(resp: reqwest::blocking::Response) -> (u16, ErrorBody) {
    let status = resp.status().as_u16();
    (status, resp.json().unwrap())
}

fn alert_ids(base: &str) -> Vec<String> {
    let page: AlertsPage = client()
        .get(format!("{base}/v1/alerts?after=0"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    page.alerts
        .iter()
        .map(|b| {
            let bytes = unb64(b).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let payload = silbato_core::crypto::b64_decode(v["payload"].as_str().unwrap()).unwrap();
            let a: serde_json::Value = serde_json::from_slice(&payload).unwrap();
            a["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn post_alert(base: &str, envelope: Vec<u8>) -> reqwest::blocking::Response {
    client()
        .post(format!("{base}/v1/alerts"))
        .body(envelope)
        .send()
        .unwrap()
}

#[test]
fn h12_01_a_cancel_is_served_while_what_it_cancels_is_in_force() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();
    let original = AlertBuilder::new("raid-1")
        .now(Utc::now())
        .without_text("es")
        .regions(&["US-IL-CHI"])
        .expires_in(chrono::Duration::hours(2))
        .build();
    assert_eq!(post_alert(&base, f.net.sign(&original)).status(), 201);
    // The cancel itself expires in two seconds: before, the hub dropped it then, and a device
    // syncing later kept showing the raid as active.
    let cancel = AlertBuilder::new("raid-1-cancel")
        .now(Utc::now())
        .without_text("es")
        .regions(&["US-IL-CHI"])
        .cancel(&["raid-1"])
        .expires_in(chrono::Duration::seconds(2))
        .build();
    assert_eq!(post_alert(&base, f.net.sign(&cancel)).status(), 201);
    // An update whose original the hub never had is served only for its own lifetime.
    let orphan = AlertBuilder::new("orphan-update")
        .now(Utc::now())
        .without_text("es")
        .regions(&["US-IL-CHI"])
        .update(&["never-seen"])
        .expires_in(chrono::Duration::seconds(2))
        .build();
    assert_eq!(post_alert(&base, f.net.sign(&orphan)).status(), 201);
    std::thread::sleep(Duration::from_secs(3));
    let ids = alert_ids(&base);
    assert!(ids.contains(&"raid-1-cancel".to_owned()), "{ids:?}");
    assert!(ids.contains(&"raid-1".to_owned()), "{ids:?}");
    assert!(!ids.contains(&"orphan-update".to_owned()), "{ids:?}");
    // Retention keeps it too: it is not past its serving horizon.
    hub.hub().run_retention().unwrap();
    assert!(alert_ids(&base).contains(&"raid-1-cancel".to_owned()));
}

/// Opens `n` connections that send half a request line and then nothing.
fn stalled(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /v1/network HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect()
}

/// Whether the hub closed `s` (EOF or reset) within `within`.
fn closed(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn h12_15_stalled_connections_do_not_starve_the_hub() {
    let mut f = Fixture::new();
    f.config.limits.header_read_timeout_secs = 2;
    f.config.limits.max_connections_per_client = 32;
    let hub = f.start();
    // 200 stalled connections from 127.0.0.1: 32 are held until the header timeout, the rest
    // are closed at once (the per-client cap).
    let mut held = stalled(hub.addr, 200);
    std::thread::sleep(Duration::from_millis(200));
    // Another client (127.0.0.2, also this machine) still gets an answer within a second.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let other = reqwest::blocking::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let resp = other
        .get(format!("{}/v1/network", hub.url()))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Over the cap: closed right away.
    assert!(closed(held.last_mut().unwrap(), Duration::from_millis(500)));
    // Within the cap: closed once the header-read timeout passes.
    let first = held.first_mut().unwrap();
    assert!(closed(first, Duration::from_secs(6)), "header timeout");
    drop(held);
    // A connection that never sends a byte, and one idle after a request, are closed too.
    std::thread::sleep(Duration::from_millis(300));
    let mut silent = TcpStream::connect(hub.addr).unwrap();
    assert!(
        closed(&mut silent, Duration::from_secs(6)),
        "silent connection"
    );
    let mut idle = TcpStream::connect(hub.addr).unwrap();
    idle.write_all(b"GET /v1/network HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(
        closed(&mut idle, Duration::from_secs(6)),
        "idle keep-alive connection"
    );
    // The same client gets in again once its stalled connections are gone.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        client()
            .get(format!("{}/v1/network", hub.url()))
            .send()
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn h12_15_a_slow_body_gets_the_request_timeout() {
    let mut f = Fixture::new();
    f.config.limits.request_timeout_secs = 1;
    let hub = f.start();
    let mut s = TcpStream::connect(hub.addr).unwrap();
    s.write_all(
        b"POST /v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"partial\":",
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let started = Instant::now();
    while !String::from_utf8_lossy(&buf).contains("\r\n\r\n") {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "closed without an answer");
        buf.extend_from_slice(&chunk[..n]);
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}

#[test]
fn h12_17_push_gateways_on_private_addresses_are_refused() {
    // A configured FCM gateway whose host is a private address or a name for this machine:
    // the hub refuses to start, unless `[egress] allow_private_endpoints` says so (tests, demos).
    // Nothing is connected to; literal addresses are judged parsed and `localhost` by name.
    for base_url in [
        "https://10.0.0.1",
        "https://169.254.169.254",
        "https://[::ffff:127.0.0.1]",
        "https://localhost",
        "http://127.0.0.1:9",
    ] {
        let mut f = Fixture::new();
        std::fs::write(f.path("fcm.token"), "token").unwrap();
        let text = format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nnetwork_profile = \"network.json\"\n[push.fcm]\nproject_id = \"p\"\naccess_token_file = \"fcm.token\"\nbase_url = \"{base_url}\"\n"
        );
        f.config = silbato_hub::HubConfig::from_toml(&text, f.dir.path()).unwrap();
        assert!(!f.config.egress.allow_private_endpoints);
        let err = silbato_hub::Hub::open(f.config.clone(), silbato_hub::push::Gateways::none())
            .unwrap_err()
            .to_string();
        assert!(err.contains("allow_private_endpoints"), "{base_url}: {err}");
        assert!(
            !err.contains(base_url.trim_start_matches("https://")),
            "{err}"
        );
        f.config.egress.allow_private_endpoints = true;
        assert!(
            silbato_hub::Hub::open(f.config.clone(), silbato_hub::push::Gateways::none()).is_ok()
        );
    }
}

fn sealed_report(f: &Fixture, record: &str, notes: Option<&str>) -> Vec<u8> {
    let mut sighting = Sighting::new(
        Utc::now(),
        Activity::Raid,
        Agency::Ice,
        Confidence::Observed,
    );
    sighting.notes = notes.map(str::to_owned);
    ReportBuilder::new("chi")
        .record_id(record)
        .sighting(sighting)
        .now(Utc::now())
        .seal(&[f.net.seal.public_key()])
        .unwrap()
}

fn post_report(base: &str, body: Vec<u8>) -> reqwest::blocking::Response {
    client()
        .post(format!("{base}/v1/reports"))
        .header(HEADER_IDEMPOTENCY, idempotency_key(&body))
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .unwrap()
}

#[test]
fn h12_19_a_raw_photo_is_not_a_report() {
    let f = Fixture::new();
    let hub = f.start();
    let mut jpeg = vec![
        0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    jpeg.resize(4000, 0x55);
    let (status, body) = error_body(post_report(&hub.url(), jpeg));
    assert_eq!((status, body.reason.as_deref()), (400, Some("not_sealed")));
    assert_eq!(
        post_report(&hub.url(), sealed_report(&f, "r1", None)).status(),
        201
    );
}

#[test]
fn h12_19_storage_quotas_per_client_and_overall() {
    let mut f = Fixture::new();
    let one = sealed_report(&f, "r0", None).len() as u64;
    // Per client: room for two reports a day.
    f.config.limits.report_bytes_per_client_per_day = 2 * one + one / 2;
    let hub = f.start();
    let base = hub.url();
    assert_eq!(
        post_report(&base, sealed_report(&f, "r1", None)).status(),
        201
    );
    assert_eq!(
        post_report(&base, sealed_report(&f, "r2", None)).status(),
        201
    );
    let (status, body) = error_body(post_report(&base, sealed_report(&f, "r3", None)));
    assert_eq!((status, body.reason.as_deref()), (429, Some("quota")));
    assert!(body.retryable);
    hub.shutdown();

    // Overall: the hub holds at most three reports' worth, whoever sends them.
    f.config.limits.report_bytes_per_client_per_day = 100 * one;
    f.config.limits.max_stored_report_bytes = 3 * one + one / 2;
    let hub = f.start();
    let base = hub.url();
    assert_eq!(
        post_report(&base, sealed_report(&f, "r4", None)).status(),
        201
    );
    let (status, body) = error_body(post_report(&base, sealed_report(&f, "r5", None)));
    assert_eq!((status, body.reason.as_deref()), (429, Some("quota")));
    // Nothing was counted for the refused one: a retry of a stored report is still a duplicate.
    let stored = sealed_report(&f, "r6", None);
    hub.shutdown();
    f.config.limits.max_stored_report_bytes = 100 * one;
    let hub = f.start();
    let base = hub.url();
    assert_eq!(post_report(&base, stored.clone()).status(), 201);
    assert_eq!(post_report(&base, stored).status(), 200);
}

#[test]
fn h12_19_undelivered_reports_expire() {
    let f = Fixture::new();
    assert_eq!(f.config.retention.undelivered_reports_days, 30);
    let hub = f.start();
    assert_eq!(
        post_report(&hub.url(), sealed_report(&f, "r1", None)).status(),
        201
    );
    hub.shutdown();
    let store = silbato_hub::db::open(&f.config.data_dir).unwrap();
    let days = silbato_hub::db::PurgeDays {
        delivered_reports: 30,
        expired_alerts: 7,
        undelivered_reports: 30,
    };
    let soon =
        silbato_hub::db::purge(&store, Utc::now() + chrono::Duration::days(29), days).unwrap();
    assert_eq!(soon.undelivered, 0);
    let later =
        silbato_hub::db::purge(&store, Utc::now() + chrono::Duration::days(31), days).unwrap();
    assert_eq!(later.undelivered, 1);
}

#[test]
fn h12_20_alerts_outside_the_network_regions_are_refused() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();
    let (status, body) = error_body(post_alert(&base, f.net.sign(&alert("la-1", &["US-CA-LA"]))));
    assert_eq!((status, body.error.as_str()), (422, "rejected"));
    assert_eq!(body.reason.as_deref(), Some("outside_regions"));
    // Wider than the network's region: Illinois is not all Chicago's.
    let (status, _) = error_body(post_alert(&base, f.net.sign(&alert("il-1", &["US-IL"]))));
    assert_eq!(status, 422);
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("chi-1", &["US-IL-CHI"]))).status(),
        201
    );
}

fn signed_get(base: &str, host: &str, pq: &str, key: &SigningKey) -> Vec<(String, String)> {
    let _ = base;
    sign_request(key, "GET", host, pq, b"", Utc::now())
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

#[test]
fn h12_21_a_signed_request_cannot_be_replayed() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();
    let host = hub.addr.to_string();
    let pq = "/v1/reports?after=0";
    let headers = signed_get(&base, &host, pq, &f.net.d1);
    let send = |headers: &[(String, String)]| {
        let mut req = client().get(format!("{base}{pq}"));
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req.send().unwrap()
    };
    assert_eq!(send(&headers).status(), 200);
    let (status, body) = error_body(send(&headers));
    assert_eq!((status, body.reason.as_deref()), (401, Some("replayed")));
    // Signed for another hub: refused here.
    let elsewhere = signed_get(&base, "hub.example.org", pq, &f.net.d1);
    assert_eq!(send(&elsewhere).status(), 401);
    // Without a nonce (an old client): refused with its reason.
    let no_nonce: Vec<_> = headers
        .iter()
        .filter(|(k, _)| k != "x-silbato-nonce")
        .cloned()
        .collect();
    let (status, body) = error_body(send(&no_nonce));
    assert_eq!((status, body.reason.as_deref()), (401, Some("bad_nonce")));
}
