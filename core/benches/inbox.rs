//! Inbox benchmarks (issue 4):
//! - ingest of alerts carrying two dispatcher signatures each, one at a time and in a batch (one
//!   transaction, as a sync pull does); target at least 5,000 per second;
//! - the queries against inbox size: 1,000, 10,000, 100,000 and 1,000,000 stored alerts, of which
//!   1,000 are in force (the rest expired, as on a phone that has kept a long history), with 10
//!   saved places: the active inbox (first 50, target p50 < 5 ms at 100,000), the unread count, and
//!   the first page of history. The active query's cost should grow with the alerts in force, not
//!   with the history; a second series checks that: 100, 1,000 and 10,000 alerts, all in force.
//!
//! The inboxes are built once through the public API (ingest, in batches) and kept under
//! `target/silbato-bench/inbox-cache/`, one directory per size: building a million alerts takes
//! minutes, none of it timed. A cached inbox is queried at the time it was built (`built.json`), so
//! its alerts in force stay in force. `SILBATO_BENCH_QUICK=1` uses the small sizes only.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use silbato_core::inbox::alert::{Alert, Category, Severity, sign_alert};
use silbato_core::inbox::{Inbox, IngestOutcome};
use silbato_core::keys::FileKeyStore;
use silbato_testkit::{AlertBuilder, DispatcherSpec, NetworkBuilder, TestNetwork};

/// The `bench` network: no regions or publishers, dispatchers A and B valid over the past 400
/// days (the history spans a year) and the next 30.
fn net() -> TestNetwork {
    NetworkBuilder::new("bench")
        .name("Bench Network")
        .now(Utc::now())
        .regions(vec![])
        .publishers(0)
        .dispatchers(0)
        .dispatcher(DispatcherSpec::new("A"))
        .dispatcher(DispatcherSpec::new("B"))
        .dispatcher_window(-Duration::days(400), Duration::days(30))
        .without_seal_keys()
        .build()
}

fn alert(i: u64, sent: DateTime<Utc>, expires: DateTime<Utc>) -> Alert {
    let lat = 41.70 + (i % 300) as f64 * 0.001;
    let lon = -87.80 + (i % 211) as f64 * 0.001;
    AlertBuilder::new(&format!("bench-{i}"))
        .network("bench")
        .category(Category::Checkpoint)
        .severity([Severity::Extreme, Severity::Severe, Severity::Moderate][(i % 3) as usize])
        .sent_at(sent)
        .expires_at(expires)
        .clear_area()
        .circle(lat, lon, 600.0)
        .region("US-IL-CHI")
        .text("en", &format!("Checkpoint reported on Western Ave #{i}"))
        .description(
            "en",
            Some("Several unmarked vehicles and agents in vests stopping cars."),
        )
        .instruction(
            "en",
            Some("Avoid the area; if stopped, you may stay silent."),
        )
        .text("es", &format!("Retén reportado en Western Ave #{i}"))
        .build()
}

fn open(dir: &std::path::Path, n: &TestNetwork) -> Inbox {
    let inbox = Inbox::open(dir, &FileKeyStore::new(dir)).unwrap();
    inbox
        .install_network(&n.envelope, Some(&n.fingerprint()))
        .unwrap();
    inbox
}

fn ingest(c: &mut Criterion) {
    let count = if support::quick() { 500 } else { 2_000 };
    let n = net();
    let now = Utc::now();
    let envelopes: Vec<Vec<u8>> = (0..count as u64)
        .map(|i| {
            sign_alert(
                &alert(i, now - Duration::minutes(1), now + Duration::hours(2)),
                &n.dispatcher_signers(2),
            )
            .unwrap()
        })
        .collect();
    let mut group = c.benchmark_group("inbox_ingest_two_signatures");
    group.sample_size(10);
    group.throughput(Throughput::Elements(envelopes.len() as u64));
    group.bench_function(BenchmarkId::new("batch_one_transaction", count), |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let inbox = open(dir.path(), &n);
                (dir, inbox)
            },
            |(dir, inbox)| {
                black_box(inbox.ingest_batch(&envelopes, now).unwrap());
                drop(inbox);
                dir
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("one_at_a_time", count), |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let inbox = open(dir.path(), &n);
                (dir, inbox)
            },
            |(dir, inbox)| {
                for e in &envelopes {
                    black_box(inbox.ingest(e, now).unwrap());
                }
                drop(inbox);
                dir
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

/// Bump when what [`build`] stores changes: cached inboxes of another version are rebuilt.
const CACHE_VERSION: u32 = 1;

/// Alerts stored in all, and how many of them are in force.
#[derive(Clone, Copy)]
struct Shape {
    total: u64,
    in_force: u64,
}

/// A cached inbox, opened, and the time it was built at (the time its queries run at).
struct Cached {
    inbox: Inbox,
    now: DateTime<Utc>,
    db_bytes: u64,
    build_seconds: Option<f64>,
}

fn cache_dir(shape: Shape) -> PathBuf {
    support::data_dir().join("inbox-cache").join(format!(
        "v{CACHE_VERSION}-{}-{}",
        shape.total, shape.in_force
    ))
}

/// Opens the cached inbox of `shape`, building it first if it is missing, incomplete (no
/// `built.json`) or not what it should be.
fn cached(shape: Shape) -> Cached {
    let dir = cache_dir(shape);
    let mut build_seconds = None;
    for attempt in 0..2 {
        if let Some(now) = std::fs::read(dir.join("built.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["now"].as_str()?.parse::<DateTime<Utc>>().ok())
        {
            let inbox = Inbox::open(&dir, &FileKeyStore::new(&dir)).unwrap();
            let active = inbox.active("en", now, usize::MAX).unwrap().len() as u64;
            if active == shape.in_force {
                return Cached {
                    inbox,
                    now,
                    db_bytes: support::dir_bytes(&dir),
                    build_seconds,
                };
            }
        }
        assert_eq!(attempt, 0, "a freshly built inbox is not as specified");
        let start = Instant::now();
        build(&dir, shape);
        build_seconds = Some(start.elapsed().as_secs_f64());
    }
    unreachable!()
}

/// Builds `shape` in `dir` through the public API: the history first, sent over the past year and
/// each ingested within the hour it was sent (so before it expired), in one batch per hour; then
/// the alerts in force, in batches of 1,000. Signing runs on a second thread.
fn build(dir: &Path, shape: Shape) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
    eprintln!(
        "building the cached inbox of {} alerts ({} in force) in {}",
        shape.total,
        shape.in_force,
        dir.display()
    );
    let n = net();
    let inbox = open(dir, &n);
    let now = Utc::now();
    let history = shape.total - shape.in_force;
    let start = now - Duration::days(365);
    let span = Duration::days(364).num_seconds();
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<Vec<u8>>, DateTime<Utc>)>(8);
    std::thread::scope(|scope| {
        let n = &n;
        scope.spawn(move || {
            let mut batch = Vec::new();
            let mut window = 0;
            for i in 0..history {
                let sent = start + Duration::seconds(i as i64 * span / history as i64);
                let w = (sent - start).num_hours();
                if w != window && !batch.is_empty() {
                    let at = start + Duration::hours(window + 1);
                    tx.send((std::mem::take(&mut batch), at)).unwrap();
                }
                window = w;
                batch.push(
                    sign_alert(
                        &alert(i, sent, sent + Duration::hours(2)),
                        &n.dispatcher_signers(2),
                    )
                    .unwrap(),
                );
            }
            if !batch.is_empty() {
                tx.send((batch, start + Duration::hours(window + 1)))
                    .unwrap();
            }
            let live: Vec<u64> = (history..shape.total).collect();
            for chunk in live.chunks(1_000) {
                let batch = chunk
                    .iter()
                    .map(|&i| {
                        let a = alert(i, now - Duration::minutes(30), now + Duration::hours(2));
                        sign_alert(&a, &n.dispatcher_signers(2)).unwrap()
                    })
                    .collect();
                tx.send((batch, now)).unwrap();
            }
        });
        for (batch, at) in rx {
            for outcome in inbox.ingest_batch(&batch, at).unwrap() {
                assert!(matches!(outcome, IngestOutcome::Accepted { .. }));
            }
        }
    });
    for p in 0..10 {
        inbox
            .add_place(
                &format!("place {p}"),
                41.70 + p as f64 * 0.02,
                -87.75 + p as f64 * 0.01,
                400.0,
            )
            .unwrap();
    }
    inbox.follow_region("US-IL").unwrap();
    drop(inbox);
    std::fs::write(
        dir.join("built.json"),
        serde_json::to_vec(&json!({
            "now": now.to_rfc3339(),
            "total": shape.total,
            "in_force": shape.in_force,
        }))
        .unwrap(),
    )
    .unwrap();
}

/// History grows, 1,000 in force.
const HISTORY_SIZES: &[usize] = &[1_000, 10_000, 100_000, 1_000_000];
const HISTORY_SIZES_QUICK: &[usize] = &[1_000, 10_000];
const IN_FORCE: u64 = 1_000;
/// Everything in force.
const IN_FORCE_SIZES: &[usize] = &[100, 1_000, 10_000];
const IN_FORCE_SIZES_QUICK: &[usize] = &[100, 1_000];

fn queries(c: &mut Criterion) {
    let mut report = Vec::new();
    let series = [
        (
            "inbox_query_history_grows",
            support::sizes(HISTORY_SIZES, HISTORY_SIZES_QUICK)
                .into_iter()
                .map(|t| Shape {
                    total: t as u64,
                    in_force: IN_FORCE.min(t as u64),
                })
                .collect::<Vec<_>>(),
        ),
        (
            "inbox_query_in_force_grows",
            support::sizes(IN_FORCE_SIZES, IN_FORCE_SIZES_QUICK)
                .into_iter()
                .map(|t| Shape {
                    total: t as u64,
                    in_force: t as u64,
                })
                .collect(),
        ),
    ];
    for (name, shapes) in series {
        let mut group = c.benchmark_group(name);
        group.sample_size(30);
        for shape in shapes {
            let Cached {
                inbox,
                now,
                db_bytes,
                build_seconds,
            } = cached(shape);
            group.bench_function(BenchmarkId::new("active_first_50", shape.total), |b| {
                b.iter(|| black_box(inbox.active("en", now, 50).unwrap()))
            });
            group.bench_function(BenchmarkId::new("unread_count", shape.total), |b| {
                b.iter(|| black_box(inbox.unread_count(now).unwrap()))
            });
            group.bench_function(BenchmarkId::new("history_first_50", shape.total), |b| {
                b.iter(|| black_box(inbox.history("en", now, 50).unwrap()))
            });
            report.push(json!({
                "series": name,
                "total": shape.total,
                "in_force": shape.in_force,
                "db_bytes": db_bytes,
                "build_seconds": build_seconds,
            }));
        }
        group.finish();
    }
    support::write_json(
        "inbox",
        &json!({ "places": 10, "page": 50, "inboxes": report }),
    );
}

criterion_group!(benches, ingest, queries);
criterion_main!(benches);
