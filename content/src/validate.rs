//! Rules every pack payload must meet, checked when a pack is built and again when one is
//! installed (after its signature is verified).
//!
//! Messages name ids and fields, which are public content; they never quote card text.

use std::collections::BTreeSet;

use crate::model::{FORMAT_VERSION, PackPayload};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid pack: {0}")]
pub struct ValidationError(pub String);

/// Bounds that keep one pack from exhausting a phone. Generous for real content.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_cards: usize,
    pub max_languages: usize,
    pub max_hotlines: usize,
    pub max_sources: usize,
    pub max_title: usize,
    pub max_summary: usize,
    pub max_body: usize,
    pub max_phrases: usize,
    pub max_phrase: usize,
    pub max_show_agent: usize,
    pub max_tags: usize,
    pub max_short: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_cards: 5_000,
            max_languages: 64,
            max_hotlines: 2_000,
            max_sources: 2_000,
            max_title: 200,
            max_summary: 1_000,
            max_body: 20_000,
            max_phrases: 12,
            max_phrase: 400,
            max_show_agent: 4_000,
            max_tags: 40,
            max_short: 300,
        }
    }
}

fn err(msg: impl Into<String>) -> ValidationError {
    ValidationError(msg.into())
}

/// `[a-z0-9][a-z0-9-]*`, at most 64 bytes.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

fn valid_lang(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

fn valid_number(number: &str) -> bool {
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    (3..=20).contains(&digits)
        && number.len() <= 32
        && number
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || " -().".contains(c) || (i == 0 && c == '+'))
}

fn bounded(what: &str, text: &str, max: usize, required: bool) -> Result<(), ValidationError> {
    if required && text.trim().is_empty() {
        return Err(err(format!("{what} is empty")));
    }
    if text.chars().count() > max {
        return Err(err(format!("{what} is longer than {max} characters")));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(err(format!("{what} contains control characters")));
    }
    Ok(())
}

pub fn validate(pack: &PackPayload, limits: &Limits) -> Result<(), ValidationError> {
    if pack.format != FORMAT_VERSION {
        return Err(err(format!("unsupported format {}", pack.format)));
    }
    if !valid_id(&pack.pack_id) || !valid_id(&pack.publisher) {
        return Err(err("pack_id and publisher must be lowercase ids"));
    }
    if pack.version == 0 || pack.version > i64::MAX as u64 {
        return Err(err("version must be between 1 and 2^63-1"));
    }
    if pack.cards.len() > limits.max_cards
        || pack.languages.len() > limits.max_languages
        || pack.hotlines.len() > limits.max_hotlines
        || pack.sources.len() > limits.max_sources
    {
        return Err(err("too many entries"));
    }

    let mut langs = BTreeSet::new();
    for lang in &pack.languages {
        if !valid_lang(&lang.code) || !langs.insert(lang.code.as_str()) {
            return Err(err(format!(
                "language code {:?} invalid or repeated",
                lang.code
            )));
        }
        bounded("language name", &lang.name, limits.max_short, true)?;
        bounded("disclaimer", &lang.disclaimer, limits.max_summary, true)?;
        let l = &lang.labels;
        for (name, value) in [
            ("say", &l.say),
            ("show_agent", &l.show_agent),
            ("sources", &l.sources),
            ("last_reviewed", &l.last_reviewed),
            ("hotlines", &l.hotlines),
            ("category", &l.category),
            ("no_results", &l.no_results),
            ("cards", &l.cards),
            ("search_results", &l.search_results),
            ("fallback_notice", &l.fallback_notice),
        ] {
            bounded(
                &format!("label {name} ({})", lang.code),
                value,
                limits.max_short,
                true,
            )?;
        }
    }

    let mut sources = BTreeSet::new();
    for s in &pack.sources {
        if !valid_id(&s.id) || !sources.insert(s.id.as_str()) {
            return Err(err(format!("source id {:?} invalid or repeated", s.id)));
        }
        bounded("source title", &s.title, limits.max_short, true)?;
        bounded("source publisher", &s.publisher, limits.max_short, true)?;
        if !(s.url.starts_with("https://") || s.url.starts_with("http://")) || s.url.len() > 512 {
            return Err(err(format!("source {} needs an http(s) URL", s.id)));
        }
    }

    let mut categories = BTreeSet::new();
    for c in &pack.categories {
        if !valid_id(&c.id) || !categories.insert(c.id.as_str()) {
            return Err(err(format!("category id {:?} invalid or repeated", c.id)));
        }
        for (code, name) in &c.names {
            if !langs.contains(code.as_str()) {
                return Err(err(format!(
                    "category {} names unknown language {code}",
                    c.id
                )));
            }
            bounded("category name", name, limits.max_short, true)?;
        }
    }

    let complete: Vec<&str> = pack
        .languages
        .iter()
        .filter(|l| l.complete)
        .map(|l| l.code.as_str())
        .collect();
    let mut cards = BTreeSet::new();
    for card in &pack.cards {
        let id = &card.id;
        if !valid_id(id) || !cards.insert(id.as_str()) {
            return Err(err(format!("card id {id:?} invalid or repeated")));
        }
        if !categories.contains(card.category.as_str()) {
            return Err(err(format!(
                "card {id} has unknown category {}",
                card.category
            )));
        }
        if card.sources.is_empty() {
            return Err(err(format!("card {id} cites no source")));
        }
        if let Some(missing) = card.sources.iter().find(|s| !sources.contains(s.as_str())) {
            return Err(err(format!("card {id} cites unknown source {missing}")));
        }
        if card.tags.len() > limits.max_tags {
            return Err(err(format!("card {id} has too many tags")));
        }
        for tag in &card.tags {
            bounded("tag", tag, 64, true)?;
        }
        if card.texts.is_empty() {
            return Err(err(format!("card {id} has no text")));
        }
        if let Some(code) = complete.iter().find(|c| !card.texts.contains_key(**c)) {
            return Err(err(format!(
                "card {id} has no {code} text, and {code} is marked complete"
            )));
        }
        for (code, text) in &card.texts {
            if !langs.contains(code.as_str()) {
                return Err(err(format!(
                    "card {id} has text in undeclared language {code}"
                )));
            }
            let at = |field: &str| format!("card {id} ({code}) {field}");
            bounded(&at("title"), &text.title, limits.max_title, true)?;
            bounded(&at("summary"), &text.summary, limits.max_summary, true)?;
            bounded(&at("body"), &text.body, limits.max_body, true)?;
            bounded(
                &at("show_agent"),
                &text.show_agent,
                limits.max_show_agent,
                false,
            )?;
            if text.say.len() > limits.max_phrases {
                return Err(err(at("say has too many phrases")));
            }
            for phrase in &text.say {
                bounded(&at("say"), phrase, limits.max_phrase, true)?;
            }
        }
    }

    for h in &pack.hotlines {
        if !valid_region(&h.region) {
            return Err(err(format!(
                "hotline region {:?} is not like US-IL",
                h.region
            )));
        }
        bounded("hotline name", &h.name, limits.max_short, true)?;
        if let Some(hours) = &h.hours {
            bounded("hotline hours", hours, limits.max_short, true)?;
        }
        if !valid_number(&h.number) {
            return Err(err(format!("hotline {} has a malformed number", h.name)));
        }
        if !sources.contains(h.source.as_str()) {
            return Err(err(format!(
                "hotline {} cites unknown source {}",
                h.name, h.source
            )));
        }
        if h.languages.iter().any(|l| !valid_lang(l)) {
            return Err(err(format!(
                "hotline {} lists a malformed language",
                h.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_regions_numbers() {
        assert!(valid_id("at-the-door"));
        assert!(!valid_id("At the door"));
        assert!(!valid_id("-x"));
        assert!(valid_region("US-CA-LA"));
        assert!(!valid_region("us-ca"));
        assert!(valid_number("+1-888-624-4752"));
        assert!(valid_number("(312) 555-0100"));
        assert!(!valid_number("call me"));
        assert!(!valid_number("1-800-+1"));
    }
}
