//! The sighting vault through its public API: keys and passphrases, tamper evidence, exports a
//! third party verifies, photos without metadata, retention, wipe, and the forensic guarantee that
//! nothing typed into a record is ever on disk in clear.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use silbato_core::Error;
use silbato_core::crypto::{SigningKey, aead_open, aead_seal, random_fill};
use silbato_core::keys::{KdfParams, KeyStoreError, Passphrase, PlatformKeyStore};
use silbato_core::proto::media::MediaError;
use silbato_core::proto::sighting::SightingError;
use silbato_core::seal::SealSecretKey;
use silbato_core::vault::export::{ExportTarget, Problem, verify_export};
use silbato_core::vault::{
    Activity, Agency, Confidence, Location, Sighting, Vault, VaultConfig, VaultError, VaultState,
    Vehicle,
};
use silbato_core::watchlist::{WatchEntry, WatchlistPayload, Watchlists, sign_watchlist};
use zeroize::Zeroizing;

const PASS: &str = "correct horse battery";

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.into())
}

fn config() -> VaultConfig {
    VaultConfig {
        kdf: KdfParams::FAST_INSECURE,
        idle_timeout: None,
    }
}

fn new_vault(dir: &Path) -> Vault {
    let (v, _) = Vault::open(dir, config(), None).unwrap();
    v.init(&pass(PASS)).unwrap();
    v
}

fn sighting(notes: &str) -> Sighting {
    let mut s = Sighting::new(
        Utc::now() - chrono::Duration::minutes(5),
        Activity::Raid,
        Agency::Ice,
        Confidence::Observed,
    );
    s.place = Some(format!("place of {notes}"));
    s.notes = Some(notes.into());
    s.officer_count = Some(6);
    s.location = Some(Location {
        lat: 41.8781,
        lon: -87.6298,
        accuracy_m: Some(15.0),
    });
    s.vehicles.push(Vehicle {
        description: Some("white van".into()),
        plate: Some("ABC1234".into()),
        plate_state: Some("IL".into()),
    });
    s
}

/// Every file under `dir`, recursively, with its bytes.
fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn assert_nowhere(dir: &Path, canary: &str, when: &str) {
    let upper = canary.to_uppercase();
    for (path, bytes) in all_files(dir) {
        for needle in [canary.as_bytes(), upper.as_bytes()] {
            assert!(
                !contains(&bytes, needle),
                "{when}: canary found in {}",
                path.display()
            );
        }
        // UTF-16 too, in case anything ever wrote wide strings.
        let wide: Vec<u8> = canary.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(
            !contains(&bytes, &wide),
            "{when}: UTF-16 canary in {}",
            path.display()
        );
    }
}

#[test]
fn wrong_passphrase_is_typed_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    v.log(sighting("first"), &[], None).unwrap();
    v.lock();
    drop(v);
    let before = all_files(dir.path());
    let (v, _) = Vault::open(dir.path(), config(), None).unwrap();
    assert_eq!(v.state(), VaultState::Locked);
    assert!(matches!(
        v.unlock(&pass("not the passphrase")),
        Err(Error::WrongPassphrase)
    ));
    assert!(matches!(v.list(), Err(Error::Locked)));
    drop(v);
    let after = all_files(dir.path());
    let map = |f: Vec<(PathBuf, Vec<u8>)>| f.into_iter().collect::<HashMap<_, _>>();
    assert_eq!(
        map(before),
        map(after),
        "a wrong passphrase touches no file"
    );
}

#[test]
fn log_list_amend_keep_the_chain_valid() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    let a = v.log(sighting("alpha"), &[], None).unwrap();
    let b = v.log(sighting("bravo"), &[], None).unwrap();
    assert_eq!((a.seq, b.seq), (1, 2));
    let mut corrected = v.record(&a.id).unwrap().sighting;
    corrected.officer_count = Some(9);
    let amend = v
        .amend(&a.id, corrected, Some("recounted".into()), None)
        .unwrap();
    assert_eq!(amend.seq, 3);
    let record = v.record(&a.id[..8]).unwrap();
    assert_eq!(record.sighting.officer_count, Some(9));
    assert_eq!(record.amendments.len(), 1);
    assert_eq!(v.list().unwrap().len(), 2);
    assert_eq!(v.verify_chain().unwrap().entries, 3);
    // An amendment cannot target an amendment or a record that does not exist.
    assert!(matches!(
        v.amend(&amend.id, sighting("x"), Some("why".into()), None),
        Err(Error::NotFound { .. })
    ));
    // Invalid input is refused before anything is written.
    let mut bad = sighting("bad");
    bad.location = Some(Location {
        lat: 123.0,
        lon: 0.0,
        accuracy_m: None,
    });
    assert!(matches!(
        v.log(bad, &[], None),
        Err(Error::Sighting(SightingError::Latitude))
    ));
    let mut future = sighting("future");
    future.observed_at = Utc::now() + chrono::Duration::hours(1);
    assert!(matches!(
        v.log(future, &[], None),
        Err(Error::Sighting(SightingError::FutureTime))
    ));
    assert_eq!(v.verify_chain().unwrap().entries, 3);
}

#[test]
fn flipped_bits_and_swapped_rows_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    v.log(sighting("one"), &[], None).unwrap();
    v.log(sighting("two"), &[], None).unwrap();
    v.lock();
    drop(v);
    let db = dir.path().join("vault.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT seq, sealed FROM entries ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // Swap the two ciphertexts between rows: each is bound to its row, so neither decrypts.
    conn.execute("UPDATE entries SET sealed = ?1 WHERE seq = 1", [&rows[1].1])
        .unwrap();
    conn.execute("UPDATE entries SET sealed = ?1 WHERE seq = 2", [&rows[0].1])
        .unwrap();
    drop(conn);
    // Each is named by its number; neither is listed, and nothing else fails.
    let (v, _) = Vault::open(dir.path(), config(), None).unwrap();
    v.unlock(&pass(PASS)).unwrap();
    let listing = v.list_checked().unwrap();
    assert!(listing.records.is_empty());
    assert_eq!(
        listing.damaged.iter().map(|d| d.seq).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(matches!(
        v.verify_chain(),
        Err(Error::Vault(VaultError::ChainDamaged))
    ));
    v.lock();
    drop(v);
    // Restore, then flip one bit in the middle of an entry.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut flipped = rows[0].1.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    conn.execute("UPDATE entries SET sealed = ?1 WHERE seq = 1", [&flipped])
        .unwrap();
    conn.execute("UPDATE entries SET sealed = ?1 WHERE seq = 2", [&rows[1].1])
        .unwrap();
    drop(conn);
    let (v, _) = Vault::open(dir.path(), config(), None).unwrap();
    v.unlock(&pass(PASS)).unwrap();
    let listing = v.list_checked().unwrap();
    assert_eq!(listing.records.len(), 1);
    assert_eq!(
        listing.damaged.iter().map(|d| d.seq).collect::<Vec<_>>(),
        [1]
    );
}

fn export_json(v: &Vault) -> serde_json::Value {
    serde_json::from_slice(&v.export(&ExportTarget::Clear).unwrap()).unwrap()
}

fn verify(json: &serde_json::Value) -> silbato_core::vault::export::VerifyReport {
    verify_export(&serde_json::to_vec(json).unwrap(), None).unwrap()
}

#[test]
fn exports_verify_and_name_every_tampered_entry() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            v.log(sighting(&format!("entry {i}")), &[], None)
                .unwrap()
                .id,
        );
    }
    let clean = export_json(&v);
    let report = verify(&clean);
    assert!(report.valid, "{:?}", report.problems);
    assert_eq!(report.entries, 5);

    // Altered: change the notes inside entry 3's bytes.
    let mut altered = clean.clone();
    let b64 = altered["entries"][2]["entry"].as_str().unwrap().to_owned();
    let mut body: serde_json::Value = serde_json::from_slice(&b64url_decode(&b64)).unwrap();
    body["sighting"]["officer_count"] = serde_json::json!(1);
    altered["entries"][2]["entry"] =
        serde_json::json!(b64url_encode(&serde_json::to_vec(&body).unwrap()));
    let r = verify(&altered);
    assert!(!r.valid);
    assert_eq!(
        r.problems,
        vec![Problem::Changed {
            seq: 3,
            id: Some(ids[2].clone())
        }]
    );
    assert!(r.problems[0].to_string().contains("entry 3"));

    // Dropped: remove entry 2.
    let mut dropped = clean.clone();
    dropped["entries"].as_array_mut().unwrap().remove(1);
    assert_eq!(
        verify(&dropped).problems,
        vec![Problem::Missing {
            from_seq: 2,
            to_seq: 2
        }]
    );

    // Dropped from the end: the signed head gives it away.
    let mut tail = clean.clone();
    tail["entries"].as_array_mut().unwrap().pop();
    assert!(verify(&tail).problems.contains(&Problem::Missing {
        from_seq: 5,
        to_seq: 5
    }));

    // Dropped from the start, with no purge recorded.
    let mut head = clean.clone();
    head["entries"].as_array_mut().unwrap().remove(0);
    assert!(verify(&head).problems.contains(&Problem::Missing {
        from_seq: 1,
        to_seq: 1
    }));

    // Reordered: swap entries 2 and 3.
    let mut reordered = clean.clone();
    reordered["entries"].as_array_mut().unwrap().swap(1, 2);
    let problems = verify(&reordered).problems;
    assert!(
        problems.contains(&Problem::Reordered {
            seq: 2,
            id: Some(ids[1].clone()),
            after_seq: 3
        }),
        "{problems:?}"
    );

    // A forged device key: every signature fails.
    let mut forged = clean.clone();
    forged["device_public_key"] =
        serde_json::json!(SigningKey::generate().unwrap().public_key().to_string());
    assert!(!verify(&forged).valid);
}

fn b64url_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn b64url_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[test]
fn sealed_exports_open_only_with_the_recipient_key() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    v.log(sighting("sealed canary text"), &[], None).unwrap();
    let lawyer = SealSecretKey::generate().unwrap();
    let sealed = v
        .export(&ExportTarget::SealedTo(lawyer.public_key()))
        .unwrap();
    assert!(!contains(&sealed, b"sealed canary text"));
    assert!(verify_export(&sealed, None).is_err());
    let stranger = SealSecretKey::generate().unwrap();
    assert!(verify_export(&sealed, Some(&stranger)).is_err());
    let report = verify_export(&sealed, Some(&lawyer)).unwrap();
    assert!(report.valid);
    assert_eq!(report.entries, 1);
}

fn jpeg_with_metadata(canary: &str) -> Vec<u8> {
    let mut jpeg = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut jpeg, 90);
    let pixels: Vec<u8> = (0..16 * 16 * 3).map(|i| (i % 251) as u8).collect();
    enc.encode(&pixels, 16, 16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    // Insert APP1 (EXIF with a GPS-looking canary) and a COM segment after SOI.
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(format!("GPS 41.8781N 87.6298W {canary}").as_bytes());
    let seg = |marker: u8, body: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&u16::try_from(body.len() + 2).unwrap().to_be_bytes());
        s.extend_from_slice(body);
        s
    };
    let mut out = jpeg[..2].to_vec();
    out.extend(seg(0xE1, &exif));
    out.extend(seg(0xFE, format!("comment {canary}").as_bytes()));
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn png_with_metadata(canary: &str) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 4, 4);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.add_text_chunk("Comment".into(), format!("tEXt {canary}"))
            .unwrap();
        enc.add_itxt_chunk("XML:com.adobe.xmp".into(), format!("<x>{canary}</x>"))
            .unwrap();
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[7u8; 4 * 4 * 3]).unwrap();
    }
    out
}

#[test]
fn photos_are_stored_encrypted_and_without_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    let canary = "PHOTO-CANARY-7f3a";
    let jpeg = jpeg_with_metadata(canary);
    let png = png_with_metadata(canary);
    assert!(contains(&jpeg, canary.as_bytes()) && contains(&png, canary.as_bytes()));
    let receipt = v
        .log(sighting("with photos"), &[jpeg.clone(), png.clone()], None)
        .unwrap();
    let record = v.record(&receipt.id).unwrap();
    assert_eq!(record.sighting.attachments.len(), 2);
    for a in &record.sighting.attachments {
        let bytes = v.attachment(a).unwrap();
        assert!(
            !contains(&bytes, canary.as_bytes()),
            "{} kept metadata",
            a.media_type
        );
    }
    // The stripped JPEG still decodes to the same pixels.
    let stripped = v.attachment(&record.sighting.attachments[0]).unwrap();
    let before = jpeg_decoder::Decoder::new(&jpeg[..]).decode().unwrap();
    let after = jpeg_decoder::Decoder::new(&stripped[..]).decode().unwrap();
    assert_eq!(before, after);
    assert_nowhere(dir.path(), canary, "photos at rest");
    // An export carries the photos and checks them against the signed record's hashes.
    let mut export = export_json(&v);
    assert!(verify(&export).valid);
    export["attachments"][0]["data"] = serde_json::json!(b64url_encode(b"not the photo"));
    assert!(
        verify(&export)
            .problems
            .iter()
            .any(|p| matches!(p, Problem::AttachmentMissingOrChanged { .. }))
    );
    // Not an image: refused, nothing written.
    assert!(matches!(
        v.log(sighting("x"), &[b"GIF89a".to_vec()], None),
        Err(Error::Media(MediaError::UnsupportedFormat))
    ));
    assert_eq!(v.verify_chain().unwrap().entries, 1);
}

#[test]
fn nothing_typed_is_ever_on_disk_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let canary = "zqxcanary31415";
    let v = new_vault(dir.path());
    for i in 0..20 {
        let mut s = sighting(&format!("{canary} notes {i}"));
        s.badges.push(format!("{canary}-badge"));
        s.uniforms = Some(format!("{canary} vests"));
        s.vehicles[0].plate = Some("ZQX314".into());
        v.log(s, &[], None).unwrap();
    }
    // At rest, with the vault still open (WAL and shared memory present) and after closing.
    assert_nowhere(dir.path(), canary, "at rest, open");
    assert_nowhere(dir.path(), "ZQX314", "plate at rest, open");
    v.lock();
    drop(v);
    assert_nowhere(dir.path(), canary, "at rest, closed");
    // After a delete (the retention purge removes every entry).
    let (v, _) = Vault::open(dir.path(), config(), None).unwrap();
    v.unlock(&pass(PASS)).unwrap();
    let purged = v
        .purge_before(Utc::now() + chrono::Duration::days(2))
        .unwrap();
    assert_eq!(purged.purged, 20);
    assert_nowhere(dir.path(), canary, "after delete");
    assert!(v.list().unwrap().is_empty());
    // After a wipe.
    v.wipe().unwrap();
    assert_nowhere(dir.path(), canary, "after wipe");
    assert!(!dir.path().join("vault.db").exists() && !dir.path().join("vault.keys").exists());
}

#[test]
fn retention_purge_is_recorded_and_the_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    for i in 0..3 {
        v.log(sighting(&format!("old {i}")), &[], None).unwrap();
    }
    let report = v
        .purge_before(Utc::now() + chrono::Duration::days(1))
        .unwrap();
    assert_eq!(report.through_seq, Some(3));
    v.log(sighting("new"), &[], None).unwrap();
    let chain = v.verify_chain().unwrap();
    assert_eq!((chain.first_seq, chain.last_seq), (Some(4), Some(5)));
    let export = export_json(&v);
    let r = verify(&export);
    assert!(r.valid, "{:?}", r.problems);
    assert_eq!(r.purged_through, Some(3));
    // A configured retention period applies on every unlock.
    assert_eq!(v.retention_days().unwrap(), None);
    assert!(matches!(
        v.set_retention_days(Some(0)),
        Err(Error::Vault(VaultError::Retention))
    ));
    assert_eq!(
        v.set_retention_days(Some(30)).unwrap().unwrap().purged,
        0,
        "nothing is 30 days old"
    );
    assert_eq!(v.retention_days().unwrap(), Some(30));
    v.lock();
    v.unlock(&pass(PASS)).unwrap();
    assert_eq!(v.list().unwrap().len(), 1);
    // Age every entry by 40 days (the day an entry was recorded is its one plaintext date), then
    // unlock: the retention period removes them, and the removal is itself in the chain.
    v.lock();
    let conn = rusqlite::Connection::open(dir.path().join("vault.db")).unwrap();
    conn.execute("UPDATE entries SET recorded_day = recorded_day - 40", [])
        .unwrap();
    drop(conn);
    v.unlock(&pass(PASS)).unwrap();
    assert!(v.list().unwrap().is_empty(), "purged on unlock");
    assert!(verify(&export_json(&v)).valid);
    // Nothing older than the cutoff: nothing purged.
    assert_eq!(
        v.purge_before(Utc::now() - chrono::Duration::days(30))
            .unwrap()
            .purged,
        0
    );
}

#[test]
fn passphrase_change_rewraps_only() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    v.log(sighting("kept"), &[], None).unwrap();
    let db_before = std::fs::read(dir.path().join("vault.db")).ok();
    assert!(matches!(
        v.change_passphrase(&pass("wrong one!"), &pass("new passphrase")),
        Err(Error::WrongPassphrase)
    ));
    assert!(matches!(
        v.change_passphrase(&pass(PASS), &pass("short")),
        Err(Error::Vault(VaultError::PassphraseTooShort))
    ));
    v.change_passphrase(&pass(PASS), &pass("new passphrase"))
        .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("vault.db")).ok(),
        db_before,
        "records untouched"
    );
    v.lock();
    assert!(matches!(v.unlock(&pass(PASS)), Err(Error::WrongPassphrase)));
    v.unlock(&pass("new passphrase")).unwrap();
    assert_eq!(v.list().unwrap().len(), 1);
}

#[test]
fn idle_timeout_locks_and_lock_forgets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = VaultConfig {
        kdf: KdfParams::FAST_INSECURE,
        idle_timeout: Some(Duration::from_millis(100)),
    };
    let (v, _) = Vault::open(dir.path(), cfg, None).unwrap();
    v.init(&pass(PASS)).unwrap();
    v.log(sighting("x"), &[], None).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        v.state(),
        VaultState::Locked,
        "the background timer locked it"
    );
    assert!(matches!(v.list(), Err(Error::Locked)));
    v.unlock(&pass(PASS)).unwrap();
    v.lock();
    assert!(matches!(
        v.log(sighting("y"), &[], None),
        Err(Error::Locked)
    ));
}

/// A stand-in for Android Keystore / iOS Keychain, as the shells will implement it.
#[derive(Default)]
struct FakeKeystore(Mutex<HashMap<String, [u8; 32]>>);

impl PlatformKeyStore for FakeKeystore {
    fn wrap(&self, label: &str, secret: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        let mut m = self.0.lock().unwrap();
        let k = *m.entry(label.into()).or_insert_with(|| {
            let mut k = [0u8; 32];
            random_fill(&mut k).unwrap();
            k
        });
        aead_seal(&k, label.as_bytes(), secret).map_err(|_| KeyStoreError::Refused)
    }
    fn unwrap(&self, label: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
        let k = *self
            .0
            .lock()
            .unwrap()
            .get(label)
            .ok_or(KeyStoreError::NotFound)?;
        aead_open(&k, label.as_bytes(), blob).map_err(|_| KeyStoreError::Refused)
    }
    fn destroy(&self, label: &str) -> Result<(), KeyStoreError> {
        self.0.lock().unwrap().remove(label);
        Ok(())
    }
}

#[test]
fn platform_key_store_unlock_and_wipe_destroys_it_first() {
    let dir = tempfile::tempdir().unwrap();
    let ks = Arc::new(FakeKeystore::default());
    let (v, _) = Vault::open(dir.path(), config(), Some(ks.clone())).unwrap();
    v.init(&pass(PASS)).unwrap();
    v.log(sighting("platform"), &[], None).unwrap();
    v.enable_platform_unlock().unwrap();
    v.lock();
    v.unlock_with_platform().unwrap();
    assert_eq!(v.list().unwrap().len(), 1);
    v.wipe().unwrap();
    assert!(
        ks.0.lock().unwrap().is_empty(),
        "the platform key is destroyed"
    );
    assert_eq!(v.state(), VaultState::NotInitialized);
    // The know-your-rights library still works in the same directory.
    let (lib, _) = silbato_core::rights::RightsLibrary::open(dir.path()).unwrap();
    assert!(!lib.list_cards("es", None).unwrap().is_empty());
    // And a new vault can be made.
    v.init(&pass("a fresh passphrase")).unwrap();
    assert!(v.list().unwrap().is_empty());
}

#[test]
fn plate_matches_are_returned_when_logging() {
    let dir = tempfile::tempdir().unwrap();
    let publisher = SigningKey::generate().unwrap();
    let list = WatchlistPayload {
        format: 1,
        publisher: "net".into(),
        list_id: "plates".into(),
        version: 1,
        issued: Utc::now().date_naive(),
        entries: vec![WatchEntry {
            plate: "ABC-1234".into(),
            state: Some("IL".into()),
            description: Some("grey SUV".into()),
            last_seen: None,
        }],
    };
    let lists = Watchlists::open(dir.path()).unwrap();
    let trusted = [publisher.public_key()].into_iter().collect();
    lists
        .install(&sign_watchlist(list.clone(), &publisher).unwrap(), &trusted)
        .unwrap();
    // Rollback and an untrusted signer are refused.
    assert!(matches!(
        lists.install(&sign_watchlist(list.clone(), &publisher).unwrap(), &trusted),
        Err(Error::Rollback { .. })
    ));
    let stranger = SigningKey::generate().unwrap();
    assert!(matches!(
        lists.install(&sign_watchlist(list, &stranger).unwrap(), &trusted),
        Err(Error::UntrustedKey { .. })
    ));

    let v = new_vault(dir.path());
    let mut s = sighting("van");
    s.vehicles[0].plate = Some("A8C 1Z3?".into()); // confusables and an unknown character
    let receipt = v.log(s, &[], Some(&lists)).unwrap();
    assert_eq!(receipt.plate_matches.len(), 1);
    assert_eq!(
        receipt.plate_matches[0].description.as_deref(),
        Some("grey SUV")
    );
    assert_eq!(
        lists.check("1234", None).unwrap().len(),
        1,
        "a partial plate"
    );
    assert!(lists.check("XYZ9", None).unwrap().is_empty());
}

#[test]
fn a_damaged_vault_db_is_moved_aside_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    v.log(sighting("x"), &[], None).unwrap();
    v.lock();
    drop(v);
    std::fs::write(
        dir.path().join("vault.db"),
        b"garbage that is not sqlite at all, long enough to look like a header....",
    )
    .unwrap();
    let (v, report) = Vault::open(dir.path(), config(), None).unwrap();
    let aside = report.moved_aside.expect("moved aside");
    assert!(aside.exists());
    v.unlock(&pass(PASS)).unwrap();
    assert!(v.list().unwrap().is_empty());
    v.log(sighting("after"), &[], None).unwrap();
}
