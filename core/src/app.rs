//! The composition root: one [`App`] per data directory, composing the rights library, the vault,
//! the inbox, the watch-lists, sync and the outbox for a shell (the CLI, and through the bindings
//! crate the Android and iOS apps).
//!
//! It owns opening a data directory — `rights.db`; `vault.db`, `vault.keys` and the vault's photo
//! directory; `inbox.db` (shared by the inbox and the watch-lists) and `inbox.keys` — with the
//! platform key store and the shell's options; which hubs a device talks to (those of its
//! confirmed networks, each once however many networks share it); syncing them; registering a push
//! endpoint with them; reporting a sighting (seal, queue in the outbox, and on request send); and
//! lock and panic wipe, which are the vault's own and happen exactly as the vault does them.
//! Shells call the parts ([`App::rights`], [`App::vault`], [`App::inbox`], [`App::watchlists`])
//! directly for everything else.
//!
//! It must never hold UI text (shells word every message and outcome themselves), never name an
//! FFI type, and never hold a secret — a passphrase, a key — longer than the call it was given
//! to. Like every error in the core, what it returns never carries user content.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::files::{private_dir, privatize_tree, sync_dir};
use crate::inbox::{INBOX_DB, INBOX_KEYS, Inbox};
use crate::keys::{KdfParams, KeyFile, PlatformKeyStore, overwrite_and_remove};
use crate::protocol::{PushProvider, PushSubscription, same_hub};
use crate::rights::{InstallReport, RightsLibrary};
use crate::sync::{self, DocOutcome, HubClient, SyncConfig, SyncFailure, SyncReport, SyncTargets};
use crate::vault::{
    ATTACHMENTS_DIR, LogReceipt, Sighting, VAULT_DB, VAULT_KEYS, Vault, VaultConfig, WipeReport,
};
use crate::watchlist::Watchlists;

/// How a shell opens its data directory.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Argon2id cost for a vault passphrase set or changed from now on.
    pub kdf: KdfParams,
    /// Lock the vault after this long without use; `None`: only when asked to.
    pub vault_idle_timeout: Option<Duration>,
    /// Whether the vault may keep a second copy of its key wrapped by the platform key store, so
    /// it can be unlocked without the passphrase. The phones' hardware-backed stores: yes. A key
    /// store kept in a file beside the data (the CLI's): no, since that copy would let anyone who
    /// reads the files skip the passphrase.
    pub vault_key_in_platform_store: bool,
}

impl Default for AppConfig {
    /// A phone's: the default KDF, a five-minute idle lock, and the platform copy allowed.
    fn default() -> Self {
        let vault = VaultConfig::default();
        AppConfig {
            kdf: vault.kdf,
            vault_idle_timeout: vault.idle_timeout,
            vault_key_in_platform_store: true,
        }
    }
}

/// What opening the data directory had to repair, for the shell to tell the user.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AppOpenReport {
    /// `rights.db` was damaged and was rebuilt from the bundled cards.
    pub rights_rebuilt: bool,
    /// `vault.db` was damaged and was moved aside to this path; a new log was started.
    pub vault_moved_aside: Option<PathBuf>,
}

/// A hub a device talks to, and the confirmed networks it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hub {
    /// As the first network serving it writes it. Spellings that parse to the same URL, or differ
    /// only by a trailing `/`, are one hub.
    pub url: String,
    /// Network ids, in the order [`Inbox::networks`] lists them.
    pub networks: Vec<String>,
}

/// One hub's sync.
#[derive(Debug, Clone, Serialize)]
pub struct HubSync {
    pub hub: Hub,
    pub report: SyncReport,
}

/// A sync across hubs: one [`HubSync`] per hub, in the order of [`App::hubs`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncOutcome {
    pub hubs: Vec<HubSync>,
}

impl SyncOutcome {
    /// No hub reported a failure.
    pub fn ok(&self) -> bool {
        self.hubs.iter().all(|h| h.report.ok())
    }

    pub fn alerts_accepted(&self) -> u64 {
        self.hubs.iter().map(|h| h.report.alerts_accepted).sum()
    }

    pub fn reports_sent(&self) -> u64 {
        self.hubs.iter().map(|h| h.report.reports_sent).sum()
    }

    /// Reports still in the outbox after the last hub's sync (the outbox is one for all
    /// networks); 0 when no hub was synced.
    pub fn reports_pending(&self) -> u64 {
        self.hubs.last().map_or(0, |h| h.report.reports_pending)
    }

    /// Every failure, hub by hub.
    pub fn failures(&self) -> impl Iterator<Item = &SyncFailure> {
        self.hubs.iter().flat_map(|h| h.report.failures.iter())
    }

    /// Every hub's sync failed at every step: nothing was synced.
    pub fn all_failed(&self) -> bool {
        !self.hubs.is_empty() && self.hubs.iter().all(|h| h.report.all_failed())
    }

    /// Trying again later may help with every failure (true when there is none).
    pub fn retryable(&self) -> bool {
        self.failures().all(|f| f.retryable)
    }
}

/// A push endpoint registered with hubs.
#[derive(Debug, Clone, Serialize)]
pub struct PushSubscribed {
    /// What every hub was sent: the device's push key and region codes, never a place.
    pub subscription: PushSubscription,
    /// The hubs that accepted it.
    pub hubs: Vec<String>,
}

/// A push provider by the name shells use: `webpush` (or `unifiedpush`), `fcm`, `apns`. The one
/// place those names are read.
pub fn push_provider(name: &str) -> Result<PushProvider> {
    match name {
        "webpush" | "unifiedpush" => Ok(PushProvider::Webpush),
        "fcm" => Ok(PushProvider::Fcm),
        "apns" => Ok(PushProvider::Apns),
        _ => Err(Error::from(crate::sync::SyncError::UnknownPushProvider)),
    }
}

/// Everything a device keeps, opened on one data directory. `Send + Sync`: shells share one.
pub struct App {
    dir: PathBuf,
    rights: RightsLibrary,
    /// Replaced by an empty inbox (new key, new `inbox.db`) by the panic wipe.
    inbox: RwLock<Arc<Inbox>>,
    watchlists: RwLock<Arc<Watchlists>>,
    vault: Vault,
    key_store: Arc<dyn PlatformKeyStore>,
    opened: AppOpenReport,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("vault", &self.vault)
            .finish_non_exhaustive()
    }
}

/// The `-wal`, `-shm` and `-journal` companions of a SQLite file, and the file itself.
fn with_companions(dir: &Path, db: &str) -> [PathBuf; 4] {
    ["", "-wal", "-shm", "-journal"].map(|suffix| dir.join(format!("{db}{suffix}")))
}

/// Whether a file in the data directory holds key material: the wrapped-key files, the file key
/// store's keys, and their temporaries.
fn is_key_file(name: &str) -> bool {
    name.ends_with(".keys") || name.ends_with(".key") || name.ends_with(".keys.tmp")
}

/// Overwrites and removes every key file left in `dir` (after the known ones went first).
fn remove_key_files(dir: &Path, first_error: &mut Option<Error>) {
    if let Ok(list) = std::fs::read_dir(dir) {
        for entry in list.flatten() {
            if is_key_file(&entry.file_name().to_string_lossy())
                && let Err(e) = overwrite_and_remove(&entry.path())
            {
                first_error.get_or_insert(e);
            }
        }
    }
}

/// Destroys the inbox key (its platform-store key first, then `inbox.keys`) and, with `vault`,
/// the vault key (an open [`Vault`] destroys its own, under its life-cycle lock), with any
/// platform-store copy of either, before any data goes.
fn destroy_keys(
    dir: &Path,
    key_store: &dyn PlatformKeyStore,
    vault: bool,
    first_error: &mut Option<Error>,
) {
    if let Err(e) = KeyFile::new(dir.join(INBOX_KEYS), "inbox").destroy(Some(key_store)) {
        first_error.get_or_insert(e);
    }
    let _ = key_store.destroy(crate::inbox::PLATFORM_LABEL);
    if vault {
        if let Err(e) = KeyFile::new(dir.join(VAULT_KEYS), "vault").destroy(Some(key_store)) {
            first_error.get_or_insert(e);
        }
        // A copy the vault may have kept there, whatever its key file said; none is fine.
        let _ = key_store.destroy(crate::vault::PLATFORM_LABEL);
    }
}

/// The panic wipe for a data directory no [`App`] has open (a shell that could not open it, or
/// that opens nothing but needs the wipe): the keys first, then `vault.db`, its moved-aside copies
/// and photos, `inbox.db` (networks, alerts, saved places, followed regions, push key, outbox,
/// watch-lists, sync state) with their WAL and shared-memory files, and every key file left.
/// `rights.db` stays: the know-your-rights cards keep working. Every step runs even if an earlier
/// one failed; the first failure is returned after all of them.
pub fn wipe_data_dir(dir: &Path, key_store: &dyn PlatformKeyStore) -> Result<WipeReport> {
    let start = Instant::now();
    let mut first_error = None;
    destroy_keys(dir, key_store, true, &mut first_error);
    remove_key_files(dir, &mut first_error);
    let mut doomed: Vec<PathBuf> = with_companions(dir, VAULT_DB).into();
    doomed.extend(with_companions(dir, INBOX_DB));
    if let Ok(list) = std::fs::read_dir(dir) {
        doomed.extend(
            list.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(&format!("{VAULT_DB}.corrupt-"))
                })
                .map(|e| e.path()),
        );
    }
    for path in doomed {
        if let Err(e) = overwrite_and_remove(&path) {
            first_error.get_or_insert(e);
        }
    }
    remove_photos(dir, &mut first_error);
    // The cards stay, but not the packs, publishers and pack owners that name a network.
    if let Err(e) = RightsLibrary::open(dir).and_then(|(rights, _)| rights.forget_all_but_bundled())
    {
        first_error.get_or_insert(e);
    }
    sync_dir(dir);
    match first_error {
        Some(e) => Err(e),
        None => Ok(WipeReport {
            elapsed_ms: elapsed_ms(start),
        }),
    }
}

/// Removes the vault's photos: ciphertext under a key already destroyed, so unlinking is enough
/// (an overwrite and two fsyncs per photo would make a wipe of hundreds of photos take seconds).
fn remove_photos(dir: &Path, first_error: &mut Option<Error>) {
    let photos = dir.join(ATTACHMENTS_DIR);
    if let Ok(list) = std::fs::read_dir(&photos) {
        for entry in list.flatten() {
            if let Err(e) = std::fs::remove_file(entry.path()) {
                first_error.get_or_insert(Error::Io(e));
            }
        }
    }
    let _ = std::fs::remove_dir(&photos);
}

/// Sends the subscription's signed DELETE to each hub of `urls`: the URLs where it was deleted,
/// and the first failure (every hub is tried).
fn delete_subscription_at(
    inbox: &Inbox,
    state: &crate::inbox::push::PushSubscriptionState,
    urls: &[String],
) -> Result<(Vec<String>, Option<Error>)> {
    let key = inbox.push_signing_key()?;
    let now = chrono::Utc::now();
    let mut done = Vec::new();
    let mut first_error = None;
    for url in urls {
        match HubClient::new(SyncConfig::new(url))
            .and_then(|c| c.unsubscribe(&state.endpoint, &key, now))
        {
            Ok(()) => done.push(url.clone()),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Ok((done, first_error))
}

/// Stores the push subscription state, or forgets it once no hub has it or is owed a DELETE.
fn save_push_state(inbox: &Inbox, state: crate::inbox::push::PushSubscriptionState) -> Result<()> {
    inbox.set_push_subscription(if state.hubs.is_empty() && state.orphaned.is_empty() {
        None
    } else {
        Some(&state)
    })
}

fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl App {
    /// Opens (creating on first launch) the data directory: the rights library with the bundled
    /// cards, the inbox (its key wrapped by `key_store`), the watch-lists over the inbox's
    /// database, and the vault, locked.
    pub fn open(
        data_dir: &Path,
        config: AppConfig,
        key_store: Arc<dyn PlatformKeyStore>,
    ) -> Result<App> {
        private_dir(data_dir)?;
        let (rights, rights_report) = RightsLibrary::open(data_dir)?;
        let inbox = Inbox::open(data_dir, key_store.as_ref())?;
        let watchlists = Watchlists::with_store(inbox.store().clone());
        let vault_config = VaultConfig {
            kdf: config.kdf,
            idle_timeout: config.vault_idle_timeout,
        };
        let platform = config
            .vault_key_in_platform_store
            .then(|| Arc::clone(&key_store));
        let (vault, vault_report) = Vault::open(data_dir, vault_config, platform)?;
        // Files an older build made with wider permissions become the owner's only.
        privatize_tree(data_dir)?;
        Ok(App {
            dir: data_dir.to_path_buf(),
            rights,
            inbox: RwLock::new(Arc::new(inbox)),
            watchlists: RwLock::new(Arc::new(watchlists)),
            vault,
            key_store,
            opened: AppOpenReport {
                rights_rebuilt: rights_report.rebuilt,
                vault_moved_aside: vault_report.moved_aside,
            },
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// What [`App::open`] repaired.
    pub fn open_report(&self) -> &AppOpenReport {
        &self.opened
    }

    pub fn rights(&self) -> &RightsLibrary {
        &self.rights
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The inbox. After a panic wipe this is a new, empty one; a handle taken before it is the
    /// wiped inbox's and should not be kept.
    pub fn inbox(&self) -> Arc<Inbox> {
        Arc::clone(&self.inbox.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn watchlists(&self) -> Arc<Watchlists> {
        Arc::clone(
            &self
                .watchlists
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    // ---- hubs and sync ----

    /// The hubs of the confirmed networks, each once, in the order their first network is listed;
    /// an unconfirmed network's hub is not one of them.
    pub fn hubs(&self) -> Result<Vec<Hub>> {
        let mut hubs: Vec<Hub> = Vec::new();
        for n in self.inbox().networks()?.into_iter().filter(|n| n.confirmed) {
            match hubs.iter_mut().find(|h| same_hub(&h.url, &n.hub_url)) {
                Some(h) => h.networks.push(n.network_id),
                None => hubs.push(Hub {
                    url: n.hub_url,
                    networks: vec![n.network_id],
                }),
            }
        }
        Ok(hubs)
    }

    /// Syncs with every hub of [`App::hubs`], each once. A hub that fails is recorded in its
    /// report and the next hub still syncs. First, the push subscription is deleted at the hubs
    /// of removed networks that [`App::remove_network`] could not reach.
    pub fn sync(&self, now: DateTime<Utc>) -> Result<SyncOutcome> {
        let _ = self.unsubscribe_orphaned_hubs();
        let hubs = self.hubs()?;
        Ok(SyncOutcome {
            hubs: hubs.into_iter().map(|h| self.sync_one(h, now)).collect(),
        })
    }

    /// Syncs with one hub named by the caller, confirmed network or not. A URL no client can be
    /// made for (see [`HubClient::new`]) is an error; what fails once talking to the hub is in the
    /// outcome.
    pub fn sync_hub(&self, hub_url: &str, now: DateTime<Utc>) -> Result<SyncOutcome> {
        let client = HubClient::new(SyncConfig::new(hub_url))?;
        let report = self.sync_with(&client, now);
        Ok(SyncOutcome {
            hubs: vec![HubSync {
                hub: self.named_hub(hub_url),
                report,
            }],
        })
    }

    /// One hub of [`App::hubs`]: a hub no client can be made for is a failure in its report, so
    /// the next hub still syncs.
    fn sync_one(&self, hub: Hub, now: DateTime<Utc>) -> HubSync {
        let report = match HubClient::new(SyncConfig::new(&hub.url)) {
            Ok(client) => self.sync_with(&client, now),
            Err(e) => self.no_client(&e),
        };
        HubSync { hub, report }
    }

    fn sync_with(&self, client: &HubClient, now: DateTime<Utc>) -> SyncReport {
        let (inbox, watchlists) = (self.inbox(), self.watchlists());
        let targets = SyncTargets {
            inbox: &inbox,
            rights: &self.rights,
            watchlists: &watchlists,
        };
        sync::sync(client, &targets, now)
    }

    /// The report of a sync that could not start: no client for the hub's URL.
    fn no_client(&self, e: &Error) -> SyncReport {
        SyncReport {
            network: DocOutcome::Failed,
            packs: Vec::new(),
            watchlist: DocOutcome::Failed,
            alerts_accepted: 0,
            alerts_duplicate: 0,
            alerts_rejected: 0,
            reports_sent: 0,
            reports_pending: self.inbox().outbox().map_or(0, |o| o.len() as u64),
            failures: vec![SyncFailure::new("client", e)],
            requests: 0,
            bytes_received: 0,
        }
    }

    /// `hub_url` with the confirmed networks it serves (none if it serves none, or if they cannot
    /// be read: the list is only informative).
    fn named_hub(&self, hub_url: &str) -> Hub {
        let networks = self
            .hubs()
            .ok()
            .and_then(|hubs| hubs.into_iter().find(|h| same_hub(&h.url, hub_url)))
            .map(|h| h.networks)
            .unwrap_or_default();
        Hub {
            url: hub_url.to_owned(),
            networks,
        }
    }

    // ---- push ----

    /// Registers this device's push endpoint with `hub_url`, or with every hub of [`App::hubs`],
    /// for `regions` (default: the followed ones, kept up to date at each sync) and the device's
    /// push key; never a place. Each request is signed with the device's subscription key; a hub
    /// counts the subscription once the device echoes its confirmation push, which the next sync
    /// does after [`crate::inbox::Inbox::ingest_push`] received it. Every hub is tried; the first
    /// failure is returned after all of them.
    pub fn subscribe_push(
        &self,
        provider: PushProvider,
        endpoint: &str,
        regions: &[String],
        hub_url: Option<&str>,
    ) -> Result<PushSubscribed> {
        let inbox = self.inbox();
        let subscription = sync::subscription_for(&inbox, provider, endpoint, regions)?;
        let key = inbox.push_signing_key()?;
        let hubs = match hub_url {
            Some(url) => vec![url.to_owned()],
            None => self.hubs()?.into_iter().map(|h| h.url).collect(),
        };
        let chosen: Vec<String> = if regions.is_empty() {
            Vec::new()
        } else {
            subscription.regions.clone()
        };
        let mut state = match inbox.push_subscription()? {
            Some(s) if s.endpoint == endpoint && s.provider == provider => s,
            _ => crate::inbox::push::PushSubscriptionState {
                provider,
                endpoint: endpoint.to_owned(),
                regions: Vec::new(),
                hubs: Vec::new(),
                orphaned: Vec::new(),
            },
        };
        state.regions = chosen;
        let mut first_error = None;
        let now = chrono::Utc::now();
        for url in &hubs {
            match HubClient::new(SyncConfig::new(url))
                .and_then(|c| c.subscribe_signed(&subscription, &key, now))
            {
                Ok(()) => {
                    state.hubs.retain(|(u, _)| !same_hub(u, url));
                    state.hubs.push((url.clone(), subscription.regions.clone()));
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        inbox.set_push_subscription(Some(&state))?;
        match first_error {
            Some(e) => Err(e),
            None => Ok(PushSubscribed { subscription, hubs }),
        }
    }

    /// Deletes this device's push subscription at `hub_url`, or at every hub it was registered
    /// with (the protocol's signed `DELETE`). Returns the hubs it was deleted at; every hub is
    /// tried and the first failure is returned after all of them.
    pub fn unsubscribe_push(&self, hub_url: Option<&str>) -> Result<Vec<String>> {
        let inbox = self.inbox();
        let Some(mut state) = inbox.push_subscription()? else {
            return Err(crate::sync::SyncError::NoPushSubscription.into());
        };
        let targets: Vec<String> = match hub_url {
            Some(url) => vec![url.to_owned()],
            None => state.hubs.iter().map(|(u, _)| u.clone()).collect(),
        };
        let (done, first_error) = delete_subscription_at(&inbox, &state, &targets)?;
        state
            .hubs
            .retain(|(u, _)| !done.iter().any(|d| same_hub(u, d)));
        save_push_state(&inbox, state)?;
        match first_error {
            Some(e) => Err(e),
            None => Ok(done),
        }
    }

    /// Removes a network with its alerts and queued reports (see
    /// [`crate::inbox::Inbox::remove_network`]), and deletes this device's push subscription at
    /// its hub when no other confirmed network uses that hub, so the hub stops pushing to it. A
    /// hub that cannot be reached now is tried again at each sync; the removal itself never
    /// fails for the network's sake.
    pub fn remove_network(&self, network_id: &str) -> Result<()> {
        let inbox = self.inbox();
        let hub_url = inbox.network(network_id)?.hub_url;
        inbox.remove_network(network_id)?;
        if self.hubs()?.iter().any(|h| same_hub(&h.url, &hub_url)) {
            return Ok(());
        }
        if let Some(mut state) = inbox.push_subscription()? {
            let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut state.hubs)
                .into_iter()
                .partition(|(url, _)| same_hub(url, &hub_url));
            state.hubs = kept;
            state.orphaned.extend(gone.into_iter().map(|(url, _)| url));
            inbox.set_push_subscription(Some(&state))?;
        }
        let _ = self.unsubscribe_orphaned_hubs();
        Ok(())
    }

    /// Deletes the push subscription at each hub of a removed network still listed as orphaned.
    /// Returns the first failure after trying every one; those that failed stay listed.
    fn unsubscribe_orphaned_hubs(&self) -> Result<()> {
        let inbox = self.inbox();
        let Some(mut state) = inbox.push_subscription()? else {
            return Ok(());
        };
        if state.orphaned.is_empty() {
            return Ok(());
        }
        let (done, first_error) = delete_subscription_at(&inbox, &state, &state.orphaned)?;
        state.orphaned.retain(|u| !done.contains(u));
        save_push_state(&inbox, state)?;
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    // ---- the vault and reports ----

    /// Logs a sighting, checking its plates against the installed watch-lists.
    pub fn log_sighting(&self, sighting: Sighting, photos: &[Vec<u8>]) -> Result<LogReceipt> {
        self.vault.log(sighting, photos, Some(&self.watchlists()))
    }

    /// Amends a record, checking its plates against the installed watch-lists.
    pub fn amend_sighting(
        &self,
        record_id: &str,
        sighting: Sighting,
        reason: Option<String>,
    ) -> Result<LogReceipt> {
        self.vault
            .amend(record_id, sighting, reason, Some(&self.watchlists()))
    }

    /// Reports a vault record to a network: sealed at once to its dispatchers and queued in the
    /// outbox, where it stays until a sync delivers it. Returns the report's idempotency key.
    pub fn report(&self, record_id: &str, network_id: &str, now: DateTime<Utc>) -> Result<String> {
        sync::queue_sighting_report(&self.vault, &self.inbox(), record_id, network_id, now)
    }

    /// Sends the outbox now: one sync with `network_id`'s hub. A report that does not go stays
    /// queued, with its backoff, and the failure is in the outcome.
    pub fn flush_reports(&self, network_id: &str, now: DateTime<Utc>) -> Result<SyncOutcome> {
        let profile = self.inbox().network(network_id)?;
        self.sync_hub(&profile.hub_url, now)
    }

    /// Forgets the vault's key (the vault's own lock).
    pub fn lock(&self) {
        self.vault.lock();
    }

    /// Panic wipe: leaves nothing that identifies the person, their places, their network or
    /// their reports. The keys go first (the inbox key and the vault key, from the platform key
    /// store and their key files), then the vault (`vault.db`, moved-aside copies, photos), then
    /// `inbox.db` as a whole file with its WAL and shared-memory files — networks, alerts, saved
    /// places, followed regions, the push key, the outbox, watch-lists (they name the network),
    /// sync state (hub URLs, ETags) — so no deleted row survives in free pages, then every key
    /// file left. An empty inbox with a new key takes its place. `rights.db` stays: the
    /// know-your-rights cards keep working. Every step runs even if an earlier one failed; the
    /// first failure is returned after all of them.
    pub fn wipe(&self) -> Result<WipeReport> {
        let start = Instant::now();
        let mut inbox = self.inbox.write().unwrap_or_else(PoisonError::into_inner);
        let mut watchlists = self
            .watchlists
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut first_error = None;
        destroy_keys(&self.dir, self.key_store.as_ref(), false, &mut first_error);
        // The vault's own wipe: its key first, then `vault.db` and its companions, photos.
        if let Err(e) = self.vault.wipe() {
            first_error.get_or_insert(e);
        }
        // The whole file: the old `Store` is closed for good, so a handle to the wiped inbox
        // taken before the wipe fails from now on rather than write under the destroyed key.
        if let Err(e) = inbox.store().wipe() {
            first_error.get_or_insert(e);
        }
        remove_key_files(&self.dir, &mut first_error);
        // The cards stay, but not the packs, publishers and pack owners that name a network.
        if let Err(e) = self.rights.forget_all_but_bundled() {
            first_error.get_or_insert(e);
        }
        sync_dir(&self.dir);
        // A new, empty inbox on a new file, under a new key.
        match Inbox::open(&self.dir, self.key_store.as_ref()) {
            Ok(fresh) => {
                *watchlists = Arc::new(Watchlists::with_store(Arc::clone(fresh.store())));
                *inbox = Arc::new(fresh);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
        if let Err(e) = privatize_tree(&self.dir) {
            first_error.get_or_insert(Error::Io(e));
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(WipeReport {
                elapsed_ms: elapsed_ms(start),
            }),
        }
    }

    // ---- the rights library ----

    /// Installs a signed pack from a publisher trusted by hand or by a confirmed network.
    pub fn install_pack(&self, bytes: &[u8]) -> Result<InstallReport> {
        let trusted = self.inbox().trusted_publishers()?;
        self.rights.install_pack_trusting(bytes, &trusted)
    }
}
