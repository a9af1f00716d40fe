//! Fixtures shared by the fuzz targets and the seed writer (`seeds.rs`).
//!
//! Everything a target checks against is deterministic: Ed25519 keys are derived from fixed
//! seeds, the X25519 keys from fixed bytes, the clock is [`now`]. So the seeds written by
//! `cargo run --bin seeds` verify inside the targets on every run, on any machine, and a crash
//! reproduces from its artifact alone. The targets depend on `silbato-proto` (and the content
//! crate's Markdown) only: no database, no files, no device state.
//!
//! The profile and the alerts are made with `silbato-testkit`'s builders, as every test's are;
//! the keys are this crate's own (`silbato-fuzz/<label>`), because the committed corpus is signed
//! and sealed with them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use silbato_proto::alert::{Alert, Category, Certainty, MsgType};
use silbato_proto::crypto::{SigningKey, sha256};
use silbato_proto::geo::Point;
use silbato_proto::network::NetworkProfile;
use silbato_proto::seal::SealSecretKey;
use silbato_testkit::network::chicago_ring;
use silbato_testkit::{AlertBuilder, DispatcherSpec, NetworkBuilder, keys, sign_profile};

/// The network id of the fixed profile.
pub const NETWORK_ID: &str = "fuzz-net";

/// The fixed clock every target and seed uses: 2026-06-01T12:00:00Z, testkit's.
pub fn now() -> DateTime<Utc> {
    silbato_testkit::fixed_now()
}

/// An Ed25519 key derived from `label`: the same key on every run and in every process. Its
/// seed is SHA-256 of `silbato-fuzz/<label>` (not testkit's domain), so the committed corpus
/// keeps verifying.
pub fn signing_key(label: &str) -> SigningKey {
    keys::signing_key_from_seed(&sha256(format!("silbato-fuzz/{label}").as_bytes()))
}

pub fn root_key() -> SigningKey {
    signing_key("root")
}

pub fn publisher_key() -> SigningKey {
    signing_key("publisher")
}

/// The two dispatchers of the fixed profile (the default policy needs both for `observed`).
pub fn dispatcher_keys() -> [SigningKey; 2] {
    [
        signing_key("dispatcher-ana"),
        signing_key("dispatcher-luis"),
    ]
}

/// The dispatchers' X25519 key: sealed reports and the sealed-export seeds go to it.
pub fn seal_secret() -> SealSecretKey {
    SealSecretKey::from_bytes(&sha256(b"silbato-fuzz/seal")).unwrap()
}

/// The device's X25519 push key: the sealed push seeds are sealed to it, the push target opens
/// with it.
pub fn push_secret() -> SealSecretKey {
    SealSecretKey::from_bytes(&sha256(b"silbato-fuzz/push")).unwrap()
}

/// A valid profile for [`NETWORK_ID`], its dispatchers valid around [`now`]: regions Chicago
/// (with its box) and Illinois, dispatchers Ana and Luis, one publisher, one hotline.
pub fn profile() -> NetworkProfile {
    let from = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let until = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let mut profile = NetworkBuilder::new(NETWORK_ID)
        .name("Fuzz Rapid Response")
        .issued(NaiveDate::from_ymd_opt(2026, 5, 1).unwrap())
        .now(now())
        .regions(vec![])
        .region_with_polygon("US-IL-CHI", "Chicago", chicago_ring())
        .region("US-IL", "Illinois")
        .publishers(0)
        .publisher("Fuzz Publisher")
        .dispatchers(0)
        .dispatcher(DispatcherSpec::new("Ana").valid(from, until))
        .dispatcher(DispatcherSpec::new("Luis").valid(from, until))
        .hotline("Hotline", "+1 312 555 0100", Some("US-IL-CHI"))
        .build()
        .profile;
    // This crate's keys in place of the builder's: one root, one publisher, and one report key
    // shared by both dispatchers.
    profile.root_keys = vec![root_key().public_key()];
    profile.publisher_keys[0].key = publisher_key().public_key();
    let seal_key = seal_secret().public_key();
    for (d, key) in profile.dispatcher_keys.iter_mut().zip(dispatcher_keys()) {
        d.key = key.public_key();
        d.seal_key = Some(seal_key);
    }
    profile
}

/// The fixed profile's envelope, signed by its root key.
pub fn signed_profile() -> Vec<u8> {
    sign_profile(&profile(), &[&root_key()])
}

/// A valid alert of the fixed network, live at [`now`]: testkit's raid alert over 47th and
/// Ashland (circle, a small polygon, region `US-IL-CHI`), sent three minutes before [`now`] for
/// two hours, with an English description and instruction and a hotline; a cancel is an
/// all-clear.
pub fn sample_alert(
    id: &str,
    msg_type: MsgType,
    references: &[&str],
    certainty: Certainty,
) -> Alert {
    let alert = AlertBuilder::new(id)
        .network(NETWORK_ID)
        .now(now())
        .msg_type(msg_type)
        .references(references)
        .certainty(certainty)
        .sent_ago(Duration::minutes(3))
        .lifetime(Duration::hours(2))
        .polygon(vec![
            Point {
                lat: 41.80,
                lon: -87.67,
            },
            Point {
                lat: 41.81,
                lon: -87.67,
            },
            Point {
                lat: 41.81,
                lon: -87.66,
            },
        ])
        .description("en", Some("Two unmarked vans.\nAgents on foot."))
        .instruction("en", Some("Do not open the door. Call the hotline."))
        .hotline(Some("+1 312 555 0100"));
    if msg_type == MsgType::Cancel {
        alert.category(Category::AllClear).build()
    } else {
        alert.build()
    }
}

/// Runs an alert envelope through every stateless ingest rule against `profile` and checks what a
/// verified alert promises: it validates and has signers. A refusal only has to describe itself.
/// Shared by the `alert_envelope` and `push_payload` targets, so both hold the same invariants.
pub fn check_alert_envelope(profile: &NetworkProfile, envelope: &[u8]) {
    match silbato_proto::alert::verify_alert_envelope(
        std::slice::from_ref(profile),
        envelope,
        now(),
    ) {
        Ok(v) => {
            assert!(
                v.alert.validate().is_ok(),
                "a verified alert does not validate"
            );
            assert!(!v.signers.is_empty(), "a verified alert without signers");
        }
        Err(r) => {
            let _ = r.to_string();
        }
    }
}
