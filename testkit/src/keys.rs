//! Deterministic keys from labels: the same label gives the same key on every run, in every
//! process, so fixtures, seeds and fingerprints are reproducible.
//!
//! This module owns how a label becomes key material (SHA-256 of a domain-separated label). It
//! must never be used for a key that protects anything real: anyone who reads the label has the
//! secret.

use silbato_proto::crypto::{SigningKey, sha256};
use silbato_proto::protocol::DispatcherKeys;
use silbato_proto::seal::SealSecretKey;
use zeroize::Zeroizing;

/// Prefix of every label before it is hashed, so testkit keys never collide with other
/// label-derived keys (the fuzz crate uses `silbato-fuzz/`).
const DOMAIN: &str = "silbato-testkit/";

/// The 32 bytes a label stands for: SHA-256 of `silbato-testkit/<label>`.
pub fn seed(label: &str) -> [u8; 32] {
    sha256(format!("{DOMAIN}{label}").as_bytes())
}

/// An Ed25519 key whose secret seed is `seed` (RFC 8032), as a PKCS#8 v2 document byte for byte
/// what ring generates.
///
/// # Panics
///
/// Never for a 32-byte seed: every such seed is a valid Ed25519 secret.
pub fn signing_key_from_seed(seed: &[u8; 32]) -> SigningKey {
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed)
        .expect("every 32-byte seed is an Ed25519 secret");
    let public = ring::signature::KeyPair::public_key(&pair).as_ref();
    // RFC 8410 with the public key ([1] attribute), version 1 (v2).
    let mut pkcs8 = Zeroizing::new(Vec::with_capacity(85));
    pkcs8.extend_from_slice(&[
        0x30, 0x53, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ]);
    pkcs8.extend_from_slice(seed);
    pkcs8.extend_from_slice(&[0xa1, 0x23, 0x03, 0x21, 0x00]);
    pkcs8.extend_from_slice(public);
    SigningKey::from_pkcs8(pkcs8).expect("a well-formed PKCS#8 v2 Ed25519 document")
}

/// The Ed25519 key for `label` (`signing_key("dispatcher-1")`).
pub fn signing_key(label: &str) -> SigningKey {
    signing_key_from_seed(&seed(label))
}

/// The X25519 key for `label` (its own domain: never the same bytes as `signing_key(label)`).
///
/// # Panics
///
/// Never: any 32 bytes are an X25519 scalar once clamped.
pub fn seal_key(label: &str) -> SealSecretKey {
    SealSecretKey::from_bytes(&seed(&format!("x25519/{label}")))
        .expect("any 32 bytes are an X25519 scalar")
}

/// A dispatcher's two keys for `label`: `signing_key(label)` and `seal_key(label)`.
pub fn dispatcher_keys(label: &str) -> DispatcherKeys {
    DispatcherKeys {
        signing: signing_key(label),
        seal: seal_key(label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_give_stable_distinct_working_keys() {
        let a = signing_key("a");
        assert_eq!(a.public_key(), signing_key("a").public_key());
        assert_ne!(a.public_key(), signing_key("b").public_key());
        let sig = a.sign(b"m");
        assert!(a.public_key().verify(b"m", &sig));
        // The key file round-trips, so ring accepted the document as its own.
        let file = a.to_key_file().map(|f| f.to_string()).unwrap_or_default();
        let back = SigningKey::from_key_file(file.as_bytes()).map(|k| k.public_key());
        assert_eq!(back.ok(), Some(a.public_key()));
        assert_eq!(seal_key("a").public_key(), seal_key("a").public_key());
        assert_ne!(seal_key("a").public_key(), seal_key("b").public_key());
        let d = dispatcher_keys("d");
        assert_eq!(d.signing.public_key(), signing_key("d").public_key());
    }
}
