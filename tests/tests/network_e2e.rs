//! The network end to end: a real hub on 127.0.0.1, devices syncing with it (directly, through a
//! fault-injecting proxy, or against a hostile stand-in), dispatchers, and push.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use silbato_core::inbox::alert::Certainty;
use silbato_core::inbox::push::PushOutcome;
use silbato_core::inbox::{IngestOutcome, Relevance};
use silbato_core::keys::{KdfParams, Passphrase};
use silbato_core::protocol::{self, PushProvider};
use silbato_core::rights::{SearchOptions, sign_pack};
use silbato_core::sync::{DocOutcome, HubClient, SyncConfig, queue_sighting_report};
use silbato_core::vault::{Activity, Agency, Confidence, Sighting, Vault, VaultConfig};
use silbato_e2e::{
    ByteCounter, Device, FaultProxy, Faults, PushReceiver, Server, TestNetwork, alert_builder,
    reports_at_hub,
};
use silbato_hub::push::Gateways;
use silbato_testkit::{ReportBuilder, signing_key};

fn fast(url: &str) -> SyncConfig {
    let mut c = SyncConfig::new(url);
    c.request_timeout = Duration::from_millis(400);
    c.connect_timeout = Duration::from_millis(400);
    c.backoff_base = Duration::ZERO;
    c.backoff_cap = Duration::ZERO;
    c
}

#[test]
fn three_journeys_end_to_end() {
    let net = TestNetwork::new("http://127.0.0.1");
    let receiver = PushReceiver::start();
    let hub = net.start_hub(Gateways::from_config(&Default::default()).unwrap());

    // A resident reads a card with no network at all.
    let resident = Device::new(&net);
    let hits = resident
        .rights()
        .search(
            "orden judicial",
            &SearchOptions {
                lang: Some("es".into()),
                limit: 3,
            },
        )
        .unwrap();
    assert!(!hits.is_empty());
    assert!(
        !resident
            .rights()
            .card(&hits[0].card_id, "es")
            .unwrap()
            .body
            .is_empty()
    );

    // A patroller logs a sighting and reports it; the sync carries it to the hub sealed.
    let patroller = Device::new(&net);
    let (vault, _) = Vault::open(
        patroller.path(),
        VaultConfig {
            kdf: KdfParams::FAST_INSECURE,
            idle_timeout: None,
        },
        None,
    )
    .unwrap();
    vault
        .init(&Passphrase::new("patroller passphrase".into()))
        .unwrap();
    let mut s = Sighting::new(
        Utc::now() - ChronoDuration::minutes(3),
        Activity::Raid,
        Agency::Ice,
        Confidence::Observed,
    );
    s.place = Some("Home Depot, 47th St".into());
    s.officer_count = Some(8);
    let record = vault.log(s, &[], None).unwrap();
    queue_sighting_report(&vault, &patroller.inbox(), &record.id, "chi", Utc::now()).unwrap();
    let report = patroller.sync_with(SyncConfig::new(&hub.url()), Utc::now());
    assert!(report.ok(), "{:?}", report.failures);
    assert_eq!(report.reports_sent, 1);
    assert!(patroller.inbox().outbox().unwrap().is_empty());

    // A dispatcher opens it; the hub could not.
    let ana = &net.dispatchers[0];
    let client = HubClient::new(SyncConfig::new(&hub.url())).unwrap();
    let page = client.reports_page(&ana.signing, "0", Utc::now()).unwrap();
    assert_eq!(page.reports.len(), 1);
    let opened = protocol::open_report(
        &protocol::unb64(&page.reports[0].sealed).unwrap(),
        &ana.seal,
    )
    .unwrap();
    assert_eq!(opened.record_id, record.id);
    assert_eq!(opened.sighting.officer_count, Some(8));
    // A stranger's signed request is refused.
    let stranger = signing_key("e2e/stranger");
    assert!(client.reports_page(&stranger, "0", Utc::now()).is_err());

    // Families: one with a school near the raid, subscribed for Chicago; one far away in LA.
    let near = Device::new(&net);
    near.inbox()
        .add_place("School", 41.8100, -87.6650, 300.0)
        .unwrap();
    near.inbox().follow_region("US-IL-CHI").unwrap();
    let far = Device::new(&net);
    far.inbox()
        .add_place("Home", 34.05, -118.24, 300.0)
        .unwrap();
    far.inbox().follow_region("US-CA-LA").unwrap();
    for (device, name) in [(&near, "near"), (&far, "far")] {
        // Signed by the device's subscription key; it counts once the device echoes the hub's
        // confirmation push, which the next sync does.
        device
            .app
            .subscribe_push(
                PushProvider::Webpush,
                &receiver.endpoint(name),
                &[],
                Some(&hub.url()),
            )
            .unwrap();
        let confirmation = wait_for_push(&receiver, name, 1);
        assert!(matches!(
            device
                .inbox()
                .ingest_push(&confirmation, "en", Utc::now())
                .unwrap(),
            PushOutcome::SyncNeeded
        ));
        let confirmed = device.sync_with(SyncConfig::new(&hub.url()), Utc::now());
        assert!(confirmed.failures.is_empty(), "{:?}", confirmed.failures);
    }

    // Two dispatchers sign an "observed" alert; one signature alone is refused by the hub too.
    let raid = alert_builder("raid-47th", Certainty::Observed, &["US-IL-CHI"]);
    let one = raid.sign(&[&ana.signing]).unwrap();
    assert!(client.publish_alert(&one).is_err());
    let both = raid
        .sign(&[&ana.signing, &net.dispatchers[1].signing])
        .unwrap();
    let posted = client.publish_alert(&both).unwrap();
    assert_eq!(posted.fanout, 1, "only the Chicago subscription matches");
    assert!(hub.wait_fanout_idle(Duration::from_secs(10)));

    // After its confirmation push, the alert.
    let pushes = receiver.for_device("near");
    assert_eq!(pushes.len(), 2);
    assert_eq!(
        receiver.for_device("far").len(),
        1,
        "a device far away gets nothing but its confirmation"
    );
    match near
        .inbox()
        .ingest_push(&pushes[1], "en", Utc::now())
        .unwrap()
    {
        PushOutcome::Alert {
            outcome: IngestOutcome::Accepted { .. },
            notification: Some(n),
        } => {
            assert_eq!(n.body, "New alert from Chicago Rapid Response");
        }
        other => panic!("{other:?}"),
    }
    let shown = near.inbox().active("en", Utc::now(), 10).unwrap();
    assert_eq!(
        shown[0].relevance,
        Relevance::SavedPlace {
            label: "School".into()
        }
    );
    // The far device, syncing, gets nothing for its region.
    let far_sync = far.sync_with(SyncConfig::new(&hub.url()), Utc::now());
    assert_eq!(far_sync.alerts_accepted, 0);
}

#[test]
fn a_pack_downloads_once_then_304_and_an_idle_sync_is_small() {
    let net = TestNetwork::new("http://127.0.0.1");
    let publisher = signing_key("e2e/publisher");
    let mut payload = silbato_core::rights::RightsLibrary::bundled_pack().unwrap();
    payload.pack_id = "chi-kyr".into();
    payload.publisher = "chi".into();
    let packs = net.dir.path().join("packs");
    std::fs::create_dir_all(&packs).unwrap();
    std::fs::write(
        packs.join("chi-kyr.json"),
        sign_pack(&payload, &publisher).unwrap(),
    )
    .unwrap();
    let mut config = net.hub_config();
    config.packs_dir = Some(packs);
    let hub = silbato_hub::start(config, Gateways::none()).unwrap();
    let counter = ByteCounter::start(hub.addr);

    let device = Device::new(&net);
    device
        .rights()
        .add_publisher(&publisher.public_key(), "Chicago")
        .unwrap();
    // The device learns of the pack once (by file, as a training would hand it out)...
    device
        .rights()
        .install_pack(&std::fs::read(net.dir.path().join("packs/chi-kyr.json")).unwrap())
        .unwrap();
    // ...then sync keeps it current: the first sync fetches it (200), the next gets 304.
    let first = device.sync_with(SyncConfig::new(&counter.url()), Utc::now());
    assert!(first.ok(), "{:?}", first.failures);
    assert!(
        first
            .packs
            .iter()
            .any(|(id, o)| id == "chi-kyr" && *o == DocOutcome::NotModified)
    );
    counter.reset();
    let idle = device.sync_with(SyncConfig::new(&counter.url()), Utc::now());
    assert!(idle.ok(), "{:?}", idle.failures);
    assert!(
        idle.packs
            .iter()
            .all(|(_, o)| matches!(o, DocOutcome::NotModified | DocOutcome::NotPublished))
    );
    assert_eq!(idle.network, DocOutcome::NotModified);
    assert_eq!(idle.alerts_accepted, 0);
    let bytes = counter.total();
    eprintln!(
        "idle sync: {} requests, {bytes} bytes on the wire",
        idle.requests
    );
    assert!(bytes < 2048, "an idle sync costs {bytes} bytes");
}

#[test]
fn over_a_lossy_link_every_report_arrives_exactly_once() {
    let net = TestNetwork::new("http://127.0.0.1");
    let hub = net.start_hub(Gateways::none());
    let faults = Faults {
        drop_response: 30,
        duplicate_request: 10,
        error_500: 5,
        stall: 1,
        stall_for: Duration::from_millis(900),
    };
    let proxy = FaultProxy::start(&hub.url(), faults, 0xC0FFEE);
    let device = Device::new(&net);
    let recipients: Vec<_> = net
        .dispatchers
        .iter()
        .map(|d| d.seal.public_key())
        .collect();
    let mut expected = HashSet::new();
    for i in 0..1_000 {
        let r = ReportBuilder::new("chi")
            .record_id(&format!("record-{i}"))
            .sighting(Sighting::new(
                Utc::now(),
                Activity::Patrol,
                Agency::Cbp,
                Confidence::Likely,
            ))
            .now(Utc::now());
        device
            .inbox()
            .queue_report("chi", &r.seal(&recipients).unwrap(), Utc::now())
            .unwrap();
        expected.insert(format!("record-{i}"));
    }
    let start = Utc::now();
    let mut rounds = 0;
    while !device.inbox().outbox().unwrap().is_empty() {
        rounds += 1;
        assert!(rounds <= 40, "the outbox did not drain");
        // Each round runs "later", so every deferred report (and any Retry-After) is due again.
        device.sync_with(
            fast(&proxy.url()),
            start + ChronoDuration::seconds(5 * rounds),
        );
    }
    let c = &proxy.counts;
    use std::sync::atomic::Ordering::Relaxed;
    eprintln!(
        "reports drained in {rounds} rounds; proxy dropped {}, duplicated {}, 500s {}, stalled {}",
        c.dropped.load(Relaxed),
        c.duplicated.load(Relaxed),
        c.errors.load(Relaxed),
        c.stalled.load(Relaxed)
    );
    assert!(c.dropped.load(Relaxed) > 100 && c.duplicated.load(Relaxed) > 50);
    // The dispatcher reads them all straight from the hub: exactly one copy of each.
    let seen = reports_at_hub(&hub.url(), &net.dispatchers[1]);
    assert_eq!(seen.len(), 1_000, "exactly one copy of each");
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), expected);
}

#[test]
fn over_a_lossy_link_no_alert_is_missed_or_duplicated_and_an_interrupted_sync_resumes() {
    let net = TestNetwork::new("http://127.0.0.1");
    let hub = net.start_hub(Gateways::none());
    let client = HubClient::new(SyncConfig::new(&hub.url())).unwrap();
    let signer = &net.dispatchers[0].signing;
    for i in 0..1_000 {
        client
            .publish_alert(
                &alert_builder(&format!("a{i:04}"), Certainty::Likely, &["US-IL-CHI"])
                    .sign(&[signer])
                    .unwrap(),
            )
            .unwrap();
    }

    // Interrupted: the first sync stops after three pages ("killed"); the next resumes exactly
    // where the committed cursor says, fetching nothing twice.
    let resumed = Device::new(&net);
    let mut cut = SyncConfig::new(&hub.url());
    cut.page_limit = 100;
    cut.max_pages = 3;
    assert_eq!(resumed.sync_with(cut, Utc::now()).alerts_accepted, 300);
    let rest = resumed.sync_with(SyncConfig::new(&hub.url()), Utc::now());
    assert_eq!((rest.alerts_accepted, rest.alerts_duplicate), (700, 0));

    // Lossy: every fault at once; the device converges on exactly the 1,000 alerts.
    let faults = Faults {
        drop_response: 30,
        duplicate_request: 10,
        error_500: 5,
        stall: 2,
        stall_for: Duration::from_millis(900),
    };
    let proxy = FaultProxy::start(&hub.url(), faults, 0xBADC0DE);
    let device = Device::new(&net);
    let mut accepted = 0;
    for round in 0..60 {
        let mut cfg = fast(&proxy.url());
        cfg.page_limit = 50;
        let r = device.sync_with(cfg, Utc::now());
        accepted += r.alerts_accepted;
        if device
            .inbox()
            .history("en", Utc::now(), 5_000)
            .unwrap()
            .len()
            == 1_000
            && r.ok()
        {
            eprintln!("alerts converged after {} rounds", round + 1);
            break;
        }
    }
    let ids: HashSet<String> = device
        .inbox()
        .history("en", Utc::now(), 5_000)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids.len(), 1_000, "none missed");
    assert_eq!(accepted, 1_000, "none stored twice");
}

#[test]
fn hostile_hub_responses_are_refused_and_change_nothing() {
    use axum::routing::get;
    let net = TestNetwork::new("http://127.0.0.1");
    let device = Device::new(&net);
    // Version 2 of the profile is installed; the hostile hub replays version 1.
    let mut v2 = net.profile.clone();
    v2.version = 2;
    device
        .inbox()
        .install_network(&TestNetwork::sign_profile(&v2, &net.root), None)
        .unwrap();
    let replayed = net.profile_bytes();
    let forged_alert = alert_builder("forged", Certainty::Likely, &["US-IL-CHI"])
        .sign(&[&signing_key("e2e/forger")])
        .unwrap();
    let page =
        serde_json::json!({ "alerts": [protocol::b64(&forged_alert)], "next": "1", "more": false })
            .to_string();
    let router = axum::Router::new()
        .route("/v1/network", get(move || async move { replayed.clone() }))
        .route(
            "/v1/watchlist",
            get(|| async {
                "{\"v\":1,\"kind\":\"silbato.watchlist\",\"payload\":\"tru".to_owned()
            }),
        )
        .route("/v1/packs/{id}", get(|| async { "<html>not json</html>" }))
        .route("/v1/alerts", get(move || async move { page.clone() }));
    let hostile = Server::start(router);
    let before = (
        device.inbox().network("chi").unwrap().version,
        device.rights().packs().unwrap().len(),
    );
    let r = device.sync_with(SyncConfig::new(&hostile.url()), Utc::now());
    assert_eq!(
        r.network,
        DocOutcome::Failed,
        "a replayed, older profile is refused"
    );
    assert_eq!(
        r.watchlist,
        DocOutcome::Failed,
        "a truncated document is refused"
    );
    assert!(
        r.packs.iter().all(|(_, o)| *o == DocOutcome::Failed),
        "non-JSON is refused"
    );
    assert_eq!(
        (r.alerts_accepted, r.alerts_rejected),
        (0, 1),
        "a wrongly signed alert is refused"
    );
    assert!(r.failures.iter().any(|f| f.step == "network"));
    assert_eq!(
        (
            device.inbox().network("chi").unwrap().version,
            device.rights().packs().unwrap().len()
        ),
        before
    );
    assert!(
        device
            .inbox()
            .history("en", Utc::now(), 10)
            .unwrap()
            .is_empty()
    );

    // Oversized: refused unread past the limit.
    let huge = vec![b' '; protocol::MAX_ALERTS_PAGE_BYTES + 10];
    let big = Server::start(
        axum::Router::new().route("/v1/alerts", get(move || async move { huge.clone() })),
    );
    let r = device.sync_with(SyncConfig::new(&big.url()), Utc::now());
    assert!(
        r.failures
            .iter()
            .any(|f| f.step == "alerts" && f.error.contains("larger than allowed")),
        "{:?}",
        r.failures
    );
    // Nothing listening: a typed, retryable failure.
    let r = device.sync_with(fast("http://127.0.0.1:9"), Utc::now());
    assert!(r.failures.iter().all(|f| f.retryable));
}

/// Issue 12 item 4: `network remove` also deletes the device's push subscription at that
/// network's hub (signed by its subscription key), so the hub stops pushing to it; a hub another
/// installed network still uses keeps it.
#[test]
fn h12_04_removing_a_network_deletes_its_push_subscription_at_the_hub() {
    // The profile names the hub's real address, so the device's own sync and removal find it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let net = TestNetwork::new(&format!("http://127.0.0.1:{port}"));
    let mut config = net.hub_config();
    config.listen = format!("127.0.0.1:{port}");
    let hub =
        silbato_hub::start(config, Gateways::from_config(&Default::default()).unwrap()).unwrap();
    let receiver = PushReceiver::start();
    let device = Device::new(&net);
    device.inbox().follow_region("US-IL-CHI").unwrap();
    let endpoint = receiver.endpoint("phone");
    device
        .app
        .subscribe_push(PushProvider::Webpush, &endpoint, &[], None)
        .unwrap();
    let confirmation = wait_for_push(&receiver, "phone", 1);
    device
        .inbox()
        .ingest_push(&confirmation, "en", Utc::now())
        .unwrap();
    let synced = device.app.sync(Utc::now()).unwrap();
    let failures: Vec<_> = synced
        .hubs
        .iter()
        .flat_map(|h| h.report.failures.clone())
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    let stored = || {
        let store = silbato_hub::db::open(&net.dir.path().join("hub-data")).unwrap();
        silbato_hub::db::subscription(&store, &endpoint)
            .unwrap()
            .map(|s| s.confirmed)
    };
    assert_eq!(stored(), Some(true), "confirmed at the hub");

    device.app.remove_network(&net.profile.network_id).unwrap();
    assert_eq!(stored(), None, "the hub no longer has the subscription");
    assert!(device.inbox().push_subscription().unwrap().is_none());
    // Nothing more reaches the device from that hub.
    let posted = HubClient::new(SyncConfig::new(&hub.url()))
        .unwrap()
        .publish_alert(
            &alert_builder("after-removal", Certainty::Observed, &["US-IL-CHI"])
                .sign(&[&net.dispatchers[0].signing, &net.dispatchers[1].signing])
                .unwrap(),
        )
        .unwrap();
    assert_eq!(posted.fanout, 0);
}

/// The first `n` pushes the receiver got for `device`, waiting up to 10 s for them.
fn wait_for_push(receiver: &PushReceiver, device: &str, n: usize) -> Vec<u8> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = receiver.for_device(device);
        if got.len() >= n {
            return got[n - 1].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no push {n} for {device}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
