//! Push payloads, and what a shell may show for them.
//!
//! A push is either a content-free wake-up (`SBP1 0x00`: "sync now") or one alert envelope sealed
//! to this device's X25519 push key (`SBP1 0x01` + HPKE output, info `silbato/push/v1`). Push
//! providers see neither. The notification text is generic by default ("New alert from <network>")
//! so no alert text reaches the operating system's notification store unless the user opted in.
//! This module must never return alert text for a notification without that opt-in.

use chrono::{DateTime, Utc};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::inbox::alert::MAX_ALERT_ENVELOPE;
use crate::inbox::{Inbox, IngestOutcome};
use crate::seal::{self, SealPublicKey, SealSecretKey};

pub const PUSH_MAGIC: &[u8; 4] = b"SBP1";
const WAKE: u8 = 0;
const SEALED_ALERT: u8 = 1;
const PUSH_INFO: &[u8] = b"silbato/push/v1";
/// A sealed alert plus framing; push services carry about 4 KB, so most alerts fit, and larger
/// ones are sent as a wake-up instead.
pub const MAX_PUSH_BYTES: usize = MAX_ALERT_ENVELOPE + 128;

/// The wake-up payload: tells the device to sync, says nothing else.
pub fn wake_payload() -> Vec<u8> {
    let mut p = PUSH_MAGIC.to_vec();
    p.push(WAKE);
    p
}

/// Seals one alert envelope to a device's push key.
pub fn seal_for_device(envelope: &[u8], device: &SealPublicKey) -> Result<Vec<u8>> {
    if envelope.len() > MAX_ALERT_ENVELOPE {
        return Err(Error::TooLarge {
            what: crate::DocKind::Envelope,
            limit: MAX_ALERT_ENVELOPE,
        });
    }
    let sealed = seal::seal(device, PUSH_INFO, PUSH_MAGIC, envelope).map_err(|_| Error::Crypto)?;
    let mut p = PUSH_MAGIC.to_vec();
    p.push(SEALED_ALERT);
    p.extend_from_slice(&sealed);
    Ok(p)
}

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
        let sealed =
            crate::crypto::aead_seal(self.key.bytes(), PUSH_KEY_AAD, secret.to_bytes().as_ref())?;
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
            crate::crypto::aead_open(self.key.bytes(), PUSH_KEY_AAD, &sealed)?.to_vec(),
        );
        SealSecretKey::from_bytes(&bytes).map_err(|_| Error::Corrupt { store: "inbox" })
    }

    /// The public half of the push key: what a hub subscription carries.
    pub fn push_public_key(&self) -> Result<SealPublicKey> {
        Ok(self.push_secret()?.public_key())
    }

    /// Handles a push payload handed over by FCM, APNs or UnifiedPush.
    pub fn ingest_push(&self, bytes: &[u8], lang: &str, now: DateTime<Utc>) -> Result<PushOutcome> {
        if bytes.len() > MAX_PUSH_BYTES {
            return Err(Error::TooLarge {
                what: crate::DocKind::Envelope,
                limit: MAX_PUSH_BYTES,
            });
        }
        let body = bytes
            .strip_prefix(PUSH_MAGIC.as_slice())
            .ok_or(Error::InvalidInput {
                reason: "not a Silbato push payload",
            })?;
        match body.split_first() {
            Some((&WAKE, [])) => Ok(PushOutcome::SyncNeeded),
            Some((&SEALED_ALERT, sealed)) => {
                let envelope = seal::open(&self.push_secret()?, PUSH_INFO, PUSH_MAGIC, sealed)
                    .map_err(|_| Error::Decrypt)?;
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
            _ => Err(Error::InvalidInput {
                reason: "not a Silbato push payload",
            }),
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
