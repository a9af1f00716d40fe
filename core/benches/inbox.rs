//! Inbox benchmarks (issue 4):
//! - ingest of alerts carrying two dispatcher signatures each, one at a time and in a batch (one
//!   transaction, as a sync pull does); target at least 5,000 per second;
//! - the active-inbox query over 100,000 stored alerts with 10 saved places; target p50 < 5 ms.
//!   Of the 100,000, 1,000 are in force (the rest expired or superseded), as on a phone that has
//!   kept a long history; the query's cost grows with the alerts in force, not with the history.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use silbato_core::crypto::SigningKey;
use silbato_core::envelope;
use silbato_core::inbox::Inbox;
use silbato_core::inbox::alert::{
    Alert, AlertText, Area, Category, Certainty, MsgType, Severity, Urgency, sign_alert,
};
use silbato_core::inbox::geo::{Circle, Point};
use silbato_core::keys::FileKeyStore;
use silbato_core::network::{AlertPolicy, DispatcherKey, NETWORK_KIND, NetworkProfile};

struct Net {
    root: SigningKey,
    d1: SigningKey,
    d2: SigningKey,
}

fn net() -> Net {
    Net {
        root: SigningKey::generate().unwrap(),
        d1: SigningKey::generate().unwrap(),
        d2: SigningKey::generate().unwrap(),
    }
}

fn profile_bytes(n: &Net) -> (Vec<u8>, String) {
    let now = Utc::now();
    let d = |k: &SigningKey, name: &str| DispatcherKey {
        key: k.public_key(),
        name: name.into(),
        valid_from: now - Duration::days(400),
        valid_until: now + Duration::days(30),
        seal_key: None,
    };
    let p = NetworkProfile {
        format: 1,
        network_id: "bench".into(),
        name: "Bench Network".into(),
        version: 1,
        issued: now.date_naive(),
        hub_url: "https://hub.example.org".into(),
        regions: vec![],
        root_keys: vec![n.root.public_key()],
        publisher_keys: vec![],
        dispatcher_keys: vec![d(&n.d1, "A"), d(&n.d2, "B")],
        alert_policy: AlertPolicy::default(),
        hotlines: vec![],
    };
    (
        envelope::seal(NETWORK_KIND, &serde_json::to_vec(&p).unwrap(), &[&n.root]).unwrap(),
        p.fingerprint(),
    )
}

fn alert(i: u64, sent: DateTime<Utc>, expires: DateTime<Utc>) -> Alert {
    let mut info = BTreeMap::new();
    info.insert(
        "en".into(),
        AlertText {
            headline: format!("Checkpoint reported on Western Ave #{i}"),
            description: Some(
                "Several unmarked vehicles and agents in vests stopping cars.".into(),
            ),
            instruction: Some("Avoid the area; if stopped, you may stay silent.".into()),
        },
    );
    info.insert(
        "es".into(),
        AlertText {
            headline: format!("Retén reportado en Western Ave #{i}"),
            description: None,
            instruction: None,
        },
    );
    let lat = 41.70 + (i % 300) as f64 * 0.001;
    let lon = -87.80 + (i % 211) as f64 * 0.001;
    Alert {
        format: 1,
        id: format!("bench-{i}"),
        network: "bench".into(),
        msg_type: MsgType::Alert,
        references: vec![],
        category: Category::Checkpoint,
        severity: [Severity::Extreme, Severity::Severe, Severity::Moderate][(i % 3) as usize],
        urgency: Urgency::Immediate,
        certainty: Certainty::Observed,
        sent,
        expires,
        area: Area {
            circles: vec![Circle {
                center: Point { lat, lon },
                radius_m: 600.0,
            }],
            polygons: vec![],
            regions: vec!["US-IL-CHI".into()],
        },
        info,
        hotline: None,
    }
}

fn open(dir: &std::path::Path, n: &Net) -> Inbox {
    let inbox = Inbox::open(dir, &FileKeyStore::new(dir)).unwrap();
    let (bytes, fp) = profile_bytes(n);
    inbox.install_network(&bytes, Some(&fp)).unwrap();
    inbox
}

fn ingest(c: &mut Criterion) {
    let n = net();
    let now = Utc::now();
    let envelopes: Vec<Vec<u8>> = (0..2_000)
        .map(|i| {
            sign_alert(
                &alert(i, now - Duration::minutes(1), now + Duration::hours(2)),
                &[&n.d1, &n.d2],
            )
            .unwrap()
        })
        .collect();
    let mut group = c.benchmark_group("inbox_ingest_two_signatures");
    group.sample_size(10);
    group.throughput(Throughput::Elements(envelopes.len() as u64));
    group.bench_function("batch_of_2000_one_transaction", |b| {
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
    group.bench_function("2000_one_at_a_time", |b| {
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

fn active_query(c: &mut Criterion) {
    let n = net();
    let dir = tempfile::tempdir().unwrap();
    let inbox = open(dir.path(), &n);
    let now = Utc::now();
    // 99,000 historic alerts (sent over the past year, long expired) and 1,000 in force. Ingest
    // checks expiry against the time of ingest, so history is ingested "back then".
    let mut batch = Vec::new();
    for i in 0..100_000u64 {
        let (sent, expires, at) = if i < 99_000 {
            let sent = now - Duration::days(365) + Duration::minutes(i as i64 * 5);
            (sent, sent + Duration::hours(2), sent + Duration::minutes(1))
        } else {
            (now - Duration::minutes(30), now + Duration::hours(2), now)
        };
        batch.push((
            sign_alert(&alert(i, sent, expires), &[&n.d1, &n.d2]).unwrap(),
            at,
        ));
        if batch.len() == 5_000 {
            for (e, at) in batch.drain(..) {
                inbox.ingest(&e, at).unwrap();
            }
        }
    }
    for (e, at) in batch.drain(..) {
        inbox.ingest(&e, at).unwrap();
    }
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
    assert_eq!(inbox.active("en", now, 2_000).unwrap().len(), 1_000);
    let mut group = c.benchmark_group("inbox_active_query");
    group.sample_size(30);
    group.bench_function("100000_stored_1000_active_10_places_first_50", |b| {
        b.iter(|| black_box(inbox.active("en", now, 50).unwrap()))
    });
    group.bench_function("unread_count", |b| {
        b.iter(|| black_box(inbox.unread_count(now).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, ingest, active_query);
criterion_main!(benches);
