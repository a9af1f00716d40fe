//! Thin wrappers over `ring` for everything the core signs, verifies and hashes, and over
//! RustCrypto's `chacha20poly1305` (the AEAD `hpke` already links) for encryption at rest.
//!
//! This module owns key material formats (the text form of public keys, the organizer's key
//! file) and keeps secrets in `zeroize` containers. It must never log, format or return a secret
//! key except through [`SigningKey::to_key_file`], which the caller writes to a private file.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{DocKind, Error, Result};

pub use crate::error::KeyError;

const ED25519_PREFIX: &str = "ed25519:";

/// An Ed25519 public key. Its text form is `ed25519:` followed by unpadded URL-safe base64.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses the text form; surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self> {
        let b64 = text
            .trim()
            .strip_prefix(ED25519_PREFIX)
            .ok_or(Error::from(KeyError::Prefix))?;
        let bytes = B64.decode(b64).map_err(|_| Error::from(KeyError::Base64))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::from(KeyError::Length))?;
        Ok(Self(bytes))
    }

    /// A short form to compare out of band: the first 10 bytes of SHA-256, in groups of four hex digits.
    pub fn fingerprint(&self) -> String {
        fingerprint_text(&sha256(&self.0))
    }

    /// Checks an Ed25519 signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(message, signature)
            .is_ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ED25519_PREFIX}{}", B64.encode(self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PublicKey::parse(&text).map_err(|_| serde::de::Error::custom("malformed public key"))
    }
}

/// An Ed25519 signing key. The PKCS#8 document it came from is zeroized on drop.
pub struct SigningKey {
    pkcs8: Zeroizing<Vec<u8>>,
    pair: Ed25519KeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public_key())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    version: u32,
    public_key: PublicKey,
    /// PKCS#8 v2, URL-safe base64.
    secret_pkcs8: String,
}

const KEY_FILE_TYPE: &str = "silbato-ed25519-secret-key";

impl SigningKey {
    pub fn generate() -> Result<Self> {
        let doc =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| Error::Crypto)?;
        Self::from_pkcs8(Zeroizing::new(doc.as_ref().to_vec()))
    }

    /// The PKCS#8 document, for sealing the key under a data key. Never write it in the clear.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>) -> Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| Error::Malformed {
            what: DocKind::KeyFile,
            line: 0,
            column: 0,
        })?;
        Ok(Self { pkcs8, pair })
    }

    pub fn public_key(&self) -> PublicKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(bytes)
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }

    /// The key file's text (JSON). Write it with owner-only permissions.
    pub fn to_key_file(&self) -> Result<Zeroizing<String>> {
        let file = KeyFile {
            kind: KEY_FILE_TYPE.into(),
            version: 1,
            public_key: self.public_key(),
            secret_pkcs8: B64.encode(self.pkcs8.as_slice()),
        };
        // The intermediate base64 string holds the secret too; zeroize it with the struct's copy.
        let text = Zeroizing::new(serde_json::to_string_pretty(&file).map_err(|_| Error::Encode)?);
        let KeyFile { secret_pkcs8, .. } = file;
        drop(Zeroizing::new(secret_pkcs8));
        Ok(text)
    }

    /// Reads a key file written by [`SigningKey::to_key_file`]; checks the public key matches.
    pub fn from_key_file(bytes: &[u8]) -> Result<Self> {
        let file: KeyFile =
            serde_json::from_slice(bytes).map_err(|e| Error::from_json(DocKind::KeyFile, &e))?;
        let secret = Zeroizing::new(file.secret_pkcs8);
        if file.kind != KEY_FILE_TYPE || file.version != 1 {
            return Err(Error::from(KeyError::NotAKeyFile));
        }
        let pkcs8 =
            Zeroizing::new(
                B64.decode(secret.as_bytes())
                    .map_err(|_| Error::Malformed {
                        what: DocKind::KeyFile,
                        line: 0,
                        column: 0,
                    })?,
            );
        let key = Self::from_pkcs8(pkcs8)?;
        if key.public_key() != file.public_key {
            return Err(Error::from(KeyError::PublicKeyMismatch));
        }
        Ok(key)
    }
}

/// The first 10 bytes of `digest` as hex digits in groups of four (`1a2b 3c4d ...`): the form of
/// every fingerprint meant to be compared by eye or read aloud.
pub(crate) fn fingerprint_text(digest: &[u8; 32]) -> String {
    let digits = hex(digest.get(..10).unwrap_or(digest));
    digits
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Version byte of [`aead_seal`]'s output.
const AEAD_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// ChaCha20-Poly1305 under `key`; the cipher's copy of the key is zeroized when it is dropped.
fn chacha(key: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(key.into())
}

/// Encrypts with ChaCha20-Poly1305 under `key`: `0x01 || random 96-bit nonce || ciphertext || tag`.
///
/// `aad` binds the ciphertext to where it belongs (store, table, row, schema version), so it cannot
/// be moved to another row and still decrypt. Random nonces are safe here: far fewer than 2^32
/// messages are ever encrypted under one key.
pub fn aead_seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    random_fill(&mut nonce)?;
    // Encrypted in place in capacity reserved up front, so no copy of the plaintext is left behind
    // in a reallocated buffer.
    let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.push(AEAD_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = match out.get_mut(1 + NONCE_LEN..) {
        Some(body) => chacha(key)
            .encrypt_inout_detached(&Nonce::from(nonce), aad, body.into())
            .ok(),
        None => None,
    };
    match tag {
        Some(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        None => {
            out.zeroize();
            Err(Error::Crypto)
        }
    }
}

/// Opens [`aead_seal`]'s output. Any change to the bytes, the key or `aad` is `Decrypt`.
pub fn aead_open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let (&version, rest) = sealed.split_first().ok_or(Error::Decrypt)?;
    if version != AEAD_V1 {
        return Err(Error::Decrypt);
    }
    let (nonce, body) = rest
        .split_first_chunk::<NONCE_LEN>()
        .ok_or(Error::Decrypt)?;
    let (ciphertext, tag) = body.split_last_chunk::<TAG_LEN>().ok_or(Error::Decrypt)?;
    // The tag is checked before anything is decrypted; the buffer is zeroized either way.
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    chacha(key)
        .decrypt_inout_detached(
            &Nonce::from(*nonce),
            aad,
            buf.as_mut_slice().into(),
            &Tag::from(*tag),
        )
        .map_err(|_| Error::Decrypt)?;
    Ok(buf)
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha256(bytes))
}

/// Lowercase hex, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Exactly `2 * N` hex digits (either case) to `N` bytes; anything else (a sign, whitespace, a
/// wrong length) is `None`.
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *o = digit(*pair.first()?)? << 4 | digit(*pair.get(1)?)?;
    }
    Some(out)
}

/// Fills `out` from the operating system's CSPRNG.
pub fn random_fill(out: &mut [u8]) -> Result<()> {
    SystemRandom::new().fill(out).map_err(|_| Error::Crypto)
}

/// A fresh random id: 128 bits from the system CSPRNG as 32 lowercase hex digits.
pub fn random_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    random_fill(&mut bytes)?;
    Ok(hex(&bytes))
}

pub fn b64_encode(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    B64.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known-answer vectors (RFC 8032, RFC 8439, Wycheproof) run through these wrappers in
    // `tests/kat.rs`.

    #[test]
    fn aead_round_trips_and_refuses_any_change() {
        let key = [7u8; 32];
        let aad = b"vault/entries/42/v1";
        let plaintext = b"a sighting at 5th and Main";
        let ours = aead_seal(&key, aad, plaintext).unwrap();
        assert_eq!(ours.len(), 1 + NONCE_LEN + plaintext.len() + 16);
        assert_eq!(aead_open(&key, aad, &ours).unwrap().as_slice(), plaintext);
        assert!(matches!(
            aead_open(&key, b"other row", &ours),
            Err(Error::Decrypt)
        ));
        let mut flipped = ours.clone();
        flipped[20] ^= 1;
        assert!(matches!(
            aead_open(&key, aad, &flipped),
            Err(Error::Decrypt)
        ));
        assert!(matches!(
            aead_open(&key, aad, &ours[..10]),
            Err(Error::Decrypt)
        ));
    }

    #[test]
    fn hex_round_trips_and_is_strict() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(from_hex::<32>(&hex(&bytes)), Some(bytes));
        assert_eq!(from_hex::<2>("ABcd"), Some([0xab, 0xcd]));
        assert_eq!(from_hex::<0>(""), Some([]));
        // u8::from_str_radix would take "+a" as 10: not hex.
        for bad in [
            "+a0f", "0f+a", "abc", "abcdef", " abc", "0x0f", "zz00", "\u{e9}0f",
        ] {
            assert_eq!(from_hex::<2>(bad), None, "{bad}");
        }
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn random_ids_are_128_bit_hex() {
        let a = random_id().unwrap();
        let b = random_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_ne!(a, b);
        assert!(from_hex::<16>(&a).is_some());
    }

    #[test]
    fn key_file_round_trip_and_text_forms() {
        let key = SigningKey::generate().unwrap();
        let file = key.to_key_file().unwrap();
        let back = SigningKey::from_key_file(file.as_bytes()).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let text = key.public_key().to_string();
        assert_eq!(PublicKey::parse(&text).unwrap(), key.public_key());
        assert!(PublicKey::parse("ed25519:AAAA").is_err());
        assert!(PublicKey::parse("rsa:whatever").is_err());
        let sig = key.sign(b"m");
        assert!(key.public_key().verify(b"m", &sig));
        assert_eq!(key.public_key().fingerprint().len(), 24);
    }

    #[test]
    fn a_tampered_key_file_is_refused() {
        let a = SigningKey::generate().unwrap();
        let b = SigningKey::generate().unwrap();
        let text = a
            .to_key_file()
            .unwrap()
            .replace(&a.public_key().to_string(), &b.public_key().to_string());
        assert!(SigningKey::from_key_file(text.as_bytes()).is_err());
        assert!(SigningKey::from_key_file(b"{").is_err());
    }
}
