//! Issue 12, items 7, 8 and part of 14, through the core's public API: only the bundled pack's
//! owner (by key, never by name) replaces it; an empty watch-list does not silently replace a full
//! one, and a check with no list installed says so; an unknown category or region is an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use silbato_core::crypto::PublicKey;
use silbato_core::error::RightsError;
use silbato_core::rights::{RightsLibrary, SearchOptions, sign_pack};
use silbato_core::watchlist::{
    WatchEntry, WatchlistError, WatchlistPayload, Watchlists, sign_watchlist, sign_watchlist_with,
};
use silbato_core::{Error, envelope::Envelope};
use silbato_testkit::signing_key;

const BUNDLED_ID: &str = "silbato-kyr-us";

fn red_card(lib: &RightsLibrary) -> String {
    let c = lib.card("red-card", "en").unwrap();
    format!("{}|{}|{}", c.title, c.summary, c.show_agent)
}

/// The bundled pack, one version newer, with the red card's agent text replaced by `text`.
fn forged_bundled(text: &str, bump: u64) -> silbato_content::PackPayload {
    let mut p = RightsLibrary::bundled_pack().unwrap();
    p.version += bump;
    for card in &mut p.cards {
        if card.id == "red-card" {
            for t in card.texts.values_mut() {
                t.show_agent = text.to_owned();
            }
        }
    }
    p
}

fn is_bundled_owner_refusal(r: &Result<silbato_core::rights::InstallReport, Error>) -> bool {
    matches!(r, Err(Error::Rights(RightsError::BundledPackOwner)))
}

#[test]
fn h12_07_bundled_pack_needs_its_owner() {
    let dir = tempfile::tempdir().unwrap();
    let owner = signing_key("h12/bundled-owner");
    let (lib, _) =
        RightsLibrary::open_with_bundled_owner(dir.path(), Some(owner.public_key())).unwrap();
    assert_eq!(lib.bundled_pack_id(), BUNDLED_ID);
    let original = red_card(&lib);

    // A publisher trusted by hand, calling itself "silbato" (the bundled publisher's name):
    // its pack with the bundled id is refused, by key, whatever name it declares.
    let rival = signing_key("h12/rival");
    lib.add_publisher(&rival.public_key(), "silbato").unwrap();
    let forged = forged_bundled("Open the door.", 1);
    assert_eq!(
        forged.publisher, "silbato",
        "the forgery claims the bundled name"
    );
    let r = lib.install_pack(&sign_pack(&forged, &rival).unwrap());
    assert!(is_bundled_owner_refusal(&r), "{r:?}");
    assert_eq!(
        r.unwrap_err().code(),
        "rights.bundled_pack_owner",
        "a stable code"
    );
    // Nor through a network profile's publisher keys.
    let net = signing_key("h12/network-publisher");
    let extra: HashSet<PublicKey> = [net.public_key()].into_iter().collect();
    let r = lib.install_pack_trusting(&sign_pack(&forged, &net).unwrap(), &extra);
    assert!(is_bundled_owner_refusal(&r), "{r:?}");
    // A key confirmed for another pack id does not count for the bundled one.
    let other = signing_key("h12/other-pack-owner");
    lib.confirm_pack_owner(
        &other.public_key(),
        "other-pack",
        &other.public_key().fingerprint(),
    )
    .unwrap();
    let r = lib.install_pack(&sign_pack(&forged, &other).unwrap());
    assert!(is_bundled_owner_refusal(&r), "{r:?}");
    assert_eq!(red_card(&lib), original, "the red card is unchanged");

    // Signed by the bundled publisher's key (not even added as a publisher): accepted.
    let update = forged_bundled("Owner's update v+1.", 1);
    let report = lib
        .install_pack(&sign_pack(&update, &owner).unwrap())
        .unwrap();
    assert_eq!(report.signer, owner.public_key().to_string());
    assert!(red_card(&lib).contains("Owner's update v+1."));

    // A key the user confirmed for the bundled id by fingerprint: a wrong fingerprint is refused,
    // the right one (spacing and case free) lets its pack in.
    let confirmed = signing_key("h12/confirmed");
    assert!(matches!(
        lib.confirm_pack_owner(
            &confirmed.public_key(),
            BUNDLED_ID,
            &rival.public_key().fingerprint()
        ),
        Err(Error::Rights(RightsError::FingerprintMismatch))
    ));
    assert!(matches!(
        lib.confirm_pack_owner(
            &confirmed.public_key(),
            "Not An Id",
            &confirmed.public_key().fingerprint()
        ),
        Err(Error::Rights(RightsError::PackId))
    ));
    let r = lib.install_pack(&sign_pack(&forged_bundled("Confirmed v+2.", 2), &confirmed).unwrap());
    assert!(r.is_err(), "not confirmed yet: {r:?}");
    let fp = confirmed
        .public_key()
        .fingerprint()
        .to_uppercase()
        .replace(' ', "");
    lib.confirm_pack_owner(&confirmed.public_key(), BUNDLED_ID, &fp)
        .unwrap();
    assert_eq!(lib.pack_owners().unwrap().len(), 2);
    lib.install_pack(&sign_pack(&forged_bundled("Confirmed v+2.", 2), &confirmed).unwrap())
        .unwrap();
    assert!(red_card(&lib).contains("Confirmed v+2."));
    // The rival still cannot, even with a higher version.
    let r = lib.install_pack(&sign_pack(&forged_bundled("Open the door.", 9), &rival).unwrap());
    assert!(is_bundled_owner_refusal(&r), "{r:?}");

    // An app restart keeps the confirmed owner's newer pack.
    drop(lib);
    let (lib, report) =
        RightsLibrary::open_with_bundled_owner(dir.path(), Some(owner.public_key())).unwrap();
    assert_eq!(report.bundled_installed, None);
    assert!(red_card(&lib).contains("Confirmed v+2."));
}

#[test]
fn h12_07_a_takeover_by_an_older_build_is_undone_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let (lib, _) = RightsLibrary::open(dir.path()).unwrap();
    let original = red_card(&lib);
    // What an older build allowed: a hand-trusted key with the bundled publisher's name replaced
    // the bundled pack. Written as that build left it.
    let rival = signing_key("h12/rival");
    lib.store()
        .write(|tx| {
            tx.execute(
                "UPDATE packs SET signer = ?1, bundled = 0, version = 999 WHERE pack_id = ?2",
                rusqlite::params![rival.public_key().to_string(), BUNDLED_ID],
            )?;
            tx.execute(
                "UPDATE card_texts SET show_agent = 'Open the door.' WHERE card_id = 'red-card'",
                [],
            )?;
            Ok::<_, Error>(())
        })
        .unwrap();
    assert_ne!(red_card(&lib), original);
    drop(lib);
    let (lib, report) = RightsLibrary::open(dir.path()).unwrap();
    assert!(report.bundled_installed.is_some());
    assert_eq!(red_card(&lib), original, "the bundled red card is back");
}

#[test]
fn h12_07_rights_db_migrates_from_version_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rights.db");
    const V1: silbato_store::StoreSpec = silbato_store::StoreSpec {
        name: "rights",
        migrations: &[silbato_store::Migration {
            version: 1,
            name: "001_init",
            sql: include_str!("../migrations/rights/001_init.sql"),
        }],
        full_sync: false,
        secure_delete: false,
        check_on_open: true,
    };
    let publisher = signing_key("h12/v1-publisher");
    {
        let v1 = silbato_core::store::Store::open(&path, V1).unwrap();
        v1.write(|tx| {
            tx.execute(
                "INSERT INTO publishers (public_key, name, added_at) VALUES (?1, 'Chicago', 1)",
                [publisher.public_key().to_string()],
            )?;
            Ok(())
        })
        .unwrap();
        assert_eq!(v1.schema_version().unwrap(), 1);
    }
    let (lib, report) = RightsLibrary::open(dir.path()).unwrap();
    assert!(!report.rebuilt, "migrated, not rebuilt");
    assert_eq!(lib.store().schema_version().unwrap(), 2);
    // The v1 data is still there and still counts.
    let pubs = lib.publishers().unwrap();
    assert_eq!(pubs.len(), 1);
    assert_eq!(pubs[0].name, "Chicago");
    lib.install_pack(&sign_pack(&common::pack("chi-kyr", 1, 3, 1), &publisher).unwrap())
        .unwrap();
    // And the new table works.
    let k = signing_key("h12/owner");
    lib.confirm_pack_owner(&k.public_key(), "chi-kyr", &k.public_key().fingerprint())
        .unwrap();
    assert_eq!(lib.pack_owners().unwrap()[0].pack_id, "chi-kyr");
}

fn list(entries: Vec<WatchEntry>, version: u64) -> WatchlistPayload {
    WatchlistPayload {
        format: 1,
        publisher: "net".into(),
        list_id: "plates".into(),
        version,
        issued: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        entries,
    }
}

fn entry(plate: &str) -> WatchEntry {
    WatchEntry {
        plate: plate.into(),
        state: Some("IL".into()),
        description: Some("grey SUV".into()),
        last_seen: None,
    }
}

#[test]
fn h12_08_no_watchlist_is_not_no_match() {
    let dir = tempfile::tempdir().unwrap();
    let lists = Watchlists::open(dir.path()).unwrap();
    let e = lists.check_installed("ABC1234", None).unwrap_err();
    assert!(
        matches!(e, Error::Watchlist(WatchlistError::NoneInstalled)),
        "{e:?}"
    );
    assert_eq!(e.code(), "watchlist.none_installed");
    assert!(!e.to_string().contains("ABC"), "the plate is not echoed");
    // A malformed plate is still a plate error first.
    assert!(matches!(
        lists.check_installed("!!", None),
        Err(Error::Plate(_))
    ));
    // Logging a sighting checks with `check`, which stays quiet when no list is installed.
    assert!(lists.check("ABC1234", None).unwrap().is_empty());
    // Once a list (even an empty one) is installed, an empty answer means no match.
    let key = signing_key("h12/watch-publisher");
    let trusted: HashSet<PublicKey> = [key.public_key()].into_iter().collect();
    lists
        .install(
            &sign_watchlist(list(vec![entry("ABC1234")], 1), &key).unwrap(),
            &trusted,
        )
        .unwrap();
    assert_eq!(lists.check_installed("ABC1234", None).unwrap().len(), 1);
    assert!(lists.check_installed("QQQ999", None).unwrap().is_empty());
}

#[test]
fn h12_08_empty_list_replaces_a_full_one_only_when_both_sides_allow_it() {
    let dir = tempfile::tempdir().unwrap();
    let lists = Watchlists::open(dir.path()).unwrap();
    let key = signing_key("h12/watch-publisher");
    let trusted: HashSet<PublicKey> = [key.public_key()].into_iter().collect();
    lists
        .install(
            &sign_watchlist(list(vec![entry("ABC1234")], 1), &key).unwrap(),
            &trusted,
        )
        .unwrap();
    let before = lists.fingerprint().unwrap();

    // The flag is in the signed document only when set; a list without it is unchanged bytes.
    let plain = sign_watchlist(list(vec![], 2), &key).unwrap();
    let flagged = sign_watchlist_with(list(vec![], 3), &key, true).unwrap();
    let payload = |b: &[u8]| {
        String::from_utf8(
            Envelope::parse(
                b,
                silbato_core::DocKind::Envelope,
                "silbato.watchlist",
                1 << 20,
            )
            .unwrap()
            .payload,
        )
        .unwrap()
    };
    assert!(!payload(&plain).contains("allow_empty"));
    assert!(payload(&flagged).contains("\"allow_empty\":true"));

    let refused = |r: Result<_, Error>| {
        matches!(
            r,
            Err(Error::Watchlist(WatchlistError::EmptyReplacesEntries))
        )
    };
    // Built without the flag: refused, installed either way.
    assert!(refused(lists.install(&plain, &trusted)));
    assert!(refused(lists.install_allowing_empty(&plain, &trusted)));
    // Built with it but installed without it: refused.
    assert!(refused(lists.install(&flagged, &trusted)));
    assert_eq!(lists.fingerprint().unwrap(), before, "nothing changed");
    assert_eq!(lists.check_installed("ABC1234", None).unwrap().len(), 1);
    // Both: the list is emptied on purpose.
    let info = lists.install_allowing_empty(&flagged, &trusted).unwrap();
    assert_eq!((info.version, info.entries), (3, 0));
    assert!(lists.check_installed("ABC1234", None).unwrap().is_empty());
    // An empty list replacing an empty one, or a first install, needs no flag.
    lists
        .install(&sign_watchlist(list(vec![], 4), &key).unwrap(), &trusted)
        .unwrap();
}

#[test]
fn h12_14_unknown_category_or_region_is_an_error_not_no_results() {
    let dir = tempfile::tempdir().unwrap();
    let (lib, _) = RightsLibrary::open(dir.path()).unwrap();
    let secret = "zz-my-secret-category";
    let e = lib.list_cards("en", Some(secret)).unwrap_err();
    match &e {
        Error::Rights(RightsError::UnknownCategory { known }) => {
            assert!(known.iter().any(|k| k == "home"), "{known:?}");
        }
        other => panic!("expected UnknownCategory, got {other:?}"),
    }
    assert_eq!(e.code(), "rights.unknown_category");
    assert!(!e.to_string().contains(secret), "user input is not echoed");
    assert!(e.to_string().contains("home"));
    // Known categories still list, in any case and spacing.
    assert!(!lib.list_cards("en", Some(" Home ")).unwrap().is_empty());

    let opts = SearchOptions {
        lang: None,
        limit: 20,
    };
    assert!(matches!(
        lib.search_in_category("door", &opts, secret),
        Err(Error::Rights(RightsError::UnknownCategory { .. }))
    ));
    let hits = lib.search_in_category("door", &opts, "home").unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h.category == "home"));

    let e = lib.hotlines(Some("ZZ-SECRET")).unwrap_err();
    match &e {
        Error::Rights(RightsError::UnknownRegion { known }) => {
            assert!(known.iter().any(|k| k == "US"), "{known:?}");
        }
        other => panic!("expected UnknownRegion, got {other:?}"),
    }
    assert_eq!(e.code(), "rights.unknown_region");
    assert!(!e.to_string().contains("SECRET"));
    // A sub-region with no line of its own still gets the national ones.
    assert!(!lib.hotlines(Some("US-TX")).unwrap().is_empty());
}
