//! `silbato rights ...`: reading, searching and installing know-your-rights content.

use std::path::Path;

use silbato_core::crypto::PublicKey;
use silbato_core::proto::network::normalize_fingerprint;
use silbato_core::rights::{MAX_PACK_BYTES, RightsError, inspect_pack};

use super::{Ctx, card_langs, read_bounded};

pub fn list(ctx: &Ctx, lang: Option<String>, category: Option<String>) -> Result<(), String> {
    let lib = ctx.rights()?;
    let langs = card_langs(&lib, lang)?;
    let cards = lib
        .list_cards_in(&langs, category.as_deref())
        .map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&cards);
    }
    let info = lib.language_in(&langs).map_err(|e| e.to_string())?;
    if cards.is_empty() {
        out.line(&info.labels.no_results);
        return Ok(());
    }
    let mut current = None;
    for card in &cards {
        if current.as_ref() != Some(&card.category) {
            if current.is_some() {
                out.blank();
            }
            out.heading(&card.category_name);
            current = Some(card.category.clone());
        }
        let mark = if card.fallback {
            format!(" ({})", card.lang)
        } else {
            String::new()
        };
        out.line(&format!(
            "{}{}  {}",
            out.bold(&card.title),
            mark,
            out.dim(&card.id)
        ));
        out.para(&card.summary, "    ");
    }
    out.blank();
    out.para(&info.disclaimer, "");
    Ok(())
}

pub fn show(ctx: &Ctx, id: &str, lang: Option<String>) -> Result<(), String> {
    let lib = ctx.rights()?;
    let langs = card_langs(&lib, lang)?;
    let card = lib.card_in(id, &langs).map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&card);
    }
    let info = lib.language(&card.lang).map_err(|e| e.to_string())?;
    let asked = lib.language_in(&langs).map_err(|e| e.to_string())?;
    out.heading(&card.title);
    out.line(&out.dim(&format!("{} · {}", card.category_name, card.id)));
    if card.fallback {
        out.line(&asked.labels.fallback_notice);
    }
    out.blank();
    out.para(&out.bold(&card.summary), "");
    out.blank();
    out.blocks(&card.body);
    if !card.say.is_empty() {
        out.subheading(&info.labels.say);
        for phrase in &card.say {
            out.item("» ", phrase, "  ");
        }
    }
    if !card.show_agent.is_empty() {
        out.subheading(&info.labels.show_agent);
        out.para(&card.show_agent, "  │ ");
        out.line(&out.dim(&format!("  silbato rights card {}", card.id)));
    }
    out.subheading(&info.labels.sources);
    for s in &card.sources {
        out.item(
            "- ",
            &format!("{} — {} <{}>", s.publisher, s.title, s.url),
            "  ",
        );
    }
    out.blank();
    out.line(&out.dim(&format!(
        "{}: {}",
        info.labels.last_reviewed, card.last_reviewed
    )));
    out.para(&out.dim(&info.disclaimer), "");
    Ok(())
}

pub fn search(
    ctx: &Ctx,
    query: &str,
    lang: Option<String>,
    limit: usize,
    category: Option<&str>,
) -> Result<(), String> {
    let lib = ctx.rights()?;
    let langs = card_langs(&lib, lang)?;
    let hits = lib
        .search_in(query, &langs, limit.min(200), category)
        .map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&hits);
    }
    let info = lib.language_in(&langs).map_err(|e| e.to_string())?;
    if hits.is_empty() {
        out.line(&info.labels.no_results);
        return Ok(());
    }
    out.heading(&format!("{} ({})", info.labels.search_results, hits.len()));
    for hit in &hits {
        out.blank();
        out.line(&format!(
            "{}  {}",
            out.bold(&hit.title),
            out.dim(&format!("{} · {}", hit.card_id, hit.lang))
        ));
        out.para(&out.snippet(&hit.snippet), "    ");
    }
    Ok(())
}

pub fn agent_card(ctx: &Ctx, id: &str, lang: Option<String>) -> Result<(), String> {
    let lib = ctx.rights()?;
    let langs = card_langs(&lib, lang)?;
    let card = lib.card_in(id, &langs).map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&serde_json::json!({
            "id": card.id, "lang": card.lang, "title": card.title, "show_agent": card.show_agent,
        }));
    }
    if card.show_agent.is_empty() {
        return Err("this card has no text to show an agent".into());
    }
    // Large and plain: wide margins, short lines, blank lines between paragraphs, nothing else.
    let width = out.width().min(64);
    let rule = "═".repeat(width);
    out.line(&rule);
    out.blank();
    for para in card.show_agent.split("\n\n") {
        let text = para.split_whitespace().collect::<Vec<_>>().join(" ");
        for line in textwrap::wrap(
            &text,
            textwrap::Options::new(width - 4)
                .initial_indent("  ")
                .subsequent_indent("  "),
        ) {
            out.line(&out.bold(&line));
        }
        out.blank();
    }
    out.line(&rule);
    Ok(())
}

pub fn hotlines(ctx: &Ctx, region: Option<String>, lang: Option<String>) -> Result<(), String> {
    let lib = ctx.rights()?;
    let lines = lib.hotlines(region.as_deref()).map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&lines);
    }
    let info = lib
        .language_in(&card_langs(&lib, lang)?)
        .map_err(|e| e.to_string())?;
    out.heading(&info.labels.hotlines);
    if lines.is_empty() {
        out.line(&info.labels.no_results);
    }
    for h in &lines {
        out.blank();
        out.line(&format!("{}  {}", out.bold(&h.number), h.name));
        let mut facts = vec![h.region.clone()];
        if let Some(hours) = &h.hours {
            facts.push(hours.clone());
        }
        if !h.languages.is_empty() {
            facts.push(h.languages.join(", "));
        }
        out.para(&facts.join(" · "), "    ");
        if let Some(s) = &h.source {
            out.para(
                &out.dim(&format!(
                    "{}: {} <{}>",
                    info.labels.sources, s.publisher, s.url
                )),
                "    ",
            );
        }
    }
    Ok(())
}

pub fn install(ctx: &Ctx, file: &Path) -> Result<(), String> {
    let bytes = read_bounded(file, MAX_PACK_BYTES)?;
    let lib = ctx.rights()?;
    let networks = super::inbox::open_inbox(ctx)?
        .trusted_publishers()
        .map_err(|e| e.to_string())?;
    let report = lib
        .install_pack_trusting(&bytes, &networks)
        .map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&report);
    }
    let from = report
        .previous_version
        .map_or_else(String::new, |v| format!(" (was version {v})"));
    out.line(&format!(
        "Installed {} version {}{}: {} cards, signed by {}",
        report.pack_id, report.version, from, report.cards, report.signer
    ));
    Ok(())
}

pub fn packs(ctx: &Ctx) -> Result<(), String> {
    let lib = ctx.rights()?;
    let packs = lib.packs().map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&packs);
    }
    for p in &packs {
        out.line(&format!(
            "{}  version {}  ({})",
            out.bold(&p.pack_id),
            p.version,
            p.issued
        ));
        let origin = if p.bundled {
            "bundled with the app".to_owned()
        } else {
            format!(
                "signed by {}",
                p.signer_fingerprint.as_deref().unwrap_or("?")
            )
        };
        out.para(
            &format!(
                "{} cards · {} · {}",
                p.cards,
                p.languages.join(", "),
                origin
            ),
            "    ",
        );
    }
    Ok(())
}

pub fn categories(ctx: &Ctx, lang: Option<String>) -> Result<(), String> {
    let lib = ctx.rights()?;
    let cats = lib
        .categories_in(&card_langs(&lib, lang)?)
        .map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&cats);
    }
    for c in &cats {
        out.line(&format!("{:<16} {} ({})", c.id, c.name, c.cards));
    }
    Ok(())
}

pub fn languages(ctx: &Ctx) -> Result<(), String> {
    let lib = ctx.rights()?;
    let langs = lib.languages().map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&langs);
    }
    for l in &langs {
        let state = if l.complete { "" } else { " (partial)" };
        out.line(&format!("{:<4} {}{}", l.code, l.name, state));
    }
    Ok(())
}

/// `publishers trust KEY --for-pack ID --fingerprint FP`: lets one key replace one pack id (the
/// bundled pack's included) once the user compared its fingerprint. `KEY` is `ed25519:...`, or a
/// file holding one, or a pack file it signed (its pack id must be `ID`).
pub fn publishers_trust(
    ctx: &Ctx,
    key: &str,
    pack_id: &str,
    fingerprint: &str,
) -> Result<(), String> {
    let key = match PublicKey::parse(key.trim()) {
        Ok(k) => k,
        Err(_) => key_from_file(Path::new(key), pack_id, fingerprint)?,
    };
    ctx.rights()?
        .confirm_pack_owner(&key, pack_id, fingerprint)
        .map_err(|e| e.to_string())?;
    let out = &ctx.out;
    if out.json {
        return out.json(&serde_json::json!({
            "public_key": key.to_string(),
            "fingerprint": key.fingerprint(),
            "pack_id": pack_id,
        }));
    }
    out.line(&format!(
        "Trusting {} to replace the pack {pack_id}",
        key.fingerprint()
    ));
    Ok(())
}

/// The key in a public-key file, or the signer of a pack file whose fingerprint is `fingerprint`.
fn key_from_file(file: &Path, pack_id: &str, fingerprint: &str) -> Result<PublicKey, String> {
    let bytes = read_bounded(file, MAX_PACK_BYTES)?;
    if let Some(k) = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|t| PublicKey::parse(t.trim()).ok())
    {
        return Ok(k);
    }
    let pack = inspect_pack(&bytes).map_err(|e| e.to_string())?;
    if pack.payload.pack_id != pack_id {
        return Err(RightsError::PackIdMismatch.to_string());
    }
    let wanted = normalize_fingerprint(fingerprint);
    pack.signers
        .into_iter()
        .find(|k| normalize_fingerprint(&k.fingerprint()) == wanted)
        .ok_or_else(|| RightsError::FingerprintMismatch.to_string())
}
