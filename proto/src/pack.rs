//! Signing and verifying content packs.
//!
//! A pack file is a signed envelope (`crate::envelope`) of kind [`PACK_KIND`] around the JSON
//! payload of `silbato_content::PackPayload`. The signature is checked over the exact payload
//! bytes before the payload is parsed, and the parsed payload is validated before anyone uses it.
//! This module never touches the store.

use silbato_content::{Limits, PackPayload, validate};

use crate::crypto::{PublicKey, SigningKey, sha256_hex};
use crate::envelope::{self, Envelope};
use crate::error::{DocKind, Error, Result};

pub const PACK_KIND: &str = "silbato.pack";
/// Largest pack file accepted, checked before anything is parsed.
pub const MAX_PACK_BYTES: usize = 16 * 1024 * 1024;

/// A pack whose signature verified and whose payload parsed and validated.
#[derive(Debug, Clone)]
pub struct VerifiedPack {
    pub payload: PackPayload,
    pub payload_sha256: String,
    /// The trusted keys that signed it.
    pub signers: Vec<PublicKey>,
}

/// Validates `payload` and signs it with `key`, returning the pack file's bytes.
pub fn sign_pack(payload: &PackPayload, key: &SigningKey) -> Result<Vec<u8>> {
    validate(payload, &Limits::default())?;
    let bytes = serde_json::to_vec(payload).map_err(|_| Error::Encode)?;
    envelope::seal(PACK_KIND, &bytes, &[key])
}

/// Verifies a pack file against the keys `trusted` accepts, then parses and validates it.
pub fn open_pack(bytes: &[u8], trusted: impl Fn(&PublicKey) -> bool) -> Result<VerifiedPack> {
    let env = Envelope::parse(bytes, DocKind::Pack, PACK_KIND, MAX_PACK_BYTES)?;
    let signers = env.verify(DocKind::Pack, trusted)?;
    let payload = parse_payload(&env.payload)?;
    Ok(VerifiedPack {
        payload_sha256: sha256_hex(&env.payload),
        payload,
        signers,
    })
}

/// Checks a pack file on its own terms (every signature against its embedded key, the payload
/// valid), without asking whether this device trusts the signer. For organizers.
pub fn inspect_pack(bytes: &[u8]) -> Result<VerifiedPack> {
    open_pack(bytes, |_| true)
}

pub fn parse_payload(bytes: &[u8]) -> Result<PackPayload> {
    // Read the format number alone first, so a pack from a newer publisher tool is reported as
    // such rather than as malformed because of fields this build does not know.
    #[derive(serde::Deserialize)]
    struct Probe {
        format: u32,
    }
    if let Ok(Probe { format }) = serde_json::from_slice::<Probe>(bytes)
        && format != silbato_content::FORMAT_VERSION
    {
        return Err(Error::UnsupportedFormat {
            what: DocKind::Pack,
            found: format,
        });
    }
    let payload: PackPayload =
        serde_json::from_slice(bytes).map_err(|e| Error::from_json(DocKind::Pack, &e))?;
    validate(&payload, &Limits::default())?;
    Ok(payload)
}
