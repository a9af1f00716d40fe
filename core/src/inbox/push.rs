//! Push on the device: the inbox's push key, ingesting a push, and what a shell may show for it.
//!
//! The payload format is `silbato_proto::push`. The notification text is generic by default ("New
//! alert from <network>") so no alert text reaches the operating system's notification store
//! unless the user opted in. This module must never return alert text for a notification without
//! that opt-in.

use chrono::{DateTime, Utc};
use serde::Serialize;
use zeroize::Zeroizing;

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
    let (title, body) = match (lang, all_clear) {
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

    /// The public half of the push key: what a hub subscription carries.
    pub fn push_public_key(&self) -> Result<SealPublicKey> {
        Ok(self.push_secret()?.public_key())
    }

    /// Handles a push payload handed over by FCM, APNs or UnifiedPush.
    pub fn ingest_push(&self, bytes: &[u8], lang: &str, now: DateTime<Utc>) -> Result<PushOutcome> {
        match decode(bytes)? {
            PushPayload::Wake => Ok(PushOutcome::SyncNeeded),
            PushPayload::SealedAlert(sealed) => {
                let envelope = open_sealed(&self.push_secret()?, sealed)?;
                let outcome = self.ingest(&envelope, now)?;
                // Nothing to show for a rejection, a duplicate, or an alert already replaced.
                let notification = match &outcome {
                    IngestOutcome::Accepted { id, .. }
                        if self.alert(id, lang, now)?.status
                            == crate::inbox::AlertStatus::Active =>
                    {
                        Some(self.notification(id, lang, now)?)
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
    pub fn notification(&self, id: &str, lang: &str, now: DateTime<Utc>) -> Result<Notification> {
        let view = self.alert(id, lang, now)?;
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
