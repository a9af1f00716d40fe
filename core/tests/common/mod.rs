//! Packs made in code for the rights tests: the generators (`pack`, `pack_cards`, `labels`) live in
//! `silbato_testkit::pack`, shared with the benchmarks, the hub's tests and the fuzz seeds; this
//! module only re-exports them.

pub use silbato_testkit::pack::*;
