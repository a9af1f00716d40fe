//! Issue 12, item 14 (engineer D's part): `silbato sync` tells the truth. A sync in which every
//! step failed does not say "Synced" and exits non-zero naming what failed by code; a `--hub`
//! that is not a hub URL is a usage error (exit code 2, like clap's), named without echoing it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::silbato;

/// A loopback port nothing listens on: bound by the OS, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn h12_14_sync_where_every_step_failed_does_not_say_synced() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let hub = format!("http://127.0.0.1:{}", closed_port());

    let run = silbato(&data, &["sync", "--hub", &hub]);
    assert_ne!(run.code(), 0, "{}", run.stderr());
    assert_ne!(run.code(), 2, "not a usage error: the URL was fine");
    let (out, err) = (run.stdout(), run.stderr());
    assert!(!out.contains("Synced"), "stdout: {out}");
    assert!(!err.contains("Synced"), "stderr: {err}");
    assert!(out.contains("every step failed"), "stdout: {out}");
    assert!(err.contains("sync failed"), "stderr: {err}");
    // What failed, by code: each failed step's line and the summary carry `area.name` codes.
    assert!(err.contains("sync."), "codes named: {err}");
    assert!(
        out.lines()
            .filter(|l| l.trim_start().starts_with('!'))
            .all(|l| l.contains("[sync.")),
        "stdout: {out}"
    );

    // The JSON form says so too: every failure with its code.
    let run = silbato(&data, &["--json", "sync", "--hub", &hub]);
    assert_ne!(run.code(), 0);
    let list = run.json();
    let failures = list[0]["report"]["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    assert!(
        failures
            .iter()
            .all(|f| f["code"].as_str().is_some_and(|c| c.contains('.')))
    );
}

#[test]
fn h12_14_an_invalid_hub_url_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for bad in [
        "not-a-url",
        "ftp://127.0.0.1/",
        "http://hub.example.org/", // plain http to another machine
        "https://user:secretword@hub.example.org/",
        "https://hub.example.org/?q=1",
    ] {
        let run = silbato(&data, &["sync", "--hub", bad]);
        assert_eq!(run.code(), 2, "{bad}: {}", run.stderr());
        let err = run.stderr();
        assert!(err.contains("--hub"), "{bad}: {err}");
        assert!(!err.contains("secretword"), "the URL is not echoed: {err}");
        assert!(!run.stdout().contains("Synced"));
    }
    // Refused before anything was opened: no data directory was made.
    assert!(!data.exists());
}

/// Items 10 and 12 through the real binary: the data directory the CLI makes is its owner's only
/// whichever command comes first, and `vault wipe --yes` leaves no saved place's label and no
/// sighting's text in any file, while the cards keep working.
#[test]
fn h12_10_12_cli_files_are_private_and_the_wipe_leaves_no_canary() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let add = silbato(
        &data,
        &[
            "places",
            "add",
            "--label",
            "CanaryCliPlace",
            "--lat",
            "41.81",
            "--lon",
            "-87.66",
            "--radius",
            "300",
        ],
    );
    assert_eq!(add.code(), 0, "{}", add.stderr());
    let p = "a long vault passphrase\n";
    let init = common::silbato_stdin(
        &data,
        &["vault", "init", "--passphrase-stdin", "--insecure-fast-kdf"],
        p,
    );
    assert_eq!(init.code(), 0, "{}", init.stderr());
    let log = common::silbato_stdin(
        &data,
        &[
            "vault",
            "log",
            "--activity",
            "raid",
            "--agency",
            "ice",
            "--notes",
            "CanaryCliNote",
            "--passphrase-stdin",
        ],
        p,
    );
    assert_eq!(log.code(), 0, "{}", log.stderr());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        for entry in std::fs::read_dir(&data).unwrap() {
            let path = entry.unwrap().path();
            let want = if path.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(mode(&path), want, "{}", path.display());
        }
    }

    let wipe = silbato(&data, &["vault", "wipe", "--yes"]);
    assert_eq!(wipe.code(), 0, "{}", wipe.stderr());
    let mut stack = vec![data.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            for canary in [&b"CanaryCliPlace"[..], b"CanaryCliNote"] {
                assert!(
                    !bytes.windows(canary.len()).any(|w| w == canary),
                    "{} holds a canary",
                    path.display()
                );
            }
        }
    }
    let places = silbato(&data, &["--json", "places", "list"]);
    assert_eq!(places.code(), 0, "{}", places.stderr());
    assert_eq!(
        places.json().as_array().map(Vec::len),
        Some(0),
        "no place survives"
    );
    assert_eq!(silbato(&data, &["rights", "show", "red-card"]).code(), 0);
}
