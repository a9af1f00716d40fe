//! Network profiles: the signed document that describes one rapid-response network — its hub,
//! regions, root keys, publisher keys (packs, watch-lists), dispatcher keys (alerts) with validity
//! windows, the alert policy, and hotlines.
//!
//! This module owns the profile format, the trust rule for installing one (a first install is
//! signed by one of its own root keys and shown by fingerprint to compare out of band; an update
//! must be newer and signed by a root key of the installed version, which is how root keys rotate),
//! and the profile table in `inbox.db`. It must never accept a profile whose signature did not
//! verify, and never let a profile change another network's entry.

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, sha256};
use crate::envelope::Envelope;
use crate::error::{DocKind, Error, Result};
use crate::inbox::geo::{Point, Polygon, validate_polygon};
use crate::seal::SealPublicKey;
use crate::store::Store;

pub const NETWORK_KIND: &str = "silbato.network";
pub const MAX_PROFILE_BYTES: usize = 256 * 1024;
/// Prefix of a profile carried in a QR code: the envelope's bytes in unpadded URL-safe base64.
pub const QR_PREFIX: &str = "SILBATO-NET1:";

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

fn invalid(reason: &'static str) -> Error {
    Error::InvalidInput { reason }
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
            return Err(invalid("a network id is a lowercase id"));
        }
        if self.name.trim().is_empty()
            || self.name.chars().count() > 100
            || self.name.chars().any(char::is_control)
        {
            return Err(invalid("a network name is 1 to 100 printable characters"));
        }
        if self.version == 0 || i64::try_from(self.version).is_err() {
            return Err(invalid("network profile version out of range"));
        }
        // Plain http only for a hub on this machine (tests, the demo); anything else is https.
        let local = crate::protocol::is_loopback_http(&self.hub_url);
        if !(self.hub_url.starts_with("https://") || local)
            || self.hub_url.len() > 300
            || self.hub_url.chars().any(char::is_control)
        {
            return Err(invalid(
                "the hub URL must be https (http only for 127.0.0.1 or localhost)",
            ));
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
            return Err(invalid(
                "names and numbers in a profile are short printable text",
            ));
        }
        if self.root_keys.is_empty() || self.root_keys.len() > 16 {
            return Err(invalid("a network has 1 to 16 root keys"));
        }
        if self.regions.len() > 500
            || self.publisher_keys.len() > 64
            || self.dispatcher_keys.len() > 256
            || self.hotlines.len() > 200
        {
            return Err(invalid("a network profile has too many entries"));
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
                return Err(invalid("a region code looks like US-IL-CHI"));
            }
            if let Some(ring) = &r.polygon {
                validate_polygon(&Polygon { ring: ring.clone() })
                    .map_err(|_| invalid("a region polygon is invalid"))?;
            }
        }
        for d in &self.dispatcher_keys {
            if d.valid_until <= d.valid_from {
                return Err(invalid("a dispatcher key's validity window is empty"));
            }
        }
        let p = &self.alert_policy;
        if [p.observed, p.likely, p.possible, p.unverified]
            .iter()
            .any(|&n| n == 0 || n > 16)
        {
            return Err(invalid(
                "the alert policy needs 1 to 16 signatures per certainty",
            ));
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
    let hex: String = sha256(&bytes)
        .iter()
        .take(10)
        .map(|b| format!("{b:02x}"))
        .collect();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Decodes a profile from a file's bytes or from the text of a QR code.
pub fn decode_qr(text: &str) -> Result<Vec<u8>> {
    let b64 = text
        .trim()
        .strip_prefix(QR_PREFIX)
        .ok_or(invalid("not a Silbato network QR code"))?;
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

/// What installing a profile did.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkInstall {
    pub network_id: String,
    pub name: String,
    pub version: u64,
    pub previous_version: Option<u64>,
    pub fingerprint: String,
    /// The root key set changed (rotation), signed off by the previous roots.
    pub roots_rotated: bool,
    /// The user compared the fingerprint: the network's alerts and publisher keys count.
    pub confirmed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkSummary {
    pub confirmed: bool,
    pub network_id: String,
    pub name: String,
    pub version: u64,
    pub hub_url: String,
    pub fingerprint: String,
    pub regions: Vec<String>,
}

/// Installs or updates a profile inside the caller's transaction. A first install is confirmed
/// only when `expected_fingerprint` is given and matches; an update keeps the confirmation.
pub(crate) fn install(
    tx: &Connection,
    bytes: &[u8],
    expected_fingerprint: Option<&str>,
) -> Result<NetworkInstall> {
    let env = Envelope::parse(bytes, DocKind::Envelope, NETWORK_KIND, MAX_PROFILE_BYTES)?;
    let profiles = load_all(tx)?;
    // An update is recognised by its signature alone: a root key of an installed network signed
    // these exact bytes. Every such network is considered, so a profile that merely lists
    // another network's root cannot shadow it.
    let signed_by: Vec<&NetworkProfile> = profiles
        .iter()
        .filter(|old| {
            env.signatures
                .iter()
                .any(|(k, _)| old.root_keys.contains(k))
                && env
                    .verify(DocKind::Envelope, |k| old.root_keys.contains(k))
                    .is_ok()
        })
        .collect();
    let update_of = if signed_by.is_empty() {
        None
    } else {
        let claimed: NetworkProfile = serde_json::from_slice(&env.payload)
            .map_err(|e| Error::from_json(DocKind::Envelope, &e))?;
        signed_by
            .into_iter()
            .find(|old| old.network_id == claimed.network_id)
            .map(|old| (claimed, old))
    };
    let (claimed, installed) = match update_of {
        Some((claimed, old)) => (claimed, Some(old.clone())),
        None => {
            // A first install is trust on first use: signed by a root key it lists, compared by
            // fingerprint out of band before its alerts count.
            let (claimed, _) = open_profile(bytes)?;
            if profiles.iter().any(|p| p.network_id == claimed.network_id) {
                // Same id, not signed by the installed roots: a takeover attempt.
                return Err(Error::UntrustedKey {
                    what: DocKind::Envelope,
                });
            }
            let authority = |p: &NetworkProfile| -> Vec<PublicKey> {
                p.root_keys
                    .iter()
                    .copied()
                    .chain(p.dispatcher_keys.iter().map(|d| d.key))
                    .collect()
            };
            let mine = authority(&claimed);
            if profiles
                .iter()
                .any(|p| authority(p).iter().any(|k| mine.contains(k)))
            {
                return Err(invalid(
                    "this profile reuses the root or dispatcher keys of an installed network",
                ));
            }
            (claimed, None)
        }
    };
    claimed.validate()?;
    if let Some(old) = &installed
        && claimed.version <= old.version
    {
        return Err(Error::Rollback {
            pack_id: claimed.network_id.clone(),
            installed: old.version,
            offered: claimed.version,
        });
    }
    let roots_rotated = installed
        .as_ref()
        .is_some_and(|old| root_fingerprint(&old.root_keys) != claimed.fingerprint());
    let was_confirmed: bool = tx
        .query_row(
            "SELECT confirmed FROM networks WHERE network_id = ?1",
            [&claimed.network_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false);
    let confirmed = match expected_fingerprint {
        Some(f) if normalize_fingerprint(f) != normalize_fingerprint(&claimed.fingerprint()) => {
            return Err(invalid(
                "the fingerprint does not match this profile; do not install it",
            ));
        }
        Some(_) => true,
        None => was_confirmed,
    };
    tx.execute(
        "INSERT OR REPLACE INTO networks (network_id, version, profile, envelope, confirmed, installed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            claimed.network_id,
            i64::try_from(claimed.version).unwrap_or(i64::MAX),
            serde_json::to_string(&claimed).map_err(|_| Error::Crypto)?,
            bytes,
            confirmed,
            Utc::now().timestamp()
        ],
    )?;
    Ok(NetworkInstall {
        network_id: claimed.network_id.clone(),
        name: claimed.name.clone(),
        version: claimed.version,
        previous_version: installed.map(|o| o.version),
        fingerprint: claimed.fingerprint(),
        roots_rotated,
        confirmed,
    })
}

pub(crate) fn load(c: &Connection, network_id: &str) -> Result<Option<NetworkProfile>> {
    let text: Option<String> = c
        .query_row(
            "SELECT profile FROM networks WHERE network_id = ?1",
            [network_id],
            |r| r.get(0),
        )
        .optional()?;
    text.map(|t| serde_json::from_str(&t).map_err(|_| Error::Corrupt { store: "inbox" }))
        .transpose()
}

pub(crate) fn load_all(c: &Connection) -> Result<Vec<NetworkProfile>> {
    let mut stmt = c.prepare_cached("SELECT profile FROM networks ORDER BY network_id")?;
    let texts = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    texts
        .iter()
        .map(|t| serde_json::from_str(t).map_err(|_| Error::Corrupt { store: "inbox" }))
        .collect()
}

fn normalize_fingerprint(f: &str) -> String {
    f.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Marks a network confirmed after the user compared its fingerprint out of band.
pub(crate) fn confirm(tx: &Connection, network_id: &str, fingerprint: &str) -> Result<()> {
    let profile = load(tx, network_id)?.ok_or(Error::NotFound { what: "network" })?;
    if normalize_fingerprint(fingerprint) != normalize_fingerprint(&profile.fingerprint()) {
        return Err(invalid(
            "the fingerprint does not match this network; it may be a forgery",
        ));
    }
    tx.execute(
        "UPDATE networks SET confirmed = 1 WHERE network_id = ?1",
        [network_id],
    )?;
    Ok(())
}

pub(crate) fn load_all_confirmed(c: &Connection) -> Result<Vec<NetworkProfile>> {
    let mut stmt =
        c.prepare_cached("SELECT profile FROM networks WHERE confirmed = 1 ORDER BY network_id")?;
    let texts = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    texts
        .iter()
        .map(|t| serde_json::from_str(t).map_err(|_| Error::Corrupt { store: "inbox" }))
        .collect()
}

pub(crate) fn summaries(store: &Store) -> Result<Vec<NetworkSummary>> {
    store.read(|c| {
        let confirmed: std::collections::HashSet<String> = load_all_confirmed(c)?
            .into_iter()
            .map(|p| p.network_id)
            .collect();
        Ok(load_all(c)?
            .into_iter()
            .map(|p| NetworkSummary {
                confirmed: confirmed.contains(&p.network_id),
                fingerprint: p.fingerprint(),
                regions: p.regions.iter().map(|r| r.code.clone()).collect(),
                network_id: p.network_id,
                name: p.name,
                version: p.version,
                hub_url: p.hub_url,
            })
            .collect())
    })
}

/// Region polygons by code, across every installed network.
pub(crate) fn region_polygons(profiles: &[NetworkProfile]) -> BTreeMap<String, Polygon> {
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
