//! Sealed sighting reports (and the seal formats under them) opened with a fixed key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use silbato_proto::protocol::open_report;
use silbato_proto::seal::{self, SealSecretKey};

static SECRET: OnceLock<SealSecretKey> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let secret = SECRET.get_or_init(silbato_fuzz::seal_secret);
    match open_report(data, secret) {
        Ok(report) => {
            let _ = serde_json::to_vec(&report);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Err(e) = seal::open(secret, b"silbato/push/v1", b"SBP1", data) {
        let _ = e.to_string();
    }
    if let Err(e) = seal::open_from_many(secret, b"silbato-fuzz", b"", data) {
        let _ = e.to_string();
    }
});
