//! The core used from eight threads at once (issue 7): rights searches (Spanish and English) and
//! card views, alert ingest (signed envelopes and sealed push payloads), the inbox's list for a
//! saved place and its unread count, vault log / list / amend / report / state, lock and unlock,
//! sync with a real hub on 127.0.0.1, and the panic wipe — a fixed, seeded mix of 100,000
//! operations (`PLAN`, shuffled with `SEED` and dealt to the threads, which a `Barrier` starts
//! together). No deadlock, no error but the expected ones, no lost write, and nothing that a wipe
//! destroyed comes back or leaves the device.
//!
//! Driven through `silbato-ffi`'s Rust API: the phone shells hold one `Silbato` object and call it
//! from many threads (UI, push receiver, background sync), so that object — with its shared
//! `App` of rights library, inbox, watch-lists and vault — is what must be safe to share. The
//! core's own types are used only to make test data (signed alerts, push payloads) before the
//! threads start, to read what reached the hub, and to verify the vault's hash chain at the end.
//! The vault uses `SilbatoConfig::insecure_fast_kdf_for_tests` (Argon2id at 256 KiB and one pass
//! instead of 64 MiB and three), so tens of thousands of unlocks fit in the run.
//!
//! The panic wipe (issue 12 item 10) destroys everything that identifies the person: the inbox
//! key, the vault, and `inbox.db` as a whole — the network, the saved place, the followed region,
//! the alerts, the push key, the outbox — leaving only the know-your-rights cards; a new empty
//! inbox with a new key takes its place. So the wiping thread then does what the user would: it
//! installs and confirms the network again, saves the place, follows the region, and (standing in
//! for the hub) seals the push payloads to the new push key. Each wipe starts a new epoch, which
//! runs from the end of that set-up to the start of the next wipe. An operation whose call and
//! return fall in one epoch is held to everything the old test held (it used one inbox the whole
//! time); one that overlapped a wipe may have used the wiped inbox through a handle taken before
//! it, and may fail with the typed error of a closed store — never panic, never see a corrupt one.
//!
//! What counts as a failure:
//! - Errors: only `Locked` (another thread locked the vault; the logging thread then unlocks and
//!   saves again, as a patroller would) and `NotInitialized` (right after a wipe) are expected.
//!   After a wipe, whichever thread next needs the vault initialises it again; two threads doing
//!   so at once is a race the test invites, so `init` answering `AlreadyInitialized` (someone else
//!   won) is expected too. `NotFound` (a record, the network) is expected only when a wipe started
//!   after the operation began. An operation that overlapped a wipe may also get `Storage` with
//!   `store.sqlite` (the wiped inbox's store is closed), a push sealed to the destroyed push key
//!   `Corrupt` with `crypto.decrypt` (that payload, not a store), and an alert a `Rejected` (the
//!   network was not installed again yet). Anything else fails the test, naming the operation and
//!   the error variant (the core's messages carry no user content).
//! - Lost writes: a write (log, amend) that returned `Ok` with no wipe started or in flight
//!   between its call and its return is recorded in a ledger for its epoch. Every `list` whose
//!   call and return fall in one epoch must show every record (and at least as many amendments)
//!   recorded before it began; the wipe thread checks the whole epoch once more before it wipes;
//!   at the end the last epoch is checked, then again after the data directory is reopened from
//!   disk, and the hash chain is verified.
//! - The inbox, per epoch: the network stays confirmed, the saved place and the followed region
//!   stay (checked by every `inbox.active` and by the wipe thread before it wipes); no alert is
//!   accepted twice by one inbox; the unread count a thread sees never goes down; searches return
//!   what they returned before the threads started, wipes or not. At the end every alert is in
//!   the last epoch's inbox, accepted there exactly once over all paths (ingest, push, sync, and
//!   a last sync and re-offer), and the inbox is the same after reopening from disk.
//! - Reports: every report queued in the last epoch reaches the hub, once; no report reaches the
//!   hub twice or without having been queued; and a report queued before a wipe that was not at
//!   the hub when the wipe returned never reaches it — the wipe destroyed it. One exception is
//!   counted (`late`), not failed: a report whose request was already on its way when the wipe
//!   began (`send_outbox` checks the store before each post, so a sync stops after that one;
//!   `h12_10_a_sync_in_flight_posts_no_report_the_wipe_destroyed` makes the race happen).
//! - Deadlock: the main thread watches progress. If no operation completes for `STALL`, or the
//!   run exceeds `HARD_CAP`, the test fails listing which operation each thread was in and for how
//!   long, and tells the threads to stop; it never waits for a stuck thread.
//!
//! This test found the vault's life-cycle race (an unlock reading the key file while a wipe
//! overwrote it; an init running inside a wipe), fixed by `Inner::life` in `core/src/vault`.
//!
//! Run with `cargo test -p silbato-e2e --test concurrency -- --nocapture` to see the counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use silbato_core::inbox::Relevance;
use silbato_core::inbox::alert::{Alert, Certainty, sign_alert};
use silbato_core::inbox::geo::Point;
use silbato_core::keys::{FileKeyStore, KeyStoreError, Passphrase, PlatformKeyStore};
use silbato_core::seal::SealPublicKey;
use silbato_core::sync::{HubClient, SyncConfig};
use silbato_core::vault::{Activity, Agency, Confidence, Vault, VaultConfig};
use silbato_e2e::{Lcg, TestNetwork, reports_at_hub};
use silbato_ffi::{
    IngestResult, KeyStore, KeyStoreFailure, SightingInput, Silbato, SilbatoConfig, SilbatoError,
    VehicleInfo,
};
use silbato_hub::push::Gateways;

const THREADS: usize = 8;
const SEED: u64 = 0x51_1BA7_0007;
/// Distinct alerts, published to the hub and also handed to the device directly and by push.
const ALERTS: usize = 80;
const PASSPHRASE: &str = "correct horse battery staple";
/// No operation finished for this long: a deadlock (or a livelock).
const STALL: Duration = Duration::from_secs(30);
/// The whole run may not take longer than this, whatever happens (a livelock).
const HARD_CAP: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    SearchEs,
    SearchEn,
    RightsCard,
    Ingest,
    IngestPush,
    InboxActive,
    InboxUnread,
    VaultState,
    VaultLog,
    VaultList,
    VaultAmend,
    LockUnlock,
    Report,
    Sync,
    Wipe,
}

/// The fixed mix: cheap operations dominate the count, every kind runs at least dozens of times,
/// sync and wipe least. The total is asserted to be at least 100,000. Tuned so that no one lock
/// (the rights reader, the inbox writer, the vault) carries much more than half a minute of
/// serial work in a debug build: the whole run is CPU-bound on CI's two cores.
const PLAN: &[(Kind, u64)] = &[
    (Kind::SearchEs, 9_000),
    (Kind::SearchEn, 9_000),
    (Kind::RightsCard, 4_000),
    (Kind::Ingest, 12_000),
    (Kind::IngestPush, 2_000),
    (Kind::InboxActive, 1_500),
    (Kind::InboxUnread, 12_000),
    (Kind::VaultState, 14_000),
    (Kind::VaultLog, 1_200),
    (Kind::VaultList, 6_000),
    (Kind::VaultAmend, 300),
    (Kind::LockUnlock, 28_730),
    (Kind::Report, 150),
    (Kind::Sync, 60),
    (Kind::Wipe, 60),
];

impl Kind {
    fn index(self) -> usize {
        PLAN.iter().position(|(k, _)| *k == self).unwrap()
    }

    fn name(self) -> &'static str {
        match self {
            Kind::SearchEs => "rights.search(es)",
            Kind::SearchEn => "rights.search(en)",
            Kind::RightsCard => "rights.card",
            Kind::Ingest => "inbox.ingest_alert",
            Kind::IngestPush => "inbox.ingest_push",
            Kind::InboxActive => "inbox.active",
            Kind::InboxUnread => "inbox.unread_count",
            Kind::VaultState => "vault.state",
            Kind::VaultLog => "vault.log",
            Kind::VaultList => "vault.list",
            Kind::VaultAmend => "vault.amend",
            Kind::LockUnlock => "vault.lock+unlock",
            Kind::Report => "vault.report",
            Kind::Sync => "sync",
            Kind::Wipe => "vault.wipe",
        }
    }
}

/// Results per search: a phone's first screen of them.
const SEARCH_LIMIT: u32 = 5;
const SEARCH_ES: &[&str] = &[
    "orden judicial",
    "derecho a guardar silencio",
    "abogado",
    "no abra la puerta",
    "firmar documentos",
    "detenido",
];
const SEARCH_EN: &[&str] = &[
    "warrant",
    "remain silent",
    "lawyer",
    "open the door",
    "sign anything",
    "detained",
];

/// The platform key store the shells would implement with Android Keystore / iOS Keychain; here
/// the CLI's file-backed one, kept outside the data directory.
struct TestKeyStore(FileKeyStore);

fn failure(e: KeyStoreError) -> KeyStoreFailure {
    match e {
        KeyStoreError::Unavailable => KeyStoreFailure::Unavailable,
        KeyStoreError::Refused => KeyStoreFailure::Refused,
        KeyStoreError::NotFound => KeyStoreFailure::NotFound,
    }
}

impl KeyStore for TestKeyStore {
    fn wrap(&self, label: String, secret: Vec<u8>) -> Result<Vec<u8>, KeyStoreFailure> {
        PlatformKeyStore::wrap(&self.0, &label, &secret).map_err(failure)
    }
    fn unwrap(&self, label: String, blob: Vec<u8>) -> Result<Vec<u8>, KeyStoreFailure> {
        PlatformKeyStore::unwrap(&self.0, &label, &blob)
            .map(|k| k.to_vec())
            .map_err(failure)
    }
    fn destroy(&self, label: String) -> Result<(), KeyStoreFailure> {
        PlatformKeyStore::destroy(&self.0, &label).map_err(failure)
    }
}

fn variant(e: &SilbatoError) -> &'static str {
    match e {
        SilbatoError::WrongPassphrase { .. } => "WrongPassphrase",
        SilbatoError::Locked { .. } => "Locked",
        SilbatoError::NotInitialized { .. } => "NotInitialized",
        SilbatoError::AlreadyInitialized { .. } => "AlreadyInitialized",
        SilbatoError::BadSignature { .. } => "BadSignature",
        SilbatoError::UntrustedKey { .. } => "UntrustedKey",
        SilbatoError::Rollback { .. } => "Rollback",
        SilbatoError::InvalidInput { .. } => "InvalidInput",
        SilbatoError::NotFound { .. } => "NotFound",
        SilbatoError::Corrupt { .. } => "Corrupt",
        SilbatoError::Storage { .. } => "Storage",
        SilbatoError::Network { .. } => "Network",
        SilbatoError::KeyStore { .. } => "KeyStore",
    }
}

/// A failure message: the operation and the error's variant and fixed reason (the core's
/// messages never carry user content).
fn unexpected(op: &str, e: &SilbatoError) -> String {
    format!("{op}: unexpected {} ({e})", variant(e))
}

fn pass() -> Vec<u8> {
    PASSPHRASE.as_bytes().to_vec()
}

fn sighting(n: u64) -> SightingInput {
    SightingInput {
        observed_at_ms: Utc::now().timestamp_millis() - 60_000,
        latitude: Some(41.81),
        longitude: Some(-87.66),
        accuracy_m: Some(15.0),
        place: Some(format!("Esquina {n}")),
        activity: [Activity::Raid, Activity::Patrol, Activity::Checkpoint][(n % 3) as usize],
        agency: [Agency::Ice, Agency::Cbp, Agency::Unknown][(n % 3) as usize],
        officer_count: Some(u32::try_from(n % 9).unwrap() + 1),
        vehicles: if n.is_multiple_of(4) {
            vec![VehicleInfo {
                description: Some("SUV negra".into()),
                plate: Some(format!("ABC{:04}", n % 10_000)),
                plate_state: Some("IL".into()),
            }]
        } else {
            vec![]
        },
        uniforms: None,
        badges: vec![],
        people_detained: None,
        notes: Some(format!("nota {n}")),
        confidence: Confidence::Observed,
    }
}

/// Even alerts fall on the saved place; odd ones elsewhere in the followed region.
fn alert(i: usize) -> Alert {
    let mut a = silbato_e2e::alert(&format!("conc-{i:04}"), Certainty::Likely, &[REGION]);
    if !i.is_multiple_of(2) {
        a.area.circles[0].center = Point {
            lat: 41.9500,
            lon: -87.6500,
        };
    }
    a
}

const PLACE_LABEL: &str = "Escuela";
const REGION: &str = "US-IL-CHI";

fn expected_relevance(id: &str) -> Relevance {
    let n: usize = id.trim_start_matches("conc-").parse().unwrap();
    if n.is_multiple_of(2) {
        Relevance::SavedPlace {
            label: PLACE_LABEL.into(),
        }
    } else {
        Relevance::FollowedRegion {
            code: REGION.into(),
        }
    }
}

fn at_saved_place(r: &Relevance) -> bool {
    matches!(r, Relevance::SavedPlace { .. })
}

/// What each epoch acknowledged (an epoch ends when a wipe starts, and the next begins once the
/// wipe and the user's set-up after it are done).
struct Ledger {
    wipes_started: u64,
    /// Wipes done, with the network, place and region installed again after them.
    wipes_finished: u64,
    /// Records logged in the current epoch.
    ids: Vec<String>,
    /// Amendments made in the current epoch, per record.
    amends: HashMap<String, u32>,
    /// Alert acceptances in the current epoch by operations wholly inside it, over every path.
    accepted: u64,
    /// The same by ingest and push, per alert: one inbox accepts an alert once.
    accepted_alert: Vec<u32>,
    /// Acceptances by operations that overlapped a wipe and ended after the last one began: in
    /// the current inbox, or in one the wipe destroyed.
    maybe_accepted: u64,
    /// Every acceptance, every epoch.
    accepted_all: u64,
    /// The push payloads of every alert, sealed to the current inbox's push key.
    pushes: Arc<Vec<Vec<u8>>>,
}

impl Ledger {
    fn new() -> Self {
        Ledger {
            wipes_started: 0,
            wipes_finished: 0,
            ids: Vec::new(),
            amends: HashMap::new(),
            accepted: 0,
            accepted_alert: vec![0; ALERTS],
            maybe_accepted: 0,
            accepted_all: 0,
            pushes: Arc::default(),
        }
    }

    /// The current epoch, or `None` while a wipe (or the set-up after it) is in flight.
    fn epoch(&self) -> Option<u64> {
        (self.wipes_started == self.wipes_finished).then_some(self.wipes_started)
    }

    /// Whether an operation that saw `epoch` when it was called ran wholly inside it: no wipe
    /// started, in flight or finished between its call and now.
    fn same_epoch(&self, epoch: Option<u64>) -> bool {
        epoch.is_some() && self.epoch() == epoch
    }
}

/// A report the vault queued: `inbox` is the epoch whose inbox holds it, or `None` when the
/// report call overlapped a wipe (then it may be in a wiped inbox or in the next).
struct Queued {
    id: String,
    inbox: Option<u64>,
}

struct Shared {
    silbato: Arc<Silbato>,
    net: Arc<TestNetwork>,
    hub_url: String,
    envelopes: Vec<Vec<u8>>,
    /// Card ids each query found before the threads started: every later search must agree.
    baseline: HashMap<&'static str, Vec<String>>,
    /// Cards those searches found, with the language searched: what a resident opens next.
    cards: Vec<(String, &'static str)>,
    ledger: Mutex<Ledger>,
    /// Wipes run one at a time (each checks the epoch it ends); everything else runs beside them.
    wipe_gate: Mutex<()>,
    /// The record ids at the hub when each wipe returned, in wipe order: a report of the wiped
    /// inbox not among them had not been sent, so the wipe destroyed it.
    hub_after_wipe: Mutex<Vec<HashMap<String, usize>>>,
    /// Per sync: wipes finished when it began, wipes started when it returned. A sync with
    /// `begin < w <= end` may hold the inbox wipe `w` destroyed.
    sync_spans: Mutex<Vec<(u64, u64)>>,
    stop: AtomicBool,
    /// Operations finished, all kinds: the watchdog's measure of progress.
    progress: AtomicU64,
    /// Per thread: the kind in flight plus one (0: between operations), and since when.
    in_flight: Vec<AtomicUsize>,
    in_flight_since: Vec<AtomicU64>,
    t0: Instant,
    done: Vec<AtomicU64>,
    nanos: Vec<AtomicU64>,
    locked: AtomicU64,
    not_initialized: AtomicU64,
    inits: AtomicU64,
    logs_ok: AtomicU64,
    amends_ok: AtomicU64,
    lists_checked: AtomicU64,
    /// Typed failures of operations that overlapped a wipe (a closed store, a stale push key, an
    /// alert of a network not installed again yet, a record or network gone).
    across_wipe: AtomicU64,
    /// Reports queued, with the inbox that holds them.
    reports_queued: Mutex<Vec<Queued>>,
}

impl Shared {
    fn millis(&self) -> u64 {
        u64::try_from(self.t0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

fn ledger(s: &Shared) -> MutexGuard<'_, Ledger> {
    s.ledger.lock().unwrap()
}

type OpResult = Result<(), String>;

/// The error an operation gets from a handle to an inbox a wipe destroyed: `Store::wipe` closed
/// its store, so it fails rather than write under the destroyed key.
fn wiped_store(e: &SilbatoError) -> bool {
    matches!(e, SilbatoError::Storage { code, .. } if code == "store.sqlite")
}

/// How many times each record id occurs (a record may be reported more than once).
fn count_ids<'a>(ids: impl Iterator<Item = &'a String>) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for id in ids {
        *n.entry(id.clone()).or_default() += 1;
    }
    n
}

/// A push payload sealed to the push key a wipe destroyed does not open with the new one.
fn stale_push(e: &SilbatoError) -> bool {
    matches!(e, SilbatoError::Corrupt { code, .. } if code == "crypto.decrypt")
}

/// A sync failure a sync that overlapped a wipe may report: a step on the wiped inbox's closed
/// store (the failures read `step: message`).
fn wiped_store_step(failure: &str) -> bool {
    failure.contains(": storage error (")
}

/// Counts `n` acceptances (of alert `alert`, for ingest and push) by an operation called in
/// `epoch`: in the epoch's ledger if no wipe overlapped it, else as maybe in the current inbox.
fn count_accepted(
    s: &Shared,
    op: &str,
    epoch: Option<u64>,
    alert: Option<usize>,
    n: u64,
) -> OpResult {
    let mut l = ledger(s);
    l.accepted_all += n;
    if !l.same_epoch(epoch) {
        l.maybe_accepted += n;
        return Ok(());
    }
    l.accepted += n;
    if let Some(i) = alert {
        l.accepted_alert[i] += 1;
        if l.accepted_alert[i] > 1 {
            return Err(format!("{op}: one inbox accepted an alert twice"));
        }
    }
    if l.accepted > ALERTS as u64 {
        return Err(format!(
            "{op}: one inbox accepted {} alerts of {ALERTS}",
            l.accepted
        ));
    }
    Ok(())
}

/// What the user does on a new device, and again after a panic wipe: install and confirm the
/// network, save the place, follow the region. Returns the push payloads of every alert sealed
/// to the inbox's push key, as the hub would send them.
fn set_up_inbox(
    silbato: &Silbato,
    net: &TestNetwork,
    envelopes: &[Vec<u8>],
) -> Result<Arc<Vec<Vec<u8>>>, String> {
    let op = "set-up after the wipe";
    let inbox = silbato.inbox();
    let network = inbox
        .install_network(net.profile_bytes(), Some(net.profile.fingerprint()))
        .map_err(|e| unexpected(&format!("{op} (install_network)"), &e))?;
    if !network.confirmed {
        return Err(format!("{op}: the network is not confirmed"));
    }
    inbox
        .add_place(PLACE_LABEL.into(), 41.8100, -87.6650, 300.0)
        .map_err(|e| unexpected(&format!("{op} (add_place)"), &e))?;
    inbox
        .follow_region(REGION.into())
        .map_err(|e| unexpected(&format!("{op} (follow_region)"), &e))?;
    let key: [u8; 32] = inbox
        .push_public_key()
        .map_err(|e| unexpected(&format!("{op} (push_public_key)"), &e))?
        .try_into()
        .map_err(|_| format!("{op}: a push key is not 32 bytes"))?;
    let key = SealPublicKey::from_bytes(key);
    Ok(Arc::new(
        envelopes
            .iter()
            .map(|env| silbato_core::inbox::push::seal_for_device(env, &key).unwrap())
            .collect(),
    ))
}

/// The inbox as the user set it up — the network confirmed, one saved place, the region
/// followed — holding at least `floor` alerts and at most every alert.
fn check_inbox(silbato: &Silbato, op: &str, floor: u64) -> OpResult {
    let inbox = silbato.inbox();
    let fail = |what: &str, e: &SilbatoError| unexpected(&format!("{op} ({what})"), e);
    let networks = inbox.networks().map_err(|e| fail("networks", &e))?;
    if networks.len() != 1 || !networks[0].confirmed {
        return Err(format!("{op}: the network is not installed and confirmed"));
    }
    let places = inbox.places().map_err(|e| fail("places", &e))?;
    if places.len() != 1 || places[0].label != PLACE_LABEL {
        return Err(format!("{op}: the saved place changed"));
    }
    if inbox.followed_regions().map_err(|e| fail("regions", &e))? != [REGION] {
        return Err(format!("{op}: the followed region changed"));
    }
    let held = inbox
        .history("en".into(), 10_000)
        .map_err(|e| fail("history", &e))?
        .len() as u64;
    if held < floor || held > ALERTS as u64 {
        return Err(format!(
            "{op}: the inbox holds {held} alerts, {floor} acknowledged"
        ));
    }
    Ok(())
}

/// Logs one sighting, unlocking the vault if another thread locked it, or initialising it if a
/// wipe left none.
fn log_one(s: &Shared, n: u64) -> Result<Option<String>, String> {
    let vault = s.silbato.vault();
    for _ in 0..10 {
        let epoch = ledger(s).epoch();
        match vault.log(sighting(n), vec![]) {
            Ok(r) => {
                let mut l = ledger(s);
                if epoch.is_some() && l.epoch() == epoch {
                    l.ids.push(r.id.clone());
                }
                s.logs_ok.fetch_add(1, Ordering::Relaxed);
                return Ok(Some(r.id));
            }
            // Another thread locked it: unlock, as the patroller would, and save again.
            Err(SilbatoError::Locked { .. }) => {
                s.locked.fetch_add(1, Ordering::Relaxed);
                match vault.unlock(pass()) {
                    Ok(()) | Err(SilbatoError::NotInitialized { .. }) => {}
                    Err(e) => return Err(unexpected("vault.unlock", &e)),
                }
            }
            Err(SilbatoError::NotInitialized { .. }) => {
                s.not_initialized.fetch_add(1, Ordering::Relaxed);
                match vault.init(pass()) {
                    Ok(()) => {
                        s.inits.fetch_add(1, Ordering::Relaxed);
                    }
                    // Another thread initialised it first.
                    Err(SilbatoError::AlreadyInitialized { .. }) => {}
                    Err(e) => return Err(unexpected("vault.init", &e)),
                }
            }
            // The plate check read the watch-lists of an inbox a wipe closed meanwhile.
            Err(e) if wiped_store(&e) && !ledger(s).same_epoch(epoch) => {
                s.across_wipe.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => return Err(unexpected("vault.log", &e)),
        }
    }
    // Locked or wiped again every time: other threads kept winning. Allowed, and counted above.
    Ok(None)
}

/// A record of the current epoch to amend or report (logging one if there is none yet).
fn target(s: &Shared, rng: &mut Lcg, n: u64) -> Result<Option<(Option<u64>, String)>, String> {
    {
        let l = ledger(s);
        if !l.ids.is_empty() {
            let i = usize::try_from(rng.below(l.ids.len() as u64)).unwrap();
            return Ok(Some((l.epoch(), l.ids[i].clone())));
        }
    }
    let epoch = ledger(s).epoch();
    Ok(log_one(s, n)?.map(|id| (epoch, id)))
}

/// `NotFound` for a record chosen in `epoch` is expected only once a wipe has started since.
fn not_found_ok(s: &Shared, epoch: Option<u64>) -> bool {
    let l = ledger(s);
    epoch.is_none() || l.wipes_started != epoch.unwrap()
}

/// Checks a listing against the ledger's records and amendment counts.
fn check_listing(
    op: &str,
    items: &[silbato_ffi::RecordItem],
    ids: &[String],
    amends: &HashMap<String, u32>,
) -> OpResult {
    let listed: HashMap<&str, u32> = items
        .iter()
        .map(|r| (r.id.as_str(), r.amendments))
        .collect();
    let missing = ids
        .iter()
        .filter(|id| !listed.contains_key(id.as_str()))
        .count();
    if missing > 0 {
        return Err(format!(
            "{op}: lost write: {missing} of {} acknowledged records missing",
            ids.len()
        ));
    }
    let short = amends
        .iter()
        .filter(|(id, n)| listed.get(id.as_str()).copied().unwrap_or(0) < **n)
        .count();
    if short > 0 {
        return Err(format!(
            "{op}: lost write: {short} records miss acknowledged amendments"
        ));
    }
    Ok(())
}

/// Lists the vault (unlocking it if another thread locked it) and checks it holds every record
/// of the epoch. `NotInitialized` is fine only if the epoch logged nothing.
fn verify_epoch(s: &Silbato, op: &str, ids: &[String], amends: &HashMap<String, u32>) -> OpResult {
    let vault = s.vault();
    for _ in 0..1_000 {
        match vault.list() {
            Ok(items) => return check_listing(op, &items, ids, amends),
            Err(SilbatoError::Locked { .. }) => match vault.unlock(pass()) {
                Ok(()) | Err(SilbatoError::NotInitialized { .. }) => {}
                Err(e) => return Err(unexpected(&format!("{op} (unlock)"), &e)),
            },
            Err(SilbatoError::NotInitialized { .. }) if ids.is_empty() => return Ok(()),
            Err(e) => return Err(unexpected(op, &e)),
        }
    }
    Err(format!(
        "{op}: the vault stayed locked through 1,000 unlocks"
    ))
}

/// What one thread keeps between its operations.
struct Local {
    rng: Lcg,
    /// The unread count this thread saw last, and in which epoch: alerts are only ever added to
    /// an inbox (none is marked read and none expires during the run), so it never goes down
    /// until a wipe destroys the inbox and the count starts again from nothing.
    unread: (Option<u64>, u64),
}

fn run_op(s: &Shared, kind: Kind, local: &mut Local, n: u64) -> OpResult {
    let rng = &mut local.rng;
    match kind {
        Kind::SearchEs | Kind::SearchEn => {
            let (queries, lang) = if kind == Kind::SearchEs {
                (SEARCH_ES, "es")
            } else {
                (SEARCH_EN, "en")
            };
            let q = queries[usize::try_from(rng.below(queries.len() as u64)).unwrap()];
            let hits = s
                .silbato
                .rights()
                .search(q.into(), Some(lang.into()), SEARCH_LIMIT)
                .map_err(|e| unexpected(kind.name(), &e))?;
            let ids: Vec<String> = hits.into_iter().map(|h| h.card_id).collect();
            if ids != s.baseline[q] {
                return Err(format!("{}: results changed under load", kind.name()));
            }
        }
        Kind::RightsCard => {
            let (id, lang) = &s.cards[usize::try_from(rng.below(s.cards.len() as u64)).unwrap()];
            let card = s
                .silbato
                .rights()
                .card(id.clone(), (*lang).into())
                .map_err(|e| unexpected(kind.name(), &e))?;
            if &card.id != id || card.blocks.is_empty() {
                return Err(format!("{}: wrong card", kind.name()));
            }
        }
        Kind::InboxUnread => {
            let epoch = ledger(s).epoch();
            let r = s.silbato.inbox().unread_count();
            let strict = ledger(s).same_epoch(epoch);
            let n = match r {
                Ok(n) => n,
                Err(e) if !strict && wiped_store(&e) => {
                    s.across_wipe.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) => return Err(unexpected(kind.name(), &e)),
            };
            let (seen_in, seen) = local.unread;
            if n > ALERTS as u64 || (strict && seen_in == epoch && n < seen) {
                return Err(format!("{}: {n} after {seen}", kind.name()));
            }
            if strict {
                local.unread = (epoch, n);
            }
        }
        Kind::VaultState => {
            // Never blocks behind a log, an unlock or a wipe for long, and never panics.
            let _ = s.silbato.vault().state();
        }
        Kind::Ingest | Kind::IngestPush => {
            let i = usize::try_from(rng.below(ALERTS as u64)).unwrap();
            let (epoch, pushes) = {
                let l = ledger(s);
                (l.epoch(), l.pushes.clone())
            };
            let r = if kind == Kind::Ingest {
                s.silbato
                    .inbox()
                    .ingest_alert(s.envelopes[i].clone())
                    .map(Some)
            } else {
                let lang = if n.is_multiple_of(2) { "es" } else { "en" };
                s.silbato
                    .inbox()
                    .ingest_push(pushes[i].clone(), lang.into())
                    .map(|r| r.ingest)
            };
            let strict = ledger(s).same_epoch(epoch);
            match r {
                Ok(Some(IngestResult::Accepted { .. })) => {
                    count_accepted(s, kind.name(), epoch, Some(i), 1)?;
                }
                Ok(Some(IngestResult::Duplicate { .. })) => {}
                // The alert reached the new inbox before the network was installed again.
                Ok(Some(IngestResult::Rejected { .. })) if !strict => {
                    s.across_wipe.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Some(IngestResult::Rejected { reason })) => {
                    return Err(format!("{}: rejected ({reason})", kind.name()));
                }
                Ok(None) => return Err(format!("{}: no alert in a sealed push", kind.name())),
                Err(e) if !strict && (wiped_store(&e) || stale_push(&e)) => {
                    s.across_wipe.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(unexpected(kind.name(), &e)),
            }
        }
        Kind::InboxActive => {
            let epoch = ledger(s).epoch();
            let inbox = s.silbato.inbox();
            let (places, items) = match inbox
                .places()
                .and_then(|p| Ok((p, inbox.active("en".into(), 500)?)))
            {
                Ok(r) => r,
                Err(e) if wiped_store(&e) && !ledger(s).same_epoch(epoch) => {
                    s.across_wipe.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) => return Err(unexpected(kind.name(), &e)),
            };
            // While a wipe and the set-up after it run, the place (and so the relevance) may
            // not be there yet; the ranking below holds whatever the inbox is.
            if ledger(s).same_epoch(epoch) {
                if places.len() != 1 || places[0].label != PLACE_LABEL {
                    return Err("inbox.places: the saved place changed".into());
                }
                if items
                    .iter()
                    .any(|a| a.relevance != expected_relevance(&a.id))
                {
                    return Err(format!("{}: wrong relevance", kind.name()));
                }
            } else if places.len() > 1 || places.iter().any(|p| p.label != PLACE_LABEL) {
                return Err("inbox.places: a place nobody saved".into());
            }
            // Most relevant first: every saved-place alert before any other.
            let first_other = items.iter().position(|a| !at_saved_place(&a.relevance));
            if let Some(p) = first_other
                && items[p..].iter().any(|a| at_saved_place(&a.relevance))
            {
                return Err(format!("{}: saved place not ranked first", kind.name()));
            }
        }
        Kind::VaultLog => {
            log_one(s, n)?;
        }
        Kind::VaultList => {
            let (epoch, ids, amends) = {
                let l = ledger(s);
                (l.epoch(), l.ids.clone(), l.amends.clone())
            };
            match s.silbato.vault().list() {
                Ok(items) => {
                    if epoch.is_some() && ledger(s).epoch() == epoch {
                        check_listing(kind.name(), &items, &ids, &amends)?;
                        s.lists_checked.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(SilbatoError::Locked { .. }) => {
                    s.locked.fetch_add(1, Ordering::Relaxed);
                }
                Err(SilbatoError::NotInitialized { .. }) => {
                    s.not_initialized.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(unexpected(kind.name(), &e)),
            }
        }
        Kind::VaultAmend => {
            let Some((epoch, id)) = target(s, rng, n)? else {
                return Ok(());
            };
            // Never the sighting the record holds: `target` may have just logged `sighting(n)`
            // (and the vault refuses an amendment that changes nothing), so the top bit marks
            // an amendment's.
            match s.silbato.vault().amend(
                id.clone(),
                sighting(n | 1 << 63),
                Some("corrección".into()),
            ) {
                Ok(_) => {
                    let mut l = ledger(s);
                    if epoch.is_some() && l.epoch() == epoch {
                        *l.amends.entry(id).or_default() += 1;
                    }
                    s.amends_ok.fetch_add(1, Ordering::Relaxed);
                }
                Err(SilbatoError::Locked { .. }) => {
                    s.locked.fetch_add(1, Ordering::Relaxed);
                }
                Err(SilbatoError::NotInitialized { .. }) => {
                    s.not_initialized.fetch_add(1, Ordering::Relaxed);
                }
                Err(SilbatoError::NotFound { .. }) if not_found_ok(s, epoch) => {}
                // The plate check read the watch-lists of an inbox a wipe closed meanwhile.
                Err(e) if wiped_store(&e) && !ledger(s).same_epoch(epoch) => {
                    s.across_wipe.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(unexpected(kind.name(), &e)),
            }
        }
        Kind::Report => {
            let Some((epoch, id)) = target(s, rng, n)? else {
                return Ok(());
            };
            match s.silbato.vault().report(id.clone(), "chi".into()) {
                Ok(_) => {
                    // Recorded under the ledger's lock, so a wipe that starts next sees it.
                    let l = ledger(s);
                    let inbox = if l.same_epoch(epoch) { epoch } else { None };
                    s.reports_queued.lock().unwrap().push(Queued { id, inbox });
                }
                Err(SilbatoError::Locked { .. }) => {
                    s.locked.fetch_add(1, Ordering::Relaxed);
                }
                Err(SilbatoError::NotInitialized { .. }) => {
                    s.not_initialized.fetch_add(1, Ordering::Relaxed);
                }
                // The record, or the network (not installed again yet), is gone with a wipe.
                Err(SilbatoError::NotFound { .. }) if not_found_ok(s, epoch) => {
                    s.across_wipe.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if wiped_store(&e) && !ledger(s).same_epoch(epoch) => {
                    s.across_wipe.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(unexpected(kind.name(), &e)),
            }
        }
        Kind::LockUnlock => {
            let vault = s.silbato.vault();
            vault.lock();
            match vault.unlock(pass()) {
                Ok(()) => {}
                Err(SilbatoError::NotInitialized { .. }) => {
                    s.not_initialized.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(unexpected("vault.unlock", &e)),
            }
        }
        Kind::Sync => {
            let (epoch, began) = {
                let l = ledger(s);
                (l.epoch(), l.wipes_finished)
            };
            let r = s
                .silbato
                .sync(Some(s.hub_url.clone()))
                .map_err(|e| unexpected(kind.name(), &e))?;
            let (strict, ended) = {
                let l = ledger(s);
                (l.same_epoch(epoch), l.wipes_started)
            };
            s.sync_spans.lock().unwrap().push((began, ended));
            if strict && !r.failures.is_empty() {
                return Err(format!("sync: failed steps: {:?}", r.failures));
            }
            if !r.failures.iter().all(|f| wiped_store_step(f)) {
                return Err(format!(
                    "sync across a wipe: failed steps: {:?}",
                    r.failures
                ));
            }
            if !r.failures.is_empty() {
                s.across_wipe.fetch_add(1, Ordering::Relaxed);
            }
            count_accepted(s, kind.name(), epoch, None, r.alerts_accepted)?;
        }
        Kind::Wipe => {
            let _gate = s.wipe_gate.lock().unwrap();
            // The epoch's inbox is as the user set it up, with every alert it acknowledged.
            let floor = ledger(s).accepted;
            check_inbox(&s.silbato, "vault.wipe (inbox check)", floor)?;
            let (ids, amends) = {
                let mut l = ledger(s);
                l.wipes_started += 1;
                l.accepted = 0;
                l.accepted_alert = vec![0; ALERTS];
                l.maybe_accepted = 0;
                (std::mem::take(&mut l.ids), std::mem::take(&mut l.amends))
            };
            let result = verify_epoch(&s.silbato, "vault.wipe (epoch check)", &ids, &amends)
                .and_then(|()| {
                    s.silbato
                        .vault()
                        .wipe()
                        .map(|_| ())
                        .map_err(|e| unexpected(kind.name(), &e))
                });
            // What had been sent when the wipe returned; the rest of the wiped outbox is gone.
            let sent = count_ids(reports_at_hub(&s.hub_url, &s.net.dispatchers[0]).iter());
            s.hub_after_wipe.lock().unwrap().push(sent);
            // The user sets the device up again; the hub seals pushes to the new push key.
            let set_up = result.and_then(|()| set_up_inbox(&s.silbato, &s.net, &s.envelopes));
            let mut l = ledger(s);
            if let Ok(pushes) = &set_up {
                l.pushes = pushes.clone();
            }
            l.wipes_finished += 1;
            set_up?;
        }
    }
    Ok(())
}

fn worker(s: &Shared, t: usize, ops: &[Kind]) -> OpResult {
    let mut local = Local {
        rng: Lcg(SEED ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        unread: (None, 0),
    };
    for (i, &kind) in ops.iter().enumerate() {
        if s.stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        s.in_flight_since[t].store(s.millis(), Ordering::Relaxed);
        s.in_flight[t].store(kind.index() + 1, Ordering::Relaxed);
        let start = Instant::now();
        let n = (t as u64) << 32 | i as u64;
        run_op(s, kind, &mut local, n)?;
        let k = kind.index();
        s.nanos[k].fetch_add(
            u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        s.done[k].fetch_add(1, Ordering::Relaxed);
        s.in_flight[t].store(0, Ordering::Relaxed);
        s.progress.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// The seeded plan: every kind's count, shuffled together and dealt to the threads.
fn plan() -> Vec<Vec<Kind>> {
    let mut all: Vec<Kind> = PLAN
        .iter()
        .flat_map(|(k, n)| std::iter::repeat_n(*k, usize::try_from(*n).unwrap()))
        .collect();
    let mut rng = Lcg(SEED);
    for i in (1..all.len()).rev() {
        let j = usize::try_from(rng.below(i as u64 + 1)).unwrap();
        all.swap(i, j);
    }
    let mut per: Vec<Vec<Kind>> = vec![Vec::new(); THREADS];
    for (i, k) in all.into_iter().enumerate() {
        per[i % THREADS].push(k);
    }
    per
}

fn open(dir: &std::path::Path, key_dir: &std::path::Path) -> Arc<Silbato> {
    Silbato::open(
        dir.to_str().unwrap().into(),
        SilbatoConfig {
            vault_idle_timeout_secs: 0,
            // Argon2id at 256 KiB / 1 pass instead of 64 MiB / 3: thousands of unlocks in seconds.
            insecure_fast_kdf_for_tests: true,
        },
        Arc::new(TestKeyStore(FileKeyStore::new(key_dir))),
    )
    .unwrap()
}

#[test]
fn eight_threads_share_the_core_without_deadlock_error_or_lost_write() {
    let total_planned: u64 = PLAN.iter().map(|(_, n)| n).sum();
    assert!(total_planned >= 100_000);
    assert!(
        PLAN.iter().all(|(_, n)| *n >= 40),
        "every kind runs dozens of times"
    );

    let net = Arc::new(TestNetwork::new("http://127.0.0.1"));
    let hub = net.start_hub(Gateways::none());
    let hub_url = hub.url();
    let data = tempfile::tempdir().unwrap();
    let key_dir = tempfile::tempdir().unwrap();
    let silbato = open(data.path(), key_dir.path());

    // Signed alerts made before the threads start; the hub has them all too.
    let client = HubClient::new(SyncConfig::new(&hub_url)).unwrap();
    let mut envelopes = Vec::new();
    for i in 0..ALERTS {
        let env = sign_alert(&alert(i), &[&net.dispatchers[0].signing]).unwrap();
        client.publish_alert(&env).unwrap();
        envelopes.push(env);
    }

    // The device: the network confirmed, a saved place, the region followed (and the pushes
    // sealed to its push key), the vault set up.
    let inbox = silbato.inbox();
    let pushes = set_up_inbox(&silbato, &net, &envelopes).unwrap();
    check_inbox(&silbato, "set-up", 0).unwrap();
    silbato.vault().init(pass()).unwrap();

    let rights = silbato.rights();
    let mut baseline = HashMap::new();
    let mut cards = Vec::new();
    for (queries, lang) in [(SEARCH_ES, "es"), (SEARCH_EN, "en")] {
        for q in queries {
            let ids: Vec<String> = rights
                .search((*q).into(), Some(lang.into()), SEARCH_LIMIT)
                .unwrap()
                .into_iter()
                .map(|h| h.card_id)
                .collect();
            cards.extend(ids.iter().map(|id| (id.clone(), lang)));
            baseline.insert(*q, ids);
        }
        assert!(
            queries.iter().any(|q| !baseline[q].is_empty()),
            "some {lang} query finds cards"
        );
    }

    let kinds = PLAN.len();
    let shared = Arc::new(Shared {
        silbato: silbato.clone(),
        net: net.clone(),
        hub_url: hub_url.clone(),
        envelopes,
        baseline,
        cards,
        ledger: Mutex::new(Ledger {
            pushes,
            ..Ledger::new()
        }),
        wipe_gate: Mutex::default(),
        hub_after_wipe: Mutex::default(),
        sync_spans: Mutex::default(),
        stop: AtomicBool::new(false),
        progress: AtomicU64::new(0),
        in_flight: (0..THREADS).map(|_| AtomicUsize::new(0)).collect(),
        in_flight_since: (0..THREADS).map(|_| AtomicU64::new(0)).collect(),
        t0: Instant::now(),
        done: (0..kinds).map(|_| AtomicU64::new(0)).collect(),
        nanos: (0..kinds).map(|_| AtomicU64::new(0)).collect(),
        locked: AtomicU64::new(0),
        not_initialized: AtomicU64::new(0),
        inits: AtomicU64::new(0),
        logs_ok: AtomicU64::new(0),
        amends_ok: AtomicU64::new(0),
        lists_checked: AtomicU64::new(0),
        across_wipe: AtomicU64::new(0),
        reports_queued: Mutex::default(),
    });

    // Eight threads released together; each reports its end (or its failure, or its panic).
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let (tx, rx) = mpsc::channel::<(usize, OpResult)>();
    let mut handles = Vec::new();
    for (t, ops) in plan().into_iter().enumerate() {
        let (s, b, tx) = (shared.clone(), barrier.clone(), tx.clone());
        handles.push(std::thread::spawn(move || {
            b.wait();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker(&s, t, &ops)))
                .unwrap_or_else(|p| {
                    let what = p
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(format!("panic: {what}"))
                });
            if r.is_err() {
                s.stop.store(true, Ordering::Relaxed);
            }
            let _ = tx.send((t, r));
        }));
    }
    drop(tx);
    barrier.wait();
    let start = Instant::now();

    // The watchdog: a thread that stops making progress is reported with what it was doing.
    let mut finished = 0;
    let mut failures = Vec::new();
    let (mut last_progress, mut last_change) = (0, Instant::now());
    while finished < THREADS {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok((t, r)) => {
                finished += 1;
                if let Err(e) = r {
                    failures.push(format!("thread {t}: {e}"));
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let p = shared.progress.load(Ordering::Relaxed);
        if p != last_progress {
            (last_progress, last_change) = (p, Instant::now());
        }
        let stalled = last_change.elapsed() > STALL;
        if stalled || start.elapsed() > HARD_CAP {
            let now_ms = shared.millis();
            let stuck: Vec<String> = (0..THREADS)
                .filter_map(|t| match shared.in_flight[t].load(Ordering::Relaxed) {
                    0 => None,
                    k => Some(format!(
                        "thread {t} in {} for {} ms",
                        PLAN[k - 1].0.name(),
                        now_ms.saturating_sub(shared.in_flight_since[t].load(Ordering::Relaxed))
                    )),
                })
                .collect();
            shared.stop.store(true, Ordering::Relaxed);
            panic!(
                "{}: {p} of {total_planned} operations done in {:?}; in flight: {stuck:#?}",
                if stalled {
                    format!("deadlock: no operation finished for {STALL:?}")
                } else {
                    format!("livelock: the run passed {HARD_CAP:?}")
                },
                start.elapsed()
            );
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = start.elapsed();
    assert!(failures.is_empty(), "{failures:#?}");

    // The counts: every planned operation ran.
    println!("{} threads, {:.1?}:", THREADS, elapsed);
    let mut total = 0;
    for (k, (kind, planned)) in PLAN.iter().enumerate() {
        let done = shared.done[k].load(Ordering::Relaxed);
        let avg_us = shared.nanos[k].load(Ordering::Relaxed) / done.max(1) / 1_000;
        println!("  {:<20} {done:>7}  (avg {avg_us} µs)", kind.name());
        assert_eq!(done, *planned, "{}", kind.name());
        total += done;
    }
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "  total {total}; logs ok {}, amends ok {}, lists checked {}, inits {}, Locked {}, NotInitialized {}, reports {}, typed failures across a wipe {}",
        get(&shared.logs_ok),
        get(&shared.amends_ok),
        get(&shared.lists_checked),
        get(&shared.inits),
        get(&shared.locked),
        get(&shared.not_initialized),
        shared.reports_queued.lock().unwrap().len(),
        get(&shared.across_wipe),
    );
    assert_eq!(total, total_planned);
    assert!(total >= 100_000);
    assert!(
        get(&shared.logs_ok) >= PLAN[Kind::VaultLog.index()].1 / 2,
        "most logs succeed"
    );

    // The last epoch: everything acknowledged is there. One more record first, so the checks
    // from disk below have something to find even if the run ended with a wipe.
    // It is reported too, so the last epoch has a report that must reach the hub.
    let last_record = log_one(&shared, u64::MAX).unwrap().unwrap();
    silbato
        .vault()
        .report(last_record.clone(), "chi".into())
        .unwrap();
    shared.reports_queued.lock().unwrap().push(Queued {
        id: last_record,
        inbox: ledger(&shared).epoch(),
    });
    let (ids, amends) = {
        let l = ledger(&shared);
        assert_eq!(l.wipes_started, l.wipes_finished);
        (l.ids.clone(), l.amends.clone())
    };
    verify_epoch(&silbato, "final check", &ids, &amends).unwrap();

    // Drain: the outbox empties; re-offering every alert adds exactly what nothing delivered to
    // the last epoch's inbox, and every alert is there once.
    let mut last_accepted = 0;
    let mut rounds = 0;
    loop {
        let r = silbato.sync(Some(hub_url.clone())).unwrap();
        assert!(r.failures.is_empty(), "{:?}", r.failures);
        last_accepted += r.alerts_accepted;
        if r.reports_pending == 0 {
            break;
        }
        rounds += 1;
        assert!(rounds < 10, "the outbox did not drain");
    }
    let (wipes, accepted, maybe_accepted, accepted_alert) = {
        let l = ledger(&shared);
        (
            l.wipes_finished,
            l.accepted,
            l.maybe_accepted,
            l.accepted_alert.clone(),
        )
    };
    for (i, env) in shared.envelopes.iter().enumerate() {
        if matches!(
            inbox.ingest_alert(env.clone()).unwrap(),
            IngestResult::Accepted { .. }
        ) {
            assert_eq!(
                accepted_alert[i], 0,
                "the last inbox accepted an alert twice"
            );
            last_accepted += 1;
        }
    }
    // Acceptances by operations that overlapped the last wipe may have gone to the wiped inbox.
    let last = accepted + last_accepted;
    println!(
        "  {wipes} wipes; {} alert acceptances in all; last inbox: {last} (+ up to {maybe_accepted} across the last wipe)",
        ledger(&shared).accepted_all
    );
    assert!(
        last <= ALERTS as u64 && last + maybe_accepted >= ALERTS as u64,
        "every alert accepted exactly once by the last inbox over ingest, push and sync: {last} \
         (+ up to {maybe_accepted} across the last wipe) of {ALERTS}"
    );
    let history: HashSet<String> = inbox
        .history("en".into(), 10_000)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(history.len(), ALERTS);
    check_inbox(&silbato, "final check", ALERTS as u64).unwrap();

    // Reports: what reached the hub, against what was queued and what each wipe destroyed. A
    // record may be reported more than once, so reports are counted per record; a record belongs
    // to one epoch's vault, so every report of it queued wholly inside an epoch is in that
    // epoch's inbox.
    let at_hub = reports_at_hub(&hub_url, &net.dispatchers[0]);
    let at_hub_count = count_ids(at_hub.iter());
    let queued = std::mem::take(&mut *shared.reports_queued.lock().unwrap());
    let mut per_record: HashMap<&str, (Option<u64>, usize, usize)> = HashMap::new();
    for q in &queued {
        let e = per_record.entry(q.id.as_str()).or_default();
        match q.inbox {
            Some(g) => {
                assert!(
                    e.0.is_none_or(|h| h == g),
                    "a record reported from two epochs"
                );
                e.0 = Some(g);
                e.1 += 1;
            }
            None => e.2 += 1,
        }
    }
    let hub_after_wipe = std::mem::take(&mut *shared.hub_after_wipe.lock().unwrap());
    assert_eq!(hub_after_wipe.len() as u64, wipes);
    let sync_spans = std::mem::take(&mut *shared.sync_spans.lock().unwrap());
    let (mut kept, mut sent_before_wipe, mut destroyed, mut late) = (0, 0, 0, 0);
    for (id, &n) in &at_hub_count {
        let (_, strict, across) = per_record.get(id.as_str()).copied().unwrap_or_default();
        assert!(
            n <= strict + across,
            "a report reached the hub twice, or one nobody queued"
        );
    }
    for (id, &(epoch, strict, across)) in &per_record {
        let n = at_hub_count.get(*id).copied().unwrap_or(0);
        match epoch {
            // The last inbox: the drain above sent every report of it.
            Some(g) if g == wipes => {
                assert!(
                    n >= strict,
                    "a report queued in the last epoch is not at the hub"
                );
                kept += strict;
            }
            // An inbox wipe `g + 1` destroyed: what it had not sent by then is gone for good.
            Some(g) => {
                let wipe = g + 1;
                let sent = hub_after_wipe[usize::try_from(g).unwrap()]
                    .get(*id)
                    .copied()
                    .unwrap_or(0);
                sent_before_wipe += sent.min(strict);
                destroyed += strict.saturating_sub(sent);
                let after = n.saturating_sub(sent + across);
                if after > 0 {
                    // Only a sync that held the wiped inbox across the wipe, posting what it
                    // had read from the outbox before, may deliver one now.
                    assert!(
                        sync_spans.iter().any(|&(b, e)| b < wipe && wipe <= e),
                        "a report destroyed by wipe {wipe} reached the hub after it"
                    );
                    late += after;
                    destroyed -= after.min(destroyed);
                }
            }
            None => {}
        }
    }
    println!(
        "  reports: {} at the hub; of those queued wholly inside an epoch, {kept} from the last, \
         {sent_before_wipe} sent before their wipe, {destroyed} destroyed by it, {late} posted by \
         a sync already running when the wipe began",
        at_hub.len()
    );
    assert!(kept >= 1, "the last epoch's report is at the hub");
    let at_hub = at_hub.len();

    // From disk: close everything, open again, and the last epoch is all there; the chain holds.
    drop((inbox, rights));
    drop(shared);
    let s = Arc::into_inner(silbato).expect("every handle dropped");
    drop(s);
    let again = open(data.path(), key_dir.path());
    again.vault().unlock(pass()).unwrap();
    verify_epoch(&again, "after reopening", &ids, &amends).unwrap();
    // The last inbox opens again with its key: the network, the place, the region, the alerts.
    check_inbox(&again, "after reopening", ALERTS as u64).unwrap();
    drop(again);
    let (vault, _) = Vault::open(
        data.path(),
        VaultConfig {
            kdf: silbato_core::keys::KdfParams::FAST_INSECURE,
            idle_timeout: None,
        },
        None,
    )
    .unwrap();
    vault.unlock(&Passphrase::new(PASSPHRASE.into())).unwrap();
    let chain = vault.verify_chain().unwrap();
    println!(
        "  final epoch: {} records, {} chain entries verified; {at_hub} reports at the hub",
        ids.len(),
        chain.entries
    );
    hub.shutdown();
}

/// The race `late` above counts, made to happen: a sync already sending the outbox when the panic
/// wipe begins must not go on posting the reports it read before the wipe (queued, not yet sent:
/// the wipe destroyed them). `sync::send_outbox` asks the store again right before each post, and
/// after the wipe that store is closed. Every hub response here is held 1.5 s (after the hub
/// acted), so the wipe runs while the sync waits between its first report and its second. (Found
/// by this test; before the fix, the second report reached the hub after the wipe.)
#[test]
fn h12_10_a_sync_in_flight_posts_no_report_the_wipe_destroyed() {
    let net = TestNetwork::new("http://127.0.0.1");
    let hub = net.start_hub(Gateways::none());
    let hub_url = hub.url();
    let slow = silbato_e2e::FaultProxy::start(
        &hub_url,
        silbato_e2e::Faults {
            drop_response: 0,
            duplicate_request: 0,
            error_500: 0,
            stall: 100,
            stall_for: Duration::from_millis(1_500),
        },
        SEED,
    );
    let data = tempfile::tempdir().unwrap();
    let key_dir = tempfile::tempdir().unwrap();
    let silbato = open(data.path(), key_dir.path());
    silbato
        .inbox()
        .install_network(net.profile_bytes(), Some(net.profile.fingerprint()))
        .unwrap();
    silbato.vault().init(pass()).unwrap();
    for n in 0..2 {
        let id = silbato.vault().log(sighting(n), vec![]).unwrap().id;
        silbato.vault().report(id, "chi".into()).unwrap();
    }
    let (device, url) = (silbato.clone(), slow.url());
    let sync = std::thread::spawn(move || device.sync(Some(url)));
    let start = Instant::now();
    while reports_at_hub(&hub_url, &net.dispatchers[0]).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(60), "no report sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The first report is at the hub; the sync waits for its answer, the second still queued.
    silbato.vault().wipe().unwrap();
    let sent = reports_at_hub(&hub_url, &net.dispatchers[0]).len();
    let r = sync.join().unwrap().unwrap();
    assert!(
        r.failures.iter().all(|f| wiped_store_step(f)),
        "{:?}",
        r.failures
    );
    assert_eq!(
        reports_at_hub(&hub_url, &net.dispatchers[0]).len(),
        sent,
        "a report the wipe destroyed reached the hub after it"
    );
    hub.shutdown();
}
