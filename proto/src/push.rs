//! Push payloads: the bytes a hub hands to FCM, APNs or a Web Push service, and their decoding.
//!
//! A push is either a content-free wake-up (`SBP1 0x00`: "sync now") or one alert envelope sealed
//! to a device's X25519 push key (`SBP1 0x01` + HPKE output, info `silbato/push/v1`). Push
//! providers see neither. What a device shows for a push is the core's; this module must never
//! hand out an envelope that did not open under the device's key.

use zeroize::Zeroizing;

use crate::alert::MAX_ALERT_ENVELOPE;
use crate::error::{Error, Result};
use crate::seal::{self, SealPublicKey, SealSecretKey};

pub use crate::error::PushPayloadError;

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

/// A push payload, decoded.
#[derive(Debug)]
pub enum PushPayload<'a> {
    /// "Sync now": nothing else.
    Wake,
    /// An alert envelope sealed to a device's push key; open it with [`open_sealed`].
    SealedAlert(&'a [u8]),
}

/// Reads the framing of a push payload handed over by FCM, APNs or UnifiedPush.
pub fn decode(bytes: &[u8]) -> Result<PushPayload<'_>> {
    if bytes.len() > MAX_PUSH_BYTES {
        return Err(Error::TooLarge {
            what: crate::DocKind::Envelope,
            limit: MAX_PUSH_BYTES,
        });
    }
    let body = bytes
        .strip_prefix(PUSH_MAGIC.as_slice())
        .ok_or(PushPayloadError::NotAPushPayload)?;
    match body.split_first() {
        Some((&WAKE, [])) => Ok(PushPayload::Wake),
        Some((&SEALED_ALERT, sealed)) => Ok(PushPayload::SealedAlert(sealed)),
        _ => Err(PushPayloadError::NotAPushPayload.into()),
    }
}

/// Opens a sealed alert with the device's push key, returning the alert envelope.
pub fn open_sealed(device: &SealSecretKey, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    seal::open(device, PUSH_INFO, PUSH_MAGIC, sealed).map_err(|_| Error::Decrypt)
}
