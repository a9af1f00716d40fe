//! The watch-lists a device has installed, in `inbox.db`, and checking a plate against them.
//!
//! The signed document and its validation are `silbato_proto::watchlist`; plate normalisation and
//! matching are `silbato_proto::plates`. This module stores installed lists (an update must be newer
//! and signed by the key that signed the installed version) and matches in memory over a
//! [`PlateIndex`], rebuilt when a list is installed. It must never store or log a plate a user
//! typed: a query is matched and forgotten.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::store::Store;
use silbato_proto::crypto::{PublicKey, sha256_hex};
pub use silbato_proto::plates;
use silbato_proto::plates::{MatchKind, Plate, PlateIndex, normalize};
pub use silbato_proto::watchlist::*;

use crate::error::{DocKind, Error, Result};

use crate::inbox::INBOX_SPEC;

pub const INBOX_DB: &str = "inbox.db";

/// One listed vehicle a checked plate matched.
#[derive(Debug, Clone, Serialize)]
pub struct WatchHit {
    pub list_id: String,
    pub plate: String,
    pub state: Option<String>,
    pub description: Option<String>,
    pub last_seen: Option<NaiveDate>,
    pub kind: MatchKind,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchlistInfo {
    pub list_id: String,
    pub publisher: String,
    pub version: u64,
    pub issued: String,
    pub entries: u64,
    pub signer: String,
}

struct Indexed {
    index: PlateIndex,
    rows: Vec<WatchHitRow>,
}

struct WatchHitRow {
    list_id: String,
    plate: String,
    state: Option<String>,
    description: Option<String>,
    last_seen: Option<NaiveDate>,
}

/// Installed watch-lists over `inbox.db`, with an in-memory index for checks.
pub struct Watchlists {
    store: Arc<Store>,
    index: Mutex<Option<Arc<Indexed>>>,
}

impl std::fmt::Debug for Watchlists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchlists").finish_non_exhaustive()
    }
}

impl Watchlists {
    /// Opens `inbox.db` in `data_dir` on its own. Inside the app, [`Watchlists::with_store`]
    /// shares the inbox's connection instead.
    pub fn open(data_dir: &Path) -> Result<Self> {
        crate::files::private_dir(data_dir)?;
        Ok(Self::with_store(Arc::new(Store::open(
            &data_dir.join(INBOX_DB),
            INBOX_SPEC,
        )?)))
    }

    pub fn with_store(store: Arc<Store>) -> Self {
        Self {
            store,
            index: Mutex::new(None),
        }
    }

    /// Installs a verified watch-list atomically; refuses rollbacks, takeovers of a list by a
    /// key other than the one that signed the installed version, and a list with no vehicles
    /// replacing one that has some (see [`Watchlists::install_allowing_empty`]).
    pub fn install(&self, bytes: &[u8], trusted: &HashSet<PublicKey>) -> Result<WatchlistInfo> {
        self.install_with(bytes, trusted, false)
    }

    /// As [`Watchlists::install`], but a list with no vehicles may replace one that has some when
    /// its publisher also built it with `allow_empty` (in the signed document). Both are needed:
    /// the publisher says the list is empty on purpose, and the user says so too.
    pub fn install_allowing_empty(
        &self,
        bytes: &[u8],
        trusted: &HashSet<PublicKey>,
    ) -> Result<WatchlistInfo> {
        self.install_with(bytes, trusted, true)
    }

    fn install_with(
        &self,
        bytes: &[u8],
        trusted: &HashSet<PublicKey>,
        user_allows_empty: bool,
    ) -> Result<WatchlistInfo> {
        let opened = open_watchlist_document(bytes, |k| trusted.contains(k))?;
        let (payload, signers) = (&opened.payload, &opened.signers);
        let info = self.store.write(|tx| {
            let installed: Option<(i64, String, i64)> = tx
                .query_row(
                    "SELECT w.version, w.signer,
                            (SELECT count(*) FROM watch_entries e WHERE e.list_id = w.list_id)
                     FROM watchlists w WHERE w.list_id = ?1",
                    [&payload.list_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let signer = match &installed {
                Some((version, owner, _)) => {
                    let installed = u64::try_from(*version).unwrap_or(0);
                    if payload.version <= installed {
                        return Err(Error::Rollback { pack_id: payload.list_id.clone(), installed, offered: payload.version });
                    }
                    signers.iter().find(|k| k.to_string() == *owner).copied()
                }
                None => signers.first().copied(),
            }
            .ok_or(Error::UntrustedKey { what: DocKind::Envelope })?;
            // An empty list silently replacing a full one would make every check say "no match".
            if let Some((_, _, held)) = installed
                && held > 0
                && payload.entries.is_empty()
                && !(opened.allow_empty && user_allows_empty)
            {
                return Err(WatchlistError::EmptyReplacesEntries.into());
            }
            tx.execute("DELETE FROM watchlists WHERE list_id = ?1", [&payload.list_id])?;
            tx.execute(
                "INSERT INTO watchlists (list_id, publisher, version, issued, signer, installed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    payload.list_id,
                    payload.publisher,
                    i64::try_from(payload.version).unwrap_or(i64::MAX),
                    payload.issued.to_string(),
                    signer.to_string(),
                    Utc::now().timestamp()
                ],
            )?;
            let mut stmt = tx.prepare_cached(
                "INSERT INTO watch_entries (list_id, idx, plate, state, description, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, e) in payload.entries.iter().enumerate() {
                stmt.execute(params![
                    payload.list_id,
                    i64::try_from(i).unwrap_or(i64::MAX),
                    e.plate,
                    e.state,
                    e.description,
                    e.last_seen.map(|d| d.to_string())
                ])?;
            }
            Ok(WatchlistInfo {
                list_id: payload.list_id.clone(),
                publisher: payload.publisher.clone(),
                version: payload.version,
                issued: payload.issued.to_string(),
                entries: u64::try_from(payload.entries.len()).unwrap_or(u64::MAX),
                signer: signer.to_string(),
            })
        })?;
        *self
            .index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        Ok(info)
    }

    pub fn lists(&self) -> Result<Vec<WatchlistInfo>> {
        self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT w.list_id, w.publisher, w.version, w.issued, w.signer,
                        (SELECT count(*) FROM watch_entries e WHERE e.list_id = w.list_id)
                 FROM watchlists w ORDER BY w.list_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(WatchlistInfo {
                    list_id: r.get(0)?,
                    publisher: r.get(1)?,
                    version: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    issued: r.get(3)?,
                    signer: r.get(4)?,
                    entries: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn indexed(&self) -> Result<Arc<Indexed>> {
        let mut guard = self
            .index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(ix) = guard.as_ref() {
            return Ok(Arc::clone(ix));
        }
        let rows = self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT list_id, plate, state, description, last_seen FROM watch_entries ORDER BY list_id, idx",
            )?;
            let rows = stmt.query_map([], |r| {
                let last_seen: Option<String> = r.get(4)?;
                Ok(WatchHitRow {
                    list_id: r.get(0)?,
                    plate: r.get(1)?,
                    state: r.get(2)?,
                    description: r.get(3)?,
                    last_seen: last_seen.and_then(|d| d.parse().ok()),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let index = PlateIndex::new(
            rows.iter()
                .enumerate()
                .filter_map(|(i, r)| normalize(&r.plate).ok().map(|p| (i, p, r.state.clone()))),
        );
        let ix = Arc::new(Indexed { index, rows });
        *guard = Some(Arc::clone(&ix));
        Ok(ix)
    }

    /// Checks a plate (full or partial, `?` for an unknown character) against every installed
    /// list, optionally only entries of one state. With no list installed this finds nothing;
    /// a user's explicit check uses [`Watchlists::check_installed`], which says so instead.
    pub fn check(&self, plate: &str, state: Option<&str>) -> Result<Vec<WatchHit>> {
        let query: Plate = normalize(plate)?;
        self.check_plate(&query, state)
    }

    /// As [`Watchlists::check`], but with no watch-list installed the answer is
    /// [`WatchlistError::NoneInstalled`], never an empty "no match".
    pub fn check_installed(&self, plate: &str, state: Option<&str>) -> Result<Vec<WatchHit>> {
        let query: Plate = normalize(plate)?;
        let any: bool = self.store.read(|c| {
            Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM watchlists)", [], |r| r.get(0))?)
        })?;
        if !any {
            return Err(WatchlistError::NoneInstalled.into());
        }
        self.check_plate(&query, state)
    }

    pub fn check_plate(&self, query: &Plate, state: Option<&str>) -> Result<Vec<WatchHit>> {
        let ix = self.indexed()?;
        Ok(ix
            .index
            .find(query, state)
            .into_iter()
            .filter_map(|m| {
                ix.rows.get(m.entry).map(|r| WatchHit {
                    list_id: r.list_id.clone(),
                    plate: r.plate.clone(),
                    state: r.state.clone(),
                    description: r.description.clone(),
                    last_seen: r.last_seen,
                    kind: m.kind,
                })
            })
            .collect())
    }

    /// A digest of what is installed, for tests that prove a refused install changed nothing.
    pub fn fingerprint(&self) -> Result<String> {
        let lists = self.lists()?;
        Ok(sha256_hex(
            format!(
                "{:?}",
                lists
                    .iter()
                    .map(|l| (&l.list_id, l.version, l.entries))
                    .collect::<Vec<_>>()
            )
            .as_bytes(),
        ))
    }
}
