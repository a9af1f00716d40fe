//! Alert envelopes against a fixed, valid network profile; alert payloads on their own.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use silbato_proto::alert::Alert;
use silbato_proto::cap::to_cap;
use silbato_proto::network::NetworkProfile;

static PROFILE: OnceLock<NetworkProfile> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let profile = PROFILE.get_or_init(|| {
        let p = silbato_fuzz::profile();
        p.validate().expect("the fixed profile is valid");
        p
    });
    silbato_fuzz::check_alert_envelope(profile, data);
    if let Ok(alert) = serde_json::from_slice::<Alert>(data) {
        if alert.validate().is_ok() {
            let _ = alert.text("es");
            let _ = to_cap(&alert, "fuzz@example.org");
        }
    }
});
