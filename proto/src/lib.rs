//! Silbato's protocol, sans I/O: the crypto wrappers, the signed envelope, sealing, geometry, and
//! every document that crosses a device boundary, with its validation and verification.
//!
//! This crate owns the bytes: pack envelopes, network profiles, alerts and their CAP form,
//! watch-lists and plate normalisation, sighting records and sealed reports, the vault's hash chain
//! and export format with its third-party verifier, push payloads, and protocol v1's wire types and
//! dispatcher request signatures. It must never open a file, a database or a socket, and never read
//! the clock: time comes in as a parameter. The device core, the hub and the fuzz targets build on
//! it; it depends on none of them.

pub mod alert;
pub mod cap;
pub mod chain;
pub mod crypto;
pub mod envelope;
pub mod error;
pub mod export;
pub mod geo;
pub mod media;
pub mod network;
pub mod pack;
pub mod plates;
pub mod protocol;
pub mod push;
pub mod query;
pub mod seal;
pub mod sighting;
pub mod urls;
pub mod watchlist;

pub use error::{DocKind, Error, Result};
