//! Silbato's core: every behaviour of the app, with no FFI and no user interface.
//!
//! Shells (the CLI, and through the bindings crate the Android and iOS apps) call into these
//! modules; nothing here depends on them. See `ARCHITECTURE.md` for the map.

pub mod crypto;
pub mod envelope;
pub mod error;
pub mod inbox;
pub mod keys;
pub mod network;
pub mod protocol;
pub mod rights;
pub mod seal;
pub mod store;
pub mod sync;
pub mod vault;
pub mod watchlist;

pub use error::{DocKind, Error, Result};
