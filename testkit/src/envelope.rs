//! Envelopes after signing: co-signing (a second dispatcher, a second root key) through
//! `silbato_proto::envelope::add_signature`, and the damaged envelopes tests feed to verifiers.
//!
//! This module owns only those transformations of finished envelopes; what a document says is
//! the builders'. The damaging helpers must never be used to make anything meant to verify.

use silbato_proto::alert::{ALERT_KIND, MAX_ALERT_ENVELOPE};
use silbato_proto::crypto::SigningKey;
use silbato_proto::envelope::add_signature;
use silbato_proto::network::{MAX_PROFILE_BYTES, NETWORK_KIND};
use silbato_proto::{DocKind, Result};

/// Adds `key`'s signature to an alert envelope (a key that already signed is a no-op).
pub fn cosign_alert(envelope: &[u8], key: &SigningKey) -> Result<Vec<u8>> {
    add_signature(
        envelope,
        DocKind::Envelope,
        ALERT_KIND,
        MAX_ALERT_ENVELOPE,
        key,
    )
}

/// Adds `key`'s signature to a network profile envelope (a second root key).
pub fn cosign_profile(envelope: &[u8], key: &SigningKey) -> Result<Vec<u8>> {
    add_signature(
        envelope,
        DocKind::Envelope,
        NETWORK_KIND,
        MAX_PROFILE_BYTES,
        key,
    )
}

/// The envelope with its first signature listed twice (one signer counted twice must still count
/// once). `Err` if `envelope` is not JSON.
pub fn duplicate_first_signature(envelope: &[u8]) -> serde_json::Result<Vec<u8>> {
    let mut doc: serde_json::Value = serde_json::from_slice(envelope)?;
    if let Some(sigs) = doc["signatures"].as_array_mut()
        && let Some(first) = sigs.first().cloned()
    {
        sigs.push(first);
    }
    serde_json::to_vec_pretty(&doc)
}

/// `signed`'s signatures over `payload_from`'s payload: changed bytes under valid signatures.
/// `Err` if either is not JSON.
pub fn swap_payload(signed: &[u8], payload_from: &[u8]) -> serde_json::Result<Vec<u8>> {
    let mut doc: serde_json::Value = serde_json::from_slice(signed)?;
    let other: serde_json::Value = serde_json::from_slice(payload_from)?;
    doc["payload"] = other["payload"].clone();
    serde_json::to_vec_pretty(&doc)
}

#[cfg(test)]
mod tests {
    use silbato_proto::alert::{Rejection, verify_alert_envelope};
    use silbato_proto::network::open_profile;

    use super::*;
    use crate::TestNetwork;

    #[test]
    fn cosigning_and_damage() {
        let net = TestNetwork::builder().roots(2).build();
        let both = cosign_profile(&net.envelope, &net.roots[1]).unwrap();
        assert_eq!(open_profile(&both).unwrap().1.len(), 2);

        let profiles = [net.profile.clone()];
        let one = net.alert("a").sign(&[net.dispatcher(0)]).unwrap();
        let doubled = duplicate_first_signature(&one).unwrap();
        assert_eq!(
            verify_alert_envelope(&profiles, &doubled, net.now).unwrap_err(),
            Rejection::NotEnoughSignatures { have: 1, need: 2 }
        );
        let signers = net.dispatcher_signers(2);
        let a = net.alert("a").sign(&signers).unwrap();
        let b = net.alert("a").text("en", "Other").sign(&signers).unwrap();
        assert_eq!(
            verify_alert_envelope(&profiles, &swap_payload(&a, &b).unwrap(), net.now).unwrap_err(),
            Rejection::BadSignature
        );
        assert!(swap_payload(b"{", &b).is_err());
    }
}
