//! `silbato demo`: starts a hub on 127.0.0.1 and walks the three journeys with narration — a
//! resident reads a card offline; a patroller logs and reports a sighting; a dispatcher opens it
//! and two dispatchers sign an alert; a family's device with a place nearby receives it through
//! push and shows it, while a device far away does not.
//!
//! Everything lives in a temporary directory and on the loopback interface; nothing is kept and
//! nothing leaves the machine. The push provider is an in-process recorder behind the hub's own
//! gateway trait, so the hub's real fan-out path runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use silbato_core::crypto::SigningKey;
use silbato_core::inbox::alert::{
    Alert, AlertText, Area, Category, Certainty, MsgType, Severity, Urgency, sign_alert,
};
use silbato_core::inbox::geo::{Circle, Point};
use silbato_core::inbox::push::PushOutcome;
use silbato_core::inbox::{Inbox, IngestOutcome};
use silbato_core::keys::{FileKeyStore, KdfParams, Passphrase};
use silbato_core::network::{AlertPolicy, DispatcherKey, NETWORK_KIND, NetworkProfile, Region};
use silbato_core::protocol::{self, DispatcherKeys, PushProvider};
use silbato_core::rights::{RightsLibrary, SearchOptions};
use silbato_core::sync::{
    HubClient, SyncConfig, SyncTargets, queue_sighting_report, subscription_for, sync,
};
use silbato_core::vault::{Activity, Agency, Confidence, Sighting, Vault, VaultConfig, Vehicle};
use silbato_core::watchlist::Watchlists;
use silbato_hub::push::{Gateways, PushGateway, SendFuture};

use super::Ctx;

type Pushes = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// Stands in for UnifiedPush: records what the hub sends to each endpoint.
struct Recorder(Pushes);

impl PushGateway for Recorder {
    fn send<'a>(&'a self, endpoint: &'a str, payload: &'a [u8]) -> SendFuture<'a> {
        let pushes = self.0.clone();
        Box::pin(async move {
            pushes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((endpoint.to_owned(), payload.to_vec()));
            Ok(())
        })
    }
}

fn e(x: impl std::fmt::Display) -> String {
    x.to_string()
}

struct Narrator<'a> {
    ctx: &'a Ctx,
    steps: Vec<serde_json::Value>,
}

impl Narrator<'_> {
    fn chapter(&self, title: &str) {
        if !self.ctx.out.json {
            self.ctx.out.blank();
            self.ctx.out.heading(title);
        }
    }

    fn say(&mut self, text: &str) {
        if !self.ctx.out.json {
            self.ctx.out.para(text, "  ");
        }
        self.steps.push(serde_json::Value::String(text.to_owned()));
    }
}

pub fn demo(ctx: &Ctx) -> Result<(), String> {
    let mut n = Narrator {
        ctx,
        steps: Vec::new(),
    };
    let tmp = std::env::temp_dir().join(format!("silbato-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(e)?;
    let result = run(&mut n, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    result?;
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "ok": true, "steps": n.steps }))?;
    }
    Ok(())
}

fn device(
    dir: &std::path::Path,
    profile: &[u8],
    fingerprint: &str,
) -> Result<(RightsLibrary, Inbox), String> {
    let (rights, _) = RightsLibrary::open(dir).map_err(e)?;
    let inbox = Inbox::open(dir, &FileKeyStore::new(dir)).map_err(e)?;
    inbox
        .install_network(profile, Some(fingerprint))
        .map_err(e)?;
    Ok((rights, inbox))
}

fn run(n: &mut Narrator<'_>, tmp: &std::path::Path) -> Result<(), String> {
    // ---- the network and its hub ----
    n.chapter("A network and its hub");
    let root = SigningKey::generate().map_err(e)?;
    let ana = DispatcherKeys::generate().map_err(e)?;
    let luis = DispatcherKeys::generate().map_err(e)?;
    let now = Utc::now();
    let dispatcher = |k: &DispatcherKeys, name: &str| DispatcherKey {
        key: k.signing.public_key(),
        name: name.into(),
        valid_from: now - ChronoDuration::hours(1),
        valid_until: now + ChronoDuration::days(1),
        seal_key: Some(k.seal.public_key()),
    };
    let profile = NetworkProfile {
        format: 1,
        network_id: "demo".into(),
        name: "Demo Rapid Response".into(),
        version: 1,
        issued: now.date_naive(),
        hub_url: "http://127.0.0.1".into(),
        regions: vec![
            Region {
                code: "US-IL-CHI".into(),
                name: "Chicago".into(),
                polygon: None,
            },
            Region {
                code: "US-CA-LA".into(),
                name: "Los Angeles".into(),
                polygon: None,
            },
        ],
        root_keys: vec![root.public_key()],
        publisher_keys: vec![],
        dispatcher_keys: vec![dispatcher(&ana, "Ana"), dispatcher(&luis, "Luis")],
        alert_policy: AlertPolicy::default(),
        hotlines: vec![],
    };
    let profile_bytes = silbato_core::envelope::seal(
        NETWORK_KIND,
        &serde_json::to_vec(&profile).map_err(e)?,
        &[&root],
    )
    .map_err(e)?;
    let profile_path = tmp.join("profile.json");
    std::fs::write(&profile_path, &profile_bytes).map_err(e)?;
    let pushes: Pushes = Arc::default();
    let gateways = Gateways {
        webpush: Some(Arc::new(Recorder(pushes.clone()))),
        fcm: None,
        apns: None,
    };
    let hub = silbato_hub::start(
        silbato_hub::HubConfig::new("127.0.0.1:0", tmp.join("hub"), &profile_path),
        gateways,
    )
    .map_err(e)?;
    let url = hub.url();
    n.say(&format!("The hub listens on {url}. Its network, \"{}\", has two dispatchers, Ana and Luis; an alert reported as observed needs both of their signatures.", profile.name));
    n.say(&format!("Devices install the network's signed profile and compare its fingerprint, {}, with the organizer's.", profile.fingerprint()));

    // ---- a resident, offline ----
    n.chapter("1. A resident reads a card, offline");
    let (rights, _) = RightsLibrary::open(&tmp.join("resident")).map_err(e)?;
    let hits = rights
        .search(
            "policia puerta",
            &SearchOptions {
                lang: Some("es".into()),
                limit: 1,
            },
        )
        .map_err(e)?;
    let card_id = hits
        .first()
        .map(|h| h.card_id.clone())
        .ok_or("the bundled cards did not match")?;
    let card = rights.card(&card_id, "es").map_err(e)?;
    n.say(&format!(
        "No network needed: searching \"policia puerta\" (no accent) finds \"{}\".",
        card.title
    ));
    if let Some(first) = card.say.first() {
        n.say(&format!("What to say: {first}"));
    }
    n.say(&format!(
        "Card to show through the door: {}",
        card.show_agent.lines().next().unwrap_or_default()
    ));

    // ---- a patroller ----
    n.chapter("2. A patroller logs and reports a sighting");
    let pdir = tmp.join("patroller");
    let (prights, pinbox) = device(&pdir, &profile_bytes, &profile.fingerprint())?;
    let (vault, _) = Vault::open(
        &pdir,
        VaultConfig {
            kdf: KdfParams::FAST_INSECURE,
            idle_timeout: None,
        },
        None,
    )
    .map_err(e)?;
    vault
        .init(&Passphrase::new("demo passphrase only".into()))
        .map_err(e)?;
    let mut s = Sighting::new(
        now - ChronoDuration::minutes(4),
        Activity::Raid,
        Agency::Ice,
        Confidence::Observed,
    );
    s.place = Some("Hardware store parking lot, 47th St".into());
    s.officer_count = Some(8);
    s.people_detained = Some(2);
    s.vehicles.push(Vehicle {
        description: Some("grey SUV".into()),
        plate: Some("ABC 1234".into()),
        plate_state: Some("IL".into()),
    });
    let record = vault.log(s, &[], None).map_err(e)?;
    n.say("The sighting goes into the encrypted vault: a signed, hash-chained entry that a lawyer can later verify.");
    queue_sighting_report(&vault, &pinbox, &record.id, "demo", Utc::now()).map_err(e)?;
    let watch = Watchlists::with_store(pinbox.store().clone());
    let client = HubClient::new(SyncConfig::new(&url)).map_err(e)?;
    let report = sync(
        &client,
        &SyncTargets {
            inbox: &pinbox,
            rights: &prights,
            watchlists: &watch,
        },
        Utc::now(),
    );
    n.say(&format!(
        "Reporting seals it to the dispatchers' keys at once; the sync delivers it ({} sent). The hub stores ciphertext it cannot read.",
        report.reports_sent
    ));

    // ---- dispatchers ----
    n.chapter("3. Dispatchers open the report and sign an alert");
    let page = client
        .reports_page(&ana.signing, "0", Utc::now())
        .map_err(e)?;
    let item = page.reports.first().ok_or("no report reached the hub")?;
    let opened = protocol::open_report(
        &protocol::unb64(&item.sealed).ok_or("bad report")?,
        &ana.seal,
    )
    .map_err(e)?;
    n.say(&format!(
        "Ana's key opens it: {} officers, {} detained, at \"{}\".",
        opened.sighting.officer_count.unwrap_or(0),
        opened.sighting.people_detained.unwrap_or(0),
        opened.sighting.place.unwrap_or_default()
    ));
    let mut info = std::collections::BTreeMap::new();
    info.insert(
        "en".into(),
        AlertText {
            headline: "ICE agents at 47th St hardware store".into(),
            description: Some("Confirmed by two patrollers. Avoid the area.".into()),
            instruction: Some("You have the right to remain silent.".into()),
        },
    );
    info.insert(
        "es".into(),
        AlertText {
            headline: "Agentes de ICE en la ferretería de la calle 47".into(),
            description: None,
            instruction: Some("Tiene derecho a guardar silencio.".into()),
        },
    );
    let alert = Alert {
        format: 1,
        id: "demo-raid-1".into(),
        network: "demo".into(),
        msg_type: MsgType::Alert,
        references: vec![],
        category: Category::Raid,
        severity: Severity::Severe,
        urgency: Urgency::Immediate,
        certainty: Certainty::Observed,
        sent: Utc::now() - ChronoDuration::seconds(5),
        expires: Utc::now() + ChronoDuration::hours(2),
        area: Area {
            circles: vec![Circle {
                center: Point {
                    lat: 41.8087,
                    lon: -87.6656,
                },
                radius_m: 800.0,
            }],
            polygons: vec![],
            regions: vec!["US-IL-CHI".into()],
        },
        info,
        hotline: None,
    };

    // ---- families subscribe ----
    let near_dir = tmp.join("family-near");
    let (_, near) = device(&near_dir, &profile_bytes, &profile.fingerprint())?;
    near.add_place("Kids' school", 41.8100, -87.6650, 300.0)
        .map_err(e)?;
    near.follow_region("US-IL-CHI").map_err(e)?;
    let far_dir = tmp.join("family-far");
    let (_, far) = device(&far_dir, &profile_bytes, &profile.fingerprint())?;
    far.add_place("Home", 34.05, -118.24, 300.0).map_err(e)?;
    far.follow_region("US-CA-LA").map_err(e)?;
    for (inbox, name) in [(&near, "near"), (&far, "far")] {
        client
            .subscribe(
                &subscription_for(
                    inbox,
                    PushProvider::Webpush,
                    &format!("https://push.invalid/{name}"),
                    &[],
                )
                .map_err(e)?,
            )
            .map_err(e)?;
    }

    let one = sign_alert(&alert, &[&ana.signing]).map_err(e)?;
    match client.publish_alert(&one) {
        Err(err) => n.say(&format!(
            "Ana alone publishes it as observed: the hub refuses ({err})."
        )),
        Ok(_) => return Err("the hub accepted an observed alert with one signature".into()),
    }
    let both = sign_alert(&alert, &[&ana.signing, &luis.signing]).map_err(e)?;
    let posted = client.publish_alert(&both).map_err(e)?;
    n.say(&format!(
        "Luis checks it and signs too: accepted, pushed to {} device(s) following Chicago.",
        posted.fanout
    ));
    hub.wait_fanout_idle(Duration::from_secs(10));

    // ---- families ----
    n.chapter("4. A family near the school is alerted; one far away is not");
    let got = pushes.lock().map_err(|_| "push recorder poisoned")?.clone();
    let for_near: Vec<_> = got.iter().filter(|(ep, _)| ep.ends_with("/near")).collect();
    let for_far = got.iter().filter(|(ep, _)| ep.ends_with("/far")).count();
    let (_, payload) = for_near.first().ok_or("the nearby family got no push")?;
    n.say(&format!(
        "The push provider carried {} bytes of ciphertext sealed to the family's phone.",
        payload.len()
    ));
    match near.ingest_push(payload, "es", Utc::now()).map_err(e)? {
        PushOutcome::Alert {
            outcome: IngestOutcome::Accepted { .. },
            notification: Some(note),
        } => {
            n.say(&format!(
                "The phone verifies both signatures and shows a generic notification: \"{}\".",
                note.body
            ));
        }
        other => return Err(format!("unexpected push outcome: {other:?}")),
    }
    let shown = near.active("es", Utc::now(), 5).map_err(e)?;
    let top = shown.first().ok_or("the alert is not in the inbox")?;
    let why = match &top.relevance {
        silbato_core::inbox::Relevance::SavedPlace { label } => {
            format!("near your saved place \"{label}\"")
        }
        silbato_core::inbox::Relevance::FollowedRegion { code } => {
            format!("in {code}, which you follow")
        }
        silbato_core::inbox::Relevance::Elsewhere => "elsewhere".to_owned(),
    };
    n.say(&format!(
        "Opening the app: \"{}\", first in the list because it is {why}. That was worked out on the phone; the school's location never left it.",
        top.headline
    ));

    n.say(&format!(
        "The family in Los Angeles received {for_far} pushes for it."
    ));
    hub.shutdown();
    n.chapter("Done");
    n.say("Everything ran on 127.0.0.1 in a temporary directory, now deleted.");
    Ok(())
}
