//! Vault exports handed to a lawyer or an organizer: clear, and sealed to a fixed key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use silbato_proto::export::verify_export;
use silbato_proto::seal::SealSecretKey;

static SECRET: OnceLock<SealSecretKey> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let secret = SECRET.get_or_init(silbato_fuzz::seal_secret);
    match verify_export(data, None) {
        Ok(report) => {
            let _ = format!("{report:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Err(e) = verify_export(data, Some(secret)) {
        let _ = e.to_string();
    }
});
