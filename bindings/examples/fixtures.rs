//! Signed fixtures for the foreign-language tests (bindings/python/tests), made with
//! `silbato-testkit`'s builders; its keys are derived from fixed labels, so the profile's keys and
//! fingerprint are the same on every run (only the dates move with the clock):
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

use std::error::Error;
use std::path::Path;

use chrono::Utc;
use silbato_core::inbox::push::seal_for_device;
use silbato_core::seal::SealPublicKey;
use silbato_testkit::envelope::swap_payload;
use silbato_testkit::{AlertBuilder, TestNetwork};

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

/// A raid alert of `net`, observed, in English (`headline`, with a description and an
/// instruction) and Spanish.
fn alert(net: &TestNetwork, id: &str, headline: &str) -> AlertBuilder {
    net.alert(id)
        .text("en", headline)
        .description("en", Some("Two unmarked vans"))
        .instruction("en", Some("Do not open the door"))
        .instruction("es", Some("No abra la puerta"))
}

fn network(out: &Path) -> Res<()> {
    std::fs::create_dir_all(out)?;
    // Dispatchers Ana and Luis (valid from a day ago for 30 days), no publishers, no report keys.
    let net = TestNetwork::builder()
        .now(Utc::now())
        .publishers(0)
        .without_seal_keys()
        .build();
    std::fs::write(out.join("profile.json"), &net.envelope)?;
    std::fs::write(out.join("fingerprint.txt"), net.fingerprint())?;

    let both = net.dispatcher_signers(2);
    let observed = alert(&net, "observed-1", "ICE vans at 47th and Ashland").sign(&both)?;
    std::fs::write(out.join("alert-observed.json"), &observed)?;

    // Changed bytes under valid signatures: the payload of a different alert, the signatures of
    // another one.
    let other = alert(&net, "tampered-1", "All clear at 47th").sign(&both)?;
    let signed = alert(&net, "tampered-1", "ICE vans at 47th and Ashland").sign(&both)?;
    std::fs::write(
        out.join("alert-tampered.json"),
        swap_payload(&signed, &other)?,
    )?;
    Ok(())
}

fn push(key_hex: &str, alert: &Path, out: &Path) -> Res<()> {
    let key = silbato_core::crypto::from_hex::<32>(key_hex.trim())
        .ok_or("a device push key is 32 bytes: 64 hex digits")?;
    let sealed = seal_for_device(&std::fs::read(alert)?, &SealPublicKey::from_bytes(key))?;
    std::fs::write(out, sealed)?;
    Ok(())
}
