//! Every JSON body a hub sends a device or a dispatcher, and the alerts inside a page.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use silbato_proto::alert::verify_alert_envelope;
use silbato_proto::network::NetworkProfile;
use silbato_proto::protocol::{
    AlertPosted, AlertsPage, ErrorBody, PushSubscription, ReportReceipt, ReportsPage, open_report,
    unb64,
};
use silbato_proto::seal::SealSecretKey;

static FIXTURE: OnceLock<(NetworkProfile, SealSecretKey)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (profile, secret) =
        FIXTURE.get_or_init(|| (silbato_fuzz::profile(), silbato_fuzz::seal_secret()));
    let now = silbato_fuzz::now();
    if let Ok(page) = serde_json::from_slice::<AlertsPage>(data) {
        for a in &page.alerts {
            if let Some(bytes) = unb64(a) {
                if let Err(r) = verify_alert_envelope(std::slice::from_ref(profile), &bytes, now) {
                    let _ = r.to_string();
                }
            }
        }
    }
    if let Ok(page) = serde_json::from_slice::<ReportsPage>(data) {
        for item in &page.reports {
            if let Some(bytes) = unb64(&item.sealed) {
                let _ = open_report(&bytes, secret);
            }
        }
    }
    let _ = serde_json::from_slice::<AlertPosted>(data);
    let _ = serde_json::from_slice::<ReportReceipt>(data);
    let _ = serde_json::from_slice::<ErrorBody>(data);
    if let Ok(sub) = serde_json::from_slice::<PushSubscription>(data) {
        if let Err(e) = sub.validate() {
            let _ = e.to_string();
        }
    }
});
