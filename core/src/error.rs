//! The core's one error type.
//!
//! Every message here is safe to show and to log: variants carry ids, counts, versions and fixed
//! reasons, never user content (sighting text, places, plates, passphrases, keys) and never the
//! text of a parser error, which can quote the input it choked on.

use std::fmt;

/// Which kind of signed document an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Pack,
    KeyFile,
    Envelope,
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DocKind::Pack => "content pack",
            DocKind::KeyFile => "key file",
            DocKind::Envelope => "signed envelope",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the {what} is malformed (line {line}, column {column})")]
    Malformed {
        what: DocKind,
        line: usize,
        column: usize,
    },
    #[error("the {what} is truncated")]
    Truncated { what: DocKind },
    #[error("the {what} is larger than the {limit}-byte limit")]
    TooLarge { what: DocKind, limit: usize },
    #[error(
        "the {what} uses format {found}, which this version of Silbato cannot read; update the app"
    )]
    UnsupportedFormat { what: DocKind, found: u32 },
    #[error("the {what} is not signed by a trusted key")]
    UntrustedKey { what: DocKind },
    #[error("the {what} has a signature that does not verify")]
    BadSignature { what: DocKind },
    #[error("{pack_id} version {offered} is not newer than the installed version {installed}")]
    Rollback {
        pack_id: String,
        installed: u64,
        offered: u64,
    },
    #[error("{0}")]
    InvalidContent(#[from] silbato_content::ValidationError),
    #[error("invalid input: {reason}")]
    InvalidInput { reason: &'static str },
    #[error("no {what} with that id")]
    NotFound { what: &'static str },
    #[error(
        "{store}.db was written by a newer version of Silbato (schema {found}, this build knows {supported})"
    )]
    SchemaTooNew {
        store: &'static str,
        found: u32,
        supported: u32,
    },
    #[error("{store}.db is corrupt or not a database")]
    Corrupt { store: &'static str },
    /// SQLite's own message can quote SQL or values, so only its code is shown.
    #[error("storage error ({})", storage_code(.0))]
    Storage(#[from] rusqlite::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("cryptographic operation failed")]
    Crypto,
    #[error("data did not decrypt: it was changed, moved, or belongs to another key")]
    Decrypt,
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("the vault is locked")]
    Locked,
    #[error("no vault has been set up here yet")]
    NotInitialized,
    #[error("a vault already exists here")]
    AlreadyInitialized,
    #[error("the {what} key file is damaged")]
    KeyFileCorrupt { what: &'static str },
    #[error("the key does not fit this {store}.db (its canary did not decrypt)")]
    KeyMismatch { store: &'static str },
    #[error("the platform key store failed: {0}")]
    KeyStore(#[from] crate::keys::KeyStoreError),
    #[error("the WAL checkpoint could not complete because the database was busy")]
    CheckpointBusy,
    /// Talking to a hub failed. `retryable` says whether trying again later can help.
    #[error("network error: {reason}")]
    Network {
        reason: &'static str,
        retryable: bool,
    },
}

fn storage_code(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => format!("{:?}", f.code),
        rusqlite::Error::QueryReturnedNoRows => "no rows".into(),
        rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) => {
            "unexpected column type".into()
        }
        _ => "internal".into(),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Maps a JSON error to a typed one without keeping serde's message, which quotes input.
    pub(crate) fn from_json(what: DocKind, e: &serde_json::Error) -> Self {
        if e.is_eof() {
            Error::Truncated { what }
        } else {
            Error::Malformed {
                what,
                line: e.line(),
                column: e.column(),
            }
        }
    }

    /// True for the SQLite failures that mean the file itself is damaged.
    pub(crate) fn is_corruption(e: &rusqlite::Error) -> bool {
        matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        )
    }
}
