//! The pack compiled into the app from `content/` by `build.rs`.
//!
//! It is trusted because it is part of the binary: it carries no signature, and nothing read from
//! outside the binary may ever take this path into the store.

pub(crate) const BUNDLED_PACK: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/bundled_pack.json"));
