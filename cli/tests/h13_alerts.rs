//! Issue 13 item 5 through the real `silbato` binary: an alert written in three languages, each
//! with headline, description and instruction, read back in the reader's language and carried
//! through CAP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{Org, silbato};

/// Network `chi`'s signed profile with one dispatcher (`chi-d1.key`) and a policy of one
/// signature; returns its fingerprint.
fn chi(o: &Org) -> String {
    o.network(
        "chi",
        1,
        Some("observed=1,likely=1,possible=1,unverified=1"),
    )
}

/// `alert new` in English with Spanish and Vietnamese translations, each complete.
fn three_language_alert(o: &Org, out: &str, extra: &[&str]) -> common::Run {
    let out = o.path(out);
    let key = o.path("chi-d1.key");
    let mut args = vec![
        "alert",
        "new",
        "--network",
        "chi",
        "--id",
        "raid-1",
        "--certainty",
        "observed",
        "--lang",
        "en",
        "--headline",
        "ICE vans at 47th and Ashland",
        "--description",
        "Two unmarked vans.",
        "--instruction",
        "Avoid the area. Do not open your door.",
        "--translation",
        "es=Camionetas de ICE en la 47 y Ashland",
        "--translation-description",
        "es=Dos camionetas sin placas.",
        "--translation-instruction",
        "es=Evite la zona. No abra la puerta.",
        "--translation",
        "vi=Xe của ICE ở đường 47 và Ashland",
        "--translation-description",
        "vi=Hai xe không biển số.",
        "--translation-instruction",
        "vi=Tránh khu vực. Đừng mở cửa.",
        "--region",
        "US-IL-CHI",
        "--sign",
        &key,
        "--out",
        &out,
    ];
    args.extend_from_slice(extra);
    silbato(&o.org, &args)
}

#[test]
fn h13_05_alert_new_per_language_text_is_shown_in_spanish() {
    let o = Org::new();
    let fp = chi(&o);
    let run = three_language_alert(&o, "raid.alert", &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());

    let device = o.root.join("device");
    o.install(&device, "chi", &fp);
    let ingest = silbato(&device, &["alerts", "ingest", &o.path("raid.alert")]);
    assert_eq!(ingest.code(), 0, "{}", ingest.stderr());

    let es = silbato(&device, &["alerts", "show", "raid-1", "--lang", "es"]);
    assert_eq!(es.code(), 0, "{}", es.stderr());
    let out = es.stdout();
    assert!(
        out.contains("Camionetas de ICE en la 47 y Ashland"),
        "{out}"
    );
    assert!(out.contains("Dos camionetas sin placas."), "{out}");
    assert!(out.contains("Evite la zona. No abra la puerta."), "{out}");
    assert!(!out.contains("Avoid the area"), "{out}");

    // A regional form reads its language; an unknown language reads the alert's own.
    let mx = silbato(
        &device,
        &["--json", "alerts", "show", "raid-1", "--lang", "es-MX"],
    )
    .json();
    assert_eq!(mx["lang"], "es");
    assert_eq!(mx["instruction"], "Evite la zona. No abra la puerta.");
    let vi = silbato(
        &device,
        &["--json", "alerts", "show", "raid-1", "--lang", "vi"],
    )
    .json();
    assert_eq!(vi["description"], "Hai xe không biển số.");
    assert_eq!(vi["instruction"], "Tránh khu vực. Đừng mở cửa.");
    let ar = silbato(
        &device,
        &["--json", "alerts", "show", "raid-1", "--lang", "ar"],
    )
    .json();
    assert_eq!(ar["lang"], "en");
    assert_eq!(ar["instruction"], "Avoid the area. Do not open your door.");
}

#[test]
fn h13_05_a_translation_with_only_a_headline_shows_the_originals_instruction() {
    let o = Org::new();
    let fp = chi(&o);
    let out = o.path("es-first.alert");
    let key = o.path("chi-d1.key");
    // Written in Spanish first: English has only a headline.
    let run = silbato(
        &o.org,
        &[
            "alert",
            "new",
            "--network",
            "chi",
            "--id",
            "raid-2",
            "--certainty",
            "observed",
            "--lang",
            "es",
            "--headline",
            "Agentes en la 18",
            "--description",
            "Seis agentes.",
            "--instruction",
            "No abra la puerta.",
            "--translation",
            "en=Agents on 18th St",
            "--region",
            "US-IL-CHI",
            "--sign",
            &key,
            "--out",
            &out,
        ],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let device = o.root.join("device");
    o.install(&device, "chi", &fp);
    assert_eq!(silbato(&device, &["alerts", "ingest", &out]).code(), 0);
    let en = silbato(
        &device,
        &["--json", "alerts", "show", "raid-2", "--lang", "en"],
    )
    .json();
    assert_eq!(en["headline"], "Agents on 18th St");
    assert_eq!(en["instruction"], "No abra la puerta.");
    // Another language falls back to the alert's own (Spanish), not to English.
    let zh = silbato(
        &device,
        &["--json", "alerts", "show", "raid-2", "--lang", "zh"],
    )
    .json();
    assert_eq!(zh["headline"], "Agentes en la 18");
}

#[test]
fn h13_05_per_language_flags_refuse_what_they_would_drop() {
    let o = Org::new();
    chi(&o);
    // A description for a language with no headline.
    let run = three_language_alert(
        &o,
        "a.alert",
        &["--translation-description", "ht=De kamyonèt."],
    );
    assert_ne!(run.code(), 0);
    assert!(
        run.stderr().contains("--translation-description"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("kamyonèt"), "{}", run.stderr());
    // The same language twice.
    let run = three_language_alert(&o, "b.alert", &["--translation", "es=Otra"]);
    assert_ne!(run.code(), 0);
    assert!(run.stderr().contains("twice"), "{}", run.stderr());
    assert!(!Path::new(&o.path("b.alert")).exists());
}

#[test]
fn h13_05_to_cap_writes_one_info_per_language_and_from_cap_keeps_them() {
    let o = Org::new();
    chi(&o);
    let run = three_language_alert(&o, "raid.alert", &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let cap = silbato(&o.org, &["alert", "to-cap", &o.path("raid.alert")]);
    assert_eq!(cap.code(), 0, "{}", cap.stderr());
    let xml = cap.stdout();
    assert_eq!(xml.matches("<info>").count(), 3, "{xml}");
    assert_eq!(xml.matches("<instruction>").count(), 3, "{xml}");
    assert_eq!(xml.matches("<description>").count(), 3, "{xml}");
    // The alert's own language first.
    let en = xml.find("<language>en</language>").unwrap();
    assert!(xml.find("<language>es</language>").unwrap() > en);
    assert!(xml.find("<language>vi</language>").unwrap() > en);
    assert!(xml.contains("Evite la zona. No abra la puerta."));

    let cap_file = o.root.join("raid.xml");
    std::fs::write(&cap_file, &xml).unwrap();
    let back = silbato(
        &o.org,
        &[
            "--json",
            "alert",
            "from-cap",
            cap_file.to_str().unwrap(),
            "--network",
            "chi",
        ],
    );
    assert_eq!(back.code(), 0, "{}", back.stderr());
    let alert = back.json();
    assert_eq!(alert["lang"], "en");
    assert_eq!(alert["info"].as_object().unwrap().len(), 3);
    assert_eq!(
        alert["info"]["vi"]["instruction"],
        "Tránh khu vực. Đừng mở cửa."
    );
    assert_eq!(
        alert["info"]["es"]["description"],
        "Dos camionetas sin placas."
    );
}
