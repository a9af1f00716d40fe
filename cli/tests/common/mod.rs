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

/// An organizer's working directory for the CLI tests: keys, signed network profiles and
/// alerts made with the real `silbato` binary.
pub struct Org {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    /// Where the organizer's and dispatchers' files live (no inbox is created there).
    pub org: PathBuf,
}

impl Org {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        Org {
            org: root.join("org"),
            root,
            _dir: dir,
        }
    }

    pub fn path(&self, name: &str) -> String {
        self.root.join(name).to_str().unwrap().to_owned()
    }

    pub fn key(&self, name: &str) -> String {
        let run = silbato(&self.org, &["keys", "generate", "--out", &self.path(name)]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        run.stdout().trim().to_owned()
    }

    pub fn recipient(&self, name: &str) -> String {
        let run = silbato(
            &self.org,
            &["keys", "generate-recipient", "--out", &self.path(name)],
        );
        assert_eq!(run.code(), 0, "{}", run.stderr());
        run.stdout().trim().to_owned()
    }

    /// `network create` with these extra arguments, written to `out`.
    pub fn create(&self, id: &str, out: &str, extra: &[&str]) -> Run {
        let name = format!("{id}-root.key");
        let root = if self.root.join(&name).exists() {
            silbato(&self.org, &["keys", "public", &self.path(&name)])
                .stdout()
                .trim()
                .to_owned()
        } else {
            self.key(&name)
        };
        let mut args = vec![
            "network",
            "create",
            "--id",
            id,
            "--name",
            "Test RRN",
            "--root-key",
            &root,
            "--region",
            "US-IL-CHI=Chicago",
        ];
        args.extend_from_slice(extra);
        let out = self.path(out);
        args.extend_from_slice(&["--out", &out]);
        if !extra.contains(&"--hub") {
            args.extend_from_slice(&["--hub", "https://hub.example.org"]);
        }
        silbato(&self.org, &args)
    }

    pub fn sign_profile(&self, id: &str, file: &str) {
        let run = silbato(
            &self.org,
            &[
                "network",
                "sign",
                &self.path(file),
                "--key",
                &self.path(&format!("{id}-root.key")),
            ],
        );
        assert_eq!(run.code(), 0, "{}", run.stderr());
    }

    /// A signed profile of network `id` with dispatchers `d1`, `d2` (key files `{id}-d1.key`,
    /// ...) and the default policy; returns its fingerprint.
    pub fn network(&self, id: &str, dispatchers: usize, policy: Option<&str>) -> String {
        let keys: Vec<String> = (1..=dispatchers)
            .map(|i| format!("{}=D{i}", self.key(&format!("{id}-d{i}.key"))))
            .collect();
        let mut extra: Vec<&str> = Vec::new();
        for k in &keys {
            extra.extend_from_slice(&["--dispatcher-key", k]);
        }
        if let Some(p) = policy {
            extra.extend_from_slice(&["--policy", p]);
        }
        let file = format!("{id}.profile");
        let run = self.create(id, &file, &extra);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        self.sign_profile(id, &file);
        let json = silbato(&self.org, &["--json", "network", "qr", &self.path(&file)]);
        assert_eq!(json.code(), 0, "{}", json.stderr());
        let installed = silbato(
            &self.root.join(format!("probe-{id}")),
            &["--json", "network", "install", &self.path(&file)],
        )
        .json();
        installed["fingerprint"].as_str().unwrap().to_owned()
    }

    /// Writes an alert of network `id` signed by the given dispatcher key files.
    pub fn alert(&self, data: &Path, id: &str, out: &str, extra: &[&str]) -> Run {
        let out = self.path(out);
        let mut args = vec![
            "alert",
            "new",
            "--network",
            id,
            "--headline",
            "Vans at 47th and Ashland",
            "--region",
            "US-IL-CHI",
            "--out",
            &out,
        ];
        args.extend_from_slice(extra);
        silbato(data, &args)
    }

    pub fn install(&self, data: &Path, id: &str, fingerprint: &str) {
        let run = silbato(
            data,
            &[
                "network",
                "install",
                &self.path(&format!("{id}.profile")),
                "--fingerprint",
                fingerprint,
            ],
        );
        assert_eq!(run.code(), 0, "{}", run.stderr());
    }
}
