//! The patroller's sighting vault: an encrypted, append-only, hash-chained and signed log in
//! `vault.db`, with photos stored encrypted beside it.
//!
//! This module owns the vault's life cycle (init, unlock, idle lock, passphrase change, retention
//! purge, panic wipe) and every read and write of entries. Plaintext exists only in memory while
//! the vault is unlocked. It must never write a record, a place, a plate or a key to disk
//! unencrypted, never log one, and never delete `vault.db` except in a wipe (a damaged file is
//! moved aside and reported).

pub use silbato_proto::{chain, export, media, sighting as record};

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use zeroize::Zeroizing;

pub use chain::{Damage, DamagedEntry, EntryBody, EntryContent};
pub use record::{
    Activity, Agency, AttachmentRef, CLOCK_SKEW, Confidence, FieldChange, Location, Sighting,
    Vehicle,
};

use crate::crypto::{PublicKey, SigningKey, aead_open, aead_seal, random_id, sha256_hex};
use crate::error::{Error, Result};
use crate::files::sync_dir;
use crate::keys::{
    DataKey, KdfParams, KeyFile, Passphrase, PlatformKeyStore, overwrite_and_remove,
};
use crate::store::{Store, StoreSpec};
use crate::watchlist::{WatchHit, Watchlists};

pub use crate::error::VaultError;

pub const VAULT_DB: &str = "vault.db";
pub const VAULT_KEYS: &str = "vault.keys";
pub const ATTACHMENTS_DIR: &str = "vault-attachments";
/// Label of the vault key in the platform key store.
pub const PLATFORM_LABEL: &str = "silbato.vault.key";
/// The entries table's schema version, bound into every entry's associated data.
const ENTRY_SCHEMA: u32 = 1;

pub(crate) const SPEC: StoreSpec = StoreSpec {
    name: "vault",
    migrations: silbato_store::migrations!("vault": 1 => "001_init"),
    full_sync: true,
    secure_delete: true,
    check_on_open: true,
};

const CANARY: &[u8] = b"silbato-vault-canary-v1";
const CANARY_AAD: &[u8] = b"vault.db/meta/canary/v1";
const DEVICE_KEY_AAD: &[u8] = b"vault.db/meta/device_key/v1";

fn entry_aad(seq: u64) -> Vec<u8> {
    format!("vault.db/entries/{seq}/schema-{ENTRY_SCHEMA}").into_bytes()
}

fn attachment_aad(id: &str) -> Vec<u8> {
    format!("vault-attachments/{id}/v1").into_bytes()
}

/// How the vault behaves.
#[derive(Debug, Clone)]
pub struct VaultConfig {
    /// Cost of deriving the key from the passphrase, for new or changed passphrases.
    pub kdf: KdfParams,
    /// Lock after this long without use. `None`: only an explicit lock.
    pub idle_timeout: Option<Duration>,
}

impl Default for VaultConfig {
    fn default() -> Self {
        Self {
            kdf: KdfParams::DEFAULT,
            idle_timeout: Some(Duration::from_secs(5 * 60)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultState {
    NotInitialized,
    Locked,
    Unlocked,
}

/// What opening the vault found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VaultOpenReport {
    /// `vault.db` was damaged and was moved aside to this path (never deleted); a new, empty
    /// log was started. The old file can be examined or recovered by hand.
    pub moved_aside: Option<PathBuf>,
}

/// Returned by `log` and `amend`.
#[derive(Debug, Clone, Serialize)]
pub struct LogReceipt {
    pub id: String,
    pub seq: u64,
    /// Watch-list vehicles the sighting's plates matched.
    pub plate_matches: Vec<WatchHit>,
}

/// One record as it stands now (its latest amendment applied).
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    pub id: String,
    pub seq: u64,
    pub recorded_at: DateTime<Utc>,
    pub sighting: Sighting,
    /// The amendments, oldest first; `sighting` is the last one's record.
    pub amendments: Vec<AmendmentInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AmendmentInfo {
    pub id: String,
    pub seq: u64,
    pub recorded_at: DateTime<Utc>,
    pub reason: Option<String>,
    /// What this amendment changed, field by field (old -> new). Empty when the version it
    /// corrects is not in the log (purged, or damaged).
    pub changes: Vec<FieldChange>,
}

/// The records, and the entries that could not be read (named by number), which never keep the
/// others from being listed.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    pub records: Vec<RecordView>,
    pub damaged: Vec<DamagedInfo>,
}

/// An entry the vault holds but cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DamagedInfo {
    pub seq: u64,
    pub damage: Damage,
}

/// One problem with the vault's own chain, naming the entry by its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ChainProblem {
    /// The entry cannot be read (see [`Damage`]); its place in the chain is still checked.
    Damaged { seq: u64, damage: Damage },
    /// The device's signature over the entry's hash does not verify.
    BadSignature { seq: u64 },
    /// The entry's content does not hash to the hash stored with it.
    HashMismatch { seq: u64 },
    /// The entry does not link to the entry before it.
    ChainBroken { seq: u64 },
    /// Entries with these numbers were deleted, and no signed purge entry explains it.
    Missing { from_seq: u64, to_seq: u64 },
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainProblem::Damaged { seq, damage } => write!(f, "entry {seq}: {damage}"),
            ChainProblem::BadSignature { seq } => {
                write!(f, "entry {seq}: its signature does not verify")
            }
            ChainProblem::HashMismatch { seq } => {
                write!(f, "entry {seq}: its content does not match its hash")
            }
            ChainProblem::ChainBroken { seq } => {
                write!(f, "entry {seq}: does not link to the entry before it")
            }
            ChainProblem::Missing { from_seq, to_seq } => {
                let what = if from_seq == to_seq {
                    format!("entry {from_seq}")
                } else {
                    format!("entries {from_seq} to {to_seq}")
                };
                let first = if *from_seq == 1 {
                    " (the log's first entry is gone)"
                } else {
                    ""
                };
                write!(f, "{what}: deleted{first}, and no purge records it")
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    pub entries: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub device_key: String,
    /// No problems: every entry present, readable, linked and signed.
    pub valid: bool,
    /// Each problem found, in entry order.
    pub problems: Vec<ChainProblem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PurgeReport {
    pub purged: u64,
    pub through_seq: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WipeReport {
    pub elapsed_ms: u64,
}

struct Unlocked {
    key: DataKey,
    device: SigningKey,
    last_used: Instant,
}

struct Inner {
    dir: PathBuf,
    config: VaultConfig,
    platform: Option<Arc<dyn PlatformKeyStore>>,
    keys: KeyFile,
    /// Held for the whole of every life-cycle step that reads or writes the key file or replaces
    /// the store (init, unlock, passphrase and platform-slot changes, wipe), so they never
    /// interleave: an unlock must not read a key file the wipe is overwriting, nor check a key
    /// from before a wipe against the canary of a vault set up after it; two inits must not both
    /// create one. Taken before `store` and `state`, never while holding either.
    life: Mutex<()>,
    store: Mutex<Option<Store>>,
    state: Mutex<Option<Unlocked>>,
}

/// The sighting vault in one data directory. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Vault {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `days` days before now; a count too large for the calendar means "the beginning of time".
pub fn days_ago(days: u32) -> DateTime<Utc> {
    chrono::Duration::try_days(i64::from(days))
        .and_then(|d| Utc::now().checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn day_number(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(86_400)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn hash32(bytes: &[u8]) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| Error::Corrupt { store: SPEC.name })
}

/// Opens `vault.db`, moving a damaged one aside rather than losing it.
fn open_store(dir: &Path, report: &mut VaultOpenReport) -> Result<Store> {
    let path = dir.join(VAULT_DB);
    match Store::open(&path, SPEC) {
        Err(Error::Corrupt { .. }) => {
            let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
            let aside = dir.join(format!("{VAULT_DB}.corrupt-{stamp}"));
            fs::rename(&path, &aside)?;
            for suffix in ["-wal", "-shm"] {
                let from = dir.join(format!("{VAULT_DB}{suffix}"));
                if from.exists() {
                    fs::rename(
                        &from,
                        dir.join(format!("{VAULT_DB}.corrupt-{stamp}{suffix}")),
                    )?;
                }
            }
            sync_dir(dir);
            report.moved_aside = Some(aside);
            Store::open(&path, SPEC)
        }
        other => other,
    }
}

impl Vault {
    /// Opens the vault in `data_dir`, locked. Nothing is created until [`Vault::init`].
    pub fn open(
        data_dir: &Path,
        config: VaultConfig,
        platform: Option<Arc<dyn PlatformKeyStore>>,
    ) -> Result<(Vault, VaultOpenReport)> {
        crate::files::private_dir(data_dir)?;
        let keys = KeyFile::new(data_dir.join(VAULT_KEYS), "vault");
        let mut report = VaultOpenReport::default();
        let store = if keys.exists() {
            Some(open_store(data_dir, &mut report)?)
        } else {
            None
        };
        let inner = Arc::new(Inner {
            dir: data_dir.to_path_buf(),
            config,
            platform,
            keys,
            life: Mutex::new(()),
            store: Mutex::new(store),
            state: Mutex::new(None),
        });
        if let Some(timeout) = inner.config.idle_timeout {
            spawn_idle_lock(Arc::downgrade(&inner), timeout);
        }
        Ok((Vault { inner }, report))
    }

    pub fn state(&self) -> VaultState {
        if lock(&self.inner.state).is_some() {
            VaultState::Unlocked
        } else if self.inner.keys.exists() {
            VaultState::Locked
        } else {
            VaultState::NotInitialized
        }
    }

    /// `vault.db` holds entries but the key file that opens them (`vault.keys`) is gone: the
    /// log cannot be opened, and a new vault cannot be made over it. Restoring the key file from
    /// a backup, or a wipe, are the ways out.
    pub fn key_file_missing(&self) -> bool {
        if self.inner.keys.exists() {
            return false;
        }
        let path = self.inner.dir.join(VAULT_DB);
        if !path.exists() {
            return false;
        }
        // Read-only and without the store's migrations: this only looks.
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| {
                c.query_row("SELECT EXISTS (SELECT 1 FROM entries)", [], |r| {
                    r.get::<_, bool>(0)
                })
            })
            // A file that cannot even be read is still not something to paper over.
            .unwrap_or(true)
    }

    /// Creates the vault: a random vault key wrapped under `passphrase`, a device signing key,
    /// and the canary. Leaves it unlocked.
    pub fn init(&self, passphrase: &Passphrase) -> Result<()> {
        if !passphrase.is_acceptable() {
            return Err(Error::from(VaultError::PassphraseTooShort));
        }
        let _life = lock(&self.inner.life);
        if self.inner.keys.exists() {
            return Err(Error::AlreadyInitialized);
        }
        let mut report = VaultOpenReport::default();
        let store = open_store(&self.inner.dir, &mut report)?;
        let key = DataKey::generate()?;
        let device = SigningKey::generate()?;
        store.write(|tx| {
            let existing: i64 = tx.query_row("SELECT count(*) FROM entries", [], |r| r.get(0))?;
            if existing > 0 {
                // Entries without a key file: refuse to paper over them with a new key.
                return Err(Error::from(VaultError::KeyFileMissing));
            }
            tx.execute("DELETE FROM meta", [])?;
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('canary', ?1)",
                [aead_seal(key.bytes(), CANARY_AAD, CANARY)?],
            )?;
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('device_key', ?1)",
                [aead_seal(key.bytes(), DEVICE_KEY_AAD, device.pkcs8())?],
            )?;
            Ok(())
        })?;
        // The key file last: until it exists the vault does not exist.
        self.inner
            .keys
            .create(&key, passphrase, self.inner.config.kdf)?;
        *lock(&self.inner.store) = Some(store);
        *lock(&self.inner.state) = Some(Unlocked {
            key,
            device,
            last_used: Instant::now(),
        });
        Ok(())
    }

    /// Unlocks with the passphrase. A wrong one is `WrongPassphrase` and changes nothing.
    pub fn unlock(&self, passphrase: &Passphrase) -> Result<()> {
        let _life = lock(&self.inner.life);
        if self.key_file_missing() {
            return Err(Error::from(VaultError::KeyFileMissing));
        }
        let key = self.inner.keys.unwrap_with_passphrase(passphrase)?;
        self.finish_unlock(key)
    }

    /// Unlocks with the copy of the key kept by the platform key store, if one was set up.
    pub fn unlock_with_platform(&self) -> Result<()> {
        let store = self
            .inner
            .platform
            .as_deref()
            .ok_or(Error::from(VaultError::NoPlatformKeyStore))?;
        let _life = lock(&self.inner.life);
        if self.key_file_missing() {
            return Err(Error::from(VaultError::KeyFileMissing));
        }
        let key = self.inner.keys.unwrap_with_platform(store)?;
        self.finish_unlock(key)
    }

    /// Keeps a copy of the vault key in the platform key store (for unlocking with the device's
    /// own authentication). Requires the vault unlocked.
    pub fn enable_platform_unlock(&self) -> Result<()> {
        let platform = self
            .inner
            .platform
            .as_deref()
            .ok_or(Error::from(VaultError::NoPlatformKeyStore))?;
        let _life = lock(&self.inner.life);
        self.with_unlocked(|u, _| {
            self.inner
                .keys
                .set_platform(&u.key, platform, PLATFORM_LABEL)
        })
    }

    /// The rest of an unlock; the caller holds `life`.
    fn finish_unlock(&self, key: DataKey) -> Result<()> {
        let device = self.with_store(|store| {
            let (canary, sealed_device): (Option<Vec<u8>>, Option<Vec<u8>>) = store.read(|c| {
                let get = |name: &str| -> Result<Option<Vec<u8>>> {
                    Ok(
                        c.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                            r.get(0)
                        })
                        .optional()?,
                    )
                };
                Ok((get("canary")?, get("device_key")?))
            })?;
            match (canary, sealed_device) {
                (Some(canary), Some(sealed)) => {
                    // The canary proves this key belongs to this database before any record is read.
                    let plain = aead_open(key.bytes(), CANARY_AAD, &canary)
                        .map_err(|_| Error::KeyMismatch { store: "vault" })?;
                    if plain.as_slice() != CANARY {
                        return Err(Error::KeyMismatch { store: "vault" });
                    }
                    let pkcs8 = aead_open(key.bytes(), DEVICE_KEY_AAD, &sealed)
                        .map_err(|_| Error::KeyMismatch { store: "vault" })?;
                    Ok(SigningKey::from_pkcs8(pkcs8)?)
                }
                _ => {
                    // A fresh database after a damaged one was moved aside: start a new log under
                    // the same key, with a new device key.
                    let device = SigningKey::generate()?;
                    store.write(|tx| {
                        let n: i64 =
                            tx.query_row("SELECT count(*) FROM entries", [], |r| r.get(0))?;
                        if n > 0 {
                            return Err(Error::KeyMismatch { store: "vault" });
                        }
                        tx.execute(
                            "INSERT OR REPLACE INTO meta (name, value) VALUES ('canary', ?1)",
                            [aead_seal(key.bytes(), CANARY_AAD, CANARY)?],
                        )?;
                        tx.execute(
                            "INSERT OR REPLACE INTO meta (name, value) VALUES ('device_key', ?1)",
                            [aead_seal(key.bytes(), DEVICE_KEY_AAD, device.pkcs8())?],
                        )?;
                        Ok(())
                    })?;
                    Ok(device)
                }
            }
        })?;
        *lock(&self.inner.state) = Some(Unlocked {
            key,
            device,
            last_used: Instant::now(),
        });
        self.apply_retention()?;
        Ok(())
    }

    /// Sets the retention period: entries recorded more than `days` days ago are purged each
    /// time the vault is unlocked (and now). `None` keeps everything.
    pub fn set_retention_days(&self, days: Option<u32>) -> Result<Option<PurgeReport>> {
        if days == Some(0) {
            return Err(Error::from(VaultError::Retention));
        }
        self.with_unlocked(|_, store| {
            store.write(|tx| {
                match days {
                    Some(d) => tx.execute(
                        "INSERT OR REPLACE INTO meta (name, value) VALUES ('retention_days', ?1)",
                        [d.to_be_bytes().to_vec()],
                    )?,
                    None => tx.execute("DELETE FROM meta WHERE name = 'retention_days'", [])?,
                };
                Ok(())
            })
        })?;
        self.apply_retention()
    }

    pub fn retention_days(&self) -> Result<Option<u32>> {
        self.with_store(|store| {
            let raw: Option<Vec<u8>> = store.read(|c| {
                Ok(c.query_row(
                    "SELECT value FROM meta WHERE name = 'retention_days'",
                    [],
                    |r| r.get(0),
                )
                .optional()?)
            })?;
            raw.map(|b| {
                <[u8; 4]>::try_from(b.as_slice())
                    .map(u32::from_be_bytes)
                    .map_err(|_| Error::Corrupt { store: "vault" })
            })
            .transpose()
        })
    }

    /// Purges what the retention period says is due. Runs on every unlock.
    fn apply_retention(&self) -> Result<Option<PurgeReport>> {
        match self.retention_days()? {
            Some(days) => Ok(Some(self.purge_before(days_ago(days))?)),
            None => Ok(None),
        }
    }

    /// Forgets every key held in memory (they are zeroized on drop).
    pub fn lock(&self) {
        lock(&self.inner.state).take();
    }

    /// Rewraps the vault key under a new passphrase; no record is touched. Needs the old one.
    pub fn change_passphrase(&self, old: &Passphrase, new: &Passphrase) -> Result<()> {
        if !new.is_acceptable() {
            return Err(Error::from(VaultError::PassphraseTooShort));
        }
        let _life = lock(&self.inner.life);
        let key = self.inner.keys.unwrap_with_passphrase(old)?;
        self.inner
            .keys
            .set_passphrase(&key, new, self.inner.config.kdf)
    }

    fn with_store<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        let guard = lock(&self.inner.store);
        let store = guard.as_ref().ok_or(Error::NotInitialized)?;
        f(store)
    }

    /// Runs `f` with the keys, or fails with `Locked` (also when the idle timeout has passed).
    fn with_unlocked<T>(&self, f: impl FnOnce(&Unlocked, &Store) -> Result<T>) -> Result<T> {
        let store_guard = lock(&self.inner.store);
        let store = store_guard.as_ref().ok_or(Error::NotInitialized)?;
        let mut state = lock(&self.inner.state);
        if let (Some(u), Some(timeout)) = (state.as_ref(), self.inner.config.idle_timeout)
            && u.last_used.elapsed() >= timeout
        {
            state.take();
        }
        let u = state.as_mut().ok_or(Error::Locked)?;
        u.last_used = Instant::now();
        f(u, store)
    }

    fn attachments_dir(&self) -> PathBuf {
        self.inner.dir.join(ATTACHMENTS_DIR)
    }

    /// Strips metadata from a photo, encrypts it into the attachments folder, and returns the
    /// reference to put in a record.
    fn store_photo(&self, key: &DataKey, bytes: &[u8]) -> Result<AttachmentRef> {
        let stripped = media::strip_metadata(bytes)?;
        let id = random_id()?;
        let sealed = aead_seal(key.bytes(), &attachment_aad(&id), &stripped.bytes)?;
        let dir = self.attachments_dir();
        // The owner's only (0700 / 0600), like everything in the data directory.
        crate::files::private_dir(&dir)?;
        let tmp = dir.join(format!("{id}.tmp"));
        {
            use std::io::Write;
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            f.write_all(&sealed)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, dir.join(&id))?;
        sync_dir(&dir);
        Ok(AttachmentRef {
            sha256: sha256_hex(&stripped.bytes),
            media_type: stripped.kind.media_type().into(),
            bytes: u64::try_from(stripped.bytes.len()).unwrap_or(u64::MAX),
            id,
        })
    }

    /// Appends one entry to the chain, in one transaction.
    fn append(&self, u: &Unlocked, store: &Store, id: &str, content: EntryContent) -> Result<u64> {
        store.write(|tx| append_in(tx, u, id, content))
    }

    /// Records a sighting with its photos. Returns the new record's id and any watch-list
    /// matches for its plates (when `watchlists` is given).
    pub fn log(
        &self,
        mut sighting: Sighting,
        photos: &[Vec<u8>],
        watchlists: Option<&Watchlists>,
    ) -> Result<LogReceipt> {
        sighting.validate(Utc::now())?;
        if sighting.attachments.len() + photos.len() > record::MAX_ATTACHMENTS {
            return Err(Error::from(VaultError::TooManyAttachments));
        }
        let matches = match_plates(&sighting, watchlists)?;
        let id = random_id()?;
        let seq = self.with_unlocked(|u, store| {
            let mut written = Vec::new();
            let result = (|| {
                for photo in photos {
                    let r = self.store_photo(&u.key, photo)?;
                    written.push(r.id.clone());
                    sighting.attachments.push(r);
                }
                self.append(u, store, &id, EntryContent::Sighting { sighting })
            })();
            if result.is_err() {
                // Nothing half-kept: photos of a record that was not written go too.
                for a in &written {
                    let _ = overwrite_and_remove(&self.attachments_dir().join(a));
                }
            }
            result
        })?;
        Ok(LogReceipt {
            id,
            seq,
            plate_matches: matches,
        })
    }

    /// Records a correction to `id`: the full record as it should now read, and why.
    pub fn amend(
        &self,
        id: &str,
        sighting: Sighting,
        reason: Option<String>,
        watchlists: Option<&Watchlists>,
    ) -> Result<LogReceipt> {
        sighting.validate(Utc::now())?;
        let reason = match reason.as_deref().map(str::trim) {
            None | Some("") => return Err(Error::from(VaultError::AmendmentNeedsReason)),
            Some(r) if r.chars().count() > record::MAX_SHORT_TEXT => {
                return Err(Error::from(VaultError::AmendmentReasonTooLong));
            }
            Some(r) => Some(r.to_owned()),
        };
        // The target must be a record this vault holds (an original, not an amendment).
        let current = self.record(id)?;
        if current.sighting == sighting {
            return Err(Error::from(VaultError::AmendmentChangesNothing));
        }
        let matches = match_plates(&sighting, watchlists)?;
        let amendment_id = random_id()?;
        let seq = self.with_unlocked(|u, store| {
            self.append(
                u,
                store,
                &amendment_id,
                EntryContent::Amendment {
                    amends: current.id.clone(),
                    sighting,
                    reason,
                },
            )
        })?;
        Ok(LogReceipt {
            id: amendment_id,
            seq,
            plate_matches: matches,
        })
    }

    /// Every stored entry in chain order: its chain fields as stored and, when it can be read,
    /// its decrypted bytes and body. An entry that cannot be read is returned as such, never as
    /// an error for the whole log.
    fn rows(&self) -> Result<Vec<Row>> {
        self.with_unlocked(|u, store| {
            store.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT seq, sealed, prev_hash, hash, signature FROM entries ORDER BY seq",
                )?;
                let mut rows = stmt.query([])?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let seq = u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0);
                    let sealed: Vec<u8> = r.get(1).unwrap_or_default();
                    let content = match aead_open(u.key.bytes(), &entry_aad(seq), &sealed) {
                        Err(_) => Err(Damage::Undecryptable),
                        Ok(plain) => match serde_json::from_slice::<EntryBody>(&plain) {
                            Ok(body) if body.seq == seq => Ok((plain, body)),
                            _ => Err(Damage::Unreadable),
                        },
                    };
                    out.push(Row {
                        seq,
                        prev_hash: r.get(2).unwrap_or_default(),
                        hash: r.get(3).unwrap_or_default(),
                        signature: r.get(4).unwrap_or_default(),
                        content,
                    });
                }
                Ok(out)
            })
        })
    }

    /// The entries that can be read and whose chain fields are whole, decrypted, in chain
    /// order; and the others, as damaged entries.
    fn entries(&self) -> Result<Entries> {
        let mut good = Vec::new();
        let mut damaged = Vec::new();
        for row in self.rows()? {
            let fields = hash32(&row.prev_hash).and_then(|p| Ok((p, hash32(&row.hash)?)));
            match (row.content, fields) {
                (Ok((plain, body)), Ok((prev_hash, hash))) => good.push((
                    StoredEntry {
                        seq: row.seq,
                        plain,
                        prev_hash,
                        hash,
                        signature: row.signature,
                    },
                    body,
                )),
                (content, _) => damaged.push(DamagedEntry {
                    seq: row.seq,
                    damage: content.err().unwrap_or(Damage::ChainFields),
                    prev_hash: row.prev_hash,
                    hash: row.hash,
                    signature: row.signature,
                }),
            }
        }
        Ok((good, damaged))
    }

    /// Every record as it now stands, newest observation first. Entries that cannot be read
    /// are left out; [`Vault::list_checked`] names them.
    pub fn list(&self) -> Result<Vec<RecordView>> {
        Ok(self.list_checked()?.records)
    }

    /// Every record as it now stands, newest observation first, and the entries that could not
    /// be read, by number.
    pub fn list_checked(&self) -> Result<Listing> {
        let mut damaged = Vec::new();
        let mut bodies = Vec::new();
        for row in self.rows()? {
            match row.content {
                Ok((_, body)) => bodies.push(body),
                Err(damage) => damaged.push(DamagedInfo {
                    seq: row.seq,
                    damage,
                }),
            }
        }
        let mut records = views(bodies.into_iter());
        records.sort_by(|a, b| {
            b.sighting
                .observed_at
                .cmp(&a.sighting.observed_at)
                .then(b.seq.cmp(&a.seq))
        });
        Ok(Listing { records, damaged })
    }

    /// One record with its amendment history. `id` may be a unique prefix of at least 4 characters.
    pub fn record(&self, id: &str) -> Result<RecordView> {
        let records = views(
            self.rows()?
                .into_iter()
                .filter_map(|r| r.content.ok().map(|(_, b)| b)),
        );
        let found: Vec<RecordView> = records
            .into_iter()
            .filter(|r| r.id == id || (id.len() >= 4 && r.id.starts_with(id)))
            .collect();
        match found.len() {
            1 => found.into_iter().next().ok_or(Error::NotFound {
                what: crate::error::Missing::Record,
            }),
            0 => Err(Error::NotFound {
                what: crate::error::Missing::Record,
            }),
            _ => Err(Error::from(VaultError::AmbiguousPrefix)),
        }
    }

    /// The decrypted bytes of a stored photo, checked against the hash its record holds.
    pub fn attachment(&self, attachment: &AttachmentRef) -> Result<Zeroizing<Vec<u8>>> {
        self.with_unlocked(|u, _| {
            let path = self.attachments_dir().join(&attachment.id);
            if !attachment.id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::from(VaultError::AttachmentId));
            }
            let sealed = fs::read(path)?;
            let plain = aead_open(u.key.bytes(), &attachment_aad(&attachment.id), &sealed)?;
            if sha256_hex(&plain) != attachment.sha256 {
                return Err(Error::Decrypt);
            }
            Ok(plain)
        })
    }

    /// Checks every link and signature of the stored chain; `Err(ChainDamaged)` if anything is
    /// wrong ([`Vault::check_chain`] names each problem).
    pub fn verify_chain(&self) -> Result<ChainReport> {
        let report = self.check_chain()?;
        if report.valid {
            Ok(report)
        } else {
            Err(Error::from(VaultError::ChainDamaged))
        }
    }

    /// Checks every entry of the stored chain and names each problem by entry number: an entry
    /// that cannot be read, a bad signature, a hash that does not match, a broken link, and
    /// entries deleted from the start or the middle without a signed purge that explains it.
    pub fn check_chain(&self) -> Result<ChainReport> {
        let rows = self.rows()?;
        let device = self.device_public_key()?;
        let mut problems = Vec::new();
        // Entries up to this number were purged, as a signed purge entry says.
        let purged_through = rows
            .iter()
            .filter(|r| {
                hash32(&r.hash)
                    .is_ok_and(|h| device.verify(&chain::signed_message(&h), &r.signature))
            })
            .filter_map(|r| match r.content.as_ref().map(|(_, b)| &b.content) {
                Ok(EntryContent::Purge { through_seq, .. }) => Some(*through_seq),
                _ => None,
            })
            .max();
        if let Some(first) = rows.first()
            && first.seq > 1
            && purged_through.is_none_or(|p| p + 1 != first.seq)
        {
            problems.push(ChainProblem::Missing {
                from_seq: purged_through.map_or(1, |p| p + 1).min(first.seq - 1),
                to_seq: first.seq - 1,
            });
        }
        let mut before: Option<&Row> = None;
        for row in &rows {
            let seq = row.seq;
            if let Err(damage) = &row.content {
                problems.push(ChainProblem::Damaged {
                    seq,
                    damage: *damage,
                });
            }
            match (hash32(&row.prev_hash), hash32(&row.hash)) {
                (Ok(prev), Ok(hash)) => {
                    if !device.verify(&chain::signed_message(&hash), &row.signature) {
                        problems.push(ChainProblem::BadSignature { seq });
                    }
                    if let Ok((plain, _)) = &row.content
                        && chain::link_hash(&prev, seq, plain) != hash
                    {
                        problems.push(ChainProblem::HashMismatch { seq });
                    }
                    let expected = match before {
                        Some(b) if b.seq + 1 == seq => hash32(&b.hash).ok(),
                        None if seq == 1 => Some(chain::GENESIS),
                        _ => None,
                    };
                    if expected.is_some_and(|e| e != prev) {
                        problems.push(ChainProblem::ChainBroken { seq });
                    }
                }
                _ => {
                    if row.content.is_ok() {
                        problems.push(ChainProblem::Damaged {
                            seq,
                            damage: Damage::ChainFields,
                        });
                    }
                }
            }
            if let Some(b) = before
                && seq > b.seq + 1
            {
                problems.push(ChainProblem::Missing {
                    from_seq: b.seq + 1,
                    to_seq: seq - 1,
                });
            }
            before = Some(row);
        }
        Ok(ChainReport {
            entries: u64::try_from(rows.len()).unwrap_or(u64::MAX),
            first_seq: rows.first().map(|r| r.seq),
            last_seq: rows.last().map(|r| r.seq),
            device_key: device.to_string(),
            valid: problems.is_empty(),
            problems,
        })
    }

    pub fn device_public_key(&self) -> Result<PublicKey> {
        self.with_unlocked(|u, _| Ok(u.device.public_key()))
    }

    /// Writes the export bundle: in clear (an explicit choice) or sealed to a recipient.
    /// Entries that cannot be read are carried marked as damaged, and a photo that cannot be
    /// read is left out (the verifier names it): neither keeps the rest from the export.
    pub fn export(&self, target: &export::ExportTarget) -> Result<Vec<u8>> {
        let (entries, damaged) = self.entries()?;
        // Every photo any entry refers to, including ones an amendment later dropped: the
        // original entry still names it, and the verifier checks it.
        let mut attachments = Vec::new();
        let mut seen = HashSet::new();
        for (_, body) in &entries {
            if let EntryContent::Sighting { sighting } | EntryContent::Amendment { sighting, .. } =
                &body.content
            {
                for a in &sighting.attachments {
                    if seen.insert(a.id.clone()) {
                        match self.attachment(a) {
                            Ok(bytes) => attachments.push((a.clone(), bytes)),
                            Err(e @ (Error::Locked | Error::NotInitialized)) => return Err(e),
                            Err(_) => {}
                        }
                    }
                }
            }
        }
        self.with_unlocked(|u, _| {
            Ok(export::write_with_damaged(
                &u.device,
                &entries,
                &damaged,
                &attachments,
                target,
                Utc::now(),
            )?)
        })
    }

    /// Deletes, securely, the oldest entries recorded before `cutoff`, and records the purge in
    /// the chain. Amendments newer than the cutoff survive and carry their full records.
    pub fn purge_before(&self, cutoff: DateTime<Utc>) -> Result<PurgeReport> {
        let cutoff_day = day_number(cutoff);
        let (through, count) = self.with_unlocked(|_, store| {
            store.read(|c| {
                // The longest prefix of the chain recorded before the cutoff.
                let mut stmt =
                    c.prepare_cached("SELECT seq, recorded_day FROM entries ORDER BY seq")?;
                let mut rows = stmt.query([])?;
                let mut through = None;
                let mut count = 0u64;
                while let Some(r) = rows.next()? {
                    if r.get::<_, i64>(1)? >= cutoff_day {
                        break;
                    }
                    through = Some(u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0));
                    count += 1;
                }
                Ok((through, count))
            })
        })?;
        let Some(through) = through else {
            return Ok(PurgeReport {
                purged: 0,
                through_seq: None,
            });
        };
        // An entry that cannot be read is purged like the others (its photos, unknown, stay).
        let before = self.rows()?;
        let ids = |r: &Row| match &r.content {
            Ok((_, b)) => attachment_ids(b),
            Err(_) => Vec::new(),
        };
        let kept_refs: HashSet<String> = before
            .iter()
            .filter(|r| r.seq > through)
            .flat_map(ids)
            .collect();
        let dropped_refs: Vec<String> = before
            .iter()
            .filter(|r| r.seq <= through)
            .flat_map(ids)
            .filter(|id| !kept_refs.contains(id))
            .collect();
        let last_hash = before
            .iter()
            .find(|r| r.seq == through)
            .map(|r| hash32(&r.hash))
            .ok_or(Error::Corrupt { store: "vault" })??;
        self.with_unlocked(|u, store| {
            // The deletion and the signed entry recording it commit together.
            store.write(|tx| {
                tx.execute("DELETE FROM entries WHERE seq <= ?1", [to_i64(through)])?;
                // If nothing is left, the next entry still links to what was purged.
                tx.execute(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES ('anchor_seq', ?1)",
                    [through.to_be_bytes().to_vec()],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES ('anchor_hash', ?1)",
                    [last_hash.to_vec()],
                )?;
                let marker = random_id()?;
                append_in(
                    tx,
                    u,
                    &marker,
                    EntryContent::Purge {
                        through_seq: through,
                        count,
                    },
                )
            })?;
            checkpoint(store)
        })?;
        for id in dropped_refs {
            overwrite_and_remove(&self.attachments_dir().join(id))?;
        }
        Ok(PurgeReport {
            purged: count,
            through_seq: Some(through),
        })
    }

    /// Panic wipe: destroys the wrapped keys first (platform key store and the key file), then
    /// `vault.db` with its WAL, shared-memory and journal files, then the photos. Every step runs
    /// even if an earlier one failed; the first failure is returned after all of them.
    pub fn wipe(&self) -> Result<WipeReport> {
        let start = Instant::now();
        // Waits for an unlock or init already in progress (one key derivation), so none can read
        // a half-overwritten key file or leave behind state from the wiped vault.
        let _life = lock(&self.inner.life);
        self.lock();
        let mut first_error: Option<Error> = None;
        if let Err(e) = self.inner.keys.destroy(self.inner.platform.as_deref()) {
            first_error.get_or_insert(e);
        }
        // Close both connections before removing their files.
        lock(&self.inner.store).take();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let Err(e) =
                overwrite_and_remove(&self.inner.dir.join(format!("{VAULT_DB}{suffix}")))
            {
                first_error.get_or_insert(e);
            }
        }
        // Copies of a damaged vault.db that were moved aside are the same log: they go too.
        if let Ok(list) = fs::read_dir(&self.inner.dir) {
            for entry in list.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{VAULT_DB}.corrupt-"))
                    && let Err(e) = overwrite_and_remove(&entry.path())
                {
                    first_error.get_or_insert(e);
                }
            }
        }
        // Photos are ciphertext under the key destroyed above: unlinking is enough, and an
        // overwrite with two fsyncs per photo would make a wipe of 500 photos take seconds.
        let dir = self.attachments_dir();
        if let Ok(list) = fs::read_dir(&dir) {
            for entry in list.flatten() {
                if let Err(e) = fs::remove_file(entry.path()) {
                    first_error.get_or_insert(Error::Io(e));
                }
            }
        }
        let _ = fs::remove_dir(&dir);
        sync_dir(&self.inner.dir);
        match first_error {
            Some(e) => Err(e),
            None => Ok(WipeReport {
                elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }
}

/// Appends one entry inside the caller's transaction: reads the chain's last link, hashes, signs,
/// encrypts and inserts.
fn append_in(
    tx: &rusqlite::Connection,
    u: &Unlocked,
    id: &str,
    content: EntryContent,
) -> Result<u64> {
    let now = Utc::now();
    let last: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        Some((s, h)) => (u64::try_from(s).unwrap_or(0) + 1, hash32(&h)?),
        None => {
            // After a purge of everything, the chain continues from the anchor kept in meta.
            let anchor: Option<(Vec<u8>, Vec<u8>)> = tx
                .query_row(
                    "SELECT a.value, b.value FROM meta a, meta b WHERE a.name = 'anchor_seq' AND b.name = 'anchor_hash'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match anchor {
                Some((s, h)) => {
                    let s: [u8; 8] = s
                        .as_slice()
                        .try_into()
                        .map_err(|_| Error::Corrupt { store: "vault" })?;
                    (u64::from_be_bytes(s) + 1, hash32(&h)?)
                }
                None => (1, chain::GENESIS),
            }
        }
    };
    let body = EntryBody {
        v: 1,
        id: id.to_owned(),
        seq,
        recorded_at: now,
        content,
    };
    let bytes = Zeroizing::new(serde_json::to_vec(&body).map_err(|_| Error::Encode)?);
    let hash = chain::link_hash(&prev, seq, &bytes);
    let signature = u.device.sign(&chain::signed_message(&hash));
    let sealed = aead_seal(u.key.bytes(), &entry_aad(seq), &bytes)?;
    tx.prepare_cached("INSERT INTO entries (seq, recorded_day, sealed, prev_hash, hash, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![to_i64(seq), day_number(now), sealed, prev.as_slice(), hash.as_slice(), signature.as_slice()])?;
    Ok(seq)
}

pub(crate) use silbato_proto::chain::ChainEntry as StoredEntry;

/// The readable entries with their chain fields, and the damaged ones.
type Entries = (Vec<(StoredEntry, EntryBody)>, Vec<DamagedEntry>);

/// One stored entry: its chain fields as stored, and its decrypted bytes and body, or why it
/// cannot be read.
struct Row {
    seq: u64,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    signature: Vec<u8>,
    content: std::result::Result<(Zeroizing<Vec<u8>>, EntryBody), Damage>,
}

fn attachment_ids(body: &EntryBody) -> Vec<String> {
    match &body.content {
        EntryContent::Sighting { sighting } | EntryContent::Amendment { sighting, .. } => {
            sighting.attachments.iter().map(|a| a.id.clone()).collect()
        }
        EntryContent::Purge { .. } => Vec::new(),
    }
}

/// Folds entries into records: originals with their amendments applied in order. An amendment
/// whose original was purged stands as a record of its own.
fn views(bodies: impl Iterator<Item = EntryBody>) -> Vec<RecordView> {
    let mut records: Vec<RecordView> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for b in bodies {
        match b.content {
            EntryContent::Sighting { sighting } => {
                by_id.insert(b.id.clone(), records.len());
                records.push(RecordView {
                    id: b.id,
                    seq: b.seq,
                    recorded_at: b.recorded_at,
                    sighting,
                    amendments: Vec::new(),
                });
            }
            EntryContent::Amendment {
                amends,
                sighting,
                reason,
            } => {
                let mut info = AmendmentInfo {
                    id: b.id.clone(),
                    seq: b.seq,
                    recorded_at: b.recorded_at,
                    reason,
                    changes: Vec::new(),
                };
                match by_id.get(&amends).and_then(|i| records.get_mut(*i)) {
                    Some(r) => {
                        info.changes = record::changes(&r.sighting, &sighting);
                        r.sighting = sighting;
                        r.amendments.push(info);
                    }
                    None => {
                        by_id.insert(amends.clone(), records.len());
                        records.push(RecordView {
                            id: amends,
                            seq: b.seq,
                            recorded_at: b.recorded_at,
                            sighting,
                            amendments: vec![info],
                        });
                    }
                }
            }
            EntryContent::Purge { .. } => {}
        }
    }
    records
}

fn match_plates(sighting: &Sighting, watchlists: Option<&Watchlists>) -> Result<Vec<WatchHit>> {
    let Some(w) = watchlists else {
        return Ok(Vec::new());
    };
    let mut hits = Vec::new();
    for v in &sighting.vehicles {
        if let Some(p) = &v.plate {
            hits.extend(w.check(p, v.plate_state.as_deref())?);
        }
    }
    Ok(hits)
}

/// Moves every WAL frame into the main file and truncates the WAL, so deleted data does not
/// linger there. A checkpoint that could not finish is an error, not a silent success.
fn checkpoint(store: &Store) -> Result<()> {
    store.with_writer(|c| {
        let (busy, _log, _done): (i64, i64, i64) =
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        if busy != 0 {
            Err(Error::CheckpointBusy)
        } else {
            Ok(())
        }
    })
}

fn spawn_idle_lock(inner: Weak<Inner>, timeout: Duration) {
    let tick = timeout
        .min(Duration::from_secs(1))
        .max(Duration::from_millis(10));
    let spawned = std::thread::Builder::new()
        .name("silbato-vault-idle".into())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                let Some(inner) = inner.upgrade() else { return };
                let mut state = lock(&inner.state);
                if state
                    .as_ref()
                    .is_some_and(|u| u.last_used.elapsed() >= timeout)
                {
                    state.take();
                }
            }
        });
    // Without the thread the vault still locks: every call checks the idle time first.
    drop(spawned);
}
