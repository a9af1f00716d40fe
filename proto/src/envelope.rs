//! Signed documents: a payload carried as exact bytes plus Ed25519 signatures over them.
//!
//! Every signed thing Silbato exchanges (content packs now; watch-lists, network profiles and
//! alerts later) travels in this envelope. Signatures cover a domain-separated message —
//! `"silbato-signed-v1\0" || kind || "\0" || payload` — so a signature made for one kind of
//! document can never be replayed as another. This module verifies before anything parses the
//! payload, and must never interpret the payload itself.

use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, SigningKey, b64_decode, b64_encode};
use crate::error::{DocKind, Error, Result};

const DOMAIN: &[u8] = b"silbato-signed-v1\0";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    v: u32,
    kind: String,
    payload: String,
    signatures: Vec<WireSignature>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSignature {
    key: String,
    sig: String,
}

/// A parsed, not yet verified envelope.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub kind: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<(PublicKey, Vec<u8>)>,
}

fn signed_message(kind: &str, payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + kind.len() + 1 + payload.len());
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(kind.as_bytes());
    m.push(0);
    m.extend_from_slice(payload);
    m
}

/// Signs `payload` with every key in `signers` and returns the envelope's bytes (JSON).
pub fn seal(kind: &str, payload: &[u8], signers: &[&SigningKey]) -> Result<Vec<u8>> {
    let message = signed_message(kind, payload);
    let wire = Wire {
        v: VERSION,
        kind: kind.to_owned(),
        payload: b64_encode(payload),
        signatures: signers
            .iter()
            .map(|k| WireSignature {
                key: k.public_key().to_string(),
                sig: b64_encode(&k.sign(&message)),
            })
            .collect(),
    };
    serde_json::to_vec_pretty(&wire).map_err(|_| Error::Encode)
}

/// Adds a signature by `key` to an existing envelope (the second dispatcher of a two-person
/// rule, or a second root key). The payload is untouched; a key that already signed is a no-op.
pub fn add_signature(
    bytes: &[u8],
    what: DocKind,
    kind: &str,
    max_len: usize,
    key: &SigningKey,
) -> Result<Vec<u8>> {
    let mut env = Envelope::parse(bytes, what, kind, max_len)?;
    if !env.signatures.iter().any(|(k, _)| *k == key.public_key()) {
        let sig = key.sign(&signed_message(kind, &env.payload)).to_vec();
        env.signatures.push((key.public_key(), sig));
    }
    env.to_bytes()
}

impl Envelope {
    /// The envelope's bytes (JSON), as `seal` writes them.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let wire = Wire {
            v: VERSION,
            kind: self.kind.clone(),
            payload: b64_encode(&self.payload),
            signatures: self
                .signatures
                .iter()
                .map(|(k, s)| WireSignature {
                    key: k.to_string(),
                    sig: b64_encode(s),
                })
                .collect(),
        };
        serde_json::to_vec_pretty(&wire).map_err(|_| Error::Encode)
    }

    /// Parses the envelope's frame only. `max_len` bounds the whole document, checked first.
    pub fn parse(bytes: &[u8], what: DocKind, kind: &str, max_len: usize) -> Result<Envelope> {
        if bytes.len() > max_len {
            return Err(Error::TooLarge {
                what,
                limit: max_len,
            });
        }
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| Error::from_json(what, &e))?;
        let malformed = Error::Malformed {
            what,
            line: 0,
            column: 0,
        };
        if wire.v != VERSION
            || wire.kind != kind
            || wire.signatures.is_empty()
            || wire.signatures.len() > 16
        {
            return Err(malformed);
        }
        let payload = b64_decode(&wire.payload).ok_or(Error::Malformed {
            what,
            line: 0,
            column: 0,
        })?;
        let mut signatures = Vec::with_capacity(wire.signatures.len());
        for s in wire.signatures {
            // A key that does not parse cannot be one we trust.
            let key = PublicKey::parse(&s.key).map_err(|_| Error::UntrustedKey { what })?;
            let sig = b64_decode(&s.sig)
                .filter(|sig| sig.len() == 64)
                .ok_or(Error::BadSignature { what })?;
            signatures.push((key, sig));
        }
        Ok(Envelope {
            kind: wire.kind,
            payload,
            signatures,
        })
    }

    /// Verifies the signatures made by trusted keys and returns those keys, each once.
    ///
    /// Any signature by a trusted key that fails is `BadSignature` (someone changed the bytes);
    /// no signature by a trusted key at all is `UntrustedKey`.
    pub fn verify(
        &self,
        what: DocKind,
        trusted: impl Fn(&PublicKey) -> bool,
    ) -> Result<Vec<PublicKey>> {
        let message = signed_message(&self.kind, &self.payload);
        let mut signers: Vec<PublicKey> = Vec::new();
        let mut any_invalid = false;
        for (key, sig) in &self.signatures {
            let valid = key.verify(&message, sig);
            any_invalid |= !valid;
            if trusted(key) {
                if !valid {
                    return Err(Error::BadSignature { what });
                }
                if !signers.contains(key) {
                    signers.push(*key);
                }
            }
        }
        if signers.is_empty() {
            // Tell a damaged document from one that is merely signed by a stranger.
            return Err(if any_invalid {
                Error::BadSignature { what }
            } else {
                Error::UntrustedKey { what }
            });
        }
        Ok(signers)
    }

    /// Verifies every signature against its own embedded key, trusted or not. For organizers'
    /// checks of a document before they publish it.
    pub fn verify_self_consistent(&self, what: DocKind) -> Result<Vec<PublicKey>> {
        self.verify(what, |_| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_the_kind() {
        let key = SigningKey::generate().unwrap();
        let bytes = seal("pack", b"payload", &[&key]).unwrap();
        let env = Envelope::parse(&bytes, DocKind::Pack, "pack", 1 << 20).unwrap();
        assert_eq!(
            env.verify(DocKind::Pack, |k| *k == key.public_key())
                .unwrap(),
            vec![key.public_key()]
        );
        // Relabel the same signature as another kind of document: refused.
        let relabelled = String::from_utf8(bytes)
            .unwrap()
            .replace("\"pack\"", "\"alert\"");
        let env =
            Envelope::parse(relabelled.as_bytes(), DocKind::Envelope, "alert", 1 << 20).unwrap();
        assert!(matches!(
            env.verify(DocKind::Envelope, |_| true),
            Err(Error::BadSignature { .. })
        ));
    }

    #[test]
    fn untrusted_and_oversized() {
        let key = SigningKey::generate().unwrap();
        let bytes = seal("pack", b"payload", &[&key]).unwrap();
        let env = Envelope::parse(&bytes, DocKind::Pack, "pack", 1 << 20).unwrap();
        assert!(matches!(
            env.verify(DocKind::Pack, |_| false),
            Err(Error::UntrustedKey { .. })
        ));
        assert!(matches!(
            Envelope::parse(&bytes, DocKind::Pack, "pack", 10),
            Err(Error::TooLarge { .. })
        ));
    }
}
