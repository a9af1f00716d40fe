//! A resident on first launch with no network: the library opens from the bundled content, a
//! Spanish search without accents finds the door card, the card reads in Spanish, and the text to
//! show an agent is there. Then an organizer's update, built from the same content tree, arrives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use silbato_core::crypto::SigningKey;
use silbato_core::rights::{RightsLibrary, SearchOptions, sign_pack};

#[test]
fn resident_reads_a_card_offline_then_receives_an_update() {
    let data = tempfile::tempdir().unwrap();
    let (lib, report) = RightsLibrary::open(data.path()).unwrap();
    assert!(report.bundled_installed.is_some());

    let hits = lib
        .search(
            "tocan puerta",
            &SearchOptions {
                lang: Some("es".into()),
                limit: 5,
            },
        )
        .unwrap();
    let first = hits.first().expect("a hit");
    assert_eq!(first.card_id, "someone-at-your-door");
    let card = lib.card(&first.card_id, "es").unwrap();
    assert_eq!(card.lang, "es");
    assert!(!card.say.is_empty());
    assert!(card.show_agent.contains("Fifth Amendment"));

    // The organizer builds version 2 from the repository's content tree and signs it.
    let mut payload =
        silbato_content::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../content"))
            .unwrap();
    let bundled_version = RightsLibrary::bundled_pack().unwrap().version;
    payload.version = bundled_version + 1;
    let key = SigningKey::generate().unwrap();
    let file = sign_pack(&payload, &key).unwrap();
    lib.add_publisher(&key.public_key(), "Silbato").unwrap();
    // Only the bundled pack's owner replaces it: the user confirmed this key for its id.
    lib.confirm_pack_owner(
        &key.public_key(),
        &payload.pack_id,
        &key.public_key().fingerprint(),
    )
    .unwrap();
    let installed = lib.install_pack(&file).unwrap();
    assert_eq!(installed.previous_version, Some(bundled_version));

    // Reopening (an app restart) keeps the newer pack rather than the bundled one.
    drop(lib);
    let (lib, report) = RightsLibrary::open(data.path()).unwrap();
    assert_eq!(report.bundled_installed, None);
    assert_eq!(lib.packs().unwrap()[0].version, bundled_version + 1);
}
