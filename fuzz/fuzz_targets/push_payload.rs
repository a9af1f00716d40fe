//! Push payloads as FCM, APNs or UnifiedPush hand them over: decoded, opened with a fixed device
//! push key, and the alert inside verified against the fixed network profile.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use silbato_proto::network::NetworkProfile;
use silbato_proto::push::{MAX_PUSH_BYTES, PushPayload, decode, open_sealed, wake_payload};
use silbato_proto::seal::SealSecretKey;

static FIXTURE: OnceLock<(SealSecretKey, NetworkProfile)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (secret, profile) = FIXTURE.get_or_init(|| {
        let p = silbato_fuzz::profile();
        p.validate().expect("the fixed profile is valid");
        (silbato_fuzz::push_secret(), p)
    });
    let sealed = match decode(data) {
        Ok(PushPayload::Wake) => {
            assert_eq!(
                data,
                wake_payload().as_slice(),
                "a wake-up carries nothing else"
            );
            return;
        }
        Ok(PushPayload::SealedAlert(sealed)) => {
            assert!(
                data.len() <= MAX_PUSH_BYTES,
                "decoded a push over the limit"
            );
            sealed
        }
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let envelope = match open_sealed(secret, sealed) {
        Ok(envelope) => envelope,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    silbato_fuzz::check_alert_envelope(profile, &envelope);
});
