//! Issue 12 (safety hardening), the vault's items: one damaged entry never locks the patroller
//! out (9), amendments change something and say why (13), and the vault's messages tell the
//! truth (14: a missing key file).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use chrono::Utc;
use silbato_core::Error;
use silbato_core::keys::{KdfParams, Passphrase};
use silbato_core::vault::export::{ExportTarget, Problem, verify_export};
use silbato_core::vault::{
    Activity, Agency, ChainProblem, Confidence, Damage, Sighting, Vault, VaultConfig, VaultError,
    VaultState,
};

const PASS: &str = "correct horse battery";

fn pass() -> Passphrase {
    Passphrase::new(PASS.into())
}

fn config() -> VaultConfig {
    VaultConfig {
        kdf: KdfParams::FAST_INSECURE,
        idle_timeout: None,
    }
}

fn sighting(notes: &str) -> Sighting {
    let mut s = Sighting::new(
        Utc::now() - chrono::Duration::minutes(5),
        Activity::Raid,
        Agency::Ice,
        Confidence::Observed,
    );
    s.notes = Some(notes.into());
    s.officer_count = Some(6);
    s
}

/// A vault with three sightings; returns their ids. Left locked and closed.
fn three_entries(dir: &Path) -> Vec<String> {
    let (v, _) = Vault::open(dir, config(), None).unwrap();
    v.init(&pass()).unwrap();
    let ids = ["one", "two", "three"]
        .iter()
        .map(|n| v.log(sighting(n), &[], None).unwrap().id)
        .collect();
    v.lock();
    ids
}

fn reopen(dir: &Path) -> Vault {
    let (v, _) = Vault::open(dir, config(), None).unwrap();
    v.unlock(&pass()).unwrap();
    v
}

/// Alters one column of one entry, in the real vault.db, as a flipped byte on disk would.
fn flip(dir: &Path, seq: i64, column: &str) {
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    let mut value: Vec<u8> = conn
        .query_row(
            &format!("SELECT {column} FROM entries WHERE seq = ?1"),
            [seq],
            |r| r.get(0),
        )
        .unwrap();
    let mid = value.len() / 2;
    value[mid] ^= 0x01;
    conn.execute(
        &format!("UPDATE entries SET {column} = ?1 WHERE seq = ?2"),
        rusqlite::params![value, seq],
    )
    .unwrap();
}

fn verify_bundle(bytes: &[u8]) -> silbato_core::vault::export::VerifyReport {
    verify_export(bytes, None).unwrap()
}

#[test]
fn h12_09_one_undecryptable_entry_never_locks_the_patroller_out() {
    let dir = tempfile::tempdir().unwrap();
    let ids = three_entries(dir.path());
    flip(dir.path(), 2, "sealed");
    let v = reopen(dir.path());

    // Listed: the other two, and the damaged one named by its number.
    let listing = v.list_checked().unwrap();
    let mut listed: Vec<&str> = listing.records.iter().map(|r| r.id.as_str()).collect();
    listed.sort_unstable();
    let mut expected = vec![ids[0].as_str(), ids[2].as_str()];
    expected.sort_unstable();
    assert_eq!(listed, expected);
    assert_eq!(listing.damaged.len(), 1);
    assert_eq!(listing.damaged[0].seq, 2);
    assert_eq!(listing.damaged[0].damage, Damage::Undecryptable);
    assert_eq!(v.list().unwrap().len(), 2);

    // Shown.
    assert_eq!(
        v.record(&ids[0]).unwrap().sighting.notes.as_deref(),
        Some("one")
    );
    assert_eq!(
        v.record(&ids[2]).unwrap().sighting.notes.as_deref(),
        Some("three")
    );

    // Verified: exactly one problem, naming entry 2; the links around it still check.
    let report = v.check_chain().unwrap();
    assert!(!report.valid);
    assert_eq!(
        report.problems,
        vec![ChainProblem::Damaged {
            seq: 2,
            damage: Damage::Undecryptable
        }]
    );
    assert!(report.problems[0].to_string().contains("entry 2"));
    assert!(matches!(
        v.verify_chain(),
        Err(Error::Vault(VaultError::ChainDamaged))
    ));

    // Exported: the damaged entry in its place, marked; the verifier names it and nothing else,
    // and reads the other two.
    let bytes = v.export(&ExportTarget::Clear).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1]["seq"], 2);
    assert_eq!(entries[1]["damaged"], "undecryptable");
    assert!(entries[1].get("entry").is_none());
    let verified = verify_bundle(&bytes);
    assert_eq!(
        verified.problems,
        vec![Problem::Damaged {
            seq: 2,
            damage: Damage::Undecryptable
        }]
    );
    assert!(!verified.valid);
    assert_eq!(verified.bodies.len(), 2);
    assert!(verified.problems[0].to_string().contains("entry 2"));

    // Tampering with the damaged entry's place in the export still shows.
    let mut forged = json.clone();
    forged["entries"][1]["hash"] = serde_json::json!("00".repeat(32));
    let r = verify_bundle(&serde_json::to_vec(&forged).unwrap());
    assert!(r.problems.contains(&Problem::Changed { seq: 2, id: None }));

    // And logging goes on, linked after the damaged entry.
    let next = v.log(sighting("four"), &[], None).unwrap();
    assert_eq!(next.seq, 4);
    assert_eq!(v.check_chain().unwrap().problems.len(), 1);
}

#[test]
fn h12_09_a_bad_signature_is_named_not_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    three_entries(dir.path());
    flip(dir.path(), 2, "signature");
    let v = reopen(dir.path());
    assert_eq!(v.list().unwrap().len(), 3);
    let report = v.check_chain().unwrap();
    assert_eq!(report.problems, vec![ChainProblem::BadSignature { seq: 2 }]);
    assert_eq!(
        report.problems[0].to_string(),
        "entry 2: its signature does not verify"
    );
    // The export carries it (its content is readable); the verifier names it.
    let verified = verify_bundle(&v.export(&ExportTarget::Clear).unwrap());
    assert_eq!(verified.problems.len(), 1, "{:?}", verified.problems);
    assert!(matches!(
        verified.problems[0],
        Problem::Changed { seq: 2, .. }
    ));
}

#[test]
fn h12_09_a_broken_link_is_named() {
    let dir = tempfile::tempdir().unwrap();
    three_entries(dir.path());
    flip(dir.path(), 3, "prev_hash");
    let v = reopen(dir.path());
    assert_eq!(v.list().unwrap().len(), 3);
    let problems = v.check_chain().unwrap().problems;
    assert!(
        problems.contains(&ChainProblem::ChainBroken { seq: 3 }),
        "{problems:?}"
    );
    assert!(problems.iter().all(|p| p.to_string().contains("entry 3")));
}

#[test]
fn h12_09_a_deleted_first_entry_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    three_entries(dir.path());
    let conn = rusqlite::Connection::open(dir.path().join("vault.db")).unwrap();
    conn.execute("DELETE FROM entries WHERE seq = 1", [])
        .unwrap();
    drop(conn);
    let v = reopen(dir.path());
    assert_eq!(v.list().unwrap().len(), 2);
    let report = v.check_chain().unwrap();
    assert_eq!(
        report.problems,
        vec![ChainProblem::Missing {
            from_seq: 1,
            to_seq: 1
        }]
    );
    assert!(report.problems[0].to_string().contains("first entry"));
    assert!(v.verify_chain().is_err());

    // A deleted middle entry too.
    let dir = tempfile::tempdir().unwrap();
    three_entries(dir.path());
    let conn = rusqlite::Connection::open(dir.path().join("vault.db")).unwrap();
    conn.execute("DELETE FROM entries WHERE seq = 2", [])
        .unwrap();
    drop(conn);
    let problems = reopen(dir.path()).check_chain().unwrap().problems;
    assert!(
        problems.contains(&ChainProblem::Missing {
            from_seq: 2,
            to_seq: 2
        }),
        "{problems:?}"
    );
}

#[test]
fn h12_09_a_purged_start_is_not_a_deletion() {
    let dir = tempfile::tempdir().unwrap();
    three_entries(dir.path());
    let v = reopen(dir.path());
    // Everything so far is purged (recorded before tomorrow), by a signed purge entry.
    v.purge_before(Utc::now() + chrono::Duration::days(1))
        .unwrap();
    v.log(sighting("after"), &[], None).unwrap();
    let report = v.check_chain().unwrap();
    assert!(report.valid, "{:?}", report.problems);
    assert_eq!(report.first_seq, Some(4));
}

#[test]
fn h12_13_an_amendment_changes_something_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let ids = three_entries(dir.path());
    let v = reopen(dir.path());
    let current = v.record(&ids[0]).unwrap().sighting;

    // No change: refused, typed, and nothing written.
    assert!(matches!(
        v.amend(&ids[0], current.clone(), Some("checked again".into()), None),
        Err(Error::Vault(VaultError::AmendmentChangesNothing))
    ));
    // No reason, or a blank one: refused.
    let mut changed = current.clone();
    changed.officer_count = Some(9);
    for reason in [None, Some(String::new()), Some("   ".into())] {
        assert!(matches!(
            v.amend(&ids[0], changed.clone(), reason, None),
            Err(Error::Vault(VaultError::AmendmentNeedsReason))
        ));
    }
    assert_eq!(v.check_chain().unwrap().entries, 3);
    assert_eq!(
        Error::from(VaultError::AmendmentNeedsReason).code(),
        "vault.amendment_needs_reason"
    );
    assert_eq!(
        Error::from(VaultError::AmendmentChangesNothing).code(),
        "vault.amendment_changes_nothing"
    );

    // A real amendment: the record says what changed, field by field.
    changed.place = Some("corner".into());
    v.amend(&ids[0], changed.clone(), Some("recounted".into()), None)
        .unwrap();
    let mut again = changed.clone();
    again.officer_count = Some(10);
    v.amend(&ids[0], again, Some("recounted twice".into()), None)
        .unwrap();
    let record = v.record(&ids[0]).unwrap();
    assert_eq!(record.amendments.len(), 2);
    let first: Vec<_> = record.amendments[0]
        .changes
        .iter()
        .map(|c| (c.field, c.old.clone(), c.new.clone()))
        .collect();
    assert_eq!(
        first,
        vec![
            (
                "place",
                serde_json::Value::Null,
                serde_json::json!("corner")
            ),
            ("officer_count", serde_json::json!(6), serde_json::json!(9)),
        ]
    );
    let second = &record.amendments[1].changes;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].field, "officer_count");
    assert_eq!(
        (second[0].old.clone(), second[0].new.clone()),
        (serde_json::json!(9), serde_json::json!(10))
    );
    // Also in the JSON a shell reads.
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(
        json["amendments"][0]["changes"][1]["field"],
        "officer_count"
    );
    assert_eq!(json["amendments"][0]["reason"], "recounted");
}

#[test]
fn h12_14_a_missing_key_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    three_entries(dir.path());
    std::fs::remove_file(dir.path().join("vault.keys")).unwrap();
    let (v, _) = Vault::open(dir.path(), config(), None).unwrap();
    assert!(v.key_file_missing());
    assert_eq!(v.state(), VaultState::NotInitialized);
    // Unlocking, and making a new vault over the old log, both say what happened.
    for result in [v.unlock(&pass()), v.init(&pass())] {
        let e = result.unwrap_err();
        assert!(
            matches!(e, Error::Vault(VaultError::KeyFileMissing)),
            "{e:?}"
        );
        assert_eq!(e.code(), "vault.key_file_missing");
        let text = e.to_string();
        assert!(text.contains("missing") && text.contains("backup") && text.contains("wipe"));
    }
    // The log is untouched, and a wipe is a way out.
    assert!(dir.path().join("vault.db").exists());
    v.wipe().unwrap();
    assert!(!v.key_file_missing());
    v.init(&pass()).unwrap();
    assert!(v.list().unwrap().is_empty());

    // A fresh directory is not "missing a key file".
    let fresh = tempfile::tempdir().unwrap();
    let (v, _) = Vault::open(fresh.path(), config(), None).unwrap();
    assert!(!v.key_file_missing());
}
