//! Network profiles, from a file or from the text of a QR code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use silbato_proto::network::{decode_qr, open_profile};

fn check(bytes: &[u8]) {
    match open_profile(bytes) {
        Ok((profile, signers)) => {
            assert!(!signers.is_empty(), "a profile opened without a signer");
            let _ = profile.fingerprint();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    match decode_qr(&String::from_utf8_lossy(data)) {
        Ok(bytes) => check(&bytes),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
