//! The one error the shells see, mapped from the core's in one place. Messages carry no user
//! content (the core's never do), and a field is never called `message` (it clashes with
//! Kotlin's `Throwable.message`).

use silbato_core::Error as Core;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SilbatoError {
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("the vault is locked")]
    Locked,
    #[error("not set up yet")]
    NotInitialized,
    #[error("already set up")]
    AlreadyInitialized,
    #[error("a signature does not verify")]
    BadSignature,
    #[error("not signed by a trusted key")]
    UntrustedKey,
    #[error("not newer than what is installed")]
    Rollback,
    #[error("invalid input: {reason}")]
    InvalidInput { reason: String },
    #[error("not found: {what}")]
    NotFound { what: String },
    #[error("damaged data: {reason}")]
    Corrupt { reason: String },
    #[error("storage error: {reason}")]
    Storage { reason: String },
    #[error("network error: {reason}")]
    Network { reason: String, retryable: bool },
    #[error("the platform key store failed: {reason}")]
    KeyStore { reason: String },
}

impl From<Core> for SilbatoError {
    fn from(e: Core) -> Self {
        let reason = e.to_string();
        match e {
            Core::WrongPassphrase => SilbatoError::WrongPassphrase,
            Core::Locked => SilbatoError::Locked,
            Core::NotInitialized => SilbatoError::NotInitialized,
            Core::AlreadyInitialized => SilbatoError::AlreadyInitialized,
            Core::BadSignature { .. } => SilbatoError::BadSignature,
            Core::UntrustedKey { .. } => SilbatoError::UntrustedKey,
            Core::Rollback { .. } => SilbatoError::Rollback,
            Core::InvalidInput { reason } => SilbatoError::InvalidInput {
                reason: reason.to_owned(),
            },
            Core::NotFound { what } => SilbatoError::NotFound {
                what: what.to_owned(),
            },
            Core::Network { reason, retryable } => SilbatoError::Network {
                reason: reason.to_owned(),
                retryable,
            },
            Core::KeyStore(_) => SilbatoError::KeyStore { reason },
            Core::Malformed { .. }
            | Core::Truncated { .. }
            | Core::TooLarge { .. }
            | Core::UnsupportedFormat { .. }
            | Core::InvalidContent(_) => SilbatoError::InvalidInput { reason },
            Core::Corrupt { .. }
            | Core::KeyFileCorrupt { .. }
            | Core::KeyMismatch { .. }
            | Core::Decrypt => SilbatoError::Corrupt { reason },
            Core::SchemaTooNew { .. }
            | Core::Storage(_)
            | Core::Io(_)
            | Core::CheckpointBusy
            | Core::Crypto => SilbatoError::Storage { reason },
        }
    }
}

pub type Result<T, E = SilbatoError> = std::result::Result<T, E>;
