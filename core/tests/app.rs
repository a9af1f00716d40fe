//! The composition root: which hubs a device talks to, and what a sync across them does when a
//! hub cannot be reached. The shared-hub sync against a real hub is in `tests/tests/app.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::Utc;
use silbato_core::app::{App, AppConfig, Hub, push_provider};
use silbato_core::keys::{FileKeyStore, KdfParams};
use silbato_core::protocol::PushProvider;
use silbato_testkit::NetworkBuilder;

fn open(dir: &std::path::Path) -> App {
    let config = AppConfig {
        kdf: KdfParams::FAST_INSECURE,
        vault_idle_timeout: None,
        vault_key_in_platform_store: false,
    };
    App::open(dir, config, Arc::new(FileKeyStore::new(dir))).unwrap()
}

/// A signed profile of network `id` on `hub_url` ("Network `id`", region Chicago, dispatcher Ana,
/// no publisher), with its own root and dispatcher keys (derived from `id`: two installed
/// networks may not share them); returns the bytes and the fingerprint.
fn profile(id: &str, hub_url: &str) -> (Vec<u8>, String) {
    let net = NetworkBuilder::new(id)
        .name(&format!("Network {id}"))
        .hub_url(hub_url)
        .now(Utc::now())
        .dispatchers(1)
        .publishers(0)
        .build();
    (net.envelope, net.profile.fingerprint())
}

fn install(app: &App, id: &str, hub_url: &str, confirmed: bool) -> String {
    let (bytes, fingerprint) = profile(id, hub_url);
    app.inbox()
        .install_network(&bytes, confirmed.then_some(fingerprint.as_str()))
        .unwrap();
    fingerprint
}

#[test]
fn hubs_are_deduplicated_across_networks() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    assert!(app.hubs().unwrap().is_empty());

    install(&app, "alpha", "https://hub.example.org", true);
    // The same hub, spelled as another organizer might.
    install(&app, "beta", "https://HUB.example.org:443/", true);
    let gamma = install(&app, "gamma", "https://other.example.org", false);
    install(&app, "delta", "https://third.example.org", true);

    // One hub for alpha and beta, in the order of the networks (by id); gamma's hub is not there
    // until gamma is confirmed.
    assert_eq!(
        app.hubs().unwrap(),
        vec![
            Hub {
                url: "https://hub.example.org".into(),
                networks: vec!["alpha".into(), "beta".into()],
            },
            Hub {
                url: "https://third.example.org".into(),
                networks: vec!["delta".into()],
            },
        ]
    );

    app.inbox().confirm_network("gamma", &gamma).unwrap();
    let urls: Vec<String> = app.hubs().unwrap().into_iter().map(|h| h.url).collect();
    assert_eq!(
        urls,
        [
            "https://hub.example.org",
            "https://third.example.org",
            "https://other.example.org"
        ]
    );
}

#[test]
fn a_hub_that_cannot_be_reached_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    // Nothing listens on port 1 of this machine: each connection is refused at once.
    install(&app, "alpha", "http://127.0.0.1:1", true);
    install(&app, "beta", "http://127.0.0.1:1/", true);
    install(&app, "gamma", "http://localhost:1", true);

    let outcome = app.sync(Utc::now()).unwrap();
    let synced: Vec<&str> = outcome.hubs.iter().map(|h| h.hub.url.as_str()).collect();
    assert_eq!(synced, ["http://127.0.0.1:1", "http://localhost:1"]);
    for h in &outcome.hubs {
        assert!(!h.report.ok(), "{}", h.hub.url);
        assert!(h.report.requests > 0, "every hub was tried: {}", h.hub.url);
    }
    assert!(!outcome.ok());
    assert!(outcome.retryable(), "an unreachable hub is worth retrying");
    assert_eq!(outcome.alerts_accepted(), 0);
}

#[test]
fn no_confirmed_network_means_no_hub_and_a_named_hub_must_be_a_hub_url() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    install(&app, "alpha", "https://hub.example.org", false);
    let outcome = app.sync(Utc::now()).unwrap();
    assert!(outcome.hubs.is_empty());
    assert!(outcome.ok());
    assert_eq!(outcome.reports_pending(), 0);

    // A URL no client may talk to is refused before anything is sent.
    assert!(matches!(
        app.sync_hub("ftp://hub.example.org", Utc::now()),
        Err(silbato_core::Error::Protocol(
            silbato_core::proto::protocol::ProtocolError::Url
        ))
    ));
}

#[test]
fn push_providers_are_named_in_one_place() {
    assert_eq!(push_provider("webpush").unwrap(), PushProvider::Webpush);
    assert_eq!(push_provider("unifiedpush").unwrap(), PushProvider::Webpush);
    assert_eq!(push_provider("fcm").unwrap(), PushProvider::Fcm);
    assert_eq!(push_provider("apns").unwrap(), PushProvider::Apns);
    assert!(matches!(
        push_provider("FCM"),
        Err(silbato_core::Error::Sync(
            silbato_core::sync::SyncError::UnknownPushProvider
        ))
    ));
}

#[test]
fn lock_and_wipe_are_the_vaults() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    let pass = || silbato_core::keys::Passphrase::new("correct horse battery".into());
    app.vault().init(&pass()).unwrap();
    app.lock();
    assert_eq!(app.vault().state(), silbato_core::vault::VaultState::Locked);
    app.wipe().unwrap();
    assert_eq!(
        app.vault().state(),
        silbato_core::vault::VaultState::NotInitialized
    );
    assert!(!dir.path().join(silbato_core::vault::VAULT_KEYS).exists());
    assert!(!dir.path().join(silbato_core::vault::VAULT_DB).exists());
    // The cards still work.
    assert!(!app.rights().list_cards("en", None).unwrap().is_empty());
}
