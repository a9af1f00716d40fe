//! Fixtures for the hub's tests: a network with its keys and signed documents on disk, alerts,
//! a recording push gateway, and an HTTP client. Every hub listens on 127.0.0.1 only.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use silbato_core::crypto::SigningKey;
use silbato_core::inbox::alert::{Alert, sign_alert};
use silbato_core::network::NetworkProfile;
use silbato_core::rights::sign_pack;
use silbato_core::seal::SealSecretKey;
use silbato_hub::push::{Gateways, PushError, PushGateway, SendFuture};
use silbato_hub::{HubConfig, RunningHub};
use silbato_testkit::{
    AlertBuilder, DispatcherSpec, TestNetwork, WatchlistBuilder, pack, sign_profile, signing_key,
};

/// The `chi` network of `silbato_testkit` as the hub tests see it: its hub on loopback, regions
/// Chicago and Evanston, dispatchers Ana (with a report key) and Luis, a retired dispatcher, one
/// publisher, and a key that belongs to none of them.
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
    profile: NetworkProfile,
}

impl Net {
    pub fn new() -> Net {
        let TestNetwork {
            profile,
            roots,
            dispatchers,
            publishers,
            ..
        } = TestNetwork::builder()
            .now(Utc::now())
            .hub_url("http://127.0.0.1:9")
            .region("US-IL-EVN", "Evanston")
            .dispatchers(0)
            .dispatcher(DispatcherSpec::new("Ana"))
            .dispatcher(DispatcherSpec::new("Luis").without_seal_key())
            .dispatcher(
                DispatcherSpec::new("Old key")
                    .valid_around(-Duration::days(60), -Duration::days(1))
                    .without_seal_key(),
            )
            .build();
        let [root] = <[SigningKey; 1]>::try_from(roots).unwrap();
        let [d1, d2, retired] = <[_; 3]>::try_from(dispatchers).unwrap();
        let [publisher] = <[SigningKey; 1]>::try_from(publishers).unwrap();
        Net {
            root,
            d1: d1.signing,
            d2: d2.signing,
            retired: retired.signing,
            publisher,
            stranger: signing_key("hub-tests/stranger"),
            seal: d1.seal,
            profile,
        }
    }

    pub fn profile(&self, version: u64) -> NetworkProfile {
        let mut profile = self.profile.clone();
        profile.version = version;
        profile
    }

    pub fn signed_profile(&self, version: u64) -> Vec<u8> {
        sign_profile(&self.profile(version), &[&self.root])
    }

    pub fn watchlist(&self, version: u64, key: &SigningKey) -> Vec<u8> {
        WatchlistBuilder::new().version(version).sign(key).unwrap()
    }

    /// The bundled content tree signed by the network's publisher; returns (pack_id, bytes).
    pub fn pack(&self, version: u64) -> (String, Vec<u8>) {
        let mut payload = pack::bundled_pack().unwrap();
        payload.version = version;
        let bytes = sign_pack(&payload, &self.publisher).unwrap();
        (payload.pack_id, bytes)
    }

    /// Signs with both dispatchers (enough for any certainty).
    pub fn sign(&self, a: &Alert) -> Vec<u8> {
        sign_alert(a, &[&self.d1, &self.d2]).unwrap()
    }
}

/// An `observed` alert of `chi` in English over 47th and Ashland (800 m) and `regions`, sent a
/// minute ago and in force for two hours.
pub fn alert(id: &str, regions: &[&str]) -> Alert {
    AlertBuilder::new(id)
        .now(Utc::now())
        .without_text("es")
        .regions(regions)
        .build()
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
        // The tests' push endpoints are on loopback.
        config.egress.allow_private_endpoints = true;
        Fixture {
            dir,
            net,
            pack_id,
            config,
        }
    }

    /// Re-signs the profile (same version) with `extra` regions (code, name) added, before the hub
    /// starts: alerts must lie within the profile's regions.
    pub fn with_regions(&self, extra: &[(&str, &str)]) {
        let mut profile = self.net.profile(1);
        for (code, name) in extra {
            profile.regions.push(silbato_core::network::Region {
                code: (*code).to_owned(),
                name: (*name).to_owned(),
                polygon: None,
            });
        }
        std::fs::write(
            self.path("network.json"),
            sign_profile(&profile, &[&self.net.root]),
        )
        .unwrap();
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
