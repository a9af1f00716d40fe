//! Issue 12, alerts and networks on the device: retractions that outlive their own expiry and
//! purge (1), alert identity by (network, id) and the migration that brings it (2), revocation
//! reaching old alerts (3), squatter profiles and `remove_network` (4), and profile rules checked
//! at install (5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use silbato_core::crypto::SigningKey;
use silbato_core::inbox::alert::{Certainty, MsgType};
use silbato_core::inbox::{AlertStatus, Inbox, InboxError, IngestOutcome, Rejection};
use silbato_core::keys::FileKeyStore;
use silbato_core::network::{InstallError, NetworkProfile, ProfileError};
use silbato_core::store::StoreSpec;
use silbato_core::{Error, error::Missing};
use silbato_testkit::{AlertBuilder, DispatcherSpec, NetworkBuilder, TestNetwork, sign_profile};

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Network `id` (keys derived from `seed`) with `dispatchers` dispatchers and no report keys.
fn network(id: &str, seed: &str, dispatchers: usize) -> TestNetwork {
    NetworkBuilder::new(id)
        .seed(seed)
        .now(now())
        .dispatchers(dispatchers)
        .without_seal_keys()
        .build()
}

fn open(dir: &Path) -> Inbox {
    Inbox::open(dir, &FileKeyStore::new(dir)).unwrap()
}

fn install(inbox: &Inbox, net: &TestNetwork) {
    inbox
        .install_network(&net.envelope, Some(&net.fingerprint()))
        .unwrap();
}

fn accepted(o: IngestOutcome) {
    assert!(matches!(o, IngestOutcome::Accepted { .. }), "{o:?}");
}

fn active_ids(inbox: &Inbox, at: DateTime<Utc>) -> Vec<(String, String)> {
    inbox
        .active("en", at, 50)
        .unwrap()
        .into_iter()
        .map(|a| (a.network_id, a.id))
        .collect()
}

fn status(inbox: &Inbox, network: &str, id: &str, at: DateTime<Utc>) -> AlertStatus {
    inbox
        .history("en", at, 100)
        .unwrap()
        .into_iter()
        .find(|a| a.id == id && a.network_id == network)
        .unwrap()
        .status
}

// ---- 1 ----

#[test]
fn h12_01_a_cancel_purged_before_its_original_arrives_still_hides_it() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = open(dir.path());
    let net = network("chi", "chi", 2);
    install(&inbox, &net);
    let both = [net.dispatcher(0), net.dispatcher(1)];
    let cancel = AlertBuilder::new("cxl")
        .now(now())
        .cancel(&["raid"])
        .lifetime(Duration::hours(1))
        .sign(&both)
        .unwrap();
    accepted(inbox.ingest(&cancel, now()).unwrap());
    // Two days on, the cancel has expired and is purged; the original was never seen.
    let later = now() + Duration::days(2);
    assert_eq!(inbox.purge_expired(Duration::hours(1), later).unwrap(), 1);
    // Then the original arrives late (it is still in force): it must not show as active.
    let original = AlertBuilder::new("raid")
        .now(now())
        .lifetime(Duration::days(10))
        .sign(&both)
        .unwrap();
    accepted(inbox.ingest(&original, later).unwrap());
    assert!(active_ids(&inbox, later).is_empty());
    assert_eq!(status(&inbox, "chi", "raid", later), AlertStatus::Retracted);
    assert_eq!(inbox.unread_count(later).unwrap(), 0);
}

#[test]
fn h12_01_a_cancel_that_expired_before_the_device_synced_still_retracts() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = open(dir.path());
    let net = network("chi", "chi", 2);
    install(&inbox, &net);
    let both = [net.dispatcher(0), net.dispatcher(1)];
    let original = AlertBuilder::new("raid")
        .now(now())
        .lifetime(Duration::days(10))
        .sign(&both)
        .unwrap();
    accepted(inbox.ingest(&original, now()).unwrap());
    let cancel = AlertBuilder::new("cxl")
        .now(now())
        .cancel(&["raid"])
        .lifetime(Duration::hours(1))
        .sign(&both)
        .unwrap();
    // The device syncs two days later; the hub still serves the cancel (its original is in
    // force), though the cancel's own expiry has passed.
    let later = now() + Duration::days(2);
    accepted(inbox.ingest(&cancel, later).unwrap());
    assert!(active_ids(&inbox, later).is_empty());
    assert_eq!(status(&inbox, "chi", "raid", later), AlertStatus::Retracted);
    // A plain alert that has expired is still refused.
    let stale = AlertBuilder::new("stale")
        .now(now())
        .lifetime(Duration::hours(1))
        .sign(&both)
        .unwrap();
    assert_eq!(
        inbox.ingest(&stale, later).unwrap(),
        IngestOutcome::Rejected(Rejection::Expired)
    );
}

// ---- 2 ----

#[test]
fn h12_02_another_networks_dispatcher_cannot_take_an_alert_id() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = open(dir.path());
    let chi = network("chi", "chi", 2);
    let other = network("other", "other", 1);
    install(&inbox, &chi);
    install(&inbox, &other);
    // The other network's single dispatcher takes the id first.
    let squat = AlertBuilder::new("raid-1")
        .network("other")
        .now(now())
        .sign(&[other.dispatcher(0)])
        .unwrap();
    accepted(inbox.ingest(&squat, now()).unwrap());
    // The real network's two-signature alert with the same id is its own alert.
    let real = AlertBuilder::new("raid-1")
        .now(now())
        .sign(&[chi.dispatcher(0), chi.dispatcher(1)])
        .unwrap();
    accepted(inbox.ingest(&real, now()).unwrap());
    assert_eq!(
        inbox.ingest(&real, now()).unwrap(),
        IngestOutcome::Duplicate {
            id: "raid-1".into()
        }
    );
    let mut active = active_ids(&inbox, now());
    active.sort();
    assert_eq!(
        active,
        vec![
            ("chi".to_owned(), "raid-1".to_owned()),
            ("other".to_owned(), "raid-1".to_owned())
        ]
    );
    // The other network's cancel of "raid-1" retracts only its own alert.
    let cancel = AlertBuilder::new("cxl")
        .network("other")
        .now(now())
        .cancel(&["raid-1"])
        .sign(&[other.dispatcher(0)])
        .unwrap();
    accepted(inbox.ingest(&cancel, now()).unwrap());
    assert_eq!(status(&inbox, "chi", "raid-1", now()), AlertStatus::Active);
    assert_eq!(
        status(&inbox, "other", "raid-1", now()),
        AlertStatus::Retracted
    );

    // An id two networks use: a clear typed error unless the network is named.
    assert!(matches!(
        inbox.alert("raid-1", "en", now()),
        Err(Error::Inbox(InboxError::AmbiguousAlert))
    ));
    assert_eq!(
        Error::from(InboxError::AmbiguousAlert).code(),
        "inbox.ambiguous_alert"
    );
    let view = inbox.alert_in(Some("chi"), "raid-1", "en", now()).unwrap();
    assert_eq!(view.network_id, "chi");
    assert_eq!(view.signed_by.len(), 2);
    assert!(matches!(
        inbox.mark_read("raid-1"),
        Err(Error::Inbox(InboxError::AmbiguousAlert))
    ));
    inbox.mark_read_in(Some("chi"), "raid-1").unwrap();
    assert!(
        inbox
            .alert_in(Some("chi"), "raid-1", "en", now())
            .unwrap()
            .read
    );
    assert!(
        !inbox
            .alert_in(Some("other"), "raid-1", "en", now())
            .unwrap()
            .read
    );
    // An id only one network uses still works without naming it.
    assert_eq!(inbox.alert("cxl", "en", now()).unwrap().network_id, "other");
}

/// The inbox schema at version 3 (before alert identity), applied by the store itself.
const INBOX_V3: StoreSpec = StoreSpec {
    name: "inbox",
    migrations: silbato_store::migrations!("inbox": 1 => "001_watchlist", 2 => "002_alerts", 3 => "003_sync"),
    full_sync: false,
    secure_delete: true,
    check_on_open: false,
};

#[test]
fn h12_02_a_version_3_inbox_with_alerts_migrates() {
    // Real encrypted rows (key file, canary, sealed alerts), written by today's inbox...
    let src = tempfile::tempdir().unwrap();
    let net = network("chi", "chi", 2);
    let both = [net.dispatcher(0), net.dispatcher(1)];
    {
        let inbox = open(src.path());
        install(&inbox, &net);
        for a in [
            AlertBuilder::new("orig").now(now()),
            AlertBuilder::new("upd").now(now()).update(&["orig"]),
            AlertBuilder::new("other")
                .now(now())
                .certainty(Certainty::Likely),
        ] {
            accepted(inbox.ingest(&a.sign(&both).unwrap(), now()).unwrap());
        }
        inbox.mark_read("other").unwrap();
    }
    // ...copied into a database at schema version 3, as an older build left it.
    let dst = tempfile::tempdir().unwrap();
    drop(silbato_store::Store::open(&dst.path().join("inbox.db"), INBOX_V3).unwrap());
    {
        let c = rusqlite::Connection::open(dst.path().join("inbox.db")).unwrap();
        let v: u32 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 3);
        c.execute(
            "ATTACH DATABASE ?1 AS src",
            [src.path().join("inbox.db").to_str().unwrap()],
        )
        .unwrap();
        c.execute_batch(
            "INSERT INTO networks SELECT * FROM src.networks;
             INSERT INTO inbox_meta SELECT * FROM src.inbox_meta;
             INSERT INTO alerts (id, network_id, msg_type, sent, expires, payload_sha256, sealed,
                                 sealed_payload, received_at, read)
                 SELECT id, network_id, msg_type, sent, expires, payload_sha256, sealed,
                        sealed_payload, received_at, read FROM src.alerts;
             INSERT INTO alert_refs (alert_id, network_id, ref_id)
                 SELECT alert_id, network_id, ref_id FROM src.alert_refs;",
        )
        .unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
    }
    for entry in std::fs::read_dir(src.path()).unwrap() {
        let name = entry.unwrap().file_name();
        let name = name.to_str().unwrap();
        if name.ends_with(".keys") || name.ends_with(".key") {
            std::fs::copy(src.path().join(name), dst.path().join(name)).unwrap();
        }
    }
    // Opening it migrates: every alert, its state and its chain survive.
    let inbox = open(dst.path());
    let mut active = active_ids(&inbox, now());
    active.sort();
    assert_eq!(
        active,
        vec![
            ("chi".to_owned(), "other".to_owned()),
            ("chi".to_owned(), "upd".to_owned())
        ]
    );
    assert_eq!(
        status(&inbox, "chi", "orig", now()),
        AlertStatus::Superseded
    );
    assert!(inbox.alert("other", "en", now()).unwrap().read);
    // And (network, id) is now the identity: the same id from another network is accepted.
    let other = network("other", "other", 1);
    install(&inbox, &other);
    accepted(
        inbox
            .ingest(
                &AlertBuilder::new("orig")
                    .network("other")
                    .now(now())
                    .sign(&[other.dispatcher(0)])
                    .unwrap(),
                now(),
            )
            .unwrap(),
    );
}

// ---- 3 ----

#[test]
fn h12_03_removing_a_dispatcher_key_withdraws_the_alerts_it_carried() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = open(dir.path());
    let net = network("chi", "chi", 2);
    install(&inbox, &net);
    let (ana, luis) = (net.dispatcher(0), net.dispatcher(1));
    let observed = AlertBuilder::new("observed").now(now()).sign(&[ana, luis]);
    let by_luis = AlertBuilder::new("by-luis")
        .now(now())
        .certainty(Certainty::Likely)
        .sign(&[luis]);
    let by_ana = AlertBuilder::new("by-ana")
        .now(now())
        .certainty(Certainty::Likely)
        .sign(&[ana]);
    for a in [observed, by_luis, by_ana] {
        accepted(inbox.ingest(&a.unwrap(), now()).unwrap());
    }
    assert_eq!(active_ids(&inbox, now()).len(), 3);

    // Version 2 replaces Luis's key (lost phone) with a new dispatcher.
    let mut v2: NetworkProfile = net.profile_at(2);
    let replacement = silbato_testkit::keys::signing_key("chi/replacement");
    v2.dispatcher_keys[1].key = replacement.public_key();
    v2.dispatcher_keys[1].name = "Luis (new phone)".into();
    inbox
        .install_network(&sign_profile(&v2, &[net.root()]), None)
        .unwrap();
    // What Luis's key carried no longer meets the policy: out of the active list, withdrawn.
    assert_eq!(
        active_ids(&inbox, now()),
        vec![("chi".to_owned(), "by-ana".to_owned())]
    );
    assert_eq!(
        status(&inbox, "chi", "observed", now()),
        AlertStatus::Withdrawn
    );
    assert_eq!(
        status(&inbox, "chi", "by-luis", now()),
        AlertStatus::Withdrawn
    );
    assert_eq!(status(&inbox, "chi", "by-ana", now()), AlertStatus::Active);
    assert_eq!(inbox.unread_count(now()).unwrap(), 1);
}

// ---- 4 ----

#[test]
fn h12_04_an_unconfirmed_squatter_cannot_block_the_real_network() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = open(dir.path());
    let real = network("chi", "chi", 2);
    // A squatter's profile under the real id, installed first and never confirmed.
    // It lists the real root key too, and a version far ahead, so the real profile would look
    // like its (rolled back) update.
    let squatter = network("chi", "squatter", 1);
    let mut squat = squatter.profile.clone();
    squat.root_keys.push(real.root().public_key());
    squat.version = 1_000_000;
    assert!(
        !inbox
            .install_network(&sign_profile(&squat, &[squatter.root()]), None)
            .unwrap()
            .confirmed
    );
    // Another lists the real network's dispatcher key under its own id.
    let mut copycat = network("copycat", "copycat", 1).profile;
    copycat.dispatcher_keys[0].key = real.dispatcher(0).public_key();
    let copycat_root = silbato_testkit::keys::signing_key("copycat/root-1");
    let copycat_bytes = sign_profile(&copycat, &[&copycat_root]);
    inbox.install_network(&copycat_bytes, None).unwrap();

    // The real profile installs and is confirmed over both.
    let report = inbox
        .install_network(&real.envelope, Some(&real.fingerprint()))
        .unwrap();
    assert!(report.confirmed);
    assert_eq!(
        inbox.network("chi").unwrap().fingerprint(),
        real.fingerprint()
    );
    // The copycat can never be confirmed beside it.
    assert!(matches!(
        inbox.confirm_network("copycat", &copycat.fingerprint()),
        Err(Error::Install(InstallError::ReusedKeys))
    ));
    // A confirmed network still cannot be taken over.
    assert!(
        inbox
            .install_network(&squatter.envelope, Some(&squatter.fingerprint()))
            .is_err()
    );
    accepted(
        inbox
            .ingest(
                &AlertBuilder::new("raid")
                    .now(now())
                    .sign(&[real.dispatcher(0), real.dispatcher(1)])
                    .unwrap(),
                now(),
            )
            .unwrap(),
    );
}

#[test]
fn h12_04_removing_a_network_removes_its_alerts_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = open(dir.path());
    let chi = network("chi", "chi", 2);
    let other = network("other", "other", 1);
    install(&inbox, &chi);
    install(&inbox, &other);
    let both = [chi.dispatcher(0), chi.dispatcher(1)];
    accepted(
        inbox
            .ingest(
                &AlertBuilder::new("raid").now(now()).sign(&both).unwrap(),
                now(),
            )
            .unwrap(),
    );
    accepted(
        inbox
            .ingest(
                &AlertBuilder::new("cxl")
                    .now(now())
                    .cancel(&["gone"])
                    .sign(&both)
                    .unwrap(),
                now(),
            )
            .unwrap(),
    );
    accepted(
        inbox
            .ingest(
                &AlertBuilder::new("kept")
                    .network("other")
                    .now(now())
                    .sign(&[other.dispatcher(0)])
                    .unwrap(),
                now(),
            )
            .unwrap(),
    );
    inbox.queue_report("chi", b"sealed-1", now()).unwrap();
    inbox.queue_report("other", b"sealed-2", now()).unwrap();

    inbox.remove_network("chi").unwrap();
    let nets: Vec<String> = inbox
        .networks()
        .unwrap()
        .into_iter()
        .map(|n| n.network_id)
        .collect();
    assert_eq!(nets, vec!["other".to_owned()]);
    let history = inbox.history("en", now(), 100).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].network_id, "other");
    let outbox = inbox.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].network_id, "other");
    let refs: i64 = inbox
        .store()
        .read(|c| Ok::<_, Error>(c.query_row("SELECT count(*) FROM alert_refs", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(refs, 0);
    assert!(matches!(
        inbox.remove_network("chi"),
        Err(Error::NotFound {
            what: Missing::Network
        })
    ));
    // Installed again, it starts clean.
    install(&inbox, &chi);
    assert!(active_ids(&inbox, now()).iter().all(|(n, _)| n == "other"));
}

// ---- 5 ----

#[test]
fn h12_05_installing_refuses_profiles_that_break_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = open(dir.path());
    let net = network("chi", "chi", 2);
    let root: &SigningKey = net.root();
    let refused = |p: &NetworkProfile| inbox.install_network(&sign_profile(p, &[root]), None);

    let mut p = net.profile.clone();
    p.alert_policy.observed = 3;
    assert!(matches!(
        refused(&p),
        Err(Error::Profile(ProfileError::PolicyExceedsDispatchers))
    ));
    let mut p = net.profile.clone();
    p.dispatcher_keys[1].key = p.dispatcher_keys[0].key;
    assert!(matches!(
        refused(&p),
        Err(Error::Profile(ProfileError::DuplicateDispatcher))
    ));
    let mut p = net.profile.clone();
    p.hub_url = "https://:443/".into();
    assert!(matches!(
        refused(&p),
        Err(Error::Profile(ProfileError::HubHost))
    ));
    // A network of one dispatcher may still ask for one signature.
    let one = NetworkBuilder::new("solo")
        .seed("solo")
        .now(now())
        .dispatchers(0)
        .dispatcher(DispatcherSpec::new("Ana"))
        .build();
    assert_eq!(one.profile.alert_policy.observed, 1);
    install(&inbox, &one);
    assert_eq!(
        [
            ProfileError::PolicyExceedsDispatchers,
            ProfileError::DuplicateDispatcher,
            ProfileError::SealKeyWithoutDispatcher,
            ProfileError::HubHost,
            ProfileError::QrTooLong,
        ]
        .map(|e| Error::from(e).code()),
        [
            "profile.policy_exceeds_dispatchers",
            "profile.duplicate_dispatcher",
            "profile.seal_key_without_dispatcher",
            "profile.hub_host",
            "profile.qr_too_long",
        ]
    );
    let _ = MsgType::Alert;
}

#[test]
fn h12_05_drafts_refuse_a_seal_key_without_its_dispatcher_and_qr_text_has_a_limit() {
    use silbato_core::network::{MAX_QR_BYTES, ProfileDraft, qr_text};
    let t = now();
    let draft = || {
        ProfileDraft::new(
            "chi",
            "Chicago",
            1,
            "https://hub.example.org",
            t.date_naive(),
        )
        .root_key(silbato_testkit::signing_key("root").public_key())
        .dispatcher(
            silbato_testkit::signing_key("d1").public_key(),
            "Ana",
            None,
            t,
            30,
        )
        .unwrap()
    };
    let seal = |l: &str| silbato_testkit::seal_key(l).public_key();
    let p = draft()
        .policy(silbato_core::network::AlertPolicy {
            observed: 1,
            likely: 1,
            possible: 1,
            unverified: 1,
        })
        .seal_keys(vec![seal("s1")])
        .build()
        .unwrap();
    assert_eq!(p.dispatcher_keys[0].seal_key, Some(seal("s1")));
    assert!(matches!(
        draft().seal_keys(vec![seal("s1"), seal("s2")]).build(),
        Err(silbato_core::proto::Error::Profile(
            ProfileError::SealKeyWithoutDispatcher
        ))
    ));
    // Two signatures for observed alerts, one dispatcher: refused before signing.
    assert!(matches!(
        draft().build(),
        Err(silbato_core::proto::Error::Profile(
            ProfileError::PolicyExceedsDispatchers
        ))
    ));
    let small = network("chi", "chi", 2);
    assert!(qr_text(&small.envelope).unwrap().len() <= MAX_QR_BYTES);
    assert!(matches!(
        qr_text(&vec![b'x'; MAX_QR_BYTES]),
        Err(silbato_core::proto::Error::Profile(ProfileError::QrTooLong))
    ));
}

// ---- 6 ----

#[test]
fn h12_06_signing_counts_distinct_signers_against_the_policy() {
    use silbato_core::inbox::alert::{AlertError, cosign, policy_status, sign_alert};
    let net = network("chi", "chi", 2);
    let (ana, luis) = (net.dispatcher(0), net.dispatcher(1));
    let alert = AlertBuilder::new("raid").now(now()).build();
    assert!(matches!(
        sign_alert(&alert, &[ana, ana]),
        Err(silbato_core::proto::Error::Alert(
            AlertError::DuplicateSigner
        ))
    ));
    let one = sign_alert(&alert, &[ana]).unwrap();
    let again = cosign(&one, ana).unwrap();
    assert!(again.already_signed);
    assert_eq!(again.envelope, one);
    let status = policy_status(&net.profile, &again.alert, &again.signers);
    assert_eq!(
        status.to_string(),
        "1 of 2 signatures required for observed: policy not met"
    );
    let two = cosign(&one, luis).unwrap();
    assert!(!two.already_signed);
    let status = policy_status(&net.profile, &two.alert, &two.signers);
    assert!(status.met);
    assert_eq!(
        status.to_string(),
        "2 of 2 signatures required for observed: policy met"
    );
    // A key that is not the network's dispatcher does not count.
    let stranger = silbato_testkit::signing_key("stranger");
    let odd = cosign(&one, &stranger).unwrap();
    assert_eq!(
        policy_status(&net.profile, &odd.alert, &odd.signers).have,
        1
    );
}

/// A pushed alert whose id another network already uses is still shown: the push path looks it up
/// by (network, id), never by id alone.
#[test]
fn h12_02_a_pushed_alert_with_an_id_another_network_uses_is_notified() {
    use silbato_core::inbox::push::{PushOutcome, seal_for_device};
    let dir = tempfile::tempdir().unwrap();
    let inbox = open(dir.path());
    let chi = network("chi", "chi", 2);
    let other = network("other", "other", 1);
    install(&inbox, &chi);
    install(&inbox, &other);
    let squat = AlertBuilder::new("raid-1")
        .network("other")
        .now(now())
        .sign(&[other.dispatcher(0)])
        .unwrap();
    accepted(inbox.ingest(&squat, now()).unwrap());
    let real = AlertBuilder::new("raid-1")
        .now(now())
        .sign(&[chi.dispatcher(0), chi.dispatcher(1)])
        .unwrap();
    let payload = seal_for_device(&real, &inbox.push_public_key().unwrap()).unwrap();
    match inbox.ingest_push(&payload, "en", now()).unwrap() {
        PushOutcome::Alert {
            outcome: IngestOutcome::Accepted { id, network, .. },
            notification: Some(_),
        } => assert_eq!((id.as_str(), network.as_str()), ("raid-1", "chi")),
        other => panic!("{other:?}"),
    }
}
