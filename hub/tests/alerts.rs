//! Alerts: posting (new, duplicate, conflict), every way an envelope is rejected, and paging
//! with cursors and region filters.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Duration, Utc};
use common::{Fixture, alert, client, error_code};
use reqwest::StatusCode;
use silbato_core::envelope;
use silbato_core::inbox::alert::{ALERT_KIND, Certainty, Severity, sign_alert};
use silbato_core::protocol::{AlertPosted, AlertsPage, unb64};

fn post(base: &str, body: Vec<u8>) -> reqwest::blocking::Response {
    client()
        .post(format!("{base}/v1/alerts"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .unwrap()
}

fn page(base: &str, query: &str) -> AlertsPage {
    let resp = client()
        .get(format!("{base}/v1/alerts{query}"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    resp.json().unwrap()
}

fn ids(p: &AlertsPage) -> Vec<String> {
    p.alerts
        .iter()
        .map(|b| {
            let env = envelope::Envelope::parse(
                &unb64(b).unwrap(),
                silbato_core::DocKind::Envelope,
                ALERT_KIND,
                1 << 20,
            )
            .unwrap();
            let a: silbato_core::inbox::alert::Alert =
                serde_json::from_slice(&env.payload).unwrap();
            a.id
        })
        .collect()
}

#[test]
fn posted_duplicate_and_conflict() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();
    let signed = f.net.sign(&alert("a1", &["US-IL-CHI"]));

    let resp = post(&base, signed.clone());
    assert_eq!(resp.status(), StatusCode::CREATED);
    let posted: AlertPosted = resp.json().unwrap();
    assert_eq!(
        posted,
        AlertPosted {
            id: "a1".into(),
            duplicate: false,
            fanout: 0
        }
    );

    let resp = post(&base, signed.clone());
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.json::<AlertPosted>().unwrap().duplicate);

    // The same payload with its signatures in another order is the same alert.
    let reordered = sign_alert(
        &serde_json::from_slice(
            &envelope::Envelope::parse(
                &signed,
                silbato_core::DocKind::Envelope,
                ALERT_KIND,
                1 << 20,
            )
            .unwrap()
            .payload,
        )
        .unwrap(),
        &[&f.net.d2, &f.net.d1],
    )
    .unwrap();
    assert_eq!(post(&base, reordered).status(), StatusCode::OK);

    let mut changed = alert("a1", &["US-IL-CHI"]);
    changed.severity = Severity::Minor;
    let (status, code) = error_code(post(&base, f.net.sign(&changed)));
    assert_eq!((status, code.as_str()), (409, "conflict"));

    // Exactly the posted bytes come back.
    let p = page(&base, "");
    assert_eq!(p.alerts.len(), 1);
    assert_eq!(unb64(&p.alerts[0]).unwrap(), signed);
    hub.shutdown();
}

#[test]
fn every_kind_of_bad_envelope_is_rejected() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();
    let net = &f.net;
    let now = Utc::now();

    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"{not json".to_vec()),
        ("empty", Vec::new()),
        (
            "not an alert",
            envelope::seal(ALERT_KIND, b"{\"hello\":1}", &[&net.d1]).unwrap(),
        ),
        ("another kind of document", net.signed_profile(1)),
        (
            "unknown key",
            sign_alert(&alert("x1", &[]), &[&net.stranger]).unwrap(),
        ),
    ];
    let mut flipped = net.sign(&alert("x2", &[]));
    let i = flipped.len() / 3;
    flipped[i] ^= 0x01;
    cases.push(("a flipped bit", flipped));
    // The signature of d1 over another payload, pasted onto this one.
    let good: serde_json::Value = serde_json::from_slice(&net.sign(&alert("x3", &[]))).unwrap();
    let other: serde_json::Value = serde_json::from_slice(&net.sign(&alert("x3b", &[]))).unwrap();
    let mut spliced = good.clone();
    spliced["signatures"] = other["signatures"].clone();
    cases.push(("spliced signatures", serde_json::to_vec(&spliced).unwrap()));
    cases.push((
        "one signature for an observed alert",
        sign_alert(&alert("x4", &[]), &[&net.d1]).unwrap(),
    ));
    let mut elsewhere = alert("x5", &[]);
    elsewhere.network = "nyc".into();
    cases.push(("another network", net.sign(&elsewhere)));
    let mut expired = alert("x6", &[]);
    expired.sent = now - Duration::hours(5);
    expired.expires = now - Duration::hours(1);
    cases.push(("expired", net.sign(&expired)));
    let mut future = alert("x7", &[]);
    future.sent = now + Duration::minutes(30);
    future.expires = now + Duration::hours(3);
    cases.push(("from the future", net.sign(&future)));
    let mut likely = alert("x8", &[]);
    likely.certainty = Certainty::Likely;
    cases.push((
        "a retired dispatcher key",
        sign_alert(&likely, &[&net.retired]).unwrap(),
    ));
    cases.push((
        "too large",
        envelope::seal(ALERT_KIND, &vec![b' '; 17 * 1024], &[&net.d1]).unwrap(),
    ));

    for (what, body) in cases {
        let resp = post(&base, body);
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let err: silbato_core::protocol::ErrorBody = resp.json().unwrap();
        assert_eq!(err.error, "rejected", "{what}");
        assert!(!err.retryable, "{what}");
        assert!(
            err.message.starts_with("alert refused: "),
            "{what}: {}",
            err.message
        );
    }
    assert!(page(&base, "").alerts.is_empty(), "nothing was stored");
    // A likely alert needs one current dispatcher: accepted.
    let mut ok = alert("x9", &[]);
    ok.certainty = Certainty::Likely;
    assert_eq!(
        post(&base, sign_alert(&ok, &[&net.d2]).unwrap()).status(),
        StatusCode::CREATED
    );
    hub.shutdown();
}

#[test]
fn paging_with_cursors_and_regions() {
    let f = Fixture::new();
    // Alerts must lie within the network's regions (issue 12 item 20): this network covers all of
    // Illinois and California too.
    f.with_regions(&[("US-IL", "Illinois"), ("US-CA", "California")]);
    let hub = f.start();
    let base = hub.url();
    // 1: Chicago; 2: Evanston; 3: no region (everyone); 4: all of Illinois; 5: California;
    // 6: expired soon (still served); then 7..=12 Chicago.
    let plan: Vec<(&str, Vec<&str>)> = vec![
        ("c1", vec!["US-IL-CHI"]),
        ("e1", vec!["US-IL-EVN"]),
        ("all", vec![]),
        ("il", vec!["US-IL"]),
        ("ca", vec!["US-CA"]),
        ("both", vec!["US-CA", "US-IL-EVN"]),
    ];
    for (id, regions) in &plan {
        assert_eq!(post(&base, f.net.sign(&alert(id, regions))).status(), 201);
    }
    for i in 2..=7 {
        let id = format!("c{i}");
        assert_eq!(
            post(&base, f.net.sign(&alert(&id, &["US-IL-CHI"]))).status(),
            201
        );
    }

    let everything = page(&base, "?limit=500");
    assert_eq!(everything.alerts.len(), 12);
    assert!(!everything.more);

    // Chicago: its own, the region-less one, and all of Illinois (which contains it).
    let chi = page(&base, "?region=US-IL-CHI");
    assert_eq!(
        ids(&chi),
        ["c1", "all", "il", "c2", "c3", "c4", "c5", "c6", "c7"]
    );
    // Following all of Illinois sees Chicago and Evanston too, but not California.
    let il = page(&base, "?region=US-IL");
    assert_eq!(il.alerts.len(), 11);
    assert!(!ids(&il).contains(&"ca".to_owned()));
    // Two regions at once.
    let two = page(&base, "?region=US-IL-EVN&region=US-CA");
    assert_eq!(ids(&two), ["e1", "all", "il", "ca", "both"]);

    // Paging Chicago three at a time, following the cursor.
    let mut seen = Vec::new();
    let mut cursor = "0".to_owned();
    let mut pages = 0;
    loop {
        let p = page(&base, &format!("?region=US-IL-CHI&after={cursor}&limit=3"));
        pages += 1;
        seen.extend(ids(&p));
        cursor = p.next.clone();
        if !p.more {
            break;
        }
        assert_eq!(p.alerts.len(), 3);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids(&chi));
    // Nothing new: an empty page that keeps the cursor.
    let after = page(&base, &format!("?region=US-IL-CHI&after={cursor}"));
    assert!(after.alerts.is_empty() && !after.more);
    assert_eq!(after.next, cursor);
    // A new alert shows up after the cursor.
    assert_eq!(
        post(&base, f.net.sign(&alert("c8", &["US-IL-CHI"]))).status(),
        201
    );
    assert_eq!(
        ids(&page(&base, &format!("?region=US-IL-CHI&after={cursor}"))),
        ["c8"]
    );
    // A quiet region's cursor moves past what it scanned.
    let quiet = page(&base, "?region=US-NY");
    assert_eq!(ids(&quiet), ["all"]);
    assert_eq!(
        quiet.next,
        everything
            .next
            .parse::<u64>()
            .map(|n| (n + 1).to_string())
            .unwrap()
    );

    // Bad queries.
    let c = client();
    for q in [
        "?after=abc",
        "?after=-1",
        "?limit=0",
        "?limit=x",
        "?region=us-il",
        "?region=",
        "?region=US--IL",
    ] {
        let (status, code) = error_code(c.get(format!("{base}/v1/alerts{q}")).send().unwrap());
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{q}");
    }
    hub.shutdown();
}

#[test]
fn expired_alerts_are_not_served() {
    let f = Fixture::new();
    let hub = f.start();
    let base = hub.url();
    let mut short = alert("short", &["US-IL-CHI"]);
    short.expires = Utc::now() + Duration::seconds(2);
    assert_eq!(post(&base, f.net.sign(&short)).status(), 201);
    assert_eq!(
        post(&base, f.net.sign(&alert("long", &["US-IL-CHI"]))).status(),
        201
    );
    assert_eq!(ids(&page(&base, "")), ["short", "long"]);
    std::thread::sleep(std::time::Duration::from_millis(3100));
    assert_eq!(ids(&page(&base, "")), ["long"]);
    hub.shutdown();
}
