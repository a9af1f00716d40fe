//! Data keys and how they are kept: a random 256-bit key per store (vault, inbox), never derived
//! from a passphrase directly, wrapped by a passphrase-derived key (Argon2id) and/or by the
//! platform key store (Android Keystore, iOS Keychain — a trait the shells implement).
//!
//! This module owns the key file format (`vault.keys`, `inbox.keys`), the KDF parameters, telling
//! a wrong passphrase from a damaged key file, and destroying wrapped keys. It must never write a
//! data key or a passphrase anywhere but into `Zeroizing` memory, and never put one in an error.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::{aead_open, aead_seal, b64_decode, b64_encode, random_fill, sha256};
use crate::error::{Error, Result};
use crate::files::{private_dir, sync_dir};

pub use crate::error::KeyStoreError;

/// A random 256-bit data key. Zeroized when dropped.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        random_fill(key.as_mut())?;
        Ok(Self(key))
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Result<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return Err(Error::Decrypt);
        }
        key.copy_from_slice(bytes);
        Ok(Self(key))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// A passphrase, zeroized when dropped.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Compares two passphrases (for "type it twice" prompts).
    pub fn same_as(&self, other: &Passphrase) -> bool {
        // Hashes first, so the comparison's time says nothing about where they differ.
        crate::crypto::sha256(self.bytes()) == crate::crypto::sha256(other.bytes())
    }

    pub fn is_acceptable(&self) -> bool {
        self.0.chars().count() >= 8
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

/// Argon2id cost. Stored beside each wrapped key, so a key wrapped under older parameters still
/// unwraps after the defaults change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl KdfParams {
    /// The default: 64 MiB, 3 passes, one lane — about 0.5–1 s on a mid-range phone, a cost that
    /// makes guessing a passphrase from a seized phone slow without making unlock painful.
    pub const DEFAULT: KdfParams = KdfParams {
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };
    /// For tests only: milliseconds, not seconds. Never for real data.
    pub const FAST_INSECURE: KdfParams = KdfParams {
        m_cost_kib: 256,
        t_cost: 1,
        p_cost: 1,
    };

    fn check(&self) -> Result<Params> {
        // Bounds stop a tampered key file from asking for terabytes of memory.
        if self.m_cost_kib > 4 * 1024 * 1024 || self.t_cost > 64 || self.p_cost > 16 {
            return Err(Error::KeyFileCorrupt {
                what: "KDF parameters",
            });
        }
        Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(32)).map_err(|_| {
            Error::KeyFileCorrupt {
                what: "KDF parameters",
            }
        })
    }

    /// Derives the key-encryption key from a passphrase.
    pub fn derive(&self, passphrase: &Passphrase, salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.check()?);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.bytes(), salt, out.as_mut())
            .map_err(|_| Error::Crypto)?;
        Ok(out)
    }
}

/// The platform's hardware-backed key store, implemented by the shells (Android Keystore, iOS
/// Keychain with when-unlocked-this-device-only). `wrap` returns an opaque blob that only this
/// store on this device can `unwrap`; `destroy` makes every blob under `label` unusable.
pub trait PlatformKeyStore: Send + Sync {
    fn wrap(&self, label: &str, secret: &[u8]) -> Result<Vec<u8>, KeyStoreError>;
    fn unwrap(&self, label: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyStoreError>;
    fn destroy(&self, label: &str) -> Result<(), KeyStoreError>;
}

/// A [`PlatformKeyStore`] for the desktop CLI: one random wrapping key per label, in a file
/// readable only by its owner (`<dir>/keystore-<label>.key`). Weaker than Android Keystore or the
/// iOS Keychain: anyone who can read the user's files can read the key. Documented as such.
#[derive(Debug, Clone)]
pub struct FileKeyStore {
    dir: PathBuf,
}

impl FileKeyStore {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, label: &str) -> Result<PathBuf, KeyStoreError> {
        if label.is_empty()
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(KeyStoreError::Refused);
        }
        Ok(self.dir.join(format!("keystore-{label}.key")))
    }

    fn key(&self, label: &str, create: bool) -> Result<Zeroizing<[u8; 32]>, KeyStoreError> {
        let path = self.path(label)?;
        match fs::read(&path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                let mut key = Zeroizing::new([0u8; 32]);
                if bytes.len() != 32 {
                    return Err(KeyStoreError::Refused);
                }
                key.copy_from_slice(&bytes);
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut key = Zeroizing::new([0u8; 32]);
                random_fill(key.as_mut()).map_err(|_| KeyStoreError::Unavailable)?;
                private_dir(&self.dir).map_err(|_| KeyStoreError::Unavailable)?;
                let mut opts = fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(&path).map_err(|_| KeyStoreError::Unavailable)?;
                f.write_all(key.as_ref())
                    .and_then(|()| f.sync_all())
                    .map_err(|_| KeyStoreError::Unavailable)?;
                Ok(key)
            }
            Err(_) => Err(KeyStoreError::NotFound),
        }
    }
}

impl PlatformKeyStore for FileKeyStore {
    fn wrap(&self, label: &str, secret: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        let key = self.key(label, true)?;
        aead_seal(&key, label.as_bytes(), secret).map_err(|_| KeyStoreError::Refused)
    }

    fn unwrap(&self, label: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
        let key = self.key(label, false)?;
        aead_open(&key, label.as_bytes(), blob).map_err(|_| KeyStoreError::Refused)
    }

    fn destroy(&self, label: &str) -> Result<(), KeyStoreError> {
        overwrite_and_remove(&self.path(label)?).map_err(|_| KeyStoreError::Refused)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PassphraseSlot {
    kdf: String,
    params: KdfParams,
    salt: String,
    wrapped: String,
    /// SHA-256 of the fields above: tells a damaged slot from a wrong passphrase, since both make
    /// the AEAD fail.
    digest: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformSlot {
    label: String,
    blob: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileDoc {
    format: String,
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    passphrase: Option<PassphraseSlot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platform: Option<PlatformSlot>,
}

const KEY_FILE_FORMAT: &str = "silbato-wrapped-key";
const KEY_FILE_MAX: u64 = 64 * 1024;
const WRAP_AAD: &[u8] = b"silbato/wrapped-data-key/v1";

fn slot_digest(params: &KdfParams, salt: &str, wrapped: &str) -> String {
    let text = format!(
        "{}:{}:{}:{salt}:{wrapped}",
        params.m_cost_kib, params.t_cost, params.p_cost
    );
    b64_encode(&sha256(text.as_bytes()))
}

/// The wrapped copies of one data key, kept in a small file beside its database.
#[derive(Debug)]
pub struct KeyFile {
    path: PathBuf,
    what: &'static str,
}

impl KeyFile {
    pub fn new(path: PathBuf, what: &'static str) -> Self {
        Self { path, what }
    }

    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    fn corrupt(&self) -> Error {
        Error::KeyFileCorrupt { what: self.what }
    }

    fn read(&self) -> Result<KeyFileDoc> {
        let meta = fs::metadata(&self.path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotInitialized,
            _ => Error::Io(e),
        })?;
        if meta.len() > KEY_FILE_MAX {
            return Err(self.corrupt());
        }
        let bytes = fs::read(&self.path)?;
        let doc: KeyFileDoc = serde_json::from_slice(&bytes).map_err(|_| self.corrupt())?;
        if doc.format != KEY_FILE_FORMAT || doc.version != 1 {
            return Err(self.corrupt());
        }
        Ok(doc)
    }

    /// Replaces the file atomically: a crash leaves the old file or the new one, never half.
    fn write(&self, doc: &KeyFileDoc) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(doc).map_err(|_| Error::Encode)?;
        let tmp = self.path.with_extension("keys.tmp");
        {
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        sync_dir(&self.path);
        Ok(())
    }

    /// Creates the file with a passphrase slot for `key`. Refuses to replace an existing one.
    pub fn create(&self, key: &DataKey, passphrase: &Passphrase, params: KdfParams) -> Result<()> {
        if self.exists() {
            return Err(Error::AlreadyInitialized);
        }
        let doc = KeyFileDoc {
            format: KEY_FILE_FORMAT.into(),
            version: 1,
            passphrase: Some(passphrase_slot(key, passphrase, params)?),
            platform: None,
        };
        self.write(&doc)
    }

    /// Creates the file with only a platform slot (the inbox key: no passphrase to type).
    pub fn create_platform_only(
        &self,
        key: &DataKey,
        store: &dyn PlatformKeyStore,
        label: &str,
    ) -> Result<()> {
        if self.exists() {
            return Err(Error::AlreadyInitialized);
        }
        let blob = store.wrap(label, key.bytes())?;
        let doc = KeyFileDoc {
            format: KEY_FILE_FORMAT.into(),
            version: 1,
            passphrase: None,
            platform: Some(PlatformSlot {
                label: label.into(),
                blob: b64_encode(&blob),
            }),
        };
        self.write(&doc)
    }

    /// Unwraps the data key with a passphrase: `WrongPassphrase` when the slot is intact but the
    /// key did not decrypt, `KeyFileCorrupt` when the slot itself was changed.
    pub fn unwrap_with_passphrase(&self, passphrase: &Passphrase) -> Result<DataKey> {
        let doc = self.read()?;
        let slot = doc.passphrase.ok_or(Error::WrongPassphrase)?;
        if slot.kdf != "argon2id"
            || slot_digest(&slot.params, &slot.salt, &slot.wrapped) != slot.digest
        {
            return Err(self.corrupt());
        }
        let salt = b64_decode(&slot.salt).ok_or_else(|| self.corrupt())?;
        let wrapped = b64_decode(&slot.wrapped).ok_or_else(|| self.corrupt())?;
        let kek = slot.params.derive(passphrase, &salt)?;
        let key = aead_open(&kek, WRAP_AAD, &wrapped).map_err(|_| Error::WrongPassphrase)?;
        DataKey::from_slice(&key).map_err(|_| self.corrupt())
    }

    pub fn unwrap_with_platform(&self, store: &dyn PlatformKeyStore) -> Result<DataKey> {
        let doc = self.read()?;
        let slot = doc
            .platform
            .ok_or(Error::KeyStore(KeyStoreError::NotFound))?;
        let blob = b64_decode(&slot.blob).ok_or_else(|| self.corrupt())?;
        let key = store.unwrap(&slot.label, &blob)?;
        DataKey::from_slice(&key).map_err(|_| self.corrupt())
    }

    pub fn has_platform_slot(&self) -> Result<bool> {
        Ok(self.read()?.platform.is_some())
    }

    /// Rewraps `key` under a new passphrase. Only the key file changes; no record is touched.
    pub fn set_passphrase(
        &self,
        key: &DataKey,
        passphrase: &Passphrase,
        params: KdfParams,
    ) -> Result<()> {
        let mut doc = self.read()?;
        doc.passphrase = Some(passphrase_slot(key, passphrase, params)?);
        self.write(&doc)
    }

    /// Adds (or replaces) a platform-store copy of `key`, for unlocking without the passphrase.
    pub fn set_platform(
        &self,
        key: &DataKey,
        store: &dyn PlatformKeyStore,
        label: &str,
    ) -> Result<()> {
        let mut doc = self.read()?;
        let blob = store.wrap(label, key.bytes())?;
        doc.platform = Some(PlatformSlot {
            label: label.into(),
            blob: b64_encode(&blob),
        });
        self.write(&doc)
    }

    /// Destroys every wrapped copy: the platform key first (so a copy of the file is useless),
    /// then the file's bytes, then the file. Best effort on each step, all steps always run.
    pub fn destroy(&self, store: Option<&dyn PlatformKeyStore>) -> Result<()> {
        let label = self.read().ok().and_then(|d| d.platform.map(|p| p.label));
        let mut first_error = None;
        if let (Some(store), Some(label)) = (store, label) {
            if let Err(e) = store.destroy(&label) {
                first_error = Some(Error::KeyStore(e));
            }
        }
        if let Err(e) = overwrite_and_remove(&self.path) {
            first_error.get_or_insert(e);
        }
        let _ = fs::remove_file(self.path.with_extension("keys.tmp"));
        first_error.map_or(Ok(()), Err)
    }
}

fn passphrase_slot(
    key: &DataKey,
    passphrase: &Passphrase,
    params: KdfParams,
) -> Result<PassphraseSlot> {
    let mut salt = [0u8; 16];
    random_fill(&mut salt)?;
    let kek = params.derive(passphrase, &salt)?;
    let wrapped = aead_seal(&kek, WRAP_AAD, key.bytes())?;
    let salt = b64_encode(&salt);
    let wrapped = b64_encode(&wrapped);
    Ok(PassphraseSlot {
        kdf: "argon2id".into(),
        digest: slot_digest(&params, &salt, &wrapped),
        params,
        salt,
        wrapped,
    })
}

/// Overwrites a file with random bytes, syncs, and removes it. Missing files are fine.
pub(crate) fn overwrite_and_remove(path: &Path) -> Result<()> {
    match fs::metadata(path) {
        Ok(meta) => {
            let len = usize::try_from(meta.len()).unwrap_or(0);
            // Large files are encrypted data whose key is already gone; bound the time spent.
            if len <= 8 * 1024 * 1024 {
                let mut junk = vec![0u8; len];
                random_fill(&mut junk)?;
                let mut f = fs::OpenOptions::new().write(true).open(path)?;
                f.write_all(&junk)?;
                f.sync_all()?;
                junk.zeroize();
            }
            fs::remove_file(path)?;
            if let Some(parent) = path.parent() {
                sync_dir(parent);
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// A stand-in for Android Keystore: wraps with its own random key.
    #[derive(Default)]
    struct FakeStore(Mutex<HashMap<String, [u8; 32]>>);

    impl PlatformKeyStore for FakeStore {
        fn wrap(&self, label: &str, secret: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
            let mut map = self.0.lock().unwrap();
            let key = *map.entry(label.into()).or_insert_with(|| {
                let mut k = [0u8; 32];
                random_fill(&mut k).unwrap();
                k
            });
            aead_seal(&key, label.as_bytes(), secret).map_err(|_| KeyStoreError::Refused)
        }
        fn unwrap(&self, label: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
            let key = *self
                .0
                .lock()
                .unwrap()
                .get(label)
                .ok_or(KeyStoreError::NotFound)?;
            aead_open(&key, label.as_bytes(), blob).map_err(|_| KeyStoreError::Refused)
        }
        fn destroy(&self, label: &str) -> Result<(), KeyStoreError> {
            self.0.lock().unwrap().remove(label);
            Ok(())
        }
    }

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.into())
    }

    #[test]
    fn wrong_passphrase_and_corruption_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::new(dir.path().join("t.keys"), "test");
        let key = DataKey::generate().unwrap();
        file.create(&key, &pass("correct horse"), KdfParams::FAST_INSECURE)
            .unwrap();
        assert!(matches!(
            file.create(&key, &pass("x"), KdfParams::FAST_INSECURE),
            Err(Error::AlreadyInitialized)
        ));
        assert_eq!(
            file.unwrap_with_passphrase(&pass("correct horse"))
                .unwrap()
                .bytes(),
            key.bytes()
        );
        assert!(matches!(
            file.unwrap_with_passphrase(&pass("wrong horse")),
            Err(Error::WrongPassphrase)
        ));

        // Change one character of the wrapped key: the digest catches it as damage.
        let text = fs::read_to_string(dir.path().join("t.keys")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let wrapped = doc["passphrase"]["wrapped"].as_str().unwrap().to_owned();
        let mut chars: Vec<char> = wrapped.chars().collect();
        chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
        let damaged = text.replace(&wrapped, &chars.into_iter().collect::<String>());
        fs::write(dir.path().join("t.keys"), damaged).unwrap();
        assert!(matches!(
            file.unwrap_with_passphrase(&pass("correct horse")),
            Err(Error::KeyFileCorrupt { .. })
        ));
        fs::write(dir.path().join("t.keys"), "{").unwrap();
        assert!(matches!(
            file.unwrap_with_passphrase(&pass("correct horse")),
            Err(Error::KeyFileCorrupt { .. })
        ));
    }

    #[test]
    fn rewrap_platform_slot_and_destroy() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::new(dir.path().join("t.keys"), "test");
        let key = DataKey::generate().unwrap();
        file.create(&key, &pass("first passphrase"), KdfParams::FAST_INSECURE)
            .unwrap();
        file.set_passphrase(&key, &pass("second passphrase"), KdfParams::FAST_INSECURE)
            .unwrap();
        assert!(matches!(
            file.unwrap_with_passphrase(&pass("first passphrase")),
            Err(Error::WrongPassphrase)
        ));
        assert_eq!(
            file.unwrap_with_passphrase(&pass("second passphrase"))
                .unwrap()
                .bytes(),
            key.bytes()
        );

        let store = FakeStore::default();
        file.set_platform(&key, &store, "vault").unwrap();
        assert_eq!(
            file.unwrap_with_platform(&store).unwrap().bytes(),
            key.bytes()
        );
        file.destroy(Some(&store)).unwrap();
        assert!(!file.exists());
        assert!(
            store.0.lock().unwrap().is_empty(),
            "the platform key went first"
        );
        assert!(matches!(
            file.unwrap_with_passphrase(&pass("second passphrase")),
            Err(Error::NotInitialized)
        ));
    }

    #[test]
    fn hostile_kdf_parameters_are_refused() {
        let p = KdfParams {
            m_cost_kib: u32::MAX,
            t_cost: 1,
            p_cost: 1,
        };
        assert!(matches!(
            p.derive(&pass("whatever"), b"saltsaltsaltsalt"),
            Err(Error::KeyFileCorrupt { .. })
        ));
    }
}
