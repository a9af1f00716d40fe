//! The co-signing rule the organizer's tools use (`silbato alert sign`): the second dispatcher
//! signs only bytes whose signatures verify, a key signs once, and an unsigned alert gets its
//! first signature.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use silbato_proto::alert::{ALERT_KIND, MAX_ALERT_ENVELOPE, cosign};
use silbato_proto::envelope::Envelope;
use silbato_proto::{DocKind, Error};
use silbato_testkit::NetworkBuilder;

#[test]
fn cosign_adds_one_signature_per_key_and_refuses_changed_bytes() {
    let net = NetworkBuilder::new("chi").dispatchers(2).build();
    let first = net.alert("a-1").sign(&[net.dispatcher(0)]).unwrap();

    let second = cosign(&first, net.dispatcher(1)).unwrap();
    assert_eq!(second.signatures, 2);
    assert_eq!(second.alert.id, "a-1");
    let env = Envelope::parse(
        &second.envelope,
        DocKind::Envelope,
        ALERT_KIND,
        MAX_ALERT_ENVELOPE,
    )
    .unwrap();
    assert_eq!(
        env.verify_self_consistent(DocKind::Envelope).unwrap().len(),
        2
    );

    // The same key again adds nothing.
    let again = cosign(&second.envelope, net.dispatcher(1)).unwrap();
    assert_eq!(again.signatures, 2);
    assert_eq!(again.envelope, second.envelope);

    // Bytes changed after the first signature: refused, nothing signed.
    let mut text = String::from_utf8(first.clone()).unwrap();
    let payload_at = text.find("\"payload\"").unwrap();
    let flip = text[payload_at + 12..]
        .char_indices()
        .find(|(_, c)| c.is_ascii_alphanumeric())
        .map(|(i, _)| payload_at + 12 + i)
        .unwrap();
    let replacement = if &text[flip..=flip] == "A" { "B" } else { "A" };
    text.replace_range(flip..=flip, replacement);
    assert!(matches!(
        cosign(text.as_bytes(), net.dispatcher(1)),
        Err(Error::BadSignature { .. } | Error::Malformed { .. })
    ));
}

#[test]
fn an_unsigned_alert_gets_its_first_signature() {
    let net = NetworkBuilder::new("chi").build();
    let alert = net.alert("a-2").build();
    let unsigned = serde_json::to_vec(&alert).unwrap();
    let signed = cosign(&unsigned, net.dispatcher(0)).unwrap();
    assert_eq!(signed.signatures, 1);
    assert_eq!(signed.alert, alert);
}
