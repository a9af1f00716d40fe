//! Fixtures for the hub's tests: a network with its keys and signed documents on disk, alerts,
//! a recording push gateway, and an HTTP client. Every hub listens on 127.0.0.1 only.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{Duration, NaiveDate, Utc};
use silbato_core::crypto::SigningKey;
use silbato_core::envelope;
use silbato_core::inbox::alert::{
    Alert, AlertText, Area, Category, Certainty, MsgType, Severity, Urgency, sign_alert,
};
use silbato_core::network::{
    AlertPolicy, DispatcherKey, NETWORK_KIND, NamedKey, NetworkProfile, Region,
};
use silbato_core::rights::sign_pack;
use silbato_core::seal::SealSecretKey;
use silbato_core::watchlist::{WatchEntry, WatchlistPayload, sign_watchlist};
use silbato_hub::push::{Gateways, PushError, PushGateway, SendFuture};
use silbato_hub::{HubConfig, RunningHub};

pub struct Net {
    pub root: SigningKey,
    pub d1: SigningKey,
    pub d2: SigningKey,
    /// A dispatcher whose validity window ended yesterday.
    pub retired: SigningKey,
    pub publisher: SigningKey,
    pub stranger: SigningKey,
    /// Dispatcher d1's report key.
    pub seal: SealSecretKey,
}

impl Net {
    pub fn new() -> Net {
        let k = || SigningKey::generate().unwrap();
        Net {
            root: k(),
            d1: k(),
            d2: k(),
            retired: k(),
            publisher: k(),
            stranger: k(),
            seal: SealSecretKey::generate().unwrap(),
        }
    }

    pub fn profile(&self, version: u64) -> NetworkProfile {
        let now = Utc::now();
        let dispatcher = |k: &SigningKey, name: &str, seal| DispatcherKey {
            key: k.public_key(),
            name: name.into(),
            valid_from: now - Duration::days(1),
            valid_until: now + Duration::days(30),
            seal_key: seal,
        };
        let mut retired = dispatcher(&self.retired, "Old key", None);
        retired.valid_from = now - Duration::days(60);
        retired.valid_until = now - Duration::days(1);
        NetworkProfile {
            format: 1,
            network_id: "chi".into(),
            name: "Chicago Rapid Response".into(),
            version,
            issued: now.date_naive(),
            hub_url: "http://127.0.0.1:9".into(),
            regions: vec![
                Region {
                    code: "US-IL-CHI".into(),
                    name: "Chicago".into(),
                    polygon: None,
                },
                Region {
                    code: "US-IL-EVN".into(),
                    name: "Evanston".into(),
                    polygon: None,
                },
            ],
            root_keys: vec![self.root.public_key()],
            publisher_keys: vec![NamedKey {
                key: self.publisher.public_key(),
                name: "Publisher".into(),
            }],
            dispatcher_keys: vec![
                dispatcher(&self.d1, "Ana", Some(self.seal.public_key())),
                dispatcher(&self.d2, "Luis", None),
                retired,
            ],
            alert_policy: AlertPolicy::default(),
            hotlines: vec![],
        }
    }

    pub fn signed_profile(&self, version: u64) -> Vec<u8> {
        envelope::seal(
            NETWORK_KIND,
            &serde_json::to_vec(&self.profile(version)).unwrap(),
            &[&self.root],
        )
        .unwrap()
    }

    pub fn watchlist(&self, version: u64, key: &SigningKey) -> Vec<u8> {
        sign_watchlist(
            WatchlistPayload {
                format: 1,
                publisher: "chi-publisher".into(),
                list_id: "chi-vehicles".into(),
                version,
                issued: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                entries: vec![WatchEntry {
                    plate: "ABC 1234".into(),
                    state: Some("IL".into()),
                    description: Some("grey van".into()),
                    last_seen: None,
                }],
            },
            key,
        )
        .unwrap()
    }

    /// The bundled content tree signed by the network's publisher; returns (pack_id, bytes).
    pub fn pack(&self, version: u64) -> (String, Vec<u8>) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
        let mut payload = silbato_content::load_dir(&dir).unwrap();
        payload.version = version;
        let bytes = sign_pack(&payload, &self.publisher).unwrap();
        (payload.pack_id, bytes)
    }

    /// Signs with both dispatchers (enough for any certainty).
    pub fn sign(&self, a: &Alert) -> Vec<u8> {
        sign_alert(a, &[&self.d1, &self.d2]).unwrap()
    }
}

pub fn alert(id: &str, regions: &[&str]) -> Alert {
    let now = Utc::now();
    let mut info = BTreeMap::new();
    info.insert(
        "en".into(),
        AlertText {
            headline: "ICE vans at 47th and Ashland".into(),
            description: Some("Two vans".into()),
            instruction: None,
        },
    );
    Alert {
        format: 1,
        id: id.into(),
        network: "chi".into(),
        msg_type: MsgType::Alert,
        references: vec![],
        category: Category::Raid,
        severity: Severity::Severe,
        urgency: Urgency::Immediate,
        certainty: Certainty::Observed,
        sent: now - Duration::minutes(1),
        expires: now + Duration::hours(2),
        area: Area {
            circles: vec![silbato_core::inbox::geo::Circle {
                center: silbato_core::inbox::geo::Point {
                    lat: 41.8087,
                    lon: -87.6656,
                },
                radius_m: 800.0,
            }],
            polygons: vec![],
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        },
        info,
        hotline: None,
    }
}

/// A network's files in a temporary directory and a configuration pointing at them.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub net: Net,
    pub pack_id: String,
    pub config: HubConfig,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let net = Net::new();
        let root = dir.path();
        std::fs::write(root.join("network.json"), net.signed_profile(1)).unwrap();
        std::fs::create_dir_all(root.join("packs")).unwrap();
        let (pack_id, pack) = net.pack(1);
        std::fs::write(root.join("packs").join(format!("{pack_id}.json")), pack).unwrap();
        std::fs::write(
            root.join("watchlist.json"),
            net.watchlist(1, &net.publisher),
        )
        .unwrap();
        let mut config =
            HubConfig::new("127.0.0.1:0", root.join("data"), root.join("network.json"));
        config.packs_dir = Some(root.join("packs"));
        config.watchlist = Some(root.join("watchlist.json"));
        Fixture {
            dir,
            net,
            pack_id,
            config,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn start(&self) -> RunningHub {
        self.start_with(Gateways::none())
    }

    pub fn start_with(&self, gateways: Gateways) -> RunningHub {
        silbato_hub::start(self.config.clone(), gateways).unwrap()
    }
}

/// Replaces a file the way an organizer publishes: write beside it, then rename over it.
pub fn publish(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// One blocking client for the whole test binary (building one takes a while in debug builds).
pub fn client() -> reqwest::blocking::Client {
    static CLIENT: std::sync::OnceLock<reqwest::blocking::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap()
        })
        .clone()
}

pub fn error_code(resp: reqwest::blocking::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: silbato_core::protocol::ErrorBody = resp.json().unwrap();
    (status, body.error)
}

/// What the recording gateway answers, per endpoint, in order (then `Ok`).
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Ok,
    Gone,
    Retry(Option<u64>),
    Rejected,
}

#[derive(Default)]
pub struct Recorder {
    pub sent: Mutex<Vec<(String, Vec<u8>)>>,
    pub attempts: Mutex<Vec<String>>,
    pub script: Mutex<HashMap<String, VecDeque<Answer>>>,
}

impl Recorder {
    pub fn script(&self, endpoint: &str, answers: &[Answer]) {
        self.script
            .lock()
            .unwrap()
            .insert(endpoint.to_owned(), answers.iter().copied().collect());
    }

    pub fn delivered(&self) -> Vec<(String, Vec<u8>)> {
        self.sent.lock().unwrap().clone()
    }

    pub fn delivered_to(&self) -> Vec<String> {
        let mut v: Vec<String> = self.delivered().into_iter().map(|(e, _)| e).collect();
        v.sort();
        v
    }

    pub fn clear(&self) {
        self.sent.lock().unwrap().clear();
        self.attempts.lock().unwrap().clear();
    }
}

impl PushGateway for Recorder {
    fn send<'a>(&'a self, endpoint: &'a str, payload: &'a [u8]) -> SendFuture<'a> {
        Box::pin(async move {
            self.attempts.lock().unwrap().push(endpoint.to_owned());
            let answer = self
                .script
                .lock()
                .unwrap()
                .get_mut(endpoint)
                .and_then(VecDeque::pop_front)
                .unwrap_or(Answer::Ok);
            match answer {
                Answer::Ok => {
                    self.sent
                        .lock()
                        .unwrap()
                        .push((endpoint.to_owned(), payload.to_vec()));
                    Ok(())
                }
                Answer::Gone => Err(PushError::Gone),
                Answer::Retry(after_secs) => Err(PushError::Retry { after_secs }),
                Answer::Rejected => Err(PushError::Rejected),
            }
        })
    }
}

/// Web Push and FCM through `recorder`; APNs not configured.
pub fn gateways(recorder: &Arc<Recorder>) -> Gateways {
    let mut g = Gateways::none();
    g.webpush = Some(recorder.clone() as Arc<dyn PushGateway>);
    g.fcm = Some(recorder.clone() as Arc<dyn PushGateway>);
    g
}
