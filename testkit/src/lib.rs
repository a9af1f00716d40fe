//! Builders for tests, benchmarks, fuzz seeds, the FFI fixtures and `silbato demo`'s throwaway
//! loopback scenario (never for anything a person keeps or trusts): networks with their root, dispatcher and publisher keys
//! ([`NetworkBuilder`] → [`TestNetwork`]), alerts and co-signing ([`AlertBuilder`],
//! [`envelope`]), content packs ([`PackBuilder`] and the generators in [`pack`]), watch-lists
//! ([`WatchlistBuilder`]) and sealed reports ([`ReportBuilder`]).
//!
//! Everything is deterministic: keys come from labels ([`keys`]), times from a `now` the caller
//! gives (by default [`fixed_now`]), so the same builder gives the same bytes, fingerprints and
//! seeds on every run. This crate builds on `silbato-proto` and `silbato-content` only — never on
//! `silbato-core` — so the hub's tests and the fuzz workspace can use it; it must never read the
//! clock, touch the file system (except [`pack::bundled_pack`], which reads the content tree), or
//! hold a key that protects anything real.
//!
//! `expect` is allowed here, and used only where failure would be a bug in this crate (a key
//! derived from 32 bytes, a document that always serializes), each documented under `# Panics`.
#![allow(clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::panic))]

pub mod alert;
pub mod envelope;
pub mod keys;
pub mod network;
pub mod pack;
pub mod report;
pub mod watchlist;

use chrono::{DateTime, Utc};

/// The id of the network most tests use.
pub const DEFAULT_NETWORK_ID: &str = "chi";

pub use alert::AlertBuilder;
pub use keys::{dispatcher_keys, seal_key, signing_key};
pub use network::{DispatcherSpec, NetworkBuilder, TestNetwork, fingerprint_of, sign_profile};
pub use pack::PackBuilder;
pub use report::{ReportBuilder, sample_sighting};
pub use watchlist::WatchlistBuilder;

/// The default clock of every builder: 2026-06-01T12:00:00Z (the fuzz fixtures' too).
pub fn fixed_now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_315_200, 0).unwrap_or_default()
}
