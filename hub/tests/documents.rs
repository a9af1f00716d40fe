//! Signed documents: exact bytes, strong ETags and 304s, re-reading a replaced file, refusing a
//! replacement that does not verify, and refusing to start on a bad document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Fixture, client, error_code, publish};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use silbato_core::crypto::sha256_hex;
use silbato_hub::HubError;
use silbato_testkit::{sign_profile, signing_key};

fn check_document(base: &str, route: &str, file_bytes: &[u8]) -> String {
    let c = client();
    let resp = c.get(format!("{base}{route}")).send().unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{route}");
    assert_eq!(resp.headers()[CONTENT_TYPE], "application/json");
    let etag = resp.headers()[ETAG].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", sha256_hex(file_bytes)), "{route}");
    assert_eq!(
        resp.bytes().unwrap().as_ref(),
        file_bytes,
        "{route}: exact bytes"
    );

    let resp = c
        .get(format!("{base}{route}"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED, "{route}");
    assert_eq!(resp.headers()[ETAG].to_str().unwrap(), etag);
    assert!(
        resp.bytes().unwrap().is_empty(),
        "{route}: a 304 has no body"
    );

    let resp = c
        .get(format!("{base}{route}"))
        .header(IF_NONE_MATCH, "\"0000\", W/\"1111\"")
        .send()
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{route}: another tag is a full answer"
    );
    etag
}

#[test]
fn documents_are_served_exactly_with_etags() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();
    check_document(
        &base,
        "/v1/network",
        &std::fs::read(f.path("network.json")).unwrap(),
    );
    check_document(
        &base,
        "/v1/watchlist",
        &std::fs::read(f.path("watchlist.json")).unwrap(),
    );
    let pack_file = f.path(&format!("packs/{}.json", f.pack_id));
    check_document(
        &base,
        &format!("/v1/packs/{}", f.pack_id),
        &std::fs::read(pack_file).unwrap(),
    );

    let c = client();
    for missing in [
        "/v1/packs/no-such-pack",
        "/v1/packs/..%2Fnetwork",
        "/v1/packs/UPPER",
    ] {
        let (status, code) = error_code(c.get(format!("{base}{missing}")).send().unwrap());
        assert_eq!((status, code.as_str()), (404, "not_found"), "{missing}");
    }
    hub.shutdown();
}

#[test]
fn a_replaced_file_is_served_once_it_verifies() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();
    let v1 = std::fs::read(f.path("network.json")).unwrap();
    let old_tag = check_document(&base, "/v1/network", &v1);

    // A newer profile replaces the file: served at once, with a new tag.
    let v2 = f.net.signed_profile(2);
    publish(&f.path("network.json"), &v2);
    let new_tag = check_document(&base, "/v1/network", &v2);
    assert_ne!(old_tag, new_tag);

    // A tampered replacement does not verify: refused, and v2 stays in service.
    let mut forged = v2.clone();
    let at = forged.len() / 2;
    forged[at] ^= 1;
    publish(&f.path("network.json"), &forged);
    check_document(&base, "/v1/network", &v2);

    // A watch-list signed by a key that is not a publisher of the network: refused.
    let wl = std::fs::read(f.path("watchlist.json")).unwrap();
    publish(
        &f.path("watchlist.json"),
        &f.net.watchlist(2, &f.net.stranger),
    );
    check_document(&base, "/v1/watchlist", &wl);
    let wl2 = f.net.watchlist(2, &f.net.publisher);
    publish(&f.path("watchlist.json"), &wl2);
    check_document(&base, "/v1/watchlist", &wl2);

    // A new pack appears; a pack file removed is withdrawn.
    let (id, pack2) = f.net.pack(2);
    let pack_path = f.path(&format!("packs/{id}.json"));
    publish(&pack_path, &pack2);
    check_document(&base, &format!("/v1/packs/{id}"), &pack2);
    publish(&pack_path, b"{\"not\": \"a pack\"}");
    check_document(&base, &format!("/v1/packs/{id}"), &pack2);
    std::fs::remove_file(&pack_path).unwrap();
    let (status, _) = error_code(
        client()
            .get(format!("{base}/v1/packs/{id}"))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404);
    hub.shutdown();
}

#[test]
fn the_hub_refuses_to_start_on_a_bad_document() {
    let document_error = |f: &Fixture| match silbato_hub::start(
        f.config.clone(),
        silbato_hub::push::Gateways::none(),
    ) {
        Err(HubError::Document { .. }) => {}
        other => panic!("expected a document error, got {other:?}"),
    };

    // A profile signed by a key it does not list as a root.
    let f = Fixture::new();
    let mut p = f.net.profile(1);
    p.root_keys = vec![signing_key("hub-tests/other-root").public_key()];
    let bad = sign_profile(&p, &[&f.net.root]);
    std::fs::write(f.path("network.json"), bad).unwrap();
    document_error(&f);

    // A watch-list not signed by one of the profile's publishers.
    let f = Fixture::new();
    std::fs::write(
        f.path("watchlist.json"),
        f.net.watchlist(1, &f.net.stranger),
    )
    .unwrap();
    document_error(&f);

    // A pack that does not verify, and a pack under the wrong file name.
    let f = Fixture::new();
    std::fs::write(f.path("packs/other.json"), b"{}").unwrap();
    document_error(&f);
    let f = Fixture::new();
    let (id, bytes) = f.net.pack(1);
    std::fs::remove_file(f.path(&format!("packs/{id}.json"))).unwrap();
    std::fs::write(f.path("packs/renamed.json"), bytes).unwrap();
    document_error(&f);

    // A missing profile file.
    let f = Fixture::new();
    std::fs::remove_file(f.path("network.json")).unwrap();
    document_error(&f);
}

#[test]
fn a_configuration_file_resolves_paths_against_its_directory() {
    let f = Fixture::new();
    let toml = "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nnetwork_profile = \"network.json\"\npacks_dir = \"packs\"\nwatchlist = \"watchlist.json\"\n\n[limits]\nrequests_per_minute = 1000\n\n[retention]\ndelivered_reports_days = 7\n";
    std::fs::write(f.path("hub.toml"), toml).unwrap();
    let config = silbato_hub::HubConfig::from_file(&f.path("hub.toml")).unwrap();
    assert_eq!(config.network_profile, f.path("network.json"));
    assert_eq!(config.retention.delivered_reports_days, 7);
    let hub = silbato_hub::start(config, silbato_hub::push::Gateways::none()).unwrap();
    assert!(hub.url().starts_with("http://127.0.0.1:"));
    assert!(f.path("data/hub.db").exists());
    let resp = client()
        .get(format!("{}/v1/network", hub.url()))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    hub.shutdown();
}
