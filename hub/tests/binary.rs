//! The `silbato-hub` binary: starts from a configuration file, serves, and exits cleanly on
//! SIGTERM; refuses a bad configuration with a message.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Fixture, client};

#[test]
fn the_binary_serves_until_sigterm() {
    let f = Fixture::new();
    let toml = "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nnetwork_profile = \"network.json\"\npacks_dir = \"packs\"\nwatchlist = \"watchlist.json\"\n\n[push]\nwebpush = false\n";
    std::fs::write(f.path("hub.toml"), toml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_silbato-hub"))
        .arg("--config")
        .arg(f.path("hub.toml"))
        .env("RUST_LOG", "info")
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
        if let Some(rest) = line.split("addr=").nth(1) {
            // Strip any ANSI styling and take the address token.
            let clean: String = rest
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            break clean;
        }
    };
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let resp = client()
        .get(format!("http://{addr}/v1/network"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().unwrap().as_ref(),
        std::fs::read(f.path("network.json")).unwrap()
    );

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the hub did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    // The rest of the log: requests by route, nothing about the client.
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let rest = rest.join("\n");
    assert!(rest.contains("route=/v1/network"), "{rest}");
    assert!(!rest.contains("127.0.0.1"), "{rest}");
}

#[test]
fn the_binary_refuses_a_bad_configuration() {
    let f = Fixture::new();
    std::fs::write(
        f.path("hub.toml"),
        "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nnetwork_profile = \"missing.json\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_silbato-hub"))
        .arg("--config")
        .arg(f.path("hub.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("network profile"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_silbato-hub"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
