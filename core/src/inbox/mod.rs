//! The family's alert inbox in `inbox.db`: installed network profiles, verified alerts, saved
//! places, followed regions, and the device's push key.
//!
//! This module owns the ingest rules (verify the signatures over the exact bytes first, then the
//! network's policy, times, duplicates and conflicts), update and cancel chains, relevance to saved
//! places computed on the device, and the notification text a shell may show. Alert bodies and
//! places are encrypted under the inbox key (wrapped by the platform key store). It must never send
//! a place anywhere, never show or store an alert that did not verify, and never put alert or place
//! text in an error or a log.

mod outbox;
pub mod push;

pub use silbato_proto::alert::{
    Rejection, VerifiedAlert, verify_alert_envelope, verify_alert_envelope_keeping_retractions,
};
pub use silbato_proto::{alert, cap, geo};

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, aead_open, aead_seal, random_id, sha256_hex};
use crate::envelope::Envelope;
use crate::error::{DocKind, Error, Result};
use crate::keys::{DataKey, KeyFile, PlatformKeyStore};
use crate::network::{self, NetworkInstall, NetworkProfile, NetworkSummary};
use crate::store::{Store, StoreSpec};
use alert::{ALERT_KIND, Alert, Certainty, MAX_ALERT_ENVELOPE, MsgType, Severity};
use geo::{Circle, Point, Polygon};

pub use crate::error::InboxError;

pub const INBOX_DB: &str = "inbox.db";
pub const INBOX_KEYS: &str = "inbox.keys";
pub const PLATFORM_LABEL: &str = "silbato.inbox.key";
const INBOX_CANARY: &[u8] = b"silbato-inbox-canary-v2";
const INBOX_CANARY_AAD: &[u8] = b"inbox.db/inbox_meta/canary/v2";

pub(crate) const INBOX_SPEC: StoreSpec = StoreSpec {
    name: "inbox",
    migrations: silbato_store::migrations!("inbox": 1 => "001_watchlist", 2 => "002_alerts", 3 => "003_sync", 4 => "004_alert_identity", 5 => "005_sealed_outbox"),
    // Alerts come again with the next sync; an fsync per commit buys nothing here.
    full_sync: false,
    secure_delete: true,
    check_on_open: false,
};

/// What ingesting one alert did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum IngestOutcome {
    Accepted {
        id: String,
        network: String,
        msg_type: MsgType,
        replaces: Vec<String>,
    },
    /// Already here with exactly these contents: nothing changed.
    Duplicate {
        id: String,
    },
    Rejected(Rejection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Active,
    Expired,
    /// Replaced by an update.
    Superseded,
    /// Retracted by a cancel.
    Retracted,
    /// A network profile update revoked dispatcher keys, and its remaining signatures no longer
    /// meet the network's policy.
    Withdrawn,
}

/// Why an alert matters to this device, most relevant first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Relevance {
    SavedPlace { label: String },
    FollowedRegion { code: String },
    Elsewhere,
}

/// An alert as a shell shows it, in one language.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub id: String,
    pub network_id: String,
    pub network_name: String,
    pub msg_type: MsgType,
    /// A cancel: show as an all-clear.
    pub all_clear: bool,
    pub category: alert::Category,
    pub severity: Severity,
    pub urgency: alert::Urgency,
    pub certainty: Certainty,
    pub sent: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    pub lang: String,
    pub headline: String,
    pub description: Option<String>,
    pub instruction: Option<String>,
    pub hotline: Option<String>,
    pub references: Vec<String>,
    pub regions: Vec<String>,
    pub relevance: Relevance,
    pub status: AlertStatus,
    pub read: bool,
    /// Names of the dispatchers whose signatures verified.
    pub signed_by: Vec<String>,
}

/// A sealed report waiting for the hub.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxItem {
    pub id: String,
    pub network_id: String,
    pub bytes: u64,
    pub created_at: i64,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
}

/// A place the family cares about. Stored encrypted; never leaves the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub id: String,
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

/// The inbox over `inbox.db`, unlocked with the inbox key from the platform key store.
pub struct Inbox {
    store: Arc<Store>,
    key: DataKey,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox").finish_non_exhaustive()
    }
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn alert_aad(id: &str) -> Vec<u8> {
    format!("inbox.db/alerts/{id}/v2").into_bytes()
}

fn payload_aad(id: &str) -> Vec<u8> {
    format!("inbox.db/alerts/{id}/payload/v2").into_bytes()
}

/// The fields the inbox orders by, read without building the rest of the alert.
#[derive(Deserialize)]
struct SortKey {
    network: String,
    severity: Severity,
    sent: DateTime<Utc>,
    area: alert::Area,
}

fn place_aad(id: &str) -> Vec<u8> {
    format!("inbox.db/places/{id}/v2").into_bytes()
}

fn msg_type_str(t: MsgType) -> &'static str {
    match t {
        MsgType::Alert => "alert",
        MsgType::Update => "update",
        MsgType::Cancel => "cancel",
    }
}

impl Inbox {
    /// Opens the inbox in `data_dir`, creating the inbox key (wrapped by `platform`) on first use.
    pub fn open(data_dir: &Path, platform: &dyn PlatformKeyStore) -> Result<Inbox> {
        crate::files::private_dir(data_dir)?;
        let store = Arc::new(Store::open(&data_dir.join(INBOX_DB), INBOX_SPEC)?);
        Self::with_store(data_dir, store, platform)
    }

    /// Opens the inbox over an already open `inbox.db` (shared with the watch-lists).
    pub fn with_store(
        data_dir: &Path,
        store: Arc<Store>,
        platform: &dyn PlatformKeyStore,
    ) -> Result<Inbox> {
        let keys = KeyFile::new(data_dir.join(INBOX_KEYS), "inbox");
        let canary: Option<Vec<u8>> = store.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM inbox_meta WHERE name = 'canary'",
                [],
                |r| r.get(0),
            )
            .optional()?)
        })?;
        let key = match (keys.exists(), canary) {
            (true, Some(canary)) => {
                let key = keys.unwrap_with_platform(platform)?;
                // The canary proves the key fits this database before any alert or place is read.
                aead_open(key.bytes(), INBOX_CANARY_AAD, &canary)
                    .map_err(|_| Error::KeyMismatch { store: "inbox" })?;
                key
            }
            // Encrypted data without its key (the key file or the platform key was lost): refuse
            // rather than start a new key over data nobody could read.
            (false, Some(_)) => return Err(Error::KeyMismatch { store: "inbox" }),
            (exists, None) => {
                // The key file first: a canary must never exist without its key.
                let key = if exists {
                    keys.unwrap_with_platform(platform)?
                } else {
                    let key = DataKey::generate()?;
                    keys.create_platform_only(&key, platform, PLATFORM_LABEL)?;
                    key
                };
                let sealed = aead_seal(key.bytes(), INBOX_CANARY_AAD, INBOX_CANARY)?;
                store.write(|tx| {
                    tx.execute(
                        "INSERT OR REPLACE INTO inbox_meta (name, value) VALUES ('canary', ?1)",
                        [sealed],
                    )?;
                    Ok(())
                })?;
                key
            }
        };
        let inbox = Inbox { store, key };
        inbox.ensure_push_key()?;
        // Reports an older build queued with clear metadata are sealed now that the key is here.
        inbox.seal_legacy_outbox()?;
        Ok(inbox)
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    // ---- networks ----

    /// Installs a signed network profile (from a file's bytes or a decoded QR code). A new network
    /// counts (its alerts, its publisher keys) once its fingerprint is confirmed: here, by passing
    /// the fingerprint the organizer gave out of band, or later with [`Inbox::confirm_network`].
    pub fn install_network(
        &self,
        bytes: &[u8],
        expected_fingerprint: Option<&str>,
    ) -> Result<NetworkInstall> {
        self.store.write(|tx| {
            let report = network::install(tx, bytes, expected_fingerprint)?;
            // An update may revoke dispatcher keys: the network's alerts are judged again under
            // the new profile, in the same transaction.
            if report.previous_version.is_some() {
                self.reassess_alerts(tx, &report.network_id)?;
            }
            Ok(report)
        })
    }

    /// Marks each alert of `network_id` withdrawn, or no longer withdrawn, by whether the
    /// signatures on it still meet the installed profile's policy for its certainty, counting
    /// only keys the profile still lists (inside their windows when the alert was sent).
    fn reassess_alerts(&self, tx: &Connection, network_id: &str) -> Result<()> {
        let Some(profile) = network::load(tx, network_id)? else {
            return Ok(());
        };
        let rows: Vec<(String, Vec<u8>, bool)> = {
            let mut stmt = tx
                .prepare_cached("SELECT id, sealed, withdrawn FROM alerts WHERE network_id = ?1")?;
            stmt.query_map([network_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let mut update = tx
            .prepare_cached("UPDATE alerts SET withdrawn = ?3 WHERE network_id = ?1 AND id = ?2")?;
        for (id, sealed, was) in rows {
            let env_bytes = aead_open(self.key.bytes(), &alert_aad(&id), &sealed)?;
            let env = Envelope::parse(
                &env_bytes,
                DocKind::Envelope,
                ALERT_KIND,
                MAX_ALERT_ENVELOPE,
            )?;
            let signers = env
                .verify(DocKind::Envelope, |k| profile.dispatcher(k).is_some())
                .unwrap_or_default();
            let alert: Alert = serde_json::from_slice(&env.payload)
                .map_err(|_| Error::Corrupt { store: "inbox" })?;
            let withdrawn = !alert::policy_status(&profile, &alert, &signers).met;
            if withdrawn != was {
                update.execute(params![network_id, id, withdrawn])?;
            }
        }
        Ok(())
    }

    /// Removes a network: its profile, its alerts and what they replace, its queued reports, and
    /// the sync state of its hub when no other installed network uses that hub.
    pub fn remove_network(&self, network_id: &str) -> Result<()> {
        // The outbox is sealed row by row: which reports are this network's is read by opening them.
        let reports: Vec<String> = self
            .outbox()?
            .into_iter()
            .filter(|r| r.network_id == network_id)
            .map(|r| r.id)
            .collect();
        self.store.write(|tx| {
            let Some(profile) = network::load(tx, network_id)? else {
                return Err(Error::NotFound {
                    what: crate::error::Missing::Network,
                });
            };
            tx.execute("DELETE FROM networks WHERE network_id = ?1", [network_id])?;
            tx.execute("DELETE FROM alerts WHERE network_id = ?1", [network_id])?;
            tx.execute("DELETE FROM alert_refs WHERE network_id = ?1", [network_id])?;
            for id in &reports {
                tx.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
            }
            let shared = network::load_all(tx)?
                .iter()
                .any(|p| silbato_proto::protocol::same_hub(&p.hub_url, &profile.hub_url));
            if !shared {
                // Sync state is named `kind|hub|what` (see `sync::state_key`).
                tx.execute(
                    "DELETE FROM sync_state WHERE instr(name, '|' || ?1 || '|') > 0",
                    [&profile.hub_url],
                )?;
            }
            Ok(())
        })
    }

    /// Confirms a network after comparing its fingerprint with the organizer's.
    pub fn confirm_network(&self, network_id: &str, fingerprint: &str) -> Result<()> {
        self.store
            .write(|tx| network::confirm(tx, network_id, fingerprint))
    }

    pub fn networks(&self) -> Result<Vec<NetworkSummary>> {
        network::summaries(&self.store)
    }

    pub fn network(&self, id: &str) -> Result<NetworkProfile> {
        self.store
            .read(|c| network::load(c, id))?
            .ok_or(Error::NotFound {
                what: crate::error::Missing::Network,
            })
    }

    /// Publisher keys of every confirmed network: trusted for packs and watch-lists.
    pub fn trusted_publishers(&self) -> Result<HashSet<PublicKey>> {
        let profiles = self.store.read(network::load_all_confirmed)?;
        Ok(profiles
            .iter()
            .flat_map(|p| p.publisher_keys.iter().map(|k| k.key))
            .collect())
    }

    // ---- alerts ----

    /// Applies every ingest rule to one envelope. Storage failures are errors; every rule an
    /// alert can break is a [`Rejection`].
    pub fn ingest(&self, bytes: &[u8], now: DateTime<Utc>) -> Result<IngestOutcome> {
        self.store.write(|tx| self.ingest_in(tx, bytes, now))
    }

    /// Ingests many envelopes in one transaction (a sync pull): all outcomes, one commit.
    pub fn ingest_batch(
        &self,
        envelopes: &[Vec<u8>],
        now: DateTime<Utc>,
    ) -> Result<Vec<IngestOutcome>> {
        self.store.write(|tx| {
            envelopes
                .iter()
                .map(|b| self.ingest_in(tx, b, now))
                .collect()
        })
    }

    pub(crate) fn ingest_in(
        &self,
        tx: &Connection,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<IngestOutcome> {
        let VerifiedAlert {
            alert,
            payload,
            signers,
        } = match verify_alert(tx, bytes, now)? {
            Ok(v) => v,
            Err(r) => return Ok(IngestOutcome::Rejected(r)),
        };
        let digest = sha256_hex(&payload);
        // An alert is (network, id): another network's alert with this id is another alert.
        let existing: Option<String> = tx
            .prepare_cached("SELECT payload_sha256 FROM alerts WHERE network_id = ?1 AND id = ?2")?
            .query_row(params![alert.network, alert.id], |r| r.get(0))
            .optional()?;
        match existing {
            Some(d) if d == digest => return Ok(IngestOutcome::Duplicate { id: alert.id }),
            Some(_) => return Ok(IngestOutcome::Rejected(Rejection::Conflict)),
            None => {}
        }
        let _ = signers;
        let sealed = aead_seal(self.key.bytes(), &alert_aad(&alert.id), bytes)?;
        let sealed_payload = aead_seal(self.key.bytes(), &payload_aad(&alert.id), &payload)?;
        tx.prepare_cached(
            "INSERT INTO alerts (id, network_id, msg_type, sent, expires, payload_sha256, sealed, sealed_payload, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![alert.id, alert.network, msg_type_str(alert.msg_type), ts(alert.sent), ts(alert.expires), digest, sealed,
            sealed_payload, ts(now)])?;
        // The references outlive this row (a tombstone): an original that arrives after this
        // update or cancel was purged is still hidden.
        let keep_until = alert
            .sent
            .checked_add_signed(alert::MAX_LIFETIME + chrono::Duration::days(1))
            .unwrap_or(alert.expires);
        let mut refs = tx.prepare_cached(
            "INSERT OR IGNORE INTO alert_refs (network_id, alert_id, ref_id, msg_type, keep_until) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for r in &alert.references {
            refs.execute(params![
                alert.network,
                alert.id,
                r,
                msg_type_str(alert.msg_type),
                ts(keep_until.max(alert.expires))
            ])?;
        }
        Ok(IngestOutcome::Accepted {
            id: alert.id,
            network: alert.network,
            msg_type: alert.msg_type,
            replaces: alert.references,
        })
    }

    /// The payload of row (`network`, `id`); a payload of another network's row is corrupt.
    fn decrypt_payload(&self, network: &str, id: &str, sealed: &[u8]) -> Result<Alert> {
        let plain = aead_open(self.key.bytes(), &payload_aad(id), sealed)?;
        let alert: Alert =
            serde_json::from_slice(&plain).map_err(|_| Error::Corrupt { store: "inbox" })?;
        if alert.network != network || alert.id != id {
            return Err(Error::Corrupt { store: "inbox" });
        }
        Ok(alert)
    }

    /// Alerts that are in force now — not expired, not superseded, not retracted — most relevant
    /// first (inside a saved place, then a followed region, then the rest), then by severity, then
    /// newest. Cancels appear here as all-clears.
    pub fn active(&self, lang: &str, now: DateTime<Utc>, limit: usize) -> Result<Vec<AlertView>> {
        let rows: Vec<(String, Vec<u8>, bool)> = self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT a.id, a.sealed_payload, a.read FROM alerts a
                 WHERE a.expires > ?1 AND a.withdrawn = 0
                   AND NOT EXISTS (SELECT 1 FROM alert_refs r WHERE r.network_id = a.network_id AND r.ref_id = a.id)",
            )?;
            let rows = stmt.query_map([ts(now)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let ctx = self.relevance_context()?;
        // Order on the few fields that decide it; build full views only for the page returned.
        let mut ranked = Vec::with_capacity(rows.len());
        for (id, sealed, read) in rows {
            let plain = aead_open(self.key.bytes(), &payload_aad(&id), &sealed)?;
            let key: SortKey =
                serde_json::from_slice(&plain).map_err(|_| Error::Corrupt { store: "inbox" })?;
            let relevance = ctx.relevance(&key.network, &key.area);
            ranked.push((
                rank(&relevance),
                key.severity,
                std::cmp::Reverse(key.sent),
                id,
                relevance,
                read,
                plain,
            ));
        }
        ranked.sort_by(|a, b| (a.0, a.1, a.2, &a.3).cmp(&(b.0, b.1, b.2, &b.3)));
        ranked
            .into_iter()
            .take(limit)
            .map(|(_, _, _, _, relevance, read, plain)| {
                let alert: Alert = serde_json::from_slice(&plain)
                    .map_err(|_| Error::Corrupt { store: "inbox" })?;
                Ok(self.view(&ctx, alert, lang, AlertStatus::Active, read, relevance))
            })
            .collect()
    }

    /// Every stored alert, newest first, with its status.
    pub fn history(&self, lang: &str, now: DateTime<Utc>, limit: usize) -> Result<Vec<AlertView>> {
        let rows: Vec<HistoryRow> = self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT a.network_id, a.id, a.sealed_payload, a.read, a.expires, a.withdrawn,
                        (SELECT r.msg_type FROM alert_refs r
                          WHERE r.network_id = a.network_id AND r.ref_id = a.id
                          ORDER BY r.msg_type = 'cancel' DESC LIMIT 1)
                 FROM alerts a ORDER BY a.sent DESC, a.network_id, a.id LIMIT ?1",
            )?;
            let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok(HistoryRow {
                    network_id: r.get(0)?,
                    id: r.get(1)?,
                    sealed: r.get(2)?,
                    read: r.get(3)?,
                    expires: r.get(4)?,
                    withdrawn: r.get(5)?,
                    replaced_by: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let ctx = self.relevance_context()?;
        rows.into_iter()
            .map(|row| {
                let status = match row.replaced_by.as_deref() {
                    _ if row.withdrawn => AlertStatus::Withdrawn,
                    Some("cancel") => AlertStatus::Retracted,
                    Some(_) => AlertStatus::Superseded,
                    None if row.expires <= ts(now) => AlertStatus::Expired,
                    None => AlertStatus::Active,
                };
                let alert = self.decrypt_payload(&row.network_id, &row.id, &row.sealed)?;
                let relevance = ctx.relevance(&alert.network, &alert.area);
                Ok(self.view(&ctx, alert, lang, status, row.read, relevance))
            })
            .collect()
    }

    /// The networks that have an alert with this id: one, or several when another network's
    /// dispatchers used the same id ([`InboxError::AmbiguousAlert`] unless a network is named).
    fn alert_network(&self, c: &Connection, network: Option<&str>, id: &str) -> Result<String> {
        let mut stmt = c.prepare_cached(
            "SELECT network_id FROM alerts WHERE id = ?1 AND (?2 IS NULL OR network_id = ?2) LIMIT 2",
        )?;
        let found = stmt
            .query_map(params![id, network], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::NotFound {
                what: crate::error::Missing::Alert,
            }),
            _ => Err(InboxError::AmbiguousAlert.into()),
        }
    }

    /// One alert, with the names of the dispatchers whose signatures verify. When several
    /// networks have an alert with this id, this is [`InboxError::AmbiguousAlert`]: use
    /// [`Inbox::alert_in`].
    pub fn alert(&self, id: &str, lang: &str, now: DateTime<Utc>) -> Result<AlertView> {
        self.alert_in(None, id, lang, now)
    }

    /// One alert of `network` (any network when `None`, if only one has this id).
    pub fn alert_in(
        &self,
        network: Option<&str>,
        id: &str,
        lang: &str,
        now: DateTime<Utc>,
    ) -> Result<AlertView> {
        let network_id = self.store.read(|c| self.alert_network(c, network, id))?;
        let found = self.history(lang, now, usize::MAX)?;
        let mut view = found
            .into_iter()
            .find(|a| a.id == id && a.network_id == network_id)
            .ok_or(Error::NotFound {
                what: crate::error::Missing::Alert,
            })?;
        let sealed: Vec<u8> = self.store.read(|c| {
            Ok(c.query_row(
                "SELECT sealed FROM alerts WHERE network_id = ?1 AND id = ?2",
                params![network_id, id],
                |r| r.get(0),
            )?)
        })?;
        let env_bytes = aead_open(self.key.bytes(), &alert_aad(id), &sealed)?;
        let env = Envelope::parse(
            &env_bytes,
            DocKind::Envelope,
            ALERT_KIND,
            MAX_ALERT_ENVELOPE,
        )?;
        if let Ok(profile) = self.network(&view.network_id)
            && let Ok(keys) = env.verify(DocKind::Envelope, |k| profile.dispatcher(k).is_some())
        {
            view.signed_by = keys
                .iter()
                .filter_map(|k| profile.dispatcher(k).map(|d| d.name.clone()))
                .collect();
        }
        Ok(view)
    }

    pub fn unread_count(&self, now: DateTime<Utc>) -> Result<u64> {
        self.store.read(|c| {
            let n: i64 = c.query_row(
                "SELECT count(*) FROM alerts a WHERE a.read = 0 AND a.expires > ?1 AND a.withdrawn = 0
                   AND NOT EXISTS (SELECT 1 FROM alert_refs r WHERE r.network_id = a.network_id AND r.ref_id = a.id)",
                [ts(now)],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    /// Marks an alert read; [`InboxError::AmbiguousAlert`] when several networks have this id
    /// (use [`Inbox::mark_read_in`]).
    pub fn mark_read(&self, id: &str) -> Result<()> {
        self.mark_read_in(None, id)
    }

    /// Marks the alert `id` of `network` read (any network when `None`, if only one has it).
    pub fn mark_read_in(&self, network: Option<&str>, id: &str) -> Result<()> {
        self.store.write(|tx| {
            let network_id = self.alert_network(tx, network, id)?;
            tx.execute(
                "UPDATE alerts SET read = 1 WHERE network_id = ?1 AND id = ?2",
                params![network_id, id],
            )?;
            Ok(())
        })
    }

    /// Deletes alerts that expired more than `retention` ago, securely.
    pub fn purge_expired(&self, retention: chrono::Duration, now: DateTime<Utc>) -> Result<u64> {
        let cutoff = ts(now
            .checked_sub_signed(retention)
            .unwrap_or(DateTime::<Utc>::MIN_UTC));
        // An update or cancel stays while anything it replaces is still kept and in force, so a
        // retracted alert never comes back.
        let n = self.store.write(|tx| {
            let n = tx.execute(
                "DELETE FROM alerts WHERE expires < ?1 AND NOT EXISTS (
                    SELECT 1 FROM alert_refs r JOIN alerts o ON o.network_id = r.network_id AND o.id = r.ref_id
                    WHERE r.network_id = alerts.network_id AND r.alert_id = alerts.id AND o.expires >= ?1)",
                [cutoff],
            )?;
            // Tombstones go once no original they hide can still be in force: past keep_until
            // (the replacement's sent time plus the longest lifetime) and none stored in force.
            tx.execute(
                "DELETE FROM alert_refs WHERE keep_until < ?1 AND NOT EXISTS (
                    SELECT 1 FROM alerts o WHERE o.network_id = alert_refs.network_id
                      AND o.id = alert_refs.ref_id AND o.expires >= ?1)",
                [ts(now)],
            )?;
            Ok(n)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    // ---- sync state and the outbox ----

    /// Ingests one page of a pull and moves the cursor, in one transaction: after a crash the pull
    /// resumes from the last page fully applied, never skipping or half-applying one.
    pub fn ingest_page(
        &self,
        envelopes: &[Vec<u8>],
        now: DateTime<Utc>,
        cursor_name: &str,
        cursor: &str,
    ) -> Result<Vec<IngestOutcome>> {
        self.store.write(|tx| {
            let outcomes = envelopes
                .iter()
                .map(|b| self.ingest_in(tx, b, now))
                .collect::<Result<Vec<_>>>()?;
            tx.execute(
                "INSERT OR REPLACE INTO sync_state (name, value) VALUES (?1, ?2)",
                params![cursor_name, cursor],
            )?;
            Ok(outcomes)
        })
    }

    pub fn sync_state(&self, name: &str) -> Result<Option<String>> {
        self.store.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM sync_state WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    pub fn set_sync_state(&self, name: &str, value: Option<&str>) -> Result<()> {
        self.store.write(|tx| {
            match value {
                Some(v) => tx.execute(
                    "INSERT OR REPLACE INTO sync_state (name, value) VALUES (?1, ?2)",
                    params![name, v],
                )?,
                None => tx.execute("DELETE FROM sync_state WHERE name = ?1", [name])?,
            };
            Ok(())
        })
    }

    // The outbox (queue, list, due reports, sent, deferred) is in `outbox.rs`: ciphertext only.

    // ---- places and regions ----

    pub fn add_place(&self, label: &str, lat: f64, lon: f64, radius_m: f64) -> Result<Place> {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 60 || label.chars().any(char::is_control) {
            return Err(Error::from(InboxError::PlaceLabel));
        }
        let circle = Circle {
            center: Point { lat, lon },
            radius_m,
        };
        geo::validate_circle(&circle).map_err(|_| Error::from(InboxError::PlaceArea))?;
        let place = Place {
            id: random_id()?[..12].to_owned(),
            label: label.to_owned(),
            lat,
            lon,
            radius_m,
        };
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(&place).map_err(|_| Error::Encode)?);
        let sealed = aead_seal(self.key.bytes(), &place_aad(&place.id), &plain)?;
        self.store.write(|tx| {
            Ok(tx.execute(
                "INSERT INTO places (id, sealed) VALUES (?1, ?2)",
                params![place.id, sealed],
            )?)
        })?;
        Ok(place)
    }

    pub fn places(&self) -> Result<Vec<Place>> {
        let rows: Vec<(String, Vec<u8>)> = self.store.read(|c| {
            let mut stmt = c.prepare_cached("SELECT id, sealed FROM places ORDER BY rowid")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        rows.into_iter()
            .map(|(id, sealed)| {
                let plain = aead_open(self.key.bytes(), &place_aad(&id), &sealed)?;
                serde_json::from_slice(&plain).map_err(|_| Error::Corrupt { store: "inbox" })
            })
            .collect()
    }

    pub fn remove_place(&self, id: &str) -> Result<()> {
        let n = self
            .store
            .write(|tx| Ok(tx.execute("DELETE FROM places WHERE id = ?1", [id])?))?;
        if n == 0 {
            Err(Error::NotFound {
                what: crate::error::Missing::Place,
            })
        } else {
            Ok(())
        }
    }

    pub fn follow_region(&self, code: &str) -> Result<()> {
        let code = code.trim().to_ascii_uppercase();
        // The same rule the hub applies, so a followed region never makes every pull fail.
        if !crate::protocol::valid_region(&code) {
            return Err(Error::from(InboxError::RegionCode));
        }
        self.store.write(|tx| {
            Ok(tx.execute(
                "INSERT OR IGNORE INTO followed_regions (code) VALUES (?1)",
                [code],
            )?)
        })?;
        Ok(())
    }

    pub fn unfollow_region(&self, code: &str) -> Result<()> {
        self.store.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM followed_regions WHERE code = ?1",
                [code.trim().to_ascii_uppercase()],
            )?)
        })?;
        Ok(())
    }

    /// The region codes this device follows: the only location information a hub may be told.
    pub fn followed_regions(&self) -> Result<Vec<String>> {
        self.store.read(|c| {
            let mut stmt = c.prepare_cached("SELECT code FROM followed_regions ORDER BY code")?;
            Ok(stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?)
        })
    }

    // ---- settings ----

    /// Whether notifications may show an alert's headline. Off by default, so no alert text lands
    /// in the operating system's notification store unless the user chose it.
    pub fn set_headline_in_notifications(&self, on: bool) -> Result<()> {
        self.store.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO inbox_meta (name, value) VALUES ('notify_headline', ?1)",
                [vec![u8::from(on)]],
            )?;
            Ok(())
        })
    }

    pub fn headline_in_notifications(&self) -> Result<bool> {
        let v: Option<Vec<u8>> = self.store.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM inbox_meta WHERE name = 'notify_headline'",
                [],
                |r| r.get(0),
            )
            .optional()?)
        })?;
        Ok(v.is_some_and(|v| v.first() == Some(&1)))
    }

    // ---- relevance ----

    fn relevance_context(&self) -> Result<RelevanceContext> {
        let profiles = self.store.read(network::load_all)?;
        Ok(RelevanceContext {
            places: self.places()?,
            followed: self.followed_regions()?.into_iter().collect(),
            region_polygons: network::region_polygons(&profiles),
            profiles: profiles
                .into_iter()
                .map(|p| (p.network_id.clone(), p))
                .collect(),
        })
    }

    fn view(
        &self,
        ctx: &RelevanceContext,
        alert: Alert,
        lang: &str,
        status: AlertStatus,
        read: bool,
        relevance: Relevance,
    ) -> AlertView {
        let profile = ctx.profiles.get(&alert.network);
        // The reader's language, each field it lacks from the alert's own (see `Alert::localized`).
        let (text_lang, text) = match alert.localized(lang) {
            Some((l, t)) => (l.to_owned(), t),
            None => (
                lang.to_owned(),
                alert::AlertText {
                    headline: String::new(),
                    description: None,
                    instruction: None,
                },
            ),
        };
        AlertView {
            network_name: profile.map_or_else(|| alert.network.clone(), |p| p.name.clone()),
            signed_by: Vec::new(),
            all_clear: alert.msg_type == MsgType::Cancel,
            id: alert.id,
            network_id: alert.network,
            msg_type: alert.msg_type,
            category: alert.category,
            severity: alert.severity,
            urgency: alert.urgency,
            certainty: alert.certainty,
            sent: alert.sent,
            expires: alert.expires,
            lang: text_lang,
            headline: text.headline,
            description: text.description,
            instruction: text.instruction,
            hotline: alert.hotline,
            references: alert.references,
            regions: alert.area.regions,
            relevance,
            status,
            read,
        }
    }
}

/// One row of the history query: the alert, its state, and the type of whatever replaced it.
struct HistoryRow {
    network_id: String,
    id: String,
    sealed: Vec<u8>,
    read: bool,
    expires: i64,
    withdrawn: bool,
    replaced_by: Option<String>,
}

fn rank(r: &Relevance) -> u8 {
    match r {
        Relevance::SavedPlace { .. } => 0,
        Relevance::FollowedRegion { .. } => 1,
        Relevance::Elsewhere => 2,
    }
}

struct RelevanceContext {
    places: Vec<Place>,
    followed: HashSet<String>,
    region_polygons: BTreeMap<String, Polygon>,
    profiles: BTreeMap<String, NetworkProfile>,
}

impl RelevanceContext {
    /// Computed here, on the device: the places never leave it.
    fn relevance(&self, _network: &str, area: &alert::Area) -> Relevance {
        let polygons: Vec<Polygon> = area
            .polygons
            .iter()
            .map(|ring| Polygon { ring: ring.clone() })
            .chain(
                area.regions
                    .iter()
                    .filter_map(|code| self.region_polygons.get(code).cloned()),
            )
            .collect();
        for place in &self.places {
            let here = Circle {
                center: Point {
                    lat: place.lat,
                    lon: place.lon,
                },
                radius_m: place.radius_m,
            };
            if area
                .circles
                .iter()
                .any(|c| geo::circle_overlaps_circle(c, &here))
                || polygons
                    .iter()
                    .any(|p| geo::circle_overlaps_polygon(&here, p))
            {
                return Relevance::SavedPlace {
                    label: place.label.clone(),
                };
            }
        }
        // A followed region matches its own code and the codes inside it (US-IL covers US-IL-CHI).
        for code in &area.regions {
            if let Some(f) = self
                .followed
                .iter()
                .find(|f| code == *f || code.starts_with(&format!("{f}-")))
            {
                return Relevance::FollowedRegion { code: f.clone() };
            }
        }
        Relevance::Elsewhere
    }
}

fn verify_alert(
    c: &Connection,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<std::result::Result<VerifiedAlert, Rejection>> {
    // Only confirmed networks count: a profile whose fingerprint nobody compared yet cannot alert.
    let profiles: Vec<NetworkProfile> = network::load_all_confirmed(c)?;
    // An update or cancel is kept even when it has itself expired: what it replaces must not
    // come back as active on a device that syncs late.
    Ok(verify_alert_envelope_keeping_retractions(
        &profiles, bytes, now,
    ))
}
