//! The payload of a content pack: the exact structure a publisher signs.
//!
//! Field names here are the wire format (`docs/formats/pack.md`); renaming one is a format change
//! and needs a new `FORMAT_VERSION`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The payload format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Everything a publisher signs in one pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackPayload {
    pub format: u32,
    /// Who publishes the pack (a short id such as `silbato` or a network's id).
    pub publisher: String,
    /// Stable id of the pack; a later pack with the same id replaces it.
    pub pack_id: String,
    /// Strictly increasing per `pack_id`; an equal or lower version is a rollback and is refused.
    pub version: u64,
    pub issued: NaiveDate,
    pub languages: Vec<Language>,
    pub categories: Vec<Category>,
    pub cards: Vec<Card>,
    pub hotlines: Vec<Hotline>,
    pub sources: Vec<Source>,
}

/// A language the pack carries, with the words a shell needs around the cards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Language {
    /// BCP 47 primary language subtag, lowercase (`en`, `es`, `ht`, ...).
    pub code: String,
    /// The language's name in itself (`Español`).
    pub name: String,
    /// Every card has a translation in this language.
    pub complete: bool,
    pub disclaimer: String,
    pub labels: Labels,
}

/// Interface words in one language, so shells need no translation tables of their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub say: String,
    pub show_agent: String,
    pub sources: String,
    pub last_reviewed: String,
    pub hotlines: String,
    pub category: String,
    pub no_results: String,
    pub cards: String,
    pub search_results: String,
    pub fallback_notice: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub order: i32,
    /// Name per language code.
    pub names: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    pub id: String,
    pub category: String,
    pub order: i32,
    /// Extra search words, in any language.
    pub tags: Vec<String>,
    pub last_reviewed: NaiveDate,
    /// Ids into [`PackPayload::sources`]; at least one.
    pub sources: Vec<String>,
    /// Text per language code.
    pub texts: BTreeMap<String, CardText>,
}

/// One card in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardText {
    pub title: String,
    pub summary: String,
    /// The body in the Markdown subset of [`crate::parse_markdown`].
    pub body: String,
    /// Short phrases to say out loud.
    pub say: Vec<String>,
    /// Plain text to show or hand an agent (normally in English, whatever the card's language).
    pub show_agent: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hotline {
    /// `US`, `US-IL`, `US-CA-LA`: country, then state, then a metro code.
    pub region: String,
    pub name: String,
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    pub languages: Vec<String>,
    /// Id into [`PackPayload::sources`]: a number goes in only with a public source for it.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub publisher: String,
    pub url: String,
}

impl PackPayload {
    pub fn language(&self, code: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.code == code)
    }

    /// Number of card translations, the unit search cost grows with.
    pub fn translation_count(&self) -> usize {
        self.cards.iter().map(|c| c.texts.len()).sum()
    }
}
