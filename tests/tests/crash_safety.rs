//! Crash safety of the vault: a child process writing a stream of sightings is killed with
//! SIGKILL at random points, again and again. After every kill, every write the child had
//! acknowledged is present, the hash chain verifies, and SQLite's integrity check is ok.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use silbato_core::keys::{KdfParams, Passphrase};
use silbato_core::vault::{Vault, VaultConfig};

const KILLS: usize = 60;

/// A small deterministic generator, so a failing run can be repeated.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn acknowledged_writes_survive_sigkill_at_random_points() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Lcg(0x5EED_0001);
    let mut acked: HashSet<String> = HashSet::new();
    for round in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vault-writer"))
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Read acknowledgements for a random while, then kill without warning: the kill lands
        // wherever the writer happens to be (mid-transaction, mid-fsync, between writes).
        let budget = Duration::from_millis(5 + rng.next(60));
        let reader = std::thread::spawn(move || {
            let mut ids = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(id) = line.strip_prefix("ACK ") {
                    ids.push(id.to_owned());
                }
            }
            ids
        });
        let start = Instant::now();
        while start.elapsed() < budget {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let ids = reader.join().unwrap();
        acked.extend(ids);

        let cfg = VaultConfig {
            kdf: KdfParams::FAST_INSECURE,
            idle_timeout: None,
        };
        let (vault, report) = Vault::open(dir.path(), cfg, None).unwrap();
        assert!(
            report.moved_aside.is_none(),
            "round {round}: the database was damaged"
        );
        if vault.state() == silbato_core::vault::VaultState::NotInitialized {
            continue; // killed before init finished: nothing was acknowledged
        }
        vault
            .unlock(&Passphrase::new("crash test passphrase".into()))
            .unwrap();
        let present: HashSet<String> = vault.list().unwrap().into_iter().map(|r| r.id).collect();
        let lost: Vec<_> = acked.difference(&present).collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged entries lost: {}",
            lost.len()
        );
        vault.verify_chain().unwrap();
        vault.lock();
        drop(vault);
        let conn = rusqlite::Connection::open(dir.path().join("vault.db")).unwrap();
        let verdict: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(verdict, "ok", "round {round}");
    }
    assert!(
        acked.len() > KILLS,
        "the writer made progress ({} acknowledged)",
        acked.len()
    );
}
