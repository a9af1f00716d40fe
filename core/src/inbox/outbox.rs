//! The outbox of sealed sighting reports waiting for their network's hub, kept as ciphertext only.
//!
//! Each row of `outbox` (inbox.db version 5) is an opaque id (the report's idempotency key: a
//! hash of the sealed report, which says nothing without the hub) and one blob sealed under the
//! inbox key, padded to a size bucket: the network, when it was queued, the attempts, the next
//! attempt, the last error and the sealed report itself. Without the inbox key — which the panic
//! wipe destroys first — nothing about a queued report (its network, size or times) can be read.
//! Scheduling decrypts every row; the outbox is small.
//!
//! Rows an older build queued in clear metadata (the version 3 `outbox` table, renamed
//! `outbox_v3` by migration 005) are sealed here when the inbox opens, the one place that holds
//! the key, and the old table is dropped. It must never write a report's metadata in clear.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Inbox, OutboxItem, ts};
use crate::crypto::{aead_open, aead_seal, b64_decode, b64_encode};
use crate::error::{Error, Result};
use crate::network;

/// The smallest padded size of an outbox entry; larger ones are padded to the next power of two.
const MIN_BUCKET: usize = 1024;

fn outbox_aad(id: &str) -> Vec<u8> {
    format!("inbox.db/outbox/{id}/v5").into_bytes()
}

/// What a sealed outbox row holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    network_id: String,
    created_at: i64,
    attempts: u32,
    next_attempt_at: i64,
    last_error: Option<String>,
    /// The report sealed to the network's dispatchers, base64.
    report: String,
}

/// The padded size for `len` bytes: a power of two, at least [`MIN_BUCKET`].
fn bucket(len: usize) -> usize {
    len.max(MIN_BUCKET)
        .checked_next_power_of_two()
        .unwrap_or(len)
}

/// `[length: u32 LE][JSON][zeros]`, padded to its bucket, so an entry's size says only its bucket.
fn pad(json: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let len = u32::try_from(json.len()).map_err(|_| Error::Encode)?;
    let mut out = Zeroizing::new(Vec::with_capacity(bucket(json.len() + 4)));
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(json);
    out.resize(bucket(json.len() + 4), 0);
    Ok(out)
}

fn unpad(padded: &[u8]) -> Option<&[u8]> {
    let len = u32::from_le_bytes(padded.get(..4)?.try_into().ok()?);
    padded.get(4..4 + usize::try_from(len).ok()?)
}

fn corrupt() -> Error {
    Error::Corrupt { store: "inbox" }
}

impl Inbox {
    fn seal_entry(&self, id: &str, entry: &Entry) -> Result<Vec<u8>> {
        let json = Zeroizing::new(serde_json::to_vec(entry).map_err(|_| Error::Encode)?);
        Ok(aead_seal(self.key.bytes(), &outbox_aad(id), &pad(&json)?)?)
    }

    fn open_entry(&self, id: &str, sealed: &[u8]) -> Result<Entry> {
        let plain = aead_open(self.key.bytes(), &outbox_aad(id), sealed)?;
        serde_json::from_slice(unpad(&plain).ok_or_else(corrupt)?).map_err(|_| corrupt())
    }

    /// Every row, opened, in the order they were queued.
    fn entries(&self, c: &rusqlite::Connection) -> Result<Vec<(String, Entry)>> {
        let mut stmt = c.prepare_cached("SELECT id, sealed FROM outbox")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut entries = rows
            .into_iter()
            .map(|(id, sealed)| Ok((id.clone(), self.open_entry(&id, &sealed)?)))
            .collect::<Result<Vec<_>>>()?;
        entries.sort_by(|a, b| (a.1.created_at, &a.0).cmp(&(b.1.created_at, &b.0)));
        Ok(entries)
    }

    fn put(&self, tx: &Transaction<'_>, id: &str, entry: &Entry) -> Result<()> {
        tx.execute(
            "INSERT OR REPLACE INTO outbox (id, sealed) VALUES (?1, ?2)",
            params![id, self.seal_entry(id, entry)?],
        )?;
        Ok(())
    }

    /// Queues a sealed report to go out with the next sync. Returns its idempotency key. The same
    /// report queued twice is one entry.
    pub fn queue_report(
        &self,
        network_id: &str,
        sealed: &[u8],
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = crate::protocol::idempotency_key(sealed);
        let entry = Entry {
            network_id: network_id.to_owned(),
            created_at: ts(now),
            attempts: 0,
            next_attempt_at: ts(now),
            last_error: None,
            report: b64_encode(sealed),
        };
        self.store.write(|tx| {
            let exists: Option<i64> = tx
                .query_row("SELECT 1 FROM outbox WHERE id = ?1", [&id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                self.put(tx, &id, &entry)?;
            }
            Ok(())
        })?;
        Ok(id)
    }

    /// The queued reports, oldest first (decrypted: needs the inbox key).
    pub fn outbox(&self) -> Result<Vec<OutboxItem>> {
        let entries = self.store.read(|c| self.entries(c))?;
        entries
            .into_iter()
            .map(|(id, e)| {
                let bytes = b64_decode(&e.report).ok_or_else(corrupt)?.len();
                Ok(OutboxItem {
                    id,
                    network_id: e.network_id,
                    bytes: u64::try_from(bytes).unwrap_or(u64::MAX),
                    created_at: e.created_at,
                    attempts: e.attempts,
                    next_attempt_at: e.next_attempt_at,
                    last_error: e.last_error,
                })
            })
            .collect()
    }

    /// Reports due by `now` for the confirmed networks whose hub is `hub_url`, with their sealed
    /// bytes: a report goes only to its own network's hub, whose dispatchers it is sealed to,
    /// never to another network's hub. A URL no confirmed network names (an explicit `--hub`,
    /// such as a proxy in front of the network's hub) is taken to be the hub of every network, as
    /// before networks had hubs.
    pub(crate) fn due_reports(
        &self,
        hub_url: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Vec<u8>, u32)>> {
        self.store.read(|c| {
            let served: HashSet<String> = network::load_all_confirmed(c)?
                .into_iter()
                .filter(|p| silbato_proto::protocol::same_hub(&p.hub_url, hub_url))
                .map(|p| p.network_id)
                .collect();
            let mut due = Vec::new();
            for (id, e) in self.entries(c)? {
                if e.next_attempt_at <= ts(now)
                    && (served.is_empty() || served.contains(&e.network_id))
                {
                    let sealed = b64_decode(&e.report).ok_or_else(corrupt)?;
                    due.push((id, sealed, e.attempts));
                }
            }
            Ok(due)
        })
    }

    /// Whether `id` is still queued. Asked right before each report is posted: a panic wipe (or
    /// `network remove`) while a sync is sending must stop the reports it destroyed from leaving
    /// the phone; after a wipe this inbox's store is closed and this is an error.
    pub(crate) fn report_still_queued(&self, id: &str) -> Result<bool> {
        self.store.read(|c| {
            Ok(
                c.query_row("SELECT 1 FROM outbox WHERE id = ?1", [id], |_| Ok(()))
                    .optional()?
                    .is_some(),
            )
        })
    }

    pub(crate) fn report_sent(&self, id: &str) -> Result<()> {
        self.store.write(|tx| {
            Ok(tx
                .execute("DELETE FROM outbox WHERE id = ?1", [id])
                .map(|_| ())?)
        })
    }

    pub(crate) fn report_deferred(
        &self,
        id: &str,
        next_attempt: DateTime<Utc>,
        error: &'static str,
    ) -> Result<()> {
        self.store.write(|tx| {
            let sealed: Option<Vec<u8>> = tx
                .query_row("SELECT sealed FROM outbox WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(sealed) = sealed else {
                return Ok(());
            };
            let mut entry = self.open_entry(id, &sealed)?;
            entry.attempts = entry.attempts.saturating_add(1);
            entry.next_attempt_at = ts(next_attempt);
            entry.last_error = Some(error.to_owned());
            self.put(tx, id, &entry)
        })
    }

    /// Seals the rows an older build queued with clear metadata (`outbox_v3`, left by migration
    /// 005), then drops that table, in one transaction; then moves the WAL into the file so the
    /// old pages (zeroed by `secure_delete`) do not linger there. Nothing to do once done.
    pub(super) fn seal_legacy_outbox(&self) -> Result<()> {
        let moved = self.store.write(|tx| {
            let legacy: Option<String> = tx
                .query_row(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'outbox_v3'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if legacy.is_none() {
                return Ok(false);
            }
            let rows = {
                let mut stmt = tx.prepare(
                    "SELECT id, network_id, sealed, created_at, attempts, next_attempt_at, last_error FROM outbox_v3",
                )?;
                stmt.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        Entry {
                            network_id: r.get(1)?,
                            report: b64_encode(&r.get::<_, Vec<u8>>(2)?),
                            created_at: r.get(3)?,
                            attempts: u32::try_from(r.get::<_, i64>(4)?).unwrap_or(u32::MAX),
                            next_attempt_at: r.get(5)?,
                            last_error: r.get(6)?,
                        },
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
            };
            for (id, entry) in &rows {
                self.put(tx, id, entry)?;
            }
            tx.execute_batch("DROP TABLE outbox_v3")?;
            Ok(true)
        })?;
        if moved {
            // Best effort: a checkpoint that cannot finish now happens when the store closes.
            let _ = self.store.with_writer(|c| {
                c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    .map_err(Error::from)
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_hides_the_size_within_a_bucket() {
        let short = pad(&[b'a'; 10]).unwrap();
        let longer = pad(&[b'a'; 900]).unwrap();
        assert_eq!(short.len(), longer.len());
        assert_eq!(unpad(&short).unwrap(), &[b'a'; 10]);
        assert_eq!(pad(&[0; 2000]).unwrap().len(), 2048);
        assert_eq!(pad(&[0; 2100]).unwrap().len(), 4096);
        assert!(unpad(&[9, 0, 0, 0, 1]).is_none());
    }
}
