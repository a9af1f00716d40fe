//! Silbato's device core: the state a phone keeps, with no FFI and no user interface.
//!
//! The rights library, the sighting vault, the alert inbox, watch-lists, keys, sync and the outbox
//! live here, over the SQLite files of `silbato-store`; every document that crosses a device
//! boundary is `silbato-proto`'s. Shells (the CLI, and through the bindings crate the Android and
//! iOS apps) call into these modules; nothing here depends on them. See `ARCHITECTURE.md`.

pub mod app;
pub mod error;
pub mod files;
pub mod inbox;
pub mod keys;
pub mod lang;
pub mod network;
pub mod rights;
pub mod store;
pub mod sync;
pub mod vault;
pub mod watchlist;

pub use app::{App, AppConfig};
pub use error::{DocKind, Error, Result};
pub use silbato_proto as proto;
pub use silbato_proto::{crypto, envelope, protocol, seal};
