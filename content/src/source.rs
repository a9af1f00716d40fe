//! Loads the editable content tree (`content/` in the repository, or an organizer's copy) into a
//! [`PackPayload`]. The layout is documented in `content/README.md` and `docs/formats/pack.md`.
//!
//! This is the organizer's own public text, so errors may quote file names and parser messages;
//! it must never be pointed at anything a user typed into the app.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::model::{
    Card, CardText, Category, FORMAT_VERSION, Hotline, Labels, Language, PackPayload, Source,
};
use crate::validate::{Limits, valid_id, validate};

/// A problem in the content tree, with the file it is in.
#[derive(Debug, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct SourceError {
    pub path: PathBuf,
    pub reason: String,
}

fn fail(path: &Path, reason: impl ToString) -> SourceError {
    SourceError {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackToml {
    publisher: String,
    pack_id: String,
    version: u64,
    issued: NaiveDate,
    languages: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageToml {
    code: String,
    name: String,
    disclaimer: String,
    labels: Labels,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesToml {
    #[serde(default)]
    source: Vec<Source>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesToml {
    #[serde(default)]
    category: Vec<Category>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HotlinesToml {
    #[serde(default)]
    hotline: Vec<Hotline>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardToml {
    category: String,
    order: i32,
    #[serde(default)]
    tags: Vec<String>,
    last_reviewed: NaiveDate,
    sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    summary: String,
    #[serde(default)]
    say: Vec<String>,
    #[serde(default)]
    show_agent: String,
}

fn read(path: &Path) -> Result<String, SourceError> {
    let text = fs::read_to_string(path).map_err(|e| fail(path, e))?;
    // One normal form everywhere, so search and comparison see what a reader sees; and files
    // saved on Windows read the same as any other.
    Ok(text.replace("\r\n", "\n").nfc().collect())
}

fn parse_toml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, SourceError> {
    toml::from_str(&read(path)?).map_err(|e| fail(path, e))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| fail(dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(dir, e))?;
    entries.sort();
    Ok(entries)
}

/// Splits `+++\nTOML\n+++\nbody` into its two halves.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("+++")?.strip_prefix(['\n', '\r'])?;
    let rest = rest.strip_prefix('\n').unwrap_or(rest);
    let end = rest.find("\n+++")?;
    let front = rest.get(..end)?;
    let after = rest.get(end + 4..)?;
    Some((front, after.trim_start_matches(['\r', '\n'])))
}

fn load_card_text(path: &Path) -> Result<CardText, SourceError> {
    let text = read(path)?;
    let (front, body) = split_front_matter(&text)
        .ok_or_else(|| fail(path, "expected front matter between +++ lines"))?;
    let fm: FrontMatter = toml::from_str(front).map_err(|e| fail(path, e))?;
    let trim = |s: String| s.trim().to_owned();
    Ok(CardText {
        title: trim(fm.title),
        summary: trim(fm.summary),
        body: body.trim().to_owned(),
        say: fm.say.into_iter().map(trim).collect(),
        show_agent: trim(fm.show_agent),
    })
}

/// Reads the content tree rooted at `dir` and validates the result.
pub fn load_dir(dir: &Path) -> Result<PackPayload, SourceError> {
    let meta: PackToml = parse_toml(&dir.join("pack.toml"))?;

    let mut languages = Vec::new();
    for path in sorted_entries(&dir.join("languages"))? {
        if path.extension().is_some_and(|e| e == "toml") {
            let lang: LanguageToml = parse_toml(&path)?;
            let complete = meta.languages.contains(&lang.code);
            languages.push(Language {
                code: lang.code,
                name: lang.name,
                complete,
                disclaimer: lang.disclaimer.trim().to_owned(),
                labels: lang.labels,
            });
        }
    }
    // The declared-complete languages first, in the order pack.toml lists them.
    languages.sort_by_key(|l| {
        meta.languages
            .iter()
            .position(|c| *c == l.code)
            .unwrap_or(usize::MAX)
    });
    if let Some(missing) = meta
        .languages
        .iter()
        .find(|c| !languages.iter().any(|l| &l.code == *c))
    {
        return Err(fail(
            &dir.join("languages"),
            format!("pack.toml lists {missing} but languages/{missing}.toml is missing"),
        ));
    }

    let sources: SourcesToml = parse_toml(&dir.join("sources.toml"))?;
    let categories: CategoriesToml = parse_toml(&dir.join("categories.toml"))?;
    let hotlines_path = dir.join("hotlines.toml");
    let hotlines: HotlinesToml = if hotlines_path.exists() {
        parse_toml(&hotlines_path)?
    } else {
        HotlinesToml { hotline: vec![] }
    };

    let mut cards = Vec::new();
    for card_dir in sorted_entries(&dir.join("cards"))? {
        if !card_dir.is_dir() {
            continue;
        }
        let id = card_dir
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| valid_id(n))
            .ok_or_else(|| {
                fail(
                    &card_dir,
                    "a card folder name must be a lowercase id like at-the-door",
                )
            })?
            .to_owned();
        let meta: CardToml = parse_toml(&card_dir.join("card.toml"))?;
        let mut texts = BTreeMap::new();
        for path in sorted_entries(&card_dir)? {
            if path.extension().is_some_and(|e| e == "md") {
                let code = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .ok_or_else(|| fail(&path, "file name must be a language code, like es.md"))?
                    .to_owned();
                texts.insert(code, load_card_text(&path)?);
            }
        }
        cards.push(Card {
            id,
            category: meta.category,
            order: meta.order,
            tags: meta.tags,
            last_reviewed: meta.last_reviewed,
            sources: meta.sources,
            texts,
        });
    }
    cards.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));

    let pack = PackPayload {
        format: FORMAT_VERSION,
        publisher: meta.publisher,
        pack_id: meta.pack_id,
        version: meta.version,
        issued: meta.issued,
        languages,
        categories: categories.category,
        cards,
        hotlines: hotlines.hotline,
        sources: sources.source,
    };
    validate(&pack, &Limits::default()).map_err(|e| fail(dir, e))?;
    Ok(pack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_split() {
        let (front, body) = split_front_matter("+++\ntitle = \"x\"\n+++\n\nBody\n").unwrap();
        assert_eq!(front, "title = \"x\"");
        assert_eq!(body, "Body\n");
        assert!(split_front_matter("no front matter").is_none());
        assert!(split_front_matter("+++\nunterminated").is_none());
    }

    #[test]
    fn the_repository_content_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pack = load_dir(dir).unwrap();
        assert!(
            pack.cards.len() >= 10,
            "bundled content has the required cards"
        );
        for card in &pack.cards {
            assert!(card.texts.contains_key("en") && card.texts.contains_key("es"));
        }
    }
}
