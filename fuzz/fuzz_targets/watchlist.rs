//! Watch-list files and the organizer's CSV.
#![no_main]

use libfuzzer_sys::fuzz_target;
use silbato_proto::watchlist::{entries_from_csv, open_watchlist};

fuzz_target!(|data: &[u8]| {
    match open_watchlist(data, |_| true) {
        Ok((payload, _signers)) => {
            assert!(payload.entries.len() <= silbato_proto::watchlist::MAX_ENTRIES)
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Err(e) = entries_from_csv(&String::from_utf8_lossy(data)) {
        let _ = e.to_string();
    }
});
