//! The network's signed plate watch-list of known enforcement vehicles, and checking a plate
//! against it.
//!
//! A watch-list travels in the signed envelope (kind [`WATCHLIST_KIND`]), is versioned like a
//! content pack (an update must be newer and signed by the key that signed the installed version),
//! and validated here; storing and matching it is the device's (`silbato-core`), over
//! [`crate::plates::PlateIndex`]. This module must never log a plate.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, SigningKey};
use crate::envelope::{self, Envelope};
use crate::error::{DocKind, Error, Result};
use crate::plates::normalize;

pub use crate::error::WatchlistError;

pub const WATCHLIST_KIND: &str = "silbato.watchlist";
pub const MAX_WATCHLIST_BYTES: usize = 16 * 1024 * 1024;
pub const MAX_ENTRIES: usize = 200_000;

/// What a publisher signs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchlistPayload {
    pub format: u32,
    pub publisher: String,
    pub list_id: String,
    pub version: u64,
    pub issued: NaiveDate,
    pub entries: Vec<WatchEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchEntry {
    pub plate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<NaiveDate>,
}

fn invalid(e: WatchlistError) -> Error {
    e.into()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn valid_state(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase())
}

impl WatchlistPayload {
    /// Checks every rule, normalising plates and states in place.
    pub fn validated(mut self) -> Result<Self> {
        if self.format != 1 {
            return Err(Error::UnsupportedFormat {
                what: DocKind::Envelope,
                found: self.format,
            });
        }
        if !valid_id(&self.list_id) || !valid_id(&self.publisher) {
            return Err(invalid(WatchlistError::Id));
        }
        if self.version == 0 || i64::try_from(self.version).is_err() {
            return Err(invalid(WatchlistError::Version));
        }
        if self.entries.len() > MAX_ENTRIES {
            return Err(invalid(WatchlistError::TooManyEntries));
        }
        for e in &mut self.entries {
            e.plate = normalize(&e.plate)
                .map_err(|_| invalid(WatchlistError::Plate))?
                .as_str()
                .to_owned();
            if let Some(state) = &mut e.state {
                *state = state.trim().to_ascii_uppercase();
                if !valid_state(state) {
                    return Err(invalid(WatchlistError::State));
                }
            }
            if e.description
                .as_ref()
                .is_some_and(|d| d.chars().count() > 300 || d.chars().any(char::is_control))
            {
                return Err(invalid(WatchlistError::Description));
            }
        }
        Ok(self)
    }
}

/// Reads the organizer's CSV (`plate,state,description,last_seen`, header optional) into entries.
pub fn entries_from_csv(text: &str) -> Result<Vec<WatchEntry>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|_| invalid(WatchlistError::Csv))?;
        let field = |n: usize| {
            record
                .get(n)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let Some(plate) = field(0) else { continue };
        if i == 0 && plate.eq_ignore_ascii_case("plate") {
            continue;
        }
        let last_seen = match field(3) {
            Some(d) => Some(
                d.parse::<NaiveDate>()
                    .map_err(|_| invalid(WatchlistError::LastSeen))?,
            ),
            None => None,
        };
        out.push(WatchEntry {
            plate,
            state: field(1),
            description: field(2),
            last_seen,
        });
    }
    Ok(out)
}

/// The signed document: the payload's fields and, only when set, `allow_empty: true` — the
/// publisher's statement that a list with no vehicles is meant to replace one that has some.
/// Kept apart from [`WatchlistPayload`] so a list without the flag is the same bytes as before.
#[derive(Serialize)]
struct WireOut<'a> {
    format: u32,
    publisher: &'a str,
    list_id: &'a str,
    version: u64,
    issued: NaiveDate,
    entries: &'a [WatchEntry],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_empty: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn {
    format: u32,
    publisher: String,
    list_id: String,
    version: u64,
    issued: NaiveDate,
    entries: Vec<WatchEntry>,
    #[serde(default)]
    allow_empty: bool,
}

/// A watch-list file whose signature verified and whose payload parsed and validated.
#[derive(Debug, Clone)]
pub struct OpenedWatchlist {
    pub payload: WatchlistPayload,
    /// The trusted keys that signed it.
    pub signers: Vec<PublicKey>,
    /// The publisher built it with `allow_empty`: with no vehicles, it may replace a list that has.
    pub allow_empty: bool,
}

/// Validates and signs a watch-list, returning the file's bytes.
pub fn sign_watchlist(payload: WatchlistPayload, key: &SigningKey) -> Result<Vec<u8>> {
    sign_watchlist_with(payload, key, false)
}

/// As [`sign_watchlist`]; `allow_empty` puts `allow_empty: true` into the signed document, so a
/// device can tell a list emptied on purpose from one emptied by mistake.
pub fn sign_watchlist_with(
    payload: WatchlistPayload,
    key: &SigningKey,
    allow_empty: bool,
) -> Result<Vec<u8>> {
    let p = payload.validated()?;
    let wire = WireOut {
        format: p.format,
        publisher: &p.publisher,
        list_id: &p.list_id,
        version: p.version,
        issued: p.issued,
        entries: &p.entries,
        allow_empty,
    };
    let bytes = serde_json::to_vec(&wire).map_err(|_| Error::Encode)?;
    envelope::seal(WATCHLIST_KIND, &bytes, &[key])
}

/// Verifies a watch-list file against `trusted`, then parses and validates it.
pub fn open_watchlist(
    bytes: &[u8],
    trusted: impl Fn(&PublicKey) -> bool,
) -> Result<(WatchlistPayload, Vec<PublicKey>)> {
    let opened = open_watchlist_document(bytes, trusted)?;
    Ok((opened.payload, opened.signers))
}

/// As [`open_watchlist`], also telling whether the publisher built the list with `allow_empty`.
pub fn open_watchlist_document(
    bytes: &[u8],
    trusted: impl Fn(&PublicKey) -> bool,
) -> Result<OpenedWatchlist> {
    let env = Envelope::parse(
        bytes,
        DocKind::Envelope,
        WATCHLIST_KIND,
        MAX_WATCHLIST_BYTES,
    )?;
    let signers = env.verify(DocKind::Envelope, trusted)?;
    let wire: WireIn = serde_json::from_slice(&env.payload)
        .map_err(|e| Error::from_json(DocKind::Envelope, &e))?;
    let payload = WatchlistPayload {
        format: wire.format,
        publisher: wire.publisher,
        list_id: wire.list_id,
        version: wire.version,
        issued: wire.issued,
        entries: wire.entries,
    };
    Ok(OpenedWatchlist {
        payload: payload.validated()?,
        signers,
        allow_empty: wire.allow_empty,
    })
}
