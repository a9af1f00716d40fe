//! Content pack files (downloaded from a hub or side-loaded): verify, parse, validate.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use silbato_proto::crypto::PublicKey;
use silbato_proto::pack::{inspect_pack, open_pack};

static PUBLISHER: OnceLock<PublicKey> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let publisher = PUBLISHER.get_or_init(|| silbato_fuzz::publisher_key().public_key());
    let inspected = inspect_pack(data);
    if let Err(e) = &inspected {
        let _ = e.to_string();
    }
    // The trust callback is the only difference: what any key may sign must still parse the same.
    let any = open_pack(data, |_| true);
    assert_eq!(
        inspected.is_ok(),
        any.is_ok(),
        "inspect_pack and open_pack(|_| true) disagree"
    );
    // Only the fixed publisher trusted: exercises the untrusted-signer path too.
    if let Ok(p) = open_pack(data, |k| k == publisher) {
        assert!(
            inspected.is_ok(),
            "a pack trusted by one key failed inspection"
        );
        assert!(p.signers.iter().all(|k| k == publisher));
    }
});
