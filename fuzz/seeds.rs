//! Writes the seed corpora: valid documents made with the project's own code, a few per target.
//!
//! `cargo run --release --bin seeds -- [CORPUS_DIR] [--force]` (default `fuzz/corpus`). A seed
//! file that already exists is left alone unless `--force` is given, so seeds whose bytes are
//! random (seals, exports) do not churn between runs; deterministic ones come out the same anyway.
//! Every seed is made from the fixed keys of `src/lib.rs` with `silbato-proto` and the builders of
//! `silbato-testkit` (no device state), so every seed verifies on any machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use silbato_content::PackPayload;
use silbato_fuzz as fx;
use silbato_proto::alert::{AlertText, Certainty, MsgType, sign_alert};
use silbato_proto::cap::to_cap;
use silbato_proto::chain::{self, ChainEntry, EntryBody, EntryContent, GENESIS};
use silbato_proto::crypto::{SigningKey, sha256_hex};
use silbato_proto::export::{self, ExportTarget};
use silbato_proto::media::strip_metadata;
use silbato_proto::network::encode_qr;
use silbato_proto::pack::sign_pack;
use silbato_proto::protocol::{
    AlertPosted, AlertsPage, ErrorBody, PushProvider, PushSubscription, ReportReceipt, ReportsPage,
    SealedReportItem, b64,
};
use silbato_proto::push::{seal_for_device, wake_payload};
use silbato_proto::seal;
use silbato_proto::sighting::{
    Activity, Agency, AttachmentRef, Confidence, Location, Sighting, Vehicle,
};
use silbato_proto::watchlist::entries_from_csv;
use silbato_testkit::envelope::cosign_alert;
use silbato_testkit::{ReportBuilder, WatchlistBuilder};
use zeroize::Zeroizing;

struct Out {
    root: PathBuf,
    force: bool,
    written: usize,
    kept: usize,
}

impl Out {
    fn put(&mut self, target: &str, name: &str, bytes: &[u8]) {
        self.put_forced(target, name, bytes, self.force);
    }

    fn put_forced(&mut self, target: &str, name: &str, bytes: &[u8], force: bool) {
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        if !force && path.exists() {
            self.kept += 1;
            return;
        }
        std::fs::write(&path, bytes).unwrap();
        self.written += 1;
    }
}

/// The pack the core bundles, built from `content/` as its build script does.
fn bundled_pack() -> PackPayload {
    silbato_testkit::pack::bundled_pack().unwrap()
}

/// The bundled pack cut down to `cards` cards (and what they reference), so seeds stay small.
fn small_pack(cards: usize) -> PackPayload {
    let mut p = bundled_pack();
    p.cards.truncate(cards);
    let cats: BTreeSet<String> = p.cards.iter().map(|c| c.category.clone()).collect();
    p.categories.retain(|c| cats.contains(&c.id));
    p.hotlines.truncate(1);
    let mut srcs: BTreeSet<String> = p.cards.iter().flat_map(|c| c.sources.clone()).collect();
    srcs.extend(p.hotlines.iter().map(|h| h.source.clone()));
    p.sources.retain(|s| srcs.contains(&s.id));
    p.pack_id = "fuzz-pack".into();
    p.publisher = "fuzz".into();
    p
}

fn sighting(observed_at: chrono::DateTime<Utc>) -> Sighting {
    let mut s = Sighting::new(
        observed_at,
        Activity::Checkpoint,
        Agency::Ice,
        Confidence::Observed,
    );
    s.location = Some(Location {
        lat: 41.8087,
        lon: -87.6656,
        accuracy_m: Some(25.0),
    });
    s.place = Some("Home Depot parking lot, 47th St".into());
    s.officer_count = Some(4);
    s.vehicles = vec![Vehicle {
        description: Some("white van".into()),
        plate: Some("ABC 1234".into()),
        plate_state: Some("IL".into()),
    }];
    s.badges = vec!["1234".into()];
    s.notes = Some("Two agents asked for papers.\nOne vehicle left north.".into());
    s
}

/// A tiny PNG with a text chunk (metadata to strip).
fn png_image() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 4, 4);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.add_text_chunk("Author".into(), "patroller phone".into())
            .unwrap();
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[0x80; 4 * 4 * 3]).unwrap();
    }
    out
}

/// A tiny JPEG with an EXIF APP1 segment and a comment (metadata to strip).
fn jpeg_image() -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0".to_vec();
    exif.extend_from_slice(&[0; 4]);
    enc.add_app_segment(1, &exif).unwrap();
    enc.add_app_segment(13, b"Photoshop 3.0\0").unwrap();
    enc.encode(&[0x40; 8 * 8 * 3], 8, 8, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// A vault's chain as the core writes it: each entry's JSON bytes, linked and signed by
/// `device`, its photos stripped of metadata first.
struct Chain {
    device: SigningKey,
    entries: Vec<(ChainEntry, EntryBody)>,
    attachments: Vec<(AttachmentRef, Zeroizing<Vec<u8>>)>,
}

impl Chain {
    fn new(device: SigningKey) -> Self {
        Chain {
            device,
            entries: Vec::new(),
            attachments: Vec::new(),
        }
    }

    fn log(&mut self, mut sighting: Sighting, photos: &[Vec<u8>], recorded_at: DateTime<Utc>) {
        for photo in photos {
            let stripped = strip_metadata(photo).unwrap();
            let r = AttachmentRef {
                id: format!("{:032x}", self.attachments.len() + 1),
                sha256: sha256_hex(&stripped.bytes),
                media_type: stripped.kind.media_type().into(),
                bytes: u64::try_from(stripped.bytes.len()).unwrap(),
            };
            sighting.attachments.push(r.clone());
            self.attachments.push((r, Zeroizing::new(stripped.bytes)));
        }
        let (seq, prev) = self
            .entries
            .last()
            .map_or((1, GENESIS), |(e, _)| (e.seq + 1, e.hash));
        let body = EntryBody {
            v: 1,
            id: format!("00000000-0000-4000-8000-{seq:012}"),
            seq,
            recorded_at,
            content: EntryContent::Sighting { sighting },
        };
        let plain = Zeroizing::new(serde_json::to_vec(&body).unwrap());
        let hash = chain::link_hash(&prev, seq, &plain);
        let signature = self.device.sign(&chain::signed_message(&hash)).to_vec();
        let entry = ChainEntry {
            seq,
            plain,
            prev_hash: prev,
            hash,
            signature,
        };
        self.entries.push((entry, body));
    }

    fn export(&self, target: &ExportTarget, at: DateTime<Utc>) -> Vec<u8> {
        export::write(&self.device, &self.entries, &self.attachments, target, at).unwrap()
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut force = false;
    for a in args.by_ref() {
        if a == "--force" {
            force = true;
        } else {
            root = PathBuf::from(a);
        }
    }
    let mut out = Out {
        root,
        force,
        written: 0,
        kept: 0,
    };
    let now = fx::now();
    let publisher = fx::publisher_key();
    let [ana, luis] = fx::dispatcher_keys();

    // ---- pack ----
    out.put(
        "pack",
        "one-card.pack",
        &sign_pack(&small_pack(1), &publisher).unwrap(),
    );
    out.put(
        "pack",
        "three-cards.pack",
        &sign_pack(&small_pack(3), &publisher).unwrap(),
    );

    // ---- watchlist ----
    let csv = "plate,state,description,last_seen\nABC 1234,IL,white Ford van,2026-05-30\nXYZ-987,,grey SUV,\n7 HJK 22,ca,\"sedan, tinted\",2026-01-02\n";
    let wl = WatchlistBuilder::new()
        .publisher("fuzz")
        .list_id("chi-vehicles")
        .version(3)
        .issued(now.date_naive())
        .entries(entries_from_csv(csv).unwrap())
        .plate("DEF456", Some("IN"), None);
    out.put("watchlist", "list.watchlist", &wl.sign(&publisher).unwrap());
    out.put("watchlist", "with-header.csv", csv.as_bytes());
    out.put(
        "watchlist",
        "no-header.csv",
        b"ABC1234,IL\nQRS 55,WI,blue truck,2025-12-01\n",
    );

    // ---- network_profile ----
    let profile = fx::signed_profile();
    out.put("network_profile", "profile.json", &profile);
    out.put(
        "network_profile",
        "profile.qr.txt",
        encode_qr(&profile).as_bytes(),
    );

    // ---- alert_envelope ----
    let observed = fx::sample_alert("a-observed-1", MsgType::Alert, &[], Certainty::Observed);
    let observed_env = sign_alert(&observed, &[&ana, &luis]).unwrap();
    let likely = fx::sample_alert("a-likely-1", MsgType::Alert, &[], Certainty::Likely);
    let likely_env = sign_alert(&likely, &[&ana]).unwrap();
    // The second dispatcher co-signs afterwards, as the two-person rule does it.
    let update = fx::sample_alert(
        "a-update-1",
        MsgType::Update,
        &["a-observed-1"],
        Certainty::Observed,
    );
    let update_env = cosign_alert(&sign_alert(&update, &[&ana]).unwrap(), &luis).unwrap();
    let cancel = fx::sample_alert(
        "a-cancel-1",
        MsgType::Cancel,
        &["a-likely-1"],
        Certainty::Likely,
    );
    let cancel_env = sign_alert(&cancel, &[&luis, &ana]).unwrap();
    out.put("alert_envelope", "observed.env", &observed_env);
    out.put("alert_envelope", "likely.env", &likely_env);
    out.put("alert_envelope", "update.env", &update_env);
    out.put("alert_envelope", "cancel.env", &cancel_env);
    out.put(
        "alert_envelope",
        "alert.json",
        &serde_json::to_vec(&observed).unwrap(),
    );
    // Written in Spanish, with complete English and Vietnamese translations (issue 13).
    let mut multilang = fx::sample_alert("a-multilang-1", MsgType::Alert, &[], Certainty::Observed);
    multilang.lang = Some("es".into());
    for (lang, headline, description, instruction) in [
        (
            "es",
            "Camionetas de ICE en la 47",
            "Dos camionetas sin placas.",
            "Evite la zona. No abra la puerta.",
        ),
        (
            "vi",
            "Xe của ICE ở đường 47",
            "Hai xe không biển số.",
            "Tránh khu vực. Đừng mở cửa.",
        ),
    ] {
        multilang.info.insert(
            lang.into(),
            AlertText {
                headline: headline.into(),
                description: Some(description.into()),
                instruction: Some(instruction.into()),
            },
        );
    }
    let multilang_env = sign_alert(&multilang, &[&ana, &luis]).unwrap();
    out.put("alert_envelope", "multilang.env", &multilang_env);

    // ---- push_payload ----
    let push_key = fx::push_secret().public_key();
    let push_alert = fx::sample_alert("a-push-1", MsgType::Alert, &[], Certainty::Likely);
    let push_env = sign_alert(&push_alert, &[&ana]).unwrap();
    out.put("push_payload", "wake.bin", &wake_payload());
    out.put(
        "push_payload",
        "sealed-alert.bin",
        &seal_for_device(&push_env, &push_key).unwrap(),
    );
    out.put(
        "push_payload",
        "sealed-observed.bin",
        &seal_for_device(&observed_env, &push_key).unwrap(),
    );

    // ---- sealed_report ----
    let report = ReportBuilder::new(fx::NETWORK_ID)
        .record_id("0b6f8f7e-8d0e-4a39-9f4e-0d5c1f1c2a10")
        .sighting(sighting(now - Duration::minutes(10)))
        .device_key(fx::signing_key("device").public_key())
        .now(now - Duration::minutes(9));
    let seal_pub = fx::seal_secret().public_key();
    let other = seal::SealSecretKey::from_bytes(&[7; 32])
        .unwrap()
        .public_key();
    let sealed_report = report.seal(&[seal_pub, other]).unwrap();
    out.put("sealed_report", "report.sealed", &sealed_report);
    out.put(
        "sealed_report",
        "report-one-recipient.sealed",
        &report.seal(&[seal_pub]).unwrap(),
    );
    out.put(
        "sealed_report",
        "single.sealed",
        &seal::seal(
            &seal_pub,
            b"silbato/push/v1",
            b"SBP1",
            b"a format-1 message",
        )
        .unwrap(),
    );

    // ---- signed_requests: key, date, nonce, signature, method, host, path, body by lines ----
    let request_lines =
        |headers: &[(&str, String)], method: &str, host: &str, path: &str, body: &[u8]| {
            let field = |name: &str| {
                headers
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let mut bytes = [
                field(silbato_proto::protocol::HEADER_KEY),
                field(silbato_proto::protocol::HEADER_DATE),
                field(silbato_proto::protocol::HEADER_NONCE),
                field(silbato_proto::protocol::HEADER_SIGNATURE),
                method.to_owned(),
                host.to_owned(),
                path.to_owned(),
            ]
            .join("\n")
            .into_bytes();
            bytes.push(b'\n');
            bytes.extend_from_slice(body);
            bytes
        };
    let dispatcher = &fx::dispatcher_keys()[0];
    let signed = silbato_proto::protocol::sign_request(
        dispatcher,
        "GET",
        "hub.example.org",
        "/v1/reports?after=0",
        b"",
        now,
    )
    .unwrap();
    out.put(
        "signed_requests",
        "dispatcher-get.txt",
        &request_lines(
            &signed,
            "GET",
            "hub.example.org",
            "/v1/reports?after=0",
            b"",
        ),
    );
    let device = fx::signing_key("push-subscription");
    let sub_body = serde_json::to_vec(&PushSubscription {
        provider: PushProvider::Webpush,
        endpoint: "https://push.example.org/device".into(),
        push_key: fx::push_secret().public_key(),
        regions: vec!["US-IL-CHI".into()],
    })
    .unwrap();
    let push_signed = silbato_proto::push::sign_push_request(
        &device,
        "POST",
        "/v1/push/subscriptions",
        &sub_body,
        now,
    );
    out.put(
        "signed_requests",
        "push-subscribe.txt",
        &request_lines(
            &push_signed,
            "POST",
            "",
            "/v1/push/subscriptions",
            &sub_body,
        ),
    );

    // ---- sync_bodies ----
    let page = AlertsPage {
        alerts: vec![b64(&observed_env), b64(&likely_env), b64(&cancel_env)],
        next: "c_000042".into(),
        more: true,
    };
    out.put(
        "sync_bodies",
        "alerts-page.json",
        &serde_json::to_vec_pretty(&page).unwrap(),
    );
    let reports = ReportsPage {
        reports: vec![SealedReportItem {
            id: "r-1".into(),
            received_at: now,
            sealed: b64(&sealed_report),
        }],
        next: "".into(),
        more: false,
    };
    out.put(
        "sync_bodies",
        "reports-page.json",
        &serde_json::to_vec(&reports).unwrap(),
    );
    let posted = AlertPosted {
        id: "a-observed-1".into(),
        duplicate: false,
        fanout: 12,
    };
    out.put(
        "sync_bodies",
        "alert-posted.json",
        &serde_json::to_vec(&posted).unwrap(),
    );
    let receipt = ReportReceipt {
        id: "r-1".into(),
        duplicate: true,
    };
    out.put(
        "sync_bodies",
        "report-receipt.json",
        &serde_json::to_vec(&receipt).unwrap(),
    );
    let err = ErrorBody {
        error: "rate_limited".into(),
        message: "slow down".into(),
        retryable: true,
        reason: None,
    };
    out.put(
        "sync_bodies",
        "error.json",
        &serde_json::to_vec(&err).unwrap(),
    );
    let sub = PushSubscription {
        provider: PushProvider::Webpush,
        endpoint: "https://push.example.org/v1/abc".into(),
        push_key: seal_pub,
        regions: vec!["US-IL-CHI".into(), "US-IL".into()],
    };
    out.put(
        "sync_bodies",
        "push-subscription.json",
        &serde_json::to_vec(&sub).unwrap(),
    );

    // ---- cap_xml ----
    out.put(
        "cap_xml",
        "observed.xml",
        to_cap(&observed, "dispatch@fuzz.example.org")
            .unwrap()
            .as_bytes(),
    );
    out.put(
        "cap_xml",
        "update.xml",
        to_cap(&update, "dispatch@fuzz.example.org")
            .unwrap()
            .as_bytes(),
    );
    out.put(
        "cap_xml",
        "multilang.xml",
        to_cap(&multilang, "dispatch@fuzz.example.org")
            .unwrap()
            .as_bytes(),
    );
    out.put(
        "cap_xml",
        "cancel.xml",
        to_cap(&cancel, "dispatch@fuzz.example.org")
            .unwrap()
            .as_bytes(),
    );

    // ---- vault_export ----
    {
        let mut vault = Chain::new(fx::signing_key("device"));
        vault.log(
            sighting(now - Duration::hours(2)),
            &[png_image()],
            now - Duration::hours(2) + Duration::minutes(1),
        );
        let mut second = sighting(now - Duration::hours(1));
        second.vehicles.clear();
        second.activity = Activity::Patrol;
        vault.log(second, &[], now - Duration::minutes(58));
        out.put(
            "vault_export",
            "clear.json",
            &vault.export(&ExportTarget::Clear, now),
        );
        out.put(
            "vault_export",
            "sealed.json",
            &vault.export(&ExportTarget::SealedTo(seal_pub), now),
        );
        let empty = Chain::new(fx::signing_key("device-empty"));
        out.put(
            "vault_export",
            "empty.json",
            &empty.export(&ExportTarget::Clear, now),
        );
    }

    // ---- search_query ----
    for (name, q) in [
        ("warrant", "warrant"),
        ("es", "orden judicial firmada"),
        ("accents", "niños escuela inmigración"),
        ("syntax", "\"door\" OR NEAR(judge lawyer) AND NOT col:* ^x"),
        ("prefix", "abog* -silent"),
    ] {
        out.put("search_query", name, q.as_bytes());
    }

    // ---- markdown ----
    let bundled = bundled_pack();
    for (i, card) in bundled.cards.iter().take(3).enumerate() {
        if let Some(t) = card.texts.values().next() {
            out.put("markdown", &format!("card-{i}.md"), t.body.as_bytes());
        }
    }

    // ---- media ----
    out.put("media", "tiny.png", &png_image());
    out.put("media", "tiny-exif.jpg", &jpeg_image());

    check(&out.root);
    println!(
        "seeds: {} written, {} kept, all valid, in {}",
        out.written,
        out.kept,
        out.root.display()
    );
}

fn read(root: &Path, target: &str, name: &str) -> Vec<u8> {
    std::fs::read(root.join(target).join(name)).unwrap()
}

/// Every seed meant to be valid is accepted by the entry point its target calls: a seed that
/// fails early only fuzzes the error path.
fn check(root: &Path) {
    use silbato_proto::alert::verify_alert_envelope;
    use silbato_proto::push::{PushPayload, decode, open_sealed};
    let now = fx::now();
    for name in ["one-card.pack", "three-cards.pack"] {
        silbato_proto::pack::inspect_pack(&read(root, "pack", name)).expect(name);
    }
    silbato_proto::watchlist::open_watchlist(&read(root, "watchlist", "list.watchlist"), |_| true)
        .expect("watch-list seed");
    silbato_proto::network::open_profile(&read(root, "network_profile", "profile.json"))
        .expect("profile seed");
    let qr = read(root, "network_profile", "profile.qr.txt");
    let decoded = silbato_proto::network::decode_qr(&String::from_utf8_lossy(&qr)).unwrap();
    silbato_proto::network::open_profile(&decoded).expect("QR seed");
    let profiles = [fx::profile()];
    for name in ["observed.env", "likely.env", "update.env", "cancel.env"] {
        verify_alert_envelope(&profiles, &read(root, "alert_envelope", name), now)
            .unwrap_or_else(|r| panic!("{name}: {r}"));
    }
    assert!(matches!(
        decode(&read(root, "push_payload", "wake.bin")),
        Ok(PushPayload::Wake)
    ));
    let push_secret = fx::push_secret();
    for name in ["sealed-alert.bin", "sealed-observed.bin"] {
        let bytes = read(root, "push_payload", name);
        let Ok(PushPayload::SealedAlert(sealed)) = decode(&bytes) else {
            panic!("{name}: not a sealed alert");
        };
        let envelope = open_sealed(&push_secret, sealed).expect(name);
        verify_alert_envelope(&profiles, &envelope, now).unwrap_or_else(|r| panic!("{name}: {r}"));
    }
    let secret = fx::seal_secret();
    for name in ["report.sealed", "report-one-recipient.sealed"] {
        silbato_proto::protocol::open_report(&read(root, "sealed_report", name), &secret)
            .expect(name);
    }
    seal::open(
        &secret,
        b"silbato/push/v1",
        b"SBP1",
        &read(root, "sealed_report", "single.sealed"),
    )
    .expect("single seal seed");
    for name in ["observed.xml", "update.xml", "cancel.xml"] {
        let xml = read(root, "cap_xml", name);
        silbato_proto::cap::from_cap(&String::from_utf8_lossy(&xml), "net").expect(name);
    }
    for (name, key) in [
        ("clear.json", None),
        ("empty.json", None),
        ("sealed.json", Some(&secret)),
    ] {
        let r = export::verify_export(&read(root, "vault_export", name), key).expect(name);
        assert!(r.valid, "{name}: {:?}", r.problems);
    }
    let page: AlertsPage =
        serde_json::from_slice(&read(root, "sync_bodies", "alerts-page.json")).unwrap();
    assert_eq!(page.alerts.len(), 3);
    let sub: PushSubscription =
        serde_json::from_slice(&read(root, "sync_bodies", "push-subscription.json")).unwrap();
    sub.validate().unwrap();
    // The signed request seeds verify as they are (the fuzzer mutates from genuine requests).
    let lines = read(root, "signed_requests", "dispatcher-get.txt");
    let f: Vec<String> = lines
        .splitn(8, |&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    let dispatchers = fx::dispatcher_keys().map(|k| k.public_key());
    silbato_proto::protocol::verify_request(
        silbato_proto::protocol::SignedHeaders {
            key: Some(&f[0]),
            date: Some(&f[1]),
            nonce: Some(&f[2]),
            signature: Some(&f[3]),
        },
        &f[4],
        &f[5],
        &f[6],
        f[7].as_bytes(),
        now,
        |k| dispatchers.contains(k),
    )
    .expect("signed dispatcher request seed");
    let lines = read(root, "signed_requests", "push-subscribe.txt");
    let f: Vec<&[u8]> = lines.splitn(8, |&b| b == b'\n').collect();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    silbato_proto::push::verify_push_request(
        Some(&text(f[0])),
        Some(&text(f[1])),
        Some(&text(f[3])),
        &text(f[4]),
        &text(f[6]),
        f[7],
        now,
    )
    .expect("signed push request seed");
    assert_eq!(
        strip_metadata(&read(root, "media", "tiny-exif.jpg"))
            .unwrap()
            .removed,
        2
    );
    assert!(
        strip_metadata(&read(root, "media", "tiny.png"))
            .unwrap()
            .removed
            >= 1
    );
}
