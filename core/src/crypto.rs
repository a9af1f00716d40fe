//! Thin wrappers over `ring` for everything the core signs, verifies and hashes.
//!
//! This module owns key material formats (the text form of public keys, the organizer's key
//! file) and keeps secrets in `zeroize` containers. It must never log, format or return a secret
//! key except through [`SigningKey::to_key_file`], which the caller writes to a private file.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{DocKind, Error, Result};

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
            .ok_or(Error::InvalidInput {
                reason: "a public key starts with ed25519:",
            })?;
        let bytes = B64.decode(b64).map_err(|_| Error::InvalidInput {
            reason: "a public key is base64 after ed25519:",
        })?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| Error::InvalidInput {
            reason: "an Ed25519 public key is 32 bytes",
        })?;
        Ok(Self(bytes))
    }

    /// A short form to compare out of band: the first 10 bytes of SHA-256, in groups of four hex digits.
    pub fn fingerprint(&self) -> String {
        let digest = sha256(&self.0);
        let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
        hex.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
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
    pub(crate) fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    pub(crate) fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>) -> Result<Self> {
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
        let text = Zeroizing::new(serde_json::to_string_pretty(&file).map_err(|_| Error::Crypto)?);
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
            return Err(Error::InvalidInput {
                reason: "not a Silbato Ed25519 key file",
            });
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
            return Err(Error::InvalidInput {
                reason: "the key file's public key does not match its secret",
            });
        }
        Ok(key)
    }
}

/// Version byte of [`aead_seal`]'s output.
const AEAD_V1: u8 = 1;
const NONCE_LEN: usize = 12;

/// Encrypts with ChaCha20-Poly1305 under `key`: `0x01 || random 96-bit nonce || ciphertext || tag`.
///
/// `aad` binds the ciphertext to where it belongs (store, table, row, schema version), so it cannot
/// be moved to another row and still decrypt. Random nonces are safe here: far fewer than 2^32
/// messages are ever encrypted under one key.
pub fn aead_seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
    let key =
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| Error::Crypto)?);
    let mut nonce = [0u8; NONCE_LEN];
    random_fill(&mut nonce)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + 16);
    out.push(AEAD_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let mut body = out.split_off(1 + NONCE_LEN);
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut body,
    )
    .map_err(|_| Error::Crypto)?;
    out.extend_from_slice(&body);
    body.zeroize();
    Ok(out)
}

/// Opens [`aead_seal`]'s output. Any change to the bytes, the key or `aad` is `Decrypt`.
pub fn aead_open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
    let (&version, rest) = sealed.split_first().ok_or(Error::Decrypt)?;
    if version != AEAD_V1 {
        return Err(Error::Decrypt);
    }
    let (nonce, body) = rest.split_at_checked(NONCE_LEN).ok_or(Error::Decrypt)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Error::Decrypt)?;
    let key =
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| Error::Crypto)?);
    let mut buf = Zeroizing::new(body.to_vec());
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| Error::Decrypt)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    sha256(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Fills `out` from the operating system's CSPRNG.
pub fn random_fill(out: &mut [u8]) -> Result<()> {
    SystemRandom::new().fill(out).map_err(|_| Error::Crypto)
}

pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
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
