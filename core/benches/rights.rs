//! Know-your-rights benchmarks: search latency on the bundled pack and against corpus size
//! (100, 1,000, 5,000 and 20,000 generated card translations, on top of the bundled pack's), cold
//! open to first search result, and installing a generated pack of 2,000 translations.
//!
//! Targets (issue 2): search p50 < 200 µs; cold open to first result < 20 ms. `scripts/bench-report`
//! collects the figures into `docs/benchmarks.md`; `SILBATO_BENCH_QUICK=1` searches 100 and 1,000.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;
use silbato_core::crypto::SigningKey;
use silbato_core::rights::{RightsLibrary, SearchOptions, sign_pack};
use silbato_testkit::pack::{pack, pack_cards};

/// Name (a path segment of criterion's output), query, language.
const QUERIES: &[(&str, &str, Option<&str>)] = &[
    ("warrant-en", "warrant", Some("en")),
    ("policia-es", "policia", Some("es")),
    ("abog-es", "abog", Some("es")),
    ("door_judge-any", "door judge", None),
    ("silent_lawyer_sign-en", "silent lawyer sign", Some("en")),
    // Worst case: the generated corpus's most frequent word, in nearly every card.
    ("kalo-any", "kalo", None),
];

/// Generated translations per corpus (each card in English and Spanish).
const CORPUS_SIZES: &[usize] = &[100, 1_000, 5_000, 20_000];
const CORPUS_SIZES_QUICK: &[usize] = &[100, 1_000];
/// Cards per generated pack: packs stay well under the 16 MiB pack limit.
const CARDS_PER_PACK: usize = 1_000;

fn opts(lang: Option<&str>) -> SearchOptions {
    SearchOptions {
        lang: lang.map(Into::into),
        limit: 10,
    }
}

/// A library holding the bundled pack and `translations` generated card translations, in packs of
/// [`CARDS_PER_PACK`] cards with distinct ids and text.
fn corpus(dir: &std::path::Path, translations: usize) -> RightsLibrary {
    let (lib, _) = RightsLibrary::open(dir).unwrap();
    let key = SigningKey::generate().unwrap();
    lib.add_publisher(&key.public_key(), "bench").unwrap();
    let cards = translations / 2;
    let mut installed = 0;
    for (n, start) in (0..cards).step_by(CARDS_PER_PACK).enumerate() {
        let end = (start + CARDS_PER_PACK).min(cards);
        let pack = pack_cards(&format!("generated-{n}"), 1, start..end, 1);
        installed += pack.translation_count();
        lib.install_pack(&sign_pack(&pack, &key).unwrap()).unwrap();
    }
    assert_eq!(installed, translations);
    lib
}

fn bundled_translations() -> usize {
    RightsLibrary::bundled_pack().unwrap().translation_count()
}

fn search(c: &mut Criterion) {
    let bundled_dir = tempfile::tempdir().unwrap();
    let (bundled, _) = RightsLibrary::open(bundled_dir.path()).unwrap();
    let mut group = c.benchmark_group("rights_search_bundled");
    for (name, q, lang) in QUERIES {
        group.bench_with_input(BenchmarkId::from_parameter(name), q, |b, q| {
            let o = opts(*lang);
            b.iter(|| black_box(bundled.search(black_box(q), &o).unwrap()));
        });
    }
    group.finish();

    let sizes = support::sizes(CORPUS_SIZES, CORPUS_SIZES_QUICK);
    let mut built = Vec::new();
    let mut group = c.benchmark_group("rights_search");
    for &size in &sizes {
        let dir = tempfile::tempdir().unwrap();
        let start = Instant::now();
        let lib = corpus(dir.path(), size);
        built.push(json!({ "translations": size, "build_seconds": start.elapsed().as_secs_f64() }));
        for (name, q, lang) in QUERIES {
            group.bench_with_input(BenchmarkId::new(*name, size), q, |b, q| {
                let o = opts(*lang);
                b.iter(|| black_box(lib.search(black_box(q), &o).unwrap()));
            });
        }
    }
    group.finish();
    support::write_json(
        "rights",
        &json!({
            "sizes": sizes,
            "bundled_translations": bundled_translations(),
            "cards_per_pack": CARDS_PER_PACK,
            "corpora": built,
            "limit": 10,
        }),
    );
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
    let file = sign_pack(&pack("generated", 1, 1_000, 1), &key).unwrap();
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
