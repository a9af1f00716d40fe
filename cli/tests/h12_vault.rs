//! Issue 12 (safety hardening), the vault's items through the real `silbato` binary: one damaged
//! entry never locks the patroller out (9), amendments change something and say why (13), and
//! the messages tell the truth (14: a missing key file, `keys public` on a file that is not a
//! key, a local time that does not exist, `--plate-state` without `--plate`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Run, silbato, silbato_stdin};

const PASS: &str = "correct horse battery\n";

fn init(data: &Path) {
    let r = silbato_stdin(
        data,
        &["vault", "init", "--passphrase-stdin", "--insecure-fast-kdf"],
        PASS,
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
}

/// `silbato vault ARGS --passphrase-stdin`, with the passphrase on stdin.
fn vault(data: &Path, args: &[&str]) -> Run {
    let mut all = vec!["vault"];
    all.extend_from_slice(args);
    all.push("--passphrase-stdin");
    silbato_stdin(data, &all, PASS)
}

fn log(data: &Path, notes: &str) -> String {
    let r = silbato_stdin(
        data,
        &[
            "--json",
            "vault",
            "log",
            "--activity",
            "raid",
            "--agency",
            "ice",
            "--officers",
            "6",
            "--notes",
            notes,
            "--passphrase-stdin",
        ],
        PASS,
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    r.json()["id"].as_str().unwrap().to_owned()
}

fn flip_ciphertext(data: &Path, seq: i64) {
    let conn = rusqlite::Connection::open(data.join("vault.db")).unwrap();
    let mut sealed: Vec<u8> = conn
        .query_row("SELECT sealed FROM entries WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })
        .unwrap();
    let mid = sealed.len() / 2;
    sealed[mid] ^= 0x01;
    conn.execute(
        "UPDATE entries SET sealed = ?1 WHERE seq = ?2",
        rusqlite::params![sealed, seq],
    )
    .unwrap();
}

#[test]
fn h12_09_one_damaged_entry_never_locks_the_patroller_out() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init(&data);
    let ids: Vec<String> = ["one", "two", "three"]
        .iter()
        .map(|n| log(&data, n))
        .collect();
    flip_ciphertext(&data, 2);

    // list: the other two records, and entry 2 named.
    let r = silbato_stdin(
        &data,
        &["--json", "vault", "list", "--passphrase-stdin"],
        PASS,
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let listed: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&ids[0]) && listed.contains(&ids[2]));
    assert!(r.stderr().contains("entry 2 is damaged"), "{}", r.stderr());

    // show: each intact record.
    for (id, notes) in [(&ids[0], "one"), (&ids[2], "three")] {
        let r = vault(&data, &["show", id]);
        assert_eq!(r.code(), 0, "{}", r.stderr());
        assert!(r.stdout().contains(notes));
        assert!(r.stderr().contains("entry 2 is damaged"), "{}", r.stderr());
    }

    // verify: names the problem precisely, not "vault.db is corrupt".
    let r = vault(&data, &["verify"]);
    assert_eq!(r.code(), 1);
    assert!(
        r.stdout().contains("entry 2: its content does not decrypt"),
        "{}",
        r.stdout()
    );
    assert!(!r.stderr().contains("corrupt"), "{}", r.stderr());
    let r = silbato_stdin(
        &data,
        &["--json", "vault", "verify", "--passphrase-stdin"],
        PASS,
    );
    let report = r.json();
    assert_eq!(report["valid"], false);
    assert_eq!(
        report["problems"],
        serde_json::json!([{"problem": "damaged", "seq": 2, "damage": "undecryptable"}])
    );

    // export: written, with entry 2 marked; the third-party verifier names it and reads the rest.
    let out = dir.path().join("export.json");
    let r = vault(
        &data,
        &["export", "--clear", "--out", out.to_str().unwrap()],
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(bundle["entries"][1]["damaged"], "undecryptable");
    let r = silbato(&data, &["vault", "verify-export", out.to_str().unwrap()]);
    assert_eq!(r.code(), 1);
    assert!(
        r.stdout().contains("entry 2: damaged on the device"),
        "{}",
        r.stdout()
    );
    assert!(
        r.stdout().contains("2 of 3 entries verify"),
        "{}",
        r.stdout()
    );
}

#[test]
fn h12_09_a_deleted_first_entry_is_named_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init(&data);
    log(&data, "one");
    log(&data, "two");
    let conn = rusqlite::Connection::open(data.join("vault.db")).unwrap();
    conn.execute("DELETE FROM entries WHERE seq = 1", [])
        .unwrap();
    drop(conn);
    let r = vault(&data, &["verify"]);
    assert_eq!(r.code(), 1, "{}", r.stdout());
    assert!(
        r.stdout()
            .contains("entry 1: deleted (the log's first entry is gone)"),
        "{}",
        r.stdout()
    );
}

#[test]
fn h12_13_amendments_change_something_say_why_and_show_what() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init(&data);
    let id = log(&data, "one");

    let r = vault(&data, &["amend", &id, "--officers", "9"]);
    assert_eq!(r.code(), 1);
    assert!(r.stderr().contains("give a reason"), "{}", r.stderr());
    let r = vault(
        &data,
        &["amend", &id, "--officers", "6", "--reason", "recounted"],
    );
    assert_eq!(r.code(), 1);
    assert!(r.stderr().contains("changes no field"), "{}", r.stderr());
    let r = vault(&data, &["amend", &id, "--reason", "recounted"]);
    assert_eq!(r.code(), 1);

    let r = vault(
        &data,
        &["amend", &id, "--officers", "9", "--reason", "recounted"],
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let r = vault(&data, &["show", &id]);
    assert!(r.stdout().contains("recounted"), "{}", r.stdout());
    assert!(r.stdout().contains("Officers: 6 → 9"), "{}", r.stdout());
    let r = silbato_stdin(
        &data,
        &["--json", "vault", "show", &id, "--passphrase-stdin"],
        PASS,
    );
    assert_eq!(
        r.json()["amendments"][0]["changes"],
        serde_json::json!([{"field": "officer_count", "old": 6, "new": 9}])
    );
}

#[test]
fn h12_14_a_missing_key_file_says_what_happened_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init(&data);
    log(&data, "one");
    std::fs::remove_file(data.join("vault.keys")).unwrap();
    for args in [
        &["list"][..],
        &["show", "abcd"],
        &["log", "--activity", "raid", "--agency", "ice"],
    ] {
        let r = vault(&data, args);
        assert_eq!(r.code(), 1);
        let e = r.stderr();
        assert!(e.contains("vault.keys) is missing"), "{e}");
        assert!(
            e.contains("backup") && e.contains("vault wipe --yes"),
            "{e}"
        );
        assert!(!e.contains("vault init"), "{e}");
    }
    // `vault init` over the old log says the same, not "a vault already exists".
    let r = silbato_stdin(
        &data,
        &["vault", "init", "--passphrase-stdin", "--insecure-fast-kdf"],
        PASS,
    );
    assert_eq!(r.code(), 1);
    assert!(r.stderr().contains("is missing"), "{}", r.stderr());
    assert!(data.join("vault.db").exists(), "the log is never deleted");
}

#[test]
fn h12_14_keys_public_on_a_file_that_is_not_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, not a key\n").unwrap();
    let json = dir.path().join("other.json");
    std::fs::write(&json, r#"{"type": "something-else", "version": 1}"#).unwrap();
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![0u8; 200_000]).unwrap();
    for f in [&text, &json, &big] {
        let r = silbato(&data, &["keys", "public", f.to_str().unwrap()]);
        assert_eq!(r.code(), 1);
        assert!(
            r.stderr().contains("not a Silbato Ed25519 key file"),
            "{}",
            r.stderr()
        );
        assert!(!r.stderr().contains("malformed"), "{}", r.stderr());
    }
    // Real key files still print their public keys, a recipient's too.
    let key = dir.path().join("signing.key");
    let made = silbato(&data, &["keys", "generate", "--out", key.to_str().unwrap()]);
    assert_eq!(made.code(), 0, "{}", made.stderr());
    let r = silbato(&data, &["keys", "public", key.to_str().unwrap()]);
    assert_eq!(r.stdout(), made.stdout());
    let rkey = dir.path().join("recipient.key");
    let made = silbato(
        &data,
        &[
            "keys",
            "generate-recipient",
            "--out",
            rkey.to_str().unwrap(),
        ],
    );
    assert_eq!(made.code(), 0, "{}", made.stderr());
    let r = silbato(&data, &["keys", "public", rkey.to_str().unwrap()]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert_eq!(r.stdout(), made.stdout());
}

/// Runs the binary with a time zone of its own, as a patroller's machine would have.
fn silbato_in_zone(data: &Path, tz: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_silbato"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("SILBATO_DATA_DIR")
        .env("TZ", tz)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    Run { out }
}

#[test]
fn h12_14_a_local_time_that_does_not_exist_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init(&data);
    // New York's rules, as a POSIX TZ string so the test needs no zone database: 2026-03-08 is
    // the second Sunday of March, when 02:00 jumps to 03:00.
    let zone = "EST5EDT,M3.2.0,M11.1.0";
    let at = |t: &str| {
        silbato_in_zone(
            &data,
            zone,
            &[
                "vault",
                "log",
                "--activity",
                "raid",
                "--agency",
                "ice",
                "--at",
                t,
                "--passphrase-stdin",
            ],
        )
    };
    let r = at("2026-03-08 02:30");
    assert_eq!(r.code(), 1);
    assert!(r.stderr().contains("does not exist"), "{}", r.stderr());
    assert!(r.stderr().contains("daylight saving"), "{}", r.stderr());
    // The hour that happens twice (1 November 2026, 01:00-02:00) is not guessed either.
    let r = at("2026-11-01 01:30");
    assert_eq!(r.code(), 1);
    assert!(r.stderr().contains("happened twice"), "{}", r.stderr());
    // An ordinary local time still works (and needs the passphrase, which stdin lacks here).
    let r = at("2026-03-08 03:30");
    assert!(!r.stderr().contains("does not exist"), "{}", r.stderr());
}

#[test]
fn h12_14_plate_state_without_a_plate_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init(&data);
    let id = log(&data, "one");
    for args in [
        &[
            "vault",
            "log",
            "--activity",
            "raid",
            "--agency",
            "ice",
            "--plate-state",
            "IL",
            "--passphrase-stdin",
        ][..],
        &[
            "vault",
            "amend",
            &id,
            "--plate-state",
            "IL",
            "--reason",
            "x",
            "--passphrase-stdin",
        ],
    ] {
        let r = silbato_stdin(&data, args, PASS);
        assert_eq!(r.code(), 2, "{}", r.stderr());
        assert!(r.stderr().contains("--plate <PLATE>"), "{}", r.stderr());
    }
    // With its plate it is fine.
    let r = vault(
        &data,
        &[
            "log",
            "--activity",
            "raid",
            "--agency",
            "ice",
            "--plate",
            "ABC123",
            "--plate-state",
            "IL",
        ],
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
}
