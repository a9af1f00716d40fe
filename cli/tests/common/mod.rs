//! The CLI test harness: runs the `silbato` binary on a data directory, as a user and a script do.
//! Shared by every test file of this crate (`mod common;`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use silbato_testkit::{TestNetwork, sign_profile};

pub struct Run {
    pub out: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout()))
    }
}

pub fn silbato(data: &Path, args: &[&str]) -> Run {
    silbato_env(data, args, &[("LANG", Some("en_US.UTF-8"))])
}

/// The locale variables the CLI reads; every run removes those the test does not set, so a
/// developer's machine cannot change a test's result.
pub const LOCALE_VARS: [&str; 4] = ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"];

/// As [`silbato`], with the environment `vars` (`None` removes one); any locale variable not
/// named is removed.
pub fn silbato_env(data: &Path, args: &[&str], vars: &[(&str, Option<&str>)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_silbato"));
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("SILBATO_DATA_DIR");
    for v in LOCALE_VARS {
        cmd.env_remove(v);
    }
    for (name, value) in vars {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    Run {
        out: cmd.output().unwrap(),
    }
}

pub fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

pub fn silbato_stdin(data: &Path, args: &[&str], stdin: &str) -> Run {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_silbato"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("SILBATO_DATA_DIR")
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses before reading its input exits and closes the pipe; that refusal is
    // what the caller asserts on, so a broken pipe here is not the test's failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    Run {
        out: child.wait_with_output().unwrap(),
    }
}

/// The hub binary `silbato demo` runs: the one beside `silbato` in the target directory.
/// `cargo test` builds it with the workspace, but `cargo test -p silbato` builds only this
/// package's binaries, so it is built here when missing.
pub fn hub_bin() -> PathBuf {
    let silbato = Path::new(env!("CARGO_BIN_EXE_silbato"));
    let hub = silbato.with_file_name(format!("silbato-hub{}", std::env::consts::EXE_SUFFIX));
    if !hub.is_file() {
        let profile = match silbato.parent().and_then(Path::file_name) {
            Some(dir) if dir != "debug" => dir.to_string_lossy().into_owned(),
            _ => "dev".to_owned(),
        };
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "silbato-hub",
                "--profile",
                &profile,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "cargo build -p silbato-hub failed");
    }
    assert!(
        hub.is_file(),
        "no silbato-hub beside silbato: cargo build -p silbato-hub"
    );
    hub
}

/// A `silbato-hub` child process; killed when dropped.
pub struct HubProcess(Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the hub binary for `net` in `dir` on 127.0.0.1 with an OS-assigned port, its
/// configuration followed by `extra_toml` (sections such as `[push]` or `[egress]`); returns it
/// and its base URL, read from the address it logs when it listens.
pub fn start_hub(dir: &Path, net: &TestNetwork, extra_toml: &str) -> (HubProcess, String) {
    std::fs::write(
        dir.join("network.json"),
        sign_profile(&net.profile, &[&net.roots[0]]),
    )
    .unwrap();
    std::fs::write(
        dir.join("hub.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nnetwork_profile = \"network.json\"\n{extra_toml}"
        ),
    )
    .unwrap();
    let mut child = Command::new(hub_bin())
        .arg("--config")
        .arg(dir.join("hub.toml"))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        assert!(Instant::now() < deadline, "the hub did not start");
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect::<String>();
        }
    };
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    (HubProcess(child), format!("http://{addr}"))
}
