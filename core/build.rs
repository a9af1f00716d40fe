//! Builds the bundled know-your-rights pack from `content/` at compile time, so the library has
//! it on first launch with no network. A content error fails the build with the file to fix.

use std::path::Path;
use std::{env, fs, process};

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let content = Path::new(&manifest).join("../content");
    println!("cargo:rerun-if-changed={}", content.display());

    let pack = match silbato_content::load_dir(&content) {
        Ok(pack) => pack,
        Err(e) => {
            eprintln!("bundled content is invalid: {e}");
            process::exit(1);
        }
    };
    let bytes = match serde_json::to_vec(&pack) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("cannot serialise the bundled pack: {e}");
            process::exit(1);
        }
    };
    let out = env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = fs::write(Path::new(&out).join("bundled_pack.json"), bytes) {
        eprintln!("cannot write the bundled pack: {e}");
        process::exit(1);
    }
}
