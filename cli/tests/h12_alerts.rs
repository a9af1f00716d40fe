//! Issue 12 through the real `silbato` binary: the dispatcher's tools (default expiry of an update
//! or cancel, distinct signers and the policy, profile rules before signing, the QR limit) and the
//! family's inbox commands (alerts of two networks with one id, withdrawn alerts, removing a
//! network).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Org, silbato};

fn expires_of(json: &serde_json::Value) -> DateTime<Utc> {
    json["expires"].as_str().unwrap().parse().unwrap()
}

// ---- 1 ----

#[test]
fn h12_01_an_updates_default_expiry_reaches_the_originals() {
    let o = Org::new();
    let fp = o.network("chi", 2, None);
    let (d1, d2) = (o.path("chi-d1.key"), o.path("chi-d2.key"));
    let sign = ["--sign", d1.as_str(), "--sign", d2.as_str()];
    let mut args = vec!["--certainty", "observed", "--id", "raid", "--expires", "3d"];
    args.extend_from_slice(&sign);
    let original = o.alert(&o.org, "chi", "raid.alert", &args);
    assert_eq!(original.code(), 0, "{}", original.stderr());

    // From the original's file: the cancel is served as long as the original.
    let mut args = vec![
        "--json",
        "--type",
        "cancel",
        "--category",
        "all-clear",
        "--certainty",
        "observed",
    ];
    let raid = o.path("raid.alert");
    args.extend_from_slice(&["--ref-file", &raid]);
    args.extend_from_slice(&sign);
    let cancel = o.alert(&o.org, "chi", "cxl.alert", &args);
    assert_eq!(cancel.code(), 0, "{}", cancel.stderr());
    let expires = expires_of(&cancel.json());
    assert!(expires > Utc::now() + Duration::days(3) - Duration::minutes(5));

    // From the inbox of the dispatcher's device, by id.
    let device = o.root.join("device");
    o.install(&device, "chi", &fp);
    let ingest = silbato(&device, &["alerts", "ingest", &raid]);
    assert_eq!(ingest.code(), 0, "{}", ingest.stderr());
    let mut args = vec![
        "--json",
        "--type",
        "update",
        "--ref",
        "raid",
        "--certainty",
        "observed",
    ];
    args.extend_from_slice(&sign);
    let update = o.alert(&device, "chi", "upd.alert", &args);
    assert_eq!(update.code(), 0, "{}", update.stderr());
    assert!(expires_of(&update.json()) > Utc::now() + Duration::days(3) - Duration::minutes(5));

    // A plain alert keeps the short default.
    let mut args = vec!["--json", "--certainty", "observed"];
    args.extend_from_slice(&sign);
    let plain = o.alert(&o.org, "chi", "plain.alert", &args);
    assert!(expires_of(&plain.json()) < Utc::now() + Duration::hours(3));
    let help = silbato(&o.org, &["alert", "new", "--help"]);
    assert!(help.stdout().contains("--ref-file"), "{}", help.stdout());
}

// ---- 2 ----

#[test]
fn h12_02_two_networks_one_alert_id_show_and_read_take_a_network() {
    let o = Org::new();
    let fp_chi = o.network("chi", 2, None);
    let fp_other = o.network("other", 1, Some("observed=1"));
    let fam = o.root.join("family");
    o.install(&fam, "chi", &fp_chi);
    o.install(&fam, "other", &fp_other);
    let d = |n: &str| o.path(n);
    let squat = o.alert(
        &o.org,
        "other",
        "squat.alert",
        &[
            "--id",
            "raid-1",
            "--certainty",
            "observed",
            "--sign",
            &d("other-d1.key"),
        ],
    );
    assert_eq!(squat.code(), 0, "{}", squat.stderr());
    let real = o.alert(
        &o.org,
        "chi",
        "real.alert",
        &[
            "--id",
            "raid-1",
            "--certainty",
            "observed",
            "--sign",
            &d("chi-d1.key"),
            "--sign",
            &d("chi-d2.key"),
        ],
    );
    assert_eq!(real.code(), 0, "{}", real.stderr());
    for f in ["squat.alert", "real.alert"] {
        let run = silbato(&fam, &["alerts", "ingest", &d(f)]);
        assert_eq!(run.code(), 0, "{f}: {}", run.stderr());
    }
    let list = silbato(&fam, &["--json", "alerts", "list"]).json();
    assert_eq!(list.as_array().unwrap().len(), 2);

    let show = silbato(&fam, &["alerts", "show", "raid-1"]);
    assert_eq!(show.code(), 1);
    assert!(
        show.stderr().contains("inbox.ambiguous_alert"),
        "{}",
        show.stderr()
    );
    assert!(show.stderr().contains("--network"), "{}", show.stderr());
    let show = silbato(
        &fam,
        &["--json", "alerts", "show", "raid-1", "--network", "chi"],
    );
    assert_eq!(show.code(), 0, "{}", show.stderr());
    assert_eq!(show.json()["network_id"], "chi");
    assert_eq!(silbato(&fam, &["alerts", "read", "raid-1"]).code(), 1);
    let read = silbato(&fam, &["alerts", "read", "raid-1", "--network", "chi"]);
    assert_eq!(read.code(), 0, "{}", read.stderr());
    let chi = silbato(
        &fam,
        &["--json", "alerts", "show", "raid-1", "--network", "chi"],
    )
    .json();
    let other = silbato(
        &fam,
        &["--json", "alerts", "show", "raid-1", "--network", "other"],
    )
    .json();
    assert_eq!(
        (chi["read"].as_bool(), other["read"].as_bool()),
        (Some(true), Some(false))
    );
}

// ---- 3 ----

#[test]
fn h12_03_a_profile_update_without_a_key_withdraws_its_alerts() {
    let o = Org::new();
    let fp = o.network("chi", 2, None);
    let fam = o.root.join("family");
    o.install(&fam, "chi", &fp);
    let d2 = o.path("chi-d2.key");
    let by_d2 = o.alert(
        &o.org,
        "chi",
        "likely.alert",
        &["--id", "by-d2", "--certainty", "likely", "--sign", &d2],
    );
    assert_eq!(by_d2.code(), 0, "{}", by_d2.stderr());
    assert_eq!(
        silbato(&fam, &["alerts", "ingest", &o.path("likely.alert")]).code(),
        0
    );

    // Version 2, same root: D2's key is replaced by a new dispatcher's.
    let d1 = silbato(&o.org, &["keys", "public", &o.path("chi-d1.key")])
        .stdout()
        .trim()
        .to_owned();
    let d3 = o.key("chi-d3.key");
    let root = silbato(&o.org, &["keys", "public", &o.path("chi-root.key")])
        .stdout()
        .trim()
        .to_owned();
    let v2 = o.path("chi-v2.profile");
    let create = silbato(
        &o.org,
        &[
            "network",
            "create",
            "--id",
            "chi",
            "--name",
            "Test RRN",
            "--hub",
            "https://hub.example.org",
            "--root-key",
            &root,
            "--region",
            "US-IL-CHI=Chicago",
            "--dispatcher-key",
            &format!("{d1}=D1"),
            "--dispatcher-key",
            &format!("{d3}=D3"),
            "--version",
            "2",
            "--out",
            &v2,
        ],
    );
    assert_eq!(create.code(), 0, "{}", create.stderr());
    o.sign_profile("chi", "chi-v2.profile");
    let update = silbato(&fam, &["network", "install", &v2]);
    assert_eq!(update.code(), 0, "{}", update.stderr());

    let active = silbato(&fam, &["--json", "alerts", "list"]).json();
    assert!(active.as_array().unwrap().is_empty(), "{active}");
    let all = silbato(&fam, &["--json", "alerts", "list", "--all"]).json();
    assert_eq!(all[0]["id"], "by-d2");
    assert_eq!(all[0]["status"], "withdrawn");
    let text = silbato(&fam, &["alerts", "list", "--all"]).stdout();
    assert!(text.contains("withdrawn"), "{text}");
}

// ---- 4 ----

#[test]
fn h12_04_network_remove_takes_its_alerts_with_it() {
    let o = Org::new();
    let fp = o.network("chi", 1, Some("observed=1"));
    let fam = o.root.join("family");
    o.install(&fam, "chi", &fp);
    let run = o.alert(
        &o.org,
        "chi",
        "a.alert",
        &["--certainty", "likely", "--sign", &o.path("chi-d1.key")],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        silbato(&fam, &["alerts", "ingest", &o.path("a.alert")]).code(),
        0
    );
    let removed = silbato(&fam, &["network", "remove", "chi"]);
    assert_eq!(removed.code(), 0, "{}", removed.stderr());
    let nets = silbato(&fam, &["--json", "network", "list"]).json();
    assert!(nets.as_array().unwrap().is_empty());
    let all = silbato(&fam, &["--json", "alerts", "list", "--all"]).json();
    assert!(all.as_array().unwrap().is_empty());
    let again = silbato(&fam, &["network", "remove", "chi"]);
    assert_eq!(again.code(), 1);
    assert!(
        again.stderr().contains("not_found.network"),
        "{}",
        again.stderr()
    );
}

// ---- 5 ----

#[test]
fn h12_05_network_tools_refuse_profiles_that_break_the_rules() {
    let o = Org::new();
    let d1 = format!("{}=Ana", o.key("d1.key"));
    let refused = |extra: &[&str], code: &str| {
        let run = o.create("chi", "refused.profile", extra);
        assert_eq!(run.code(), 1, "{code}: {}", run.stdout());
        assert!(run.stderr().contains(code), "{code}: {}", run.stderr());
        assert!(!o.root.join("refused.profile").exists());
    };
    // The default policy needs two signatures for observed alerts; one dispatcher cannot.
    refused(
        &["--dispatcher-key", &d1],
        "profile.policy_exceeds_dispatchers",
    );
    refused(
        &["--dispatcher-key", &d1, "--dispatcher-key", &d1],
        "profile.duplicate_dispatcher",
    );
    let (s1, s2) = (o.recipient("s1.key"), o.recipient("s2.key"));
    refused(
        &[
            "--dispatcher-key",
            &d1,
            "--policy",
            "observed=1",
            "--dispatcher-seal-key",
            &s1,
            "--dispatcher-seal-key",
            &s2,
        ],
        "profile.seal_key_without_dispatcher",
    );
    refused(
        &[
            "--dispatcher-key",
            &d1,
            "--policy",
            "observed=1",
            "--hub",
            "https://",
        ],
        "profile.hub_host",
    );

    // `network sign` checks the rules too, on a profile edited by hand.
    let ok = o.create(
        "chi",
        "ok.profile",
        &["--dispatcher-key", &d1, "--policy", "observed=1"],
    );
    assert_eq!(ok.code(), 0, "{}", ok.stderr());
    let file = o.root.join("ok.profile");
    let mut profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    profile["alert_policy"]["likely"] = 2.into();
    std::fs::write(&file, serde_json::to_vec(&profile).unwrap()).unwrap();
    let sign = silbato(
        &o.org,
        &[
            "network",
            "sign",
            &o.path("ok.profile"),
            "--key",
            &o.path("chi-root.key"),
        ],
    );
    assert_eq!(sign.code(), 1);
    assert!(
        sign.stderr().contains("profile.policy_exceeds_dispatchers"),
        "{}",
        sign.stderr()
    );
}

#[test]
fn h12_05_network_qr_refuses_what_one_code_cannot_hold() {
    let o = Org::new();
    let d1 = format!("{}=Ana", o.key("d1.key"));
    let regions: Vec<String> = (0..60)
        .map(|i| format!("US-IL-R{i}=Region number {i} of the big network"))
        .collect();
    let mut extra = vec!["--dispatcher-key", d1.as_str(), "--policy", "observed=1"];
    for r in &regions {
        extra.extend_from_slice(&["--region", r]);
    }
    let big = o.create("big", "big.profile", &extra);
    assert_eq!(big.code(), 0, "{}", big.stderr());
    o.sign_profile("big", "big.profile");
    let qr = silbato(&o.org, &["network", "qr", &o.path("big.profile")]);
    assert_eq!(qr.code(), 1, "{}", qr.stdout());
    assert!(
        qr.stderr().contains("profile.qr_too_long"),
        "{}",
        qr.stderr()
    );
    assert!(qr.stderr().contains("share the file"), "{}", qr.stderr());
    assert!(qr.stdout().is_empty());
    // A small one still prints.
    let small = o.create(
        "small",
        "small.profile",
        &["--dispatcher-key", &d1, "--policy", "observed=1"],
    );
    assert_eq!(small.code(), 0, "{}", small.stderr());
    o.sign_profile("small", "small.profile");
    let qr = silbato(&o.org, &["network", "qr", &o.path("small.profile")]);
    assert_eq!(qr.code(), 0, "{}", qr.stderr());
    assert!(qr.stdout().starts_with("SILBATO-NET1:"));
}

// ---- 6 ----

#[test]
fn h12_06_dispatcher_tools_count_distinct_signers_and_the_policy() {
    let o = Org::new();
    let fp = o.network("chi", 2, None);
    let (d1, d2) = (o.path("chi-d1.key"), o.path("chi-d2.key"));
    let profile = o.path("chi.profile");

    // The same key twice: refused, nothing written.
    let twice = o.alert(
        &o.org,
        "chi",
        "twice.alert",
        &["--certainty", "observed", "--sign", &d1, "--sign", &d1],
    );
    assert_eq!(twice.code(), 1);
    assert!(
        twice.stderr().contains("alert.duplicate_signer"),
        "{}",
        twice.stderr()
    );
    assert!(!o.root.join("twice.alert").exists());

    // One signature of two, checked against the profile file.
    let one = o.alert(
        &o.org,
        "chi",
        "a.alert",
        &[
            "--certainty",
            "observed",
            "--sign",
            &d1,
            "--profile",
            &profile,
        ],
    );
    assert_eq!(one.code(), 0, "{}", one.stderr());
    assert!(
        one.stdout()
            .contains("1 of 2 signatures required for observed: policy not met"),
        "{}",
        one.stdout()
    );
    // The same dispatcher signing again adds nothing, and says so.
    let before = std::fs::read(o.root.join("a.alert")).unwrap();
    let again = silbato(
        &o.org,
        &[
            "alert",
            "sign",
            &o.path("a.alert"),
            "--key",
            &d1,
            "--profile",
            &profile,
        ],
    );
    assert_eq!(again.code(), 1);
    assert!(
        again.stderr().contains("alert.already_signed"),
        "{}",
        again.stderr()
    );
    assert!(again.stdout().contains("1 of 2"), "{}", again.stdout());
    assert_eq!(std::fs::read(o.root.join("a.alert")).unwrap(), before);
    // The second person: the policy is met.
    let second = silbato(
        &o.org,
        &[
            "alert",
            "sign",
            &o.path("a.alert"),
            "--key",
            &d2,
            "--profile",
            &profile,
        ],
    );
    assert_eq!(second.code(), 0, "{}", second.stderr());
    assert!(
        second
            .stdout()
            .contains("2 of 2 signatures required for observed: policy met"),
        "{}",
        second.stdout()
    );

    // Without --profile, the network installed on the device is used; JSON carries the fields.
    let device = o.root.join("device");
    o.install(&device, "chi", &fp);
    let json = o
        .alert(
            &device,
            "chi",
            "b.alert",
            &["--json", "--certainty", "likely", "--sign", &d2],
        )
        .json();
    assert_eq!(json["policy"]["have"], 1);
    assert_eq!(json["policy"]["need"], 1);
    assert_eq!(json["policy"]["met"], true);
    let json = silbato(
        &device,
        &["--json", "alert", "sign", &o.path("b.alert"), "--key", &d1],
    )
    .json();
    assert_eq!(json["policy"]["have"], 2);
    assert_eq!(json["policy"]["met"], true);
    assert_eq!(json["already_signed"], false);
}
