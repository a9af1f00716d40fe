//! Issue 13 item 5: an alert carries headline, description and instruction per language, keeps
//! its own language, reads alerts signed before that existed, and keeps every language through
//! JSON and CAP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use silbato_proto::Error;
use silbato_proto::alert::{
    ALERT_KIND, Alert, AlertDraft, AlertText, Category, Certainty, MsgType, Severity, Urgency,
    verify_alert_envelope,
};
use silbato_proto::cap::{from_cap, to_cap};
use silbato_proto::envelope;
use silbato_proto::error::AlertError;
use silbato_testkit::TestNetwork;

fn text(h: &str, d: Option<&str>, i: Option<&str>) -> AlertText {
    AlertText {
        headline: h.to_owned(),
        description: d.map(str::to_owned),
        instruction: i.map(str::to_owned),
    }
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap()
}

/// English first, then Spanish and Vietnamese, each complete.
fn three_languages(now: DateTime<Utc>) -> Alert {
    AlertDraft::new(
        "chi",
        MsgType::Alert,
        (
            Category::Raid,
            Severity::Severe,
            Urgency::Immediate,
            Certainty::Observed,
        ),
        whole_seconds(now),
        Duration::hours(2),
    )
    .unwrap()
    .id("raid-1")
    .text(
        "en",
        text(
            "ICE vans at 47th and Ashland",
            Some("Two unmarked vans."),
            Some("Avoid the area. Do not open your door."),
        ),
    )
    .text(
        "vi",
        text(
            "Xe của ICE ở đường 47",
            Some("Hai xe không biển số."),
            Some("Tránh khu vực. Đừng mở cửa."),
        ),
    )
    .text(
        "es",
        text(
            "Camionetas de ICE en la 47",
            Some("Dos camionetas sin placas."),
            Some("Evite la zona. No abra la puerta."),
        ),
    )
    .region("us-il-chi")
    .build()
    .unwrap()
}

#[test]
fn h13_05_an_old_format_signed_alert_still_verifies_and_displays() {
    let net = TestNetwork::builder().build();
    let now = net.now;
    let time = |t: DateTime<Utc>| serde_json::to_string(&t).unwrap().replace('"', "");
    let sent = time(now - Duration::minutes(1));
    let expires = time(now + Duration::hours(1));
    // The payload exactly as the format was before `lang`: a Spanish translation with a headline
    // only, and the fields in the order the old code wrote them.
    let payload = format!(
        r#"{{"format":1,"id":"old-1","network":"{}","msg_type":"alert","category":"raid","severity":"severe","urgency":"immediate","certainty":"observed","sent":"{sent}","expires":"{expires}","area":{{"regions":["US-IL-CHI"]}},"info":{{"en":{{"headline":"Agents on 18th","description":"Six agents.","instruction":"Do not open your door."}},"es":{{"headline":"Agentes en la 18"}}}}}}"#,
        net.id()
    );
    let bytes = envelope::seal(ALERT_KIND, payload.as_bytes(), &net.dispatcher_signers(2)).unwrap();
    let verified = verify_alert_envelope(std::slice::from_ref(&net.profile), &bytes, now).unwrap();
    assert_eq!(verified.payload, payload.as_bytes());
    let alert = verified.alert;
    assert_eq!(alert.lang, None);
    assert_eq!(alert.own_lang(), Some("en"));
    // Serialising it again gives the same bytes: nothing new appears in an old alert.
    assert_eq!(serde_json::to_string(&alert).unwrap(), payload);
    // The Spanish reader gets the Spanish headline and the English description and instruction.
    let (lang, es) = alert.localized("es").unwrap();
    assert_eq!(lang, "es");
    assert_eq!(es.headline, "Agentes en la 18");
    assert_eq!(es.description.as_deref(), Some("Six agents."));
    assert_eq!(es.instruction.as_deref(), Some("Do not open your door."));
    assert_eq!(alert.localized("es-MX").unwrap().1, es);
    assert_eq!(alert.localized("es_US.UTF-8").unwrap().1, es);
}

#[test]
fn h13_05_the_readers_language_then_the_alerts_own_field_by_field() {
    let now = Utc::now();
    let mut alert = three_languages(now);
    assert_eq!(alert.lang.as_deref(), Some("en"));
    let (l, es) = alert.localized("es").unwrap();
    assert_eq!(
        (l, es.instruction.as_deref()),
        ("es", Some("Evite la zona. No abra la puerta."))
    );
    // A language the alert lacks reads its own language.
    assert_eq!(alert.localized("ar").unwrap().0, "en");
    // Written in Spanish first: a missing language reads Spanish, not English.
    alert.lang = Some("es".into());
    assert_eq!(alert.localized("zh-Hant-TW").unwrap().0, "es");
    // A translation with a headline only takes the other fields from the alert's own language.
    alert.info.get_mut("vi").unwrap().instruction = None;
    let (l, vi) = alert.localized("vi").unwrap();
    assert_eq!(l, "vi");
    assert_eq!(vi.description.as_deref(), Some("Hai xe không biển số."));
    assert_eq!(
        vi.instruction.as_deref(),
        Some("Evite la zona. No abra la puerta.")
    );
}

fn alert_reason(r: silbato_proto::Result<()>) -> AlertError {
    match r {
        Err(Error::Alert(e)) => e,
        other => panic!("expected an alert rule, got {other:?}"),
    }
}

#[test]
fn h13_05_translations_are_validated() {
    let now = Utc::now();
    let good = three_languages(now);
    good.validate().unwrap();

    let mut a = good.clone();
    a.lang = Some("fr".into());
    assert!(matches!(alert_reason(a.validate()), AlertError::Language));

    let mut a = good.clone();
    a.info.insert("es-MX".into(), text("x", None, None));
    assert!(matches!(alert_reason(a.validate()), AlertError::Language));

    let mut a = good.clone();
    a.info.get_mut("es").unwrap().instruction = Some("x".repeat(1001));
    assert!(matches!(
        alert_reason(a.validate()),
        AlertError::TextTooLong
    ));

    let mut a = good.clone();
    a.info.get_mut("vi").unwrap().description = Some("bad \u{7}".into());
    assert!(matches!(
        alert_reason(a.validate()),
        AlertError::TextTooLong
    ));

    let mut a = good.clone();
    a.info.get_mut("vi").unwrap().headline = " ".into();
    assert!(matches!(alert_reason(a.validate()), AlertError::Headline));

    let mut a = good;
    for i in 0..16 {
        a.info
            .insert(format!("x{}", (b'a' + i) as char), text("h", None, None));
    }
    assert!(matches!(alert_reason(a.validate()), AlertError::Languages));
}

#[test]
fn h13_05_a_payload_naming_a_language_twice_is_refused() {
    let alert = three_languages(Utc::now());
    let json = serde_json::to_string(&alert).unwrap();
    let twice = json.replacen(r#""vi":{"#, r#""es":{"headline":"Otra cosa"},"vi":{"#, 1);
    assert_ne!(json, twice);
    assert!(serde_json::from_str::<Alert>(&twice).is_err());
    assert_eq!(serde_json::from_str::<Alert>(&json).unwrap(), alert);
}

#[test]
fn h13_05_three_languages_round_trip_through_cap() {
    let alert = three_languages(Utc::now());
    let xml = to_cap(&alert, "chi").unwrap();
    assert_eq!(xml.matches("<info>").count(), 3);
    assert_eq!(xml.matches("<description>").count(), 3);
    assert_eq!(xml.matches("<instruction>").count(), 3);
    let first = xml.find("<language>").unwrap();
    assert!(xml[first..].starts_with("<language>en</language>"));
    assert_eq!(from_cap(&xml, "chi").unwrap(), alert);

    // Its own language first, whatever its code: Vietnamese as the original.
    let mut vi_first = alert.clone();
    vi_first.lang = Some("vi".into());
    let xml = to_cap(&vi_first, "chi").unwrap();
    let first = xml.find("<language>").unwrap();
    assert!(xml[first..].starts_with("<language>vi</language>"));
    assert_eq!(from_cap(&xml, "chi").unwrap(), vi_first);
}

fn lang_code() -> impl Strategy<Value = String> {
    "[a-z]{2,3}"
}

fn field() -> impl Strategy<Value = String> {
    // Text CAP keeps as is: no surrounding whitespace, no tabs or control characters.
    "[A-Za-zÀ-ÿ0-9<>&\"'.,;!?][A-Za-zÀ-ÿ0-9<>&\"'.,;!? ]{0,30}[A-Za-zÀ-ÿ0-9.!?]"
}

fn alert_text() -> impl Strategy<Value = AlertText> {
    (
        field(),
        proptest::option::of(field()),
        proptest::option::of(field()),
    )
        .prop_map(|(headline, description, instruction)| AlertText {
            headline,
            description,
            instruction,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn h13_05_any_translations_round_trip_through_json_and_cap(
        info in proptest::collection::btree_map(lang_code(), alert_text(), 1..6),
        own in any::<proptest::sample::Index>(),
    ) {
        let mut alert = three_languages(Utc::now());
        let keys: Vec<String> = info.keys().cloned().collect();
        alert.lang = Some(keys[own.index(keys.len())].clone());
        alert.info = info.clone();
        alert.validate().unwrap();
        let json = serde_json::to_vec(&alert).unwrap();
        prop_assert_eq!(&serde_json::from_slice::<Alert>(&json).unwrap(), &alert);
        let back = from_cap(&to_cap(&alert, "chi").unwrap(), "chi").unwrap();
        prop_assert_eq!(&back, &alert);
        let info_back: BTreeMap<String, AlertText> = back.info;
        prop_assert_eq!(info_back, info);
    }
}
