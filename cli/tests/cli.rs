//! The `silbato` binary as a user and a script see it: output, `--json`, exit codes, and the
//! organizer's round trip from a content directory to an installed pack.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{Run, content_dir, hub_bin, silbato, silbato_stdin};

#[test]
fn reads_cards_offline_in_english_and_spanish() {
    let dir = tempfile::tempdir().unwrap();
    let list = silbato(dir.path(), &["rights", "list"]);
    assert_eq!(list.code(), 0, "{}", list.stderr());
    assert!(list.stdout().contains("someone-at-your-door"));
    assert!(list.stdout().contains("not legal advice"));

    let es = silbato(dir.path(), &["rights", "list", "--lang", "es", "--json"]).json();
    let cards = es.as_array().unwrap();
    assert!(cards.len() >= 10);
    assert!(cards.iter().all(|c| c["lang"] == "es"));

    let show = silbato(dir.path(), &["rights", "show", "warrants", "--lang", "es"]);
    assert_eq!(show.code(), 0);
    assert!(show.stdout().contains("I-205"));
    assert!(
        show.stdout().contains("Fuentes"),
        "labels are in the reader's language"
    );

    let card = silbato(dir.path(), &["rights", "card", "red-card"]);
    assert_eq!(card.code(), 0);
    assert!(card.stdout().contains("remain silent"));

    let hotlines = silbato(
        dir.path(),
        &["rights", "hotlines", "--region", "US-IL", "--json"],
    )
    .json();
    assert!(
        hotlines
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["region"] == "US-IL")
    );
}

#[test]
fn search_takes_anything_a_person_types() {
    let dir = tempfile::tempdir().unwrap();
    let hits = silbato(
        dir.path(),
        &["rights", "search", "policia", "--lang", "es", "--json"],
    )
    .json();
    assert!(!hits.as_array().unwrap().is_empty());
    for hostile in ["\"", "NEAR(", "AND", "(((", "*", "🚨", "שלום"] {
        let run = silbato(dir.path(), &["rights", "search", hostile, "--json"]);
        assert_eq!(run.code(), 0, "{hostile}: {}", run.stderr());
        assert!(run.json().is_array());
    }
    let long = "a".repeat(10_000);
    assert_eq!(silbato(dir.path(), &["rights", "search", &long]).code(), 0);
}

#[test]
fn exit_codes_and_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(silbato(dir.path(), &["no-such-command"]).code(), 2);
    assert_eq!(silbato(dir.path(), &["rights", "search"]).code(), 2);
    let missing = silbato(dir.path(), &["rights", "show", "no-such-card"]);
    assert_eq!(missing.code(), 1);
    assert_eq!(missing.stderr().lines().count(), 1);
    let json_err = silbato(dir.path(), &["rights", "show", "no-such-card", "--json"]);
    assert_eq!(json_err.code(), 1);
    let err: serde_json::Value = serde_json::from_str(json_err.stderr().trim()).unwrap();
    assert!(err["error"].is_string());
    let not_a_file = silbato(dir.path(), &["rights", "install", "/nonexistent/pack.json"]);
    assert_eq!(not_a_file.code(), 1);
}

#[test]
fn organizer_round_trip_build_trust_install_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = dir.path().join("org.key");
    let gen_run = silbato(&data, &["keys", "generate", "--out", key.to_str().unwrap()]);
    assert_eq!(gen_run.code(), 0, "{}", gen_run.stderr());
    let pubkey = gen_run.stdout().trim().to_owned();
    assert!(pubkey.starts_with("ed25519:"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Never overwrite a key.
    assert_eq!(
        silbato(&data, &["keys", "generate", "--out", key.to_str().unwrap()]).code(),
        1
    );

    let pack = dir.path().join("pack-v2.json");
    let content = content_dir();
    let build = silbato(
        &data,
        &[
            "pack",
            "build",
            content.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--out",
            pack.to_str().unwrap(),
            "--version",
            "2",
        ],
    );
    assert_eq!(build.code(), 0, "{}", build.stderr());
    let verify = silbato(&data, &["pack", "verify", pack.to_str().unwrap(), "--json"]).json();
    assert_eq!(verify["version"], 2);
    assert_eq!(verify["signers"][0]["trusted_here"], false);

    // Not trusted yet: refused.
    let refused = silbato(&data, &["rights", "install", pack.to_str().unwrap()]);
    assert_eq!(refused.code(), 1);
    assert!(refused.stderr().contains("trusted"));

    assert_eq!(
        silbato(
            &data,
            &["publishers", "add", &pubkey, "--name", "Test network"]
        )
        .code(),
        0
    );
    let listed = silbato(&data, &["publishers", "list", "--json"]).json();
    assert_eq!(listed[0]["public_key"], pubkey.as_str());

    // Trusting a publisher is not enough to replace the bundled pack (issue 12 item 7): the user
    // confirms this key for the bundled pack's id by its fingerprint.
    let fingerprint =
        silbato(&data, &["keys", "public", key.to_str().unwrap(), "--json"]).json()["fingerprint"]
            .as_str()
            .unwrap()
            .to_owned();
    let trust = silbato(
        &data,
        &[
            "publishers",
            "trust",
            &pubkey,
            "--for-pack",
            "silbato-kyr-us",
            "--fingerprint",
            &fingerprint,
        ],
    );
    assert_eq!(trust.code(), 0, "{}", trust.stderr());

    let installed = silbato(
        &data,
        &["rights", "install", pack.to_str().unwrap(), "--json"],
    );
    assert_eq!(installed.code(), 0, "{}", installed.stderr());
    assert_eq!(installed.json()["previous_version"], 1);
    let packs = silbato(&data, &["rights", "packs", "--json"]).json();
    assert_eq!(packs[0]["version"], 2);

    // The same version again is a rollback.
    let again = silbato(&data, &["rights", "install", pack.to_str().unwrap()]);
    assert_eq!(again.code(), 1);
    assert!(again.stderr().contains("not newer"));

    // Truncated and bit-flipped files are refused with their own messages.
    let bytes = std::fs::read(&pack).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let truncated = silbato(&data, &["rights", "install", cut.to_str().unwrap()]);
    assert_eq!(truncated.code(), 1);
    assert!(truncated.stderr().contains("truncated"));
}

#[test]
fn patroller_logs_amends_exports_and_wipes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let p = "a long vault passphrase\n";
    let init = silbato_stdin(
        &data,
        &["vault", "init", "--passphrase-stdin", "--insecure-fast-kdf"],
        p,
    );
    assert_eq!(init.code(), 0, "{}", init.stderr());
    let log = silbato_stdin(
        &data,
        &[
            "vault",
            "log",
            "--activity",
            "raid",
            "--agency",
            "ice",
            "--officers",
            "5",
            "--at",
            "-30m",
            "--lat",
            "41.8",
            "--lon",
            "-87.6",
            "--plate",
            "ABC 123",
            "--plate-state",
            "il",
            "--vehicle",
            "grey SUV",
            "--notes",
            "SECRET-NOTE",
            "--json",
            "--passphrase-stdin",
        ],
        p,
    );
    assert_eq!(log.code(), 0, "{}", log.stderr());
    let id = log.json()["id"].as_str().unwrap().to_owned();
    assert!(!log.stderr().contains("SECRET"));

    let wrong = silbato_stdin(
        &data,
        &["vault", "list", "--passphrase-stdin"],
        "not it at all\n",
    );
    assert_eq!(wrong.code(), 1);
    assert_eq!(wrong.stderr().trim(), "silbato: wrong passphrase");

    let bad = silbato_stdin(
        &data,
        &[
            "vault",
            "log",
            "--activity",
            "raid",
            "--agency",
            "ice",
            "--lat",
            "95",
            "--lon",
            "0",
            "--passphrase-stdin",
        ],
        p,
    );
    assert_eq!(bad.code(), 1);
    assert!(bad.stderr().contains("latitude"));

    let amend = silbato_stdin(
        &data,
        &[
            "vault",
            "amend",
            &id[..8],
            "--officers",
            "7",
            "--reason",
            "recount",
            "--passphrase-stdin",
        ],
        p,
    );
    assert_eq!(amend.code(), 0, "{}", amend.stderr());
    let shown = silbato_stdin(
        &data,
        &["vault", "show", &id, "--json", "--passphrase-stdin"],
        p,
    )
    .json();
    assert_eq!(shown["sighting"]["officer_count"], 7);
    assert_eq!(shown["amendments"].as_array().unwrap().len(), 1);

    // Export needs an explicit choice; a sealed one verifies with the recipient's key only.
    let out = dir.path().join("export.json");
    assert_eq!(
        silbato_stdin(
            &data,
            &[
                "vault",
                "export",
                "--out",
                out.to_str().unwrap(),
                "--passphrase-stdin"
            ],
            p
        )
        .code(),
        1
    );
    let rkey = dir.path().join("lawyer.key");
    let recipient = silbato(
        &data,
        &[
            "keys",
            "generate-recipient",
            "--out",
            rkey.to_str().unwrap(),
        ],
    )
    .stdout()
    .trim()
    .to_owned();
    assert!(recipient.starts_with("x25519:"));
    let exp = silbato_stdin(
        &data,
        &[
            "vault",
            "export",
            "--out",
            out.to_str().unwrap(),
            "--to",
            &recipient,
            "--passphrase-stdin",
        ],
        p,
    );
    assert_eq!(exp.code(), 0, "{}", exp.stderr());
    assert!(!String::from_utf8_lossy(&std::fs::read(&out).unwrap()).contains("SECRET-NOTE"));
    let ok = silbato(
        &data,
        &[
            "vault",
            "verify-export",
            out.to_str().unwrap(),
            "--key",
            rkey.to_str().unwrap(),
        ],
    );
    assert_eq!(ok.code(), 0, "{}", ok.stderr());
    assert_eq!(
        silbato(&data, &["vault", "verify-export", out.to_str().unwrap()]).code(),
        1
    );

    // A clear export with an entry removed fails verification and names it.
    let clear = dir.path().join("clear.json");
    assert_eq!(
        silbato_stdin(
            &data,
            &[
                "vault",
                "export",
                "--out",
                clear.to_str().unwrap(),
                "--clear",
                "--passphrase-stdin"
            ],
            p
        )
        .code(),
        0
    );
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&clear).unwrap()).unwrap();
    doc["entries"].as_array_mut().unwrap().remove(0);
    std::fs::write(&clear, serde_json::to_vec(&doc).unwrap()).unwrap();
    let tampered = silbato(&data, &["vault", "verify-export", clear.to_str().unwrap()]);
    assert_eq!(tampered.code(), 1);
    assert!(
        tampered.stdout().contains("entry 1: missing"),
        "{}",
        tampered.stdout()
    );

    let change = silbato_stdin(
        &data,
        &[
            "vault",
            "passphrase",
            "--passphrase-stdin",
            "--insecure-fast-kdf",
        ],
        "a long vault passphrase\nanother long passphrase\n",
    );
    assert_eq!(change.code(), 0, "{}", change.stderr());
    assert_eq!(
        silbato_stdin(&data, &["vault", "list", "--passphrase-stdin"], p).code(),
        1
    );
    assert_eq!(
        silbato_stdin(
            &data,
            &["vault", "list", "--passphrase-stdin"],
            "another long passphrase\n"
        )
        .code(),
        0
    );

    assert_eq!(
        silbato(&data, &["vault", "wipe"]).code(),
        1,
        "a wipe needs --yes"
    );
    assert_eq!(silbato(&data, &["vault", "wipe", "--yes"]).code(), 0);
    assert!(!data.join("vault.db").exists());
    assert_eq!(
        silbato(&data, &["rights", "show", "red-card"]).code(),
        0,
        "rights still work after a wipe"
    );
}

#[test]
fn organizer_watchlist_and_plate_check() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = dir.path().join("org.key");
    let pubkey = silbato(&data, &["keys", "generate", "--out", key.to_str().unwrap()])
        .stdout()
        .trim()
        .to_owned();
    let csv = dir.path().join("plates.csv");
    std::fs::write(
        &csv,
        "plate,state,description,last_seen\nABC-1234,IL,grey SUV,2026-11-01\nXYZ 987,,white van,\n",
    )
    .unwrap();
    let list = dir.path().join("plates.json");
    let build = silbato(
        &data,
        &[
            "watchlist",
            "build",
            csv.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--out",
            list.to_str().unwrap(),
            "--version",
            "3",
        ],
    );
    assert_eq!(build.code(), 0, "{}", build.stderr());
    assert_eq!(
        silbato(&data, &["watchlist", "install", list.to_str().unwrap()]).code(),
        1,
        "not trusted yet"
    );
    assert_eq!(
        silbato(&data, &["publishers", "add", &pubkey, "--name", "Net"]).code(),
        0
    );
    assert_eq!(
        silbato(&data, &["watchlist", "install", list.to_str().unwrap()]).code(),
        0
    );
    let hits = silbato(&data, &["plates", "check", "A8C 12?4", "--json"]).json();
    assert_eq!(hits[0]["description"], "grey SUV");
    let none = silbato(&data, &["plates", "check", "QQQ999", "--json"]).json();
    assert!(none.as_array().unwrap().is_empty());
    assert_eq!(
        silbato(&data, &["plates", "check", "not a plate!"]).code(),
        1
    );
}

#[test]
fn organizer_network_dispatchers_and_a_family_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    let fam = dir.path().join("family");
    let path = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let gen_key = |n: &str| {
        silbato(&org, &["keys", "generate", "--out", &path(n)])
            .stdout()
            .trim()
            .to_owned()
    };
    let root = gen_key("root.key");
    let d1 = gen_key("d1.key");
    let d2 = gen_key("d2.key");

    let create = silbato(
        &org,
        &[
            "network",
            "create",
            "--id",
            "chi",
            "--name",
            "Chicago RRN",
            "--hub",
            "https://hub.example.org",
            "--root-key",
            &root,
            "--region",
            "US-IL-CHI=Chicago",
            "--dispatcher-key",
            &format!("{d1}=Ana"),
            "--dispatcher-key",
            &format!("{d2}=Luis"),
            "--out",
            &path("profile.json"),
        ],
    );
    assert_eq!(create.code(), 0, "{}", create.stderr());
    assert_eq!(
        silbato(
            &org,
            &[
                "network",
                "sign",
                &path("profile.json"),
                "--key",
                &path("root.key")
            ]
        )
        .code(),
        0
    );
    let qr = silbato(&org, &["network", "qr", &path("profile.json")])
        .stdout()
        .trim()
        .to_owned();

    // The family installs from the QR text, unconfirmed at first.
    let installed = silbato(&fam, &["network", "install", "--qr", &qr, "--json"]).json();
    assert_eq!(installed["confirmed"], false);
    let fingerprint = installed["fingerprint"].as_str().unwrap().to_owned();

    // Two dispatchers sign an "observed" alert, one after the other.
    let alert = path("alert.json");
    let new = silbato(
        &org,
        &[
            "alert",
            "new",
            "--network",
            "chi",
            "--id",
            "raid-1",
            "--certainty",
            "observed",
            "--headline",
            "ICE at 47th and Ashland",
            "--translation",
            "es=ICE en la 47 y Ashland",
            "--circle",
            "41.8087,-87.6656,800",
            "--region",
            "US-IL-CHI",
            "--expires",
            "2h",
            "--sign",
            &path("d1.key"),
            "--out",
            &alert,
        ],
    );
    assert_eq!(new.code(), 0, "{}", new.stderr());

    // Not confirmed yet: refused, with the reason.
    let early = silbato(&fam, &["alerts", "ingest", &alert]);
    assert_eq!(early.code(), 1);
    assert!(
        early.stderr().contains("no confirmed network"),
        "{}",
        early.stderr()
    );
    assert_eq!(
        silbato(&fam, &["network", "confirm", "chi", "0000"]).code(),
        1
    );
    assert_eq!(
        silbato(&fam, &["network", "confirm", "chi", &fingerprint]).code(),
        0
    );

    // One signature is not enough for "observed".
    let one = silbato(&fam, &["alerts", "ingest", &alert]);
    assert_eq!(one.code(), 1);
    assert!(one.stderr().contains("requires 2"), "{}", one.stderr());
    let cosign = silbato(&org, &["alert", "sign", &alert, "--key", &path("d2.key")]);
    assert_eq!(cosign.code(), 0, "{}", cosign.stderr());
    assert!(cosign.stdout().contains("raid-1"));

    // Through push: sealed to the family's device key.
    let device = silbato(&fam, &["push", "key"]).stdout().trim().to_owned();
    assert!(device.starts_with("x25519:"));
    assert_eq!(
        silbato(
            &org,
            &[
                "push",
                "seal",
                &alert,
                "--to",
                &device,
                "--out",
                &path("push.bin")
            ]
        )
        .code(),
        0
    );
    assert_eq!(
        silbato(
            &fam,
            &[
                "places", "add", "--label", "School", "--lat", "41.810", "--lon", "-87.665",
                "--radius", "300"
            ]
        )
        .code(),
        0
    );
    let pushed = silbato(
        &fam,
        &[
            "push",
            "ingest",
            &path("push.bin"),
            "--lang",
            "es",
            "--json",
        ],
    )
    .json();
    assert_eq!(pushed["outcome"]["outcome"], "accepted");
    assert_eq!(
        pushed["notification"]["body"],
        "Nueva alerta de Chicago RRN"
    );

    let active = silbato(&fam, &["alerts", "list", "--lang", "es", "--json"]).json();
    assert_eq!(active[0]["id"], "raid-1");
    assert_eq!(active[0]["headline"], "ICE en la 47 y Ashland");
    assert_eq!(active[0]["relevance"]["kind"], "saved_place");
    let shown = silbato(&fam, &["alerts", "show", "raid-1", "--json"]).json();
    assert_eq!(shown["signed_by"], serde_json::json!(["Ana", "Luis"]));
    assert_eq!(silbato(&fam, &["alerts", "read", "raid-1"]).code(), 0);

    // A wake-up push asks for a sync; garbage is refused.
    assert_eq!(
        silbato(&org, &["push", "wake", "--out", &path("wake.bin")]).code(),
        0
    );
    assert!(
        silbato(&fam, &["push", "ingest", &path("wake.bin")])
            .stdout()
            .contains("sync")
    );
    std::fs::write(path("junk.bin"), b"junk").unwrap();
    assert_eq!(
        silbato(&fam, &["push", "ingest", &path("junk.bin")]).code(),
        1
    );
    // Huge durations are a usage error, not a crash.
    let huge = silbato(
        &org,
        &[
            "alert",
            "new",
            "--network",
            "chi",
            "--certainty",
            "likely",
            "--headline",
            "x",
            "--region",
            "US-IL",
            "--expires",
            "100000000d",
            "--sign",
            &path("d1.key"),
            "--out",
            &path("huge.json"),
        ],
    );
    assert_eq!(huge.code(), 1);
}

#[test]
fn the_demo_walks_the_three_journeys() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_silbato"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["demo", "--json"])
        .env_remove("SILBATO_DATA_DIR")
        .env("SILBATO_HUB_BIN", hub_bin())
        .env("LANG", "en_US.UTF-8")
        .output()
        .unwrap();
    let run = Run { out };
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.json();
    assert_eq!(out["ok"], true);
    let steps = out["steps"].to_string();
    assert!(
        steps.contains("refuses") && steps.contains("received 0 pushes"),
        "{steps}"
    );
}
