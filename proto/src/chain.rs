//! The tamper-evident chain over vault entries, shared by the vault (which writes it) and the
//! export verifier (which a third party runs).
//!
//! `hash(n) = SHA-256("silbato-vault-chain-v1\0" || hash(n-1) || seq(n) as u64 BE || SHA-256(entry bytes))`
//! with 32 zero bytes before the first entry, and each entry's hash signed by the device key over
//! `"silbato-vault-entry-v1\0" || hash(n)`. Changing, dropping or reordering any entry breaks a
//! link or a signature.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::sha256;
use crate::sighting::Sighting;

pub const GENESIS: [u8; 32] = [0u8; 32];
const CHAIN_DOMAIN: &[u8] = b"silbato-vault-chain-v1\0";
const SIGN_DOMAIN: &[u8] = b"silbato-vault-entry-v1\0";
const HEAD_DOMAIN: &[u8] = b"silbato-vault-export-head-v1\0";

pub fn link_hash(prev: &[u8; 32], seq: u64, body: &[u8]) -> [u8; 32] {
    let mut m = Vec::with_capacity(CHAIN_DOMAIN.len() + 32 + 8 + 32);
    m.extend_from_slice(CHAIN_DOMAIN);
    m.extend_from_slice(prev);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&sha256(body));
    sha256(&m)
}

pub fn signed_message(hash: &[u8; 32]) -> Vec<u8> {
    [SIGN_DOMAIN, hash.as_slice()].concat()
}

/// What the device signs at export time: the last entry it had, so a truncated export shows.
pub fn head_message(last_seq: u64, last_hash: &[u8; 32], exported_at: &DateTime<Utc>) -> Vec<u8> {
    let mut m = HEAD_DOMAIN.to_vec();
    m.extend_from_slice(&last_seq.to_be_bytes());
    m.extend_from_slice(last_hash);
    // The same text the bundle's JSON carries: RFC 3339, UTC as `Z`, sub-seconds as needed.
    m.extend_from_slice(
        exported_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            .as_bytes(),
    );
    m
}

/// The plaintext of one entry: what is encrypted in `vault.db` and what an export carries.
///
/// On the wire it is one flat JSON object (`kind` plus the fields of that kind): flat rather than
/// serde's flatten/tagged forms, which buffer every value and made listing twice as slow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EntryWire", into = "EntryWire")]
pub struct EntryBody {
    pub v: u32,
    pub id: String,
    pub seq: u64,
    pub recorded_at: DateTime<Utc>,
    pub content: EntryContent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryContent {
    /// A new sighting.
    Sighting { sighting: Sighting },
    /// A correction: the full record as it now stands, replacing the one `amends` refers to.
    Amendment {
        amends: String,
        sighting: Sighting,
        reason: Option<String>,
    },
    /// Entries up to `through_seq` were deleted by the retention policy.
    Purge { through_seq: u64, count: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Sighting,
    Amendment,
    Purge,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryWire {
    v: u32,
    id: String,
    seq: u64,
    recorded_at: DateTime<Utc>,
    kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sighting: Option<Sighting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amends: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    through_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
}

impl TryFrom<EntryWire> for EntryBody {
    type Error = &'static str;

    fn try_from(w: EntryWire) -> Result<Self, Self::Error> {
        let content = match (w.kind, w.sighting, w.amends, w.through_seq, w.count) {
            (Kind::Sighting, Some(sighting), None, None, None) if w.reason.is_none() => {
                EntryContent::Sighting { sighting }
            }
            (Kind::Amendment, Some(sighting), Some(amends), None, None) => {
                EntryContent::Amendment {
                    amends,
                    sighting,
                    reason: w.reason,
                }
            }
            (Kind::Purge, None, None, Some(through_seq), Some(count)) if w.reason.is_none() => {
                EntryContent::Purge { through_seq, count }
            }
            _ => return Err("entry fields do not match its kind"),
        };
        Ok(EntryBody {
            v: w.v,
            id: w.id,
            seq: w.seq,
            recorded_at: w.recorded_at,
            content,
        })
    }
}

impl From<EntryBody> for EntryWire {
    fn from(b: EntryBody) -> Self {
        let mut w = EntryWire {
            v: b.v,
            id: b.id,
            seq: b.seq,
            recorded_at: b.recorded_at,
            kind: Kind::Sighting,
            sighting: None,
            amends: None,
            reason: None,
            through_seq: None,
            count: None,
        };
        match b.content {
            EntryContent::Sighting { sighting } => w.sighting = Some(sighting),
            EntryContent::Amendment {
                amends,
                sighting,
                reason,
            } => {
                w.kind = Kind::Amendment;
                w.sighting = Some(sighting);
                w.amends = Some(amends);
                w.reason = reason;
            }
            EntryContent::Purge { through_seq, count } => {
                w.kind = Kind::Purge;
                w.through_seq = Some(through_seq);
                w.count = Some(count);
            }
        }
        w
    }
}

/// The raw chain fields of one stored entry and its decrypted bytes.
#[derive(Debug)]
pub struct ChainEntry {
    pub seq: u64,
    pub plain: Zeroizing<Vec<u8>>,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    pub signature: Vec<u8>,
}

/// Why a device cannot read one of its own entries. The entry's chain fields (number, hashes,
/// signature) are still stored, so its place in the chain can be checked and exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Damage {
    /// The ciphertext does not decrypt under the vault key: its bytes were changed, or it was
    /// moved from another row.
    Undecryptable,
    /// It decrypts, but is not a well-formed entry for its number.
    Unreadable,
    /// Its hash fields are not 32 bytes each.
    ChainFields,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Damage::Undecryptable => "its content does not decrypt",
            Damage::Unreadable => "its content is not a well-formed entry",
            Damage::ChainFields => "its hash fields are damaged",
        })
    }
}

/// An entry the device could not read, carried in an export without its content: its number
/// and chain fields exactly as stored, and why.
#[derive(Debug, Clone)]
pub struct DamagedEntry {
    pub seq: u64,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub signature: Vec<u8>,
    pub damage: Damage,
}
