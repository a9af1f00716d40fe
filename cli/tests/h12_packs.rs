//! Issue 12, items 7, 8 and part of 14, through the real `silbato` binary: only the bundled pack's
//! owner replaces it (`publishers trust ... --for-pack ... --fingerprint ...`); `plates check`
//! with no watch-list says so, and an empty list replaces a full one only with `--allow-empty` on
//! both `watchlist build` and `watchlist install`; an unknown category or region is an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::silbato;
use silbato_core::crypto::SigningKey;
use silbato_core::rights::{RightsLibrary, sign_pack};

const BUNDLED_ID: &str = "silbato-kyr-us";

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn generate_key(data: &Path, out: &Path) -> String {
    let run = silbato(data, &["keys", "generate", "--out", p(out)]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    run.stdout().trim().to_owned()
}

fn fingerprint(data: &Path, key: &Path) -> String {
    silbato(data, &["keys", "public", p(key), "--json"]).json()["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn red_card(data: &Path) -> String {
    let run = silbato(data, &["rights", "card", "red-card"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    run.stdout()
}

#[test]
fn h12_07_bundled_pack_needs_its_owner_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let before = red_card(&data);

    // A publisher trusted by hand, declaring the bundled publisher's own name.
    let key_file = dir.path().join("rival.key");
    let pubkey = generate_key(&data, &key_file);
    assert_eq!(
        silbato(&data, &["publishers", "add", &pubkey, "--name", "silbato"]).code(),
        0
    );
    let mut forged = RightsLibrary::bundled_pack().unwrap();
    assert_eq!(forged.pack_id, BUNDLED_ID);
    forged.version += 1;
    for card in &mut forged.cards {
        if card.id == "red-card" {
            for t in card.texts.values_mut() {
                t.show_agent = "Please come in and search everything.".into();
            }
        }
    }
    let key = SigningKey::from_key_file(&std::fs::read(&key_file).unwrap()).unwrap();
    let pack = dir.path().join("forged.json");
    std::fs::write(&pack, sign_pack(&forged, &key).unwrap()).unwrap();

    let refused = silbato(&data, &["rights", "install", p(&pack)]);
    assert_eq!(refused.code(), 1);
    assert!(
        refused.stderr().contains("bundled pack"),
        "{}",
        refused.stderr()
    );
    assert_eq!(red_card(&data), before, "the red card is unchanged");

    // Confirming the key for the pack id: a wrong fingerprint is refused...
    let fp = fingerprint(&data, &key_file);
    let wrong = silbato(
        &data,
        &[
            "publishers",
            "trust",
            &pubkey,
            "--for-pack",
            BUNDLED_ID,
            "--fingerprint",
            "0000 0000 0000 0000 0000",
        ],
    );
    assert_eq!(wrong.code(), 1);
    assert!(wrong.stderr().contains("fingerprint does not match"));
    // ...a pack file for another id is refused...
    let other = silbato(
        &data,
        &[
            "publishers",
            "trust",
            p(&pack),
            "--for-pack",
            "another-pack",
            "--fingerprint",
            &fp,
        ],
    );
    assert_eq!(other.code(), 1);
    assert!(
        other.stderr().contains("another pack id"),
        "{}",
        other.stderr()
    );
    assert_eq!(red_card(&data), before);
    // ...and the right one, taken from the pack file's signer, is accepted.
    let trust = silbato(
        &data,
        &[
            "publishers",
            "trust",
            p(&pack),
            "--for-pack",
            BUNDLED_ID,
            "--fingerprint",
            &fp,
        ],
    );
    assert_eq!(trust.code(), 0, "{}", trust.stderr());
    assert!(trust.stdout().contains(BUNDLED_ID));

    let installed = silbato(&data, &["rights", "install", p(&pack)]);
    assert_eq!(installed.code(), 0, "{}", installed.stderr());
    assert!(red_card(&data).contains("Please come in"));
}

fn build(
    data: &Path,
    csv: &Path,
    key: &Path,
    out: &Path,
    version: &str,
    extra: &[&str],
) -> common::Run {
    let mut args = vec![
        "watchlist",
        "build",
        p(csv),
        "--key",
        p(key),
        "--out",
        p(out),
        "--version",
        version,
    ];
    args.extend_from_slice(extra);
    silbato(data, &args)
}

#[test]
fn h12_08_watchlists_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    // Nothing installed: not "no match", an error that says what is missing.
    let none = silbato(&data, &["plates", "check", "ABC1234"]);
    assert_eq!(none.code(), 1);
    assert!(
        none.stderr().contains("no watch-list is installed"),
        "{}",
        none.stderr()
    );
    assert!(!none.stdout().contains("No match"));
    assert!(!none.stderr().contains("ABC"), "the plate is not echoed");
    let json = silbato(&data, &["plates", "check", "ABC1234", "--json"]);
    assert_eq!(json.code(), 1);
    assert!(json.stderr().contains("no watch-list is installed"));

    let key = dir.path().join("org.key");
    let pubkey = generate_key(&data, &key);
    assert_eq!(
        silbato(&data, &["publishers", "add", &pubkey, "--name", "Net"]).code(),
        0
    );
    let full_csv = dir.path().join("full.csv");
    std::fs::write(
        &full_csv,
        "plate,state,description,last_seen\nABC1234,IL,grey SUV,\n",
    )
    .unwrap();
    let empty_csv = dir.path().join("empty.csv");
    std::fs::write(&empty_csv, "plate,state,description,last_seen\n").unwrap();

    let full = dir.path().join("full.json");
    assert_eq!(build(&data, &full_csv, &key, &full, "1", &[]).code(), 0);
    assert_eq!(
        silbato(&data, &["watchlist", "install", p(&full)]).code(),
        0
    );
    let hit = silbato(&data, &["plates", "check", "ABC1234", "--json"]);
    assert_eq!(hit.code(), 0);
    assert_eq!(hit.json().as_array().unwrap().len(), 1);

    // Building a list with no vehicles needs --allow-empty.
    let empty = dir.path().join("empty.json");
    let refused = build(&data, &empty_csv, &key, &empty, "2", &[]);
    assert_eq!(refused.code(), 1);
    assert!(
        refused.stderr().contains("--allow-empty"),
        "{}",
        refused.stderr()
    );
    assert!(!empty.exists());
    let built = build(&data, &empty_csv, &key, &empty, "2", &["--allow-empty"]);
    assert_eq!(built.code(), 0, "{}", built.stderr());

    // Built so, but installed without the flag: refused, the full list stays.
    let no_flag = silbato(&data, &["watchlist", "install", p(&empty)]);
    assert_eq!(no_flag.code(), 1);
    assert!(
        no_flag.stderr().contains("--allow-empty"),
        "{}",
        no_flag.stderr()
    );
    // Installed with the flag but built without it (by another tool): refused too.
    let signer = SigningKey::from_key_file(&std::fs::read(&key).unwrap()).unwrap();
    let unflagged = dir.path().join("unflagged.json");
    std::fs::write(
        &unflagged,
        silbato_testkit::watchlist::WatchlistBuilder::new()
            .publisher("network")
            .list_id("plates")
            .version(3)
            .entries(vec![])
            .sign(&signer)
            .unwrap(),
    )
    .unwrap();
    let unflagged_run = silbato(
        &data,
        &["watchlist", "install", "--allow-empty", p(&unflagged)],
    );
    assert_eq!(unflagged_run.code(), 1, "{}", unflagged_run.stdout());
    let still = silbato(&data, &["plates", "check", "ABC1234", "--json"]);
    assert_eq!(
        still.json().as_array().unwrap().len(),
        1,
        "the full list stays"
    );
    let lists = silbato(&data, &["watchlist", "list", "--json"]).json();
    assert_eq!(lists[0]["version"], 1);

    // Both sides: the list is emptied on purpose, and a check is an honest "no match".
    let ok = silbato(&data, &["watchlist", "install", "--allow-empty", p(&empty)]);
    assert_eq!(ok.code(), 0, "{}", ok.stderr());
    let after = silbato(&data, &["plates", "check", "ABC1234"]);
    assert_eq!(after.code(), 0, "{}", after.stderr());
    assert!(after.stdout().contains("No match"));
}

#[test]
fn h12_14_unknown_category_or_region_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for args in [
        &["rights", "list", "--category", "zz-secret"][..],
        &["rights", "search", "door", "--category", "zz-secret"][..],
    ] {
        let run = silbato(&data, args);
        assert_eq!(run.code(), 1, "{args:?}");
        assert!(
            run.stderr().contains("unknown category"),
            "{}",
            run.stderr()
        );
        assert!(run.stderr().contains("home"), "the valid ones are listed");
        assert!(
            !run.stderr().contains("zz-secret"),
            "the input is not echoed"
        );
        assert!(!run.stdout().contains("No cards match"));
    }
    let run = silbato(&data, &["rights", "hotlines", "--region", "ZZ-SECRET"]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("unknown region"), "{}", run.stderr());
    assert!(run.stderr().contains("US-IL"));
    assert!(!run.stderr().contains("SECRET"));
    assert!(!run.stdout().contains("No cards match"));

    // Known ones still work, and search keeps to the category.
    assert_eq!(
        silbato(&data, &["rights", "list", "--category", "home"]).code(),
        0
    );
    let hits = silbato(
        &data,
        &["rights", "search", "door", "--category", "home", "--json"],
    )
    .json();
    let hits = hits.as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["category"] == "home"));
}
