//! The alert inbox through its public API: network profiles and key rotation, every ingest rule,
//! update and cancel chains in any order, relevance to saved places, push payloads, and what a
//! notification may say.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, Utc};
use silbato_core::crypto::SigningKey;
use silbato_core::envelope::{self, add_signature};
use silbato_core::inbox::alert::{
    ALERT_KIND, Alert, Area, Category, Certainty, MsgType, Severity, sign_alert,
};
use silbato_core::inbox::geo::{Circle, Point};
use silbato_core::inbox::push::{PushOutcome, seal_for_device, wake_payload};
use silbato_core::inbox::{AlertStatus, Inbox, IngestOutcome, Rejection, Relevance};
use silbato_core::keys::FileKeyStore;
use silbato_core::network::{InstallError, ProfileError};
use silbato_core::network::{NetworkProfile, decode_qr, encode_qr};
use silbato_core::{DocKind, Error};
use silbato_testkit::{AlertBuilder, TestNetwork, sign_profile};

/// The `chi` network of `silbato_testkit` (root, dispatchers Ana and Luis valid from a day ago for
/// 30 days, no report keys listed, one publisher), its keys taken apart for the tests.
struct Net {
    root: SigningKey,
    d1: SigningKey,
    d2: SigningKey,
    publisher: SigningKey,
    profile: NetworkProfile,
}

impl Net {
    fn new() -> Self {
        Net::seeded("chi")
    }

    /// Another party's network under the same id: keys derived from `seed`.
    fn seeded(seed: &str) -> Self {
        let TestNetwork {
            profile,
            roots,
            dispatchers,
            publishers,
            ..
        } = TestNetwork::builder()
            .now(Utc::now())
            .seed(seed)
            .without_seal_keys()
            .build();
        let [root] = <[SigningKey; 1]>::try_from(roots).unwrap();
        let [d1, d2] = <[_; 2]>::try_from(dispatchers).unwrap().map(|d| d.signing);
        let [publisher] = <[SigningKey; 1]>::try_from(publishers).unwrap();
        Net {
            root,
            d1,
            d2,
            publisher,
            profile,
        }
    }

    fn profile(&self, version: u64) -> NetworkProfile {
        let mut profile = self.profile.clone();
        profile.version = version;
        profile
    }

    fn signed(&self, profile: &NetworkProfile, key: &SigningKey) -> Vec<u8> {
        sign_profile(profile, &[key])
    }
}

/// An alert of `chi` over 47th and Ashland (800 m circle, US-IL-CHI), in English and Spanish,
/// sent a minute ago and in force for two hours.
fn alert(id: &str, certainty: Certainty) -> Alert {
    AlertBuilder::new(id)
        .now(Utc::now())
        .certainty(certainty)
        .build()
}

fn setup() -> (tempfile::TempDir, Inbox, Net) {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Inbox::open(dir.path(), &FileKeyStore::new(dir.path())).unwrap();
    let net = Net::new();
    let report = inbox
        .install_network(
            &net.signed(&net.profile(1), &net.root),
            Some(&net.profile(1).fingerprint()),
        )
        .unwrap();
    assert_eq!(report.previous_version, None);
    (dir, inbox, net)
}

fn rejected(o: IngestOutcome) -> Rejection {
    match o {
        IngestOutcome::Rejected(r) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

#[test]
fn every_ingest_rule_has_its_own_outcome() {
    let (_d, inbox, net) = setup();
    let two = |a: &Alert| sign_alert(a, &[&net.d1, &net.d2]).unwrap();

    let ok = two(&alert("a1", Certainty::Observed));
    assert!(matches!(
        inbox.ingest(&ok, now()).unwrap(),
        IngestOutcome::Accepted { .. }
    ));
    assert_eq!(
        inbox.ingest(&ok, now()).unwrap(),
        IngestOutcome::Duplicate { id: "a1".into() }
    );

    // Same id, different bytes.
    let mut changed = alert("a1", Certainty::Observed);
    changed.severity = Severity::Minor;
    assert_eq!(
        rejected(inbox.ingest(&two(&changed), now()).unwrap()),
        Rejection::Conflict
    );

    // The two-person rule: one signature, or the same signature twice, is not enough.
    let one = sign_alert(&alert("a2", Certainty::Observed), &[&net.d1]).unwrap();
    assert_eq!(
        rejected(inbox.ingest(&one, now()).unwrap()),
        Rejection::NotEnoughSignatures { have: 1, need: 2 }
    );
    let mut doubled: serde_json::Value = serde_json::from_slice(&one).unwrap();
    let sig = doubled["signatures"][0].clone();
    doubled["signatures"].as_array_mut().unwrap().push(sig);
    assert_eq!(
        rejected(
            inbox
                .ingest(&serde_json::to_vec(&doubled).unwrap(), now())
                .unwrap()
        ),
        Rejection::NotEnoughSignatures { have: 1, need: 2 }
    );
    // A "likely" alert needs one.
    assert!(matches!(
        inbox
            .ingest(
                &sign_alert(&alert("a3", Certainty::Likely), &[&net.d1]).unwrap(),
                now()
            )
            .unwrap(),
        IngestOutcome::Accepted { .. }
    ));
    // The second dispatcher signs later: accepted then.
    let cosigned = add_signature(&one, DocKind::Envelope, ALERT_KIND, 1 << 20, &net.d2).unwrap();
    assert!(matches!(
        inbox.ingest(&cosigned, now()).unwrap(),
        IngestOutcome::Accepted { .. }
    ));

    // Unknown key; another network named in the payload.
    let stranger = SigningKey::generate().unwrap();
    assert_eq!(
        rejected(
            inbox
                .ingest(
                    &sign_alert(&alert("a4", Certainty::Likely), &[&stranger]).unwrap(),
                    now()
                )
                .unwrap()
        ),
        Rejection::UnknownKey
    );
    let mut elsewhere = alert("a5", Certainty::Likely);
    elsewhere.network = "nyc".into();
    assert_eq!(
        rejected(
            inbox
                .ingest(&sign_alert(&elsewhere, &[&net.d1]).unwrap(), now())
                .unwrap()
        ),
        Rejection::UnknownNetwork
    );

    // Expired, and sent more than five minutes in the future.
    let mut old = alert("a6", Certainty::Likely);
    old.sent = now() - Duration::hours(5);
    old.expires = now() - Duration::hours(1);
    assert_eq!(
        rejected(
            inbox
                .ingest(&sign_alert(&old, &[&net.d1]).unwrap(), now())
                .unwrap()
        ),
        Rejection::Expired
    );
    let mut future = alert("a7", Certainty::Likely);
    future.sent = now() + Duration::minutes(10);
    assert_eq!(
        rejected(
            inbox
                .ingest(&sign_alert(&future, &[&net.d1]).unwrap(), now())
                .unwrap()
        ),
        Rejection::FromTheFuture
    );
    let mut skewed = alert("a7b", Certainty::Likely);
    skewed.sent = now() + Duration::minutes(3);
    assert!(matches!(
        inbox
            .ingest(&sign_alert(&skewed, &[&net.d1]).unwrap(), now())
            .unwrap(),
        IngestOutcome::Accepted { .. }
    ));

    // A key outside its validity window when the alert was sent.
    let mut before_window = alert("a8", Certainty::Likely);
    before_window.sent = now() - Duration::days(2);
    before_window.expires = now() + Duration::hours(1);
    assert_eq!(
        rejected(
            inbox
                .ingest(&sign_alert(&before_window, &[&net.d1]).unwrap(), now())
                .unwrap()
        ),
        Rejection::KeyOutsideValidity
    );

    // Oversized payloads are refused unread; garbage is malformed.
    let big = envelope::seal(ALERT_KIND, &vec![b' '; 17 * 1024], &[&net.d1]).unwrap();
    assert_eq!(
        rejected(inbox.ingest(&big, now()).unwrap()),
        Rejection::TooLarge
    );
    assert_eq!(
        rejected(inbox.ingest(b"{not json", now()).unwrap()),
        Rejection::Malformed
    );
    let not_alert = envelope::seal(ALERT_KIND, b"{\"hello\":1}", &[&net.d1]).unwrap();
    assert_eq!(
        rejected(inbox.ingest(&not_alert, now()).unwrap()),
        Rejection::Malformed
    );
}

#[test]
fn a_flipped_bit_anywhere_is_never_accepted() {
    let (_d, inbox, net) = setup();
    let good = sign_alert(&alert("flip", Certainty::Observed), &[&net.d1, &net.d2]).unwrap();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 1 << (i % 8);
        match inbox.ingest(&bad, now()).unwrap() {
            IngestOutcome::Rejected(_) => {}
            other => panic!("byte {i}: {other:?}"),
        }
    }
    assert!(inbox.active("en", now(), 10).unwrap().is_empty());
    assert!(matches!(
        inbox.ingest(&good, now()).unwrap(),
        IngestOutcome::Accepted { .. }
    ));
}

#[test]
fn updates_and_cancels_in_any_order() {
    let (_d, inbox, net) = setup();
    let sign = |a: &Alert| sign_alert(a, &[&net.d1, &net.d2]).unwrap();
    let original = alert("orig", Certainty::Observed);
    let mut update = alert("upd", Certainty::Observed);
    update.msg_type = MsgType::Update;
    update.references = vec!["orig".into()];
    update.info.get_mut("en").unwrap().headline = "Vans moved to 51st".into();
    let mut cancel = alert("cxl", Certainty::Likely);
    cancel.msg_type = MsgType::Cancel;
    cancel.category = Category::AllClear;
    cancel.references = vec!["upd".into()];

    // In order: alert, then update supersedes it.
    inbox.ingest(&sign(&original), now()).unwrap();
    inbox.ingest(&sign(&update), now()).unwrap();
    let active = inbox.active("en", now(), 10).unwrap();
    assert_eq!(
        active.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        vec!["upd"]
    );
    // The cancel retracts the update and shows as an all-clear.
    inbox.ingest(&sign(&cancel), now()).unwrap();
    let active = inbox.active("en", now(), 10).unwrap();
    assert_eq!(active.len(), 1);
    assert!(active[0].all_clear && active[0].id == "cxl");
    let history = inbox.history("en", now(), 10).unwrap();
    let status = |id: &str| history.iter().find(|a| a.id == id).unwrap().status;
    assert_eq!(
        (status("orig"), status("upd"), status("cxl")),
        (
            AlertStatus::Superseded,
            AlertStatus::Retracted,
            AlertStatus::Active
        )
    );

    // Out of order, in a second inbox: the cancel arrives first, then the update, then the alert.
    let dir2 = tempfile::tempdir().unwrap();
    let inbox2 = Inbox::open(dir2.path(), &FileKeyStore::new(dir2.path())).unwrap();
    inbox2
        .install_network(
            &net.signed(&net.profile(1), &net.root),
            Some(&net.profile(1).fingerprint()),
        )
        .unwrap();
    inbox2.ingest(&sign(&cancel), now()).unwrap();
    inbox2.ingest(&sign(&update), now()).unwrap();
    inbox2.ingest(&sign(&original), now()).unwrap();
    let active = inbox2.active("en", now(), 10).unwrap();
    assert_eq!(
        active.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        vec!["cxl"]
    );
}

#[test]
fn profiles_rotate_only_under_the_current_roots() {
    let (_d, inbox, net) = setup();
    // A profile update signed by a key that is not a root: refused.
    let not_root = net.signed(&net.profile(2), &net.d1);
    assert!(matches!(
        inbox.install_network(&not_root, None),
        Err(Error::UntrustedKey { .. })
    ));
    // Rotation: version 2 lists a new root and new dispatcher, signed by the old root.
    let new_root = SigningKey::generate().unwrap();
    let new_dispatcher = SigningKey::generate().unwrap();
    let mut v2 = net.profile(2);
    v2.root_keys = vec![new_root.public_key()];
    v2.dispatcher_keys[0].key = new_dispatcher.public_key();
    let report = inbox
        .install_network(&net.signed(&v2, &net.root), None)
        .unwrap();
    assert!(report.confirmed, "an update keeps the confirmation");
    assert!(report.roots_rotated);
    // The old root can no longer sign updates; the new one can.
    let mut v3 = v2.clone();
    v3.version = 3;
    assert!(matches!(
        inbox.install_network(&net.signed(&v3, &net.root), None),
        Err(Error::UntrustedKey { .. })
    ));
    inbox
        .install_network(&net.signed(&v3, &new_root), None)
        .unwrap();
    // Rollback refused.
    assert!(matches!(
        inbox.install_network(&net.signed(&v2, &new_root), None),
        Err(Error::Rollback { .. })
    ));
    // The rotated-out dispatcher key no longer counts; the new one does.
    let a = alert("after-rotation", Certainty::Likely);
    assert_eq!(
        rejected(
            inbox
                .ingest(&sign_alert(&a, &[&net.d1]).unwrap(), now())
                .unwrap()
        ),
        Rejection::UnknownKey
    );
    assert!(matches!(
        inbox
            .ingest(&sign_alert(&a, &[&new_dispatcher]).unwrap(), now())
            .unwrap(),
        IngestOutcome::Accepted { .. }
    ));
    // Installing trusts the network's publisher keys for packs and watch-lists.
    assert!(
        inbox
            .trusted_publishers()
            .unwrap()
            .contains(&net.publisher.public_key())
    );
    // A stranger's profile with the same id is a takeover attempt.
    let other = Net::seeded("other");
    assert!(matches!(
        inbox.install_network(&other.signed(&other.profile(9), &other.root), None),
        Err(Error::UntrustedKey { .. })
    ));
}

#[test]
fn a_profile_whose_hub_url_has_userinfo_is_refused() {
    let (_dir, inbox, net) = setup();
    for bad in [
        "http://localhost:1@evil.example/",
        "https://user:pw@hub.example.org",
        "https://localhost@evil.example",
        "http://localhost.evil.example",
        "http://hub.example.org",
        "https://hub.example.org/?x=1",
    ] {
        let mut profile = net.profile(2);
        profile.hub_url = bad.into();
        assert!(profile.validate().is_err(), "{bad}");
        assert!(
            matches!(
                inbox.install_network(&net.signed(&profile, &net.root), None),
                Err(Error::Profile(ProfileError::HubUrl))
            ),
            "{bad}"
        );
    }
    for good in [
        "http://127.0.0.1:8080",
        "http://[::1]/",
        "https://hub.example.org/",
    ] {
        let mut profile = net.profile(2);
        profile.hub_url = good.into();
        assert!(profile.validate().is_ok(), "{good}");
    }
}

#[test]
fn profiles_travel_as_qr_text() {
    let net = Net::new();
    let bytes = net.signed(&net.profile(1), &net.root);
    let qr = encode_qr(&bytes);
    assert!(qr.starts_with("SILBATO-NET1:"));
    assert_eq!(decode_qr(&qr).unwrap(), bytes);
    assert!(decode_qr("https://example.org").is_err());
}

#[test]
fn relevance_orders_the_inbox_and_places_stay_encrypted() {
    let (dir, inbox, net) = setup();
    let sign = |a: &Alert| sign_alert(a, &[&net.d1, &net.d2]).unwrap();
    let home = inbox
        .add_place("Home PLACECANARY", 41.8100, -87.6650, 300.0)
        .unwrap();
    assert!(inbox.add_place("bad", 95.0, 0.0, 100.0).is_err());
    inbox.follow_region("us-il").unwrap();

    let near = alert("near", Certainty::Observed); // circle around 41.8087,-87.6656: overlaps home
    let mut region_only = alert("region", Certainty::Observed);
    region_only.area = Area {
        circles: vec![],
        polygons: vec![],
        regions: vec!["US-IL-CHI".into()],
    };
    region_only.severity = Severity::Extreme;
    let mut far = alert("far", Certainty::Observed);
    far.area = Area {
        circles: vec![Circle {
            center: Point {
                lat: 34.05,
                lon: -118.24,
            },
            radius_m: 1000.0,
        }],
        polygons: vec![],
        regions: vec![],
    };
    far.severity = Severity::Extreme;
    let mut polygon = alert("poly", Certainty::Observed);
    polygon.area = Area {
        circles: vec![],
        polygons: vec![vec![
            Point {
                lat: 41.80,
                lon: -87.68,
            },
            Point {
                lat: 41.80,
                lon: -87.65,
            },
            Point {
                lat: 41.82,
                lon: -87.65,
            },
            Point {
                lat: 41.82,
                lon: -87.68,
            },
        ]],
        regions: vec![],
    };
    polygon.severity = Severity::Minor;
    for a in [&far, &region_only, &near, &polygon] {
        assert!(matches!(
            inbox.ingest(&sign(a), now()).unwrap(),
            IngestOutcome::Accepted { .. }
        ));
    }
    let active = inbox.active("es", now(), 10).unwrap();
    let order: Vec<&str> = active.iter().map(|a| a.id.as_str()).collect();
    // Saved place first (by severity: near is severe, poly minor), then the followed region, then the rest.
    assert_eq!(order, vec!["near", "poly", "region", "far"]);
    assert_eq!(
        active[0].relevance,
        Relevance::SavedPlace {
            label: "Home PLACECANARY".into()
        }
    );
    assert_eq!(
        active[2].relevance,
        Relevance::FollowedRegion {
            code: "US-IL".into()
        }
    );
    assert_eq!(active[0].lang, "es");
    assert_eq!(inbox.unread_count(now()).unwrap(), 4);
    inbox.mark_read("near").unwrap();
    assert_eq!(inbox.unread_count(now()).unwrap(), 3);
    assert!(matches!(
        inbox.mark_read("nope"),
        Err(Error::NotFound { .. })
    ));
    let detail = inbox.alert("near", "en", now()).unwrap();
    assert_eq!(
        detail.signed_by,
        vec!["Ana".to_string(), "Luis".to_string()]
    );

    // Places and alert text are not in any file in clear.
    drop(inbox);
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        for needle in [&b"PLACECANARY"[..], b"Ashland", b"41.81"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{:?} in {}",
                String::from_utf8_lossy(needle),
                entry.path().display()
            );
        }
    }
    let inbox = Inbox::open(dir.path(), &FileKeyStore::new(dir.path())).unwrap();
    inbox.remove_place(&home.id).unwrap();
    assert!(inbox.places().unwrap().is_empty());
    // Purge alerts that expired long ago.
    assert_eq!(
        inbox
            .purge_expired(Duration::days(1), now() + Duration::days(3))
            .unwrap(),
        4
    );
    assert!(inbox.history("en", now(), 10).unwrap().is_empty());
}

#[test]
fn push_payloads_wake_or_carry_a_sealed_alert_and_notifications_stay_generic() {
    let (_d, inbox, net) = setup();
    assert_eq!(
        inbox.ingest_push(&wake_payload(), "en", now()).unwrap(),
        PushOutcome::SyncNeeded
    );
    let device = inbox.push_public_key().unwrap();
    let signed = sign_alert(&alert("pushed", Certainty::Observed), &[&net.d1, &net.d2]).unwrap();
    let payload = seal_for_device(&signed, &device).unwrap();
    assert!(
        !payload.windows(7).any(|w| w == b"Ashland"),
        "the push provider sees nothing"
    );
    match inbox.ingest_push(&payload, "es", now()).unwrap() {
        PushOutcome::Alert {
            outcome: IngestOutcome::Accepted { id, .. },
            notification: Some(n),
        } => {
            assert_eq!(id, "pushed");
            assert_eq!(n.body, "Nueva alerta de Chicago Rapid Response");
            assert!(!n.body.contains("ICE"));
        }
        other => panic!("{other:?}"),
    }
    // The same push again: a duplicate, nothing to show.
    assert!(matches!(
        inbox.ingest_push(&payload, "en", now()).unwrap(),
        PushOutcome::Alert {
            outcome: IngestOutcome::Duplicate { .. },
            notification: None
        }
    ));
    // Opted in: the headline.
    inbox.set_headline_in_notifications(true).unwrap();
    assert_eq!(
        inbox.notification("pushed", "en", now()).unwrap().body,
        "ICE vans at 47th and Ashland"
    );
    // Tampered, sealed to another device, or not a push at all: refused.
    let mut tampered = payload.clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 1;
    assert!(matches!(
        inbox.ingest_push(&tampered, "en", now()),
        Err(Error::Decrypt)
    ));
    let other_dir = tempfile::tempdir().unwrap();
    let other = Inbox::open(other_dir.path(), &FileKeyStore::new(other_dir.path())).unwrap();
    assert!(matches!(
        other.ingest_push(&payload, "en", now()),
        Err(Error::Decrypt)
    ));
    assert!(inbox.ingest_push(b"SBP1\x07", "en", now()).is_err());
    assert!(inbox.ingest_push(b"hello", "en", now()).is_err());
    // The push key survives reopening.
    drop(inbox);
    let dir = _d;
    let again = Inbox::open(dir.path(), &FileKeyStore::new(dir.path())).unwrap();
    assert_eq!(again.push_public_key().unwrap(), device);
}

#[test]
fn unconfirmed_and_impostor_networks_cannot_alert() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Inbox::open(dir.path(), &FileKeyStore::new(dir.path())).unwrap();
    let net = Net::new();
    let profile = net.profile(1);
    let bytes = net.signed(&profile, &net.root);
    // A wrong fingerprint: refused outright.
    assert!(
        inbox
            .install_network(&bytes, Some("0000 0000 0000 0000 0000"))
            .is_err()
    );
    // Installed but not yet compared: its alerts are not accepted, its publishers not trusted.
    let report = inbox.install_network(&bytes, None).unwrap();
    assert!(!report.confirmed);
    let a = sign_alert(&alert("early", Certainty::Likely), &[&net.d1]).unwrap();
    assert_eq!(
        rejected(inbox.ingest(&a, now()).unwrap()),
        Rejection::UnknownKey
    );
    assert!(inbox.trusted_publishers().unwrap().is_empty());
    assert!(
        inbox
            .confirm_network("chi", "ffff ffff ffff ffff ffff")
            .is_err()
    );
    inbox
        .confirm_network("chi", &profile.fingerprint().to_uppercase())
        .unwrap();
    assert!(matches!(
        inbox.ingest(&a, now()).unwrap(),
        IngestOutcome::Accepted { .. }
    ));

    // An impostor listing the real network's dispatcher key is refused at install.
    let impostor = Net::seeded("impostor");
    let mut fake = impostor.profile(1);
    fake.network_id = "evil".into();
    fake.dispatcher_keys[0].key = net.d1.public_key();
    assert!(matches!(
        inbox.install_network(
            &impostor.signed(&fake, &impostor.root),
            Some(&fake.fingerprint())
        ),
        Err(Error::Install(InstallError::ReusedKeys))
    ));
}

#[test]
fn one_dispatcher_cannot_undo_what_two_confirmed() {
    let (_d, inbox, net) = setup();
    inbox
        .ingest(
            &sign_alert(&alert("raid", Certainty::Observed), &[&net.d1, &net.d2]).unwrap(),
            now(),
        )
        .unwrap();
    // A cancel claiming low certainty, signed by one dispatcher (or one stolen key): refused.
    let mut cancel = alert("fake-all-clear", Certainty::Unverified);
    cancel.msg_type = MsgType::Cancel;
    cancel.references = vec!["raid".into()];
    assert_eq!(
        rejected(
            inbox
                .ingest(&sign_alert(&cancel, &[&net.d1]).unwrap(), now())
                .unwrap()
        ),
        Rejection::NotEnoughSignatures { have: 1, need: 2 }
    );
    assert_eq!(inbox.active("en", now(), 10).unwrap()[0].id, "raid");
    // A plain alert cannot carry references at all.
    let mut sneaky = alert("sneaky", Certainty::Likely);
    sneaky.references = vec!["raid".into()];
    assert!(sign_alert(&sneaky, &[&net.d1]).is_err());
    // With both signatures the all-clear goes through.
    assert!(matches!(
        inbox
            .ingest(&sign_alert(&cancel, &[&net.d1, &net.d2]).unwrap(), now())
            .unwrap(),
        IngestOutcome::Accepted { .. }
    ));
}

#[test]
fn purging_an_expired_cancel_never_brings_back_what_it_retracted() {
    let (_d, inbox, net) = setup();
    let sign = |a: &Alert| sign_alert(a, &[&net.d1, &net.d2]).unwrap();
    let mut long = alert("long", Certainty::Observed);
    long.expires = now() + Duration::days(10);
    let mut cancel = alert("short-cancel", Certainty::Observed);
    cancel.msg_type = MsgType::Cancel;
    cancel.references = vec!["long".into()];
    cancel.expires = now() + Duration::hours(1);
    inbox.ingest(&sign(&long), now()).unwrap();
    inbox.ingest(&sign(&cancel), now()).unwrap();
    // Two days later the cancel has expired; purging must not resurrect the alert it retracted.
    let later = now() + Duration::days(2);
    assert_eq!(inbox.purge_expired(Duration::hours(1), later).unwrap(), 0);
    assert!(inbox.active("en", later, 10).unwrap().is_empty());
}

#[test]
fn an_expired_key_cannot_sign_a_backdated_alert() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Inbox::open(dir.path(), &FileKeyStore::new(dir.path())).unwrap();
    let net = Net::new();
    let mut profile = net.profile(1);
    profile.dispatcher_keys[0].valid_from = now() - Duration::days(20);
    profile.dispatcher_keys[0].valid_until = now() - Duration::days(10);
    inbox
        .install_network(
            &net.signed(&profile, &net.root),
            Some(&profile.fingerprint()),
        )
        .unwrap();
    let mut backdated = alert("backdated", Certainty::Likely);
    backdated.sent = now() - Duration::days(15);
    backdated.expires = now() + Duration::days(5);
    assert_eq!(
        rejected(
            inbox
                .ingest(&sign_alert(&backdated, &[&net.d1]).unwrap(), now())
                .unwrap()
        ),
        Rejection::KeyOutsideValidity
    );
}

#[test]
fn a_lost_inbox_key_is_reported_not_papered_over() {
    let (dir, inbox, _net) = setup();
    inbox.add_place("home", 41.8, -87.6, 200.0).unwrap();
    drop(inbox);
    std::fs::remove_file(dir.path().join("inbox.keys")).unwrap();
    assert!(matches!(
        Inbox::open(dir.path(), &FileKeyStore::new(dir.path())),
        Err(Error::KeyMismatch { .. })
    ));
}
