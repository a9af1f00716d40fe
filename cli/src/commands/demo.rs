//! `silbato demo`: starts a hub on 127.0.0.1 and walks the three journeys with narration — a
//! resident reads a card offline; a patroller logs and reports a sighting; a dispatcher opens it
//! and two dispatchers sign an alert; a family's device with a place nearby receives it through
//! push and shows it, while a device far away does not.
//!
//! Owns: the demo's throwaway network (made with `silbato-testkit`'s builders, as the tests make
//! theirs: its keys come from public labels, which is fine for a network that lives on loopback
//! for one run and never for a real one), devices and narration; running the real `silbato-hub`
//! binary as a child process (found through `SILBATO_HUB_BIN`, else beside this executable, else
//! on `PATH`) with a configuration file it writes, learning the port from the hub's "listening"
//! log line and waiting until the hub answers; and a loopback Web Push receiver (plain HTTP/1.1 on
//! a thread) that stands in for a UnifiedPush distributor, so the hub's real fan-out path and
//! Web Push gateway run.
//!
//! Must never: link the hub (axum, tokio) into this binary; listen on or send to anything but
//! 127.0.0.1; leave the hub running or the temporary directory behind (the child is killed and
//! reaped by a guard on success, error and panic); put an endpoint, a place or a key into an
//! error.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{Duration as ChronoDuration, Utc};
use silbato_core::inbox::push::PushOutcome;
use silbato_core::inbox::{Inbox, IngestOutcome};
use silbato_core::keys::{FileKeyStore, KdfParams, Passphrase};
use silbato_core::protocol::{self, PushProvider};
use silbato_core::rights::{RightsLibrary, SearchOptions};
use silbato_core::sync::{
    HubClient, SyncConfig, SyncTargets, queue_sighting_report, subscription_for, sync,
};
use silbato_core::vault::{Activity, Agency, Confidence, Sighting, Vault, VaultConfig, Vehicle};
use silbato_core::watchlist::Watchlists;
use silbato_testkit::NetworkBuilder;

use super::Ctx;

/// Overrides where the hub binary is looked for.
const HUB_BIN_ENV: &str = "SILBATO_HUB_BIN";
const HUB_NAME: &str = "silbato-hub";
/// How long the hub may take to say where it listens (it verifies documents and opens its
/// database first).
const HUB_START_TIMEOUT: Duration = Duration::from_secs(30);
/// Readiness checks once the address is known: tries, and the pause between them.
const READY_TRIES: u32 = 50;
const READY_PAUSE: Duration = Duration::from_millis(100);
/// Connect, read and write timeout of one loopback request (readiness check, one push).
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for the hub's fan-out to reach the push receiver.
const FANOUT_WAIT: Duration = Duration::from_secs(10);
/// Largest push body the receiver takes (push services carry about 4 KB).
const MAX_PUSH_BYTES: usize = 64 * 1024;
/// Largest request line or header line the receiver reads, and most header lines.
const MAX_LINE_BYTES: u64 = 8 * 1024;
const MAX_HEADERS: usize = 100;
/// The hub's configuration, written beside the profile; paths are relative to its directory.
const HUB_TOML: &str = "listen = \"127.0.0.1:0\"\ndata_dir = \"hub\"\nnetwork_profile = \"profile.json\"\n\n[push]\nwebpush = true\ntimeout_secs = 5\n\n[egress]\nallow_private_endpoints = true\n";

/// Pushes received, as (device, body): the device is the last segment of `/push/<device>`.
type Pushes = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

fn e(x: impl std::fmt::Display) -> String {
    x.to_string()
}

// ---- the hub, as a child process ----

/// `SILBATO_HUB_BIN` if set, else `silbato-hub` beside this executable, else on `PATH`.
fn find_hub() -> Result<PathBuf, String> {
    let build = "build it with `cargo build -p silbato-hub`";
    if let Some(path) = std::env::var_os(HUB_BIN_ENV).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{HUB_BIN_ENV} does not name a {HUB_NAME} binary; {build}"
            ))
        };
    }
    let file = format!("{HUB_NAME}{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&file)));
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|dir| dir.join(&file))
                .collect()
        })
        .unwrap_or_default();
    beside
        .into_iter()
        .chain(on_path)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "the demo runs the {HUB_NAME} binary, which is neither beside silbato nor on PATH; {build} (or set {HUB_BIN_ENV} to its path)"
            )
        })
}

/// A running `silbato-hub` child. Dropping it kills the child, reaps it, and joins the thread
/// that drains its log, so no hub outlives the demo whatever way the demo ends.
struct HubProcess {
    child: Child,
    log: Option<JoinHandle<()>>,
    url: String,
}

impl HubProcess {
    /// Starts `bin --config config`, learns its address from its log, and waits until it answers.
    fn start(bin: &Path, config: &Path) -> Result<HubProcess, String> {
        let mut cmd = Command::new(bin);
        cmd.arg("--config")
            .arg(config)
            // The listening line is logged at info, whatever the user's RUST_LOG says.
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // The hub only pushes to this machine's loopback receiver: never through a proxy.
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .spawn()
            .map_err(|err| format!("cannot start {HUB_NAME}: {err}"))?;
        let stderr = child.stderr.take();
        // From here on the guard owns the child: every early return kills it.
        let mut hub = HubProcess {
            child,
            log: None,
            url: String::new(),
        };
        let stderr = stderr.ok_or_else(|| format!("cannot read the log of {HUB_NAME}"))?;
        let (tx, rx) = mpsc::channel();
        hub.log = Some(
            std::thread::Builder::new()
                .name("silbato-hub-log".into())
                .spawn(move || drain_log(stderr, tx))
                .map_err(e)?,
        );
        let addr = match rx.recv_timeout(HUB_START_TIMEOUT) {
            Ok(addr) => addr,
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(hub.exited()),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!("{HUB_NAME} did not say where it listens in time"));
            }
        };
        hub.wait_ready(addr)?;
        hub.url = format!("http://{addr}");
        Ok(hub)
    }

    fn exited(&mut self) -> String {
        match self.child.try_wait() {
            Ok(Some(status)) => format!("{HUB_NAME} stopped before it was ready ({status})"),
            _ => format!("{HUB_NAME} stopped logging before it was ready"),
        }
    }

    /// Polls `GET /v1/network` until it answers 200, a bounded number of times.
    fn wait_ready(&mut self, addr: SocketAddr) -> Result<(), String> {
        for _ in 0..READY_TRIES {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Err(self.exited());
            }
            if get_status(addr, "/v1/network").is_ok_and(|status| status == 200) {
                return Ok(());
            }
            std::thread::sleep(READY_PAUSE);
        }
        Err(format!("{HUB_NAME} did not answer in time"))
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        // Fails only if the child already exited; wait() reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(log) = self.log.take() {
            let _ = log.join();
        }
    }
}

/// Reads the hub's log to its end, sending the address from the "listening" line once; the rest
/// is dropped (it must still be read, or the hub would block on a full pipe).
fn drain_log(stderr: impl Read, tx: mpsc::Sender<SocketAddr>) {
    let mut tx = Some(tx);
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if tx.is_some()
            && let Some(addr) = listening_addr(&String::from_utf8_lossy(&line))
            && let Some(tx) = tx.take()
        {
            let _ = tx.send(addr);
        }
    }
}

/// The address in the hub's `silbato-hub listening addr=127.0.0.1:PORT` log line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    if !line.contains("listening") {
        return None;
    }
    let rest = line.split("addr=").nth(1)?;
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']'))
        .collect();
    token
        .parse::<SocketAddr>()
        .ok()
        .filter(|a| a.ip().is_loopback())
}

/// One plain HTTP/1.1 GET on loopback; the status code.
fn get_status(addr: SocketAddr, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut status_line = String::new();
    BufReader::new(stream)
        .take(MAX_LINE_BYTES)
        .read_line(&mut status_line)?;
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP answer"))
}

// ---- the push provider, as a loopback receiver ----

/// Stands in for a UnifiedPush distributor: records every body POSTed to `/push/<device>` and
/// answers `201 Created`, as RFC 8030 push services do. Stops its thread when dropped.
struct PushReceiver {
    addr: SocketAddr,
    pushes: Pushes,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PushReceiver {
    fn start() -> Result<PushReceiver, String> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(e)?;
        let addr = listener.local_addr().map_err(e)?;
        let pushes: Pushes = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (recorded, stopping) = (pushes.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("silbato-demo-push".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // A broken request only costs that request.
                        let _ = serve_push(stream, &recorded);
                    }
                }
            })
            .map_err(e)?;
        Ok(PushReceiver {
            addr,
            pushes,
            stop,
            thread: Some(thread),
        })
    }

    fn endpoint(&self, device: &str) -> String {
        format!("http://{}/push/{device}", self.addr)
    }

    fn received(&self) -> Vec<(String, Vec<u8>)> {
        self.pushes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Forgets what arrived so far (the confirmations), so what follows counts only alerts.
    fn clear(&self) {
        self.pushes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// Waits until at least `count` pushes arrived, or `timeout`.
    fn wait_for(&self, count: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while (self.received().len() as u64) < count && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PushReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request (request line, headers, a Content-Length body) and answers it.
fn serve_push(stream: TcpStream, pushes: &Pushes) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(&stream);
    let read_line = |reader: &mut BufReader<&TcpStream>| -> std::io::Result<String> {
        let mut line = String::new();
        reader.by_ref().take(MAX_LINE_BYTES).read_line(&mut line)?;
        Ok(line.trim_end().to_owned())
    };
    let request = read_line(&mut reader)?;
    let mut length: Option<usize> = None;
    let mut headers = 0;
    loop {
        let line = read_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        headers += 1;
        if headers > MAX_HEADERS {
            return answer(&stream, "431 Request Header Fields Too Large");
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
    let mut parts = request.split_whitespace();
    let device = match (parts.next(), parts.next()) {
        (Some("POST"), Some(path)) => path.strip_prefix("/push/").map(str::to_owned),
        _ => None,
    };
    let Some(device) = device.filter(|d| !d.is_empty() && !d.contains('/')) else {
        return answer(&stream, "404 Not Found");
    };
    let Some(length) = length else {
        return answer(&stream, "411 Length Required");
    };
    if length > MAX_PUSH_BYTES {
        return answer(&stream, "413 Content Too Large");
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    pushes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((device, body));
    answer(&stream, "201 Created")
}

fn answer(mut stream: &TcpStream, status: &str) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    stream.flush()
}

// ---- the journeys ----

struct Narrator<'a> {
    ctx: &'a Ctx,
    steps: Vec<serde_json::Value>,
}

impl Narrator<'_> {
    fn chapter(&self, title: &str) {
        if !self.ctx.out.json {
            self.ctx.out.blank();
            self.ctx.out.heading(title);
        }
    }

    fn say(&mut self, text: &str) {
        if !self.ctx.out.json {
            self.ctx.out.para(text, "  ");
        }
        self.steps.push(serde_json::Value::String(text.to_owned()));
    }
}

pub fn demo(ctx: &Ctx) -> Result<(), String> {
    let mut n = Narrator {
        ctx,
        steps: Vec::new(),
    };
    let tmp = std::env::temp_dir().join(format!("silbato-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(e)?;
    let result = run(&mut n, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    result?;
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "ok": true, "steps": n.steps }))?;
    }
    Ok(())
}

fn device(dir: &Path, profile: &[u8], fingerprint: &str) -> Result<(RightsLibrary, Inbox), String> {
    let (rights, _) = RightsLibrary::open(dir).map_err(e)?;
    let inbox = Inbox::open(dir, &FileKeyStore::new(dir)).map_err(e)?;
    inbox
        .install_network(profile, Some(fingerprint))
        .map_err(e)?;
    Ok((rights, inbox))
}

fn run(n: &mut Narrator<'_>, tmp: &Path) -> Result<(), String> {
    let hub_bin = find_hub()?;
    // ---- the network and its hub ----
    n.chapter("A network and its hub");
    // One root key; dispatchers Ana and Luis, valid from an hour ago for a day, with report
    // keys; regions Chicago and Los Angeles; no publisher.
    let now = Utc::now();
    let net = NetworkBuilder::new("demo")
        .name("Demo Rapid Response")
        .hub_url("http://127.0.0.1")
        .now(now)
        .region("US-CA-LA", "Los Angeles")
        .publishers(0)
        .dispatcher_window(-ChronoDuration::hours(1), ChronoDuration::days(1))
        .build();
    let (profile, profile_bytes) = (&net.profile, &net.envelope);
    let (ana, luis) = (&net.dispatchers[0], &net.dispatchers[1]);
    let profile_path = tmp.join("profile.json");
    std::fs::write(&profile_path, profile_bytes).map_err(e)?;
    let config_path = tmp.join("hub.toml");
    std::fs::write(&config_path, HUB_TOML).map_err(e)?;
    let pushes = PushReceiver::start()?;
    let hub = HubProcess::start(&hub_bin, &config_path)?;
    let url = hub.url.clone();
    n.say(&format!("The hub listens on {url}. Its network, \"{}\", has two dispatchers, Ana and Luis; an alert reported as observed needs both of their signatures.", profile.name));
    n.say(&format!("Devices install the network's signed profile and compare its fingerprint, {}, with the organizer's.", profile.fingerprint()));

    // ---- a resident, offline ----
    n.chapter("1. A resident reads a card, offline");
    let (rights, _) = RightsLibrary::open(&tmp.join("resident")).map_err(e)?;
    let hits = rights
        .search(
            "policia puerta",
            &SearchOptions {
                lang: Some("es".into()),
                limit: 1,
            },
        )
        .map_err(e)?;
    let card_id = hits
        .first()
        .map(|h| h.card_id.clone())
        .ok_or("the bundled cards did not match")?;
    let card = rights.card(&card_id, "es").map_err(e)?;
    n.say(&format!(
        "No network needed: searching \"policia puerta\" (no accent) finds \"{}\".",
        card.title
    ));
    if let Some(first) = card.say.first() {
        n.say(&format!("What to say: {first}"));
    }
    n.say(&format!(
        "Card to show through the door: {}",
        card.show_agent.lines().next().unwrap_or_default()
    ));

    // ---- a patroller ----
    n.chapter("2. A patroller logs and reports a sighting");
    let pdir = tmp.join("patroller");
    let (prights, pinbox) = device(&pdir, profile_bytes, &profile.fingerprint())?;
    let (vault, _) = Vault::open(
        &pdir,
        VaultConfig {
            kdf: KdfParams::FAST_INSECURE,
            idle_timeout: None,
        },
        None,
    )
    .map_err(e)?;
    vault
        .init(&Passphrase::new("demo passphrase only".into()))
        .map_err(e)?;
    let mut s = Sighting::new(
        now - ChronoDuration::minutes(4),
        Activity::Raid,
        Agency::Ice,
        Confidence::Observed,
    );
    s.place = Some("Hardware store parking lot, 47th St".into());
    s.officer_count = Some(8);
    s.people_detained = Some(2);
    s.vehicles.push(Vehicle {
        description: Some("grey SUV".into()),
        plate: Some("ABC 1234".into()),
        plate_state: Some("IL".into()),
    });
    let record = vault.log(s, &[], None).map_err(e)?;
    n.say("The sighting goes into the encrypted vault: a signed, hash-chained entry that a lawyer can later verify.");
    queue_sighting_report(&vault, &pinbox, &record.id, "demo", Utc::now()).map_err(e)?;
    let watch = Watchlists::with_store(pinbox.store().clone());
    let client = HubClient::new(SyncConfig::new(&url)).map_err(e)?;
    let report = sync(
        &client,
        &SyncTargets {
            inbox: &pinbox,
            rights: &prights,
            watchlists: &watch,
        },
        Utc::now(),
    );
    n.say(&format!(
        "Reporting seals it to the dispatchers' keys at once; the sync delivers it ({} sent). The hub stores ciphertext it cannot read.",
        report.reports_sent
    ));

    // ---- dispatchers ----
    n.chapter("3. Dispatchers open the report and sign an alert");
    let page = client
        .reports_page(&ana.signing, "0", Utc::now())
        .map_err(e)?;
    let item = page.reports.first().ok_or("no report reached the hub")?;
    let opened = protocol::open_report(
        &protocol::unb64(&item.sealed).ok_or("bad report")?,
        &ana.seal,
    )
    .map_err(e)?;
    n.say(&format!(
        "Ana's key opens it: {} officers, {} detained, at \"{}\".",
        opened.sighting.officer_count.unwrap_or(0),
        opened.sighting.people_detained.unwrap_or(0),
        opened.sighting.place.unwrap_or_default()
    ));
    // Testkit's raid alert over 47th and Ashland (800 m) and Chicago, sent five seconds ago for
    // two hours, observed: it needs both signatures.
    let alert = net
        .alert("demo-raid-1")
        .now(Utc::now())
        .sent_ago(ChronoDuration::seconds(5))
        .text("en", "ICE agents at 47th St hardware store")
        .description("en", Some("Confirmed by two patrollers. Avoid the area."))
        .instruction("en", Some("You have the right to remain silent."))
        .text("es", "Agentes de ICE en la ferretería de la calle 47")
        .instruction("es", Some("Tiene derecho a guardar silencio."));

    // ---- families subscribe ----
    let near_dir = tmp.join("family-near");
    let (_, near) = device(&near_dir, profile_bytes, &profile.fingerprint())?;
    near.add_place("Kids' school", 41.8100, -87.6650, 300.0)
        .map_err(e)?;
    near.follow_region("US-IL-CHI").map_err(e)?;
    let far_dir = tmp.join("family-far");
    let (_, far) = device(&far_dir, profile_bytes, &profile.fingerprint())?;
    far.add_place("Home", 34.05, -118.24, 300.0).map_err(e)?;
    far.follow_region("US-CA-LA").map_err(e)?;
    // Each subscription is signed by the phone's subscription key and counts once the phone
    // echoes the challenge of the hub's confirmation push (protocol v1, "Push subscriptions").
    for (inbox, name) in [(&near, "near"), (&far, "far")] {
        let endpoint = pushes.endpoint(name);
        let key = inbox.push_signing_key().map_err(e)?;
        client
            .subscribe_signed(
                &subscription_for(inbox, PushProvider::Webpush, &endpoint, &[]).map_err(e)?,
                &key,
                Utc::now(),
            )
            .map_err(e)?;
        let before = pushes.received().len() as u64;
        pushes.wait_for(before + 1, FANOUT_WAIT);
        let (_, confirmation) = pushes
            .received()
            .into_iter()
            .rfind(|(device, _)| device == name)
            .ok_or("the hub sent no confirmation push")?;
        inbox
            .ingest_push(&confirmation, "en", Utc::now())
            .map_err(e)?;
        for challenge in inbox.pending_push_challenges(Utc::now()).map_err(e)? {
            client
                .confirm_push(&endpoint, &challenge, &key, Utc::now())
                .map_err(e)?;
            inbox.forget_push_challenge(&challenge).map_err(e)?;
        }
    }
    n.say("Both phones confirm their push subscriptions by echoing the hub's confirmation push.");
    pushes.clear();

    let one = alert.sign(&[&ana.signing]).map_err(e)?;
    match client.publish_alert(&one) {
        Err(err) => n.say(&format!(
            "Ana alone publishes it as observed: the hub refuses ({err})."
        )),
        Ok(_) => return Err("the hub accepted an observed alert with one signature".into()),
    }
    let both = alert.sign(&[&ana.signing, &luis.signing]).map_err(e)?;
    let posted = client.publish_alert(&both).map_err(e)?;
    n.say(&format!(
        "Luis checks it and signs too: accepted, pushed to {} device(s) following Chicago.",
        posted.fanout
    ));
    pushes.wait_for(posted.fanout, FANOUT_WAIT);

    // ---- families ----
    n.chapter("4. A family near the school is alerted; one far away is not");
    let got = pushes.received();
    let for_near: Vec<_> = got.iter().filter(|(device, _)| device == "near").collect();
    let for_far = got.iter().filter(|(device, _)| device == "far").count();
    let (_, payload) = for_near.first().ok_or("the nearby family got no push")?;
    n.say(&format!(
        "The push provider carried {} bytes of ciphertext sealed to the family's phone.",
        payload.len()
    ));
    match near.ingest_push(payload, "es", Utc::now()).map_err(e)? {
        PushOutcome::Alert {
            outcome: IngestOutcome::Accepted { .. },
            notification: Some(note),
        } => {
            n.say(&format!(
                "The phone verifies both signatures and shows a generic notification: \"{}\".",
                note.body
            ));
        }
        other => return Err(format!("unexpected push outcome: {other:?}")),
    }
    let shown = near.active("es", Utc::now(), 5).map_err(e)?;
    let top = shown.first().ok_or("the alert is not in the inbox")?;
    let why = match &top.relevance {
        silbato_core::inbox::Relevance::SavedPlace { label } => {
            format!("near your saved place \"{label}\"")
        }
        silbato_core::inbox::Relevance::FollowedRegion { code } => {
            format!("in {code}, which you follow")
        }
        silbato_core::inbox::Relevance::Elsewhere => "elsewhere".to_owned(),
    };
    n.say(&format!(
        "Opening the app: \"{}\", first in the list because it is {why}. That was worked out on the phone; the school's location never left it.",
        top.headline
    ));

    n.say(&format!(
        "The family in Los Angeles received {for_far} pushes for it."
    ));
    drop(hub);
    drop(pushes);
    n.chapter("Done");
    n.say("Everything ran on 127.0.0.1 in a temporary directory, now deleted.");
    Ok(())
}
