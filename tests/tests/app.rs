//! The core's composition root against a real hub on 127.0.0.1: a hub two networks share is
//! synced and subscribed once, and a report is sealed, queued and flushed to its network's hub.
//! Requests are counted by a proxy in front of the hub that forwards everything, faults off.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use silbato_core::app::App;
use silbato_core::keys::Passphrase;
use silbato_core::protocol::PushProvider;
use silbato_core::vault::{Activity, Agency, Confidence, LogReceipt, Sighting};
use silbato_e2e::{FaultProxy, Faults, PushReceiver, TestNetwork, open_app, reports_at_hub};
use silbato_hub::push::Gateways;

const NO_FAULTS: Faults = Faults {
    drop_response: 0,
    duplicate_request: 0,
    error_500: 0,
    stall: 0,
    stall_for: Duration::ZERO,
};

/// Sets up the vault and logs one sighting observed now.
fn log_one(app: &App, activity: Activity, agency: Agency) -> LogReceipt {
    app.vault()
        .init(&Passphrase::new("correct horse battery".into()))
        .unwrap();
    app.log_sighting(
        Sighting::new(Utc::now(), activity, agency, Confidence::Observed),
        &[],
    )
    .unwrap()
}

/// Installs `net`'s profile, renamed `id` and pointed at `hub_url`, confirmed.
fn install(app: &App, net: &TestNetwork, id: &str, hub_url: &str) {
    silbato_e2e::install_edited(app, net, |p| {
        p.network_id = id.into();
        p.hub_url = hub_url.into();
    });
}

#[test]
fn sync_talks_to_a_shared_hub_once() {
    let net = TestNetwork::new("http://127.0.0.1");
    // A second network with its own keys (two installed networks may not share them).
    let other =
        TestNetwork::from_builder(TestNetwork::builder("http://127.0.0.1").seed("chi-south"));
    let hub = net.start_hub(Gateways::from_config(&Default::default()).unwrap());
    let proxy = FaultProxy::start(&hub.url(), NO_FAULTS, 1);
    let forwarded = || proxy.counts.forwarded.load(Ordering::Relaxed);

    // What one network's sync costs at the hub.
    let single_dir = tempfile::tempdir().unwrap();
    let single = open_app(single_dir.path());
    install(&single, &net, "chi", &proxy.url());
    let before = forwarded();
    let one = single.sync(Utc::now()).unwrap();
    assert!(one.ok(), "{:?}", one.failures().collect::<Vec<_>>());
    let cost = forwarded() - before;
    assert!(cost > 0);
    assert_eq!(cost, u64::from(one.hubs[0].report.requests));

    // Two confirmed networks on that hub: the same single sync, not two.
    let dir = tempfile::tempdir().unwrap();
    let app = open_app(dir.path());
    install(&app, &net, "chi", &proxy.url());
    install(&app, &other, "chi-south", &format!("{}/", proxy.url()));
    let hubs = app.hubs().unwrap();
    assert_eq!(hubs.len(), 1);
    assert_eq!(hubs[0].networks, ["chi", "chi-south"]);

    let before = forwarded();
    let outcome = app.sync(Utc::now()).unwrap();
    assert!(outcome.ok(), "{:?}", outcome.failures().collect::<Vec<_>>());
    assert_eq!(outcome.hubs.len(), 1);
    assert_eq!(outcome.hubs[0].hub.networks, ["chi", "chi-south"]);
    assert_eq!(forwarded() - before, cost, "the shared hub was synced once");

    // A push subscription goes to the shared hub once.
    let receiver = PushReceiver::start();
    let before = forwarded();
    let subscribed = app
        .subscribe_push(
            PushProvider::Webpush,
            &receiver.endpoint("phone"),
            &["US-IL-CHI".to_owned()],
            None,
        )
        .unwrap();
    assert_eq!(subscribed.hubs, [proxy.url()]);
    assert_eq!(forwarded() - before, 1, "one subscription request");
}

#[test]
fn a_report_is_sealed_queued_and_flushed_to_its_networks_hub() {
    let net = TestNetwork::new("http://127.0.0.1");
    let hub = net.start_hub(Gateways::none());
    let dir = tempfile::tempdir().unwrap();
    let app = open_app(dir.path());
    install(&app, &net, "chi", &hub.url());

    let receipt = log_one(&app, Activity::Checkpoint, Agency::Ice);
    app.report(&receipt.id, "chi", Utc::now()).unwrap();
    assert_eq!(app.inbox().outbox().unwrap().len(), 1, "queued, sealed");
    assert!(reports_at_hub(&hub.url(), &net.dispatchers[0]).is_empty());

    let flushed = app.flush_reports("chi", Utc::now()).unwrap();
    assert!(flushed.ok(), "{:?}", flushed.failures().collect::<Vec<_>>());
    assert_eq!(flushed.reports_sent(), 1);
    assert_eq!(flushed.reports_pending(), 0);
    assert!(app.inbox().outbox().unwrap().is_empty());
    // Sealed to every dispatcher of the network: each opens it.
    for dispatcher in &net.dispatchers {
        assert_eq!(
            reports_at_hub(&hub.url(), dispatcher),
            vec![receipt.id.clone()]
        );
    }
}

/// A device on two networks with two hubs: a report sealed to one network's dispatchers goes to
/// that network's hub only, even when the other hub is synced first (it once went to whichever
/// hub synced first, was marked sent there, and never reached its own dispatchers).
#[test]
fn a_report_goes_only_to_its_own_networks_hub() {
    let first = TestNetwork::new("http://127.0.0.1");
    let second =
        TestNetwork::from_builder(TestNetwork::builder("http://127.0.0.1").seed("elsewhere"));
    let first_hub = first.start_hub(Gateways::none());
    let second_hub = second.start_hub(Gateways::none());
    let dir = tempfile::tempdir().unwrap();
    let app = open_app(dir.path());
    // "alpha" sorts first, so its hub is synced first.
    install(&app, &first, "alpha", &first_hub.url());
    install(&app, &second, "beta", &second_hub.url());

    let receipt = log_one(&app, Activity::Patrol, Agency::Cbp);
    app.report(&receipt.id, "beta", Utc::now()).unwrap();

    app.sync(Utc::now()).unwrap();
    assert!(app.inbox().outbox().unwrap().is_empty(), "sent");
    // The first hub holds nothing (a report there would not open for its dispatchers either).
    assert!(reports_at_hub(&first_hub.url(), &first.dispatchers[0]).is_empty());
    for dispatcher in &second.dispatchers {
        assert_eq!(
            reports_at_hub(&second_hub.url(), dispatcher),
            vec![receipt.id.clone()]
        );
    }
}

/// Issue 12, item 11: an inbox.db from before sealed outboxes (version 4, its outbox rows with the
/// network, size and times in clear) migrates: the rows are sealed under the inbox key, the old
/// table is gone, `outbox` still lists them, and they still send to the network's hub. New
/// reports are queued as ciphertext only.
#[test]
fn h12_11_outbox_rows_from_version_4_are_sealed_and_still_send() {
    use silbato_core::protocol::{self, Report};
    use silbato_core::store::{Migration, Store, StoreSpec};

    const V4: &[Migration] = &[
        Migration {
            version: 1,
            name: "001_watchlist",
            sql: include_str!("../../core/migrations/inbox/001_watchlist.sql"),
        },
        Migration {
            version: 2,
            name: "002_alerts",
            sql: include_str!("../../core/migrations/inbox/002_alerts.sql"),
        },
        Migration {
            version: 3,
            name: "003_sync",
            sql: include_str!("../../core/migrations/inbox/003_sync.sql"),
        },
        Migration {
            version: 4,
            name: "004_alert_identity",
            sql: include_str!("../../core/migrations/inbox/004_alert_identity.sql"),
        },
    ];
    let spec = StoreSpec {
        name: "inbox",
        migrations: V4,
        full_sync: false,
        secure_delete: true,
        check_on_open: false,
    };

    let net = TestNetwork::new("http://127.0.0.1");
    let hub = net.start_hub(Gateways::none());
    let dir = tempfile::tempdir().unwrap();

    // Two reports queued by the old build: sealed to the dispatchers, metadata in clear.
    let now = Utc::now();
    let device = silbato_core::crypto::SigningKey::generate().unwrap();
    let recipients = protocol::report_recipients(&net.profile, now);
    let mut queued = Vec::new();
    {
        let old = Store::open(&dir.path().join("inbox.db"), spec).unwrap();
        for (i, record) in ["old-record-1", "old-record-2"].into_iter().enumerate() {
            let report = Report {
                v: 1,
                network: net.profile.network_id.clone(),
                record_id: record.into(),
                sighting: Sighting::new(now, Activity::Raid, Agency::Ice, Confidence::Observed),
                device_key: device.public_key(),
                created_at: now,
            };
            let sealed = protocol::seal_report(&report, &recipients).unwrap();
            let id = protocol::idempotency_key(&sealed);
            old.write(|tx| {
                tx.execute(
                    "INSERT INTO outbox (id, network_id, sealed, created_at, attempts, next_attempt_at, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6)",
                    rusqlite::params![
                        id,
                        net.profile.network_id,
                        sealed,
                        now.timestamp() - 10 + i as i64,
                        i as i64,
                        if i == 1 { Some("network") } else { None },
                    ],
                )?;
                Ok(())
            })
            .unwrap();
            queued.push((id, record.to_owned()));
        }
        assert_eq!(old.schema_version().unwrap(), 4);
    }

    // The new build opens it: migrated to version 5, the rows sealed.
    let app = open_app(dir.path());
    assert_eq!(app.inbox().store().schema_version().unwrap(), 5);
    let listed = app.inbox().outbox().unwrap();
    assert_eq!(
        listed.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        queued.iter().map(|q| q.0.clone()).collect::<Vec<_>>(),
        "listed in the order queued"
    );
    assert_eq!(listed[0].network_id, net.profile.network_id);
    assert_eq!(listed[1].attempts, 1);
    assert_eq!(listed[1].last_error.as_deref(), Some("network"));
    assert!(listed.iter().all(|i| i.bytes > 0));

    let columns = |table: &str| -> Vec<String> {
        app.inbox()
            .store()
            .read(|c| {
                let mut stmt =
                    c.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
                Ok(stmt
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .unwrap()
    };
    assert_eq!(
        columns("outbox"),
        ["id", "sealed"],
        "an opaque id and one sealed blob"
    );
    assert!(
        columns("outbox_v3").is_empty(),
        "the clear-metadata table is gone"
    );

    // Nothing of the metadata is readable in the file: the network id appears in no outbox row.
    let rows: Vec<Vec<u8>> = app
        .inbox()
        .store()
        .read(|c| {
            let mut stmt = c.prepare("SELECT sealed FROM outbox")?;
            Ok(stmt
                .query_map([], |r| r.get::<_, Vec<u8>>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .unwrap();
    let needle = net.profile.network_id.as_bytes();
    assert!(
        rows.iter()
            .all(|r| !r.windows(needle.len()).any(|w| w == needle)),
        "no network id in clear"
    );
    assert!(
        rows.iter().all(|r| r.len() == rows[0].len()),
        "one size bucket"
    );

    // And they still send, to the network's hub.
    install(&app, &net, &net.profile.network_id, &hub.url());
    let outcome = app.sync(Utc::now()).unwrap();
    assert!(outcome.ok(), "{:?}", outcome.failures().collect::<Vec<_>>());
    assert_eq!(outcome.reports_sent(), 2);
    assert!(app.inbox().outbox().unwrap().is_empty());
    let mut at_hub = reports_at_hub(&hub.url(), &net.dispatchers[0]);
    at_hub.sort();
    assert_eq!(at_hub, ["old-record-1", "old-record-2"]);
}
