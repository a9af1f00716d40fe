//! Push subscriptions and alert fan-out through a recording gateway: validation, region matching,
//! payloads only the device opens, wake-ups for large alerts, Gone / Retry / Rejected answers,
//! and a POST that never waits for the fan-out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::{Answer, Fixture, Recorder, alert, client, error_code, gateways};
use reqwest::StatusCode;
use silbato_core::crypto::SigningKey;
use silbato_core::inbox::push::PushOutcome;
use silbato_core::inbox::{Inbox, IngestOutcome};
use silbato_core::keys::FileKeyStore;
use silbato_core::protocol::{AlertPosted, PushProvider, PushSubscription, b64};
use silbato_core::seal::SealSecretKey;
use silbato_hub::push::{Gateways, PushGateway, SendFuture};
use silbato_proto::push::{Opened, PushConfirm, PushPayload, decode, open_push, sign_push_request};

const IDLE: Duration = Duration::from_secs(20);

/// The key every subscription in these tests is signed with (issue 12: a subscription request
/// is signed by the device's subscription key).
fn signer() -> &'static SigningKey {
    static KEY: std::sync::OnceLock<SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().unwrap())
}

fn signed(
    method: reqwest::Method,
    base: &str,
    path: &str,
    body: Vec<u8>,
) -> reqwest::blocking::Response {
    let mut req = client()
        .request(method.clone(), format!("{base}{path}"))
        .header("content-type", "application/json");
    for (name, value) in sign_push_request(signer(), method.as_str(), path, &body, Utc::now()) {
        req = req.header(name, value);
    }
    req.body(body).send().unwrap()
}

fn subscribe(base: &str, body: &serde_json::Value) -> reqwest::blocking::Response {
    signed(
        reqwest::Method::POST,
        base,
        "/v1/push/subscriptions",
        serde_json::to_vec(body).unwrap(),
    )
}

fn unsubscribe(base: &str, body: &serde_json::Value) -> reqwest::blocking::Response {
    signed(
        reqwest::Method::DELETE,
        base,
        "/v1/push/subscriptions",
        serde_json::to_vec(body).unwrap(),
    )
}

/// The confirmation push the recorder got for `endpoint` (waiting for it).
fn confirmation_push(recorder: &Recorder, endpoint: &str) -> Vec<u8> {
    let deadline = std::time::Instant::now() + IDLE;
    loop {
        if let Some((_, p)) = recorder
            .delivered()
            .into_iter()
            .find(|(e, _)| e == endpoint)
        {
            return p;
        }
        assert!(std::time::Instant::now() < deadline, "no confirmation push");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn echo(base: &str, endpoint: &str, challenge: String) {
    let body = serde_json::to_vec(&PushConfirm {
        endpoint: endpoint.into(),
        challenge,
    })
    .unwrap();
    assert_eq!(
        signed(reqwest::Method::POST, base, "/v1/push/confirm", body).status(),
        StatusCode::NO_CONTENT
    );
}

/// Echoes the confirmation push of a subscription whose push key's secret is `secret`.
fn confirm_with(base: &str, recorder: &Recorder, endpoint: &str, secret: &SealSecretKey) {
    let payload = confirmation_push(recorder, endpoint);
    let PushPayload::SealedAlert(sealed) = decode(&payload).unwrap() else {
        panic!("sealed")
    };
    let Opened::Challenge(c) = open_push(secret, sealed).unwrap() else {
        panic!("a challenge")
    };
    echo(base, endpoint, b64(c.as_slice()));
}

/// Hands the confirmation push to the device's inbox, as a shell would, and echoes the challenge
/// the inbox kept, as its next sync would.
fn confirm_device(base: &str, recorder: &Recorder, endpoint: &str, dev: &Device) {
    let payload = confirmation_push(recorder, endpoint);
    assert_eq!(
        dev.inbox.ingest_push(&payload, "en", Utc::now()).unwrap(),
        PushOutcome::SyncNeeded
    );
    let pending = dev.inbox.pending_push_challenges(Utc::now()).unwrap();
    echo(base, endpoint, pending.last().unwrap().clone());
}

fn sub_json(
    provider: PushProvider,
    endpoint: &str,
    key: &silbato_core::seal::SealPublicKey,
    regions: &[&str],
) -> serde_json::Value {
    serde_json::to_value(PushSubscription {
        provider,
        endpoint: endpoint.into(),
        push_key: *key,
        regions: regions.iter().map(|r| (*r).to_owned()).collect(),
    })
    .unwrap()
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

#[test]
fn subscriptions_are_validated() {
    let f = Fixture::new();
    let recorder = Arc::new(Recorder::default());
    let hub = f.start_with(gateways(&recorder));
    let base = hub.url();
    let secret = SealSecretKey::generate().unwrap();
    let key = secret.public_key();

    let ok = sub_json(
        PushProvider::Webpush,
        "https://push.example.org/abc",
        &key,
        &["US-IL-CHI"],
    );
    assert_eq!(subscribe(&base, &ok).status(), StatusCode::CREATED);
    assert_eq!(
        subscribe(&base, &ok).status(),
        StatusCode::ACCEPTED,
        "an upsert of an unconfirmed subscription: a new confirmation push"
    );
    assert_eq!(
        subscribe(
            &base,
            &sub_json(PushProvider::Fcm, "fcm-token-1", &key, &["US-IL"])
        )
        .status(),
        StatusCode::CREATED
    );
    confirm_with(&base, &recorder, "fcm-token-1", &secret);

    let many: Vec<String> = (0..33).map(|i| format!("US-R{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let mut unknown_field = ok.clone();
    unknown_field["lat"] = serde_json::json!(41.8);
    let mut bad_key = ok.clone();
    bad_key["push_key"] = serde_json::json!("x25519:not-a-key");
    let bad = vec![
        (
            "apns is not configured",
            sub_json(PushProvider::Apns, "device-token", &key, &["US-IL"]),
        ),
        (
            "plain http web push",
            sub_json(
                PushProvider::Webpush,
                "http://push.example.org/abc",
                &key,
                &["US-IL"],
            ),
        ),
        (
            "loopback http with a user name before another host",
            sub_json(
                PushProvider::Webpush,
                "http://localhost:1@evil.example/abc",
                &key,
                &["US-IL"],
            ),
        ),
        (
            "no regions",
            sub_json(
                PushProvider::Webpush,
                "https://push.example.org/x",
                &key,
                &[],
            ),
        ),
        (
            "lowercase region",
            sub_json(
                PushProvider::Webpush,
                "https://push.example.org/x",
                &key,
                &["us-il"],
            ),
        ),
        (
            "33 regions",
            sub_json(
                PushProvider::Webpush,
                "https://push.example.org/x",
                &key,
                &many,
            ),
        ),
        (
            "empty endpoint",
            sub_json(PushProvider::Fcm, "", &key, &["US-IL"]),
        ),
        (
            "control characters",
            sub_json(PushProvider::Fcm, "tok\nen", &key, &["US-IL"]),
        ),
        ("a place sneaked in", unknown_field),
        ("bad push key", bad_key),
        (
            "unknown provider",
            serde_json::json!({"provider": "sms", "endpoint": "x", "push_key": key.to_string(), "regions": ["US-IL"]}),
        ),
    ];
    for (what, body) in bad {
        let (status, code) = error_code(subscribe(&base, &body));
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{what}");
    }
    let resp = signed(
        reqwest::Method::POST,
        &base,
        "/v1/push/subscriptions",
        b"not json".to_vec(),
    );
    assert_eq!(error_code(resp).0, 400);

    // Unsubscribing: 204 whether or not the endpoint was there; junk is a 400.
    for endpoint in [
        "https://push.example.org/abc",
        "https://push.example.org/never",
    ] {
        let resp = unsubscribe(&base, &serde_json::json!({ "endpoint": endpoint }));
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(
        error_code(unsubscribe(&base, &serde_json::json!({}))).0,
        400
    );
    // Only the FCM subscription (for all of Illinois) is left, and confirmed: a Chicago alert
    // reaches one device.
    recorder.clear();
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("a", &["US-IL-CHI"]))).fanout,
        1
    );
    assert!(hub.wait_fanout_idle(IDLE));
    assert_eq!(recorder.delivered_to(), ["fcm-token-1"]);
    hub.shutdown();

    // A hub with no push configured takes no subscriptions at all.
    let hub = f.start();
    assert_eq!(error_code(subscribe(&hub.url(), &ok)).0, 400);
    hub.shutdown();
}

struct Device {
    _dir: tempfile::TempDir,
    inbox: Inbox,
}

fn device(f: &Fixture) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Inbox::open(dir.path(), &FileKeyStore::new(dir.path())).unwrap();
    inbox
        .install_network(
            &f.net.signed_profile(1),
            Some(&f.net.profile(1).fingerprint()),
        )
        .unwrap();
    Device { _dir: dir, inbox }
}

fn payload_for<'a>(delivered: &'a [(String, Vec<u8>)], endpoint: &str) -> &'a [u8] {
    &delivered.iter().find(|(e, _)| e == endpoint).unwrap().1
}

#[test]
fn alerts_fan_out_to_matching_subscriptions_only() {
    let f = Fixture::new();
    let recorder = Arc::new(Recorder::default());
    let hub = f.start_with(gateways(&recorder));
    let base = hub.url();

    let chicago = device(&f);
    let evanston = device(&f);
    let illinois = device(&f);
    let (a, b, c) = (
        "https://push.example.org/a",
        "fcm-token-b",
        "https://push.example.org/c",
    );
    for (provider, endpoint, dev, regions) in [
        (PushProvider::Webpush, a, &chicago, ["US-IL-CHI"]),
        (PushProvider::Fcm, b, &evanston, ["US-IL-EVN"]),
        (PushProvider::Webpush, c, &illinois, ["US-IL"]),
    ] {
        let key = dev.inbox.push_public_key().unwrap();
        assert_eq!(
            subscribe(&base, &sub_json(provider, endpoint, &key, &regions)).status(),
            201
        );
        confirm_device(&base, &recorder, endpoint, dev);
    }
    assert!(hub.wait_fanout_idle(IDLE));
    recorder.clear();

    // A Chicago alert: the Chicago and Illinois devices, not Evanston.
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("chi-1", &["US-IL-CHI"]))).fanout,
        2
    );
    assert!(hub.wait_fanout_idle(IDLE));
    assert_eq!(recorder.delivered_to(), [a, c]);
    let delivered = recorder.delivered();
    let payload = payload_for(&delivered, a);
    assert!(
        !payload.windows(7).any(|w| w == b"Ashland"),
        "the push provider sees nothing of the alert"
    );
    match chicago
        .inbox
        .ingest_push(payload, "en", Utc::now())
        .unwrap()
    {
        PushOutcome::Alert {
            outcome: IngestOutcome::Accepted { id, .. },
            notification: Some(_),
        } => assert_eq!(id, "chi-1"),
        other => panic!("{other:?}"),
    }
    // Sealed to one device: another cannot open it.
    assert!(
        evanston
            .inbox
            .ingest_push(payload, "en", Utc::now())
            .is_err()
    );
    assert!(matches!(
        illinois
            .inbox
            .ingest_push(payload_for(&delivered, c), "en", Utc::now())
            .unwrap(),
        PushOutcome::Alert {
            outcome: IngestOutcome::Accepted { .. },
            ..
        }
    ));

    // No region codes: everyone. Evanston: Evanston and Illinois.
    recorder.clear();
    let everyone = f.net.sign(&alert("everyone", &[]));
    assert_eq!(post_alert(&base, everyone.clone()).fanout, 3);
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("evn-1", &["US-IL-EVN"]))).fanout,
        2
    );
    // (An alert for a region outside the network, US-CA, is refused outright: issue 12 item 20.)
    assert!(hub.wait_fanout_idle(IDLE));
    assert_eq!(recorder.delivered_to(), [b, b, a, c, c]);
    // A duplicate post is not pushed again.
    let resp = client()
        .post(format!("{base}/v1/alerts"))
        .body(everyone)
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<AlertPosted>().unwrap().fanout, 0);

    // An alert too large for a push message goes as a wake-up.
    recorder.clear();
    let mut big = alert("big", &["US-IL-CHI"]);
    big.info.get_mut("en").unwrap().description = Some("x".repeat(3900));
    assert_eq!(post_alert(&base, f.net.sign(&big)).fanout, 2);
    assert!(hub.wait_fanout_idle(IDLE));
    assert_eq!(
        chicago
            .inbox
            .ingest_push(payload_for(&recorder.delivered(), a), "en", Utc::now())
            .unwrap(),
        PushOutcome::SyncNeeded
    );
    assert_eq!(hub.fanout_stats().wakeups, 2);

    // Unsubscribed: no more pushes.
    recorder.clear();
    let resp = unsubscribe(&base, &serde_json::json!({ "endpoint": b }));
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("evn-2", &["US-IL-EVN"]))).fanout,
        1
    );
    assert!(hub.wait_fanout_idle(IDLE));
    assert_eq!(recorder.delivered_to(), [c]);
    hub.shutdown();
}

#[test]
fn gone_retry_and_rejected_answers() {
    let f = Fixture::new();
    let recorder = Arc::new(Recorder::default());
    let hub = f.start_with(gateways(&recorder));
    let base = hub.url();
    let secret = SealSecretKey::generate().unwrap();
    let key = secret.public_key();
    let (gone, flaky, broken) = (
        "https://push.example.org/gone",
        "https://push.example.org/flaky",
        "fcm-broken",
    );
    for (p, e) in [
        (PushProvider::Webpush, gone),
        (PushProvider::Webpush, flaky),
        (PushProvider::Fcm, broken),
    ] {
        assert_eq!(
            subscribe(&base, &sub_json(p, e, &key, &["US-IL-CHI"])).status(),
            201
        );
        confirm_with(&base, &recorder, e, &secret);
    }
    assert!(hub.wait_fanout_idle(IDLE));
    recorder.clear();
    recorder.script(gone, &[Answer::Gone]);
    recorder.script(flaky, &[Answer::Retry(Some(0)), Answer::Retry(Some(0))]);
    recorder.script(broken, &[Answer::Rejected]);

    assert_eq!(
        post_alert(&base, f.net.sign(&alert("one", &["US-IL-CHI"]))).fanout,
        3
    );
    assert!(hub.wait_fanout_idle(IDLE));
    let stats = hub.fanout_stats();
    assert_eq!(
        (
            stats.queued,
            stats.sent,
            stats.gone,
            stats.failed,
            stats.retries
        ),
        (3, 1, 1, 1, 2)
    );
    assert_eq!(recorder.delivered_to(), [flaky]);
    let attempts = recorder.attempts.lock().unwrap().clone();
    assert_eq!(attempts.iter().filter(|e| *e == flaky).count(), 3);

    // The gone endpoint was deleted; the others stay (a rejection is not a reason to forget).
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("two", &["US-IL-CHI"]))).fanout,
        2
    );
    assert!(hub.wait_fanout_idle(IDLE));

    // Retries give up after a bounded number of attempts.
    recorder.clear();
    recorder.script(flaky, &[Answer::Retry(Some(0)); 10]);
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("three", &["US-IL-CHI"]))).fanout,
        2
    );
    assert!(hub.wait_fanout_idle(IDLE));
    let attempts = recorder.attempts.lock().unwrap().clone();
    assert_eq!(
        attempts.iter().filter(|e| *e == flaky).count(),
        silbato_hub::fanout::MAX_ATTEMPTS as usize
    );
    assert_eq!(recorder.delivered_to(), [broken]);
    hub.shutdown();
}

/// A recording gateway that, once `holding`, holds every send until the test opens the gate.
struct Gate {
    sem: tokio::sync::Semaphore,
    holding: std::sync::atomic::AtomicBool,
    recorder: Recorder,
}

impl PushGateway for Gate {
    fn send<'a>(&'a self, endpoint: &'a str, payload: &'a [u8]) -> SendFuture<'a> {
        Box::pin(async move {
            if self.holding.load(std::sync::atomic::Ordering::SeqCst) {
                let _permit = self.sem.acquire().await;
            }
            self.recorder.send(endpoint, payload).await
        })
    }
}

#[test]
fn posting_never_waits_for_the_fan_out() {
    let mut f = Fixture::new();
    f.config.push.max_subscriptions_per_client = 1_000;
    let gate = Arc::new(Gate {
        sem: tokio::sync::Semaphore::new(0),
        holding: false.into(),
        recorder: Recorder::default(),
    });
    let mut g = Gateways::none();
    g.webpush = Some(gate.clone() as Arc<dyn PushGateway>);
    let hub = f.start_with(g);
    let base = hub.url();
    let secret = SealSecretKey::generate().unwrap();
    let key = secret.public_key();
    for i in 0..200 {
        let e = format!("https://push.example.org/{i}");
        assert_eq!(
            subscribe(
                &base,
                &sub_json(PushProvider::Webpush, &e, &key, &["US-IL"])
            )
            .status(),
            201
        );
        confirm_with(&base, &gate.recorder, &e, &secret);
    }
    assert!(hub.wait_fanout_idle(IDLE));
    gate.holding
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let started = std::time::Instant::now();
    assert_eq!(
        post_alert(&base, f.net.sign(&alert("held", &["US-IL-CHI"]))).fanout,
        200
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // Every send is held: the fan-out is still running after the answer.
    assert!(!hub.wait_fanout_idle(Duration::from_millis(200)));
    assert_eq!(hub.fanout_stats().jobs_in_flight, 1);
    gate.sem.add_permits(1_000);
    assert!(hub.wait_fanout_idle(IDLE));
    assert_eq!(hub.fanout_stats().sent, 200);
    hub.shutdown();
}
