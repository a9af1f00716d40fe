//! What the benchmarks share with `scripts/bench-report`: the quick/full switch, and the directory
//! where they leave machine-readable figures criterion does not keep (bytes on the wire, record
//! sizes, database sizes) and the inboxes built once and reused across runs.
//!
//! Also included by `tests/benches/network.rs` (`#[path]`), so both crates agree on the paths.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Small sizes, for validating the report script quickly (`SILBATO_BENCH_QUICK=1`), and whenever
/// the binary runs outside `cargo bench` (`cargo test --benches` runs each benchmark once: it must
/// not build a million-alert inbox to do so).
pub fn quick() -> bool {
    std::env::var("SILBATO_BENCH_QUICK").is_ok_and(|v| v == "1")
        || !std::env::args().any(|a| a == "--bench")
}

/// The full sizes, or the quick ones. Both lists go through the same code.
pub fn sizes(full: &[usize], quick_sizes: &[usize]) -> Vec<usize> {
    if quick() {
        quick_sizes.to_vec()
    } else {
        full.to_vec()
    }
}

/// `$SILBATO_BENCH_DATA`, else `<target dir>/silbato-bench` (the target dir from
/// `$CARGO_TARGET_DIR`, else the workspace's `target/`).
pub fn data_dir() -> PathBuf {
    let dir = if let Some(d) = std::env::var_os("SILBATO_BENCH_DATA") {
        PathBuf::from(d)
    } else if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        PathBuf::from(t).join("silbato-bench")
    } else {
        // Every crate with benchmarks (core/, tests/) sits one level under the workspace root.
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("silbato-bench")
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `<data_dir>/<name>.json`, replacing it whole (written aside, then renamed).
pub fn write_json(name: &str, value: &serde_json::Value) {
    let dir = data_dir();
    let tmp = dir.join(format!(".{name}.json.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{name}.json"))).unwrap();
}

/// Total size of the files directly in `dir` (a store's database, WAL and key files).
pub fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
