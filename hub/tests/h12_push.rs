//! Issue 12 on a real hub: fair fan-out past endpoints that never answer, confirmed and capped
//! subscriptions (item 16), and subscriptions only their own key changes (item 18).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use chrono::Utc;
use common::{Fixture, Recorder, alert, client, error_code, gateways};
use reqwest::StatusCode;
use silbato_core::crypto::SigningKey;
use silbato_core::protocol::{AlertPosted, PushProvider, PushSubscription, b64};
use silbato_core::seal::SealSecretKey;
use silbato_hub::push::{Gateways, PushConfig};
use silbato_proto::push::{
    Opened, PushConfirm, PushPayload, PushUnsubscribe, decode, open_push, sign_push_request,
};

const SUBS: &str = "/v1/push/subscriptions";
const CONFIRM: &str = "/v1/push/confirm";

/// A device's two push keys: the X25519 key alerts are sealed to and the Ed25519 key that signs
/// its subscription requests.
struct Dev {
    push: SealSecretKey,
    sign: SigningKey,
}

impl Dev {
    fn new() -> Dev {
        Dev {
            push: SealSecretKey::generate().unwrap(),
            sign: SigningKey::generate().unwrap(),
        }
    }

    fn sub(&self, provider: PushProvider, endpoint: &str, regions: &[&str]) -> Vec<u8> {
        serde_json::to_vec(&PushSubscription {
            provider,
            endpoint: endpoint.into(),
            push_key: self.push.public_key(),
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        })
        .unwrap()
    }
}

fn send(
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
    key: Option<&SigningKey>,
) -> reqwest::blocking::Response {
    let mut req = client()
        .request(method.clone(), format!("{base}{path}"))
        .header("content-type", "application/json");
    if let Some(key) = key {
        for (name, value) in sign_push_request(key, method.as_str(), path, &body, Utc::now()) {
            req = req.header(name, value);
        }
    }
    req.body(body).send().unwrap()
}

fn subscribe(base: &str, dev: &Dev, provider: PushProvider, endpoint: &str) -> StatusCode {
    send(
        base,
        reqwest::Method::POST,
        SUBS,
        dev.sub(provider, endpoint, &["US-IL-CHI"]),
        Some(&dev.sign),
    )
    .status()
}

/// The challenge inside a confirmation push.
fn challenge_of(dev: &Dev, payload: &[u8]) -> Vec<u8> {
    let PushPayload::SealedAlert(sealed) = decode(payload).unwrap() else {
        panic!("a confirmation push is sealed")
    };
    match open_push(&dev.push, sealed).unwrap() {
        Opened::Challenge(c) => c.to_vec(),
        Opened::Alert(_) => panic!("expected a challenge"),
    }
}

fn confirm(base: &str, dev: &Dev, endpoint: &str, challenge: &[u8]) -> StatusCode {
    let body = serde_json::to_vec(&PushConfirm {
        endpoint: endpoint.into(),
        challenge: b64(challenge),
    })
    .unwrap();
    send(base, reqwest::Method::POST, CONFIRM, body, Some(&dev.sign)).status()
}

fn unsubscribe(
    base: &str,
    endpoint: &str,
    key: Option<&SigningKey>,
) -> reqwest::blocking::Response {
    let body = serde_json::to_vec(&PushUnsubscribe {
        endpoint: endpoint.into(),
    })
    .unwrap();
    send(base, reqwest::Method::DELETE, SUBS, body, key)
}

fn post_alert(base: &str, body: Vec<u8>) -> AlertPosted {
    let resp = client()
        .post(format!("{base}/v1/alerts"))
        .body(body)
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Subscribes `endpoint` through the recording gateway and echoes its confirmation push.
fn subscribe_confirmed(base: &str, recorder: &Recorder, dev: &Dev, endpoint: &str) {
    let before = recorder.delivered().len();
    assert_eq!(
        subscribe(base, dev, PushProvider::Webpush, endpoint),
        StatusCode::CREATED
    );
    wait_for("the confirmation push", || {
        recorder.delivered().len() > before
    });
    let payload = recorder
        .delivered()
        .into_iter()
        .rev()
        .find(|(e, _)| e == endpoint)
        .unwrap()
        .1;
    assert_eq!(
        confirm(base, dev, endpoint, &challenge_of(dev, &payload)),
        StatusCode::NO_CONTENT
    );
}

type Seen = Arc<Mutex<Vec<(String, Vec<u8>, Instant)>>>;

/// A Web Push service on 127.0.0.1 that records what it gets; once `hole` is set it accepts
/// every request and never answers.
/// With `after`, its URL sorts after that one (a port with a larger number).
fn push_service(
    rt: &tokio::runtime::Runtime,
    after: Option<&str>,
    hole: Arc<AtomicBool>,
) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/push/{id}",
        axum::routing::post(
            move |axum::extract::Path(id): axum::extract::Path<String>, body: Bytes| {
                let s = s.clone();
                let hole = hole.clone();
                async move {
                    if hole.load(Ordering::SeqCst) {
                        std::future::pending::<()>().await;
                    }
                    s.lock().unwrap().push((id, body.to_vec(), Instant::now()));
                    axum::http::StatusCode::CREATED
                }
            },
        ),
    );
    let mut spare = Vec::new();
    let (listener, url) = loop {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        if after.is_none_or(|a| url.as_str() > a) {
            break (listener, url);
        }
        spare.push(listener);
    };
    drop(spare);
    rt.spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[test]
fn h12_16_five_hundred_black_holes_do_not_delay_a_real_device() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hole = Arc::new(AtomicBool::new(false));
    let (holes_url, holes_seen) = push_service(&rt, None, hole.clone());
    // The real endpoint sorts after every black hole: a fan-out in endpoint order would reach it
    // last.
    let (real_url, real_seen) =
        push_service(&rt, Some(&holes_url), Arc::new(AtomicBool::new(false)));

    let mut f = Fixture::new();
    f.config.limits.requests_per_minute = 100_000;
    f.config.push.max_subscriptions_per_client = 1_000;
    let hub = f.start_with(Gateways::from_config(&PushConfig::default()).unwrap());
    let base = hub.url();

    // One attacker key pair for 500 endpoints that answer until the attack begins.
    let attacker = Dev::new();
    for i in 0..500 {
        let endpoint = format!("{holes_url}/push/{i}");
        assert_eq!(
            subscribe(&base, &attacker, PushProvider::Webpush, &endpoint),
            StatusCode::CREATED
        );
    }
    let phone = Dev::new();
    let phone_endpoint = format!("{real_url}/push/phone");
    assert_eq!(
        subscribe(&base, &phone, PushProvider::Webpush, &phone_endpoint),
        StatusCode::CREATED
    );
    wait_for("500 confirmation pushes", || {
        holes_seen.lock().unwrap().len() == 500
    });
    wait_for("the phone's confirmation push", || {
        real_seen.lock().unwrap().len() == 1
    });
    // Unconfirmed subscriptions get no alerts.
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("early", &["US-IL-CHI"]))).fanout,
        0
    );
    for (id, payload, _) in holes_seen.lock().unwrap().clone() {
        let endpoint = format!("{holes_url}/push/{id}");
        assert_eq!(
            confirm(
                &base,
                &attacker,
                &endpoint,
                &challenge_of(&attacker, &payload)
            ),
            StatusCode::NO_CONTENT
        );
    }
    let challenge = challenge_of(&phone, &real_seen.lock().unwrap()[0].1);
    // Someone else's key cannot confirm it, nor a wrong challenge.
    assert_eq!(
        confirm(&base, &attacker, &phone_endpoint, &challenge),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        confirm(&base, &phone, &phone_endpoint, &[0u8; 32]),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        confirm(&base, &phone, &phone_endpoint, &challenge),
        StatusCode::NO_CONTENT
    );

    // The attack: 500 confirmed endpoints now accept and never answer.
    hole.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let posted = post_alert(&base, f.net.sign(&alert("raid", &["US-IL-CHI"])));
    assert_eq!(posted.fanout, 501);
    wait_for("the phone's alert", || real_seen.lock().unwrap().len() == 2);
    let delivered = real_seen.lock().unwrap()[1].2;
    let took = delivered.duration_since(started);
    eprintln!("the real device's alert arrived after {took:?}");
    assert!(
        took < Duration::from_secs(2),
        "the real device waited {took:?}"
    );
    let alert_push = real_seen.lock().unwrap()[1].1.clone();
    let PushPayload::SealedAlert(sealed) = decode(&alert_push).unwrap() else {
        panic!()
    };
    assert!(matches!(
        open_push(&phone.push, sealed).unwrap(),
        Opened::Alert(_)
    ));
    // The black holes cost only their own deliveries: all of them end, as failures.
    assert!(hub.wait_fanout_idle(Duration::from_secs(60)));
    let stats = hub.fanout_stats();
    assert_eq!((stats.sent, stats.failed), (1, 500), "{stats:?}");
    hub.shutdown();
    rt.shutdown_background();
}

#[test]
fn h12_16_subscriptions_are_capped_per_client_and_confirmed_before_they_count() {
    let mut f = Fixture::new();
    f.config.push.max_subscriptions_per_client = 3;
    let recorder = Arc::new(Recorder::default());
    let hub = f.start_with(gateways(&recorder));
    let base = hub.url();
    let dev = Dev::new();
    for i in 0..3 {
        assert_eq!(
            subscribe(&base, &dev, PushProvider::Fcm, &format!("token-{i}")),
            StatusCode::CREATED
        );
    }
    let resp = send(
        &base,
        reqwest::Method::POST,
        SUBS,
        dev.sub(PushProvider::Fcm, "token-3", &["US-IL"]),
        Some(&dev.sign),
    );
    assert_eq!(error_code(resp), (429, "rate_limited".to_owned()));
    // Changing one of its own is not a new one.
    assert!(subscribe(&base, &dev, PushProvider::Fcm, "token-0").is_success());
    // A confirmation push went to each; none counts until echoed.
    assert!(hub.wait_fanout_idle(Duration::from_secs(20)));
    assert_eq!(hub.fanout_stats().confirmations, 4);
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("a", &["US-IL-CHI"]))).fanout,
        0
    );
    // The confirmation push is as long as a short alert's: a push service cannot tell them apart.
    let delivered = recorder.delivered();
    assert!(
        delivered
            .iter()
            .all(|(_, p)| p.len() == delivered[0].1.len())
    );
    let last = &delivered
        .iter()
        .rev()
        .find(|(e, _)| e == "token-0")
        .unwrap()
        .1;
    // The first challenge was replaced by the second.
    let first = &delivered.iter().find(|(e, _)| e == "token-0").unwrap().1;
    assert_eq!(
        confirm(&base, &dev, "token-0", &challenge_of(&dev, first)),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        confirm(&base, &dev, "token-0", &challenge_of(&dev, last)),
        StatusCode::NO_CONTENT
    );
    recorder.clear();
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("b", &["US-IL-CHI"]))).fanout,
        1
    );
    assert!(hub.wait_fanout_idle(Duration::from_secs(20)));
    assert_eq!(recorder.delivered_to(), ["token-0"]);
    hub.shutdown();
}

#[test]
fn h12_16_subscriptions_from_before_confirmation_keep_counting_after_the_migration() {
    let f = Fixture::new();
    let data = f.config.data_dir.clone();
    std::fs::create_dir_all(&data).unwrap();
    // hub.db at the version before this change, with a subscription in it.
    let spec = silbato_hub::db::HUB_SPEC;
    let all = spec.migrations;
    let previous = silbato_store::StoreSpec {
        migrations: &all[..all.len() - 1],
        ..spec
    };
    let legacy = Dev::new();
    {
        let old =
            silbato_store::Store::open(&data.join(silbato_hub::db::HUB_DB), previous).unwrap();
        old.write(|tx| -> silbato_store::Result<usize> {
            Ok(tx.execute(
                "INSERT INTO push_subscriptions (endpoint, provider, push_key, regions, updated_at) VALUES ('legacy-token', 'fcm', ?1, ' US-IL ', 0)",
                [legacy.push.public_key().to_string()],
            )?)
        })
        .unwrap();
    }
    let recorder = Arc::new(Recorder::default());
    let hub = f.start_with(gateways(&recorder));
    let base = hub.url();
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("a", &["US-IL-CHI"]))).fanout,
        1,
        "a subscription from before confirmation still gets alerts"
    );
    assert!(hub.wait_fanout_idle(Duration::from_secs(20)));
    // It has no subscription key: the first signed request registers it afresh, unconfirmed.
    assert_eq!(
        send(
            &base,
            reqwest::Method::POST,
            SUBS,
            legacy.sub(PushProvider::Fcm, "legacy-token", &["US-IL"]),
            Some(&legacy.sign),
        )
        .status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("b", &["US-IL-CHI"]))).fanout,
        0
    );
    hub.shutdown();
    let store = silbato_hub::db::open(&data).unwrap();
    let stored = silbato_hub::db::subscription(&store, "legacy-token")
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.regions, stored.confirmed),
        (vec!["US-IL".to_owned()], false)
    );
    assert_eq!(stored.sign_key, Some(legacy.sign.public_key().to_string()));
}

#[test]
fn h12_18_only_the_subscription_key_changes_or_deletes_a_subscription() {
    let f = Fixture::new();
    let recorder = Arc::new(Recorder::default());
    let hub = f.start_with(gateways(&recorder));
    let base = hub.url();
    let dev = Dev::new();
    let endpoint = "https://push.example.org/device";
    subscribe_confirmed(&base, &recorder, &dev, endpoint);
    let other = Dev::new();

    // Unsigned, or signed by another key, or signed over other bytes: refused.
    let update = dev.sub(PushProvider::Webpush, endpoint, &["US-CA"]);
    let resp = send(&base, reqwest::Method::POST, SUBS, update.clone(), None);
    assert_eq!(error_code(resp), (401, "unauthorized".to_owned()));
    let resp = send(
        &base,
        reqwest::Method::POST,
        SUBS,
        update.clone(),
        Some(&other.sign),
    );
    assert_eq!(error_code(resp), (403, "unauthorized".to_owned()));
    let mut forged = client()
        .post(format!("{base}{SUBS}"))
        .header("content-type", "application/json");
    for (name, value) in sign_push_request(&dev.sign, "POST", SUBS, b"{}", Utc::now()) {
        forged = forged.header(name, value);
    }
    let resp = forged.body(update.clone()).send().unwrap();
    assert_eq!(error_code(resp), (401, "unauthorized".to_owned()));
    assert_eq!(
        error_code(unsubscribe(&base, endpoint, None)),
        (401, "unauthorized".to_owned())
    );
    assert_eq!(
        error_code(unsubscribe(&base, endpoint, Some(&other.sign))),
        (403, "unauthorized".to_owned())
    );
    let store_regions = || {
        let store = silbato_hub::db::open(&f.config.data_dir).unwrap();
        silbato_hub::db::subscription(&store, endpoint)
            .unwrap()
            .map(|s| (s.regions, s.confirmed))
    };
    assert_eq!(store_regions(), Some((vec!["US-IL-CHI".to_owned()], true)));

    // The device's own key changes its regions (still confirmed) and deletes it.
    assert_eq!(
        send(&base, reqwest::Method::POST, SUBS, update, Some(&dev.sign)).status(),
        StatusCode::OK
    );
    assert_eq!(store_regions(), Some((vec!["US-CA".to_owned()], true)));
    assert_eq!(
        unsubscribe(&base, endpoint, Some(&dev.sign)).status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(store_regions(), None);
    assert_eq!(post_alert(&base, f.net.sign(&alert("a", &[]))).fanout, 0);
    hub.shutdown();
}

#[test]
fn h12_16_unconfirmed_subscriptions_expire_and_free_their_place() {
    use silbato_hub::db::{self, SubscribeOutcome, SubscribeRequest};
    let dir = tempfile::tempdir().unwrap();
    let store = db::open(dir.path()).unwrap();
    let dev = Dev::new();
    let now = Utc::now();
    let push_key = dev.push.public_key();
    let sign_key = dev.sign.public_key();
    let regions = vec!["US-IL-CHI".to_owned()];
    let tag = [7u8; 32];
    let challenge = silbato_core::crypto::sha256(b"challenge");
    let request = |endpoint: &'static str, at: chrono::DateTime<Utc>| SubscribeRequest {
        provider: PushProvider::Fcm,
        endpoint,
        push_key: &push_key,
        sign_key: &sign_key,
        signed_at: at,
        regions: &regions,
        client_tag: &tag,
        cap: 1,
        challenge_sha256: &challenge,
        challenge_expires: at + chrono::Duration::seconds(60),
    };
    assert_eq!(
        db::subscribe(&store, &request("a", now), now).unwrap(),
        SubscribeOutcome::Pending { created: true }
    );
    // The client's one place is taken while "a" waits for its confirmation.
    assert_eq!(
        db::subscribe(&store, &request("b", now), now).unwrap(),
        SubscribeOutcome::OverCap
    );
    // Past its expiry "a" cannot be confirmed, is forgotten, and frees the place.
    let later = now + chrono::Duration::seconds(120);
    assert!(!db::confirm_subscription(&store, "a", &sign_key, &challenge, later).unwrap());
    assert_eq!(db::subscription(&store, "a").unwrap(), None);
    assert_eq!(
        db::subscribe(&store, &request("b", later), later).unwrap(),
        SubscribeOutcome::Pending { created: true }
    );
    assert!(db::confirm_subscription(&store, "b", &sign_key, &challenge, later).unwrap());
    // A request signed before the last accepted one is a replay.
    assert_eq!(
        db::subscribe(&store, &request("b", now), later).unwrap(),
        SubscribeOutcome::Stale
    );
}

/// No server-side request forgery: without `[egress] allow_private_endpoints`, a real hub refuses
/// a (properly signed) Web Push subscription whose endpoint is a loopback, private, link-local,
/// unspecified or IPv4-mapped loopback address, or `localhost` — judged on the parsed URL, so no
/// spelling slips past, and with nothing resolved or connected to. A public literal is accepted.
#[test]
fn h12_17_subscriptions_to_private_endpoints_are_refused_over_http() {
    let mut f = Fixture::new();
    f.config.egress.allow_private_endpoints = false;
    let recorder = Arc::new(Recorder::default());
    let hub = f.start_with(gateways(&recorder));
    let base = hub.url();
    for endpoint in [
        "http://127.0.0.1:9/push",
        "http://[::1]:9/push",
        "http://localhost:9/push",
        "https://10.1.2.3/push",
        "https://172.16.0.1/push",
        "https://192.168.1.1/push",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/push",
        "https://0.0.0.0/push",
        "https://[::ffff:127.0.0.1]/push",
        "https://[fe80::1]/push",
        "https://[fd00::1]/push",
        "https://224.0.0.1/push",
        "https://0x7f.1/push",
    ] {
        let dev = Dev::new();
        let resp = send(
            &base,
            reqwest::Method::POST,
            SUBS,
            dev.sub(PushProvider::Webpush, endpoint, &["US-IL-CHI"]),
            Some(&dev.sign),
        );
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{endpoint}");
        let body: serde_json::Value = resp.json().unwrap();
        assert_eq!(body["reason"], "endpoint_address", "{endpoint}: {body}");
        assert!(
            !body.to_string().contains(endpoint),
            "the answer names no endpoint"
        );
    }
    // Nothing was stored, nothing was sent.
    assert!(recorder.delivered().is_empty());
    // A public address literal passes the check (nothing is connected to: the test gateway
    // records instead of sending).
    let dev = Dev::new();
    assert_eq!(
        subscribe(
            &base,
            &dev,
            PushProvider::Webpush,
            "https://93.184.216.34/push"
        ),
        StatusCode::CREATED
    );
}
