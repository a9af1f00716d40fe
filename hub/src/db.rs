//! `hub.db`: alerts, sealed reports and push subscriptions, over the core's `Store` (numbered
//! migrations under `migrations/hub/`, one writer and one reader).
//!
//! This module owns every SQL statement of the hub. It stores ciphertext reports it cannot read,
//! the idempotency key only as a hash, and never a client address.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use silbato_proto::crypto::sha256;
use silbato_proto::protocol::{PushProvider, region_matches};
use silbato_proto::seal::SealPublicKey;
use silbato_store::Result;
use silbato_store::{Store, StoreSpec};

pub const HUB_DB: &str = "hub.db";

pub const HUB_SPEC: StoreSpec = StoreSpec {
    name: "hub",
    migrations: silbato_store::migrations!("hub": 1 => "001_init", 2 => "002_horizons_and_quotas", 3 => "003_push_confirm"),
    // A 201 receipt tells a patroller the report is safe here: it must be on disk first.
    full_sync: true,
    // Deleted reports are overwritten, not left in free pages.
    secure_delete: true,
    check_on_open: true,
};

pub fn open(data_dir: &Path) -> Result<Store, crate::error::HubError> {
    std::fs::create_dir_all(data_dir)?;
    Ok(Store::open(&data_dir.join(HUB_DB), HUB_SPEC)?)
}

/// Region codes as stored: `" A B "`, or `" "` for none, so a code is found whole.
pub fn encode_regions(regions: &[String]) -> String {
    let mut s = String::from(" ");
    for r in regions {
        s.push_str(r);
        s.push(' ');
    }
    s
}

pub fn decode_regions(s: &str) -> Vec<&str> {
    s.split(' ').filter(|r| !r.is_empty()).collect()
}

/// Whether an alert tagged `alert_regions` goes to someone following `followed`: an alert with
/// no region codes goes to everyone.
pub fn regions_match<A: AsRef<str>, F: AsRef<str>>(alert_regions: &[A], followed: &[F]) -> bool {
    alert_regions.is_empty()
        || alert_regions.iter().any(|a| {
            followed
                .iter()
                .any(|f| region_matches(f.as_ref(), a.as_ref()))
        })
}

// ---- alerts ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertInsert {
    New { seq: i64 },
    Duplicate,
    Conflict,
}

#[derive(Debug)]
pub struct NewAlert<'a> {
    pub id: &'a str,
    pub payload_sha256: &'a str,
    pub envelope: &'a [u8],
    pub regions: &'a [String],
    pub expires: DateTime<Utc>,
    /// The ids an update or cancel refers to (empty for a new alert).
    pub references: &'a [String],
}

pub fn insert_alert(
    store: &Store,
    alert: &NewAlert<'_>,
    now: DateTime<Utc>,
) -> Result<AlertInsert> {
    store.write(|tx| {
        let existing: Option<String> = tx
            .query_row(
                "SELECT payload_sha256 FROM alerts WHERE id = ?1",
                [alert.id],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(h) if h == alert.payload_sha256 => Ok(AlertInsert::Duplicate),
            Some(_) => Ok(AlertInsert::Conflict),
            None => {
                // Served while it or anything it refers to is in force.
                let mut serve_until = alert.expires.timestamp();
                {
                    let mut stmt =
                        tx.prepare_cached("SELECT serve_until FROM alerts WHERE id = ?1")?;
                    for r in alert.references {
                        if let Some(until) =
                            stmt.query_row([r], |row| row.get::<_, i64>(0)).optional()?
                        {
                            serve_until = serve_until.max(until);
                        }
                    }
                }
                tx.execute(
                    "INSERT INTO alerts (id, payload_sha256, envelope, regions, expires, received_at, serve_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        alert.id,
                        alert.payload_sha256,
                        alert.envelope,
                        encode_regions(alert.regions),
                        alert.expires.timestamp(),
                        now.timestamp(),
                        serve_until
                    ],
                )?;
                let seq = tx.last_insert_rowid();
                {
                    let mut stmt = tx.prepare_cached(
                        "INSERT OR IGNORE INTO alert_refs (seq, ref_id) VALUES (?1, ?2)",
                    )?;
                    for r in alert.references {
                        stmt.execute(params![seq, r])?;
                    }
                }
                // An update or cancel that arrived before this alert is served as long as it.
                tx.execute(
                    "UPDATE alerts SET serve_until = MAX(serve_until, ?2) WHERE seq IN (SELECT seq FROM alert_refs WHERE ref_id = ?1)",
                    params![alert.id, serve_until],
                )?;
                Ok(AlertInsert::New { seq })
            }
        }
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRows {
    pub envelopes: Vec<Vec<u8>>,
    pub next: i64,
    pub more: bool,
}

/// Alerts after `after` still served (`serve_until`: their own expiry, or for an update or
/// cancel that of what they refer to), for any of `followed` (all when empty), up to `limit`.
///
/// When the scan reaches the end, `next` is the last sequence number scanned, matching or not:
/// those rows can never match this query later (regions do not change, expired stays expired),
/// so a device following a quiet region does not rescan the busy ones.
pub fn alerts_page(
    store: &Store,
    after: i64,
    followed: &[String],
    limit: usize,
    now: DateTime<Utc>,
) -> Result<AlertRows> {
    store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT seq, regions, envelope FROM alerts WHERE seq > ?1 AND serve_until > ?2 ORDER BY seq",
        )?;
        let mut rows = stmt.query(params![after, now.timestamp()])?;
        let mut out = AlertRows {
            envelopes: Vec::new(),
            next: after,
            more: false,
        };
        let mut scanned = after;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let regions: String = row.get(1)?;
            let tags = decode_regions(&regions);
            if followed.is_empty() || regions_match(&tags, followed) {
                if out.envelopes.len() == limit {
                    out.more = true;
                    return Ok(out);
                }
                out.envelopes.push(row.get(2)?);
                out.next = seq;
            }
            scanned = seq;
        }
        out.next = scanned;
        Ok(out)
    })
}

// ---- reports ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportInsert {
    New {
        id: String,
    },
    Duplicate {
        id: String,
    },
    Conflict,
    /// Storing it would take the hub past `max_stored_bytes`.
    OverQuota,
}

/// Stores a sealed report unless the same key was used before, or the reports held would then
/// exceed `max_stored_bytes`.
pub fn insert_report(
    store: &Store,
    new_id: &str,
    idempotency_key: &str,
    sealed: &[u8],
    now: DateTime<Utc>,
    max_stored_bytes: u64,
) -> Result<ReportInsert> {
    let key_hash = sha256(idempotency_key.as_bytes());
    let body_hash = sha256(sealed);
    store.write(|tx| {
        let existing: Option<(String, Vec<u8>)> = tx
            .query_row(
                "SELECT id, body_sha256 FROM reports WHERE idempotency = ?1",
                [key_hash.as_slice()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match existing {
            Some((id, h)) if h == body_hash => Ok(ReportInsert::Duplicate { id }),
            Some(_) => Ok(ReportInsert::Conflict),
            None => {
                let held: i64 =
                    tx.query_row("SELECT COALESCE(SUM(size), 0) FROM reports", [], |r| r.get(0))?;
                let size = u64::try_from(sealed.len()).unwrap_or(u64::MAX);
                if u64::try_from(held)
                    .unwrap_or(0)
                    .saturating_add(size)
                    > max_stored_bytes
                {
                    return Ok(ReportInsert::OverQuota);
                }
                tx.execute(
                    "INSERT INTO reports (id, idempotency, body_sha256, sealed, received_at, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        new_id,
                        key_hash.as_slice(),
                        body_hash.as_slice(),
                        sealed,
                        now.timestamp(),
                        i64::try_from(sealed.len()).unwrap_or(i64::MAX)
                    ],
                )?;
                Ok(ReportInsert::New {
                    id: new_id.to_owned(),
                })
            }
        }
    })
}

#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: String,
    pub received_at: DateTime<Utc>,
    pub sealed: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ReportRows {
    pub reports: Vec<ReportRow>,
    pub next: i64,
    pub more: bool,
}

/// Reports after `after`, up to `limit`, marked delivered (the first delivery time is kept).
pub fn reports_page(
    store: &Store,
    after: i64,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<ReportRows> {
    store.write(|tx| {
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
        let mut rows: Vec<(i64, ReportRow)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT seq, id, received_at, sealed FROM reports WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            stmt.query_map(params![after, fetch], |r| {
                let received: i64 = r.get(2)?;
                Ok((
                    r.get(0)?,
                    ReportRow {
                        id: r.get(1)?,
                        received_at: DateTime::from_timestamp(received, 0).unwrap_or_default(),
                        sealed: r.get(3)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = rows.last().map_or(after, |(seq, _)| *seq);
        if let (Some((first, _)), Some((last, _))) = (rows.first(), rows.last()) {
            tx.execute(
                "UPDATE reports SET delivered_at = ?3 WHERE seq BETWEEN ?1 AND ?2 AND delivered_at IS NULL",
                params![first, last, now.timestamp()],
            )?;
        }
        Ok(ReportRows {
            reports: rows.into_iter().map(|(_, r)| r).collect(),
            next,
            more,
        })
    })
}

/// What one retention pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Delivered reports past their retention.
    pub reports: u64,
    pub alerts: u64,
    /// Reports no dispatcher fetched in time.
    pub undelivered: u64,
}

/// Retention periods, in days, as [`purge`] applies them.
#[derive(Debug, Clone, Copy)]
pub struct PurgeDays {
    pub delivered_reports: u32,
    pub expired_alerts: u32,
    pub undelivered_reports: u32,
}

/// Deletes delivered reports past retention, undelivered reports past their age, and alerts
/// served no longer (`serve_until`, so an update or cancel stays while what it refers to does).
pub fn purge(store: &Store, now: DateTime<Utc>, days: PurgeDays) -> Result<Purged> {
    let day = 86_400i64;
    let before = |d: u32| now.timestamp() - i64::from(d) * day;
    store.write(|tx| {
        let reports = tx.execute(
            "DELETE FROM reports WHERE delivered_at IS NOT NULL AND delivered_at < ?1",
            [before(days.delivered_reports)],
        )?;
        let undelivered = tx.execute(
            "DELETE FROM reports WHERE delivered_at IS NULL AND received_at < ?1",
            [before(days.undelivered_reports)],
        )?;
        let alerts = tx.execute(
            "DELETE FROM alerts WHERE serve_until < ?1",
            [before(days.expired_alerts)],
        )?;
        Ok(Purged {
            reports: u64::try_from(reports).unwrap_or(u64::MAX),
            alerts: u64::try_from(alerts).unwrap_or(u64::MAX),
            undelivered: u64::try_from(undelivered).unwrap_or(u64::MAX),
        })
    })
}

// ---- push subscriptions ----

pub fn provider_name(p: PushProvider) -> &'static str {
    match p {
        PushProvider::Webpush => "webpush",
        PushProvider::Fcm => "fcm",
        PushProvider::Apns => "apns",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub provider: String,
    pub endpoint: String,
    pub push_key: SealPublicKey,
}

/// A signed subscription request, as the hub checked it.
#[derive(Debug)]
pub struct SubscribeRequest<'a> {
    pub provider: PushProvider,
    pub endpoint: &'a str,
    pub push_key: &'a SealPublicKey,
    /// The subscription key that signed the request.
    pub sign_key: &'a silbato_proto::crypto::PublicKey,
    pub signed_at: DateTime<Utc>,
    pub regions: &'a [String],
    /// The requesting client's keyed hash (never its address).
    pub client_tag: &'a [u8; 32],
    /// Most subscriptions one client may hold (pending and confirmed).
    pub cap: u32,
    /// SHA-256 of the new challenge, used when the request needs a confirmation.
    pub challenge_sha256: &'a [u8; 32],
    pub challenge_expires: DateTime<Utc>,
}

/// What a subscription request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// Stored, unconfirmed: the confirmation push must be sent. `created`: a new endpoint.
    Pending { created: bool },
    /// The confirmed subscription's regions were updated; nothing to confirm.
    Updated,
    /// A confirmed subscription signed by another key: refused.
    Forbidden,
    /// Signed before the last accepted request for this endpoint: refused as a replay.
    Stale,
    /// The client already holds `cap` subscriptions.
    OverCap,
}

/// Forgets unconfirmed subscriptions whose challenge expired.
fn purge_pending(tx: &rusqlite::Transaction<'_>, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    tx.execute(
        "DELETE FROM push_subscriptions WHERE confirmed = 0 AND challenge_expires <= ?1",
        [now.timestamp()],
    )
}

/// Registers or changes a subscription under the rules of `docs/protocol.md`: a new endpoint, an
/// unconfirmed one, or one from before signing is (re)registered unconfirmed, within the client's
/// cap; a confirmed one changes only by a request signed by its own key, and needs a new
/// confirmation when its push key or provider changes.
pub fn subscribe(
    store: &Store,
    req: &SubscribeRequest<'_>,
    now: DateTime<Utc>,
) -> Result<SubscribeOutcome> {
    // Only the day: enough to prune abandoned subscriptions, no finer trace of the device.
    let day = now.timestamp() - now.timestamp().rem_euclid(86_400);
    let sign_key = req.sign_key.to_string();
    let push_key = req.push_key.to_string();
    let provider = provider_name(req.provider);
    let regions = encode_regions(req.regions);
    store.write(|tx| {
        purge_pending(tx, now)?;
        let existing: Option<(Option<String>, String, String, bool, i64)> = tx
            .query_row(
                "SELECT sign_key, push_key, provider, confirmed, signed_at FROM push_subscriptions WHERE endpoint = ?1",
                [req.endpoint],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? == 1, r.get(4)?)),
            )
            .optional()?;
        if let Some((Some(key), old_push, old_provider, confirmed, signed_at)) = &existing {
            if *key == sign_key {
                if req.signed_at.timestamp() < *signed_at {
                    return Ok(SubscribeOutcome::Stale);
                }
                if *confirmed && *old_push == push_key && old_provider == provider {
                    tx.execute(
                        "UPDATE push_subscriptions SET regions = ?2, updated_at = ?3, signed_at = ?4 WHERE endpoint = ?1",
                        params![req.endpoint, regions, day, req.signed_at.timestamp()],
                    )?;
                    return Ok(SubscribeOutcome::Updated);
                }
                tx.execute(
                    "UPDATE push_subscriptions SET provider = ?2, push_key = ?3, regions = ?4, updated_at = ?5, signed_at = ?6,
                     confirmed = 0, challenge = ?7, challenge_expires = ?8 WHERE endpoint = ?1",
                    params![
                        req.endpoint,
                        provider,
                        push_key,
                        regions,
                        day,
                        req.signed_at.timestamp(),
                        req.challenge_sha256.as_slice(),
                        req.challenge_expires.timestamp()
                    ],
                )?;
                return Ok(SubscribeOutcome::Pending { created: false });
            }
            if *confirmed {
                return Ok(SubscribeOutcome::Forbidden);
            }
        }
        // New, unconfirmed under another key, or from before signing: registered from scratch.
        let held: i64 = tx.query_row(
            "SELECT COUNT(*) FROM push_subscriptions WHERE client_tag = ?1 AND endpoint <> ?2",
            params![req.client_tag.as_slice(), req.endpoint],
            |r| r.get(0),
        )?;
        if u64::try_from(held).unwrap_or(u64::MAX) >= u64::from(req.cap) {
            return Ok(SubscribeOutcome::OverCap);
        }
        tx.execute(
            "INSERT OR REPLACE INTO push_subscriptions
             (endpoint, provider, push_key, regions, updated_at, sign_key, confirmed, challenge, challenge_expires, client_tag, signed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10)",
            params![
                req.endpoint,
                provider,
                push_key,
                regions,
                day,
                sign_key,
                req.challenge_sha256.as_slice(),
                req.challenge_expires.timestamp(),
                req.client_tag.as_slice(),
                req.signed_at.timestamp()
            ],
        )?;
        Ok(SubscribeOutcome::Pending {
            created: existing.is_none(),
        })
    })
}

/// Confirms the pending subscription of `endpoint` if `sign_key` registered it and
/// `challenge_sha256` is its unexpired challenge's hash; false otherwise (one answer for every
/// mismatch).
pub fn confirm_subscription(
    store: &Store,
    endpoint: &str,
    sign_key: &silbato_proto::crypto::PublicKey,
    challenge_sha256: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<bool> {
    store.write(|tx| {
        purge_pending(tx, now)?;
        Ok(tx.execute(
            "UPDATE push_subscriptions SET confirmed = 1, challenge = NULL, challenge_expires = NULL
             WHERE endpoint = ?1 AND confirmed = 0 AND sign_key = ?2 AND challenge = ?3 AND challenge_expires > ?4",
            params![endpoint, sign_key.to_string(), challenge_sha256.as_slice(), now.timestamp()],
        )? > 0)
    })
}

/// What a signed unsubscribe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsubscribeOutcome {
    Deleted,
    /// No subscription for this endpoint (the same answer to the client as `Deleted`).
    NotThere,
    /// Registered with another subscription key.
    Forbidden,
    /// Signed before the last accepted request for this endpoint.
    Stale,
}

/// Deletes `endpoint`'s subscription if `sign_key` registered it (or it is from before signing).
pub fn unsubscribe(
    store: &Store,
    endpoint: &str,
    sign_key: &silbato_proto::crypto::PublicKey,
    signed_at: DateTime<Utc>,
) -> Result<UnsubscribeOutcome> {
    store.write(|tx| {
        let existing: Option<(Option<String>, i64)> = tx
            .query_row(
                "SELECT sign_key, signed_at FROM push_subscriptions WHERE endpoint = ?1",
                [endpoint],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match existing {
            None => Ok(UnsubscribeOutcome::NotThere),
            Some((Some(k), _)) if k != sign_key.to_string() => Ok(UnsubscribeOutcome::Forbidden),
            Some((_, at)) if signed_at.timestamp() < at => Ok(UnsubscribeOutcome::Stale),
            Some(_) => {
                tx.execute(
                    "DELETE FROM push_subscriptions WHERE endpoint = ?1",
                    [endpoint],
                )?;
                Ok(UnsubscribeOutcome::Deleted)
            }
        }
    })
}

/// A subscription as stored, for tests and operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubscription {
    pub provider: String,
    pub regions: Vec<String>,
    pub confirmed: bool,
    /// Its subscription key, text form; `None` from before signing.
    pub sign_key: Option<String>,
}

/// The stored subscription of `endpoint`, if any.
pub fn subscription(store: &Store, endpoint: &str) -> Result<Option<StoredSubscription>> {
    store.read(|c| {
        Ok(c.query_row(
            "SELECT provider, regions, confirmed, sign_key FROM push_subscriptions WHERE endpoint = ?1",
            [endpoint],
            |r| {
                let regions: String = r.get(1)?;
                Ok(StoredSubscription {
                    provider: r.get(0)?,
                    regions: decode_regions(&regions)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                    confirmed: r.get::<_, i64>(2)? == 1,
                    sign_key: r.get(3)?,
                })
            },
        )
        .optional()?)
    })
}

pub fn delete_subscriptions(store: &Store, endpoints: &[String]) -> Result<u64> {
    store.write(|tx| {
        let mut n = 0u64;
        let mut stmt = tx.prepare_cached("DELETE FROM push_subscriptions WHERE endpoint = ?1")?;
        for e in endpoints {
            n += u64::try_from(stmt.execute([e])?).unwrap_or(0);
        }
        Ok(n)
    })
}

/// Confirmed subscriptions following a region of the alert (every one for an alert with no
/// regions).
pub fn matching_subscriptions(store: &Store, alert_regions: &[String]) -> Result<Vec<Subscriber>> {
    store.read(|c| {
        let mut stmt =
            c.prepare_cached("SELECT provider, endpoint, push_key, regions FROM push_subscriptions WHERE confirmed = 1 ORDER BY endpoint")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let regions: String = row.get(3)?;
            if !regions_match(alert_regions, &decode_regions(&regions)) {
                continue;
            }
            let key: String = row.get(2)?;
            // A key that no longer parses cannot be pushed to; skip it rather than fail them all.
            let Ok(push_key) = SealPublicKey::parse(&key) else {
                continue;
            };
            out.push(Subscriber {
                provider: row.get(0)?,
                endpoint: row.get(1)?,
                push_key,
            });
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_encoding_and_matching() {
        let r = vec!["US-IL".to_owned(), "US-IL-CHI".to_owned()];
        assert_eq!(encode_regions(&r), " US-IL US-IL-CHI ");
        assert_eq!(
            decode_regions(" US-IL US-IL-CHI "),
            vec!["US-IL", "US-IL-CHI"]
        );
        assert!(decode_regions(&encode_regions(&[])).is_empty());
        assert!(regions_match::<&str, &str>(&[], &["US-CA"]));
        assert!(regions_match(&["US-IL-CHI"], &["US-IL"]));
        assert!(!regions_match(&["US-IL-CHI"], &["US-CA"]));
    }

    #[test]
    fn migrates_from_version_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HUB_DB);
        // Version 0: a file that exists but has no schema yet.
        drop(rusqlite::Connection::open(&path).unwrap());
        let store = Store::open(&path, HUB_SPEC).unwrap();
        assert_eq!(store.schema_version().unwrap(), HUB_SPEC.latest_version());
        assert!(HUB_SPEC.latest_version() >= 2);
        let now = Utc::now();
        assert_eq!(
            insert_report(&store, "r1", "k1", b"sealed", now, u64::MAX).unwrap(),
            ReportInsert::New { id: "r1".into() }
        );
        drop(store);
        // Opening again is a no-op and keeps the data.
        let store = open(dir.path()).unwrap();
        let page = reports_page(&store, 0, 10, now).unwrap();
        assert_eq!(page.reports.len(), 1);
    }

    #[test]
    fn h12_01_migration_002_keeps_version_1_alerts_and_reports() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HUB_DB);
        let v1 = StoreSpec {
            migrations: silbato_store::migrations!("hub": 1 => "001_init"),
            ..HUB_SPEC
        };
        let now = Utc::now().timestamp();
        {
            let store = Store::open(&path, v1).unwrap();
            assert_eq!(store.schema_version().unwrap(), 1);
            store
                .write(|tx| {
                    tx.execute(
                        "INSERT INTO alerts (id, payload_sha256, envelope, regions, expires, received_at) VALUES ('a1', 'h', x'00', ' US-IL ', ?1, ?2)",
                        params![now + 3600, now],
                    )?;
                    tx.execute(
                        "INSERT INTO reports (id, idempotency, body_sha256, sealed, received_at) VALUES ('r1', x'01', x'02', x'0203040506', ?1)",
                        [now],
                    )?;
                    Ok::<_, silbato_store::StoreError>(())
                })
                .unwrap();
        }
        let store = open(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), HUB_SPEC.latest_version());
        let (until, size): (i64, i64) = store
            .read(|c| {
                Ok::<_, silbato_store::StoreError>(c.query_row(
                    "SELECT (SELECT serve_until FROM alerts WHERE id = 'a1'), (SELECT size FROM reports WHERE id = 'r1')",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        assert_eq!(until, now + 3600, "served until its own expiry");
        assert_eq!(size, 5);
        let page = alerts_page(&store, 0, &[], 10, Utc::now()).unwrap();
        assert_eq!(page.envelopes, vec![vec![0u8]]);
        let reports = reports_page(&store, 0, 10, Utc::now()).unwrap();
        assert_eq!(reports.reports.len(), 1);
    }
}
