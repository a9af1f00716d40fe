//! Network benchmarks (issue 5), on loopback:
//! - hub fan-out of one alert to 10,000 Web Push subscriptions, each push sealed to its device;
//! - a sync that finds nothing new (its bytes on the wire are printed: target under 2 KB);
//! - pulling 1,000 alerts into a fresh device.
//!
//! The bytes on the wire (counted by a relay between device and hub) are also written to
//! `target/silbato-bench/network.json` for `scripts/bench-report`. `SILBATO_BENCH_QUICK=1` fans out
//! to 1,000 subscriptions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../core/benches/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;
use silbato_core::crypto::SigningKey;
use silbato_core::inbox::alert::{Alert, Category, Certainty, sign_alert};
use silbato_core::proto::push::{Opened, PushPayload, decode, open_push};
use silbato_core::protocol::{self, PushProvider, PushSubscription};
use silbato_core::seal::SealSecretKey;
use silbato_core::sync::{HubClient, SyncConfig};
use silbato_e2e::{ByteCounter, Device, PushReceiver, TestNetwork};
use silbato_hub::push::Gateways;
use silbato_testkit::AlertBuilder;

/// A `likely` checkpoint alert of `chi`, in English, over the region US-IL-CHI only, in force for
/// six hours (one signature is enough).
fn alert(id: &str) -> Alert {
    AlertBuilder::new(id)
        .now(Utc::now())
        .category(Category::Checkpoint)
        .certainty(Certainty::Likely)
        .expires_in(ChronoDuration::hours(6))
        .clear_area()
        .region("US-IL-CHI")
        .without_text("es")
        .text("en", &format!("Checkpoint reported ({id})"))
        .description("en", Some("Unmarked vehicles stopping cars."))
        .build()
}

fn fanout(c: &mut Criterion) {
    let subscriptions = if support::quick() { 1_000 } else { 10_000 };
    let net = TestNetwork::new("http://127.0.0.1");
    let receiver = PushReceiver::start();
    let mut config = net.hub_config();
    // Every subscription comes from this one loopback client.
    config.push.max_subscriptions_per_client = u32::MAX;
    let hub =
        silbato_hub::start(config, Gateways::from_config(&Default::default()).unwrap()).unwrap();
    let client = HubClient::new(SyncConfig::new(&hub.url())).unwrap();
    subscribe_confirmed(&client, &receiver, subscriptions);
    let mut n = 0u64;
    let mut group = c.benchmark_group("hub_fanout");
    group.sample_size(10);
    if !support::quick() {
        group.measurement_time(Duration::from_secs(30));
    }
    group.bench_function(
        BenchmarkId::new("one_alert_to_webpush_subscriptions", subscriptions),
        |b| {
            b.iter(|| {
                n += 1;
                let env = sign_alert(&alert(&format!("fan-{n}")), &[&net.dispatchers[0].signing])
                    .unwrap();
                let posted = client.publish_alert(&env).unwrap();
                assert_eq!(posted.fanout, subscriptions);
                assert!(hub.wait_fanout_idle(Duration::from_secs(120)));
            });
        },
    );
    group.finish();
    let delivered = receiver.received.lock().unwrap().len();
    eprintln!("fan-out: {delivered} pushes delivered to the loopback receiver in total");
    support::write_json(
        "network-fanout",
        &json!({ "subscriptions": subscriptions, "alerts_published": n, "pushes_delivered": delivered }),
    );
}

/// Registers `n` Web Push subscriptions for US-IL-CHI, each signed by its own subscription key,
/// and confirms each by echoing the challenge of the hub's confirmation push, as a device does;
/// then forgets the confirmation pushes so the receiver counts only alerts.
fn subscribe_confirmed(client: &HubClient, receiver: &PushReceiver, n: u64) {
    let now = Utc::now();
    let devices: Vec<(String, SealSecretKey, SigningKey)> = (0..n)
        .map(|i| {
            (
                receiver.endpoint(&format!("d{i}")),
                SealSecretKey::generate().unwrap(),
                SigningKey::generate().unwrap(),
            )
        })
        .collect();
    for (endpoint, push, signing) in &devices {
        let sub = PushSubscription {
            provider: PushProvider::Webpush,
            endpoint: endpoint.clone(),
            push_key: push.public_key(),
            regions: vec!["US-IL-CHI".into()],
        };
        client.subscribe_signed(&sub, signing, now).unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while (receiver.received.lock().unwrap().len() as u64) < n {
        assert!(
            std::time::Instant::now() < deadline,
            "confirmations missing"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let confirmations = std::mem::take(&mut *receiver.received.lock().unwrap());
    for (device, bytes) in confirmations {
        let i: usize = device.trim_start_matches('d').parse().unwrap();
        let (endpoint, push, signing) = &devices[i];
        let PushPayload::SealedAlert(sealed) = decode(&bytes).unwrap() else {
            panic!("not a sealed push");
        };
        let Opened::Challenge(challenge) = open_push(push, sealed).unwrap() else {
            panic!("not a confirmation");
        };
        assert!(
            client
                .confirm_push(endpoint, &protocol::b64(challenge.as_slice()), signing, now)
                .unwrap()
        );
    }
}

fn sync_idle_and_pull(c: &mut Criterion) {
    let net = TestNetwork::new("http://127.0.0.1");
    let hub = net.start_hub(Gateways::none());
    let client = HubClient::new(SyncConfig::new(&hub.url())).unwrap();
    for i in 0..1_000 {
        client
            .publish_alert(
                &sign_alert(&alert(&format!("p{i:04}")), &[&net.dispatchers[0].signing]).unwrap(),
            )
            .unwrap();
    }
    let counter = ByteCounter::start(hub.addr);
    let wire = |requests: u64| {
        let up = counter.up.load(std::sync::atomic::Ordering::Relaxed);
        let down = counter.down.load(std::sync::atomic::Ordering::Relaxed);
        json!({ "requests": requests, "up": up, "down": down, "total": counter.total() })
    };
    let device = Device::new(&net);
    let first = device.sync_with(SyncConfig::new(&counter.url()), Utc::now());
    assert_eq!(first.alerts_accepted, 1_000);
    let first_wire = wire(u64::from(first.requests));
    counter.reset();
    let idle = device.sync_with(SyncConfig::new(&counter.url()), Utc::now());
    let idle_wire = wire(u64::from(idle.requests));
    eprintln!(
        "idle sync: {} requests, {} bytes on the wire (up {}, down {})",
        idle.requests, idle_wire["total"], idle_wire["up"], idle_wire["down"]
    );
    support::write_json(
        "network-sync",
        &json!({
            "first_sync_1000_alerts": first_wire,
            "alerts_pulled": first.alerts_accepted,
            "idle_sync": idle_wire,
        }),
    );

    let mut group = c.benchmark_group("sync");
    group.sample_size(20);
    group.bench_function("idle_sync_nothing_new", |b| {
        b.iter(|| black_box(device.sync_with(SyncConfig::new(&hub.url()), Utc::now())))
    });
    group.sample_size(10);
    group.bench_function("pull_1000_alerts_into_a_fresh_device", |b| {
        b.iter_batched(
            || Device::new(&net),
            |d| {
                let r = d.sync_with(SyncConfig::new(&hub.url()), Utc::now());
                assert_eq!(r.alerts_accepted, 1_000);
                d
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, sync_idle_and_pull, fanout);
criterion_main!(benches);
