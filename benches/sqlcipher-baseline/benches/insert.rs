//! The SQLCipher baseline for the vault insert benchmark (`core/benches/vault.rs`): the same
//! records, the same table and statement as its plain rusqlite baseline, the same pragmas as the
//! vault's store, one transaction per record, in a database encrypted by SQLCipher.
//!
//! The records are the JSON the vault bench writes to `<data dir>/vault-records.jsonl` (run it
//! first; `scripts/bench-report` does). The database is keyed with a raw 256-bit key
//! (`PRAGMA key = "x'..'"`), so SQLCipher runs no PBKDF2: the figure is the cost of page
//! encryption and HMAC per insert, no key derivation (which SQLCipher pays once per open anyway).
//! Beside it, the same SQLCipher library with no key (a plain database), to separate the cipher's
//! cost from the difference between SQLCipher's SQLite and the workspace's bundled one.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rusqlite::Connection;
use serde_json::json;

/// As `core/benches/support`: `$SILBATO_BENCH_DATA`, else `<target dir>/silbato-bench` where the
/// target dir is `$CARGO_TARGET_DIR`, else the main workspace's `target/` (two levels up).
fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SILBATO_BENCH_DATA") {
        PathBuf::from(d)
    } else if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        PathBuf::from(t).join("silbato-bench")
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/silbato-bench")
    }
}

/// The vault store's pragmas (`core/src/store.rs` `configure` with the vault's `StoreSpec`), as
/// the vault bench's plain baseline applies them.
const VAULT_PRAGMAS: &str = "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY;";

/// A fixed benchmark key, 32 bytes in hex: a raw key, no KDF.
const RAW_KEY: &str = "x'8f3c1a5e7d2b9046e1f7a3c58b0d2e4f6a1c3e5b7d9f0a2c4e6b8d0f1a3c5e79'";

fn records() -> Vec<Vec<u8>> {
    let path = data_dir().join("vault-records.jsonl");
    let text = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!(
            "cannot read {}: {e}; run `cargo bench -p silbato-core --bench vault` first",
            path.display()
        );
        std::process::exit(2);
    });
    let records: Vec<Vec<u8>> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    assert!(!records.is_empty());
    // The vault bench's records are all one size; the same bytes, so the same sizes here.
    assert!(records.iter().all(|r| r.len() == records[0].len()));
    records
}

fn open(path: &Path, key: Option<&str>) -> Connection {
    let conn = Connection::open(path).unwrap();
    if let Some(key) = key {
        // Must be the first statement on the connection.
        conn.execute_batch(&format!("PRAGMA key = \"{key}\";"))
            .unwrap();
    }
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch(VAULT_PRAGMAS).unwrap();
    conn.execute_batch("CREATE TABLE entries (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);")
        .unwrap();
    conn
}

fn insert(c: &mut Criterion) {
    let records = records();
    let mut group = c.benchmark_group("vault_insert_sqlcipher");
    group.sample_size(50);
    let dir = tempfile::tempdir().unwrap();
    let mut cipher = None;
    for (name, key) in [
        ("sqlcipher_raw_key", Some(RAW_KEY)),
        ("sqlcipher_unkeyed", None),
    ] {
        let path = dir.path().join(format!("{name}.db"));
        let conn = open(&path, key);
        if key.is_some() {
            let pragma = |p: &str| {
                conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, String>(0))
                    .unwrap()
            };
            cipher = Some(json!({
                "version": pragma("cipher_version"),
                "provider": pragma("cipher_provider"),
                "provider_version": pragma("cipher_provider_version"),
            }));
        }
        let mut i = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                let tx = conn.unchecked_transaction().unwrap();
                tx.execute(
                    "INSERT INTO entries (body) VALUES (?1)",
                    [&records[i % records.len()]],
                )
                .unwrap();
                tx.commit().unwrap();
            });
        });
        drop(conn);
        if key.is_some() {
            // Encrypted at rest: the file does not start with SQLite's plain header.
            let head = std::fs::read(&path).unwrap();
            assert!(!head.starts_with(b"SQLite format 3\0"));
        }
    }
    group.finish();
    let out = data_dir();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("sqlcipher.json"),
        serde_json::to_vec_pretty(&json!({
            "records": records.len(),
            "record_bytes": records[0].len(),
            "sqlite_version": rusqlite::version(),
            "cipher": cipher,
            "key": "raw 256-bit key (PRAGMA key = \"x'..'\"): no PBKDF2",
            "pragmas": format!("journal_mode=WAL; {VAULT_PRAGMAS}"),
            "temp_dir": std::env::temp_dir(),
        }))
        .unwrap(),
    )
    .unwrap();
}

criterion_group!(benches, insert);
criterion_main!(benches);
