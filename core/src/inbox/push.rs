//! Push on the device: the inbox's push key, ingesting a push, and what a shell may show for it.
//!
//! The payload format is `silbato_proto::push`. The notification text is generic by default ("New
//! alert from <network>") so no alert text reaches the operating system's notification store
//! unless the user opted in. This module must never return alert text for a notification without
//! that opt-in.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use silbato_proto::crypto::{PublicKey, SigningKey};
use silbato_proto::protocol::PushProvider;
pub use silbato_proto::push::*;
use silbato_proto::seal::{SealPublicKey, SealSecretKey};

use crate::error::{Error, Result};
use crate::inbox::{Inbox, IngestOutcome};

/// What the shell should show. Generic unless the user chose to see headlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PushOutcome {
    /// A wake-up: run a sync.
    SyncNeeded,
    /// A sealed alert, ingested under the usual rules. `notification` is `None` when nothing new
    /// should be shown (rejected or duplicate).
    Alert {
        outcome: IngestOutcome,
        notification: Option<Notification>,
    },
}

fn generic(lang: &str, network: &str, all_clear: bool) -> Notification {
    // A regional or locale form (`es-MX`, `es_US.UTF-8`) reads its primary language.
    let primary = lang
        .split(['-', '_', '.', '@'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (title, body) = match (primary.as_str(), all_clear) {
        ("es", false) => ("Silbato".to_owned(), format!("Nueva alerta de {network}")),
        ("es", true) => (
            "Silbato".to_owned(),
            format!("Fin de la alerta de {network}"),
        ),
        (_, false) => ("Silbato".to_owned(), format!("New alert from {network}")),
        (_, true) => ("Silbato".to_owned(), format!("All clear from {network}")),
    };
    Notification { title, body }
}

const PUSH_KEY: &str = "push_key";
const PUSH_KEY_AAD: &[u8] = b"inbox.db/inbox_meta/push_key/v2";
/// The Ed25519 key that signs this device's subscription requests (`docs/protocol.md`).
const PUSH_SIGN_KEY: &str = "push_sign_key";
const PUSH_SIGN_KEY_AAD: &[u8] = b"inbox.db/inbox_meta/push_sign_key/v1";
/// Challenges from confirmation pushes, waiting for the next sync to echo them.
const PUSH_CHALLENGES: &str = "push_challenges";
const PUSH_CHALLENGES_AAD: &[u8] = b"inbox.db/inbox_meta/push_challenges/v1";
/// The registered subscription: endpoint, provider, chosen regions, and what each hub was sent.
const PUSH_SUBSCRIPTION: &str = "push_subscription";
const PUSH_SUBSCRIPTION_AAD: &[u8] = b"inbox.db/inbox_meta/push_subscription/v1";
/// How long an unechoed challenge is kept (a hub forgets its pending subscription sooner).
const CHALLENGE_KEEP_HOURS: i64 = 48;
/// Most challenges kept at once; the oldest go first.
const MAX_CHALLENGES: usize = 16;

/// A challenge from a confirmation push, kept until a hub accepts it or it is too old.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredChallenge {
    challenge: String,
    received: DateTime<Utc>,
}

/// This device's push subscription, as registered with hubs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscriptionState {
    pub provider: PushProvider,
    pub endpoint: String,
    /// Regions chosen at subscription; empty: the followed regions, whatever they are at each sync.
    pub regions: Vec<String>,
    /// Each hub the subscription was sent to (its URL), with the regions it was last sent.
    pub hubs: Vec<(String, Vec<String>)>,
    /// Hubs of removed networks where the subscription is still to be deleted (the hub could
    /// not be reached when the network was removed); tried again at each sync.
    #[serde(default)]
    pub orphaned: Vec<String>,
}

impl Inbox {
    /// Creates the device's push key pair on first use.
    pub(crate) fn ensure_push_key(&self) -> Result<()> {
        if self.push_secret().is_ok() {
            return Ok(());
        }
        let secret = SealSecretKey::generate().map_err(|_| Error::Crypto)?;
        let sealed = silbato_proto::crypto::aead_seal(
            self.key.bytes(),
            PUSH_KEY_AAD,
            secret.to_bytes().as_ref(),
        )?;
        self.store.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO inbox_meta (name, value) VALUES (?1, ?2)",
                rusqlite::params![PUSH_KEY, sealed],
            )?;
            Ok(())
        })
    }

    fn push_secret(&self) -> Result<SealSecretKey> {
        let sealed: Vec<u8> = self.store.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM inbox_meta WHERE name = ?1",
                [PUSH_KEY],
                |r| r.get(0),
            )?)
        })?;
        let bytes = Zeroizing::new(
            silbato_proto::crypto::aead_open(self.key.bytes(), PUSH_KEY_AAD, &sealed)?.to_vec(),
        );
        SealSecretKey::from_bytes(&bytes).map_err(|_| Error::Corrupt { store: "inbox" })
    }

    /// The key that signs this device's push subscription requests, created on first use. It
    /// lives beside the push key, sealed under the inbox key, and goes with it in a wipe.
    pub fn push_signing_key(&self) -> Result<SigningKey> {
        if let Some(k) = self.sealed_meta(PUSH_SIGN_KEY, PUSH_SIGN_KEY_AAD)? {
            return SigningKey::from_pkcs8(k).map_err(|_| Error::Corrupt { store: "inbox" });
        }
        let key = SigningKey::generate().map_err(|_| Error::Crypto)?;
        self.put_sealed_meta(PUSH_SIGN_KEY, PUSH_SIGN_KEY_AAD, key.pkcs8(), false)?;
        // Another thread may have won the race: the stored key is the one.
        let stored = self
            .sealed_meta(PUSH_SIGN_KEY, PUSH_SIGN_KEY_AAD)?
            .ok_or(Error::Corrupt { store: "inbox" })?;
        SigningKey::from_pkcs8(stored).map_err(|_| Error::Corrupt { store: "inbox" })
    }

    /// The public half of the subscription-signing key: what a hub checks requests against.
    pub fn push_signing_public_key(&self) -> Result<PublicKey> {
        Ok(self.push_signing_key()?.public_key())
    }

    fn sealed_meta(&self, name: &str, aad: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let sealed: Option<Vec<u8>> = self.store.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM inbox_meta WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?)
        })?;
        match sealed {
            None => Ok(None),
            Some(sealed) => Ok(Some(Zeroizing::new(
                silbato_proto::crypto::aead_open(self.key.bytes(), aad, &sealed)?.to_vec(),
            ))),
        }
    }

    fn put_sealed_meta(&self, name: &str, aad: &[u8], plain: &[u8], replace: bool) -> Result<()> {
        let sealed = silbato_proto::crypto::aead_seal(self.key.bytes(), aad, plain)?;
        let sql = if replace {
            "INSERT OR REPLACE INTO inbox_meta (name, value) VALUES (?1, ?2)"
        } else {
            "INSERT OR IGNORE INTO inbox_meta (name, value) VALUES (?1, ?2)"
        };
        self.store.write(|tx| {
            tx.execute(sql, rusqlite::params![name, sealed])?;
            Ok(())
        })
    }

    fn challenges(&self) -> Result<Vec<StoredChallenge>> {
        match self.sealed_meta(PUSH_CHALLENGES, PUSH_CHALLENGES_AAD)? {
            None => Ok(Vec::new()),
            Some(plain) => {
                serde_json::from_slice(&plain).map_err(|_| Error::Corrupt { store: "inbox" })
            }
        }
    }

    fn put_challenges(&self, list: &[StoredChallenge]) -> Result<()> {
        let plain = Zeroizing::new(serde_json::to_vec(list).map_err(|_| Error::Encode)?);
        self.put_sealed_meta(PUSH_CHALLENGES, PUSH_CHALLENGES_AAD, &plain, true)
    }

    /// Challenges from confirmation pushes that no hub has accepted yet (base64), newest last.
    pub fn pending_push_challenges(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let keep = chrono::Duration::hours(CHALLENGE_KEEP_HOURS);
        Ok(self
            .challenges()?
            .into_iter()
            .filter(|c| now - c.received < keep)
            .map(|c| c.challenge)
            .collect())
    }

    /// Forgets a challenge a hub accepted.
    pub fn forget_push_challenge(&self, challenge: &str) -> Result<()> {
        let mut list = self.challenges()?;
        let before = list.len();
        list.retain(|c| c.challenge != challenge);
        if list.len() != before {
            self.put_challenges(&list)?;
        }
        Ok(())
    }

    fn record_challenge(&self, challenge: &[u8], now: DateTime<Utc>) -> Result<()> {
        let text = silbato_proto::protocol::b64(challenge);
        let keep = chrono::Duration::hours(CHALLENGE_KEEP_HOURS);
        let mut list = self.challenges()?;
        list.retain(|c| now - c.received < keep && c.challenge != text);
        list.push(StoredChallenge {
            challenge: text,
            received: now,
        });
        let extra = list.len().saturating_sub(MAX_CHALLENGES);
        list.drain(..extra);
        self.put_challenges(&list)
    }

    /// The push subscription this device registered, if any.
    pub fn push_subscription(&self) -> Result<Option<PushSubscriptionState>> {
        match self.sealed_meta(PUSH_SUBSCRIPTION, PUSH_SUBSCRIPTION_AAD)? {
            None => Ok(None),
            Some(plain) => serde_json::from_slice(&plain)
                .map(Some)
                .map_err(|_| Error::Corrupt { store: "inbox" }),
        }
    }

    /// Records the registered subscription (`None`: there is none any more).
    pub fn set_push_subscription(&self, state: Option<&PushSubscriptionState>) -> Result<()> {
        match state {
            Some(state) => {
                let plain = Zeroizing::new(serde_json::to_vec(state).map_err(|_| Error::Encode)?);
                self.put_sealed_meta(PUSH_SUBSCRIPTION, PUSH_SUBSCRIPTION_AAD, &plain, true)
            }
            None => self.store.write(|tx| {
                tx.execute(
                    "DELETE FROM inbox_meta WHERE name = ?1",
                    [PUSH_SUBSCRIPTION],
                )?;
                Ok(())
            }),
        }
    }

    /// The public half of the push key: what a hub subscription carries.
    pub fn push_public_key(&self) -> Result<SealPublicKey> {
        Ok(self.push_secret()?.public_key())
    }

    /// Handles a push payload handed over by FCM, APNs or UnifiedPush. A hub's confirmation push
    /// is kept for the next sync to echo (`SyncNeeded`: the shell should sync soon).
    pub fn ingest_push(&self, bytes: &[u8], lang: &str, now: DateTime<Utc>) -> Result<PushOutcome> {
        match decode(bytes)? {
            PushPayload::Wake => Ok(PushOutcome::SyncNeeded),
            PushPayload::SealedAlert(sealed) => {
                let envelope = match open_push(&self.push_secret()?, sealed)? {
                    Opened::Alert(envelope) => envelope,
                    Opened::Challenge(challenge) => {
                        self.record_challenge(challenge.as_slice(), now)?;
                        return Ok(PushOutcome::SyncNeeded);
                    }
                };
                let outcome = self.ingest(&envelope, now)?;
                // Nothing to show for a rejection, a duplicate, or an alert already replaced.
                let notification = match &outcome {
                    // By (network, id): another network may use the same id (issue 12 item 2).
                    IngestOutcome::Accepted { id, network, .. }
                        if self.alert_in(Some(network), id, lang, now)?.status
                            == crate::inbox::AlertStatus::Active =>
                    {
                        Some(self.notification_in(Some(network), id, lang, now)?)
                    }
                    _ => None,
                };
                Ok(PushOutcome::Alert {
                    outcome,
                    notification,
                })
            }
        }
    }

    /// The notification for a stored alert: generic, or with the headline if the user opted in.
    /// An id two networks use is `inbox.ambiguous_alert`: see [`Inbox::notification_in`].
    pub fn notification(&self, id: &str, lang: &str, now: DateTime<Utc>) -> Result<Notification> {
        self.notification_in(None, id, lang, now)
    }

    /// [`Inbox::notification`] for the alert `id` of `network` (any network when `None`).
    pub fn notification_in(
        &self,
        network: Option<&str>,
        id: &str,
        lang: &str,
        now: DateTime<Utc>,
    ) -> Result<Notification> {
        let view = self.alert_in(network, id, lang, now)?;
        if self.headline_in_notifications()? {
            Ok(Notification {
                title: view.network_name,
                body: view.headline,
            })
        } else {
            Ok(generic(lang, &view.network_name, view.all_clear))
        }
    }
}
