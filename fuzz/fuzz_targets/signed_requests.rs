//! What the hub reads from a request before it trusts it (issue 12): the signature headers of a
//! dispatcher request (host and nonce covered) and of a push subscription request, the push
//! subscription bodies, the sealed-report shape check, and the padding a dispatcher or a device
//! removes after opening a report or a push.
//!
//! Input: fields separated by `\n` — key, date, nonce, signature, method, host, path, then the
//! body (the rest). The whole input is also given to the padding and shape decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use silbato_proto::protocol::{
    PushSubscription, SignedHeaders, check_sealed_report, unpad_report, verify_request,
};
use silbato_proto::push::{PushConfirm, PushUnsubscribe, unpad, verify_push_request};

fuzz_target!(|data: &[u8]| {
    let now = silbato_fuzz::now();
    let mut fields = data.splitn(8, |&b| b == b'\n');
    let mut next = || fields.next().map(String::from_utf8_lossy);
    let (key, date, nonce, signature, method, host, path) =
        (next(), next(), next(), next(), next(), next(), next());
    let body = data.splitn(8, |&b| b == b'\n').nth(7).unwrap_or_default();
    let method = method.unwrap_or_default();
    let path = path.unwrap_or_default();
    let dispatchers = silbato_fuzz::dispatcher_keys().map(|k| k.public_key());
    let headers = SignedHeaders {
        key: key.as_deref(),
        date: date.as_deref(),
        nonce: nonce.as_deref(),
        signature: signature.as_deref(),
    };
    match verify_request(
        headers,
        &method,
        host.as_deref().unwrap_or_default(),
        &path,
        body,
        now,
        |k| dispatchers.contains(k),
    ) {
        Ok(v) => {
            assert!(dispatchers.contains(&v.key), "an unlisted key was accepted");
            assert_eq!(Some(v.nonce.as_str()), nonce.as_deref());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    match verify_push_request(
        key.as_deref(),
        date.as_deref(),
        signature.as_deref(),
        &method,
        &path,
        body,
        now,
    ) {
        Ok(v) => assert_eq!(Some(v.key.to_string()), key.as_deref().map(str::to_owned)),
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(sub) = serde_json::from_slice::<PushSubscription>(body) {
        let _ = sub.validate().map_err(|e| e.to_string());
    }
    let _ = serde_json::from_slice::<PushConfirm>(body);
    let _ = serde_json::from_slice::<PushUnsubscribe>(body);

    if let Err(e) = check_sealed_report(data) {
        let _ = e.to_string();
    }
    assert!(unpad_report(data).len() <= data.len());
    match unpad(data) {
        Ok((_, inner)) => assert!(inner.len() <= data.len()),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
