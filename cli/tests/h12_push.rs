//! Issue 12, items 16 and 18 from the command line, against a real `silbato-hub` on loopback: a
//! subscription is confirmed by ingesting the hub's confirmation push and syncing; unfollowing a
//! region changes the hub's copy at the next sync; `push unsubscribe` deletes it (signed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{silbato, start_hub};
use silbato_testkit::TestNetwork;

type Bodies = Arc<Mutex<Vec<Vec<u8>>>>;

/// A push service on 127.0.0.1: records each POSTed body and answers `201`.
fn push_service() -> (String, Bodies) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/push/phone", listener.local_addr().unwrap());
    let bodies: Bodies = Arc::default();
    let b = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            b.lock().unwrap().push(body);
            let _ = stream.write_all(
                b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (url, bodies)
}

/// The hub's stored copy of the subscription: its regions and whether it is confirmed.
fn at_hub(dir: &Path) -> Option<(String, i64)> {
    let db = rusqlite::Connection::open_with_flags(
        dir.join("data").join("hub.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.query_row(
        "SELECT regions, confirmed FROM push_subscriptions",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .ok()
}

#[test]
fn h12_18_unfollow_then_sync_updates_the_hub_and_push_unsubscribe_deletes_it() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNetwork::builder()
        .now(Utc::now())
        .hub_url("http://127.0.0.1:9")
        .region("US-IL-EVN", "Evanston")
        .build();
    let (_hub, hub) = start_hub(
        dir.path(),
        &net,
        "[egress]\nallow_private_endpoints = true\n",
    );
    let (endpoint, bodies) = push_service();
    let data = dir.path().join("device");
    let ok = |args: &[&str]| {
        let run = silbato(&data, args);
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
        run
    };
    let profile = dir.path().join("network.json");
    ok(&[
        "network",
        "install",
        profile.to_str().unwrap(),
        "--fingerprint",
        &net.profile.fingerprint(),
    ]);
    ok(&["regions", "--follow", "US-IL-CHI"]);
    ok(&["regions", "--follow", "US-IL-EVN"]);

    // Nothing to unsubscribe yet: said.
    let run = silbato(&data, &["push", "unsubscribe"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr()
            .contains("this device has no push subscription"),
        "{}",
        run.stderr()
    );

    ok(&["push", "subscribe", "--endpoint", &endpoint, "--hub", &hub]);
    assert_eq!(
        at_hub(dir.path()),
        Some((" US-IL-CHI US-IL-EVN ".to_owned(), 0)),
        "registered, not yet confirmed"
    );
    // The confirmation push reaches the device; ingesting it and syncing echoes its challenge.
    let deadline = Instant::now() + Duration::from_secs(30);
    while bodies.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no confirmation push");
        std::thread::sleep(Duration::from_millis(20));
    }
    let push = dir.path().join("push.bin");
    std::fs::write(&push, &bodies.lock().unwrap()[0]).unwrap();
    ok(&["push", "ingest", push.to_str().unwrap()]);
    ok(&["sync", "--hub", &hub]);
    assert_eq!(
        at_hub(dir.path()),
        Some((" US-IL-CHI US-IL-EVN ".to_owned(), 1)),
        "confirmed by the sync"
    );

    // Unfollowing a region changes the hub's copy at the next sync (still confirmed).
    ok(&["regions", "--unfollow", "US-IL-EVN"]);
    assert_eq!(
        at_hub(dir.path()),
        Some((" US-IL-CHI US-IL-EVN ".to_owned(), 1))
    );
    ok(&["sync", "--hub", &hub]);
    assert_eq!(at_hub(dir.path()), Some((" US-IL-CHI ".to_owned(), 1)));

    // `push unsubscribe` deletes it at the hub, signed by the device's key.
    let run = ok(&["push", "unsubscribe"]);
    assert!(run.stdout().contains("1 hub"), "{}", run.stdout());
    assert_eq!(at_hub(dir.path()), None);
}
