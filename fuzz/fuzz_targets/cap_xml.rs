//! CAP 1.2 XML from other alerting systems.
#![no_main]

use libfuzzer_sys::fuzz_target;
use silbato_proto::cap::{from_cap, to_cap};

fuzz_target!(|data: &[u8]| {
    match from_cap(&String::from_utf8_lossy(data), "net") {
        Ok(alert) => {
            assert!(
                alert.validate().is_ok(),
                "from_cap returned an alert that does not validate"
            );
            let _ = to_cap(&alert, "fuzz@example.org");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
