//! The one error the shells see, mapped from the core's in one place. Messages carry no user
//! content (the core's never do), and a field is never called `message` (it clashes with
//! Kotlin's `Throwable.message`).
//!
//! Every variant carries `code`, the core's stable machine code (`vault.wrong_passphrase`,
//! `media.too_large`, ...; `docs/errors.md`), so a shell can show the message in the reader's
//! language; the variant says what kind of failure it is, the code says exactly which. The
//! bindings' own checks of foreign arguments use `ffi.*` codes, listed in [`FFI_CODES`].

use silbato_core::Error as Core;

/// The codes the bindings add for arguments the foreign side passed (never a core failure).
pub const FFI_CODES: &[&str] = &[
    "ffi.passphrase_not_utf8",
    "ffi.key_length",
    "ffi.time_out_of_range",
    "ffi.half_a_location",
];

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SilbatoError {
    #[error("wrong passphrase")]
    WrongPassphrase { code: String },
    #[error("the vault is locked")]
    Locked { code: String },
    #[error("not set up yet")]
    NotInitialized { code: String },
    #[error("already set up")]
    AlreadyInitialized { code: String },
    #[error("a signature does not verify")]
    BadSignature { code: String },
    #[error("not signed by a trusted key")]
    UntrustedKey { code: String },
    #[error("not newer than what is installed")]
    Rollback { code: String },
    #[error("invalid input: {reason}")]
    InvalidInput { code: String, reason: String },
    #[error("not found: {what}")]
    NotFound { code: String, what: String },
    #[error("damaged data: {reason}")]
    Corrupt { code: String, reason: String },
    #[error("storage error: {reason}")]
    Storage { code: String, reason: String },
    #[error("network error: {reason}")]
    Network {
        code: String,
        reason: String,
        retryable: bool,
    },
    #[error("the platform key store failed: {reason}")]
    KeyStore { code: String, reason: String },
}

impl SilbatoError {
    /// A foreign argument the bindings refuse before calling the core.
    pub(crate) fn invalid_argument(code: &'static str, reason: &'static str) -> Self {
        debug_assert!(FFI_CODES.contains(&code));
        SilbatoError::InvalidInput {
            code: code.to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// The stable machine code this error carries.
    pub fn code(&self) -> &str {
        match self {
            SilbatoError::WrongPassphrase { code }
            | SilbatoError::Locked { code }
            | SilbatoError::NotInitialized { code }
            | SilbatoError::AlreadyInitialized { code }
            | SilbatoError::BadSignature { code }
            | SilbatoError::UntrustedKey { code }
            | SilbatoError::Rollback { code }
            | SilbatoError::InvalidInput { code, .. }
            | SilbatoError::NotFound { code, .. }
            | SilbatoError::Corrupt { code, .. }
            | SilbatoError::Storage { code, .. }
            | SilbatoError::Network { code, .. }
            | SilbatoError::KeyStore { code, .. } => code,
        }
    }
}

impl From<Core> for SilbatoError {
    fn from(e: Core) -> Self {
        let reason = e.to_string();
        let code = e.code().to_owned();
        match e {
            Core::WrongPassphrase => SilbatoError::WrongPassphrase { code },
            Core::Locked => SilbatoError::Locked { code },
            Core::NotInitialized => SilbatoError::NotInitialized { code },
            Core::AlreadyInitialized => SilbatoError::AlreadyInitialized { code },
            Core::BadSignature { .. } => SilbatoError::BadSignature { code },
            Core::UntrustedKey { .. } => SilbatoError::UntrustedKey { code },
            Core::Rollback { .. } => SilbatoError::Rollback { code },
            Core::NotFound { what } => SilbatoError::NotFound {
                code,
                what: what.to_string(),
            },
            Core::Sync(e) => SilbatoError::Network {
                code,
                reason: e.to_string(),
                retryable: e.retryable(),
            },
            Core::KeyStore(_) => SilbatoError::KeyStore { code, reason },
            Core::Malformed { .. }
            | Core::Truncated { .. }
            | Core::TooLarge { .. }
            | Core::UnsupportedFormat { .. }
            | Core::InvalidContent(_)
            | Core::Alert(_)
            | Core::Sighting(_)
            | Core::Watchlist(_)
            | Core::Push(_)
            | Core::Plate(_)
            | Core::Geo(_)
            | Core::Media(_)
            | Core::Vault(_)
            | Core::Inbox(_)
            | Core::Rights(_)
            | Core::Install(_)
            | Core::Key(_)
            | Core::Protocol(_)
            | Core::Profile(_)
            | Core::Export(_)
            | Core::Seal(_)
            | Core::Cap(_) => SilbatoError::InvalidInput { code, reason },
            Core::Corrupt { .. }
            | Core::KeyFileCorrupt { .. }
            | Core::KeyMismatch { .. }
            | Core::Decrypt => SilbatoError::Corrupt { code, reason },
            Core::SchemaTooNew { .. }
            | Core::Storage(_)
            | Core::Io(_)
            | Core::CheckpointBusy
            | Core::Encode
            | Core::Crypto => SilbatoError::Storage { code, reason },
        }
    }
}

impl From<silbato_core::proto::Error> for SilbatoError {
    fn from(e: silbato_core::proto::Error) -> Self {
        Core::from(e).into()
    }
}

pub type Result<T, E = SilbatoError> = std::result::Result<T, E>;
