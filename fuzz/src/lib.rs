//! Fixtures shared by the fuzz targets and the seed writer (`seeds.rs`).
//!
//! Everything a target checks against is deterministic: Ed25519 keys are derived from fixed
//! seeds, the X25519 key from fixed bytes, the clock is [`now`]. So the seeds written by
//! `cargo run --bin seeds` verify inside the targets on every run, and a crash reproduces
//! from its artifact alone. The one exception is the push target's inbox, whose push key the
//! core generates at random: the seed writer makes a template inbox under [`state_dir`] and seals
//! the push seeds to it; the target works on a copy of that template.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use silbato_core::crypto::{PublicKey, SigningKey, sha256};
use silbato_core::envelope;
use silbato_core::inbox::Inbox;
use silbato_core::inbox::alert::{
    Alert, AlertText, Area, Category, Certainty, MsgType, Severity, Urgency,
};
use silbato_core::inbox::geo::{Circle, Point};
use silbato_core::keys::FileKeyStore;
use silbato_core::network::{
    AlertPolicy, DispatcherKey, NETWORK_KIND, NamedKey, NetworkHotline, NetworkProfile, Region,
};
use silbato_core::seal::SealSecretKey;

/// The network id of the fixed profile.
pub const NETWORK_ID: &str = "fuzz-net";

/// The fixed clock every target and seed uses.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

/// An Ed25519 key derived from `label`: the same key on every run and in every process.
pub fn signing_key(label: &str) -> SigningKey {
    let seed = sha256(format!("silbato-fuzz/{label}").as_bytes());
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
    let public: [u8; 32] = ring::signature::KeyPair::public_key(&pair)
        .as_ref()
        .try_into()
        .unwrap();
    // PKCS#8 v2 (RFC 8410 with the public key), byte for byte what ring generates.
    let mut pkcs8 = vec![
        0x30, 0x53, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend_from_slice(&seed);
    pkcs8.extend_from_slice(&[0xa1, 0x23, 0x03, 0x21, 0x00]);
    pkcs8.extend_from_slice(&public);
    let file = serde_json::json!({
        "type": "silbato-ed25519-secret-key",
        "version": 1,
        "public_key": PublicKey::from_bytes(public).to_string(),
        "secret_pkcs8": URL_SAFE_NO_PAD.encode(&pkcs8),
    });
    SigningKey::from_key_file(file.to_string().as_bytes()).unwrap()
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

/// A valid profile for [`NETWORK_ID`], its dispatchers valid around [`now`].
pub fn profile() -> NetworkProfile {
    let from = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let until = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let seal_key = Some(seal_secret().public_key());
    let [ana, luis] = dispatcher_keys();
    NetworkProfile {
        format: 1,
        network_id: NETWORK_ID.into(),
        name: "Fuzz Rapid Response".into(),
        version: 1,
        issued: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
        hub_url: "https://hub.example.org".into(),
        regions: vec![
            Region {
                code: "US-IL-CHI".into(),
                name: "Chicago".into(),
                polygon: Some(vec![
                    Point {
                        lat: 41.64,
                        lon: -87.94,
                    },
                    Point {
                        lat: 42.02,
                        lon: -87.94,
                    },
                    Point {
                        lat: 42.02,
                        lon: -87.52,
                    },
                    Point {
                        lat: 41.64,
                        lon: -87.52,
                    },
                ]),
            },
            Region {
                code: "US-IL".into(),
                name: "Illinois".into(),
                polygon: None,
            },
        ],
        root_keys: vec![root_key().public_key()],
        publisher_keys: vec![NamedKey {
            key: publisher_key().public_key(),
            name: "Fuzz Publisher".into(),
        }],
        dispatcher_keys: vec![
            DispatcherKey {
                key: ana.public_key(),
                name: "Ana".into(),
                valid_from: from,
                valid_until: until,
                seal_key,
            },
            DispatcherKey {
                key: luis.public_key(),
                name: "Luis".into(),
                valid_from: from,
                valid_until: until,
                seal_key,
            },
        ],
        alert_policy: AlertPolicy::default(),
        hotlines: vec![NetworkHotline {
            name: "Hotline".into(),
            number: "+1 312 555 0100".into(),
            region: Some("US-IL-CHI".into()),
        }],
    }
}

/// The fixed profile's envelope, signed by its root key.
pub fn signed_profile() -> Vec<u8> {
    let payload = serde_json::to_vec(&profile()).unwrap();
    envelope::seal(NETWORK_KIND, &payload, &[&root_key()]).unwrap()
}

/// A valid alert of the fixed network, live at [`now`].
pub fn sample_alert(
    id: &str,
    msg_type: MsgType,
    references: &[&str],
    certainty: Certainty,
) -> Alert {
    let mut info = BTreeMap::new();
    info.insert(
        "en".to_owned(),
        AlertText {
            headline: "ICE vans at 47th and Ashland".into(),
            description: Some("Two unmarked vans.\nAgents on foot.".into()),
            instruction: Some("Do not open the door. Call the hotline.".into()),
        },
    );
    info.insert(
        "es".to_owned(),
        AlertText {
            headline: "Camionetas de ICE en la 47 y Ashland".into(),
            description: None,
            instruction: None,
        },
    );
    let sent = now() - Duration::minutes(3);
    Alert {
        format: 1,
        id: id.into(),
        network: NETWORK_ID.into(),
        msg_type,
        references: references.iter().map(|r| (*r).to_owned()).collect(),
        category: if msg_type == MsgType::Cancel {
            Category::AllClear
        } else {
            Category::Raid
        },
        severity: Severity::Severe,
        urgency: Urgency::Immediate,
        certainty,
        sent,
        expires: sent + Duration::hours(2),
        area: Area {
            circles: vec![Circle {
                center: Point {
                    lat: 41.8087,
                    lon: -87.6656,
                },
                radius_m: 800.0,
            }],
            polygons: vec![vec![
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
            ]],
            regions: vec!["US-IL-CHI".into()],
        },
        info,
        hotline: Some("+1 312 555 0100".into()),
    }
}

/// Where the fuzz crate keeps state between processes: `fuzz/target/fuzz-state`.
pub fn state_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("fuzz-state")
}

/// The template inbox the push seeds are sealed to (data and file key store in one directory).
pub fn push_template_dir() -> PathBuf {
    state_dir().join("push-inbox")
}

/// Seeds that only this machine can make (sealed to its template inbox): one directory per
/// target, read by `scripts/fuzz` beside the committed corpus.
pub fn local_seeds_dir() -> PathBuf {
    state_dir().join("seeds")
}

/// Marks a complete template (written last).
pub const TEMPLATE_READY: &str = "READY";

/// A fresh scratch directory under `state_dir()/tmp` (`scripts/fuzz` empties it after a run:
/// libFuzzer exits without running destructors).
pub fn scratch_dir(prefix: &str) -> tempfile::TempDir {
    let base = state_dir().join("tmp");
    std::fs::create_dir_all(&base).unwrap();
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(base)
        .unwrap()
}

/// Opens an inbox in `dir` (a fresh one, or a copy of the template) with the fixed network
/// installed and confirmed.
pub fn open_inbox_with_network(dir: &Path) -> Inbox {
    let inbox = Inbox::open(dir, &FileKeyStore::new(dir)).unwrap();
    if inbox.network(NETWORK_ID).is_err() {
        inbox
            .install_network(&signed_profile(), Some(&profile().fingerprint()))
            .unwrap();
    }
    inbox
}

/// Copies the files of `from` (not recursive: an inbox directory is flat) into `to`.
pub fn copy_flat(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}
