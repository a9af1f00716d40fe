//! The know-your-rights library through its public API: bundled content, signed installs and
//! every way an install is refused, search, fallback, and rebuilding a damaged file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use proptest::prelude::*;
use silbato_core::crypto::SigningKey;
use silbato_core::rights::{RightsLibrary, SearchOptions, sign_pack};
use silbato_core::{DocKind, Error};

fn open(dir: &Path) -> RightsLibrary {
    RightsLibrary::open(dir).unwrap().0
}

fn search(lib: &RightsLibrary, q: &str, lang: Option<&str>) -> Vec<String> {
    lib.search(
        q,
        &SearchOptions {
            lang: lang.map(Into::into),
            limit: 20,
        },
    )
    .unwrap()
    .into_iter()
    .map(|h| format!("{}:{}", h.card_id, h.lang))
    .collect()
}

/// Everything a user can see, to prove a refused install changed nothing.
fn visible_state(lib: &RightsLibrary) -> String {
    let packs: Vec<_> = lib
        .packs()
        .unwrap()
        .into_iter()
        .map(|p| (p.pack_id, p.version, p.payload_sha256))
        .collect();
    let cards: Vec<_> = lib
        .list_cards("en", None)
        .unwrap()
        .into_iter()
        .map(|c| (c.pack_id, c.id, c.title))
        .collect();
    let hits = search(lib, "door", None);
    format!("{packs:?}{cards:?}{hits:?}")
}

fn trusted_lib() -> (tempfile::TempDir, RightsLibrary, SigningKey) {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    let key = SigningKey::generate().unwrap();
    lib.add_publisher(&key.public_key(), "Test network")
        .unwrap();
    (dir, lib, key)
}

#[test]
fn first_launch_has_the_bundled_cards_in_english_and_spanish() {
    let dir = tempfile::tempdir().unwrap();
    let (lib, report) = RightsLibrary::open(dir.path()).unwrap();
    assert!(!report.rebuilt);
    assert!(report.bundled_installed.is_some());
    let en = lib.list_cards("en", None).unwrap();
    let es = lib.list_cards("es", None).unwrap();
    assert!(en.len() >= 10);
    assert_eq!(en.len(), es.len());
    assert!(
        es.iter().all(|c| c.lang == "es" && !c.fallback),
        "Spanish is complete"
    );
    let card = lib.card("warrants", "es").unwrap();
    assert!(card.body_markdown.contains("I-205"));
    assert!(!card.sources.is_empty());
    assert!(
        lib.language("es")
            .unwrap()
            .disclaimer
            .to_lowercase()
            .contains("asesoría legal")
    );
    // Reopening does not reinstall.
    let (_, again) = RightsLibrary::open(dir.path()).unwrap();
    assert_eq!(again.bundled_installed, None);
}

#[test]
fn accent_folded_and_prefix_search_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    let folded = search(&lib, "policia", Some("es"));
    let accented = search(&lib, "policía", Some("es"));
    assert!(!folded.is_empty());
    assert_eq!(folded, accented, "accents are optional");
    assert!(folded.iter().all(|h| h.ends_with(":es")));
    assert!(
        search(&lib, "abog", Some("es"))
            .iter()
            .any(|h| h.starts_with("if-you-are-detained"))
    );
    assert!(
        search(&lib, "warr", Some("en"))
            .iter()
            .any(|h| h.starts_with("warrants:en"))
    );
    assert!(
        search(&lib, "I-205", None)
            .iter()
            .any(|h| h.starts_with("warrants"))
    );
    // Uppercase and mixed accents in the query.
    assert!(!search(&lib, "INMIGRACIÓN", Some("es")).is_empty());
    // No language: every language is searched, one hit per card.
    let all = search(&lib, "puerta", None);
    assert!(all.iter().any(|h| h.ends_with(":es")));
    let hits = lib
        .search(
            "door",
            &SearchOptions {
                lang: None,
                limit: 50,
            },
        )
        .unwrap();
    let mut ids: Vec<_> = hits.iter().map(|h| (&h.pack_id, &h.card_id)).collect();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert!(hits.iter().any(|h| h.snippet.iter().any(|p| p.highlight)));
}

#[test]
fn fallback_to_english_for_untranslated_cards() {
    let (_d, lib, key) = trusted_lib();
    // Every third card has Spanish; the rest only English.
    lib.install_pack(&sign_pack(&common::pack("partial", 1, 9, 3), &key).unwrap())
        .unwrap();
    let cards: Vec<_> = lib.list_cards("es", Some("general")).unwrap();
    assert_eq!(cards.len(), 9);
    assert_eq!(cards.iter().filter(|c| c.lang == "es").count(), 3);
    assert!(cards.iter().filter(|c| c.lang == "en").all(|c| c.fallback));
    let view = lib.card("card-1", "es").unwrap();
    assert!(view.fallback && view.lang == "en");
    // A language nobody wrote falls back to English too.
    assert_eq!(lib.card("card-0", "ht").unwrap().lang, "en");
    // Searching in Spanish finds English text of untranslated cards, not of translated ones.
    let hits = lib
        .search(
            "Card",
            &SearchOptions {
                lang: Some("es".into()),
                limit: 50,
            },
        )
        .unwrap();
    let partial: Vec<_> = hits.iter().filter(|h| h.pack_id == "partial").collect();
    assert_eq!(partial.len(), 6);
    assert!(partial.iter().all(|h| h.lang == "en"));
}

#[test]
fn install_update_and_refusals() {
    let (_d, lib, key) = trusted_lib();
    let v1 = sign_pack(&common::pack("net", 1, 5, 1), &key).unwrap();
    let report = lib.install_pack(&v1).unwrap();
    assert_eq!(
        (report.version, report.previous_version, report.cards),
        (1, None, 5)
    );
    let v2 = sign_pack(&common::pack("net", 2, 6, 1), &key).unwrap();
    assert_eq!(lib.install_pack(&v2).unwrap().previous_version, Some(1));
    assert_eq!(lib.list_cards("en", Some("general")).unwrap().len(), 6);

    let before = visible_state(&lib);
    // Rollback: an older or equal version.
    for old in [&v1, &v2] {
        match lib.install_pack(old) {
            Err(Error::Rollback { installed: 2, .. }) => {}
            other => panic!("expected Rollback, got {other:?}"),
        }
    }
    // A key this device does not trust.
    let stranger = SigningKey::generate().unwrap();
    let foreign = sign_pack(&common::pack("net", 3, 5, 1), &stranger).unwrap();
    assert!(matches!(
        lib.install_pack(&foreign),
        Err(Error::UntrustedKey {
            what: DocKind::Pack
        })
    ));
    // Another trusted publisher cannot take over this pack id by bumping the version.
    let rival = SigningKey::generate().unwrap();
    lib.add_publisher(&rival.public_key(), "Another network")
        .unwrap();
    let takeover = sign_pack(&common::pack("net", 9, 1, 1), &rival).unwrap();
    assert!(matches!(
        lib.install_pack(&takeover),
        Err(Error::UntrustedKey { .. })
    ));
    // Nor the bundled pack, which belongs to its publisher's key (not its name).
    let mut fake = common::pack("silbato-kyr-us", 99, 1, 1);
    fake.publisher = "someone-else".into();
    assert!(matches!(
        lib.install_pack(&sign_pack(&fake, &rival).unwrap()),
        Err(Error::Rights(
            silbato_core::error::RightsError::BundledPackOwner
        ))
    ));
    // A pack in a format from the future says so.
    let future =
        silbato_core::envelope::seal("silbato.pack", br#"{"format":2,"new_field":true}"#, &[&key])
            .unwrap();
    assert!(matches!(
        lib.install_pack(&future),
        Err(Error::UnsupportedFormat { found: 2, .. })
    ));
    // Truncated anywhere.
    let v3 = sign_pack(&common::pack("net", 3, 5, 1), &key).unwrap();
    for cut in [0, 1, 10, v3.len() / 3, v3.len() / 2, v3.len() - 2] {
        match lib.install_pack(&v3[..cut]) {
            Err(Error::Truncated { .. } | Error::Malformed { .. }) => {}
            other => panic!("cut at {cut}: expected Truncated, got {other:?}"),
        }
    }
    // Removing the publisher withdraws trust for new packs.
    lib.remove_publisher(&key.public_key()).unwrap();
    assert!(matches!(
        lib.install_pack(&v3),
        Err(Error::UntrustedKey { .. })
    ));
    assert!(matches!(
        lib.remove_publisher(&key.public_key()),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        visible_state(&lib),
        before,
        "refused installs change nothing"
    );
}

#[test]
fn a_flipped_bit_anywhere_is_refused_and_changes_nothing() {
    let (_d, lib, key) = trusted_lib();
    lib.install_pack(&sign_pack(&common::pack("net", 1, 3, 1), &key).unwrap())
        .unwrap();
    let before = visible_state(&lib);
    let good = sign_pack(&common::pack("net", 2, 3, 1), &key).unwrap();
    // Every byte position, one bit each (cycling through the eight bits).
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 1 << (i % 8);
        match lib.install_pack(&bad) {
            Err(
                Error::BadSignature { .. }
                | Error::UntrustedKey { .. }
                | Error::Malformed { .. }
                | Error::Truncated { .. },
            ) => {}
            // Flipping a bit of JSON whitespace can leave an equivalent document (e.g. ' ' to '!'
            // breaks it, but '\n' to '\v'... is also rejected); anything accepted must be identical.
            Ok(report) => panic!("byte {i}: a modified pack was installed: {report:?}"),
            Err(other) => panic!("byte {i}: unexpected error {other:?}"),
        }
    }
    assert_eq!(visible_state(&lib), before);
    lib.install_pack(&good).unwrap();
}

#[test]
fn a_damaged_rights_db_is_rebuilt_from_the_bundled_pack() {
    let dir = tempfile::tempdir().unwrap();
    let count = open(dir.path()).list_cards("en", None).unwrap().len();
    let path = dir.path().join("rights.db");
    // Overwrite the header and some pages.
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().take(4096) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    assert!(
        !dir.path().join("rights.db-wal").exists(),
        "closing checkpointed the WAL"
    );
    let (lib, report) = RightsLibrary::open(dir.path()).unwrap();
    assert!(report.rebuilt);
    assert_eq!(lib.list_cards("en", None).unwrap().len(), count);

    // A file that is not a database at all.
    drop(lib);
    std::fs::write(&path, b"not a database").unwrap();
    let (lib, report) = RightsLibrary::open(dir.path()).unwrap();
    assert!(report.rebuilt);
    assert!(!search(&lib, "warrant", None).is_empty());
}

#[test]
fn hotlines_for_a_region_include_national_lines() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    let all = lib.hotlines(None).unwrap();
    assert!(!all.is_empty());
    assert!(
        all.iter().all(|h| h.source.is_some()),
        "every number cites a source"
    );
    let il = lib.hotlines(Some("us-il")).unwrap();
    assert!(il.iter().any(|h| h.region == "US-IL"));
    assert_eq!(il.first().map(|h| h.region.as_str()), Some("US-IL"));
    assert!(
        il.iter()
            .all(|h| h.region == "US" || h.region.starts_with("US-IL"))
    );
}

#[test]
fn unknown_card_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    assert!(matches!(
        lib.card("nope", "en"),
        Err(Error::NotFound {
            what: silbato_core::error::Missing::Card
        })
    ));
    assert!(lib.card("silbato-kyr-us/warrants", "en").is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Whatever a user types, search returns a list — never an error, never a panic.
    #[test]
    fn hostile_queries_never_fail(
        q in prop_oneof![
            "\\PC{0,200}",
            proptest::collection::vec(prop_oneof![
                Just("\"".to_owned()), Just("*".to_owned()), Just("NEAR(".to_owned()), Just("AND".to_owned()),
                Just("OR".to_owned()), Just("NOT".to_owned()), Just("(".to_owned()), Just(")".to_owned()),
                Just("^".to_owned()), Just(":".to_owned()), Just("-".to_owned()), Just("+".to_owned()),
                Just("🚨".to_owned()), Just("שלום".to_owned()), Just("مرحبا".to_owned()), Just("\u{202e}".to_owned()),
                Just("policía".to_owned()), Just("title:".to_owned()), Just("{title}".to_owned()), "[a-z]{1,8}",
            ], 0..30).prop_map(|v| v.join(" ")),
        ]
    ) {
        let lib = LIB.with(|l| l.clone());
        let any = SearchOptions { lang: None, limit: 10 };
        let es = SearchOptions { lang: Some("es".into()), limit: 10 };
        prop_assert!(lib.search(&q, &any).is_ok());
        prop_assert!(lib.search(&q, &es).is_ok());
    }
}

thread_local! {
    static LIB: std::rc::Rc<RightsLibrary> = {
        let dir = tempfile::tempdir().unwrap().keep();
        std::rc::Rc::new(open(&dir))
    };
}

#[test]
fn very_long_and_special_queries() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    for q in [
        "x".repeat(10_000),
        "door ".repeat(2_000),
        "\"unbalanced".into(),
        "((((".into(),
        "NEAR(door warrant, 2)".into(),
        "door* AND NOT warrant OR".into(),
        "🚨🚨🚨".into(),
        "\u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{202e}abc".into(),
        String::new(),
    ] {
        assert!(
            lib.search(
                &q,
                &SearchOptions {
                    lang: None,
                    limit: 10
                }
            )
            .is_ok()
        );
    }
    assert!(
        !search(&lib, "door AND", None).is_empty(),
        "operators are words, not syntax"
    );
}

#[test]
fn only_a_key_confirmed_for_the_bundled_pack_can_replace_it() {
    use silbato_core::error::RightsError;
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    let bundled = RightsLibrary::bundled_pack().unwrap();
    let network_key = SigningKey::generate().unwrap();
    let mut update = bundled.clone();
    update.version += 1;
    let file = sign_pack(&update, &network_key).unwrap();
    // Trusted only through a network profile (the `extra` keys): refused for the bundled pack.
    let extra = [network_key.public_key()].into_iter().collect();
    assert!(matches!(
        lib.install_pack_trusting(&file, &extra),
        Err(Error::Rights(RightsError::BundledPackOwner))
    ));
    // Trusted by hand as a publisher, under the bundled publisher's name: still refused.
    lib.add_publisher(&network_key.public_key(), "silbato")
        .unwrap();
    assert!(matches!(
        lib.install_pack(&file),
        Err(Error::Rights(RightsError::BundledPackOwner))
    ));
    // Confirmed for this pack id by fingerprint: accepted.
    lib.confirm_pack_owner(
        &network_key.public_key(),
        &bundled.pack_id,
        &network_key.public_key().fingerprint(),
    )
    .unwrap();
    assert!(lib.install_pack(&file).is_ok());
}
