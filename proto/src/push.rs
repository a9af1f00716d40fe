//! Push payloads: the bytes a hub hands to FCM, APNs or a Web Push service, and their decoding.
//!
//! A push is either a content-free wake-up (`SBP1 0x00`: "sync now") or one sealed message to a
//! device's X25519 push key (`SBP1 0x02` + HPKE output, info `silbato/push/v2`). The sealed
//! plaintext is padded to a size bucket ([`padded_len`]) before sealing, so a push provider cannot
//! match a payload to the public alert by its length, nor tell an alert from a subscription
//! challenge: `kind (1 byte) | length (u32 big-endian) | body | zeros`. `kind` 1 is an alert
//! envelope, 2 a 32-byte subscription challenge (the hub's confirmation push, see
//! `docs/protocol.md`). `SBP1 0x01` (an unpadded alert sealed with info `silbato/push/v1`) is
//! still opened, for pushes from hubs built before padding. Push providers see neither content.
//! What a device shows for a push is the core's; this module must never hand out an envelope that
//! did not open under the device's key.

use zeroize::Zeroizing;

use crate::alert::MAX_ALERT_ENVELOPE;
use crate::error::{Error, Result};
use crate::seal::{self, SealPublicKey, SealSecretKey};

pub use crate::error::PushPayloadError;

pub const PUSH_MAGIC: &[u8; 4] = b"SBP1";
const WAKE: u8 = 0;
/// An unpadded alert (hubs before padding); opened, never produced.
const SEALED_V1: u8 = 1;
/// A padded alert or challenge.
const SEALED_V2: u8 = 2;
const PUSH_INFO_V1: &[u8] = b"silbato/push/v1";
const PUSH_INFO_V2: &[u8] = b"silbato/push/v2";
/// Padded plaintext kinds.
const KIND_ALERT: u8 = 1;
const KIND_CHALLENGE: u8 = 2;
/// `kind` + `length`.
const PAD_HEADER: usize = 5;
/// Bytes a challenge carries.
pub const CHALLENGE_LEN: usize = 32;
/// The padded plaintext sizes a push can have below 4 KiB; each sealed bucket fits the provider it
/// is meant for (2,944 bytes seal to 2,997, under APNs' and FCM's limits; 3,584 to 3,637, under Web
/// Push's 4,000 the hub uses). Above the table, sizes are multiples of 4 KiB (such pushes are too
/// large for any provider and go as wake-ups, but the codec stays total).
pub const PAD_BUCKETS: [usize; 7] = [256, 512, 1024, 1536, 2048, 2944, 3584];
const LARGE_BUCKET: usize = 4096;
/// The largest padded plaintext: a maximal alert envelope with its header, rounded up.
pub const MAX_PADDED: usize =
    (MAX_ALERT_ENVELOPE + PAD_HEADER).div_ceil(LARGE_BUCKET) * LARGE_BUCKET;
/// Magic, format byte, HPKE version byte, encapsulated key and tag around the padded plaintext.
pub const SEAL_OVERHEAD: usize = 4 + 1 + 1 + 32 + 16;
/// The largest push payload a device accepts.
pub const MAX_PUSH_BYTES: usize = MAX_PADDED + SEAL_OVERHEAD;

/// The wake-up payload: tells the device to sync, says nothing else.
pub fn wake_payload() -> Vec<u8> {
    let mut p = PUSH_MAGIC.to_vec();
    p.push(WAKE);
    p
}

/// The bucket a body of `body_len` bytes is padded to (header included), or `None` if it is over
/// [`MAX_PADDED`].
pub fn padded_len(body_len: usize) -> Option<usize> {
    let need = body_len.checked_add(PAD_HEADER)?;
    if need > MAX_PADDED {
        return None;
    }
    Some(
        PAD_BUCKETS
            .iter()
            .copied()
            .find(|b| *b >= need)
            .unwrap_or_else(|| need.div_ceil(LARGE_BUCKET) * LARGE_BUCKET),
    )
}

/// The padding codec: `kind | u32 length | body | zeros`, to [`padded_len`] bytes.
pub fn pad(kind: u8, body: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let total = padded_len(body.len()).ok_or(Error::TooLarge {
        what: crate::DocKind::Envelope,
        limit: MAX_ALERT_ENVELOPE,
    })?;
    let len = u32::try_from(body.len()).map_err(|_| PushPayloadError::Padding)?;
    let mut out = Zeroizing::new(Vec::with_capacity(total));
    out.push(kind);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    out.resize(total, 0);
    Ok(out)
}

/// Undoes [`pad`]: the kind and the body. The length must fit, the size must be a bucket and
/// every padding byte must be zero, so one plaintext has one encoding.
pub fn unpad(padded: &[u8]) -> Result<(u8, &[u8])> {
    let bad = || Error::from(PushPayloadError::Padding);
    let (&kind, rest) = padded.split_first().ok_or_else(bad)?;
    let (len, rest) = rest.split_first_chunk::<4>().ok_or_else(bad)?;
    let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| bad())?;
    if padded_len(len) != Some(padded.len()) {
        return Err(bad());
    }
    let (body, zeros) = rest.split_at_checked(len).ok_or_else(bad)?;
    if zeros.iter().any(|b| *b != 0) {
        return Err(bad());
    }
    Ok((kind, body))
}

fn seal_padded(kind: u8, body: &[u8], device: &SealPublicKey) -> Result<Vec<u8>> {
    let padded = pad(kind, body)?;
    let sealed =
        seal::seal(device, PUSH_INFO_V2, PUSH_MAGIC, &padded).map_err(|_| Error::Crypto)?;
    let mut p = PUSH_MAGIC.to_vec();
    p.push(SEALED_V2);
    p.extend_from_slice(&sealed);
    Ok(p)
}

/// Seals one alert envelope to a device's push key, padded to its size bucket.
pub fn seal_for_device(envelope: &[u8], device: &SealPublicKey) -> Result<Vec<u8>> {
    if envelope.len() > MAX_ALERT_ENVELOPE {
        return Err(Error::TooLarge {
            what: crate::DocKind::Envelope,
            limit: MAX_ALERT_ENVELOPE,
        });
    }
    seal_padded(KIND_ALERT, envelope, device)
}

/// Seals a subscription challenge (the hub's confirmation push) to a device's push key. It pads to
/// the same bucket as a short alert, so a push provider cannot tell the two apart.
pub fn seal_challenge(challenge: &[u8; CHALLENGE_LEN], device: &SealPublicKey) -> Result<Vec<u8>> {
    seal_padded(KIND_CHALLENGE, challenge, device)
}

/// A push payload, decoded.
#[derive(Debug)]
pub enum PushPayload<'a> {
    /// "Sync now": nothing else.
    Wake,
    /// A message sealed to a device's push key (its format byte first); open it with
    /// [`open_push`], or [`open_sealed`] when only an alert will do.
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
        Some((&(SEALED_V1 | SEALED_V2), [_, ..])) => Ok(PushPayload::SealedAlert(body)),
        _ => Err(PushPayloadError::NotAPushPayload.into()),
    }
}

/// What a sealed push held.
#[derive(Debug)]
pub enum Opened {
    /// An alert envelope, still to be verified and ingested.
    Alert(Zeroizing<Vec<u8>>),
    /// A hub's subscription challenge, to be echoed to the hub (`POST /v1/push/confirm`).
    Challenge(Zeroizing<[u8; CHALLENGE_LEN]>),
}

/// Opens a sealed push (the part [`decode`] returned) with the device's push key.
pub fn open_push(device: &SealSecretKey, sealed: &[u8]) -> Result<Opened> {
    match sealed.split_first() {
        Some((&SEALED_V1, rest)) => Ok(Opened::Alert(
            seal::open(device, PUSH_INFO_V1, PUSH_MAGIC, rest).map_err(|_| Error::Decrypt)?,
        )),
        Some((&SEALED_V2, rest)) => {
            let padded =
                seal::open(device, PUSH_INFO_V2, PUSH_MAGIC, rest).map_err(|_| Error::Decrypt)?;
            match unpad(&padded)? {
                (KIND_ALERT, body) => Ok(Opened::Alert(Zeroizing::new(body.to_vec()))),
                (KIND_CHALLENGE, body) => {
                    let c: [u8; CHALLENGE_LEN] = body
                        .try_into()
                        .map_err(|_| Error::from(PushPayloadError::Padding))?;
                    Ok(Opened::Challenge(Zeroizing::new(c)))
                }
                _ => Err(PushPayloadError::Padding.into()),
            }
        }
        _ => Err(PushPayloadError::NotAPushPayload.into()),
    }
}

/// Opens a sealed alert with the device's push key, returning the alert envelope.
pub fn open_sealed(device: &SealSecretKey, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    match open_push(device, sealed)? {
        Opened::Alert(envelope) => Ok(envelope),
        Opened::Challenge(_) => Err(PushPayloadError::NotAnAlert.into()),
    }
}

// ---- signed subscription requests ----

/// How far a push request's date may be from the hub's clock.
pub const PUSH_REQUEST_SKEW: chrono::Duration = chrono::Duration::minutes(5);
const PUSH_REQUEST_DOMAIN: &str = "silbato-push-request-v1";

/// What a device signs with its subscription key for `POST`/`DELETE /v1/push/subscriptions` and
/// `POST /v1/push/confirm`: the method, the path, the date and the body's hash (the body names
/// the endpoint). Domain-separated from dispatcher requests, so neither passes for the other.
pub fn push_request_message(method: &str, path: &str, date: &str, body: &[u8]) -> Vec<u8> {
    format!(
        "{PUSH_REQUEST_DOMAIN}\n{}\n{path}\n{date}\n{}",
        method.to_ascii_uppercase(),
        crate::crypto::sha256_hex(body)
    )
    .into_bytes()
}

/// The three headers (`x-silbato-key`, `x-silbato-date`, `x-silbato-signature`) that sign a push
/// subscription request with the device's subscription key.
pub fn sign_push_request(
    key: &crate::crypto::SigningKey,
    method: &str,
    path: &str,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> [(&'static str, String); 3] {
    use crate::protocol::{HEADER_DATE, HEADER_KEY, HEADER_SIGNATURE};
    let date = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let sig = key.sign(&push_request_message(method, path, &date, body));
    [
        (HEADER_KEY, key.public_key().to_string()),
        (HEADER_DATE, date),
        (HEADER_SIGNATURE, crate::protocol::b64(&sig)),
    ]
}

/// A push request whose signature verified: the subscription key and the signed date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedPushRequest {
    pub key: crate::crypto::PublicKey,
    pub date: chrono::DateTime<chrono::Utc>,
}

/// Checks the signature headers of a push request (`None` for a missing header): a key, a date
/// within [`PUSH_REQUEST_SKEW`] of `now`, and a signature over exactly this request.
pub fn verify_push_request(
    key: Option<&str>,
    date: Option<&str>,
    signature: Option<&str>,
    method: &str,
    path: &str,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SignedPushRequest> {
    let (Some(key), Some(date_text), Some(signature)) = (key, date, signature) else {
        return Err(PushPayloadError::Unsigned.into());
    };
    let key = crate::crypto::PublicKey::parse(key)
        .map_err(|_| Error::from(PushPayloadError::Signature))?;
    let date = chrono::DateTime::parse_from_rfc3339(date_text)
        .map_err(|_| Error::from(PushPayloadError::RequestSkew))?
        .with_timezone(&chrono::Utc);
    if (date - now).abs() > PUSH_REQUEST_SKEW {
        return Err(PushPayloadError::RequestSkew.into());
    }
    let sig = crate::protocol::unb64(signature).ok_or(PushPayloadError::Signature)?;
    if !key.verify(&push_request_message(method, path, date_text, body), &sig) {
        return Err(PushPayloadError::Signature.into());
    }
    Ok(SignedPushRequest { key, date })
}

/// `POST /v1/push/confirm` body: the endpoint and the challenge its confirmation push carried.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushConfirm {
    pub endpoint: String,
    /// The 32-byte challenge, base64.
    pub challenge: String,
}

/// `DELETE /v1/push/subscriptions` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushUnsubscribe {
    pub endpoint: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn h12_23_push_payloads_of_different_lengths_have_the_same_size() {
        let device = SealSecretKey::generate().unwrap();
        let short = vec![b'a'; 700];
        let long = vec![b'b'; 700 + 290];
        let a = seal_for_device(&short, &device.public_key()).unwrap();
        let b = seal_for_device(&long, &device.public_key()).unwrap();
        assert_eq!(a.len(), b.len(), "one bucket, one size");
        assert_eq!(a.len(), 1024 + SEAL_OVERHEAD);
        // A challenge looks like a short alert.
        let c = seal_challenge(&[7; CHALLENGE_LEN], &device.public_key()).unwrap();
        let tiny = seal_for_device(b"x", &device.public_key()).unwrap();
        assert_eq!(c.len(), tiny.len());
        // Both open to what was sealed.
        let PushPayload::SealedAlert(s) = decode(&b).unwrap() else {
            panic!()
        };
        assert_eq!(open_sealed(&device, s).unwrap().as_slice(), long.as_slice());
        let PushPayload::SealedAlert(s) = decode(&c).unwrap() else {
            panic!()
        };
        assert!(matches!(open_push(&device, s).unwrap(), Opened::Challenge(c) if *c == [7; 32]));
        assert!(matches!(
            open_sealed(&device, s),
            Err(Error::Push(PushPayloadError::NotAnAlert))
        ));
        // Every bucket under 4 KiB fits the provider limits the hub uses.
        const { assert!(2944 + SEAL_OVERHEAD <= 3003 && 3584 + SEAL_OVERHEAD <= 4000) };
        // The largest alert still seals and decodes.
        let max = vec![1u8; MAX_ALERT_ENVELOPE];
        let p = seal_for_device(&max, &device.public_key()).unwrap();
        assert!(p.len() <= MAX_PUSH_BYTES);
        let PushPayload::SealedAlert(s) = decode(&p).unwrap() else {
            panic!()
        };
        assert_eq!(open_sealed(&device, s).unwrap().len(), MAX_ALERT_ENVELOPE);
    }

    #[test]
    fn h12_23_legacy_unpadded_pushes_still_open() {
        let device = SealSecretKey::generate().unwrap();
        let sealed = seal::seal(&device.public_key(), PUSH_INFO_V1, PUSH_MAGIC, b"env").unwrap();
        let mut p = PUSH_MAGIC.to_vec();
        p.push(SEALED_V1);
        p.extend_from_slice(&sealed);
        let PushPayload::SealedAlert(s) = decode(&p).unwrap() else {
            panic!()
        };
        assert_eq!(open_sealed(&device, s).unwrap().as_slice(), b"env");
    }

    #[test]
    fn h12_23_bad_padding_is_refused() {
        let good = pad(KIND_ALERT, b"hello").unwrap();
        assert_eq!(unpad(&good).unwrap(), (KIND_ALERT, b"hello".as_slice()));
        let mut nonzero = good.to_vec();
        *nonzero.last_mut().unwrap() = 1;
        let mut long_len = good.to_vec();
        long_len[1..5].copy_from_slice(&1000u32.to_be_bytes());
        let mut not_bucket = good.to_vec();
        not_bucket.push(0);
        for bad in [nonzero, long_len, not_bucket, vec![], vec![1, 0, 0]] {
            assert!(matches!(
                unpad(&bad),
                Err(Error::Push(PushPayloadError::Padding))
            ));
        }
        assert!(padded_len(MAX_PADDED).is_none());
    }

    #[test]
    fn h12_18_push_requests_are_signed_by_the_subscription_key() {
        let key = crate::crypto::SigningKey::generate().unwrap();
        let now = chrono::Utc::now();
        let body = br#"{"endpoint":"e"}"#;
        let [k, d, sig] = sign_push_request(&key, "DELETE", "/v1/push/subscriptions", body, now);
        let ok = verify_push_request(
            Some(&k.1),
            Some(&d.1),
            Some(&sig.1),
            "DELETE",
            "/v1/push/subscriptions",
            body,
            now,
        )
        .unwrap();
        assert_eq!(ok.key, key.public_key());
        let check = |method: &str, body: &[u8], when| {
            verify_push_request(
                Some(&k.1),
                Some(&d.1),
                Some(&sig.1),
                method,
                "/v1/push/subscriptions",
                body,
                when,
            )
        };
        assert!(matches!(
            check("POST", body, now),
            Err(Error::Push(PushPayloadError::Signature))
        ));
        assert!(matches!(
            check("DELETE", b"{}", now),
            Err(Error::Push(PushPayloadError::Signature))
        ));
        assert!(matches!(
            check("DELETE", body, now + chrono::Duration::minutes(6)),
            Err(Error::Push(PushPayloadError::RequestSkew))
        ));
        assert!(matches!(
            verify_push_request(None, Some(&d.1), Some(&sig.1), "DELETE", "/", body, now),
            Err(Error::Push(PushPayloadError::Unsigned))
        ));
    }

    proptest! {
        #[test]
        fn h12_23_padding_round_trips(kind in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..9000)) {
            let padded = pad(kind, &body).unwrap();
            prop_assert_eq!(Some(padded.len()), padded_len(body.len()));
            prop_assert!(padded.len() >= body.len() + PAD_HEADER);
            let (k, b) = unpad(&padded).unwrap();
            prop_assert_eq!(k, kind);
            prop_assert_eq!(b, body.as_slice());
        }

        #[test]
        fn h12_23_unpad_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..5000)) {
            let _ = unpad(&bytes);
        }
    }
}
