//! Vault benchmarks (issue 3), each beside a baseline measured in the same run:
//! - encrypted log insert vs a plain rusqlite insert of the same serialized record with the same
//!   pragmas (WAL, synchronous=FULL, one transaction per record); target ratio <= 1.25;
//! - listing 10,000 entries decrypted (target < 50 ms);
//! - plate check against a 50,000-plate watch-list (target < 1 ms);
//! - unlock at the default and at the test KDF parameters.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use silbato_core::crypto::SigningKey;
use silbato_core::keys::{KdfParams, Passphrase};
use silbato_core::vault::{
    Activity, Agency, Confidence, Location, Sighting, Vault, VaultConfig, Vehicle,
};
use silbato_core::watchlist::{WatchEntry, WatchlistPayload, Watchlists, sign_watchlist};

fn record(i: u64) -> Sighting {
    let mut s = Sighting::new(
        Utc::now(),
        Activity::Raid,
        Agency::Ice,
        Confidence::Observed,
    );
    s.place = Some(format!(
        "Corner of 47th and Ashland, by the hardware store, #{i}"
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

fn insert(c: &mut Criterion) {
    let mut group = c.benchmark_group("vault_insert");
    group.sample_size(50);
    let plain_dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(plain_dir.path().join("plain.db")).unwrap();
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
        .unwrap();
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; CREATE TABLE entries (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);").unwrap();
    let mut i = 0u64;
    group.bench_function("plain_rusqlite_baseline", |b| {
        b.iter(|| {
            i += 1;
            let body = serde_json::to_vec(&record(i)).unwrap();
            let tx = conn.unchecked_transaction().unwrap();
            tx.execute("INSERT INTO entries (body) VALUES (?1)", [body])
                .unwrap();
            tx.commit().unwrap();
        });
    });
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path(), KdfParams::FAST_INSECURE);
    let mut j = 0u64;
    group.bench_function("encrypted_chained_signed", |b| {
        b.iter(|| {
            j += 1;
            black_box(v.log(record(j), &[], None).unwrap());
        });
    });
    group.finish();
}

fn list(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path(), KdfParams::FAST_INSECURE);
    for i in 0..10_000 {
        v.log(record(i), &[], None).unwrap();
    }
    let mut group = c.benchmark_group("vault_list");
    group.sample_size(20);
    group.bench_function("10000_entries_decrypted", |b| {
        b.iter(|| black_box(v.list().unwrap()))
    });
    group.finish();
}

fn plates(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate().unwrap();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let alphabet = b"ABCDEFGHJKLMNPRTUVWXY0123456789";
    let entries = (0..50_000)
        .map(|_| {
            let plate: String = (0..7)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    alphabet[(x % alphabet.len() as u64) as usize] as char
                })
                .collect();
            WatchEntry {
                plate,
                state: Some("IL".into()),
                description: None,
                last_seen: None,
            }
        })
        .collect::<Vec<_>>();
    let probe_full = entries[31_337].plate.clone();
    let probe_partial = probe_full[1..6].to_owned();
    let list = WatchlistPayload {
        format: 1,
        publisher: "net".into(),
        list_id: "plates".into(),
        version: 1,
        issued: Utc::now().date_naive(),
        entries,
    };
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

fn unlock(c: &mut Criterion) {
    let mut group = c.benchmark_group("vault_unlock");
    group.sample_size(10);
    for (name, kdf) in [
        ("test_kdf", KdfParams::FAST_INSECURE),
        ("default_kdf_64MiB_t3", KdfParams::DEFAULT),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let v = vault(dir.path(), kdf);
        v.lock();
        group.bench_function(name, |b| {
            b.iter(|| {
                v.unlock(&pass()).unwrap();
                v.lock();
            });
        });
    }
    group.finish();
}

criterion_group!(benches, insert, list, plates, unlock);
criterion_main!(benches);
