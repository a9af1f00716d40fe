//! The builders organizers' tools use at run time (`silbato network create`, `silbato alert new`):
//! what they fill in, and that nothing leaves them without meeting the document's rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, TimeZone, Utc};
use silbato_proto::Error;
use silbato_proto::alert::{
    AlertDraft, AlertText, Category, Certainty, MsgType, Severity, Urgency,
};
use silbato_proto::error::{AlertError, ProfileError};
use silbato_proto::geo::{Circle, Point};
use silbato_proto::network::{MAX_DISPATCHER_DAYS, ProfileDraft};
use silbato_testkit::signing_key;

const CLASSES: (Category, Severity, Urgency, Certainty) = (
    Category::Raid,
    Severity::Severe,
    Urgency::Immediate,
    Certainty::Observed,
);

#[test]
fn a_profile_draft_fills_in_the_rules_and_validates() {
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    let profile = ProfileDraft::new(
        "chi",
        "Chicago",
        1,
        "https://hub.example.org",
        now.date_naive(),
    )
    .region("us-il-chi", "Chicago")
    .root_key(signing_key("root").public_key())
    .dispatcher(signing_key("d1").public_key(), "Ana", None, now, 100_000)
    .unwrap()
    // The default policy needs two signatures for observed alerts: two dispatchers (issue 12).
    .dispatcher(signing_key("d2").public_key(), "Luis", None, now, 30)
    .unwrap()
    .hotline("Hotline", "+1 555 0100")
    .build()
    .unwrap();
    assert_eq!(profile.format, 1);
    assert_eq!(profile.regions[0].code, "US-IL-CHI");
    let d = &profile.dispatcher_keys[0];
    assert_eq!(d.valid_from, now - Duration::hours(1));
    assert_eq!(
        d.valid_until,
        now + Duration::days(MAX_DISPATCHER_DAYS),
        "clamped"
    );

    // No root key: refused before anyone signs it.
    let rootless = ProfileDraft::new(
        "chi",
        "Chicago",
        1,
        "https://hub.example.org",
        now.date_naive(),
    )
    .build();
    assert!(matches!(
        rootless,
        Err(Error::Profile(ProfileError::RootKeys))
    ));
    let plain_http = ProfileDraft::new(
        "chi",
        "Chicago",
        1,
        "http://hub.example.org",
        now.date_naive(),
    )
    .root_key(signing_key("root").public_key())
    .build();
    assert!(matches!(
        plain_http,
        Err(Error::Profile(ProfileError::HubUrl))
    ));
}

#[test]
fn an_alert_draft_gets_a_random_id_and_validates() {
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    let draft = || {
        AlertDraft::new("chi", MsgType::Alert, CLASSES, now, Duration::hours(2))
            .unwrap()
            .text(
                "en",
                AlertText {
                    headline: "Checkpoint on 47th".into(),
                    description: None,
                    instruction: None,
                },
            )
            .circle(Circle {
                center: Point {
                    lat: 41.81,
                    lon: -87.66,
                },
                radius_m: 500.0,
            })
            .region("us-il-chi")
    };
    let a = draft().build().unwrap();
    let b = draft().build().unwrap();
    assert!(a.id.starts_with("a-") && a.id.len() == 34, "{}", a.id);
    assert_ne!(a.id, b.id);
    assert_eq!((a.sent, a.expires), (now, now + Duration::hours(2)));
    assert_eq!(a.area.regions, vec!["US-IL-CHI".to_owned()]);
    assert_eq!(draft().id("a-fixed").build().unwrap().id, "a-fixed");

    // An update must say what it replaces; an expiry out of range is refused up front.
    let update = AlertDraft::new("chi", MsgType::Update, CLASSES, now, Duration::hours(1))
        .unwrap()
        .text(
            "en",
            AlertText {
                headline: "Moved".into(),
                description: None,
                instruction: None,
            },
        )
        .region("US-IL-CHI")
        .build();
    assert!(matches!(
        update,
        Err(Error::Alert(AlertError::MissingReference))
    ));
    assert!(matches!(
        AlertDraft::new("chi", MsgType::Alert, CLASSES, now, Duration::MAX),
        Err(Error::Alert(AlertError::Expiry))
    ));
}
