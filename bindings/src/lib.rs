//! `silbato-ffi`: the UniFFI facade the Android and iOS shells (and the Kotlin and Python tests)
//! call. A thin layer over the core's composition root, `silbato_core::App` (which opens the data
//! directory, picks the hubs, syncs, subscribes, reports, locks and wipes): it converts records in
//! `model.rs` and maps errors in `error.rs`. It holds no behaviour of its own and is not an API for
//! Rust users.
//!
//! The surface is synchronous and coarse (shells call it on background threads); every object is
//! `Send + Sync` behind an `Arc`; bytes are `Vec<u8>`; passphrases cross as bytes so a shell can
//! wipe its copy, and keys never cross at all except public ones.

uniffi::setup_scaffolding!();

mod error;
mod keystore;
mod model;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use silbato_core::app::{App, AppConfig};
use silbato_core::inbox::push::PushOutcome;
use silbato_core::keys::{KdfParams, Passphrase};
use silbato_core::rights::SearchOptions;
use silbato_core::vault::VaultState;
use zeroize::Zeroizing;

pub use error::{FFI_CODES, SilbatoError};
pub use keystore::{KeyStore, KeyStoreFailure};
pub use model::*;

use error::Result;

/// How the core is opened.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SilbatoConfig {
    /// Lock the vault after this many seconds without use (0: only on request).
    pub vault_idle_timeout_secs: u64,
    /// Tests only: a passphrase KDF of milliseconds instead of about a second.
    pub insecure_fast_kdf_for_tests: bool,
}

/// The entry point: everything the app keeps, in one data directory.
#[derive(uniffi::Object)]
pub struct Silbato {
    inner: Arc<App>,
}

fn passphrase(bytes: Vec<u8>) -> Result<Passphrase> {
    let bytes = Zeroizing::new(bytes);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        SilbatoError::invalid_argument("ffi.passphrase_not_utf8", "a passphrase is UTF-8 text")
    })?;
    Ok(Passphrase::new(text.to_owned()))
}

#[uniffi::export]
impl Silbato {
    /// Opens (creating on first launch) the data directory. The inbox key is wrapped by
    /// `key_store`; the bundled know-your-rights cards are there at once, offline.
    #[uniffi::constructor]
    pub fn open(
        data_dir: String,
        config: SilbatoConfig,
        key_store: Arc<dyn KeyStore>,
    ) -> Result<Arc<Self>> {
        let config = AppConfig {
            kdf: if config.insecure_fast_kdf_for_tests {
                KdfParams::FAST_INSECURE
            } else {
                KdfParams::DEFAULT
            },
            vault_idle_timeout: (config.vault_idle_timeout_secs > 0)
                .then(|| Duration::from_secs(config.vault_idle_timeout_secs)),
            vault_key_in_platform_store: true,
        };
        let app = App::open(
            Path::new(&data_dir),
            config,
            Arc::new(keystore::Adapter(key_store)),
        )?;
        Ok(Arc::new(Silbato {
            inner: Arc::new(app),
        }))
    }

    /// True when a damaged content database was rebuilt from the bundled cards on open.
    pub fn content_was_rebuilt(&self) -> bool {
        self.inner.open_report().rights_rebuilt
    }

    pub fn rights(&self) -> Arc<Rights> {
        Arc::new(Rights {
            inner: self.inner.clone(),
        })
    }

    pub fn vault(&self) -> Arc<SightingVault> {
        Arc::new(SightingVault {
            inner: self.inner.clone(),
        })
    }

    pub fn inbox(&self) -> Arc<AlertInbox> {
        Arc::new(AlertInbox {
            inner: self.inner.clone(),
        })
    }

    /// Syncs with `hub_url`, or with every confirmed network's hub.
    pub fn sync(&self, hub_url: Option<String>) -> Result<SyncSummary> {
        let outcome = match hub_url {
            Some(h) => self.inner.sync_hub(&h, Utc::now())?,
            None => self.inner.sync(Utc::now())?,
        };
        Ok(SyncSummary::from(&outcome))
    }
}

/// The know-your-rights library.
#[derive(uniffi::Object)]
pub struct Rights {
    inner: Arc<App>,
}

#[uniffi::export]
impl Rights {
    pub fn list_cards(&self, lang: String, category: Option<String>) -> Result<Vec<CardSummary>> {
        Ok(self
            .inner
            .rights()
            .list_cards(&lang, category.as_deref())?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub fn card(&self, id: String, lang: String) -> Result<CardDetail> {
        Ok(self.inner.rights().card(&id, &lang)?.into())
    }

    /// Any text a person types; never an error for odd input.
    pub fn search(
        &self,
        query: String,
        lang: Option<String>,
        limit: u32,
    ) -> Result<Vec<SearchResult>> {
        let opts = SearchOptions {
            lang,
            limit: usize::try_from(limit).unwrap_or(usize::MAX).min(200),
        };
        Ok(self
            .inner
            .rights()
            .search(&query, &opts)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub fn hotlines(&self, region: Option<String>) -> Result<Vec<Hotline>> {
        Ok(self
            .inner
            .rights()
            .hotlines(region.as_deref())?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The interface words and disclaimer in `lang`, as label/text pairs.
    pub fn disclaimer(&self, lang: String) -> Result<String> {
        Ok(self.inner.rights().language(&lang)?.disclaimer)
    }

    pub fn install_pack(&self, bytes: Vec<u8>) -> Result<u64> {
        Ok(self.inner.install_pack(&bytes)?.version)
    }
}

/// The patroller's vault.
#[derive(uniffi::Object)]
pub struct SightingVault {
    inner: Arc<App>,
}

#[uniffi::export]
impl SightingVault {
    pub fn state(&self) -> VaultState {
        self.inner.vault().state()
    }

    pub fn init(&self, passphrase_utf8: Vec<u8>) -> Result<()> {
        Ok(self.inner.vault().init(&passphrase(passphrase_utf8)?)?)
    }

    pub fn unlock(&self, passphrase_utf8: Vec<u8>) -> Result<()> {
        Ok(self.inner.vault().unlock(&passphrase(passphrase_utf8)?)?)
    }

    pub fn unlock_with_key_store(&self) -> Result<()> {
        Ok(self.inner.vault().unlock_with_platform()?)
    }

    pub fn enable_key_store_unlock(&self) -> Result<()> {
        Ok(self.inner.vault().enable_platform_unlock()?)
    }

    pub fn lock(&self) {
        self.inner.lock();
    }

    pub fn change_passphrase(&self, old_utf8: Vec<u8>, new_utf8: Vec<u8>) -> Result<()> {
        Ok(self
            .inner
            .vault()
            .change_passphrase(&passphrase(old_utf8)?, &passphrase(new_utf8)?)?)
    }

    pub fn log(&self, sighting: SightingInput, photos: Vec<Vec<u8>>) -> Result<LogResult> {
        let r = self.inner.log_sighting(sighting.into_core()?, &photos)?;
        Ok(LogResult {
            id: r.id,
            plate_matches: r
                .plate_matches
                .into_iter()
                .map(|m| PlateMatch {
                    plate: m.plate,
                    state: m.state,
                    description: m.description,
                    kind: m.kind,
                })
                .collect(),
        })
    }

    pub fn list(&self) -> Result<Vec<RecordItem>> {
        Ok(self
            .inner
            .vault()
            .list()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub fn record(&self, id: String) -> Result<RecordItem> {
        Ok(self.inner.vault().record(&id)?.into())
    }

    pub fn amend(
        &self,
        id: String,
        sighting: SightingInput,
        reason: Option<String>,
    ) -> Result<LogResult> {
        let r = self
            .inner
            .amend_sighting(&id, sighting.into_core()?, reason)?;
        Ok(LogResult {
            id: r.id,
            plate_matches: vec![],
        })
    }

    /// Seals the record to the network's dispatchers and queues it for the next sync.
    pub fn report(&self, record_id: String, network_id: String) -> Result<String> {
        Ok(self.inner.report(&record_id, &network_id, Utc::now())?)
    }

    /// An export sealed to a recipient's X25519 public key (32 bytes).
    pub fn export_sealed(&self, recipient_public_key: Vec<u8>) -> Result<Vec<u8>> {
        let key: [u8; 32] = recipient_public_key.try_into().map_err(|_| {
            SilbatoError::invalid_argument("ffi.key_length", "an X25519 public key is 32 bytes")
        })?;
        let target = silbato_core::vault::export::ExportTarget::SealedTo(
            silbato_core::seal::SealPublicKey::from_bytes(key),
        );
        Ok(self.inner.vault().export(&target)?)
    }

    /// Panic wipe. The know-your-rights cards keep working.
    pub fn wipe(&self) -> Result<u64> {
        Ok(self.inner.wipe()?.elapsed_ms)
    }
}

/// The family's alert inbox, places and networks.
#[derive(uniffi::Object)]
pub struct AlertInbox {
    inner: Arc<App>,
}

#[uniffi::export]
impl AlertInbox {
    /// Installs a signed network profile; `fingerprint` (from the organizer) confirms it at once.
    pub fn install_network(
        &self,
        profile: Vec<u8>,
        fingerprint: Option<String>,
    ) -> Result<NetworkItem> {
        let r = self
            .inner
            .inbox()
            .install_network(&profile, fingerprint.as_deref())?;
        self.network(r.network_id)
    }

    /// Installs from the text of a QR code.
    pub fn install_network_qr(
        &self,
        text: String,
        fingerprint: Option<String>,
    ) -> Result<NetworkItem> {
        self.install_network(silbato_core::network::decode_qr(&text)?, fingerprint)
    }

    pub fn confirm_network(&self, id: String, fingerprint: String) -> Result<()> {
        Ok(self.inner.inbox().confirm_network(&id, &fingerprint)?)
    }

    /// Removes a network with its alerts and queued reports, and this device's push
    /// subscription at its hub when no other network uses that hub.
    pub fn remove_network(&self, id: String) -> Result<()> {
        Ok(self.inner.remove_network(&id)?)
    }

    pub fn networks(&self) -> Result<Vec<NetworkItem>> {
        Ok(self
            .inner
            .inbox()
            .networks()?
            .into_iter()
            .map(|n| NetworkItem {
                id: n.network_id,
                name: n.name,
                version: n.version,
                fingerprint: n.fingerprint,
                confirmed: n.confirmed,
                hub_url: n.hub_url,
                regions: n.regions,
            })
            .collect())
    }

    pub fn ingest_alert(&self, envelope: Vec<u8>) -> Result<IngestResult> {
        Ok(self.inner.inbox().ingest(&envelope, Utc::now())?.into())
    }

    /// Hands over a push payload from FCM, APNs or UnifiedPush; says what to show.
    pub fn ingest_push(&self, payload: Vec<u8>, lang: String) -> Result<PushResult> {
        Ok(
            match self
                .inner
                .inbox()
                .ingest_push(&payload, &lang, Utc::now())?
            {
                PushOutcome::SyncNeeded => PushResult {
                    sync_needed: true,
                    ingest: None,
                    notification_title: None,
                    notification_body: None,
                },
                PushOutcome::Alert {
                    outcome,
                    notification,
                } => PushResult {
                    sync_needed: false,
                    ingest: Some(outcome.into()),
                    notification_title: notification.as_ref().map(|n| n.title.clone()),
                    notification_body: notification.map(|n| n.body),
                },
            },
        )
    }

    pub fn active(&self, lang: String, limit: u32) -> Result<Vec<AlertItem>> {
        Ok(self
            .inner
            .inbox()
            .active(
                &lang,
                Utc::now(),
                usize::try_from(limit).unwrap_or(usize::MAX),
            )?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub fn history(&self, lang: String, limit: u32) -> Result<Vec<AlertItem>> {
        Ok(self
            .inner
            .inbox()
            .history(
                &lang,
                Utc::now(),
                usize::try_from(limit).unwrap_or(usize::MAX),
            )?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One alert; `inbox.ambiguous_alert` when several networks have this id (then
    /// [`AlertInbox::network_alert`]).
    pub fn alert(&self, id: String, lang: String) -> Result<AlertItem> {
        Ok(self.inner.inbox().alert(&id, &lang, Utc::now())?.into())
    }

    /// One alert of one network: an alert is identified by (network, id).
    pub fn network_alert(&self, network_id: String, id: String, lang: String) -> Result<AlertItem> {
        Ok(self
            .inner
            .inbox()
            .alert_in(Some(&network_id), &id, &lang, Utc::now())?
            .into())
    }

    pub fn unread_count(&self) -> Result<u64> {
        Ok(self.inner.inbox().unread_count(Utc::now())?)
    }

    pub fn mark_read(&self, id: String) -> Result<()> {
        Ok(self.inner.inbox().mark_read(&id)?)
    }

    pub fn mark_network_alert_read(&self, network_id: String, id: String) -> Result<()> {
        Ok(self.inner.inbox().mark_read_in(Some(&network_id), &id)?)
    }

    pub fn add_place(
        &self,
        label: String,
        latitude: f64,
        longitude: f64,
        radius_m: f64,
    ) -> Result<PlaceItem> {
        Ok(self
            .inner
            .inbox()
            .add_place(&label, latitude, longitude, radius_m)?
            .into())
    }

    pub fn places(&self) -> Result<Vec<PlaceItem>> {
        Ok(self
            .inner
            .inbox()
            .places()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub fn remove_place(&self, id: String) -> Result<()> {
        Ok(self.inner.inbox().remove_place(&id)?)
    }

    pub fn follow_region(&self, code: String) -> Result<()> {
        Ok(self.inner.inbox().follow_region(&code)?)
    }

    pub fn followed_regions(&self) -> Result<Vec<String>> {
        Ok(self.inner.inbox().followed_regions()?)
    }

    /// The device's push public key (32 bytes): what a hub subscription carries.
    pub fn push_public_key(&self) -> Result<Vec<u8>> {
        Ok(self.inner.inbox().push_public_key()?.as_bytes().to_vec())
    }

    pub fn set_headline_in_notifications(&self, on: bool) -> Result<()> {
        Ok(self.inner.inbox().set_headline_in_notifications(on)?)
    }

    pub fn headline_in_notifications(&self) -> Result<bool> {
        Ok(self.inner.inbox().headline_in_notifications()?)
    }

    pub fn unfollow_region(&self, code: String) -> Result<()> {
        Ok(self.inner.inbox().unfollow_region(&code)?)
    }

    /// Registers this device's push endpoint (provider: webpush, fcm or apns) with a hub — or with
    /// every confirmed network's hub — for region codes (default: the followed ones). Never a place.
    pub fn subscribe_push(
        &self,
        provider: String,
        endpoint: String,
        regions: Vec<String>,
        hub_url: Option<String>,
    ) -> Result<()> {
        let provider = silbato_core::app::push_provider(&provider)?;
        self.inner
            .subscribe_push(provider, &endpoint, &regions, hub_url.as_deref())?;
        Ok(())
    }

    /// Deletes this device's push subscription at a hub — or at every hub it was registered
    /// with — signed by the device's subscription key. Returns the hubs it was deleted at.
    pub fn unsubscribe_push(&self, hub_url: Option<String>) -> Result<Vec<String>> {
        Ok(self.inner.unsubscribe_push(hub_url.as_deref())?)
    }
}

// Not exported: `#[uniffi::export] impl` exports every method in its block, private ones too.
impl AlertInbox {
    fn network(&self, id: String) -> Result<NetworkItem> {
        self.networks()?
            .into_iter()
            .find(|n| n.id == id)
            .ok_or_else(|| {
                SilbatoError::from(silbato_core::Error::NotFound {
                    what: silbato_core::error::Missing::Network,
                })
            })
    }
}

/// The data directory the core was opened on (for the shells' backup exclusion).
#[uniffi::export]
pub fn data_dir_of(silbato: Arc<Silbato>) -> String {
    silbato.inner.data_dir().to_string_lossy().into_owned()
}
