//! `silbato network|places|regions|alerts|alert|push ...`: the family's inbox and the organizer's
//! tools for profiles and alerts.
//!
//! The inbox key is kept by a key file readable only by its user (`keystore-*.key` in the data
//! directory): weaker than the hardware-backed stores the phone apps use. Never prints a place
//! or alert text to stderr.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Local, Utc};
use clap::{Args, ValueEnum};
use silbato_core::DocKind;
use silbato_core::crypto::PublicKey;
use silbato_core::envelope::{Envelope, add_signature};
use silbato_core::inbox::alert::{
    ALERT_KIND, Alert, AlertDraft, AlertText, Category, Certainty, Cosigned, MAX_ALERT_ENVELOPE,
    MAX_LIFETIME, MsgType, PolicyStatus, Severity, Urgency, cosign, policy_status, sign_alert,
};
use silbato_core::inbox::geo::{Circle, Point};
use silbato_core::inbox::push::{MAX_PUSH_BYTES, seal_for_device, wake_payload};
use silbato_core::inbox::{AlertView, Inbox, IngestOutcome};
use silbato_core::keys::FileKeyStore;
use silbato_core::network::{
    AlertPolicy, MAX_PROFILE_BYTES, NETWORK_KIND, NetworkProfile, ProfileDraft, decode_qr,
    open_profile, qr_text,
};
use silbato_core::seal::SealPublicKey;

use super::{Ctx, read_bounded, user_lang};

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A typed error's message with its stable code, for the rules a script may want to tell apart.
fn coded(e: impl Into<silbato_core::Error>) -> String {
    let e: silbato_core::Error = e.into();
    format!("{e} [{}]", e.code())
}

pub fn open_inbox(ctx: &Ctx) -> Result<Inbox, String> {
    let dir = ctx.data_dir()?;
    Inbox::open(&dir, &FileKeyStore::new(&dir)).map_err(err)
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

/// `2h`, `30m`, `3d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| "a duration looks like 30m, 2h or 3d".to_owned())?;
    if n > 366 * 24 * 60 {
        return Err("that duration is too long".into());
    }
    match unit {
        "m" | "min" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        _ => Err("a duration looks like 30m, 2h or 3d".into()),
    }
}

// ---- networks ----

pub fn network_install(
    ctx: &Ctx,
    file: Option<&Path>,
    qr: Option<&str>,
    fingerprint: Option<&str>,
) -> Result<(), String> {
    let bytes = match (file, qr) {
        (Some(f), None) => read_bounded(f, MAX_PROFILE_BYTES)?,
        (None, Some(q)) => decode_qr(q).map_err(err)?,
        _ => return Err("give a profile FILE or --qr TEXT".into()),
    };
    let inbox = open_inbox(ctx)?;
    let report = inbox.install_network(&bytes, fingerprint).map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&report);
    }
    let verb = if report.previous_version.is_some() {
        "Updated"
    } else {
        "Installed"
    };
    ctx.out.line(&format!(
        "{verb} {} ({}), version {}.",
        report.name, report.network_id, report.version
    ));
    ctx.out.line(&format!(
        "Fingerprint: {}",
        ctx.out.bold(&report.fingerprint)
    ));
    if !report.confirmed {
        ctx.out
            .line("Compare this fingerprint with your organizer in person or by a call, then run:");
        ctx.out.line(&format!(
            "  silbato network confirm {} \"{}\"",
            report.network_id, report.fingerprint
        ));
        ctx.out
            .line("Until then this network's alerts are not accepted.");
    }
    if report.roots_rotated {
        ctx.out
            .line("The network's root keys changed; the previous keys signed this change.");
    }
    Ok(())
}

pub fn network_confirm(ctx: &Ctx, id: &str, fingerprint: &str) -> Result<(), String> {
    open_inbox(ctx)?
        .confirm_network(id, fingerprint)
        .map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({ "confirmed": id }));
    }
    ctx.out
        .line("Confirmed. This network's signed alerts will now be accepted.");
    Ok(())
}

pub fn network_list(ctx: &Ctx) -> Result<(), String> {
    let nets = open_inbox(ctx)?.networks().map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&nets);
    }
    if nets.is_empty() {
        ctx.out
            .line("No network installed. Ask your organizer for a profile file or QR code.");
    }
    for n in &nets {
        let state = if n.confirmed {
            ""
        } else {
            "  (not confirmed: compare the fingerprint, then `network confirm`)"
        };
        ctx.out.line(&format!(
            "{}  {}  version {}  [{}]{state}",
            ctx.out.bold(&n.network_id),
            n.name,
            n.version,
            n.fingerprint
        ));
    }
    Ok(())
}

pub fn network_show(ctx: &Ctx, id: &str) -> Result<(), String> {
    let p = open_inbox(ctx)?.network(id).map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&p);
    }
    ctx.out.heading(&p.name);
    ctx.out.line(&format!(
        "Id: {}   Version: {} ({})",
        p.network_id, p.version, p.issued
    ));
    ctx.out.line(&format!("Fingerprint: {}", p.fingerprint()));
    ctx.out.line(&format!("Hub: {}", p.hub_url));
    let pol = &p.alert_policy;
    ctx.out.line(&format!(
        "Signatures needed: observed {}, likely {}, possible {}, unverified {}",
        pol.observed, pol.likely, pol.possible, pol.unverified
    ));
    ctx.out.subheading("Regions");
    for r in &p.regions {
        ctx.out.line(&format!("  {}  {}", r.code, r.name));
    }
    ctx.out.subheading("Dispatchers");
    for d in &p.dispatcher_keys {
        ctx.out.line(&format!(
            "  {}  {}  valid {} to {}",
            d.name,
            d.key.fingerprint(),
            local(&d.valid_from),
            local(&d.valid_until)
        ));
    }
    if !p.hotlines.is_empty() {
        ctx.out.subheading("Hotlines");
        for h in &p.hotlines {
            ctx.out.line(&format!("  {}  {}", h.number, h.name));
        }
    }
    Ok(())
}

pub fn network_qr(ctx: &Ctx, file: &Path) -> Result<(), String> {
    let bytes = read_bounded(file, MAX_PROFILE_BYTES)?;
    open_profile(&bytes).map_err(coded)?;
    // One QR code holds 2,953 bytes; a longer profile is shared as the file itself.
    let text = qr_text(&bytes).map_err(coded)?;
    ctx.out.line(&text);
    Ok(())
}

/// Removes a network, its alerts and its queued reports from this device, and its hub's push
/// subscription when no other network uses that hub.
pub fn network_remove(ctx: &Ctx, id: &str) -> Result<(), String> {
    ctx.app()?.remove_network(id).map_err(coded)?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({ "removed": id }));
    }
    ctx.out.line(&format!(
        "Removed network {id}, its alerts and its queued reports."
    ));
    Ok(())
}

#[derive(Debug, Args)]
pub struct NetworkCreateArgs {
    #[arg(long)]
    id: String,
    #[arg(long)]
    name: String,
    #[arg(long, value_name = "URL")]
    hub: String,
    /// A root key (ed25519:...); repeatable. Root keys sign the profile and its updates.
    #[arg(long = "root-key", value_name = "PUBKEY", required = true)]
    root_keys: Vec<String>,
    /// CODE=NAME, e.g. US-IL-CHI=Chicago; repeatable.
    #[arg(long = "region", value_name = "CODE=NAME")]
    regions: Vec<String>,
    /// PUBKEY=NAME of a publisher trusted for packs and watch-lists; repeatable.
    #[arg(long = "publisher-key", value_name = "PUBKEY=NAME")]
    publishers: Vec<String>,
    /// PUBKEY=NAME of a dispatcher trusted for alerts; repeatable. Valid from now for --valid-days.
    #[arg(long = "dispatcher-key", value_name = "PUBKEY=NAME")]
    dispatchers: Vec<String>,
    /// An X25519 key (x25519:...) that dispatchers open sealed reports with, per dispatcher in order.
    #[arg(long = "dispatcher-seal-key", value_name = "PUBKEY")]
    dispatcher_seal_keys: Vec<String>,
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    valid_days: i64,
    /// Signatures needed per certainty: observed=2,likely=1,possible=1,unverified=1
    #[arg(long, value_name = "POLICY")]
    policy: Option<String>,
    /// NAME=NUMBER; repeatable.
    #[arg(long = "hotline", value_name = "NAME=NUMBER")]
    hotlines: Vec<String>,
    #[arg(long, default_value_t = 1)]
    version: u64,
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn pair(s: &str) -> Result<(&str, &str), String> {
    s.split_once('=')
        .map(|(a, b)| (a.trim(), b.trim()))
        .ok_or_else(|| "expected KEY=VALUE".to_owned())
}

pub fn network_create(ctx: &Ctx, a: &NetworkCreateArgs) -> Result<(), String> {
    let key = |s: &str| PublicKey::parse(s).map_err(err);
    let mut policy = AlertPolicy::default();
    if let Some(p) = &a.policy {
        for part in p.split(',') {
            let (k, v) = pair(part)?;
            let n: u8 = v
                .parse()
                .map_err(|_| "policy counts are numbers".to_owned())?;
            match k {
                "observed" => policy.observed = n,
                "likely" => policy.likely = n,
                "possible" => policy.possible = n,
                "unverified" => policy.unverified = n,
                _ => return Err("policy keys are observed, likely, possible, unverified".into()),
            }
        }
    }
    let now = Utc::now();
    let mut draft = ProfileDraft::new(&a.id, &a.name, a.version, &a.hub, now.date_naive());
    for r in &a.regions {
        let (code, name) = pair(r)?;
        draft = draft.region(code, name);
    }
    for k in &a.root_keys {
        draft = draft.root_key(key(k)?);
    }
    for p in &a.publishers {
        let (k, n) = pair(p)?;
        draft = draft.publisher(key(k)?, n);
    }
    for d in &a.dispatchers {
        let (k, n) = pair(d)?;
        draft = draft
            .dispatcher(key(k)?, n, None, now, a.valid_days)
            .map_err(|_| "--valid-days is out of range".to_owned())?;
    }
    // Seal keys go to the dispatchers in order; one more than there are dispatchers is refused.
    let seal_keys = a
        .dispatcher_seal_keys
        .iter()
        .map(|s| SealPublicKey::parse(s).map_err(|_| "a seal key looks like x25519:...".to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    draft = draft.seal_keys(seal_keys);
    for h in &a.hotlines {
        let (name, number) = pair(h)?;
        draft = draft.hotline(name, number);
    }
    let profile = draft.policy(policy).build().map_err(coded)?;
    let text = serde_json::to_vec_pretty(&profile).map_err(err)?;
    super::organizer::write_new(&a.out, &text, false)?;
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "out": a.out, "fingerprint": profile.fingerprint() }));
    }
    ctx.out.line(&format!(
        "Wrote {} (unsigned). Sign it: silbato network sign {} --key ROOT.key",
        a.out.display(),
        a.out.display()
    ));
    Ok(())
}

/// Signs a profile: an unsigned payload becomes an envelope; an envelope gains a signature.
pub fn network_sign(
    ctx: &Ctx,
    file: &Path,
    keyfile: &Path,
    out: Option<&Path>,
) -> Result<(), String> {
    let key = super::organizer::load_key(keyfile)?;
    let bytes = read_bounded(file, MAX_PROFILE_BYTES)?;
    let signed = if let Ok(env) =
        Envelope::parse(&bytes, DocKind::Envelope, NETWORK_KIND, MAX_PROFILE_BYTES)
    {
        // Every rule is checked again before another root key signs it.
        let profile: NetworkProfile =
            serde_json::from_slice(&env.payload).map_err(|_| "not a network profile".to_owned())?;
        profile.validate().map_err(coded)?;
        add_signature(
            &bytes,
            DocKind::Envelope,
            NETWORK_KIND,
            MAX_PROFILE_BYTES,
            &key,
        )
        .map_err(err)?
    } else {
        let profile: NetworkProfile =
            serde_json::from_slice(&bytes).map_err(|_| "not a network profile".to_owned())?;
        profile.validate().map_err(coded)?;
        let payload = serde_json::to_vec(&profile).map_err(err)?;
        silbato_core::envelope::seal(NETWORK_KIND, &payload, &[&key]).map_err(err)?
    };
    let target = out.unwrap_or(file);
    replace_file(target, &signed)?;
    if ctx.out.json {
        return ctx.out.json(
            &serde_json::json!({ "out": target, "signed_by": key.public_key().to_string() }),
        );
    }
    ctx.out.line(&format!(
        "Signed {} with {}.",
        target.display(),
        key.public_key().fingerprint()
    ));
    Ok(())
}

// ---- places and regions ----

pub fn places_add(ctx: &Ctx, label_: &str, lat: f64, lon: f64, radius: f64) -> Result<(), String> {
    let place = open_inbox(ctx)?
        .add_place(label_, lat, lon, radius)
        .map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&place);
    }
    ctx.out.line(&format!(
        "Saved place {} ({}). It stays on this device.",
        place.label, place.id
    ));
    Ok(())
}

pub fn places_list(ctx: &Ctx) -> Result<(), String> {
    let places = open_inbox(ctx)?.places().map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&places);
    }
    for p in &places {
        ctx.out.line(&format!(
            "{}  {:<20} {:.5}, {:.5}  {:.0} m",
            p.id, p.label, p.lat, p.lon, p.radius_m
        ));
    }
    Ok(())
}

pub fn places_remove(ctx: &Ctx, id: &str) -> Result<(), String> {
    open_inbox(ctx)?.remove_place(id).map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({ "removed": id }));
    }
    ctx.out.line("Place removed.");
    Ok(())
}

pub fn regions(ctx: &Ctx, follow: Option<&str>, unfollow: Option<&str>) -> Result<(), String> {
    let inbox = open_inbox(ctx)?;
    if let Some(code) = follow {
        inbox.follow_region(code).map_err(err)?;
    }
    if let Some(code) = unfollow {
        inbox.unfollow_region(code).map_err(err)?;
    }
    let list = inbox.followed_regions().map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&list);
    }
    for r in &list {
        ctx.out.line(r);
    }
    Ok(())
}

// ---- alerts ----

fn print_alert_line(ctx: &Ctx, a: &AlertView) {
    let marker = if a.all_clear {
        "ALL CLEAR"
    } else {
        &label(&a.severity).to_uppercase()
    };
    let rel = match &a.relevance {
        silbato_core::inbox::Relevance::SavedPlace { label } => format!("near {label}"),
        silbato_core::inbox::Relevance::FollowedRegion { code } => format!("in {code}"),
        silbato_core::inbox::Relevance::Elsewhere => String::new(),
    };
    let unread = if a.read { " " } else { "•" };
    ctx.out.line(&format!(
        "{unread} {:<9} {}  {}  {}",
        marker,
        local(&a.sent),
        ctx.out.bold(&a.headline),
        ctx.out.dim(&rel)
    ));
    ctx.out.line(&format!(
        "    {} · {} · {} · {}",
        a.id,
        a.network_name,
        label(&a.certainty),
        label(&a.status)
    ));
}

pub fn alerts_list(ctx: &Ctx, all: bool, lang: Option<String>) -> Result<(), String> {
    let inbox = open_inbox(ctx)?;
    let lang = user_lang(lang);
    let now = Utc::now();
    let list = if all {
        inbox.history(&lang, now, 1000)
    } else {
        inbox.active(&lang, now, 200)
    }
    .map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&list);
    }
    if list.is_empty() {
        ctx.out.line(if all {
            "No alerts received yet."
        } else {
            "No alerts in force."
        });
    }
    for a in &list {
        print_alert_line(ctx, a);
    }
    Ok(())
}

pub fn alerts_show(
    ctx: &Ctx,
    id: &str,
    network: Option<&str>,
    lang: Option<String>,
) -> Result<(), String> {
    let inbox = open_inbox(ctx)?;
    let a = inbox
        .alert_in(network, id, &user_lang(lang), Utc::now())
        .map_err(ambiguous)?;
    if ctx.out.json {
        return ctx.out.json(&a);
    }
    print_alert_line(ctx, &a);
    ctx.out.blank();
    if let Some(d) = &a.description {
        ctx.out.para(d, "");
    }
    if let Some(i) = &a.instruction {
        ctx.out.blank();
        ctx.out.para(&ctx.out.bold(i), "");
    }
    if let Some(h) = &a.hotline {
        ctx.out.line(&format!("Hotline: {h}"));
    }
    ctx.out.line(&ctx.out.dim(&format!(
        "Expires {} · signed by {}",
        local(&a.expires),
        a.signed_by.join(", ")
    )));
    Ok(())
}

/// An alert id several networks use: the message says how to choose.
fn ambiguous(e: silbato_core::Error) -> String {
    if e.code() == "inbox.ambiguous_alert" {
        format!("{} [{}]; add --network ID", e, e.code())
    } else {
        err(e)
    }
}

pub fn alerts_read(ctx: &Ctx, id: &str, network: Option<&str>) -> Result<(), String> {
    open_inbox(ctx)?
        .mark_read_in(network, id)
        .map_err(ambiguous)?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({ "read": id }));
    }
    Ok(())
}

fn print_outcome(ctx: &Ctx, outcome: &IngestOutcome) -> Result<(), String> {
    match outcome {
        IngestOutcome::Accepted { id, .. } => ctx.out.line(&format!("Accepted {id}.")),
        IngestOutcome::Duplicate { id } => ctx
            .out
            .line(&format!("Already have {id}; nothing changed.")),
        IngestOutcome::Rejected(r) => {
            return Err(format!("alert refused: {r}"));
        }
    }
    Ok(())
}

pub fn alerts_ingest(ctx: &Ctx, file: &Path) -> Result<(), String> {
    let bytes = read_bounded(file, MAX_ALERT_ENVELOPE * 4)?;
    let outcome = open_inbox(ctx)?.ingest(&bytes, Utc::now()).map_err(err)?;
    if ctx.out.json {
        ctx.out.json(&outcome)?;
        if let IngestOutcome::Rejected(r) = &outcome {
            return Err(format!("alert refused: {r}"));
        }
        return Ok(());
    }
    print_outcome(ctx, &outcome)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MsgTypeArg {
    Alert,
    Update,
    Cancel,
}

#[derive(Debug, Args)]
pub struct AlertNewArgs {
    #[arg(long)]
    network: String,
    /// Default: a random id.
    #[arg(long)]
    id: Option<String>,
    #[arg(long = "type", value_enum, default_value = "alert")]
    msg_type: MsgTypeArg,
    /// The id of an alert this one updates or cancels; repeatable.
    #[arg(long = "ref", value_name = "ID")]
    references: Vec<String>,
    /// The alert file this one updates or cancels (its id is referenced and its expiry read);
    /// repeatable.
    #[arg(long = "ref-file", value_name = "FILE")]
    reference_files: Vec<PathBuf>,
    #[arg(long, value_parser = enum_parser::<Category>, default_value = "raid")]
    category: Category,
    #[arg(long, value_parser = enum_parser::<Severity>, default_value = "severe")]
    severity: Severity,
    #[arg(long, value_parser = enum_parser::<Urgency>, default_value = "immediate")]
    urgency: Urgency,
    #[arg(long, value_parser = enum_parser::<Certainty>)]
    certainty: Certainty,
    /// How long it stays in force: 30m, 2h, 1d. Default 2h; for an update or cancel, at least
    /// until the latest expiry of the alerts it replaces that can be read (from --ref-file, or
    /// this device's inbox), so the retraction is served as long as what it retracts (at most
    /// 30 days).
    #[arg(long)]
    expires: Option<String>,
    /// Language of --headline, --description and --instruction.
    #[arg(long, default_value = "en")]
    lang: String,
    #[arg(long)]
    headline: String,
    #[arg(long)]
    description: Option<String>,
    #[arg(long)]
    instruction: Option<String>,
    /// LANG=HEADLINE in another language; repeatable.
    #[arg(long = "translation", value_name = "LANG=HEADLINE")]
    translations: Vec<String>,
    /// LANG=TEXT: the description in a language given by --translation; repeatable. A
    /// translation without one is shown with the --lang description.
    #[arg(long = "translation-description", value_name = "LANG=TEXT")]
    translation_descriptions: Vec<String>,
    /// LANG=TEXT: the instruction in a language given by --translation; repeatable. A
    /// translation without one is shown with the --lang instruction.
    #[arg(long = "translation-instruction", value_name = "LANG=TEXT")]
    translation_instructions: Vec<String>,
    /// LAT,LON,RADIUS_M; repeatable.
    #[arg(long = "circle", value_name = "LAT,LON,M", allow_hyphen_values = true)]
    circles: Vec<String>,
    /// LAT,LON;LAT,LON;... (one outer ring); repeatable.
    #[arg(long = "polygon", value_name = "RING", allow_hyphen_values = true)]
    polygons: Vec<String>,
    /// A region code; repeatable.
    #[arg(long = "region", value_name = "CODE")]
    regions: Vec<String>,
    #[arg(long)]
    hotline: Option<String>,
    /// A dispatcher key file; repeat for a second signature (two-person rule). The same key
    /// twice is refused: it counts once.
    #[arg(long = "sign", value_name = "KEYFILE", required = true)]
    sign: Vec<PathBuf>,
    /// The network's profile (signed or not), to say whether its policy is met; default: the
    /// installed network of this device.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// The profile of `network` to check a policy against: `--profile FILE` (signed or unsigned),
/// else the network installed in this device's inbox, else none.
fn network_profile(
    ctx: &Ctx,
    network: &str,
    file: Option<&Path>,
) -> Result<Option<NetworkProfile>, String> {
    if let Some(f) = file {
        let bytes = read_bounded(f, MAX_PROFILE_BYTES)?;
        let profile = match open_profile(&bytes) {
            Ok((p, _)) => p,
            Err(_) => {
                let p: NetworkProfile = serde_json::from_slice(&bytes)
                    .map_err(|_| "--profile is not a network profile".to_owned())?;
                p.validate().map_err(coded)?;
                p
            }
        };
        if profile.network_id != network {
            return Err("--profile is the profile of another network".into());
        }
        return Ok(Some(profile));
    }
    // A dispatcher's machine may have no inbox: never create one just to look.
    if !ctx
        .data_dir()?
        .join(silbato_core::inbox::INBOX_DB)
        .is_file()
    {
        return Ok(None);
    }
    Ok(open_inbox(ctx)?.network(network).ok())
}

fn print_policy(ctx: &Ctx, status: Option<&PolicyStatus>) {
    match status {
        Some(s) => ctx.out.line(&s.to_string()),
        None => ctx
            .out
            .line("Policy not checked: this network is not installed here (pass --profile FILE)."),
    }
}

/// An alert file's payload: a signed envelope (its signatures must verify) or unsigned JSON.
fn read_alert_file(path: &Path) -> Result<Alert, String> {
    let bytes = read_bounded(path, MAX_ALERT_ENVELOPE)?;
    let payload = match Envelope::parse(&bytes, DocKind::Envelope, ALERT_KIND, MAX_ALERT_ENVELOPE) {
        Ok(env) => {
            env.verify_self_consistent(DocKind::Envelope)
                .map_err(|_| "a signature on the referenced alert does not verify".to_owned())?;
            env.payload
        }
        Err(_) => bytes,
    };
    serde_json::from_slice(&payload).map_err(|_| "--ref-file is not an alert".to_owned())
}

/// How long an alert written now stays in force: `--expires`, or 2h; for an update or cancel
/// without `--expires`, at least until the latest readable expiry of what it replaces (capped
/// at the 30-day maximum). Also returns the latest such expiry, for a notice.
fn alert_lifetime(
    ctx: &Ctx,
    a: &AlertNewArgs,
    msg_type: MsgType,
    references: &[String],
    ref_expiries: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(Duration, Option<DateTime<Utc>>), String> {
    let mut latest = ref_expiries.iter().copied().max();
    if msg_type != MsgType::Alert
        && ctx
            .data_dir()?
            .join(silbato_core::inbox::INBOX_DB)
            .is_file()
    {
        let inbox = open_inbox(ctx)?;
        for r in references {
            if let Ok(v) = inbox.alert_in(Some(&a.network), r, "en", now) {
                latest = latest.max(Some(v.expires));
            }
        }
    }
    let lifetime = match &a.expires {
        Some(text) => parse_duration(text)?,
        None => {
            let base = Duration::hours(2);
            match latest {
                Some(t) if msg_type != MsgType::Alert => base.max(t - now).min(MAX_LIFETIME),
                _ => base,
            }
        }
    };
    Ok((lifetime, latest))
}

fn enum_parser<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.replace('-', "_")))
        .map_err(|_| format!("unknown value {s:?}"))
}

fn parse_point(s: &str) -> Result<Point, String> {
    let mut it = s.split(',').map(|p| p.trim().parse::<f64>());
    match (it.next(), it.next()) {
        (Some(Ok(lat)), Some(Ok(lon))) => Ok(Point { lat, lon }),
        _ => Err("a point is LAT,LON".into()),
    }
}

/// The translations of `alert new`: each `--translation LANG=HEADLINE` with the description and
/// instruction given for LANG. A language given twice (or as --lang too), or a description or
/// instruction for a language without a --translation headline, is refused rather than dropped.
fn translations(a: &AlertNewArgs) -> Result<BTreeMap<String, AlertText>, String> {
    let mut out: BTreeMap<String, AlertText> = BTreeMap::new();
    for t in &a.translations {
        let (l, h) = pair(t)?;
        if l == a.lang || out.contains_key(l) {
            return Err(
                "--translation: a language is given twice (a translation is in a language other than --lang)"
                    .to_owned(),
            );
        }
        out.insert(
            l.to_owned(),
            AlertText {
                headline: h.to_owned(),
                description: None,
                instruction: None,
            },
        );
    }
    let fields = [
        (
            "--translation-description",
            &a.translation_descriptions,
            true,
        ),
        (
            "--translation-instruction",
            &a.translation_instructions,
            false,
        ),
    ];
    for (flag, values, is_description) in fields {
        for v in values {
            let (l, text) = pair(v)?;
            let Some(entry) = out.get_mut(l) else {
                return Err(format!(
                    "{flag}: its language has no headline; add --translation LANG=HEADLINE"
                ));
            };
            let slot = if is_description {
                &mut entry.description
            } else {
                &mut entry.instruction
            };
            if slot.is_some() {
                return Err(format!("{flag}: a language is given twice"));
            }
            if text.is_empty() {
                return Err(format!("{flag}: LANG=TEXT needs a text"));
            }
            *slot = Some(text.to_owned());
        }
    }
    Ok(out)
}

pub fn alert_new(ctx: &Ctx, a: &AlertNewArgs) -> Result<(), String> {
    let msg_type = match a.msg_type {
        MsgTypeArg::Alert => MsgType::Alert,
        MsgTypeArg::Update => MsgType::Update,
        MsgTypeArg::Cancel => MsgType::Cancel,
    };
    let now = Utc::now();
    let mut references = a.references.clone();
    let mut ref_expiries = Vec::new();
    for f in &a.reference_files {
        let original = read_alert_file(f)?;
        if original.network != a.network {
            return Err("--ref-file is an alert of another network".into());
        }
        if !references.contains(&original.id) {
            references.push(original.id.clone());
        }
        ref_expiries.push(original.expires);
    }
    let (lifetime, latest) = alert_lifetime(ctx, a, msg_type, &references, &ref_expiries, now)?;
    let mut draft = AlertDraft::new(
        &a.network,
        msg_type,
        (a.category, a.severity, a.urgency, a.certainty),
        now,
        lifetime,
    )
    .map_err(|_| "--expires is out of range".to_owned())?
    .references(&references)
    .text(
        &a.lang,
        AlertText {
            headline: a.headline.clone(),
            description: a.description.clone(),
            instruction: a.instruction.clone(),
        },
    )
    .hotline(a.hotline.as_deref());
    if let Some(id) = &a.id {
        draft = draft.id(id);
    }
    for (lang, text) in translations(a)? {
        draft = draft.text(&lang, text);
    }
    for c in &a.circles {
        let parts: Vec<&str> = c.split(',').collect();
        let circle = match parts.as_slice() {
            [lat, lon, r] => Circle {
                center: parse_point(&format!("{lat},{lon}"))?,
                radius_m: r
                    .trim()
                    .parse()
                    .map_err(|_| "a radius is metres".to_owned())?,
            },
            _ => return Err("a circle is LAT,LON,RADIUS_M".to_owned()),
        };
        draft = draft.circle(circle);
    }
    for p in &a.polygons {
        draft = draft.polygon(
            p.split(';')
                .map(parse_point)
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    for r in &a.regions {
        draft = draft.region(r);
    }
    let alert = draft.build().map_err(err)?;
    let keys = a
        .sign
        .iter()
        .map(|k| super::organizer::load_key(k))
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<_> = keys.iter().collect();
    // The same key twice counts once: refused, so nobody believes a second person signed.
    let bytes = sign_alert(&alert, &refs).map_err(coded)?;
    let profile = network_profile(ctx, &a.network, a.profile.as_deref())?;
    let signers: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    let status = profile.as_ref().map(|p| policy_status(p, &alert, &signers));
    super::organizer::write_new(&a.out, &bytes, false)?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({
            "id": alert.id,
            "out": a.out,
            "signatures": keys.len(),
            "expires": alert.expires,
            "policy": status,
        }));
    }
    ctx.out.line(&format!(
        "Wrote alert {} to {} with {} signature(s).",
        alert.id,
        a.out.display(),
        keys.len()
    ));
    if let Some(t) = latest
        && alert.expires < t
    {
        ctx.out.line(
            "Note: it expires before an alert it replaces; once it expires, devices that have not synced may still show that alert.",
        );
    }
    print_policy(ctx, status.as_ref());
    Ok(())
}

/// Replaces `path` atomically and durably: a crash leaves the old file or the new one.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    silbato_core::files::replace(path, bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The second dispatcher adds their signature to an alert file, after seeing what it says and
/// checking the signatures already on it.
pub fn alert_sign(
    ctx: &Ctx,
    file: &Path,
    keyfile: &Path,
    profile: Option<&Path>,
) -> Result<(), String> {
    let key = super::organizer::load_key(keyfile)?;
    let bytes = read_bounded(file, MAX_ALERT_ENVELOPE)?;
    let Cosigned {
        alert,
        envelope: signed,
        signatures: count,
        signers,
        already_signed,
    } = cosign(&bytes, &key).map_err(|e| match e {
        silbato_core::proto::Error::BadSignature { .. } => {
            "a signature already on this alert does not verify; do not sign it".to_owned()
        }
        other => err(other),
    })?;
    let profile = network_profile(ctx, &alert.network, profile)?;
    let status = profile.as_ref().map(|p| policy_status(p, &alert, &signers));
    if already_signed {
        // Nothing to write: the file stays as it was.
        if ctx.out.json {
            ctx.out.json(&serde_json::json!({
                "out": file, "id": alert.id, "already_signed": true,
                "signatures": count, "policy": status,
            }))?;
        } else {
            print_policy(ctx, status.as_ref());
        }
        return Err(coded(silbato_core::inbox::alert::AlertError::AlreadySigned));
    }
    replace_file(file, &signed)?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({
            "out": file, "id": alert.id, "signed_by": key.public_key().to_string(),
            "already_signed": false, "signatures": count, "policy": status,
        }));
    }
    let headline = alert
        .text("en")
        .map(|(_, t)| t.headline.clone())
        .unwrap_or_default();
    ctx.out.line(&format!(
        "Signed alert {} ({}, {}): {headline}",
        alert.id,
        label(&alert.msg_type),
        label(&alert.certainty)
    ));
    ctx.out.line(&format!(
        "It now carries {} signature(s); yours is {}.",
        count,
        key.public_key().fingerprint()
    ));
    print_policy(ctx, status.as_ref());
    Ok(())
}

// ---- push ----

pub fn push_unsubscribe(ctx: &Ctx, hub: Option<&str>) -> Result<(), String> {
    let app = ctx.app()?;
    let done = app.unsubscribe_push(hub).map_err(err)?;
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "unsubscribed_hubs": done.len() }));
    }
    ctx.out.line(&format!(
        "Unsubscribed: this device gets no more pushes from {} hub{}.",
        done.len(),
        if done.len() == 1 { "" } else { "s" }
    ));
    Ok(())
}

pub fn push_key(ctx: &Ctx) -> Result<(), String> {
    let key = open_inbox(ctx)?.push_public_key().map_err(err)?;
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "push_public_key": key.to_string() }));
    }
    ctx.out.line(&key.to_string());
    Ok(())
}

pub fn push_seal(ctx: &Ctx, alert_file: &Path, to: &str, out: &Path) -> Result<(), String> {
    let device = SealPublicKey::parse(to)
        .map_err(|_| "--to takes the device's x25519:... push key".to_owned())?;
    let bytes = read_bounded(alert_file, MAX_ALERT_ENVELOPE)?;
    let payload = seal_for_device(&bytes, &device).map_err(err)?;
    super::organizer::write_new(out, &payload, false)?;
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "out": out, "bytes": payload.len() }));
    }
    ctx.out.line(&format!(
        "Wrote {} ({} bytes, sealed to the device).",
        out.display(),
        payload.len()
    ));
    Ok(())
}

pub fn push_wake(ctx: &Ctx, out: &Path) -> Result<(), String> {
    super::organizer::write_new(out, &wake_payload(), false)?;
    if !ctx.out.json {
        ctx.out
            .line(&format!("Wrote a wake-up payload to {}.", out.display()));
    }
    Ok(())
}

pub fn push_ingest(ctx: &Ctx, file: &Path, lang: Option<String>) -> Result<(), String> {
    let bytes = read_bounded(file, MAX_PUSH_BYTES)?;
    let outcome = open_inbox(ctx)?
        .ingest_push(&bytes, &user_lang(lang), Utc::now())
        .map_err(err)?;
    if ctx.out.json {
        ctx.out.json(&outcome)?;
        if let silbato_core::inbox::push::PushOutcome::Alert {
            outcome: IngestOutcome::Rejected(r),
            ..
        } = &outcome
        {
            return Err(format!("alert refused: {r}"));
        }
        return Ok(());
    }
    match &outcome {
        silbato_core::inbox::push::PushOutcome::SyncNeeded => {
            ctx.out.line("Wake-up: a sync is needed.")
        }
        silbato_core::inbox::push::PushOutcome::Alert {
            outcome,
            notification,
        } => {
            print_outcome(ctx, outcome)?;
            if let Some(n) = notification {
                ctx.out
                    .line(&format!("Notification: {} — {}", n.title, n.body));
            }
        }
    }
    Ok(())
}

pub fn push_headlines(ctx: &Ctx, on: bool) -> Result<(), String> {
    open_inbox(ctx)?
        .set_headline_in_notifications(on)
        .map_err(err)?;
    if !ctx.out.json {
        ctx.out.line(if on {
            "Notifications will show alert headlines (they may be kept by the phone's notification history)."
        } else {
            "Notifications will only say which network sent an alert."
        });
    }
    Ok(())
}

/// CAP 1.2 XML of a signed (or unsigned) alert, for IPAWS-style tools.
pub fn alert_to_cap(ctx: &Ctx, file: &Path, sender: Option<&str>) -> Result<(), String> {
    let bytes = read_bounded(file, MAX_ALERT_ENVELOPE)?;
    let payload = match Envelope::parse(&bytes, DocKind::Envelope, ALERT_KIND, MAX_ALERT_ENVELOPE) {
        Ok(env) => {
            env.verify_self_consistent(DocKind::Envelope)
                .map_err(|_| "a signature on this alert does not verify".to_owned())?;
            env.payload
        }
        Err(_) => bytes,
    };
    let alert: Alert = serde_json::from_slice(&payload).map_err(|_| "not an alert".to_owned())?;
    let xml =
        silbato_core::inbox::cap::to_cap(&alert, sender.unwrap_or(&alert.network)).map_err(err)?;
    ctx.out.line(&xml);
    Ok(())
}

/// An unsigned alert from CAP 1.2 XML; sign it with `alert sign`.
pub fn alert_from_cap(
    ctx: &Ctx,
    file: &Path,
    network: &str,
    out: Option<&Path>,
) -> Result<(), String> {
    let xml = String::from_utf8(read_bounded(file, silbato_core::inbox::cap::MAX_CAP_BYTES)?)
        .map_err(|_| "the CAP file is not UTF-8".to_owned())?;
    let alert = silbato_core::inbox::cap::from_cap(&xml, network).map_err(err)?;
    let json = serde_json::to_vec_pretty(&alert).map_err(err)?;
    match out {
        Some(path) => {
            super::organizer::write_new(path, &json, false)?;
            if !ctx.out.json {
                ctx.out.line(&format!(
                    "Wrote unsigned alert {} to {}. Sign it: silbato alert sign {} --key KEY",
                    alert.id,
                    path.display(),
                    path.display()
                ));
            }
        }
        None => ctx.out.line(&String::from_utf8_lossy(&json)),
    }
    Ok(())
}
