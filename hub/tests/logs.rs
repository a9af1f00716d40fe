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
    let body = serde_json::to_vec(&sub).unwrap();
    let device_key = silbato_core::crypto::SigningKey::generate().unwrap();
    let mut req = c
        .post(format!("{base}/v1/push/subscriptions"))
        .header("content-type", "application/json")
        .body(body.clone());
    for (k, v) in silbato_core::proto::push::sign_push_request(
        &device_key,
        "POST",
        "/v1/push/subscriptions",
        &body,
        chrono::Utc::now(),
    ) {
        req = req.header(k, v);
    }
    assert!(req.send().unwrap().status().is_success());
    // Shaped like a sealed report (format byte, one recipient), with a canary inside.
    let mut report = vec![2u8, 1];
    report.extend_from_slice(b"CANARY-REPORT-BYTES-5512");
    report.resize(2 + 112 + 16 + 64, b'.');
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

/// Issue 12 item 24: the `silbato-hub` binary run with `RUST_LOG=trace` (every target, the HTTP
/// server and client libraries included) through a push subscription, a push delivery that
/// fails, a report and a signed dispatcher request, never names the endpoint, its host and port,
/// or the client's address.
#[cfg(unix)]
#[test]
fn h12_24_the_binary_at_trace_level_names_no_endpoint_or_address() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let f = Fixture::new();
    // A port nothing listens on: the push to it fails.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{dead_port}/push/SECRET-ENDPOINT-4471");
    let toml = "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nnetwork_profile = \"network.json\"\n[push]\ntimeout_secs = 2\n[egress]\nallow_private_endpoints = true\n";
    std::fs::write(f.path("hub.toml"), toml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_silbato-hub"))
        .arg("--config")
        .arg(f.path("hub.toml"))
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        assert!(
            Instant::now() < deadline,
            "the hub did not say where it listens"
        );
        let line = lines.next().unwrap().unwrap();
        if line.contains("silbato-hub listening")
            && let Some(rest) = line.split("addr=").nth(1)
        {
            let clean: String = rest
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            break clean;
        }
    };
    // The rest of the log, read on its own thread so the child never blocks on a full pipe.
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let base = format!("http://{addr}");
    let c = client();

    let sub = PushSubscription {
        provider: PushProvider::Webpush,
        endpoint: endpoint.clone(),
        push_key: SealSecretKey::generate().unwrap().public_key(),
        regions: vec!["US-IL-CHI".into()],
    };
    let body = serde_json::to_vec(&sub).unwrap();
    let device_key = silbato_core::crypto::SigningKey::generate().unwrap();
    let mut req = c
        .post(format!("{base}/v1/push/subscriptions"))
        .header("content-type", "application/json")
        .body(body.clone());
    for (k, v) in silbato_core::proto::push::sign_push_request(
        &device_key,
        "POST",
        "/v1/push/subscriptions",
        &body,
        chrono::Utc::now(),
    ) {
        req = req.header(k, v);
    }
    assert!(req.send().unwrap().status().is_success());
    let resp = c
        .post(format!("{base}/v1/alerts"))
        .body(f.net.sign(&alert("log-24", &["US-IL-CHI"])))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201);
    let sealed = silbato_testkit::ReportBuilder::new("chi")
        .record_id("CANARY-RECORD")
        .now(chrono::Utc::now())
        .seal(&[f.net.seal.public_key()])
        .unwrap();
    let resp = c
        .post(format!("{base}/v1/reports"))
        .header("idempotency-key", "CANARY-KEY-2210")
        .body(sealed)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201);
    let pq = "/v1/reports?after=0";
    let mut req = c.get(format!("{base}{pq}"));
    for (k, v) in
        silbato_core::protocol::sign_request(&f.net.d1, "GET", &addr, pq, b"", chrono::Utc::now())
            .unwrap()
    {
        req = req.header(k, v);
    }
    assert_eq!(req.send().unwrap().status(), 200);
    // Let the failing push attempts run.
    std::thread::sleep(Duration::from_secs(3));
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the hub did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = rest.join().unwrap().join("\n");
    assert!(log.contains("route=/v1/reports"), "{log}");
    for secret in [
        "SECRET-ENDPOINT",
        &format!(":{dead_port}"),
        "127.0.0.1",
        "CANARY-KEY",
        "CANARY-RECORD",
        "US-IL-CHI",
        "after=0",
    ] {
        assert!(!log.contains(secret), "the log mentions {secret}:\n{log}");
    }
}
