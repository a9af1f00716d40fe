//! Networks made in code: [`NetworkBuilder`] describes one (id, name, hub, regions, root keys,
//! dispatchers with validity windows and report keys, publishers, alert policy, hotlines) and
//! [`NetworkBuilder::build`] gives a [`TestNetwork`]: the profile, every secret key behind it,
//! and the profile's envelope signed by its root key(s).
//!
//! This module owns the defaults a test network has (the `chi` network of most tests). Keys come
//! from `crate::keys`, so the same builder gives the same keys and fingerprint on every run. It
//! must never validate or refuse what it is asked to build: tests build invalid profiles on
//! purpose, and [`NetworkProfile::validate`] or `open_profile` is theirs to call.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use silbato_proto::crypto::{PublicKey, SigningKey};
use silbato_proto::envelope;
use silbato_proto::geo::Point;
use silbato_proto::network::{
    AlertPolicy, DispatcherKey, NETWORK_KIND, NamedKey, NetworkHotline, NetworkProfile, Region,
    encode_qr, root_fingerprint,
};
use silbato_proto::protocol::{DispatcherKeys, report_recipients};
use silbato_proto::seal::SealPublicKey;

use crate::alert::AlertBuilder;
use crate::keys;
use crate::report::ReportBuilder;

pub use crate::DEFAULT_NETWORK_ID;
pub const DEFAULT_NETWORK_NAME: &str = "Chicago Rapid Response";
pub const DEFAULT_HUB_URL: &str = "https://hub.example.org";
/// Names given to dispatchers in order by [`NetworkBuilder::dispatchers`]; then `Dispatcher N`.
pub const DISPATCHER_NAMES: &[&str] = &["Ana", "Luis", "Maya", "Omar", "Rosa", "Teo"];

/// The Chicago box of the fuzz fixtures and the demo: a valid region polygon.
pub fn chicago_ring() -> Vec<Point> {
    vec![
        Point {
            lat: 41.64,
            lon: -87.94,
        },
        Point {
            lat: 42.02,
            lon: -87.94,
        },
        Point {
            lat: 42.02,
            lon: -87.52,
        },
        Point {
            lat: 41.64,
            lon: -87.52,
        },
    ]
}

/// When a dispatcher key is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    /// The builder's window (by default a day before `now` to 30 days after).
    Default,
    /// Offsets from the builder's `now`.
    Relative(Duration, Duration),
    Absolute(DateTime<Utc>, DateTime<Utc>),
}

/// One dispatcher of a [`NetworkBuilder`]: its name in the profile, the label its keys come
/// from, its validity window, and whether the profile lists its report (seal) key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatcherSpec {
    name: String,
    key_label: Option<String>,
    window: Window,
    list_seal_key: bool,
}

impl DispatcherSpec {
    /// A dispatcher named `name`, valid in the builder's window, its seal key listed.
    pub fn new(name: &str) -> Self {
        DispatcherSpec {
            name: name.to_owned(),
            key_label: None,
            window: Window::Default,
            list_seal_key: true,
        }
    }

    /// Derives the keys from `label` (under the builder's seed) instead of the name.
    pub fn key_label(mut self, label: &str) -> Self {
        self.key_label = Some(label.to_owned());
        self
    }

    /// Valid from `from` to `until`, absolute.
    pub fn valid(mut self, from: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        self.window = Window::Absolute(from, until);
        self
    }

    /// Valid from `now + from` to `now + until`, `now` being the builder's (negative offsets are
    /// in the past: `valid_around(-Duration::days(60), -Duration::days(1))` is a retired key).
    pub fn valid_around(mut self, from: Duration, until: Duration) -> Self {
        self.window = Window::Relative(from, until);
        self
    }

    /// The profile does not list this dispatcher's seal key: no report is sealed to it.
    pub fn without_seal_key(mut self) -> Self {
        self.list_seal_key = false;
        self
    }
}

/// A network profile and its keys, to build. Defaults: network `chi`, "Chicago Rapid Response",
/// version 1, hub `https://hub.example.org`, region `US-IL-CHI` (Chicago, no polygon), one root
/// key, dispatchers Ana and Luis (valid from a day before `now` to 30 days after, seal keys
/// listed), one publisher ("Publisher"), the default alert policy (two signatures for
/// `observed`), no hotlines, `now` = [`crate::fixed_now`], issued on `now`'s date. Keys are
/// derived from the seed (by default the network id) and each key's role and name.
#[derive(Debug, Clone)]
pub struct NetworkBuilder {
    id: String,
    name: String,
    version: u64,
    issued: Option<NaiveDate>,
    hub_url: String,
    now: DateTime<Utc>,
    seed: Option<String>,
    regions: Vec<Region>,
    roots: usize,
    profile_signers: usize,
    dispatchers: Vec<DispatcherSpec>,
    list_seal_keys: bool,
    window: (Duration, Duration),
    publishers: Vec<String>,
    /// `None`: the default policy, each count capped at the number of dispatchers (a profile
    /// may not need more signatures than it has dispatchers).
    policy: Option<AlertPolicy>,
    hotlines: Vec<NetworkHotline>,
}

impl Default for NetworkBuilder {
    fn default() -> Self {
        NetworkBuilder::new(DEFAULT_NETWORK_ID)
    }
}

impl NetworkBuilder {
    /// The defaults above with network id `id` (the name stays the default one).
    pub fn new(id: &str) -> Self {
        NetworkBuilder {
            id: id.to_owned(),
            name: DEFAULT_NETWORK_NAME.to_owned(),
            version: 1,
            issued: None,
            hub_url: DEFAULT_HUB_URL.to_owned(),
            now: crate::fixed_now(),
            seed: None,
            regions: vec![Region {
                code: "US-IL-CHI".into(),
                name: "Chicago".into(),
                polygon: None,
            }],
            roots: 1,
            profile_signers: 1,
            dispatchers: DISPATCHER_NAMES[..2]
                .iter()
                .map(|n| DispatcherSpec::new(n))
                .collect(),
            list_seal_keys: true,
            window: (Duration::days(-1), Duration::days(30)),
            publishers: vec!["Publisher".into()],
            policy: None,
            hotlines: Vec::new(),
        }
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    pub fn version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }

    /// The profile's issue date (by default `now`'s date).
    pub fn issued(mut self, date: NaiveDate) -> Self {
        self.issued = Some(date);
        self
    }

    pub fn hub_url(mut self, url: &str) -> Self {
        self.hub_url = url.to_owned();
        self
    }

    /// The time validity windows (and [`TestNetwork::alert`]'s times) are relative to. Pass
    /// `Utc::now()` when the code under test reads the clock.
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    /// Where the keys come from (by default the network id): two builders with different seeds
    /// are two strangers' networks, even under the same id.
    pub fn seed(mut self, seed: &str) -> Self {
        self.seed = Some(seed.to_owned());
        self
    }

    /// Replaces the regions.
    pub fn regions(mut self, regions: Vec<Region>) -> Self {
        self.regions = regions;
        self
    }

    /// Adds a region without a polygon.
    pub fn region(mut self, code: &str, name: &str) -> Self {
        self.regions.push(Region {
            code: code.to_owned(),
            name: name.to_owned(),
            polygon: None,
        });
        self
    }

    /// Adds a region with a polygon (one outer ring).
    pub fn region_with_polygon(mut self, code: &str, name: &str, ring: Vec<Point>) -> Self {
        self.regions.push(Region {
            code: code.to_owned(),
            name: name.to_owned(),
            polygon: Some(ring),
        });
        self
    }

    /// How many root keys the profile lists (the envelope is signed by the first
    /// [`NetworkBuilder::profile_signers`] of them).
    pub fn roots(mut self, n: usize) -> Self {
        self.roots = n;
        self
    }

    /// How many of the root keys sign the profile's envelope (default 1).
    pub fn profile_signers(mut self, n: usize) -> Self {
        self.profile_signers = n;
        self
    }

    /// Replaces the dispatchers with `n` default ones (Ana, Luis, Maya, ...).
    pub fn dispatchers(mut self, n: usize) -> Self {
        self.dispatchers = (0..n)
            .map(|i| match DISPATCHER_NAMES.get(i) {
                Some(name) => DispatcherSpec::new(name),
                None => DispatcherSpec::new(&format!("Dispatcher {}", i + 1)),
            })
            .collect();
        self
    }

    /// Adds a dispatcher.
    pub fn dispatcher(mut self, spec: DispatcherSpec) -> Self {
        self.dispatchers.push(spec);
        self
    }

    /// Lists no dispatcher's seal key in the profile (the keys still exist in
    /// [`TestNetwork::dispatchers`]): a network that cannot receive reports.
    pub fn without_seal_keys(mut self) -> Self {
        self.list_seal_keys = false;
        self
    }

    /// The window of dispatchers that have none of their own, as offsets from `now` (default
    /// `-1 day` to `+30 days`).
    pub fn dispatcher_window(mut self, from: Duration, until: Duration) -> Self {
        self.window = (from, until);
        self
    }

    /// Replaces the publishers with `n`: "Publisher", "Publisher 2", ...
    pub fn publishers(mut self, n: usize) -> Self {
        self.publishers = (0..n)
            .map(|i| {
                if i == 0 {
                    "Publisher".to_owned()
                } else {
                    format!("Publisher {}", i + 1)
                }
            })
            .collect();
        self
    }

    /// Adds a publisher named `name`.
    pub fn publisher(mut self, name: &str) -> Self {
        self.publishers.push(name.to_owned());
        self
    }

    pub fn policy(mut self, policy: AlertPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    pub fn hotline(mut self, name: &str, number: &str, region: Option<&str>) -> Self {
        self.hotlines.push(NetworkHotline {
            name: name.to_owned(),
            number: number.to_owned(),
            region: region.map(str::to_owned),
        });
        self
    }

    /// The profile, its keys, and its envelope.
    pub fn build(self) -> TestNetwork {
        let seed = self.seed.clone().unwrap_or_else(|| self.id.clone());
        let roots: Vec<SigningKey> = (1..=self.roots)
            .map(|i| keys::signing_key(&format!("{seed}/root-{i}")))
            .collect();
        let publishers: Vec<SigningKey> = (1..=self.publishers.len())
            .map(|i| keys::signing_key(&format!("{seed}/publisher-{i}")))
            .collect();
        let dispatchers: Vec<DispatcherKeys> = self
            .dispatchers
            .iter()
            .map(|d| {
                let label = d.key_label.as_deref().unwrap_or(&d.name);
                keys::dispatcher_keys(&format!("{seed}/dispatcher/{label}"))
            })
            .collect();
        let now = self.now;
        let dispatcher_keys: Vec<DispatcherKey> = self
            .dispatchers
            .iter()
            .zip(&dispatchers)
            .map(|(spec, k)| {
                let (valid_from, valid_until) = match spec.window {
                    Window::Default => (now + self.window.0, now + self.window.1),
                    Window::Relative(from, until) => (now + from, now + until),
                    Window::Absolute(from, until) => (from, until),
                };
                DispatcherKey {
                    key: k.signing.public_key(),
                    name: spec.name.clone(),
                    valid_from,
                    valid_until,
                    seal_key: (self.list_seal_keys && spec.list_seal_key)
                        .then(|| k.seal.public_key()),
                }
            })
            .collect();
        let alert_policy = self.policy.unwrap_or_else(|| {
            let d = AlertPolicy::default();
            let cap = |n: u8| match u8::try_from(dispatcher_keys.len()) {
                Ok(0) => n,
                Ok(have) => n.min(have),
                Err(_) => n,
            };
            AlertPolicy {
                observed: cap(d.observed),
                likely: cap(d.likely),
                possible: cap(d.possible),
                unverified: cap(d.unverified),
            }
        });
        let profile = NetworkProfile {
            format: 1,
            network_id: self.id,
            name: self.name,
            version: self.version,
            issued: self.issued.unwrap_or_else(|| now.date_naive()),
            hub_url: self.hub_url,
            regions: self.regions,
            root_keys: roots.iter().map(SigningKey::public_key).collect(),
            publisher_keys: publishers
                .iter()
                .zip(self.publishers)
                .map(|(k, name)| NamedKey {
                    key: k.public_key(),
                    name,
                })
                .collect(),
            dispatcher_keys,
            alert_policy,
            hotlines: self.hotlines,
        };
        let signers: Vec<&SigningKey> = roots.iter().take(self.profile_signers).collect();
        let envelope = sign_profile(&profile, &signers);
        TestNetwork {
            profile,
            roots,
            dispatchers,
            publishers,
            envelope,
            now,
        }
    }
}

/// A network made in code: its profile, every key behind it, and the signed profile.
#[derive(Debug)]
pub struct TestNetwork {
    pub profile: NetworkProfile,
    /// In the order of `profile.root_keys`.
    pub roots: Vec<SigningKey>,
    /// In the order of `profile.dispatcher_keys`: each one's Ed25519 and X25519 keys (the seal
    /// key exists even when the profile does not list it).
    pub dispatchers: Vec<DispatcherKeys>,
    /// In the order of `profile.publisher_keys`.
    pub publishers: Vec<SigningKey>,
    /// `profile` in its envelope, signed by the first root key(s).
    pub envelope: Vec<u8>,
    /// The builder's `now`.
    pub now: DateTime<Utc>,
}

impl TestNetwork {
    /// [`NetworkBuilder::default`]: the `chi` network.
    pub fn builder() -> NetworkBuilder {
        NetworkBuilder::default()
    }

    /// The first root key.
    ///
    /// # Panics
    ///
    /// If the network was built with no root key.
    pub fn root(&self) -> &SigningKey {
        &self.roots[0]
    }

    /// Dispatcher `i`'s signing key.
    ///
    /// # Panics
    ///
    /// If there is no dispatcher `i`.
    pub fn dispatcher(&self, i: usize) -> &SigningKey {
        &self.dispatchers[i].signing
    }

    /// The signing keys of the first `n` dispatchers (all of them if there are fewer).
    pub fn dispatcher_signers(&self, n: usize) -> Vec<&SigningKey> {
        self.dispatchers
            .iter()
            .take(n)
            .map(|d| &d.signing)
            .collect()
    }

    /// The first publisher key.
    ///
    /// # Panics
    ///
    /// If the network was built with no publisher.
    pub fn publisher(&self) -> &SigningKey {
        &self.publishers[0]
    }

    pub fn id(&self) -> &str {
        &self.profile.network_id
    }

    /// The root-key fingerprint a device compares at install.
    pub fn fingerprint(&self) -> String {
        self.profile.fingerprint()
    }

    /// The envelope as the text of a QR code.
    pub fn qr(&self) -> String {
        encode_qr(&self.envelope)
    }

    /// The profile at another version, otherwise unchanged (an update to sign).
    pub fn profile_at(&self, version: u64) -> NetworkProfile {
        NetworkProfile {
            version,
            ..self.profile.clone()
        }
    }

    /// [`TestNetwork::profile_at`] signed by the first root key.
    pub fn signed_profile_at(&self, version: u64) -> Vec<u8> {
        sign_profile(&self.profile_at(version), &[self.root()])
    }

    /// The seal keys a device would seal a report to at the builder's `now`.
    pub fn report_recipients(&self) -> Vec<SealPublicKey> {
        report_recipients(&self.profile, self.now)
    }

    /// An alert of this network at the builder's `now`.
    pub fn alert(&self, id: &str) -> AlertBuilder {
        AlertBuilder::new(id)
            .network(&self.profile.network_id)
            .now(self.now)
    }

    /// A report for this network's dispatchers at the builder's `now`.
    pub fn report(&self) -> ReportBuilder {
        ReportBuilder::new(&self.profile.network_id).now(self.now)
    }
}

/// `profile` in its envelope, signed by every key in `signers` (none is allowed: a document no
/// device accepts).
///
/// # Panics
///
/// Never: a profile always serializes.
pub fn sign_profile(profile: &NetworkProfile, signers: &[&SigningKey]) -> Vec<u8> {
    let payload = serde_json::to_vec(profile).expect("a profile serializes");
    envelope::seal(NETWORK_KIND, &payload, signers).expect("an envelope serializes")
}

/// The fingerprint of a set of root keys, as a device shows it.
pub fn fingerprint_of(roots: &[&SigningKey]) -> String {
    let keys: Vec<PublicKey> = roots.iter().map(|k| k.public_key()).collect();
    root_fingerprint(&keys)
}

#[cfg(test)]
mod tests {
    use silbato_proto::network::open_profile;

    use super::*;

    #[test]
    fn the_default_network_is_valid_signed_and_stable() {
        let net = TestNetwork::builder().build();
        net.profile.validate().unwrap();
        let (opened, signers) = open_profile(&net.envelope).unwrap();
        assert_eq!(opened, net.profile);
        assert_eq!(signers, vec![net.root().public_key()]);
        assert_eq!(
            net.fingerprint(),
            TestNetwork::builder().build().fingerprint()
        );
        assert_eq!(net.fingerprint(), fingerprint_of(&[net.root()]));
        assert_ne!(
            net.fingerprint(),
            TestNetwork::builder().seed("other").build().fingerprint()
        );
        assert_eq!(net.report_recipients().len(), 2);
        assert_eq!(
            net.profile.dispatcher_keys[0].valid_from,
            net.now - Duration::days(1)
        );
    }

    #[test]
    fn every_knob_reaches_the_profile() {
        let now = crate::fixed_now();
        let net = NetworkBuilder::new("nyc")
            .name("New York")
            .version(7)
            .hub_url("http://127.0.0.1:9")
            .now(now)
            .regions(vec![])
            .region_with_polygon("US-IL-CHI", "Chicago", chicago_ring())
            .region("US-IL", "Illinois")
            .roots(3)
            .profile_signers(2)
            .dispatchers(7)
            .dispatcher(
                DispatcherSpec::new("Old key")
                    .valid_around(Duration::days(-60), Duration::days(-1))
                    .without_seal_key(),
            )
            .publishers(2)
            .policy(AlertPolicy {
                observed: 3,
                likely: 2,
                possible: 1,
                unverified: 1,
            })
            .hotline("Hotline", "+1 312 555 0100", Some("US-IL-CHI"))
            .build();
        net.profile.validate().unwrap();
        let (_, signers) = open_profile(&net.envelope).unwrap();
        assert_eq!(signers.len(), 2);
        assert_eq!(net.profile.root_keys.len(), 3);
        assert_eq!(net.profile.dispatcher_keys.len(), 8);
        assert_eq!(net.profile.dispatcher_keys[6].name, "Dispatcher 7");
        let old = &net.profile.dispatcher_keys[7];
        assert_eq!(old.valid_until, now - Duration::days(1));
        assert_eq!(old.seal_key, None);
        assert_eq!(net.report_recipients().len(), 7);
        assert_eq!(net.profile.publisher_keys[1].name, "Publisher 2");
        assert_eq!(net.profile_at(8).version, 8);
        let (v8, _) = open_profile(&net.signed_profile_at(8)).unwrap();
        assert_eq!(v8.version, 8);
        assert!(
            TestNetwork::builder()
                .without_seal_keys()
                .build()
                .report_recipients()
                .is_empty()
        );
        assert!(net.qr().starts_with("SILBATO-NET1:"));
    }
}
