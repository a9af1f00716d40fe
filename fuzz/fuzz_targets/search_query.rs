//! What a user types into the rights library's search box: always answered, never an error.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use silbato_core::rights::{RightsLibrary, SearchOptions};

static LIBRARY: OnceLock<(tempfile::TempDir, RightsLibrary)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (_, lib) = LIBRARY.get_or_init(|| {
        let dir = silbato_fuzz::scratch_dir("rights-");
        let (lib, _) = RightsLibrary::open(dir.path()).expect("open the rights library");
        (dir, lib)
    });
    let query = String::from_utf8_lossy(data);
    for lang in [None, Some("es")] {
        let opts = SearchOptions {
            lang: lang.map(str::to_owned),
            limit: 20,
        };
        match lib.search(&query, &opts) {
            Ok(hits) => assert!(hits.len() <= 20, "search returned more hits than the limit"),
            Err(e) => panic!("search({query:?}, lang {lang:?}) failed: {e}"),
        }
    }
});
