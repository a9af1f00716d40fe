//! Photo metadata stripping (JPEG, PNG) before an attachment enters the vault.
#![no_main]

use libfuzzer_sys::fuzz_target;
use silbato_proto::media::strip_metadata;

fuzz_target!(|data: &[u8]| {
    match strip_metadata(data) {
        Ok(s) => {
            assert!(
                s.bytes.len() <= data.len(),
                "stripped image is longer than the input"
            );
            let _ = strip_metadata(&s.bytes);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
