//! Sealing to a public key: HPKE (RFC 9180) base mode with DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256 and ChaCha20-Poly1305, through the `hpke` crate.
//!
//! This module owns the X25519 key types ([`SealPublicKey`], [`SealSecretKey`]), their text and
//! key-file forms, and the two sealed formats below. Vault exports are sealed to a lawyer's key,
//! alerts to a device's push key, and sighting reports to one or more dispatcher keys.
//!
//! It must never log, format, or put into an error a secret key, a content key, or plaintext; the
//! only way a secret key leaves it is [`SealSecretKey::to_key_file`] / [`SealSecretKey::to_bytes`],
//! in `zeroize` containers. Errors carry fixed messages. Sealing is anonymous (HPKE base mode): a
//! sealed message proves nothing about who sealed it, so anything that needs a sender must be
//! signed as well.
//!
//! `info` is the HPKE info string and separates purposes (`b"silbato/vault-export/v1"`,
//! `b"silbato/report/v1"`, ...); `aad` is authenticated but not encrypted and must be given again
//! to open. A message sealed for one `info` or `aad` does not open under another.
//!
//! # Formats
//!
//! [`seal`] (one recipient):
//!
//! ```text
//! 0x01 || enc (32) || HPKE ciphertext (plaintext length + 16)
//! ```
//!
//! `enc` is the encapsulated key; the ciphertext is the HPKE single-shot `Seal(aad, plaintext)`
//! under `info`, i.e. the context's first message (sequence number 0), exactly as in RFC 9180.
//!
//! [`seal_to_many`] (1 to 32 recipients):
//!
//! ```text
//! 0x02 || count (u8, 1..=32)
//!      || count × [ recipient public key (32) || enc (32) || sealed content key (48) ]
//!      || body: ChaCha20-Poly1305(content key, nonce = 12 zero bytes, aad = header || aad, plaintext)
//! ```
//!
//! `header` is every byte before the body (version, count, all entries), so the body also
//! authenticates the recipient list. The content key is 32 fresh random bytes per message; each
//! entry is an HPKE single-shot seal of it to that recipient with HPKE info
//! `info || "\0silbato-seal-many-content-key-v2"` and HPKE aad `aad`. The suffix keeps a wrapped
//! content key from ever opening as a one-recipient message of the same purpose (which would hand
//! out the content key as "plaintext"). Recipients appear at most once.
//!
//! The all-zero nonce is safe only because the content key is random and used for exactly one
//! encryption; never reuse a content key. Plaintexts are limited to 64 MiB.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
// The body cipher is the same RustCrypto ChaCha20-Poly1305 that `hpke` runs inside.
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305 as BodyCipher, Nonce, Tag};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, HpkeError, Kem as _, OpModeR, OpModeS, Serializable};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

pub use crate::error::SealError;

type Kem = X25519HkdfSha256;
type HpkeSecretKey = <Kem as hpke::Kem>::PrivateKey;
type HpkePublicKey = <Kem as hpke::Kem>::PublicKey;
type EncappedKey = <Kem as hpke::Kem>::EncappedKey;

/// The largest plaintext [`seal`] and [`seal_to_many`] accept, and [`open`] and
/// [`open_from_many`] will decrypt: 64 MiB.
pub const MAX_PLAINTEXT: usize = 64 * 1024 * 1024;
/// The most recipients one [`seal_to_many`] message can have.
pub const MAX_RECIPIENTS: usize = 32;

const PUBLIC_KEY_PREFIX: &str = "x25519:";
const KEY_FILE_TYPE: &str = "silbato-x25519-secret-key";
const KEY_FILE_VERSION: u32 = 1;

const SINGLE_VERSION: u8 = 1;
const MANY_VERSION: u8 = 2;
const KEY_LEN: usize = 32;
const ENC_LEN: usize = 32;
const TAG_LEN: usize = 16;
const WRAPPED_KEY_LEN: usize = KEY_LEN + TAG_LEN;
const ENTRY_LEN: usize = KEY_LEN + ENC_LEN + WRAPPED_KEY_LEN;
const MANY_HEADER_FIXED: usize = 2;
const CONTENT_KEY_INFO_SUFFIX: &[u8] = b"\0silbato-seal-many-content-key-v2";

type Result<T> = std::result::Result<T, SealError>;

/// An X25519 public key. Its text form is `x25519:` followed by unpadded URL-safe base64.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SealPublicKey([u8; 32]);

impl SealPublicKey {
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses the text form; surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self> {
        let b64 = text
            .trim()
            .strip_prefix(PUBLIC_KEY_PREFIX)
            .ok_or(SealError::BadKey)?;
        let bytes = B64.decode(b64).map_err(|_| SealError::BadKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(Self(bytes))
    }

    fn to_hpke(self) -> Result<HpkePublicKey> {
        HpkePublicKey::from_bytes(&self.0).map_err(|_| SealError::BadKey)
    }
}

impl fmt::Display for SealPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_KEY_PREFIX}{}", B64.encode(self.0))
    }
}

impl fmt::Debug for SealPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealPublicKey({self})")
    }
}

impl FromStr for SealPublicKey {
    type Err = SealError;

    fn from_str(text: &str) -> Result<Self> {
        Self::parse(text)
    }
}

impl Serialize for SealPublicKey {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SealPublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(|_| serde::de::Error::custom("malformed x25519 public key"))
    }
}

/// An X25519 private key. The underlying scalar is zeroized on drop; `Debug` shows only the
/// public key.
pub struct SealSecretKey {
    secret: HpkeSecretKey,
    public: SealPublicKey,
}

impl fmt::Debug for SealSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealSecretKey({})", self.public)
    }
}

/// Borrowed so the only copy of the encoded secret is the one zeroized by the caller.
#[derive(Serialize)]
struct KeyFileOut<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    version: u32,
    public_key: SealPublicKey,
    secret: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileIn {
    #[serde(rename = "type")]
    kind: String,
    version: u32,
    public_key: String,
    secret: String,
}

impl Drop for KeyFileIn {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl SealSecretKey {
    /// A fresh key pair from the system random number generator.
    pub fn generate() -> Result<Self> {
        let ikm = random_32()?;
        Ok(Self::from_ikm(ikm.as_slice()))
    }

    /// RFC 9180 `DeriveKeyPair`; `generate` feeds it 32 random bytes, as the RFC suggests.
    fn from_ikm(ikm: &[u8]) -> Self {
        let (secret, _) = Kem::derive_keypair(ikm);
        Self::from_secret(secret)
    }

    fn from_secret(secret: HpkeSecretKey) -> Self {
        let mut public = [0u8; 32];
        Kem::sk_to_pk(&secret).write_exact(&mut public);
        Self {
            secret,
            public: SealPublicKey(public),
        }
    }

    pub fn public_key(&self) -> SealPublicKey {
        self.public
    }

    /// The 32-byte scalar as stored (RFC 7748 clamped, so it may differ from bytes given to
    /// [`SealSecretKey::from_bytes`] while naming the same key).
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        self.secret.write_exact(out.as_mut_slice());
        out
    }

    /// Reads a 32-byte X25519 scalar (clamped on the way in).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != KEY_LEN {
            return Err(SealError::BadKey);
        }
        let secret = HpkeSecretKey::from_bytes(bytes).map_err(|_| SealError::BadKey)?;
        Ok(Self::from_secret(secret))
    }

    /// The key file's text (JSON). Write it with owner-only permissions.
    pub fn to_key_file(&self) -> Result<Zeroizing<String>> {
        let secret = Zeroizing::new(B64.encode(self.to_bytes().as_slice()));
        let file = KeyFileOut {
            kind: KEY_FILE_TYPE,
            version: KEY_FILE_VERSION,
            public_key: self.public,
            secret: secret.as_str(),
        };
        // Sized up front so the writer never reallocates and leaves a copy of the secret behind.
        let mut buf = Zeroizing::new(Vec::with_capacity(512));
        serde_json::to_writer_pretty(&mut *buf, &file).map_err(|_| SealError::Crypto)?;
        let text = String::from_utf8(std::mem::take(&mut *buf)).map_err(|e| {
            drop(Zeroizing::new(e.into_bytes()));
            SealError::Crypto
        })?;
        Ok(Zeroizing::new(text))
    }

    /// Reads a key file written by [`SealSecretKey::to_key_file`]; refuses one whose public key
    /// does not match its secret.
    pub fn from_key_file(bytes: &[u8]) -> Result<Self> {
        let file: KeyFileIn = serde_json::from_slice(bytes).map_err(|_| SealError::BadKey)?;
        if file.kind != KEY_FILE_TYPE {
            return Err(SealError::BadKey);
        }
        if file.version != KEY_FILE_VERSION {
            return Err(SealError::UnsupportedVersion(
                u8::try_from(file.version).unwrap_or(u8::MAX),
            ));
        }
        let public = SealPublicKey::parse(&file.public_key)?;
        let secret = Zeroizing::new(
            B64.decode(file.secret.as_bytes())
                .map_err(|_| SealError::BadKey)?,
        );
        let key = Self::from_bytes(&secret)?;
        if key.public != public {
            return Err(SealError::BadKey);
        }
        Ok(key)
    }
}

/// Seals `plaintext` to `recipient` (format 1, see the module docs).
pub fn seal(
    recipient: &SealPublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let ikm = random_32()?;
    seal_with_ikm(recipient, info, aad, plaintext, ikm.as_slice())
}

/// `seal` with the ephemeral key's input keying material given, so the RFC 9180 known-answer
/// test runs through the same code as production.
fn seal_with_ikm(
    recipient: &SealPublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    ikm_e: &[u8],
) -> Result<Vec<u8>> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(SealError::TooLarge);
    }
    let pk = recipient.to_hpke()?;
    let mut out = Vec::with_capacity(1 + ENC_LEN + plaintext.len() + TAG_LEN);
    out.push(SINGLE_VERSION);
    if let Err(e) = hpke_seal_into(&mut out, &pk, info, aad, plaintext, ikm_e) {
        out.zeroize();
        return Err(e);
    }
    Ok(out)
}

/// Opens a format-1 message sealed to `secret`'s public key.
pub fn open(
    secret: &SealSecretKey,
    info: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let (&version, rest) = sealed.split_first().ok_or(SealError::Malformed)?;
    if version != SINGLE_VERSION {
        return Err(SealError::UnsupportedVersion(version));
    }
    let (enc, ciphertext) = rest
        .split_first_chunk::<ENC_LEN>()
        .ok_or(SealError::Malformed)?;
    let body_len = ciphertext
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(SealError::Malformed)?;
    if body_len > MAX_PLAINTEXT {
        return Err(SealError::TooLarge);
    }
    hpke_open(&secret.secret, enc, info, aad, ciphertext)
}

/// Seals `plaintext` once, readable by each of `recipients` (format 2, see the module docs).
/// A key listed twice is sealed to once.
pub fn seal_to_many(
    recipients: &[SealPublicKey],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(SealError::TooLarge);
    }
    let mut unique: Vec<SealPublicKey> = Vec::with_capacity(recipients.len().min(MAX_RECIPIENTS));
    for recipient in recipients {
        if !unique.contains(recipient) {
            if unique.len() == MAX_RECIPIENTS {
                return Err(SealError::TooLarge);
            }
            unique.push(*recipient);
        }
    }
    if unique.is_empty() {
        return Err(SealError::Malformed);
    }
    let count = u8::try_from(unique.len()).map_err(|_| SealError::TooLarge)?;
    let keys = unique
        .iter()
        .map(|r| r.to_hpke())
        .collect::<Result<Vec<_>>>()?;

    let header_len = MANY_HEADER_FIXED + unique.len() * ENTRY_LEN;
    let mut out = Vec::with_capacity(header_len + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&[MANY_VERSION, count]);
    if let Err(e) = seal_many_into(&mut out, &unique, &keys, info, aad, plaintext) {
        out.zeroize();
        return Err(e);
    }
    Ok(out)
}

fn seal_many_into(
    out: &mut Vec<u8>,
    recipients: &[SealPublicKey],
    keys: &[HpkePublicKey],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<()> {
    let content_key = random_32()?;
    let wrap_info = [info, CONTENT_KEY_INFO_SUFFIX].concat();
    for (recipient, key) in recipients.iter().zip(keys) {
        out.extend_from_slice(recipient.as_bytes());
        let ikm = random_32()?;
        hpke_seal_into(
            out,
            key,
            &wrap_info,
            aad,
            content_key.as_slice(),
            ikm.as_slice(),
        )?;
    }
    let header_len = out.len();
    let body_aad = [out.as_slice(), aad].concat();
    let key = body_key(&content_key);
    out.extend_from_slice(plaintext);
    let body = out.get_mut(header_len..).ok_or(SealError::Crypto)?;
    let tag = key
        .encrypt_inout_detached(&zero_nonce(), &body_aad, body.into())
        .map_err(|_| SealError::Crypto)?;
    out.extend_from_slice(&tag);
    Ok(())
}

/// Opens a format-2 message with `secret`, if its public key is among the recipients.
pub fn open_from_many(
    secret: &SealSecretKey,
    info: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let (&version, rest) = sealed.split_first().ok_or(SealError::Malformed)?;
    if version != MANY_VERSION {
        return Err(SealError::UnsupportedVersion(version));
    }
    let (&count, rest) = rest.split_first().ok_or(SealError::Malformed)?;
    let count = usize::from(count);
    if count == 0 || count > MAX_RECIPIENTS {
        return Err(SealError::Malformed);
    }
    let (entries, body) = rest
        .split_at_checked(count * ENTRY_LEN)
        .ok_or(SealError::Malformed)?;
    let body_len = body
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(SealError::Malformed)?;
    if body_len > MAX_PLAINTEXT {
        return Err(SealError::TooLarge);
    }
    let header = sealed
        .get(..MANY_HEADER_FIXED + entries.len())
        .ok_or(SealError::Malformed)?;

    let mut tags = Vec::with_capacity(count);
    let mut mine = None;
    for entry in entries.chunks_exact(ENTRY_LEN) {
        let (tag, wrapped) = entry
            .split_first_chunk::<KEY_LEN>()
            .ok_or(SealError::Malformed)?;
        if tag == secret.public.as_bytes() {
            mine = Some(wrapped);
        }
        tags.push(tag);
    }
    // A sealer never lists a key twice; refusing such headers keeps one canonical form.
    tags.sort_unstable();
    if tags.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
        return Err(SealError::Malformed);
    }
    let wrapped = mine.ok_or(SealError::NotARecipient)?;
    let (enc, wrapped_key) = wrapped
        .split_first_chunk::<ENC_LEN>()
        .ok_or(SealError::Malformed)?;

    let wrap_info = [info, CONTENT_KEY_INFO_SUFFIX].concat();
    let content_key = hpke_open(&secret.secret, enc, &wrap_info, aad, wrapped_key)?;
    if content_key.len() != KEY_LEN {
        return Err(SealError::DecryptFailed);
    }
    let mut key_bytes = Zeroizing::new([0u8; KEY_LEN]);
    key_bytes.copy_from_slice(&content_key);
    let key = body_key(&key_bytes);
    let body_aad = [header, aad].concat();
    let (ciphertext, tag) = body
        .split_last_chunk::<TAG_LEN>()
        .ok_or(SealError::Malformed)?;
    // Zeroizing from the start, so a failed open leaves nothing behind either.
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    key.decrypt_inout_detached(
        &zero_nonce(),
        &body_aad,
        buf.as_mut_slice().into(),
        &Tag::from(*tag),
    )
    .map_err(|_| SealError::DecryptFailed)?;
    Ok(buf)
}

/// Appends `enc || ciphertext || tag` to `out`, encrypting in place so the plaintext is copied
/// only into `out`'s already reserved capacity. On error `out` may hold plaintext: the caller
/// zeroizes it.
fn hpke_seal_into(
    out: &mut Vec<u8>,
    recipient: &HpkePublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    ikm_e: &[u8],
) -> Result<()> {
    let mut rng = IkmRng::new(ikm_e);
    let (enc, mut ctx) = hpke::setup_sender_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        recipient,
        info,
        &mut rng,
    )
    .map_err(seal_error)?;
    rng.finish()?;

    let enc_at = out.len();
    out.extend_from_slice(&[0u8; ENC_LEN]);
    enc.write_exact(
        out.get_mut(enc_at..enc_at + ENC_LEN)
            .ok_or(SealError::Crypto)?,
    );
    let body_at = out.len();
    out.extend_from_slice(plaintext);
    let body = out.get_mut(body_at..).ok_or(SealError::Crypto)?;
    let tag = ctx
        .seal_inout_detached(body.into(), aad)
        .map_err(seal_error)?;
    out.extend_from_slice(&tag.to_bytes());
    Ok(())
}

fn hpke_open(
    secret: &HpkeSecretKey,
    enc: &[u8; ENC_LEN],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let enc = EncappedKey::from_bytes(enc).map_err(|_| SealError::Malformed)?;
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        secret,
        &enc,
        info,
        ciphertext,
        aad,
    )
    .map(Zeroizing::new)
    .map_err(|_| SealError::DecryptFailed)
}

fn seal_error(e: HpkeError) -> SealError {
    match e {
        // The recipient key is a low-order point: the shared secret would be all zeros.
        HpkeError::EncapError => SealError::BadKey,
        _ => SealError::Crypto,
    }
}

/// The body cipher; its copy of the content key is zeroized when it is dropped.
fn body_key(content_key: &Zeroizing<[u8; KEY_LEN]>) -> BodyCipher {
    let key: &[u8; KEY_LEN] = content_key;
    BodyCipher::new(key.into())
}

/// Safe only because every body key encrypts exactly one message (see the module docs).
fn zero_nonce() -> Nonce {
    Nonce::from([0u8; 12])
}

fn random_32() -> Result<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    SystemRandom::new()
        .fill(out.as_mut_slice())
        .map_err(|_| SealError::Crypto)?;
    Ok(out)
}

/// Hands the `hpke` crate exactly the ephemeral keying material we drew (from ring's system
/// RNG, which reports failure instead of panicking, or from a test vector). Asking for more or
/// fewer bytes than given is reported by [`IkmRng::finish`] rather than silently padded.
struct IkmRng<'a> {
    rest: &'a [u8],
    overdrawn: bool,
}

impl<'a> IkmRng<'a> {
    fn new(ikm: &'a [u8]) -> Self {
        Self {
            rest: ikm,
            overdrawn: false,
        }
    }

    fn finish(self) -> Result<()> {
        if self.overdrawn || !self.rest.is_empty() {
            return Err(SealError::Crypto);
        }
        Ok(())
    }
}

impl TryRng for IkmRng<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> std::result::Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> std::result::Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> std::result::Result<(), Infallible> {
        match self.rest.split_at_checked(dst.len()) {
            Some((head, tail)) => {
                dst.copy_from_slice(head);
                self.rest = tail;
            }
            None => {
                dst.fill(0);
                self.rest = &[];
                self.overdrawn = true;
            }
        }
        Ok(())
    }
}

impl TryCryptoRng for IkmRng<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        assert_eq!(s.len() % 2, 0);
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // RFC 9180 Appendix A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base
    // mode; encryption with sequence number 0. Only the two checks that need private seams
    // (`seal_with_ikm`, `from_ikm`) live here; opening the vector, its intermediate values and
    // the other known-answer tests are in `tests/kat.rs`.
    const A2_INFO: &str = "4f6465206f6e2061204772656369616e2055726e";
    const A2_IKM_E: &str = "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b";
    const A2_PK_EM: &str = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
    const A2_IKM_R: &str = "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df";
    const A2_PK_RM: &str = "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a";
    const A2_SK_RM: &str = "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb";
    const A2_ENC: &str = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
    const A2_PT: &str = "4265617574792069732074727574682c20747275746820626561757479";
    const A2_AAD_0: &str = "436f756e742d30";
    const A2_CT_0: &str = "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28";

    fn a2_recipient() -> SealPublicKey {
        SealPublicKey::from_bytes(hex(A2_PK_RM).try_into().unwrap())
    }

    fn a2_expected_sealed() -> Vec<u8> {
        let mut v = vec![SINGLE_VERSION];
        v.extend(hex(A2_ENC));
        v.extend(hex(A2_CT_0));
        v
    }

    #[test]
    fn rfc9180_a2_seal_matches_byte_for_byte() {
        assert_eq!(A2_PK_EM, A2_ENC, "the vector's enc is pkEm");
        let sealed = seal_with_ikm(
            &a2_recipient(),
            &hex(A2_INFO),
            &hex(A2_AAD_0),
            &hex(A2_PT),
            &hex(A2_IKM_E),
        )
        .unwrap();
        assert_eq!(sealed, a2_expected_sealed());
    }

    #[test]
    fn rfc9180_a2_derive_key_pair_matches() {
        let secret = SealSecretKey::from_ikm(&hex(A2_IKM_R));
        // The vector prints skRm unclamped; RFC 9180 §7.1.2 has serialisation clamp it.
        let mut clamped = hex(A2_SK_RM);
        clamped[0] &= 248;
        clamped[31] &= 127;
        clamped[31] |= 64;
        assert_eq!(secret.to_bytes().as_slice(), clamped.as_slice());
        assert_eq!(secret.public_key(), a2_recipient());
    }

    #[test]
    fn ikm_rng_refuses_wrong_amounts() {
        let too_short = [7u8; 31];
        let pk = a2_recipient().to_hpke().unwrap();
        let mut out = Vec::new();
        assert_eq!(
            hpke_seal_into(&mut out, &pk, b"i", b"a", b"p", &too_short),
            Err(SealError::Crypto)
        );
        let too_long = [7u8; 33];
        assert_eq!(
            hpke_seal_into(&mut out, &pk, b"i", b"a", b"p", &too_long),
            Err(SealError::Crypto)
        );
    }

    const INFO: &[u8] = b"silbato/test/v1";

    #[test]
    fn round_trip_single() {
        let key = SealSecretKey::generate().unwrap();
        for pt in [&b""[..], b"x", b"a vault export"] {
            let sealed = seal(&key.public_key(), INFO, b"aad", pt).unwrap();
            assert_eq!(sealed.len(), 1 + 32 + pt.len() + 16);
            assert_eq!(sealed.first(), Some(&1));
            let opened = open(&key, INFO, b"aad", &sealed).unwrap();
            assert_eq!(opened.as_slice(), pt);
        }
    }

    #[test]
    fn sealing_is_randomised() {
        let key = SealSecretKey::generate().unwrap();
        let a = seal(&key.public_key(), INFO, b"", b"same").unwrap();
        let b = seal(&key.public_key(), INFO, b"", b"same").unwrap();
        assert_ne!(a, b);
        let many_a = seal_to_many(&[key.public_key()], INFO, b"", b"same").unwrap();
        let many_b = seal_to_many(&[key.public_key()], INFO, b"", b"same").unwrap();
        assert_ne!(many_a, many_b);
    }

    #[test]
    fn wrong_key_info_or_aad_is_refused() {
        let key = SealSecretKey::generate().unwrap();
        let other = SealSecretKey::generate().unwrap();
        let sealed = seal(&key.public_key(), INFO, b"aad", b"secret").unwrap();
        assert_eq!(
            open(&other, INFO, b"aad", &sealed),
            Err(SealError::DecryptFailed)
        );
        assert_eq!(
            open(&key, b"silbato/other/v1", b"aad", &sealed),
            Err(SealError::DecryptFailed)
        );
        assert_eq!(
            open(&key, INFO, b"aae", &sealed),
            Err(SealError::DecryptFailed)
        );

        let many = seal_to_many(&[key.public_key()], INFO, b"aad", b"secret").unwrap();
        assert_eq!(
            open_from_many(&other, INFO, b"aad", &many),
            Err(SealError::NotARecipient)
        );
        assert_eq!(
            open_from_many(&key, b"silbato/other/v1", b"aad", &many),
            Err(SealError::DecryptFailed)
        );
        assert_eq!(
            open_from_many(&key, INFO, b"aae", &many),
            Err(SealError::DecryptFailed)
        );
    }

    #[test]
    fn every_flipped_bit_is_refused_single() {
        let key = SealSecretKey::generate().unwrap();
        let sealed = seal(&key.public_key(), INFO, b"aad", b"!").unwrap();
        for i in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(
                open(&key, INFO, b"aad", &bad).is_err(),
                "bit {i} flipped still opened"
            );
        }
    }

    #[test]
    fn a_flipped_bit_in_every_byte_is_refused_many() {
        let keys: Vec<_> = (0..3).map(|_| SealSecretKey::generate().unwrap()).collect();
        let pks: Vec<_> = keys.iter().map(SealSecretKey::public_key).collect();
        let sealed = seal_to_many(&pks, INFO, b"aad", b"short report").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1 << (i % 8);
            // Each recipient in turn: the header binds every entry into the body for all.
            let key = &keys[i % keys.len()];
            assert!(
                open_from_many(key, INFO, b"aad", &bad).is_err(),
                "byte {i} flipped still opened"
            );
        }
    }

    #[test]
    fn three_recipients_each_open_and_a_stranger_cannot() {
        let keys: Vec<_> = (0..3).map(|_| SealSecretKey::generate().unwrap()).collect();
        let pks: Vec<_> = keys.iter().map(SealSecretKey::public_key).collect();
        let pt = b"plates ABC-123 and XYZ-987 at 5th and Main";
        let sealed = seal_to_many(&pks, INFO, b"report-42", pt).unwrap();
        assert_eq!(sealed.len(), 2 + 3 * ENTRY_LEN + pt.len() + TAG_LEN);
        assert_eq!(sealed.get(..2), Some(&[2u8, 3][..]));
        for key in &keys {
            let opened = open_from_many(key, INFO, b"report-42", &sealed).unwrap();
            assert_eq!(opened.as_slice(), pt);
        }
        let stranger = SealSecretKey::generate().unwrap();
        assert_eq!(
            open_from_many(&stranger, INFO, b"report-42", &sealed),
            Err(SealError::NotARecipient)
        );
    }

    #[test]
    fn many_recipient_limits() {
        let key = SealSecretKey::generate().unwrap();
        assert_eq!(
            seal_to_many(&[], INFO, b"", b"x"),
            Err(SealError::Malformed)
        );
        let pks: Vec<_> = (0..33)
            .map(|_| SealSecretKey::generate().unwrap().public_key())
            .collect();
        assert_eq!(
            seal_to_many(&pks, INFO, b"", b"x"),
            Err(SealError::TooLarge)
        );
        let sealed = seal_to_many(pks.get(..32).unwrap(), INFO, b"", b"x").unwrap();
        assert_eq!(sealed.get(1), Some(&32));

        // Duplicates are sealed once.
        let twice = seal_to_many(&[key.public_key(), key.public_key()], INFO, b"", b"x").unwrap();
        assert_eq!(twice.get(1), Some(&1));
        assert_eq!(
            open_from_many(&key, INFO, b"", &twice).unwrap().as_slice(),
            b"x"
        );
    }

    #[test]
    fn malformed_many_headers_are_refused() {
        let key = SealSecretKey::generate().unwrap();
        let sealed = seal_to_many(&[key.public_key()], INFO, b"", b"x").unwrap();
        assert_eq!(
            open_from_many(&key, INFO, b"", &[]),
            Err(SealError::Malformed)
        );
        assert_eq!(
            open_from_many(&key, INFO, b"", &[2]),
            Err(SealError::Malformed)
        );
        assert_eq!(
            open_from_many(&key, INFO, b"", &[2, 0]),
            Err(SealError::Malformed)
        );
        let mut zero = sealed.clone();
        zero[1] = 0;
        assert_eq!(
            open_from_many(&key, INFO, b"", &zero),
            Err(SealError::Malformed)
        );
        let mut over = sealed.clone();
        over[1] = 33;
        assert_eq!(
            open_from_many(&key, INFO, b"", &over),
            Err(SealError::Malformed)
        );
        for len in 0..2 + ENTRY_LEN + TAG_LEN {
            assert!(open_from_many(&key, INFO, b"", &sealed[..len]).is_err());
        }
        let mut v3 = sealed.clone();
        v3[0] = 3;
        assert_eq!(
            open_from_many(&key, INFO, b"", &v3),
            Err(SealError::UnsupportedVersion(3))
        );
        assert_eq!(
            open_from_many(
                &key,
                INFO,
                b"",
                &seal(&key.public_key(), INFO, b"", b"x").unwrap()
            ),
            Err(SealError::UnsupportedVersion(1))
        );

        // The same entry twice: refused, not opened.
        let entry = &sealed[2..2 + ENTRY_LEN];
        let mut dup = vec![2u8, 2];
        dup.extend_from_slice(entry);
        dup.extend_from_slice(entry);
        dup.extend_from_slice(&sealed[2 + ENTRY_LEN..]);
        assert_eq!(
            open_from_many(&key, INFO, b"", &dup),
            Err(SealError::Malformed)
        );
    }

    #[test]
    fn malformed_single_is_refused() {
        let key = SealSecretKey::generate().unwrap();
        let sealed = seal(&key.public_key(), INFO, b"", b"").unwrap();
        assert_eq!(sealed.len(), 1 + ENC_LEN + TAG_LEN);
        for len in 0..sealed.len() {
            let r = open(&key, INFO, b"", &sealed[..len]);
            assert_eq!(r, Err(SealError::Malformed), "length {len}");
        }
        let mut v9 = sealed.clone();
        v9[0] = 9;
        assert_eq!(
            open(&key, INFO, b"", &v9),
            Err(SealError::UnsupportedVersion(9))
        );
        let many = seal_to_many(&[key.public_key()], INFO, b"", b"x").unwrap();
        assert_eq!(
            open(&key, INFO, b"", &many),
            Err(SealError::UnsupportedVersion(2))
        );
    }

    #[test]
    fn plaintext_over_64_mib_is_refused() {
        let key = SealSecretKey::generate().unwrap();
        let big = vec![0u8; MAX_PLAINTEXT + 1];
        assert_eq!(
            seal(&key.public_key(), INFO, b"", &big),
            Err(SealError::TooLarge)
        );
        assert_eq!(
            seal_to_many(&[key.public_key()], INFO, b"", &big),
            Err(SealError::TooLarge)
        );
        let mut sealed = vec![1u8];
        sealed.resize(1 + ENC_LEN + MAX_PLAINTEXT + 1 + TAG_LEN, 0);
        assert_eq!(open(&key, INFO, b"", &sealed), Err(SealError::TooLarge));
        let small = seal_to_many(&[key.public_key()], INFO, b"", b"").unwrap();
        let mut many = small.clone();
        many.resize(2 + ENTRY_LEN + MAX_PLAINTEXT + 1 + TAG_LEN, 0);
        assert_eq!(
            open_from_many(&key, INFO, b"", &many),
            Err(SealError::TooLarge)
        );
    }

    #[test]
    fn low_order_recipient_key_is_refused() {
        let zero = SealPublicKey::from_bytes([0u8; 32]);
        assert_eq!(seal(&zero, INFO, b"", b"x"), Err(SealError::BadKey));
        let ok = SealSecretKey::generate().unwrap().public_key();
        assert_eq!(
            seal_to_many(&[ok, zero], INFO, b"", b"x"),
            Err(SealError::BadKey)
        );
    }

    #[test]
    fn public_key_text_form() {
        let pk = SealSecretKey::generate().unwrap().public_key();
        let text = pk.to_string();
        assert!(text.starts_with("x25519:"));
        assert_eq!(text.len(), 7 + 43);
        assert_eq!(text.parse::<SealPublicKey>().unwrap(), pk);
        assert_eq!(SealPublicKey::parse(&format!("  {text}\n")).unwrap(), pk);
        assert_eq!(format!("{pk:?}"), format!("SealPublicKey({text})"));
        assert_eq!(SealPublicKey::from_bytes(*pk.as_bytes()), pk);

        let json = serde_json::to_string(&pk).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<SealPublicKey>(&json).unwrap(), pk);
        assert!(serde_json::from_str::<SealPublicKey>("\"ed25519:AAAA\"").is_err());

        for bad in [
            "",
            "x25519:",
            "x25519:AAAA",
            "ed25519:",
            &text[1..],
            &format!("{text}A"),
        ] {
            assert_eq!(SealPublicKey::parse(bad), Err(SealError::BadKey), "{bad:?}");
        }
        let padded = format!("{text}=");
        assert_eq!(SealPublicKey::parse(&padded), Err(SealError::BadKey));
    }

    #[test]
    fn secret_key_bytes_and_debug() {
        let key = SealSecretKey::generate().unwrap();
        let bytes = key.to_bytes();
        let again = SealSecretKey::from_bytes(bytes.as_slice()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(
            SealSecretKey::from_bytes(&[0u8; 31]).unwrap_err(),
            SealError::BadKey
        );
        assert_eq!(
            SealSecretKey::from_bytes(&[0u8; 33]).unwrap_err(),
            SealError::BadKey
        );

        let debug = format!("{key:?}");
        assert_eq!(debug, format!("SealSecretKey({})", key.public_key()));
        assert!(!debug.contains(&B64.encode(bytes.as_slice())));
    }

    #[test]
    fn key_file_round_trip() {
        let key = SealSecretKey::generate().unwrap();
        let file = key.to_key_file().unwrap();
        let value: serde_json::Value = serde_json::from_str(&file).unwrap();
        assert_eq!(value["type"], "silbato-x25519-secret-key");
        assert_eq!(value["version"], 1);
        assert_eq!(value["public_key"], key.public_key().to_string());
        assert_eq!(value["secret"], B64.encode(key.to_bytes().as_slice()));

        let back = SealSecretKey::from_key_file(file.as_bytes()).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let sealed = seal(&key.public_key(), INFO, b"", b"to the lawyer").unwrap();
        assert_eq!(
            open(&back, INFO, b"", &sealed).unwrap().as_slice(),
            b"to the lawyer"
        );
    }

    #[test]
    fn key_file_mismatch_and_damage_are_refused() {
        let key = SealSecretKey::generate().unwrap();
        let other = SealSecretKey::generate().unwrap();
        let file = key.to_key_file().unwrap();
        let swapped = file.replace(
            &key.public_key().to_string(),
            &other.public_key().to_string(),
        );
        assert_eq!(
            SealSecretKey::from_key_file(swapped.as_bytes()).unwrap_err(),
            SealError::BadKey
        );
        let wrong_type = file.replace("silbato-x25519-secret-key", "silbato-ed25519-secret-key");
        assert_eq!(
            SealSecretKey::from_key_file(wrong_type.as_bytes()).unwrap_err(),
            SealError::BadKey
        );
        let v2 = file.replace("\"version\": 1", "\"version\": 2");
        assert_eq!(
            SealSecretKey::from_key_file(v2.as_bytes()).unwrap_err(),
            SealError::UnsupportedVersion(2)
        );
        let v_big = file.replace("\"version\": 1", "\"version\": 70000");
        assert_eq!(
            SealSecretKey::from_key_file(v_big.as_bytes()).unwrap_err(),
            SealError::UnsupportedVersion(255)
        );
        let extra = file.replace("\"version\": 1", "\"version\": 1, \"note\": \"x\"");
        assert_eq!(
            SealSecretKey::from_key_file(extra.as_bytes()).unwrap_err(),
            SealError::BadKey
        );
        for bad in [
            &b""[..],
            b"{}",
            b"not json",
            &file.as_bytes()[..file.len() / 2],
        ] {
            assert_eq!(
                SealSecretKey::from_key_file(bad).unwrap_err(),
                SealError::BadKey
            );
        }
    }

    #[test]
    fn error_messages_are_fixed() {
        for e in [
            SealError::Malformed,
            SealError::UnsupportedVersion(7),
            SealError::NotARecipient,
            SealError::DecryptFailed,
            SealError::TooLarge,
            SealError::BadKey,
            SealError::Crypto,
        ] {
            assert!(!e.to_string().is_empty());
        }
        assert!(
            SealError::UnsupportedVersion(7)
                .to_string()
                .contains("format 7")
        );
    }

    fn fixed_key() -> &'static SealSecretKey {
        static KEY: std::sync::OnceLock<SealSecretKey> = std::sync::OnceLock::new();
        KEY.get_or_init(|| SealSecretKey::generate().unwrap())
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let key = fixed_key();
            let _ = open(key, INFO, b"", &bytes);
            let _ = open_from_many(key, INFO, b"", &bytes);
            let _ = SealSecretKey::from_key_file(&bytes);
            let _ = SealSecretKey::from_bytes(&bytes);
        }

        #[test]
        fn arbitrary_bytes_behind_valid_prefixes_never_panic(
            version in 1u8..=2,
            count in any::<u8>(),
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let key = fixed_key();
            let mut input = vec![version, count];
            input.extend_from_slice(&bytes);
            prop_assert!(open(key, INFO, b"", &input).is_err());
            prop_assert!(open_from_many(key, INFO, b"", &input).is_err());
            // Our own key as the first entry reaches the HPKE and body paths.
            let mut mine = vec![2u8, count.clamp(1, 3)];
            mine.extend_from_slice(key.public_key().as_bytes());
            mine.extend_from_slice(&bytes);
            prop_assert!(open_from_many(key, INFO, b"", &mine).is_err());
        }

        #[test]
        fn arbitrary_text_never_panics_as_a_public_key(text in ".{0,80}") {
            let _ = SealPublicKey::parse(&text);
            let _ = SealPublicKey::parse(&format!("x25519:{text}"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn round_trip_arbitrary_plaintext_and_aad(
            pt in proptest::collection::vec(any::<u8>(), 0..4096),
            aad in proptest::collection::vec(any::<u8>(), 0..128),
        ) {
            let key = fixed_key();
            let sealed = seal(&key.public_key(), INFO, &aad, &pt).unwrap();
            let opened = open(key, INFO, &aad, &sealed).unwrap();
            prop_assert_eq!(opened.as_slice(), pt.as_slice());
            let other = SealSecretKey::generate().unwrap();
            let recipients = [other.public_key(), key.public_key()];
            let many = seal_to_many(&recipients, INFO, &aad, &pt).unwrap();
            for k in [key, &other] {
                let opened = open_from_many(k, INFO, &aad, &many).unwrap();
                prop_assert_eq!(opened.as_slice(), pt.as_slice());
            }
        }

        #[test]
        fn mutated_messages_never_open(
            pt in proptest::collection::vec(any::<u8>(), 0..64),
            at in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let key = fixed_key();
            let mut sealed = seal(&key.public_key(), INFO, b"", &pt).unwrap();
            let i = at.index(sealed.len());
            sealed[i] ^= flip;
            prop_assert!(open(key, INFO, b"", &sealed).is_err());
            let mut many = seal_to_many(&[key.public_key()], INFO, b"", &pt).unwrap();
            let j = at.index(many.len());
            many[j] ^= flip;
            prop_assert!(open_from_many(key, INFO, b"", &many).is_err());
        }
    }
}
