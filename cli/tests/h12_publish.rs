//! Issue 12, item 22: `silbato alert publish` prints the hub's reason — its stable code and a
//! fixed message (expired, wrong network, not enough signatures, outside the regions) — against a
//! real `silbato-hub` on loopback, instead of a generic failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Utc;
use common::{silbato, start_hub};
use silbato_core::inbox::alert::sign_alert;
use silbato_testkit::{AlertBuilder, TestNetwork};

#[test]
fn h12_22_alert_publish_prints_the_hubs_reason() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNetwork::builder()
        .now(Utc::now())
        .hub_url("http://127.0.0.1:9")
        .build();
    let (_hub, url) = start_hub(dir.path(), &net, "[push]\nwebpush = false\n");
    let d: Vec<_> = net.dispatchers.iter().map(|k| &k.signing).collect();
    let data = dir.path().join("device");

    let publish = |name: &str, envelope: Vec<u8>| {
        let file = dir.path().join(name);
        std::fs::write(&file, envelope).unwrap();
        silbato(
            &data,
            &["alert", "publish", file.to_str().unwrap(), "--hub", &url],
        )
    };
    let base = || {
        AlertBuilder::new("a-1")
            .now(Utc::now())
            .regions(&["US-IL-CHI"])
    };

    let expired = base()
        .id("expired-1")
        .sent_ago(chrono::Duration::hours(3))
        .expires_at(Utc::now() - chrono::Duration::hours(1))
        .build();
    let run = publish("expired.json", sign_alert(&expired, &d).unwrap());
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("[sync.alert_expired]"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("expired"), "{}", run.stderr());

    let run = publish(
        "one.json",
        sign_alert(&base().id("one-1").build(), &d[..1]).unwrap(),
    );
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("[sync.alert_signatures]"),
        "{}",
        run.stderr()
    );

    let la = base().id("la-1").regions(&["US-CA-LA"]).build();
    let run = publish("la.json", sign_alert(&la, &d).unwrap());
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("[sync.alert_outside_regions]"),
        "{}",
        run.stderr()
    );

    let other = base().id("other-1").network("nyc").build();
    let run = publish("other.json", sign_alert(&other, &d).unwrap());
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("[sync.alert_wrong_network]"),
        "{}",
        run.stderr()
    );

    let run = publish(
        "ok.json",
        sign_alert(&base().id("ok-1").build(), &d).unwrap(),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
}
