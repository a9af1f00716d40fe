//! Issue 12, items 10 and 12: the panic wipe leaves nothing that identifies the person, their
//! places, their network or their reports, in any file of the data directory; and every file in
//! the data directory is its owner's only. Through the real `App`, against a real hub on
//! 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use silbato_core::app::App;
use silbato_core::inbox::alert::Certainty;
use silbato_core::keys::Passphrase;
use silbato_core::vault::{Activity, Agency, Confidence, Sighting, VaultState};
use silbato_e2e::{TestNetwork, alert_builder, open_app};
use silbato_hub::push::Gateways;

/// A 1x1 PNG (valid chunks and CRCs): the smallest photo the vault takes.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// Every regular file under `dir`, however deep.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

/// `needle` in plain bytes, UTF-16 (both byte orders), upper and lower case.
fn encodings(needle: &str) -> Vec<Vec<u8>> {
    let mut forms = Vec::new();
    for text in [
        needle.to_owned(),
        needle.to_ascii_lowercase(),
        needle.to_ascii_uppercase(),
    ] {
        forms.push(text.as_bytes().to_vec());
        forms.push(text.encode_utf16().flat_map(u16::to_le_bytes).collect());
        forms.push(text.encode_utf16().flat_map(u16::to_be_bytes).collect());
    }
    forms
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The files of `dir` in which any canary appears, in any of its encodings.
fn canaries_found(dir: &Path, canaries: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for path in files_under(dir) {
        let bytes = std::fs::read(&path).unwrap();
        for canary in canaries {
            if encodings(canary).iter().any(|form| contains(&bytes, form)) {
                found.push(format!("{canary} in {}", path.display()));
            }
        }
    }
    found
}

fn passphrase() -> Passphrase {
    Passphrase::new("correct horse battery".into())
}

fn install(app: &App, net: &TestNetwork, name: &str, hub_url: &str) {
    silbato_e2e::install_edited(app, net, |p| {
        p.name = name.into();
        p.hub_url = hub_url.into();
    });
}

const PLACE: &str = "CanaryPlaceQuokka";
const REGION: &str = "US-IL-CANARYZEBRA";
const NETWORK: &str = "CanaryNetworkPelican";
const REPORT: &str = "CanaryReportMarmot";
const SIGHTING: &str = "CanarySightingNarwhal";
const ALERT: &str = "CanaryAlertOcelot";
const PUBLISHER: &str = "CanaryPublisherTapir";

/// Writes a canary into everything the wipe must destroy: a saved place's label, a followed
/// region, the network's name (its profile), an alert's headline, a queued report's text and a
/// sighting's text.
fn fill_with_canaries(app: &App, net: &TestNetwork, hub_url: &str) {
    install(app, net, NETWORK, hub_url);
    // A publisher trusted by hand: its name (a network's) sits in `rights.db`.
    app.rights()
        .add_publisher(&net.root.public_key(), PUBLISHER)
        .unwrap();
    app.inbox().add_place(PLACE, 41.8, -87.6, 500.0).unwrap();
    app.inbox().follow_region(REGION).unwrap();
    let envelope = alert_builder("canary-alert", Certainty::Observed, &["US-IL-CHI"])
        .text("en", &format!("Agents reported ({ALERT})"))
        .sign(&[&net.dispatchers[0].signing, &net.dispatchers[1].signing])
        .unwrap();
    let outcome = app.inbox().ingest(&envelope, Utc::now()).unwrap();
    assert!(
        matches!(outcome, silbato_core::inbox::IngestOutcome::Accepted { .. }),
        "{outcome:?}"
    );
    app.vault().init(&passphrase()).unwrap();
    let mut seen = Sighting::new(
        Utc::now(),
        Activity::Checkpoint,
        Agency::Ice,
        Confidence::Observed,
    );
    seen.notes = Some(SIGHTING.into());
    app.log_sighting(seen, &[PNG_1X1.to_vec()]).unwrap();
    let mut reported = Sighting::new(
        Utc::now(),
        Activity::Raid,
        Agency::Ice,
        Confidence::Observed,
    );
    reported.place = Some(REPORT.into());
    reported.notes = Some(REPORT.into());
    let receipt = app.log_sighting(reported, &[]).unwrap();
    app.report(&receipt.id, &net.profile.network_id, Utc::now())
        .unwrap();
    assert_eq!(app.inbox().outbox().unwrap().len(), 1);
}

#[test]
fn h12_10_panic_wipe_leaves_no_canary_in_any_file() {
    let net = TestNetwork::new("http://127.0.0.1");
    let hub = net.start_hub(Gateways::none());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let canaries = [PLACE, REGION, NETWORK, REPORT, SIGHTING, ALERT, PUBLISHER];
    {
        let app = open_app(&data);
        fill_with_canaries(&app, &net, &hub.url());
        // A sync remembers the hub and its ETags (sync state) too.
        app.sync(Utc::now()).unwrap();
        // The network name and region are stored in clear before the wipe (the test can see them).
        assert!(
            !canaries_found(&data, &[NETWORK, REGION]).is_empty()
                && !canaries_found(&data, &[PUBLISHER]).is_empty(),
            "the canaries were written where the test can find them"
        );

        // A handle a thread took before the wipe (as a shell's background sync might hold one).
        let stale = app.inbox();

        app.wipe().unwrap();

        let found = canaries_found(&data, &canaries);
        assert!(found.is_empty(), "after the wipe: {found:?}");
        // That handle is finished: it can neither read the wiped inbox nor write into the new one
        // under the destroyed key.
        assert!(stale.places().is_err());
        assert!(stale.add_place(PLACE, 41.8, -87.6, 500.0).is_err());
        drop(stale);
        // Nothing of it is left in the open app either: an empty inbox, no network, no outbox.
        assert!(app.inbox().places().unwrap().is_empty());
        assert!(app.inbox().followed_regions().unwrap().is_empty());
        assert!(app.inbox().networks().unwrap().is_empty());
        assert!(app.inbox().outbox().unwrap().is_empty());
        assert!(app.hubs().unwrap().is_empty(), "no hub to send anything to");
        assert_eq!(app.vault().state(), VaultState::NotInitialized);
        // The cards keep working.
        assert!(app.rights().card("red-card", "en").is_ok());
        // And the app works on: a new place is kept under the new inbox key.
        app.inbox().add_place("home", 41.0, -87.0, 100.0).unwrap();
        assert_eq!(app.inbox().places().unwrap().len(), 1);
    }
    // After closing the app (checkpoints), still none, and the data directory opens again.
    let found = canaries_found(&data, &canaries);
    assert!(found.is_empty(), "after closing: {found:?}");
    let again = open_app(&data);
    assert_eq!(again.inbox().places().unwrap().len(), 1);
    assert!(again.rights().card("red-card", "en").is_ok());
    // No key of the wiped vault or inbox survives: only the new inbox's key files.
    let names: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n == "vault.keys" || n == "vault.db"),
        "{names:?}"
    );
}

/// The wipe through the files alone (what `silbato vault wipe` runs): the same result with no
/// app open, even when the inbox key is already lost and the inbox cannot be opened.
#[test]
fn h12_10_wipe_of_a_data_directory_nothing_has_open() {
    let net = TestNetwork::new("http://127.0.0.1");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let app = open_app(&data);
        fill_with_canaries(&app, &net, "http://127.0.0.1:9");
    }
    // The inbox key is lost: the app no longer opens, the wipe must still work.
    std::fs::remove_file(data.join("keystore-silbato.inbox.key.key")).unwrap();
    let store = silbato_core::keys::FileKeyStore::new(&data);
    silbato_core::app::wipe_data_dir(&data, &store).unwrap();
    let found = canaries_found(
        &data,
        &[PLACE, REGION, NETWORK, REPORT, SIGHTING, ALERT, PUBLISHER],
    );
    assert!(found.is_empty(), "{found:?}");
    let app = open_app(&data);
    assert!(app.inbox().networks().unwrap().is_empty());
    assert!(app.rights().card("red-card", "en").is_ok());
}

/// The one item that states a time bound: with 500 photos in the vault, the wipe takes under a
/// second. Only the wipe is timed.
#[test]
fn h12_10_wipe_with_500_photos_is_under_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let app = open_app(dir.path());
    app.vault().init(&passphrase()).unwrap();
    let photos: Vec<Vec<u8>> = vec![PNG_1X1.to_vec(); 20];
    for _ in 0..25 {
        let s = Sighting::new(
            Utc::now(),
            Activity::Patrol,
            Agency::Ice,
            Confidence::Observed,
        );
        app.log_sighting(s, &photos).unwrap();
    }
    let stored = std::fs::read_dir(dir.path().join("vault-attachments"))
        .unwrap()
        .count();
    assert_eq!(stored, 500);
    let start = Instant::now();
    app.wipe().unwrap();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "the wipe took {took:?}");
    assert!(!dir.path().join("vault-attachments").exists());
}

/// Item 12: after a whole journey (cards, vault with a photo, a saved place, a network, a sync,
/// a queued report), the data directory is 0700 and every file in it 0600; an older build's
/// wider permissions are fixed on open.
#[cfg(unix)]
#[test]
fn h12_12_data_directory_and_every_file_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
    let check = |data: &Path| {
        assert_eq!(mode(data), 0o700, "the data directory");
        let mut stack = vec![data.to_path_buf()];
        let mut files = 0;
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                    assert_eq!(mode(&path), 0o700, "{}", path.display());
                    stack.push(path);
                } else {
                    assert_eq!(mode(&path), 0o600, "{}", path.display());
                    files += 1;
                }
            }
        }
        files
    };

    let net = TestNetwork::new("http://127.0.0.1");
    let hub = net.start_hub(Gateways::none());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let app = open_app(&data);
    assert!(app.rights().card("red-card", "en").is_ok());
    fill_with_canaries(&app, &net, &hub.url());
    let outcome = app.sync(Utc::now()).unwrap();
    assert!(outcome.ok(), "{:?}", outcome.failures().collect::<Vec<_>>());
    // While open: the databases' WAL and shared-memory files are there too.
    assert!(data.join("inbox.db-wal").exists());
    assert!(data.join("vault-attachments").is_dir());
    let files = check(&data);
    assert!(files >= 8, "{files} files checked");
    drop(app);

    // Files an older build left world-readable are fixed when the directory is opened.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    for path in [
        data.join("inbox.db"),
        data.join("vault.keys"),
        data.join("rights.db"),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let app = open_app(&data);
    check(&data);
    app.wipe().unwrap();
    check(&data);
}
