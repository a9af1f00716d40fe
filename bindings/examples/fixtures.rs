//! Signed fixtures for the foreign-language tests (bindings/python/tests), made with silbato-core's
//! public API and fresh keys each run:
//!
//! ```text
//! cargo run -p silbato-ffi --example fixtures -- OUT_DIR
//!     profile.json         a network profile ("chi", "Chicago Rapid Response") signed by its root key
//!     fingerprint.txt      the profile's root-key fingerprint
//!     alert-observed.json  an "observed" raid alert signed by both dispatchers (two-person rule)
//!     alert-tampered.json  another alert's payload under the first alert's signatures
//! cargo run -p silbato-ffi --example fixtures -- push DEVICE_KEY_HEX ALERT_FILE OUT_FILE
//!     OUT_FILE             ALERT_FILE sealed to a device's X25519 push key (64 hex digits)
//! ```
//!
//! The alert's area is a 800 m circle around 41.8087,-87.6656 (47th and Ashland, Chicago); it was
//! sent a minute before the fixtures were made and expires two hours after.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;

use chrono::{Duration, Utc};
use silbato_core::crypto::SigningKey;
use silbato_core::envelope;
use silbato_core::inbox::alert::{
    Alert, AlertText, Area, Category, Certainty, MsgType, Severity, Urgency, sign_alert,
};
use silbato_core::inbox::geo::{Circle, Point};
use silbato_core::inbox::push::seal_for_device;
use silbato_core::network::{AlertPolicy, DispatcherKey, NETWORK_KIND, NetworkProfile, Region};
use silbato_core::seal::SealPublicKey;

type Res<T> = Result<T, Box<dyn Error>>;

const USAGE: &str = "usage: fixtures OUT_DIR | fixtures push DEVICE_KEY_HEX ALERT_FILE OUT_FILE";

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, key, alert, out] if cmd == "push" => push(key, Path::new(alert), Path::new(out)),
        [out] if out != "push" => network(Path::new(out)),
        _ => Err(USAGE.into()),
    }
}

fn alert(id: &str, headline: &str) -> Alert {
    let now = Utc::now();
    let mut info = BTreeMap::new();
    info.insert(
        "en".into(),
        AlertText {
            headline: headline.into(),
            description: Some("Two unmarked vans".into()),
            instruction: Some("Do not open the door".into()),
        },
    );
    info.insert(
        "es".into(),
        AlertText {
            headline: "Camionetas de ICE en la 47 y Ashland".into(),
            description: None,
            instruction: Some("No abra la puerta".into()),
        },
    );
    Alert {
        format: 1,
        id: id.into(),
        network: "chi".into(),
        msg_type: MsgType::Alert,
        references: vec![],
        category: Category::Raid,
        severity: Severity::Severe,
        urgency: Urgency::Immediate,
        certainty: Certainty::Observed,
        sent: now - Duration::minutes(1),
        expires: now + Duration::hours(2),
        area: Area {
            circles: vec![Circle {
                center: Point {
                    lat: 41.8087,
                    lon: -87.6656,
                },
                radius_m: 800.0,
            }],
            polygons: vec![],
            regions: vec!["US-IL-CHI".into()],
        },
        info,
        hotline: None,
    }
}

fn network(out: &Path) -> Res<()> {
    std::fs::create_dir_all(out)?;
    let (root, d1, d2) = (
        SigningKey::generate()?,
        SigningKey::generate()?,
        SigningKey::generate()?,
    );
    let now = Utc::now();
    let dispatcher = |k: &SigningKey, name: &str| DispatcherKey {
        key: k.public_key(),
        name: name.into(),
        valid_from: now - Duration::days(1),
        valid_until: now + Duration::days(30),
        seal_key: None,
    };
    let profile = NetworkProfile {
        format: 1,
        network_id: "chi".into(),
        name: "Chicago Rapid Response".into(),
        version: 1,
        issued: now.date_naive(),
        hub_url: "https://hub.example.org".into(),
        regions: vec![Region {
            code: "US-IL-CHI".into(),
            name: "Chicago".into(),
            polygon: None,
        }],
        root_keys: vec![root.public_key()],
        publisher_keys: vec![],
        dispatcher_keys: vec![dispatcher(&d1, "Ana"), dispatcher(&d2, "Luis")],
        alert_policy: AlertPolicy::default(),
        hotlines: vec![],
    };
    let signed = envelope::seal(NETWORK_KIND, &serde_json::to_vec(&profile)?, &[&root])?;
    std::fs::write(out.join("profile.json"), signed)?;
    std::fs::write(out.join("fingerprint.txt"), profile.fingerprint())?;

    let observed = sign_alert(
        &alert("observed-1", "ICE vans at 47th and Ashland"),
        &[&d1, &d2],
    )?;
    std::fs::write(out.join("alert-observed.json"), &observed)?;

    // Changed bytes under valid signatures: the payload of a different alert, the signatures of
    // another one.
    let other = sign_alert(&alert("tampered-1", "All clear at 47th"), &[&d1, &d2])?;
    let mut tampered: serde_json::Value = serde_json::from_slice(&sign_alert(
        &alert("tampered-1", "ICE vans at 47th and Ashland"),
        &[&d1, &d2],
    )?)?;
    let other: serde_json::Value = serde_json::from_slice(&other)?;
    tampered["payload"] = other["payload"].clone();
    std::fs::write(
        out.join("alert-tampered.json"),
        serde_json::to_vec_pretty(&tampered)?,
    )?;
    Ok(())
}

fn push(key_hex: &str, alert: &Path, out: &Path) -> Res<()> {
    let hex = key_hex.trim();
    if hex.len() != 64 || !hex.is_ascii() {
        return Err("a device push key is 32 bytes: 64 hex digits".into());
    }
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)?;
    }
    let sealed = seal_for_device(&std::fs::read(alert)?, &SealPublicKey::from_bytes(key))?;
    std::fs::write(out, sealed)?;
    Ok(())
}
