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
    migrations: silbato_store::migrations!("hub": 1 => "001_init"),
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
                tx.execute(
                    "INSERT INTO alerts (id, payload_sha256, envelope, regions, expires, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        alert.id,
                        alert.payload_sha256,
                        alert.envelope,
                        encode_regions(alert.regions),
                        alert.expires.timestamp(),
                        now.timestamp()
                    ],
                )?;
                Ok(AlertInsert::New {
                    seq: tx.last_insert_rowid(),
                })
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

/// Alerts after `after`, unexpired, for any of `followed` (all when empty), up to `limit`.
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
            "SELECT seq, regions, envelope FROM alerts WHERE seq > ?1 AND expires > ?2 ORDER BY seq",
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
    New { id: String },
    Duplicate { id: String },
    Conflict,
}

pub fn insert_report(
    store: &Store,
    new_id: &str,
    idempotency_key: &str,
    sealed: &[u8],
    now: DateTime<Utc>,
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
                tx.execute(
                    "INSERT INTO reports (id, idempotency, body_sha256, sealed, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        new_id,
                        key_hash.as_slice(),
                        body_hash.as_slice(),
                        sealed,
                        now.timestamp()
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
    pub reports: u64,
    pub alerts: u64,
}

pub fn purge(
    store: &Store,
    now: DateTime<Utc>,
    delivered_reports_days: u32,
    expired_alerts_days: u32,
) -> Result<Purged> {
    let day = 86_400i64;
    store.write(|tx| {
        let reports = tx.execute(
            "DELETE FROM reports WHERE delivered_at IS NOT NULL AND delivered_at < ?1",
            [now.timestamp() - i64::from(delivered_reports_days) * day],
        )?;
        let alerts = tx.execute(
            "DELETE FROM alerts WHERE expires < ?1",
            [now.timestamp() - i64::from(expired_alerts_days) * day],
        )?;
        Ok(Purged {
            reports: u64::try_from(reports).unwrap_or(u64::MAX),
            alerts: u64::try_from(alerts).unwrap_or(u64::MAX),
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

pub fn upsert_subscription(
    store: &Store,
    provider: PushProvider,
    endpoint: &str,
    push_key: &SealPublicKey,
    regions: &[String],
    now: DateTime<Utc>,
) -> Result<()> {
    // Only the day: enough to prune abandoned subscriptions, no finer trace of the device.
    let day = now.timestamp() - now.timestamp().rem_euclid(86_400);
    store.write(|tx| {
        tx.execute(
            "INSERT INTO push_subscriptions (endpoint, provider, push_key, regions, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (endpoint) DO UPDATE SET provider = excluded.provider, push_key = excluded.push_key, regions = excluded.regions, updated_at = excluded.updated_at",
            params![endpoint, provider_name(provider), push_key.to_string(), encode_regions(regions), day],
        )?;
        Ok(())
    })
}

pub fn delete_subscription(store: &Store, endpoint: &str) -> Result<bool> {
    store.write(|tx| {
        Ok(tx.execute(
            "DELETE FROM push_subscriptions WHERE endpoint = ?1",
            [endpoint],
        )? > 0)
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

/// Subscriptions following a region of the alert (every one for an alert with no regions).
pub fn matching_subscriptions(store: &Store, alert_regions: &[String]) -> Result<Vec<Subscriber>> {
    store.read(|c| {
        let mut stmt =
            c.prepare_cached("SELECT provider, endpoint, push_key, regions FROM push_subscriptions ORDER BY endpoint")?;
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
        assert_eq!(HUB_SPEC.latest_version(), 1);
        let now = Utc::now();
        assert_eq!(
            insert_report(&store, "r1", "k1", b"sealed", now).unwrap(),
            ReportInsert::New { id: "r1".into() }
        );
        drop(store);
        // Opening again is a no-op and keeps the data.
        let store = open(dir.path()).unwrap();
        let page = reports_page(&store, 0, 10, now).unwrap();
        assert_eq!(page.reports.len(), 1);
    }
}
