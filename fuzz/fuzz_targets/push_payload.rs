//! Push payloads as FCM, APNs or UnifiedPush hand them over, into a real inbox.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use silbato_core::inbox::Inbox;

static INBOX: OnceLock<(tempfile::TempDir, Inbox)> = OnceLock::new();

fn inbox() -> &'static Inbox {
    &INBOX
        .get_or_init(|| {
            let dir = silbato_fuzz::scratch_dir("push-");
            // A copy of the template the push seeds were sealed to, when the seeds were made.
            let template = silbato_fuzz::push_template_dir();
            if template.join(silbato_fuzz::TEMPLATE_READY).exists() {
                silbato_fuzz::copy_flat(&template, dir.path()).expect("copy the template inbox");
            }
            let inbox = silbato_fuzz::open_inbox_with_network(dir.path());
            (dir, inbox)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let inbox = inbox();
    match inbox.ingest_push(data, "en", silbato_fuzz::now()) {
        Ok(outcome) => {
            let _ = serde_json::to_string(&outcome);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
