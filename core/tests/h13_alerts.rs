//! Issue 13 item 5 on the device: an alert is shown in the reader's language, each field a
//! translation lacks from the alert's own language, and the notification text follows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use silbato_core::inbox::{Inbox, IngestOutcome};
use silbato_core::keys::FileKeyStore;
use silbato_testkit::{NetworkBuilder, TestNetwork};

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn network() -> TestNetwork {
    NetworkBuilder::new("chi")
        .seed("h13")
        .now(now())
        .dispatchers(2)
        .without_seal_keys()
        .build()
}

fn open(dir: &Path, net: &TestNetwork) -> Inbox {
    let inbox = Inbox::open(dir, &FileKeyStore::new(dir)).unwrap();
    inbox
        .install_network(&net.envelope, Some(&net.fingerprint()))
        .unwrap();
    inbox
}

fn ingest(inbox: &Inbox, bytes: &[u8]) {
    let o = inbox.ingest(bytes, now()).unwrap();
    assert!(matches!(o, IngestOutcome::Accepted { .. }), "{o:?}");
}

/// Written in Spanish (its own language) with an English translation that has only a headline,
/// and a Vietnamese one that is complete.
fn spanish_first(net: &TestNetwork) -> Vec<u8> {
    net.alert("raid-es")
        .now(now())
        .sent_ago(Duration::minutes(1))
        .expires_in(Duration::hours(2))
        .clear_texts()
        .text("es", "Agentes en la 18")
        .description("es", Some("Seis agentes con chalecos."))
        .instruction("es", Some("Evite la zona. No abra la puerta."))
        .text("en", "Agents on 18th St")
        .text("vi", "Đặc vụ ở đường 18")
        .description("vi", Some("Sáu đặc vụ."))
        .instruction("vi", Some("Đừng mở cửa."))
        .own_lang(Some("es"))
        .sign(&net.dispatcher_signers(2))
        .unwrap()
}

#[test]
fn h13_05_display_picks_the_readers_language_and_falls_back_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let net = network();
    let inbox = open(dir.path(), &net);
    ingest(&inbox, &spanish_first(&net));

    let es = inbox.alert("raid-es", "es-MX", now()).unwrap();
    assert_eq!(es.lang, "es");
    assert_eq!(
        es.instruction.as_deref(),
        Some("Evite la zona. No abra la puerta.")
    );

    let vi = inbox.alert("raid-es", "vi", now()).unwrap();
    assert_eq!(vi.headline, "Đặc vụ ở đường 18");
    assert_eq!(vi.description.as_deref(), Some("Sáu đặc vụ."));
    assert_eq!(vi.instruction.as_deref(), Some("Đừng mở cửa."));

    // English has a headline only: the description and instruction come from Spanish, rather
    // than the reader seeing nothing to do.
    let en = inbox.alert("raid-es", "en", now()).unwrap();
    assert_eq!(en.headline, "Agents on 18th St");
    assert_eq!(
        en.description.as_deref(),
        Some("Seis agentes con chalecos.")
    );
    assert_eq!(
        en.instruction.as_deref(),
        Some("Evite la zona. No abra la puerta.")
    );

    // A language the alert lacks reads its own (Spanish), not English; lists follow suit.
    let zh = inbox.alert("raid-es", "zh-Hant-TW", now()).unwrap();
    assert_eq!(
        (zh.lang.as_str(), zh.headline.as_str()),
        ("es", "Agentes en la 18")
    );
    let listed = inbox.active("zh", now(), 10).unwrap();
    assert_eq!(listed[0].headline, "Agentes en la 18");
}

#[test]
fn h13_05_an_alert_without_its_own_language_reads_english_then_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let net = network();
    let inbox = open(dir.path(), &net);
    // The testkit's default alert: English with a description, Spanish with a headline only,
    // no `lang` (as signed before it existed).
    let old = net
        .alert("old")
        .now(now())
        .sent_ago(Duration::minutes(1))
        .expires_in(Duration::hours(2))
        .instruction("en", Some("Do not open your door."));
    assert_eq!(old.build().lang, None);
    ingest(&inbox, &old.sign(&net.dispatcher_signers(2)).unwrap());
    let es = inbox.alert("old", "es_US.UTF-8", now()).unwrap();
    assert_eq!(es.headline, silbato_testkit::alert::DEFAULT_HEADLINE_ES);
    assert_eq!(es.description.as_deref(), Some("Two vans"));
    assert_eq!(es.instruction.as_deref(), Some("Do not open your door."));
    assert_eq!(inbox.alert("old", "ar", now()).unwrap().lang, "en");
}

#[test]
fn h13_05_notification_text_is_in_the_readers_language() {
    let dir = tempfile::tempdir().unwrap();
    let net = network();
    let inbox = open(dir.path(), &net);
    ingest(&inbox, &spanish_first(&net));
    // Generic (the default): a regional tag reads its language.
    let generic = inbox.notification("raid-es", "es-MX", now()).unwrap();
    assert!(generic.body.starts_with("Nueva alerta"), "{generic:?}");
    // With headlines on: the reader's headline, else the alert's own.
    inbox.set_headline_in_notifications(true).unwrap();
    assert_eq!(
        inbox.notification("raid-es", "vi", now()).unwrap().body,
        "Đặc vụ ở đường 18"
    );
    assert_eq!(
        inbox.notification("raid-es", "en-US", now()).unwrap().body,
        "Agents on 18th St"
    );
    assert_eq!(
        inbox.notification("raid-es", "ht", now()).unwrap().body,
        "Agentes en la 18"
    );
}
