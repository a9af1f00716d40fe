//! The card bodies' Markdown subset.
#![no_main]

use libfuzzer_sys::fuzz_target;
use silbato_content::{parse_markdown, plain_text};

fuzz_target!(|data: &[u8]| {
    let blocks = parse_markdown(&String::from_utf8_lossy(data));
    let _ = plain_text(&blocks);
});
