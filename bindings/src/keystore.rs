//! The platform key store as a foreign trait: Android Keystore and the iOS Keychain implement it
//! in the shells. Every method returns `Result`, so a failure (or a foreign exception) in the
//! shell becomes an error here instead of aborting the process.

use std::sync::Arc;

use silbato_core::keys::{KeyStoreError, PlatformKeyStore};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KeyStoreFailure {
    #[error("the key store is not available")]
    Unavailable,
    #[error("the key store refused")]
    Refused,
    #[error("no key under that label")]
    NotFound,
    #[error("the key store raised an unexpected error")]
    Unexpected,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyStoreFailure {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        KeyStoreFailure::Unexpected
    }
}

/// Wraps secrets so only this device's hardware-backed store can unwrap them.
#[uniffi::export(with_foreign)]
pub trait KeyStore: Send + Sync {
    fn wrap(&self, label: String, secret: Vec<u8>) -> Result<Vec<u8>, KeyStoreFailure>;
    fn unwrap(&self, label: String, blob: Vec<u8>) -> Result<Vec<u8>, KeyStoreFailure>;
    fn destroy(&self, label: String) -> Result<(), KeyStoreFailure>;
}

pub(crate) struct Adapter(pub Arc<dyn KeyStore>);

fn map(e: KeyStoreFailure) -> KeyStoreError {
    match e {
        KeyStoreFailure::Unavailable | KeyStoreFailure::Unexpected => KeyStoreError::Unavailable,
        KeyStoreFailure::Refused => KeyStoreError::Refused,
        KeyStoreFailure::NotFound => KeyStoreError::NotFound,
    }
}

impl PlatformKeyStore for Adapter {
    fn wrap(&self, label: &str, secret: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.0.wrap(label.to_owned(), secret.to_vec()).map_err(map)
    }

    fn unwrap(&self, label: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
        self.0
            .unwrap(label.to_owned(), blob.to_vec())
            .map(Zeroizing::new)
            .map_err(map)
    }

    fn destroy(&self, label: &str) -> Result<(), KeyStoreError> {
        self.0.destroy(label.to_owned()).map_err(map)
    }
}
