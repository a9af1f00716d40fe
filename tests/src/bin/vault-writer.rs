//! Test helper for the crash-safety scenario: opens (or creates) a vault in the directory given as
//! the first argument and logs sightings forever, printing `ACK <id>` once each write has returned.
//! The test kills it with SIGKILL at random moments.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use chrono::Utc;
use silbato_core::keys::{KdfParams, Passphrase};
use silbato_core::vault::{Activity, Agency, Confidence, Sighting, Vault, VaultConfig, VaultState};

fn main() {
    let dir = std::env::args().nth(1).expect("data dir");
    let cfg = VaultConfig {
        kdf: KdfParams::FAST_INSECURE,
        idle_timeout: None,
    };
    let (vault, _) = Vault::open(std::path::Path::new(&dir), cfg, None).expect("open");
    let pass = || Passphrase::new("crash test passphrase".into());
    if vault.state() == VaultState::NotInitialized {
        vault.init(&pass()).expect("init");
    } else {
        vault.unlock(&pass()).expect("unlock");
    }
    let stdout = std::io::stdout();
    for i in 0u64.. {
        let mut s = Sighting::new(
            Utc::now(),
            Activity::Patrol,
            Agency::Cbp,
            Confidence::Likely,
        );
        s.notes = Some(format!(
            "crash test entry {i} {}",
            "x".repeat((i % 7) as usize * 100)
        ));
        let receipt = vault.log(s, &[], None).expect("log");
        let mut out = stdout.lock();
        writeln!(out, "ACK {}", receipt.id).expect("stdout");
        out.flush().expect("flush");
    }
}
