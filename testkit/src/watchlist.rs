//! Plate watch-lists made in code: [`WatchlistBuilder`] with the hub tests' defaults (one grey
//! van) or any number of generated plates.
//!
//! This module owns those defaults and the plate generator (the same plates on every run). It
//! must never normalise or validate plates itself: `WatchlistPayload::validated`, which
//! [`WatchlistBuilder::sign`] runs through `sign_watchlist`, does.

use chrono::NaiveDate;
use silbato_proto::Result;
use silbato_proto::crypto::SigningKey;
use silbato_proto::watchlist::{WatchEntry, WatchlistPayload, sign_watchlist};

/// Letters and digits that generated plates use (no I, O, Q, S, Z).
const PLATE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPRTUVWXY0123456789";

/// `n` pseudo-random 7-character plates (xorshift64 from a fixed seed), each with `state`.
pub fn generated_plates(n: usize, state: Option<&str>) -> Vec<WatchEntry> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            let plate: String = (0..7)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    PLATE_ALPHABET[(x % PLATE_ALPHABET.len() as u64) as usize] as char
                })
                .collect();
            WatchEntry {
                plate,
                state: state.map(str::to_owned),
                description: None,
                last_seen: None,
            }
        })
        .collect()
}

/// A watch-list to build or sign. Defaults: publisher `chi-publisher`, list `chi-vehicles`,
/// version 1, issued 2026-11-01, one entry (`ABC 1234`, IL, "grey van").
#[derive(Debug, Clone, PartialEq)]
pub struct WatchlistBuilder {
    payload: WatchlistPayload,
}

impl Default for WatchlistBuilder {
    fn default() -> Self {
        WatchlistBuilder::new()
    }
}

impl WatchlistBuilder {
    pub fn new() -> Self {
        WatchlistBuilder {
            payload: WatchlistPayload {
                format: 1,
                publisher: "chi-publisher".into(),
                list_id: "chi-vehicles".into(),
                version: 1,
                issued: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default(),
                entries: vec![WatchEntry {
                    plate: "ABC 1234".into(),
                    state: Some("IL".into()),
                    description: Some("grey van".into()),
                    last_seen: None,
                }],
            },
        }
    }

    pub fn publisher(mut self, publisher: &str) -> Self {
        self.payload.publisher = publisher.to_owned();
        self
    }

    pub fn list_id(mut self, list_id: &str) -> Self {
        self.payload.list_id = list_id.to_owned();
        self
    }

    pub fn version(mut self, version: u64) -> Self {
        self.payload.version = version;
        self
    }

    pub fn issued(mut self, issued: NaiveDate) -> Self {
        self.payload.issued = issued;
        self
    }

    /// Adds a plate.
    pub fn plate(mut self, plate: &str, state: Option<&str>, description: Option<&str>) -> Self {
        self.payload.entries.push(WatchEntry {
            plate: plate.to_owned(),
            state: state.map(str::to_owned),
            description: description.map(str::to_owned),
            last_seen: None,
        });
        self
    }

    /// Replaces the entries.
    pub fn entries(mut self, entries: Vec<WatchEntry>) -> Self {
        self.payload.entries = entries;
        self
    }

    /// Replaces the entries with [`generated_plates`].
    pub fn generated(self, n: usize, state: Option<&str>) -> Self {
        self.entries(generated_plates(n, state))
    }

    /// The payload, not validated.
    pub fn build(&self) -> WatchlistPayload {
        self.payload.clone()
    }

    /// Validates and signs the watch-list: the file's bytes.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>> {
        sign_watchlist(self.build(), key)
    }
}

#[cfg(test)]
mod tests {
    use silbato_proto::watchlist::open_watchlist;

    use super::*;

    #[test]
    fn watchlists_sign_and_open() {
        let key = crate::signing_key("publisher");
        let bytes = WatchlistBuilder::new()
            .version(2)
            .plate("xyz 987", Some("in"), None)
            .sign(&key)
            .unwrap();
        let (list, _) = open_watchlist(&bytes, |k| *k == key.public_key()).unwrap();
        assert_eq!(list.version, 2);
        assert_eq!(list.entries[1].plate, "XYZ987");
        let big = WatchlistBuilder::new().generated(1_000, Some("IL")).build();
        assert_eq!(big.entries.len(), 1_000);
        assert_eq!(big.entries, generated_plates(1_000, Some("IL")));
        assert!(big.validated().is_ok());
    }
}
