//! `silbato vault ...`, `plates ...` and `watchlist ...`: the patroller's log and plate checks.
//!
//! Passphrases come from a no-echo prompt or, for scripts, from standard input
//! (`--passphrase-stdin`), never from an argument. Nothing typed into a record is ever printed to
//! stderr.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, LocalResult, NaiveDateTime, TimeZone, Utc};
use clap::{Args, ValueEnum};
use silbato_core::crypto::PublicKey;
use silbato_core::keys::{KdfParams, Passphrase};
use silbato_core::seal::{SealPublicKey, SealSecretKey};
use silbato_core::vault::export::{ExportTarget, verify_export};
use silbato_core::vault::media::MAX_IMAGE_BYTES;
use silbato_core::vault::{
    Activity, Agency, Confidence, DamagedInfo, Location, RecordView, Sighting, Vault, VaultConfig,
    VaultError, VaultState, Vehicle, days_ago,
};
use silbato_core::watchlist::{
    MAX_WATCHLIST_BYTES, WatchHit, WatchlistError, WatchlistPayload, Watchlists, entries_from_csv,
    sign_watchlist_with,
};

use super::{Ctx, read_bounded};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ActivityArg {
    Arrest,
    Raid,
    Checkpoint,
    Patrol,
    Staging,
    Surveillance,
    Other,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AgencyArg {
    Ice,
    #[value(alias = "border-patrol")]
    Cbp,
    Hsi,
    #[value(alias = "police")]
    LocalPolice,
    Unknown,
    Other,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConfidenceArg {
    Observed,
    Likely,
    Unconfirmed,
}

impl From<ActivityArg> for Activity {
    fn from(a: ActivityArg) -> Self {
        match a {
            ActivityArg::Arrest => Activity::Arrest,
            ActivityArg::Raid => Activity::Raid,
            ActivityArg::Checkpoint => Activity::Checkpoint,
            ActivityArg::Patrol => Activity::Patrol,
            ActivityArg::Staging => Activity::Staging,
            ActivityArg::Surveillance => Activity::Surveillance,
            ActivityArg::Other => Activity::Other,
        }
    }
}

impl From<AgencyArg> for Agency {
    fn from(a: AgencyArg) -> Self {
        match a {
            AgencyArg::Ice => Agency::Ice,
            AgencyArg::Cbp => Agency::Cbp,
            AgencyArg::Hsi => Agency::Hsi,
            AgencyArg::LocalPolice => Agency::LocalPolice,
            AgencyArg::Unknown => Agency::Unknown,
            AgencyArg::Other => Agency::Other,
        }
    }
}

impl From<ConfidenceArg> for Confidence {
    fn from(c: ConfidenceArg) -> Self {
        match c {
            ConfidenceArg::Observed => Confidence::Observed,
            ConfidenceArg::Likely => Confidence::Likely,
            ConfidenceArg::Unconfirmed => Confidence::Unconfirmed,
        }
    }
}

/// Every field of a sighting as a flag. On `log`, unset fields stay empty; on `amend`, unset
/// fields keep their current value.
#[derive(Debug, Args)]
pub struct SightingArgs {
    /// When it was seen: RFC 3339, "YYYY-MM-DD HH:MM" (local time), "now", or "-15m" / "-2h".
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    at: Option<String>,
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    lat: Option<f64>,
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    lon: Option<f64>,
    /// Location accuracy in metres.
    #[arg(long, value_name = "M")]
    accuracy: Option<f64>,
    /// The place in words.
    #[arg(long)]
    place: Option<String>,
    #[arg(long, value_enum)]
    activity: Option<ActivityArg>,
    #[arg(long, value_enum)]
    agency: Option<AgencyArg>,
    /// Number of officers seen.
    #[arg(long, value_name = "N")]
    officers: Option<u32>,
    /// A vehicle's description; repeat for several vehicles (paired by position with --plate).
    #[arg(long = "vehicle", value_name = "DESC")]
    vehicles: Vec<String>,
    /// A plate (partial plates welcome, `?` for an unknown character); repeat per vehicle.
    #[arg(long = "plate", value_name = "PLATE")]
    plates: Vec<String>,
    /// The state of the plate at the same position, e.g. IL (needs --plate).
    #[arg(long = "plate-state", value_name = "ST", requires = "plates")]
    plate_states: Vec<String>,
    /// Uniforms and equipment.
    #[arg(long)]
    uniforms: Option<String>,
    /// A badge number or name seen; repeat for several.
    #[arg(long = "badge")]
    badges: Vec<String>,
    /// Number of people detained.
    #[arg(long, value_name = "N")]
    detained: Option<u32>,
    #[arg(long)]
    notes: Option<String>,
    /// A JPEG or PNG photo; its metadata (EXIF, GPS, XMP, comments) is stripped. Repeatable.
    #[arg(long = "photo", value_name = "FILE")]
    photos: Vec<PathBuf>,
    #[arg(long, value_enum)]
    confidence: Option<ConfidenceArg>,
}

#[derive(Debug, Args)]
pub struct PassArgs {
    /// Read the passphrase from standard input (first line) instead of prompting.
    #[arg(long)]
    passphrase_stdin: bool,
}

#[derive(Debug, Args)]
pub struct KdfArgs {
    /// Tests only: a KDF cost of milliseconds instead of about a second. Never for real data.
    #[arg(long, hide = true)]
    insecure_fast_kdf: bool,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

const NO_SUCH_LOCAL_TIME: &str = "that local time does not exist in this time zone (the clocks \
    skipped it for daylight saving time); give the time with its UTC offset, \
    e.g. 2026-03-08T03:30:00-04:00";
const TWICE_LOCAL_TIME: &str = "that local time happened twice in this time zone (the clocks went \
    back for daylight saving time); give the time with its UTC offset, e.g. 2026-11-01T01:30:00-05:00";

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(Utc::now());
    }
    if let Some(rel) = t.strip_prefix('-') {
        let (num, unit) =
            rel.split_at(rel.find(|c: char| !c.is_ascii_digit()).unwrap_or(rel.len()));
        let n: i64 = num
            .parse()
            .map_err(|_| "a relative time looks like -15m or -2h".to_owned())?;
        let d = match unit {
            "m" | "min" => chrono::Duration::minutes(n),
            "h" => chrono::Duration::hours(n),
            "d" => chrono::Duration::days(n),
            _ => return Err("a relative time looks like -15m or -2h".into()),
        };
        return Ok(Utc::now() - d);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(t) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").map_err(|_| {
        "times look like 2026-11-21T09:30:00-06:00, \"2026-11-21 09:30\", now, or -15m".to_owned()
    })?;
    match Local.from_local_datetime(&naive) {
        LocalResult::Single(l) => Ok(l.with_timezone(&Utc)),
        // Never pick one: the record would hold a time nobody saw.
        LocalResult::None => Err(NO_SUCH_LOCAL_TIME.into()),
        LocalResult::Ambiguous(..) => Err(TWICE_LOCAL_TIME.into()),
    }
}

fn read_photos(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    paths
        .iter()
        .map(|p| read_bounded(p, MAX_IMAGE_BYTES))
        .collect()
}

impl SightingArgs {
    /// Applies the flags given onto `s`.
    fn apply(&self, s: &mut Sighting) -> Result<(), String> {
        if let Some(at) = &self.at {
            s.observed_at = parse_time(at)?;
        }
        if let (Some(lat), Some(lon)) = (self.lat, self.lon) {
            s.location = Some(Location {
                lat,
                lon,
                accuracy_m: self.accuracy,
            });
        }
        if let Some(v) = &self.place {
            s.place = Some(v.clone());
        }
        if let Some(a) = self.activity {
            s.activity = a.into();
        }
        if let Some(a) = self.agency {
            s.agency = a.into();
        }
        if let Some(n) = self.officers {
            s.officer_count = Some(n);
        }
        let n = self.vehicles.len().max(self.plates.len());
        if n > 0 {
            s.vehicles = (0..n)
                .map(|i| Vehicle {
                    description: self.vehicles.get(i).cloned(),
                    plate: self.plates.get(i).cloned(),
                    plate_state: self
                        .plate_states
                        .get(i)
                        .map(|s| s.trim().to_ascii_uppercase()),
                })
                .collect();
        }
        if let Some(v) = &self.uniforms {
            s.uniforms = Some(v.clone());
        }
        if !self.badges.is_empty() {
            s.badges = self.badges.clone();
        }
        if let Some(n) = self.detained {
            s.people_detained = Some(n);
        }
        if let Some(v) = &self.notes {
            s.notes = Some(v.clone());
        }
        if let Some(c) = self.confidence {
            s.confidence = c.into();
        }
        Ok(())
    }
}

/// Reads passphrases: `count` lines from stdin, or prompts without echo.
fn passphrases(args: &PassArgs, prompts: &[&str]) -> Result<Vec<Passphrase>, String> {
    if args.passphrase_stdin {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        let mut out = Vec::new();
        for _ in prompts {
            let mut line = zeroize::Zeroizing::new(String::new());
            lock.read_line(&mut line)
                .map_err(|_| "cannot read the passphrase from standard input".to_owned())?;
            let trimmed = line.trim_end_matches(['\n', '\r']).to_owned();
            if trimmed.is_empty() {
                return Err("no passphrase on standard input".into());
            }
            out.push(Passphrase::new(trimmed));
        }
        return Ok(out);
    }
    prompts
        .iter()
        .map(|p| {
            rpassword::prompt_password(*p)
                .map(Passphrase::new)
                .map_err(|_| {
                    "cannot read a passphrase from the terminal (use --passphrase-stdin in scripts)"
                        .to_owned()
                })
        })
        .collect()
}

fn config(kdf: Option<&KdfArgs>) -> VaultConfig {
    let fast = kdf.is_some_and(|k| k.insecure_fast_kdf);
    VaultConfig {
        kdf: if fast {
            KdfParams::FAST_INSECURE
        } else {
            KdfParams::DEFAULT
        },
        idle_timeout: None,
    }
}

/// Tells the user (on stderr) that a damaged `vault.db` was moved aside.
pub fn tell_moved_aside(aside: &Path) {
    eprintln!(
        "silbato: vault.db was damaged; it was moved aside to {} and a new log was started",
        aside.display()
    );
}

fn open_vault(ctx: &Ctx, kdf: Option<&KdfArgs>) -> Result<Vault, String> {
    let (vault, report) = Vault::open(&ctx.data_dir()?, config(kdf), None).map_err(err)?;
    if let Some(aside) = report.moved_aside {
        tell_moved_aside(&aside);
    }
    Ok(vault)
}

pub fn unlocked(ctx: &Ctx, pass: &PassArgs) -> Result<Vault, String> {
    let vault = open_vault(ctx, None)?;
    unlock(&vault, pass)?;
    Ok(vault)
}

/// Unlocks `vault` with the passphrase (prompted, or from stdin); the passphrase is dropped here.
pub fn unlock(vault: &Vault, pass: &PassArgs) -> Result<(), String> {
    if vault.key_file_missing() {
        return Err(key_file_missing());
    }
    if vault.state() == VaultState::NotInitialized {
        return Err("no vault here yet: run `silbato vault init` first".into());
    }
    let p = passphrases(pass, &["Vault passphrase: "])?;
    let first = p.first().ok_or("no passphrase")?;
    vault.unlock(first).map_err(err)
}

/// `vault.db` is here but `vault.keys` is not: what happened, and the two ways out.
fn key_file_missing() -> String {
    format!(
        "{} (to restore: put the vault.keys from your backup back in the data directory; to start over: `silbato vault wipe --yes`)",
        silbato_core::Error::from(VaultError::KeyFileMissing)
    )
}

fn watchlists(ctx: &Ctx) -> Result<Watchlists, String> {
    Watchlists::open(&ctx.data_dir()?).map_err(err)
}

pub fn init(ctx: &Ctx, pass: &PassArgs, kdf: &KdfArgs) -> Result<(), String> {
    let vault = open_vault(ctx, Some(kdf))?;
    if vault.key_file_missing() {
        return Err(key_file_missing());
    }
    if vault.state() != VaultState::NotInitialized {
        return Err("a vault already exists here".into());
    }
    let prompts: &[&str] = if pass.passphrase_stdin {
        &["new"]
    } else {
        &["New vault passphrase: ", "Repeat it: "]
    };
    let p = passphrases(pass, prompts)?;
    if let [a, b] = p.as_slice()
        && !a.same_as(b)
    {
        return Err("the two passphrases differ".into());
    }
    vault.init(p.first().ok_or("no passphrase")?).map_err(err)?;
    let key = vault.device_public_key().map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({ "initialized": true, "device_key": key.to_string(), "device_fingerprint": key.fingerprint() }));
    }
    ctx.out.line(&format!(
        "Vault created. Device signing key {} ({}).",
        key.fingerprint(),
        key
    ));
    ctx.out
        .line("Forgetting the passphrase means losing the log: nobody can recover it.");
    Ok(())
}

fn print_matches(ctx: &Ctx, hits: &[WatchHit]) {
    for h in hits {
        let what = h.description.as_deref().unwrap_or("listed vehicle");
        ctx.out.line(&format!(
            "  ! plate matches the watch-list ({:?}): {} {} — {what}",
            h.kind,
            h.plate,
            h.state.as_deref().unwrap_or("")
        ));
    }
}

pub fn log(ctx: &Ctx, args: &SightingArgs, pass: &PassArgs) -> Result<(), String> {
    let (Some(activity), Some(agency)) = (args.activity, args.agency) else {
        return Err("give at least --activity and --agency".into());
    };
    let mut s = Sighting::new(
        Utc::now(),
        activity.into(),
        agency.into(),
        args.confidence.map_or(Confidence::Observed, Into::into),
    );
    args.apply(&mut s)?;
    let photos = read_photos(&args.photos)?;
    let vault = unlocked(ctx, pass)?;
    let lists = watchlists(ctx)?;
    let receipt = vault.log(s, &photos, Some(&lists)).map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&receipt);
    }
    ctx.out
        .line(&format!("Logged {} (entry {}).", receipt.id, receipt.seq));
    print_matches(ctx, &receipt.plate_matches);
    Ok(())
}

pub fn amend(
    ctx: &Ctx,
    id: &str,
    args: &SightingArgs,
    reason: Option<String>,
    pass: &PassArgs,
) -> Result<(), String> {
    let photos = read_photos(&args.photos)?;
    let vault = unlocked(ctx, pass)?;
    let current = vault.record(id).map_err(err)?;
    let mut s = current.sighting.clone();
    args.apply(&mut s)?;
    if !photos.is_empty() {
        return Err("add photos when logging; an amendment keeps the record's photos".into());
    }
    let lists = watchlists(ctx)?;
    let receipt = vault
        .amend(&current.id, s, reason, Some(&lists))
        .map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&receipt);
    }
    ctx.out.line(&format!(
        "Amended {} (amendment {}, entry {}).",
        current.id, receipt.id, receipt.seq
    ));
    print_matches(ctx, &receipt.plate_matches);
    Ok(())
}

fn local(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

fn label<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn list(ctx: &Ctx, pass: &PassArgs) -> Result<(), String> {
    let vault = unlocked(ctx, pass)?;
    let listing = vault.list_checked().map_err(err)?;
    tell_damaged(&listing.damaged);
    let records = listing.records;
    if ctx.out.json {
        return ctx.out.json(&records);
    }
    if records.is_empty() {
        ctx.out.line("The log is empty.");
    }
    for r in &records {
        let s = &r.sighting;
        let amended = if r.amendments.is_empty() {
            String::new()
        } else {
            format!(" (amended ×{})", r.amendments.len())
        };
        ctx.out.line(&format!(
            "{}  {}  {:<12} {:<12} {}{}",
            r.id.get(..8).unwrap_or(&r.id),
            local(&s.observed_at),
            label(&s.activity),
            label(&s.agency),
            s.place.as_deref().unwrap_or(""),
            amended
        ));
    }
    Ok(())
}

/// Names (on stderr) each entry that could not be read; the others are listed as usual.
fn tell_damaged(damaged: &[DamagedInfo]) {
    for d in damaged {
        eprintln!(
            "silbato: entry {} is damaged ({}); the other records are unaffected. `silbato vault verify` checks the whole log.",
            d.seq, d.damage
        );
    }
}

/// A record field's name as `vault show` labels it.
fn field_label(field: &str) -> &str {
    match field {
        "observed_at" => "Observed",
        "location" => "Location",
        "place" => "Place",
        "activity" => "Activity",
        "agency" => "Agency",
        "officer_count" => "Officers",
        "vehicles" => "Vehicles",
        "uniforms" => "Uniforms",
        "badges" => "Badges",
        "people_detained" => "Detained",
        "notes" => "Notes",
        "attachments" => "Photos",
        "confidence" => "Confidence",
        other => other,
    }
}

/// A field's value, before or after an amendment, in one line.
fn field_value(field: &str, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) if field == "observed_at" => DateTime::parse_from_rfc3339(s)
            .map(|t| local(&t.with_timezone(&Utc)))
            .unwrap_or_else(|_| s.clone()),
        Value::String(s) => s.replace('\n', " "),
        Value::Array(items) if items.is_empty() => "(none)".into(),
        Value::Array(items) => items
            .iter()
            .map(|i| field_value(field, i))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k} {}", field_value(k, v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn print_record(ctx: &Ctx, r: &RecordView) {
    let out = &ctx.out;
    let s = &r.sighting;
    out.heading(&format!("{} · {}", label(&s.activity), label(&s.agency)));
    let mut facts = vec![
        ("Id", r.id.clone()),
        ("Observed", local(&s.observed_at)),
        ("Confidence", label(&s.confidence)),
    ];
    if let Some(p) = &s.place {
        facts.push(("Place", p.clone()));
    }
    if let Some(l) = &s.location {
        let acc = l
            .accuracy_m
            .map(|a| format!(" (±{a:.0} m)"))
            .unwrap_or_default();
        facts.push(("Location", format!("{:.5}, {:.5}{acc}", l.lat, l.lon)));
    }
    if let Some(n) = s.officer_count {
        facts.push(("Officers", n.to_string()));
    }
    if let Some(n) = s.people_detained {
        facts.push(("Detained", n.to_string()));
    }
    if let Some(u) = &s.uniforms {
        facts.push(("Uniforms", u.clone()));
    }
    if !s.badges.is_empty() {
        facts.push(("Badges", s.badges.join(", ")));
    }
    for v in &s.vehicles {
        let plate = [v.plate.as_deref(), v.plate_state.as_deref()]
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        facts.push((
            "Vehicle",
            [v.description.as_deref().unwrap_or(""), &plate]
                .join(" ")
                .trim()
                .to_owned(),
        ));
    }
    for a in &s.attachments {
        facts.push((
            "Photo",
            format!("{} {} bytes sha256 {}", a.media_type, a.bytes, a.sha256),
        ));
    }
    for (k, v) in facts {
        out.item(&format!("{k:<11} "), &v, "");
    }
    if let Some(n) = &s.notes {
        out.subheading("Notes");
        out.para(n, "  ");
    }
    if !r.amendments.is_empty() {
        out.subheading("Amendments");
        for a in &r.amendments {
            out.item(
                "- ",
                &format!(
                    "{} entry {}{}",
                    local(&a.recorded_at),
                    a.seq,
                    a.reason
                        .as_deref()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                ),
                "  ",
            );
            for c in &a.changes {
                out.item(
                    "",
                    &format!(
                        "{}: {} → {}",
                        field_label(c.field),
                        field_value(c.field, &c.old),
                        field_value(c.field, &c.new)
                    ),
                    "    ",
                );
            }
        }
    }
}

pub fn show(ctx: &Ctx, id: &str, pass: &PassArgs) -> Result<(), String> {
    let vault = unlocked(ctx, pass)?;
    let record = vault.record(id).map_err(err)?;
    // A damaged entry could be one of this record's amendments: say which entries are damaged.
    tell_damaged(&vault.list_checked().map_err(err)?.damaged);
    if ctx.out.json {
        return ctx.out.json(&record);
    }
    print_record(ctx, &record);
    Ok(())
}

pub fn export(
    ctx: &Ctx,
    out_path: &Path,
    to: Option<&str>,
    clear: bool,
    pass: &PassArgs,
) -> Result<(), String> {
    let target = match (to, clear) {
        (Some(key), false) => ExportTarget::SealedTo(SealPublicKey::parse(key).map_err(|_| "--to takes an x25519:... public key".to_owned())?),
        (None, true) => ExportTarget::Clear,
        (Some(_), true) => return Err("choose --to PUBKEY or --clear, not both".into()),
        (None, false) => return Err("choose --to PUBKEY (sealed to a recipient) or --clear (readable by anyone with the file)".into()),
    };
    let vault = unlocked(ctx, pass)?;
    let damaged = vault.list_checked().map_err(err)?.damaged;
    tell_damaged(&damaged);
    if !damaged.is_empty() {
        eprintln!(
            "silbato: the export carries each damaged entry in its place, marked as damaged, without its content"
        );
    }
    let bytes = vault.export(&target).map_err(err)?;
    super::organizer::write_new(out_path, &bytes, true)?;
    if ctx.out.json {
        return ctx.out.json(
            &serde_json::json!({ "out": out_path, "bytes": bytes.len(), "sealed": to.is_some() }),
        );
    }
    ctx.out.line(&format!(
        "Wrote {} ({} bytes{}).",
        out_path.display(),
        bytes.len(),
        if to.is_some() {
            ", sealed"
        } else {
            ", in clear"
        }
    ));
    Ok(())
}

pub fn verify_export_cmd(ctx: &Ctx, file: &Path, key: Option<&Path>) -> Result<(), String> {
    let bytes = read_bounded(file, silbato_core::vault::export::MAX_EXPORT_BYTES)?;
    let secret = match key {
        Some(p) => Some(
            SealSecretKey::from_key_file(&zeroize::Zeroizing::new(read_bounded(p, 64 * 1024)?))
                .map_err(err)?,
        ),
        None => None,
    };
    let report = verify_export(&bytes, secret.as_ref()).map_err(err)?;
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else {
        ctx.out.line(&format!(
            "{} entries from device {} ({}), exported {}",
            report.entries,
            report.device_fingerprint,
            report.device_public_key,
            local(&report.exported_at)
        ));
        if let Some(p) = report.purged_through {
            ctx.out.line(&format!(
                "Entries up to {p} were removed by the retention policy (recorded in the chain)."
            ));
        }
        for p in &report.problems {
            ctx.out.line(&format!("  ✗ {p}"));
        }
        if report.valid {
            ctx.out.line(
                "Verified: every entry is present, in order, unchanged, and signed by this device.",
            );
        } else {
            ctx.out.line(&format!(
                "{} of {} entries verify: unchanged and signed by this device.",
                report.bodies.len(),
                report.entries
            ));
        }
    }
    if report.valid {
        Ok(())
    } else {
        Err(format!(
            "the export failed verification ({} problems)",
            report.problems.len()
        ))
    }
}

pub fn change_passphrase(ctx: &Ctx, pass: &PassArgs, kdf: &KdfArgs) -> Result<(), String> {
    let vault = open_vault(ctx, Some(kdf))?;
    let prompts: &[&str] = if pass.passphrase_stdin {
        &["old", "new"]
    } else {
        &["Current passphrase: ", "New passphrase: ", "Repeat it: "]
    };
    let p = passphrases(pass, prompts)?;
    if let [_, a, b] = p.as_slice()
        && !a.same_as(b)
    {
        return Err("the two new passphrases differ".into());
    }
    let (Some(old), Some(new)) = (p.first(), p.get(1)) else {
        return Err("no passphrase".into());
    };
    vault.change_passphrase(old, new).map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({ "changed": true }));
    }
    ctx.out.line("Passphrase changed.");
    Ok(())
}

pub fn wipe(ctx: &Ctx, yes: bool) -> Result<(), String> {
    if !yes {
        return Err("this destroys the vault for good: run `silbato vault wipe --yes`".into());
    }
    // The whole panic wipe, on the files: it needs nothing opened, so a damaged store or a lost
    // key cannot stop it.
    let dir = ctx.data_dir()?;
    let report =
        silbato_core::app::wipe_data_dir(&dir, &silbato_core::keys::FileKeyStore::new(&dir))
            .map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&report);
    }
    ctx.out.line(&format!(
        "Vault, keys, saved places, followed regions, networks, alerts and outbox destroyed in {} ms. Know-your-rights cards still work.",
        report.elapsed_ms
    ));
    Ok(())
}

pub fn purge(ctx: &Ctx, days: u32, pass: &PassArgs) -> Result<(), String> {
    let vault = unlocked(ctx, pass)?;
    let report = vault.purge_before(days_ago(days)).map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&report);
    }
    ctx.out.line(&format!(
        "Removed {} entries older than {days} days.",
        report.purged
    ));
    Ok(())
}

pub fn retention(ctx: &Ctx, days: Option<u32>, off: bool, pass: &PassArgs) -> Result<(), String> {
    let vault = unlocked(ctx, pass)?;
    if days.is_none() && !off {
        let current = vault.retention_days().map_err(err)?;
        if ctx.out.json {
            return ctx
                .out
                .json(&serde_json::json!({ "retention_days": current }));
        }
        ctx.out.line(
            &current.map_or("Entries are kept until deleted.".to_owned(), |d| {
                format!("Entries are kept for {d} days.")
            }),
        );
        return Ok(());
    }
    let report = vault.set_retention_days(days).map_err(err)?;
    let purged = report.map_or(0, |r| r.purged);
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "retention_days": days, "purged": purged }));
    }
    ctx.out.line(&match days {
        Some(d) => format!("Entries are now kept for {d} days ({purged} older ones removed)."),
        None => "Entries are kept until deleted.".to_owned(),
    });
    Ok(())
}

pub fn verify_chain(ctx: &Ctx, pass: &PassArgs) -> Result<(), String> {
    let vault = unlocked(ctx, pass)?;
    let report = vault.check_chain().map_err(err)?;
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else if report.valid {
        ctx.out.line(&format!(
            "The chain of {} entries verifies.",
            report.entries
        ));
    } else {
        for p in &report.problems {
            ctx.out.line(&format!("  ✗ {p}"));
        }
    }
    if report.valid {
        Ok(())
    } else {
        Err(format!(
            "the vault's chain of {} entries has {} problem{} (each named above); the other entries are intact",
            report.entries,
            report.problems.len(),
            if report.problems.len() == 1 { "" } else { "s" }
        ))
    }
}

pub fn plates_check(ctx: &Ctx, plate: &str, state: Option<&str>) -> Result<(), String> {
    // With no list installed, "no match" would be a lie: say so (an error, exit code 1).
    let hits = watchlists(ctx)?
        .check_installed(plate, state)
        .map_err(|e| match e {
            silbato_core::Error::Watchlist(WatchlistError::NoneInstalled) => {
                format!("{e}; install one with `silbato watchlist install FILE`")
            }
            e => err(e),
        })?;
    if ctx.out.json {
        return ctx.out.json(&hits);
    }
    if hits.is_empty() {
        ctx.out.line("No match on the installed watch-lists.");
    }
    for h in &hits {
        let seen = h
            .last_seen
            .map(|d| format!(", last seen {d}"))
            .unwrap_or_default();
        ctx.out.line(&format!(
            "{:?}: {} {} — {}{seen}",
            h.kind,
            h.plate,
            h.state.as_deref().unwrap_or(""),
            h.description.as_deref().unwrap_or("listed vehicle")
        ));
    }
    Ok(())
}

/// Publishers trusted by hand, and those of every confirmed network profile.
fn trusted(ctx: &Ctx) -> Result<HashSet<PublicKey>, String> {
    let lib = ctx.rights()?;
    let mut keys: HashSet<PublicKey> = lib
        .publishers()
        .map_err(err)?
        .iter()
        .filter_map(|p| PublicKey::parse(&p.public_key).ok())
        .collect();
    keys.extend(
        super::inbox::open_inbox(ctx)?
            .trusted_publishers()
            .map_err(err)?,
    );
    Ok(keys)
}

pub fn watchlist_install(ctx: &Ctx, file: &Path, allow_empty: bool) -> Result<(), String> {
    let bytes = read_bounded(file, MAX_WATCHLIST_BYTES)?;
    let lists = watchlists(ctx)?;
    let trusted = trusted(ctx)?;
    let installed = if allow_empty {
        lists.install_allowing_empty(&bytes, &trusted)
    } else {
        lists.install(&bytes, &trusted)
    };
    let info = installed.map_err(|e| match e {
        silbato_core::Error::Watchlist(WatchlistError::EmptyReplacesEntries) => format!(
            "{e} (`watchlist build --allow-empty`, then `watchlist install --allow-empty`); the installed list is unchanged"
        ),
        e => err(e),
    })?;
    if ctx.out.json {
        return ctx.out.json(&info);
    }
    ctx.out.line(&format!(
        "Installed watch-list {} version {}: {} vehicles.",
        info.list_id, info.version, info.entries
    ));
    Ok(())
}

pub fn watchlist_list(ctx: &Ctx) -> Result<(), String> {
    let lists = watchlists(ctx)?.lists().map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&lists);
    }
    for l in &lists {
        ctx.out.line(&format!(
            "{}  version {} ({}) · {} vehicles · {}",
            l.list_id, l.version, l.issued, l.entries, l.publisher
        ));
    }
    Ok(())
}

pub struct BuildArgs<'a> {
    pub csv: &'a Path,
    pub key: &'a Path,
    pub out: &'a Path,
    pub list_id: &'a str,
    pub publisher: &'a str,
    pub version: Option<u64>,
    /// Sign a list with no vehicles on purpose (`allow_empty: true` in the signed document).
    pub allow_empty: bool,
}

pub fn watchlist_build(ctx: &Ctx, a: &BuildArgs<'_>) -> Result<(), String> {
    let key = super::organizer::load_key(a.key)?;
    let text = String::from_utf8(read_bounded(a.csv, MAX_WATCHLIST_BYTES)?)
        .map_err(|_| "the CSV is not UTF-8".to_owned())?;
    let entries = entries_from_csv(&text).map_err(err)?;
    let version = a
        .version
        .unwrap_or_else(|| u64::try_from(Utc::now().timestamp()).unwrap_or(1));
    let count = entries.len();
    if count == 0 && !a.allow_empty {
        return Err(format!(
            "{} (pass --allow-empty to publish a list with no vehicles)",
            WatchlistError::Empty
        ));
    }
    let payload = WatchlistPayload {
        format: 1,
        publisher: a.publisher.into(),
        list_id: a.list_id.into(),
        version,
        issued: Utc::now().date_naive(),
        entries,
    };
    let bytes = sign_watchlist_with(payload, &key, a.allow_empty).map_err(err)?;
    super::organizer::write_new(a.out, &bytes, false)?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({ "list_id": a.list_id, "version": version, "entries": count, "out": a.out }));
    }
    ctx.out.line(&format!(
        "Wrote {}: watch-list {} version {version}, {count} vehicles.",
        a.out.display(),
        a.list_id
    ));
    Ok(())
}

pub fn keys_generate_recipient(ctx: &Ctx, out: &Path) -> Result<(), String> {
    let key = SealSecretKey::generate().map_err(err)?;
    let text = key.to_key_file().map_err(err)?;
    super::organizer::write_new(out, text.as_bytes(), true)?;
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "public_key": key.public_key().to_string() }));
    }
    ctx.out.line(&key.public_key().to_string());
    Ok(())
}
