//! `silbato sync`, `vault report`, `outbox list`, `push subscribe`, and the dispatcher's
//! `dispatch reports` and `alert publish`: everything that talks to a hub.

use std::path::Path;

use chrono::Utc;
use silbato_core::app::push_provider;
use silbato_core::protocol::{self, DispatcherKeys};
use silbato_core::sync::{HubClient, SyncConfig, SyncReport};

use super::inbox::open_inbox;
use super::{Ctx, read_bounded};

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// When there is no hub to talk to: neither `--hub` nor a confirmed network.
const NO_HUB: &str =
    "no confirmed network to sync with: install one (`network install`) or pass --hub URL";

/// `--hub URL` for `sync`: a URL no hub client would take is a usage error (exit code 2), found
/// before anything is opened. The message names the rule, never the URL.
pub fn check_hub_arg(hub: &str) -> Result<(), String> {
    silbato_core::sync::check_hub_url(hub)
        .map(|_| ())
        .map_err(|e| format!("--hub is not a hub URL: {e} [{}]", e.code()))
}

fn print_report(ctx: &Ctx, hub: &str, r: &SyncReport) {
    let out = &ctx.out;
    let heading = if r.all_failed() {
        format!("Could not sync with {hub}: every step failed")
    } else if r.ok() {
        format!("Synced with {hub}")
    } else {
        format!("Synced with {hub}, with problems")
    };
    out.line(&out.bold(&heading));
    let doc = |d: &silbato_core::sync::DocOutcome| match d {
        silbato_core::sync::DocOutcome::NotModified => "unchanged".to_owned(),
        silbato_core::sync::DocOutcome::Updated { version } => {
            format!("updated to version {version}")
        }
        silbato_core::sync::DocOutcome::NotPublished => "not published".to_owned(),
        silbato_core::sync::DocOutcome::Failed => "failed".to_owned(),
    };
    out.line(&format!("  network profile: {}", doc(&r.network)));
    for (id, d) in &r.packs {
        out.line(&format!("  pack {id}: {}", doc(d)));
    }
    out.line(&format!("  watch-list: {}", doc(&r.watchlist)));
    out.line(&format!(
        "  alerts: {} new, {} already here, {} refused",
        r.alerts_accepted, r.alerts_duplicate, r.alerts_rejected
    ));
    out.line(&format!(
        "  reports: {} sent, {} waiting",
        r.reports_sent, r.reports_pending
    ));
    for f in &r.failures {
        out.line(&format!(
            "  ! {}: {} [{}]{}",
            f.step,
            f.error,
            f.code,
            if f.retryable { " (will retry)" } else { "" }
        ));
    }
}

pub fn sync_cmd(ctx: &Ctx, hub: Option<&str>) -> Result<(), String> {
    let app = ctx.app()?;
    let outcome = match hub {
        Some(h) => app.sync_hub(h, Utc::now()).map_err(err)?,
        None => app.sync(Utc::now()).map_err(err)?,
    };
    if outcome.hubs.is_empty() {
        return Err(NO_HUB.into());
    }
    if ctx.out.json {
        let list: Vec<_> = outcome
            .hubs
            .iter()
            .map(|h| serde_json::json!({ "hub": h.hub.url, "report": h.report }))
            .collect();
        ctx.out.json(&list)?;
    } else {
        for h in &outcome.hubs {
            print_report(ctx, &h.hub.url, &h.report);
        }
    }
    let failed = outcome.hubs.iter().filter(|h| !h.report.ok()).count();
    if outcome.all_failed() {
        let mut codes: Vec<&str> = outcome.failures().map(|f| f.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        Err(format!(
            "sync failed: nothing was synced ({})",
            codes.join(", ")
        ))
    } else if failed > 0 {
        Err(format!(
            "sync finished with problems ({failed} hub(s)); what could be applied was applied"
        ))
    } else {
        Ok(())
    }
}

pub fn vault_report(
    ctx: &Ctx,
    id: &str,
    network: Option<&str>,
    pass: &super::vault::PassArgs,
) -> Result<(), String> {
    let app = ctx.app()?;
    let network_id = match network {
        Some(n) => n.to_owned(),
        None => {
            let confirmed: Vec<_> = app
                .inbox()
                .networks()
                .map_err(err)?
                .into_iter()
                .filter(|n| n.confirmed)
                .collect();
            match confirmed.as_slice() {
                [one] => one.network_id.clone(),
                [] => return Err("no confirmed network to report to".into()),
                _ => return Err("several networks: say which with --network ID".into()),
            }
        }
    };
    super::vault::unlock(app.vault(), pass)?;
    let key = app.report(id, &network_id, Utc::now()).map_err(err)?;
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "queued": key, "network": network_id }));
    }
    ctx.out.line(&format!(
        "Sealed to {network_id}'s dispatchers and queued ({key}); it goes out with the next sync."
    ));
    Ok(())
}

pub fn outbox_list(ctx: &Ctx) -> Result<(), String> {
    let items = open_inbox(ctx)?.outbox().map_err(err)?;
    if ctx.out.json {
        return ctx.out.json(&items);
    }
    if items.is_empty() {
        ctx.out.line("The outbox is empty.");
    }
    for i in &items {
        let state = i
            .last_error
            .as_deref()
            .map(|e| format!(", last: {e}"))
            .unwrap_or_default();
        ctx.out.line(&format!(
            "{}  to {}  {} bytes  {} attempt(s){state}",
            i.id, i.network_id, i.bytes, i.attempts
        ));
    }
    Ok(())
}

pub fn push_subscribe(
    ctx: &Ctx,
    endpoint: &str,
    regions: &[String],
    provider: &str,
    hub: Option<&str>,
) -> Result<(), String> {
    let provider =
        push_provider(provider).map_err(|_| "--provider is webpush, fcm or apns".to_owned())?;
    let app = ctx.app()?;
    let subscribed = app
        .subscribe_push(provider, endpoint, regions, hub)
        .map_err(err)?;
    if subscribed.hubs.is_empty() {
        return Err(NO_HUB.into());
    }
    let sub = &subscribed.subscription;
    if ctx.out.json {
        return ctx.out.json(sub);
    }
    ctx.out.line(&format!(
        "Subscribed for {} (push key {}). No place was sent.",
        sub.regions.join(", "),
        sub.push_key
    ));
    Ok(())
}

pub fn load_dispatcher(path: &Path) -> Result<DispatcherKeys, String> {
    let bytes = zeroize::Zeroizing::new(read_bounded(path, 64 * 1024)?);
    DispatcherKeys::from_key_file(&bytes).map_err(err)
}

pub fn keys_generate_dispatcher(ctx: &Ctx, out: &Path) -> Result<(), String> {
    let keys = DispatcherKeys::generate().map_err(err)?;
    super::organizer::write_new(out, keys.to_key_file().map_err(err)?.as_bytes(), true)?;
    let (sign, seal) = (
        keys.signing.public_key().to_string(),
        keys.seal.public_key().to_string(),
    );
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "signing_key": sign, "seal_key": seal }));
    }
    ctx.out.line(&sign);
    ctx.out.line(&seal);
    Ok(())
}

pub fn dispatch_reports(ctx: &Ctx, hub: &str, key: &Path, after: &str) -> Result<(), String> {
    let keys = load_dispatcher(key)?;
    let client = HubClient::new(SyncConfig::new(hub)).map_err(err)?;
    let mut cursor = after.to_owned();
    let mut opened = Vec::new();
    let mut unreadable = 0usize;
    loop {
        let page = client
            .reports_page(&keys.signing, &cursor, Utc::now())
            .map_err(err)?;
        for item in &page.reports {
            match protocol::unb64(&item.sealed).map(|b| protocol::open_report(&b, &keys.seal)) {
                Some(Ok(r)) => opened.push((item.id.clone(), item.received_at, r)),
                _ => unreadable += 1,
            }
        }
        cursor = page.next;
        if !page.more {
            break;
        }
    }
    if ctx.out.json {
        let list: Vec<_> = opened
            .iter()
            .map(|(id, at, r)| serde_json::json!({ "id": id, "received_at": at, "report": r }))
            .collect();
        return ctx.out.json(
            &serde_json::json!({ "reports": list, "unreadable": unreadable, "next": cursor }),
        );
    }
    for (id, at, r) in &opened {
        let s = &r.sighting;
        ctx.out.line(&format!(
            "{}  received {}  {:?} by {:?}, {} officers, {}",
            id,
            at.format("%Y-%m-%d %H:%M"),
            s.activity,
            s.agency,
            s.officer_count.map_or("?".into(), |n| n.to_string()),
            s.place.as_deref().unwrap_or("(no place given)")
        ));
        ctx.out
            .line(&format!("    from device {}", r.device_key.fingerprint()));
    }
    ctx.out.line(&format!(
        "{} report(s) opened, {unreadable} not addressed to this key. Next cursor: {cursor}",
        opened.len()
    ));
    Ok(())
}

pub fn alert_publish(ctx: &Ctx, file: &Path, hub: &str) -> Result<(), String> {
    let bytes = read_bounded(file, silbato_core::inbox::alert::MAX_ALERT_ENVELOPE)?;
    // The hub's reason, by its stable code (expired, wrong network, signatures, regions...).
    let posted = HubClient::new(SyncConfig::new(hub))
        .and_then(|c| c.publish_alert(&bytes))
        .map_err(|e| format!("{e} [{}]", e.code()))?;
    if ctx.out.json {
        return ctx.out.json(&posted);
    }
    if posted.duplicate {
        ctx.out
            .line(&format!("The hub already had alert {}.", posted.id));
    } else {
        ctx.out.line(&format!(
            "Published alert {}; pushing to {} device(s).",
            posted.id, posted.fanout
        ));
    }
    Ok(())
}
