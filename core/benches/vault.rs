//! Vault benchmarks (issue 3), each beside a baseline measured in the same run:
//! - encrypted log insert vs a plain rusqlite insert of the same serialized record with the same
//!   pragmas as the vault's store (WAL, synchronous=FULL, secure_delete, one transaction per
//!   record); target ratio <= 1.25. The records cycle through [`RECORDS`] sightings of one byte
//!   size, whose JSON is also written to `target/silbato-bench/vault-records.jsonl` for the
//!   SQLCipher baseline (`benches/sqlcipher-baseline`, outside the workspace), which inserts the
//!   same bytes the same way;
//! - listing 10,000 entries decrypted (target < 50 ms);
//! - plate check against a 50,000-plate watch-list (target < 1 ms);
//! - unlock at every KDF setting `KdfParams` offers.
//!
//! `SILBATO_BENCH_QUICK=1` lists 1,000 entries instead (see `support`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;
use std::io::Write;

use chrono::{DateTime, Duration, Timelike, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;
use silbato_core::crypto::SigningKey;
use silbato_core::keys::{KdfParams, Passphrase};
use silbato_core::vault::{
    Activity, Agency, Confidence, Location, Sighting, Vault, VaultConfig, Vehicle,
};
use silbato_core::watchlist::{Watchlists, sign_watchlist};
use silbato_testkit::WatchlistBuilder;

/// Distinct records the insert benchmarks cycle through.
const RECORDS: usize = 1_000;

/// Record `i` (< 10,000): every record serializes to the same number of bytes (a fixed-width
/// number, one timestamp with whole seconds).
fn record(i: usize, at: DateTime<Utc>) -> Sighting {
    let mut s = Sighting::new(at, Activity::Raid, Agency::Ice, Confidence::Observed);
    s.place = Some(format!(
        "Corner of 47th and Ashland, by the hardware store, #{i:04}"
    ));
    s.location = Some(Location {
        lat: 41.8,
        lon: -87.66,
        accuracy_m: Some(12.0),
    });
    s.officer_count = Some(7);
    s.vehicles.push(Vehicle {
        description: Some("grey SUV, tinted".into()),
        plate: Some("ABC1234".into()),
        plate_state: Some("IL".into()),
    });
    s.notes = Some("Agents in vests marked POLICE ICE approached workers waiting for day labour; two people detained and put into the SUV.".into());
    s
}

/// The records and their JSON, written one per line for the SQLCipher baseline.
fn records() -> (Vec<Sighting>, Vec<Vec<u8>>) {
    let at = (Utc::now() - Duration::minutes(5))
        .with_nanosecond(0)
        .unwrap();
    let sightings: Vec<Sighting> = (0..RECORDS).map(|i| record(i, at)).collect();
    let bodies: Vec<Vec<u8>> = sightings
        .iter()
        .map(|s| serde_json::to_vec(s).unwrap())
        .collect();
    assert!(bodies.iter().all(|b| b.len() == bodies[0].len()));
    let path = support::data_dir().join("vault-records.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for b in &bodies {
        file.write_all(b).unwrap();
        file.write_all(b"\n").unwrap();
    }
    file.flush().unwrap();
    (sightings, bodies)
}

fn pass() -> Passphrase {
    Passphrase::new("benchmark passphrase".into())
}

fn vault(dir: &std::path::Path, kdf: KdfParams) -> Vault {
    let (v, _) = Vault::open(
        dir,
        VaultConfig {
            kdf,
            idle_timeout: None,
        },
        None,
    )
    .unwrap();
    v.init(&pass()).unwrap();
    v
}

/// The vault store's pragmas (`store.rs` `configure` with the vault's `StoreSpec`).
const VAULT_PRAGMAS: &str = "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY;";

fn insert(c: &mut Criterion) {
    let (sightings, bodies) = records();
    let mut group = c.benchmark_group("vault_insert");
    group.sample_size(50);
    let plain_dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(plain_dir.path().join("plain.db")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
        .unwrap();
    conn.execute_batch(VAULT_PRAGMAS).unwrap();
    conn.execute_batch("CREATE TABLE entries (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);")
        .unwrap();
    let mut i = 0usize;
    group.bench_function("plain_rusqlite_baseline", |b| {
        b.iter(|| {
            i += 1;
            let tx = conn.unchecked_transaction().unwrap();
            tx.execute(
                "INSERT INTO entries (body) VALUES (?1)",
                [&bodies[i % RECORDS]],
            )
            .unwrap();
            tx.commit().unwrap();
        });
    });
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path(), KdfParams::FAST_INSECURE);
    let mut j = 0usize;
    group.bench_function("encrypted_chained_signed", |b| {
        b.iter(|| {
            j += 1;
            black_box(v.log(sightings[j % RECORDS].clone(), &[], None).unwrap());
        });
    });
    group.finish();
    support::write_json(
        "vault",
        &json!({
            "records": RECORDS,
            "record_bytes": bodies[0].len(),
            "sqlite_version": rusqlite::version(),
            "pragmas": format!("journal_mode=WAL; {VAULT_PRAGMAS}"),
            "temp_dir": std::env::temp_dir(),
        }),
    );
}

fn list(c: &mut Criterion) {
    let n = if support::quick() { 1_000 } else { 10_000 };
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path(), KdfParams::FAST_INSECURE);
    let at = Utc::now() - Duration::minutes(5);
    for i in 0..n {
        v.log(record(i, at), &[], None).unwrap();
    }
    let mut group = c.benchmark_group("vault_list");
    group.sample_size(20);
    group.bench_function(BenchmarkId::new("entries_decrypted", n), |b| {
        b.iter(|| black_box(v.list().unwrap()))
    });
    group.finish();
}

fn plates(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate().unwrap();
    let list = WatchlistBuilder::new()
        .publisher("net")
        .list_id("plates")
        .issued(Utc::now().date_naive())
        .generated(50_000, Some("IL"))
        .build();
    let probe_full = list.entries[31_337].plate.clone();
    let probe_partial = probe_full[1..6].to_owned();
    let lists = Watchlists::open(dir.path()).unwrap();
    lists
        .install(
            &sign_watchlist(list, &key).unwrap(),
            &[key.public_key()].into_iter().collect(),
        )
        .unwrap();
    lists.check("AAAAAAA", None).unwrap(); // build the index once, as the first check on a device does
    let mut group = c.benchmark_group("plates_50000");
    group.bench_function("exact", |b| {
        b.iter(|| black_box(lists.check(&probe_full, None).unwrap()))
    });
    group.bench_function("partial_5", |b| {
        b.iter(|| black_box(lists.check(&probe_partial, None).unwrap()))
    });
    let wildcard = format!("{}?{}", &probe_full[..2], &probe_full[3..5]);
    group.bench_function("partial_with_unknown", |b| {
        b.iter(|| black_box(lists.check(&wildcard, None).unwrap()))
    });
    group.finish();
}

/// Every setting `KdfParams` offers, named as in the code.
const KDF_SETTINGS: &[(&str, KdfParams)] = &[
    ("FAST_INSECURE", KdfParams::FAST_INSECURE),
    ("DEFAULT", KdfParams::DEFAULT),
];

fn unlock(c: &mut Criterion) {
    let mut group = c.benchmark_group("vault_unlock");
    group.sample_size(10);
    let mut settings = Vec::new();
    for (name, kdf) in KDF_SETTINGS {
        let dir = tempfile::tempdir().unwrap();
        let v = vault(dir.path(), *kdf);
        v.lock();
        group.bench_function(*name, |b| {
            b.iter(|| {
                v.unlock(&pass()).unwrap();
                v.lock();
            });
        });
        settings.push(json!({
            "name": name,
            "m_cost_kib": kdf.m_cost_kib,
            "t_cost": kdf.t_cost,
            "p_cost": kdf.p_cost,
        }));
    }
    group.finish();
    support::write_json("vault-kdf", &json!({ "settings": settings }));
}

criterion_group!(benches, insert, list, plates, unlock);
criterion_main!(benches);
