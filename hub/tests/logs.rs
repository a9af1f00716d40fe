//! What the hub writes to its log: method, route template, status and latency — and never a body,
//! a query string, an idempotency key, a push endpoint or a client address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Fixture, Recorder, alert, client, gateways};
use silbato_core::protocol::{PushProvider, PushSubscription};
use silbato_core::seal::SealSecretKey;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[test]
fn the_log_holds_routes_and_statuses_only() {
    let buffer = Buffer::default();
    tracing_subscriber::fmt()
        // Everything the server side says (the hub at every level); the test's own HTTP client
        // logs the address it connects to at debug level, which is not the hub's log.
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,silbato_hub=trace,axum=trace",
        ))
        .with_ansi(false)
        .with_writer(buffer.clone())
        .init();

    let f = Fixture::new();
    let recorder = Arc::new(Recorder::default());
    let hub = f.start_with(gateways(&recorder));
    let base = hub.url();
    let c = client();

    let endpoint = "https://push.example.org/SECRET-ENDPOINT-7731";
    let sub = PushSubscription {
        provider: PushProvider::Webpush,
        endpoint: endpoint.into(),
        push_key: SealSecretKey::generate().unwrap().public_key(),
        regions: vec!["US-IL-CHI".into()],
    };
    assert_eq!(
        c.post(format!("{base}/v1/push/subscriptions"))
            .json(&sub)
            .send()
            .unwrap()
            .status(),
        201
    );
    let report = b"CANARY-REPORT-BYTES-5512".to_vec();
    let resp = c
        .post(format!("{base}/v1/reports"))
        .header("idempotency-key", "CANARY-KEY-9043")
        .body(report)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201);
    let resp = c
        .get(format!("{base}/v1/alerts?region=US-IL-CHI&after=0"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .post(format!("{base}/v1/alerts"))
        .body(f.net.sign(&alert("log-1", &["US-IL-CHI"])))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert!(hub.wait_fanout_idle(std::time::Duration::from_secs(20)));
    let resp = c
        .get(format!("{base}/v1/packs/CANARY-PACK-ID"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 404);
    hub.shutdown();

    let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("route=/v1/reports"), "{log}");
    assert!(log.contains("route=/v1/packs/{id}"), "{log}");
    assert!(log.contains("status=201"), "{log}");
    for secret in [
        "SECRET-ENDPOINT",
        "CANARY-REPORT",
        "CANARY-KEY",
        "CANARY-PACK",
        "US-IL-CHI",
        "after=0",
        "127.0.0.1",
        "Ashland",
    ] {
        assert!(!log.contains(secret), "the log mentions {secret}:\n{log}");
    }
}
