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
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::inbox::Inbox;
use crate::keys::{KdfParams, PlatformKeyStore};
use crate::protocol::{PushProvider, PushSubscription, same_hub};
use crate::rights::{InstallReport, RightsLibrary};
use crate::sync::{self, DocOutcome, HubClient, SyncConfig, SyncFailure, SyncReport, SyncTargets};
use crate::vault::{LogReceipt, Sighting, Vault, VaultConfig, WipeReport};
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
#[derive(Debug)]
pub struct App {
    dir: PathBuf,
    rights: RightsLibrary,
    inbox: Inbox,
    watchlists: Watchlists,
    vault: Vault,
    opened: AppOpenReport,
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
        let (rights, rights_report) = RightsLibrary::open(data_dir)?;
        let inbox = Inbox::open(data_dir, key_store.as_ref())?;
        let watchlists = Watchlists::with_store(inbox.store().clone());
        let vault_config = VaultConfig {
            kdf: config.kdf,
            idle_timeout: config.vault_idle_timeout,
        };
        let platform = config.vault_key_in_platform_store.then_some(key_store);
        let (vault, vault_report) = Vault::open(data_dir, vault_config, platform)?;
        Ok(App {
            dir: data_dir.to_path_buf(),
            rights,
            inbox,
            watchlists,
            vault,
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

    pub fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    pub fn watchlists(&self) -> &Watchlists {
        &self.watchlists
    }

    // ---- hubs and sync ----

    /// The hubs of the confirmed networks, each once, in the order their first network is listed;
    /// an unconfirmed network's hub is not one of them.
    pub fn hubs(&self) -> Result<Vec<Hub>> {
        let mut hubs: Vec<Hub> = Vec::new();
        for n in self.inbox.networks()?.into_iter().filter(|n| n.confirmed) {
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
    /// report and the next hub still syncs.
    pub fn sync(&self, now: DateTime<Utc>) -> Result<SyncOutcome> {
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
        let targets = SyncTargets {
            inbox: &self.inbox,
            rights: &self.rights,
            watchlists: &self.watchlists,
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
            reports_pending: self.inbox.outbox().map_or(0, |o| o.len() as u64),
            failures: vec![SyncFailure {
                step: "client".to_owned(),
                error: e.to_string(),
                retryable: e.is_retryable(),
            }],
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
    /// for `regions` (default: the followed ones) and the device's push key; never a place. Every
    /// hub is tried; the first failure is returned after all of them.
    pub fn subscribe_push(
        &self,
        provider: PushProvider,
        endpoint: &str,
        regions: &[String],
        hub_url: Option<&str>,
    ) -> Result<PushSubscribed> {
        let subscription = sync::subscription_for(&self.inbox, provider, endpoint, regions)?;
        let hubs = match hub_url {
            Some(url) => vec![url.to_owned()],
            None => self.hubs()?.into_iter().map(|h| h.url).collect(),
        };
        let mut first_error = None;
        for url in &hubs {
            if let Err(e) =
                HubClient::new(SyncConfig::new(url)).and_then(|c| c.subscribe(&subscription))
            {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(PushSubscribed { subscription, hubs }),
        }
    }

    // ---- the vault and reports ----

    /// Logs a sighting, checking its plates against the installed watch-lists.
    pub fn log_sighting(&self, sighting: Sighting, photos: &[Vec<u8>]) -> Result<LogReceipt> {
        self.vault.log(sighting, photos, Some(&self.watchlists))
    }

    /// Amends a record, checking its plates against the installed watch-lists.
    pub fn amend_sighting(
        &self,
        record_id: &str,
        sighting: Sighting,
        reason: Option<String>,
    ) -> Result<LogReceipt> {
        self.vault
            .amend(record_id, sighting, reason, Some(&self.watchlists))
    }

    /// Reports a vault record to a network: sealed at once to its dispatchers and queued in the
    /// outbox, where it stays until a sync delivers it. Returns the report's idempotency key.
    pub fn report(&self, record_id: &str, network_id: &str, now: DateTime<Utc>) -> Result<String> {
        sync::queue_sighting_report(&self.vault, &self.inbox, record_id, network_id, now)
    }

    /// Sends the outbox now: one sync with `network_id`'s hub. A report that does not go stays
    /// queued, with its backoff, and the failure is in the outcome.
    pub fn flush_reports(&self, network_id: &str, now: DateTime<Utc>) -> Result<SyncOutcome> {
        let profile = self.inbox.network(network_id)?;
        self.sync_hub(&profile.hub_url, now)
    }

    /// Forgets the vault's key (the vault's own lock).
    pub fn lock(&self) {
        self.vault.lock();
    }

    /// Panic wipe: the vault's own, in its order (keys, then `vault.db`, then photos). The
    /// know-your-rights cards keep working.
    pub fn wipe(&self) -> Result<WipeReport> {
        self.vault.wipe()
    }

    // ---- the rights library ----

    /// Installs a signed pack from a publisher trusted by hand or by a confirmed network.
    pub fn install_pack(&self, bytes: &[u8]) -> Result<InstallReport> {
        let trusted = self.inbox.trusted_publishers()?;
        self.rights.install_pack_trusting(bytes, &trusted)
    }
}
