//! Know-your-rights benchmarks: search latency on the bundled pack and on a generated pack of
//! 2,000 card translations, cold open to first search result, and installing the generated pack.
//!
//! Targets (issue 2): search p50 < 200 µs; cold open to first result < 20 ms. Criterion prints the
//! median; `scripts/bench.sh` collects the figures.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use silbato_core::crypto::SigningKey;
use silbato_core::rights::{RightsLibrary, SearchOptions, sign_pack};

const QUERIES: &[(&str, Option<&str>)] = &[
    ("warrant", Some("en")),
    ("policia", Some("es")),
    ("abog", Some("es")),
    ("door judge", None),
    ("silent lawyer sign", Some("en")),
    // Worst case: the generated corpus's most frequent word, in nearly every card.
    ("kalo", None),
];

fn opts(lang: Option<&str>) -> SearchOptions {
    SearchOptions {
        lang: lang.map(Into::into),
        limit: 10,
    }
}

fn search(c: &mut Criterion) {
    let bundled_dir = tempfile::tempdir().unwrap();
    let (bundled, _) = RightsLibrary::open(bundled_dir.path()).unwrap();

    let gen_dir = tempfile::tempdir().unwrap();
    let (generated, _) = RightsLibrary::open(gen_dir.path()).unwrap();
    let key = SigningKey::generate().unwrap();
    generated.add_publisher(&key.public_key(), "bench").unwrap();
    // 1,000 cards in English and Spanish: 2,000 card translations.
    let pack = common::pack("generated", 1, 1_000, 1);
    assert_eq!(pack.translation_count(), 2_000);
    generated
        .install_pack(&sign_pack(&pack, &key).unwrap())
        .unwrap();

    let mut group = c.benchmark_group("rights_search");
    for (name, lib) in [("bundled", &bundled), ("generated_2000", &generated)] {
        for (q, lang) in QUERIES {
            let label = format!("{q}/{}", lang.unwrap_or("any"));
            group.bench_with_input(BenchmarkId::new(name, label), q, |b, q| {
                let o = opts(*lang);
                b.iter(|| black_box(lib.search(black_box(q), &o).unwrap()));
            });
        }
    }
    group.finish();
}

fn cold_open(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    drop(RightsLibrary::open(dir.path()).unwrap());
    let mut group = c.benchmark_group("rights_cold_open");
    group.sample_size(30);
    group.bench_function("open_to_first_result", |b| {
        b.iter(|| {
            let (lib, _) = RightsLibrary::open(dir.path()).unwrap();
            black_box(lib.search("policia", &opts(Some("es"))).unwrap());
        });
    });
    group.bench_function("first_launch_install_bundled", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let fresh = tempfile::tempdir().unwrap();
                let start = Instant::now();
                let (lib, _) = RightsLibrary::open(fresh.path()).unwrap();
                black_box(lib.search("policia", &opts(Some("es"))).unwrap());
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

fn install(c: &mut Criterion) {
    let key = SigningKey::generate().unwrap();
    let file = sign_pack(&common::pack("generated", 1, 1_000, 1), &key).unwrap();
    let mut group = c.benchmark_group("rights_install");
    group.sample_size(10);
    group.throughput(criterion::Throughput::Bytes(file.len() as u64));
    group.bench_function("generated_2000_translations", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let (lib, _) = RightsLibrary::open(dir.path()).unwrap();
                lib.add_publisher(&key.public_key(), "bench").unwrap();
                let start = Instant::now();
                black_box(lib.install_pack(&file).unwrap());
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, search, cold_open, install);
criterion_main!(benches);
