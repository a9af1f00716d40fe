//! The core used from eight threads at once (issue 7): rights searches (Spanish and English) and
//! card views, alert ingest (signed envelopes and sealed push payloads), the inbox's list for a
//! saved place and its unread count, vault log / list / amend / report / state, lock and unlock,
//! sync with a real hub on 127.0.0.1, and the panic wipe — a fixed, seeded mix of 100,000
//! operations (`PLAN`, shuffled with `SEED` and dealt to the threads, which a `Barrier` starts
//! together). No deadlock, no error but the expected ones, no lost write.
//!
//! Driven through `silbato-ffi`'s Rust API: the phone shells hold one `Silbato` object and call it
//! from many threads (UI, push receiver, background sync), so that object — with its shared
//! `Inner` of rights library, inbox, watch-lists and vault — is what must be safe to share. The
//! core's own types are used only to make test data (signed alerts, push payloads) before the
//! threads start, to read what reached the hub, and to verify the vault's hash chain at the end.
//! The vault uses `SilbatoConfig::insecure_fast_kdf_for_tests` (Argon2id at 256 KiB and one pass
//! instead of 64 MiB and three), so tens of thousands of unlocks fit in the run.
//!
//! What counts as a failure:
//! - Errors: only `Locked` (another thread locked the vault; the logging thread then unlocks and
//!   saves again, as a patroller would) and `NotInitialized` (right after a wipe) are expected.
//!   After a wipe, whichever thread next needs the vault initialises it again; two threads doing
//!   so at once is a race the test invites, so `init` answering `AlreadyInitialized` (someone else
//!   won) is expected too. `NotFound` for a record is expected only when a wipe started after the
//!   record was chosen. Anything else fails the test, naming the operation and the error variant
//!   (the core's messages carry no user content).
//! - Lost writes: each wipe starts a new epoch. A write (log, amend) that returned `Ok` with no
//!   wipe started or in flight between its call and its return is recorded in a ledger for its
//!   epoch. Every `list` whose call and return fall in one epoch must show every record (and at
//!   least as many amendments) recorded before it began; the wipe thread checks the whole epoch
//!   once more before it wipes; at the end the last epoch is checked, then again after the data
//!   directory is reopened from disk, and the hash chain is verified. Every alert is accepted
//!   exactly once over all paths (ingest, push, sync); every report queued reaches the hub once;
//!   searches return what they returned before the threads started; the unread count a thread
//!   sees never goes down.
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

/// Records written with no wipe overlapping them, per epoch (an epoch ends when a wipe starts).
#[derive(Default)]
struct Ledger {
    wipes_started: u64,
    wipes_finished: u64,
    /// Records logged in the current epoch.
    ids: Vec<String>,
    /// Amendments made in the current epoch, per record.
    amends: HashMap<String, u32>,
}

impl Ledger {
    /// The current epoch, or `None` while a wipe is in flight.
    fn epoch(&self) -> Option<u64> {
        (self.wipes_started == self.wipes_finished).then_some(self.wipes_started)
    }
}

struct Shared {
    silbato: Arc<Silbato>,
    hub_url: String,
    envelopes: Vec<Vec<u8>>,
    pushes: Vec<Vec<u8>>,
    /// Card ids each query found before the threads started: every later search must agree.
    baseline: HashMap<&'static str, Vec<String>>,
    /// Cards those searches found, with the language searched: what a resident opens next.
    cards: Vec<(String, &'static str)>,
    ledger: Mutex<Ledger>,
    /// Wipes run one at a time (each checks the epoch it ends); everything else runs beside them.
    wipe_gate: Mutex<()>,
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
    /// Alert acceptances over every path; each alert must be accepted exactly once.
    accepted: AtomicU64,
    accepted_direct: Vec<AtomicU64>,
    /// The record each queued report carries.
    reports_queued: Mutex<Vec<String>>,
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
    /// The unread count this thread saw last: alerts are only ever added (none is marked read
    /// and none expires during the run), so it never goes down.
    unread: u64,
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
            let n = s
                .silbato
                .inbox()
                .unread_count()
                .map_err(|e| unexpected(kind.name(), &e))?;
            if n < local.unread || n > ALERTS as u64 {
                return Err(format!("{}: {n} after {}", kind.name(), local.unread));
            }
            local.unread = n;
        }
        Kind::VaultState => {
            // Never blocks behind a log, an unlock or a wipe for long, and never panics.
            let _ = s.silbato.vault().state();
        }
        Kind::Ingest => {
            let i = usize::try_from(rng.below(ALERTS as u64)).unwrap();
            let r = s
                .silbato
                .inbox()
                .ingest_alert(s.envelopes[i].clone())
                .map_err(|e| unexpected(kind.name(), &e))?;
            match r {
                IngestResult::Accepted { .. } => {
                    s.accepted.fetch_add(1, Ordering::Relaxed);
                    s.accepted_direct[i].fetch_add(1, Ordering::Relaxed);
                }
                IngestResult::Duplicate { .. } => {}
                IngestResult::Rejected { reason } => {
                    return Err(format!("{}: rejected ({reason})", kind.name()));
                }
            }
        }
        Kind::IngestPush => {
            let i = usize::try_from(rng.below(ALERTS as u64)).unwrap();
            let lang = if n.is_multiple_of(2) { "es" } else { "en" };
            let r = s
                .silbato
                .inbox()
                .ingest_push(s.pushes[i].clone(), lang.into())
                .map_err(|e| unexpected(kind.name(), &e))?;
            match r.ingest {
                Some(IngestResult::Accepted { .. }) => {
                    s.accepted.fetch_add(1, Ordering::Relaxed);
                    s.accepted_direct[i].fetch_add(1, Ordering::Relaxed);
                }
                Some(IngestResult::Duplicate { .. }) => {}
                Some(IngestResult::Rejected { reason }) => {
                    return Err(format!("{}: rejected ({reason})", kind.name()));
                }
                None => return Err(format!("{}: no alert in a sealed push", kind.name())),
            }
        }
        Kind::InboxActive => {
            let inbox = s.silbato.inbox();
            let places = inbox.places().map_err(|e| unexpected("inbox.places", &e))?;
            if places.len() != 1 || places[0].label != PLACE_LABEL {
                return Err("inbox.places: the saved place changed".into());
            }
            let items = inbox
                .active("en".into(), 500)
                .map_err(|e| unexpected(kind.name(), &e))?;
            if items
                .iter()
                .any(|a| a.relevance != expected_relevance(&a.id))
            {
                return Err(format!("{}: wrong relevance", kind.name()));
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
            match s
                .silbato
                .vault()
                .amend(id.clone(), sighting(n), Some("corrección".into()))
            {
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
                Err(e) => return Err(unexpected(kind.name(), &e)),
            }
        }
        Kind::Report => {
            let Some((epoch, id)) = target(s, rng, n)? else {
                return Ok(());
            };
            match s.silbato.vault().report(id.clone(), "chi".into()) {
                Ok(_) => s.reports_queued.lock().unwrap().push(id),
                Err(SilbatoError::Locked { .. }) => {
                    s.locked.fetch_add(1, Ordering::Relaxed);
                }
                Err(SilbatoError::NotInitialized { .. }) => {
                    s.not_initialized.fetch_add(1, Ordering::Relaxed);
                }
                Err(SilbatoError::NotFound { .. }) if not_found_ok(s, epoch) => {}
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
            let r = s
                .silbato
                .sync(Some(s.hub_url.clone()))
                .map_err(|e| unexpected(kind.name(), &e))?;
            if !r.failures.is_empty() {
                return Err(format!("sync: failed steps: {:?}", r.failures));
            }
            s.accepted.fetch_add(r.alerts_accepted, Ordering::Relaxed);
        }
        Kind::Wipe => {
            let _gate = s.wipe_gate.lock().unwrap();
            let (ids, amends) = {
                let mut l = ledger(s);
                l.wipes_started += 1;
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
            ledger(s).wipes_finished += 1;
            result?;
        }
    }
    Ok(())
}

fn worker(s: &Shared, t: usize, ops: &[Kind]) -> OpResult {
    let mut local = Local {
        rng: Lcg(SEED ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        unread: 0,
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

    let net = TestNetwork::new("http://127.0.0.1");
    let hub = net.start_hub(Gateways::none());
    let hub_url = hub.url();
    let data = tempfile::tempdir().unwrap();
    let key_dir = tempfile::tempdir().unwrap();
    let silbato = open(data.path(), key_dir.path());

    // The device: the network confirmed, a saved place, the region followed, the vault set up.
    let inbox = silbato.inbox();
    inbox
        .install_network(net.profile_bytes(), Some(net.profile.fingerprint()))
        .unwrap();
    inbox
        .add_place(PLACE_LABEL.into(), 41.8100, -87.6650, 300.0)
        .unwrap();
    inbox.follow_region(REGION.into()).unwrap();
    silbato.vault().init(pass()).unwrap();

    // Signed alerts and sealed pushes made before the threads start; the hub has them all too.
    let client = HubClient::new(SyncConfig::new(&hub_url)).unwrap();
    let push_key: [u8; 32] = inbox.push_public_key().unwrap().try_into().unwrap();
    let push_key = SealPublicKey::from_bytes(push_key);
    let mut envelopes = Vec::new();
    let mut pushes = Vec::new();
    for i in 0..ALERTS {
        let env = sign_alert(&alert(i), &[&net.dispatchers[0].signing]).unwrap();
        client.publish_alert(&env).unwrap();
        pushes.push(silbato_core::inbox::push::seal_for_device(&env, &push_key).unwrap());
        envelopes.push(env);
    }

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
        hub_url: hub_url.clone(),
        envelopes,
        pushes,
        baseline,
        cards,
        ledger: Mutex::default(),
        wipe_gate: Mutex::default(),
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
        accepted: AtomicU64::new(0),
        accepted_direct: (0..ALERTS).map(|_| AtomicU64::new(0)).collect(),
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
        "  total {total}; logs ok {}, amends ok {}, lists checked {}, inits {}, Locked {}, NotInitialized {}, reports {}",
        get(&shared.logs_ok),
        get(&shared.amends_ok),
        get(&shared.lists_checked),
        get(&shared.inits),
        get(&shared.locked),
        get(&shared.not_initialized),
        shared.reports_queued.lock().unwrap().len(),
    );
    assert_eq!(total, total_planned);
    assert!(total >= 100_000);
    assert!(
        get(&shared.logs_ok) >= PLAN[Kind::VaultLog.index()].1 / 2,
        "most logs succeed"
    );

    // The last epoch: everything acknowledged is there. One more record first, so the checks
    // from disk below have something to find even if the run ended with a wipe.
    log_one(&shared, u64::MAX).unwrap().unwrap();
    let (ids, amends) = {
        let l = ledger(&shared);
        assert_eq!(l.wipes_started, l.wipes_finished);
        (l.ids.clone(), l.amends.clone())
    };
    verify_epoch(&silbato, "final check", &ids, &amends).unwrap();

    // Drain: the outbox empties; re-offering every alert adds exactly what nothing delivered.
    let mut rounds = 0;
    loop {
        let r = silbato.sync(Some(hub_url.clone())).unwrap();
        assert!(r.failures.is_empty(), "{:?}", r.failures);
        shared
            .accepted
            .fetch_add(r.alerts_accepted, Ordering::Relaxed);
        if r.reports_pending == 0 {
            break;
        }
        rounds += 1;
        assert!(rounds < 10, "the outbox did not drain");
    }
    for env in &shared.envelopes {
        if matches!(
            inbox.ingest_alert(env.clone()).unwrap(),
            IngestResult::Accepted { .. }
        ) {
            shared.accepted.fetch_add(1, Ordering::Relaxed);
        }
    }
    assert!(
        shared.accepted_direct.iter().all(|a| get(a) <= 1),
        "an alert was accepted twice"
    );
    assert_eq!(
        get(&shared.accepted),
        ALERTS as u64,
        "every alert accepted exactly once over ingest, push and sync"
    );
    let history: HashSet<String> = inbox
        .history("en".into(), 10_000)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(history.len(), ALERTS);

    // Every report queued reached the hub, once.
    let mut at_hub = reports_at_hub(&hub_url, &net.dispatchers[0]);
    let mut queued = shared.reports_queued.lock().unwrap().clone();
    queued.sort();
    at_hub.sort();
    assert_eq!(at_hub, queued, "every report queued is at the hub, once");
    let at_hub = at_hub.len();

    // From disk: close everything, open again, and the last epoch is all there; the chain holds.
    drop((inbox, rights));
    drop(shared);
    let s = Arc::into_inner(silbato).expect("every handle dropped");
    drop(s);
    let again = open(data.path(), key_dir.path());
    again.vault().unlock(pass()).unwrap();
    verify_epoch(&again, "after reopening", &ids, &amends).unwrap();
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
