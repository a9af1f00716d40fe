//! Network profiles: the signed document that describes one rapid-response network — its hub,
//! regions, root keys, publisher keys (packs, watch-lists), dispatcher keys (alerts) with validity
//! windows, the alert policy, and hotlines.
//!
//! This module owns the profile format, its validation, its QR form and fingerprints, and opening a
//! profile on its own terms (signed by one of the root keys it lists). Installing one (trust on
//! first use, updates signed by an installed root) is the device's, in `silbato-core`. It must
//! never return a profile whose signature did not verify.

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, sha256};
use crate::envelope::Envelope;
use crate::error::{DocKind, Error, Result};
use crate::geo::{Point, Polygon, validate_polygon};
use crate::seal::SealPublicKey;

pub use crate::error::ProfileError;

pub const NETWORK_KIND: &str = "silbato.network";
pub const MAX_PROFILE_BYTES: usize = 256 * 1024;
/// Prefix of a profile carried in a QR code: the envelope's bytes in unpadded URL-safe base64.
pub const QR_PREFIX: &str = "SILBATO-NET1:";
/// The most text one QR code holds (version 40, error correction L, byte mode): 2,953 bytes.
pub const MAX_QR_BYTES: usize = 2953;

/// How many distinct dispatcher signatures an alert of each certainty needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertPolicy {
    pub observed: u8,
    pub likely: u8,
    pub possible: u8,
    pub unverified: u8,
}

impl Default for AlertPolicy {
    /// The two-person rule for what is reported as seen first-hand.
    fn default() -> Self {
        AlertPolicy {
            observed: 2,
            likely: 1,
            possible: 1,
            unverified: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// `US-IL-CHI`-style code; what a device may tell a hub it follows.
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polygon: Option<Vec<Point>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedKey {
    pub key: PublicKey,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatcherKey {
    pub key: PublicKey,
    pub name: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// Where sealed sighting reports for this dispatcher go (X25519, HPKE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal_key: Option<SealPublicKey>,
}

/// The longest validity an organizer's tool gives a new dispatcher key: ten years.
pub const MAX_DISPATCHER_DAYS: i64 = 3650;

impl DispatcherKey {
    /// A dispatcher key valid from an hour before `now` (clocks differ) for `days` days, clamped
    /// to 1..=[`MAX_DISPATCHER_DAYS`]: the rule the organizer's tools use for a new profile.
    pub fn valid_for_days(
        key: PublicKey,
        name: String,
        seal_key: Option<SealPublicKey>,
        now: DateTime<Utc>,
        days: i64,
    ) -> Result<DispatcherKey> {
        let valid_until = chrono::Duration::try_days(days.clamp(1, MAX_DISPATCHER_DAYS))
            .and_then(|d| now.checked_add_signed(d))
            .ok_or(ProfileError::DispatcherWindow)?;
        Ok(DispatcherKey {
            key,
            name,
            valid_from: now - chrono::Duration::hours(1),
            valid_until,
            seal_key,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkHotline {
    pub name: String,
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// What a network's root keys sign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkProfile {
    pub format: u32,
    pub network_id: String,
    pub name: String,
    /// Strictly increasing; an update must be newer than the installed one.
    pub version: u64,
    pub issued: NaiveDate,
    pub hub_url: String,
    pub regions: Vec<Region>,
    pub root_keys: Vec<PublicKey>,
    pub publisher_keys: Vec<NamedKey>,
    pub dispatcher_keys: Vec<DispatcherKey>,
    pub alert_policy: AlertPolicy,
    #[serde(default)]
    pub hotlines: Vec<NetworkHotline>,
}

/// A new network profile as an organizer's tool writes it (`silbato network create`): format 1,
/// region codes in upper case, dispatcher keys valid from an hour ago for a number of days, and
/// every rule of [`NetworkProfile::validate`] checked by [`ProfileDraft::build`] before anyone
/// signs it.
#[derive(Debug, Clone)]
pub struct ProfileDraft {
    profile: NetworkProfile,
    /// Seal keys given apart from their dispatchers ([`ProfileDraft::seal_keys`]).
    seal_keys: Vec<SealPublicKey>,
}

impl ProfileDraft {
    pub fn new(
        network_id: &str,
        name: &str,
        version: u64,
        hub_url: &str,
        issued: NaiveDate,
    ) -> Self {
        ProfileDraft {
            profile: NetworkProfile {
                format: 1,
                network_id: network_id.to_owned(),
                name: name.to_owned(),
                version,
                issued,
                hub_url: hub_url.to_owned(),
                regions: Vec::new(),
                root_keys: Vec::new(),
                publisher_keys: Vec::new(),
                dispatcher_keys: Vec::new(),
                alert_policy: AlertPolicy::default(),
                hotlines: Vec::new(),
            },
            seal_keys: Vec::new(),
        }
    }

    pub fn region(mut self, code: &str, name: &str) -> Self {
        self.profile.regions.push(Region {
            code: code.to_ascii_uppercase(),
            name: name.to_owned(),
            polygon: None,
        });
        self
    }

    pub fn root_key(mut self, key: PublicKey) -> Self {
        self.profile.root_keys.push(key);
        self
    }

    pub fn publisher(mut self, key: PublicKey, name: &str) -> Self {
        self.profile.publisher_keys.push(NamedKey {
            key,
            name: name.to_owned(),
        });
        self
    }

    /// A dispatcher whose key is valid for `days` from `now` ([`DispatcherKey::valid_for_days`]).
    pub fn dispatcher(
        mut self,
        key: PublicKey,
        name: &str,
        seal_key: Option<SealPublicKey>,
        now: DateTime<Utc>,
        days: i64,
    ) -> Result<Self> {
        self.profile
            .dispatcher_keys
            .push(DispatcherKey::valid_for_days(
                key,
                name.to_owned(),
                seal_key,
                now,
                days,
            )?);
        Ok(self)
    }

    pub fn policy(mut self, policy: AlertPolicy) -> Self {
        self.profile.alert_policy = policy;
        self
    }

    pub fn hotline(mut self, name: &str, number: &str) -> Self {
        self.profile.hotlines.push(NetworkHotline {
            name: name.to_owned(),
            number: number.to_owned(),
            region: None,
        });
        self
    }

    /// Seal (report) keys for the dispatchers in the order they were added, as a tool's
    /// `--dispatcher-seal-key` flags give them: the first to the first dispatcher, and so on.
    /// More seal keys than dispatchers is refused by [`ProfileDraft::build`]
    /// ([`ProfileError::SealKeyWithoutDispatcher`]), never silently dropped.
    pub fn seal_keys(mut self, keys: Vec<SealPublicKey>) -> Self {
        self.seal_keys = keys;
        self
    }

    /// The profile, if it meets every rule; unsigned (see `envelope::seal`).
    pub fn build(mut self) -> Result<NetworkProfile> {
        if self.seal_keys.len() > self.profile.dispatcher_keys.len() {
            return Err(invalid(ProfileError::SealKeyWithoutDispatcher));
        }
        for (d, k) in self
            .profile
            .dispatcher_keys
            .iter_mut()
            .zip(std::mem::take(&mut self.seal_keys))
        {
            d.seal_key = Some(k);
        }
        self.profile.validate()?;
        Ok(self.profile)
    }
}

fn invalid(e: ProfileError) -> Error {
    e.into()
}

impl NetworkProfile {
    pub fn validate(&self) -> Result<()> {
        if self.format != 1 {
            return Err(Error::UnsupportedFormat {
                what: DocKind::Envelope,
                found: self.format,
            });
        }
        let id_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !id_ok(&self.network_id) {
            return Err(invalid(ProfileError::Id));
        }
        if self.name.trim().is_empty()
            || self.name.chars().count() > 100
            || self.name.chars().any(char::is_control)
        {
            return Err(invalid(ProfileError::Name));
        }
        if self.version == 0 || i64::try_from(self.version).is_err() {
            return Err(invalid(ProfileError::Version));
        }
        // Plain http only for a hub on this machine (tests, the demo); anything else is https,
        // with no user name or password. Paths are appended to it, so no query or fragment.
        if hub_without_host(&self.hub_url) {
            return Err(invalid(ProfileError::HubHost));
        }
        let hub_ok = self.hub_url.len() <= 300
            && crate::urls::checked_url(&self.hub_url)
                .is_ok_and(|u| u.query().is_none() && u.fragment().is_none());
        if !hub_ok {
            return Err(invalid(ProfileError::HubUrl));
        }
        let printable = |s: &str, max: usize| {
            !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
        };
        if !self.regions.iter().all(|r| printable(&r.name, 100))
            || !self.publisher_keys.iter().all(|k| printable(&k.name, 100))
            || !self.dispatcher_keys.iter().all(|k| printable(&k.name, 100))
            || !self
                .hotlines
                .iter()
                .all(|h| printable(&h.name, 100) && printable(&h.number, 32))
        {
            return Err(invalid(ProfileError::Text));
        }
        if self.root_keys.is_empty() || self.root_keys.len() > 16 {
            return Err(invalid(ProfileError::RootKeys));
        }
        if self.regions.len() > 500
            || self.publisher_keys.len() > 64
            || self.dispatcher_keys.len() > 256
            || self.hotlines.len() > 200
        {
            return Err(invalid(ProfileError::TooManyEntries));
        }
        for r in &self.regions {
            let code_ok = !r.code.is_empty()
                && r.code.len() <= 32
                && r.code.split('-').all(|p| {
                    !p.is_empty()
                        && p.bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                });
            if !code_ok {
                return Err(invalid(ProfileError::RegionCode));
            }
            if let Some(ring) = &r.polygon {
                validate_polygon(&Polygon { ring: ring.clone() })
                    .map_err(|_| invalid(ProfileError::RegionPolygon))?;
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in &self.dispatcher_keys {
            if d.valid_until <= d.valid_from {
                return Err(invalid(ProfileError::DispatcherWindow));
            }
            if !seen.insert(d.key) {
                return Err(invalid(ProfileError::DuplicateDispatcher));
            }
        }
        let p = &self.alert_policy;
        let counts = [p.observed, p.likely, p.possible, p.unverified];
        if counts.iter().any(|&n| n == 0 || n > 16) {
            return Err(invalid(ProfileError::Policy));
        }
        // A policy no set of this profile's dispatchers can meet would make its alerts (and every
        // update or cancel, which needs the strictest level) impossible. A profile with no
        // dispatchers at all (packs and watch-lists only) sends no alerts, so it is not held to it.
        let most = counts.iter().copied().max().unwrap_or(0);
        if !self.dispatcher_keys.is_empty() && usize::from(most) > self.dispatcher_keys.len() {
            return Err(invalid(ProfileError::PolicyExceedsDispatchers));
        }
        Ok(())
    }

    /// A short form of the root key set to compare out of band (read aloud, shown at a training).
    pub fn fingerprint(&self) -> String {
        root_fingerprint(&self.root_keys)
    }

    pub fn dispatcher(&self, key: &PublicKey) -> Option<&DispatcherKey> {
        self.dispatcher_keys.iter().find(|d| d.key == *key)
    }
}

/// SHA-256 over the sorted root keys, first 10 bytes in groups of four hex digits.
pub fn root_fingerprint(keys: &[PublicKey]) -> String {
    let mut sorted: Vec<&PublicKey> = keys.iter().collect();
    sorted.sort();
    let mut bytes = Vec::new();
    for k in sorted {
        bytes.extend_from_slice(k.as_bytes());
    }
    crate::crypto::fingerprint_text(&sha256(&bytes))
}

/// Decodes a profile from a file's bytes or from the text of a QR code.
pub fn decode_qr(text: &str) -> Result<Vec<u8>> {
    let b64 = text
        .trim()
        .strip_prefix(QR_PREFIX)
        .ok_or(invalid(ProfileError::NotAQrCode))?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64.trim())
        .map_err(|_| Error::Malformed {
            what: DocKind::Envelope,
            line: 0,
            column: 0,
        })
}

pub fn encode_qr(envelope: &[u8]) -> String {
    format!(
        "{QR_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(envelope)
    )
}

/// The QR text of a signed profile, if it fits in one QR code ([`MAX_QR_BYTES`]); otherwise
/// [`ProfileError::QrTooLong`]: share the file instead.
pub fn qr_text(envelope: &[u8]) -> Result<String> {
    let text = encode_qr(envelope);
    if text.len() > MAX_QR_BYTES {
        return Err(invalid(ProfileError::QrTooLong));
    }
    Ok(text)
}

/// A hub URL that parses as a URL except that it names no host (`https://`, `https://:443/`).
fn hub_without_host(raw: &str) -> bool {
    match url::Url::parse(raw) {
        Err(url::ParseError::EmptyHost) => true,
        Ok(u) => matches!(u.scheme(), "http" | "https") && u.host_str().is_none_or(str::is_empty),
        Err(_) => false,
    }
}

/// Verifies a profile on its own terms: signed by at least one of the root keys it lists.
pub fn open_profile(bytes: &[u8]) -> Result<(NetworkProfile, Vec<PublicKey>)> {
    let env = Envelope::parse(bytes, DocKind::Envelope, NETWORK_KIND, MAX_PROFILE_BYTES)?;
    // Which keys may sign is in the payload, so read it only to learn the candidate root keys,
    // and trust nothing from it until a root key's signature over these exact bytes verifies.
    let claimed: NetworkProfile = serde_json::from_slice(&env.payload)
        .map_err(|e| Error::from_json(DocKind::Envelope, &e))?;
    let signers = env.verify(DocKind::Envelope, |k| claimed.root_keys.contains(k))?;
    claimed.validate()?;
    Ok((claimed, signers))
}

/// A fingerprint as typed or read aloud, reduced to lowercase hex digits for comparison.
pub fn normalize_fingerprint(f: &str) -> String {
    f.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Region polygons by code, across every installed network.
pub fn region_polygons(profiles: &[NetworkProfile]) -> BTreeMap<String, Polygon> {
    profiles
        .iter()
        .flat_map(|p| p.regions.iter())
        .filter_map(|r| {
            r.polygon
                .as_ref()
                .map(|ring| (r.code.clone(), Polygon { ring: ring.clone() }))
        })
        .collect()
}
