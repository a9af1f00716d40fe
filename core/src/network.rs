//! The network profiles a device has installed, in `inbox.db`.
//!
//! This module owns the trust rule for installing a profile (a first install is signed by one of
//! its own root keys and shown by fingerprint to compare out of band; an update must be newer and
//! signed by a root key of the installed version, which is how root keys rotate) and the profile
//! table. The profile format itself is `silbato_proto::network`. It must never accept a profile
//! whose signature did not verify, and never let a profile change another network's entry.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

pub use silbato_proto::network::*;

use silbato_proto::crypto::PublicKey;
use silbato_proto::envelope::Envelope;

use crate::error::{DocKind, Error, Result};
use crate::store::Store;

pub use crate::error::InstallError;

fn invalid(e: InstallError) -> Error {
    e.into()
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
    // Only confirmed profiles count here. An unconfirmed one carries no trust, so it can neither
    // claim a newer install as its update (a squatter listing the real root with a huge version
    // would otherwise refuse the real profile as a rollback) nor block one.
    let profiles = load_all_confirmed(tx)?;
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
            // Only confirmed profiles can block another: a profile nobody confirmed (perhaps a
            // squatter's, sent first) is replaced by a new first install of its id.
            let confirmed = &profiles;
            if confirmed.iter().any(|p| p.network_id == claimed.network_id) {
                // Same id, not signed by the installed roots: a takeover attempt.
                return Err(Error::UntrustedKey {
                    what: DocKind::Envelope,
                });
            }
            if overlaps(&claimed, confirmed) {
                return Err(invalid(InstallError::ReusedKeys));
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
            return Err(invalid(InstallError::FingerprintMismatch));
        }
        Some(_) => true,
        None => was_confirmed,
    };
    tx.execute(
        "INSERT OR REPLACE INTO networks (network_id, version, profile, envelope, confirmed, installed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            claimed.network_id,
            i64::try_from(claimed.version).unwrap_or(i64::MAX),
            serde_json::to_string(&claimed).map_err(|_| Error::Encode)?,
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

/// Whether `profile` shares a root or dispatcher key with any of `others` (another network).
fn overlaps(profile: &NetworkProfile, others: &[NetworkProfile]) -> bool {
    let authority = |p: &NetworkProfile| -> Vec<PublicKey> {
        p.root_keys
            .iter()
            .copied()
            .chain(p.dispatcher_keys.iter().map(|d| d.key))
            .collect()
    };
    let mine = authority(profile);
    others
        .iter()
        .filter(|p| p.network_id != profile.network_id)
        .any(|p| authority(p).iter().any(|k| mine.contains(k)))
}

/// Marks a network confirmed after the user compared its fingerprint out of band. A profile
/// that reuses a confirmed network's keys is never confirmed.
pub(crate) fn confirm(tx: &Connection, network_id: &str, fingerprint: &str) -> Result<()> {
    let profile = load(tx, network_id)?.ok_or(Error::NotFound {
        what: crate::error::Missing::Network,
    })?;
    if normalize_fingerprint(fingerprint) != normalize_fingerprint(&profile.fingerprint()) {
        return Err(invalid(InstallError::NotThisNetwork));
    }
    if overlaps(&profile, &load_all_confirmed(tx)?) {
        return Err(invalid(InstallError::ReusedKeys));
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
