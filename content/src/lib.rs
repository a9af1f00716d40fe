//! The content pack format shared by the core, the build script that bundles content, and the
//! organizer's `pack build` tool.
//!
//! This crate owns the *payload* of a content pack (what the publisher signs), its validation rules,
//! the small Markdown subset that card bodies use, and the loader for the editable source tree in
//! `content/`. It must never touch signatures, storage or the network: a payload is trusted or not
//! by the core, which verifies the signature over the exact bytes before this crate parses them.

mod markdown;
mod model;
mod source;
mod validate;

pub use markdown::{Block, Inline, parse_markdown, plain_text};
pub use model::{
    Card, CardText, Category, FORMAT_VERSION, Hotline, Labels, Language, PackPayload, Source,
};
pub use source::{SourceError, load_dir};
pub use validate::{Limits, ValidationError, validate};
