//! Full-text search over every card translation.
//!
//! User text never reaches FTS5 syntax: [`silbato_proto::query`] cuts the query into words
//! (letters and digits only, after Unicode NFC) and makes each a quoted prefix term; the terms
//! are ANDed — or, if that finds nothing, ORed. Quotes, `*`, `NEAR(`, `AND`/`OR`/`NOT`,
//! parentheses, emoji and any length of input therefore give results or an empty list, never an
//! error. Ranking and snippets are here.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use silbato_proto::query::{Join, fts_query, terms};
use unicode_normalization::UnicodeNormalization;

use crate::error::Result;

/// One piece of a snippet; `highlight` marks the words that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnippetPart {
    pub text: String,
    pub highlight: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub pack_id: String,
    pub card_id: String,
    /// The language of the text that matched.
    pub lang: String,
    pub title: String,
    pub summary: String,
    pub category: String,
    pub snippet: Vec<SnippetPart>,
    /// Weighted bm25 score from FTS5; lower (more negative) is better.
    pub score: f64,
}

#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// Only this language, with English for cards not translated into it. `None`: every language.
    pub lang: Option<String>,
    pub limit: usize,
}

/// Ranking happens inside FTS5 (`ORDER BY rank` uses the weights configured in the migration),
/// so SQLite never sorts a join; filtering by language is done on the rows as they stream out.
const RANK_SQL: &str = "SELECT rowid, rank FROM card_fts WHERE card_fts MATCH ?1 ORDER BY rank";

const ROW_SQL: &str = "
    SELECT t.pack_id, t.card_id, t.lang, t.title, t.summary, c.category, t.card_langs
    FROM card_texts t JOIN cards c ON c.pack_id = t.pack_id AND c.id = t.card_id
    WHERE t.rowid = ?1";

/// Where a snippet comes from, in order of preference; the title is shown anyway.
const TEXT_SQL: &str = "SELECT summary, body, say, show_agent FROM card_fts WHERE rowid = ?1";

/// Words of context around the first match in a snippet.
const SNIPPET_WORDS: usize = 14;

/// Searches every card, or only cards of `category` (an id the caller checked exists).
/// `langs`: the reader's chain (see [`crate::lang::negotiate`]); each card is searched only in
/// the first of them it has, else English, else its first language. `None`: every language.
pub(crate) fn search(
    conn: &Connection,
    query: &str,
    langs: Option<&[String]>,
    limit: usize,
    category: Option<&str>,
) -> Result<Vec<SearchHit>> {
    let words = terms(query);
    if words.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let mut hits = run(
        conn,
        &fts_query(&words, Join::All),
        &words,
        langs,
        limit,
        category,
    )?;
    if hits.is_empty() && words.len() > 1 {
        hits = run(
            conn,
            &fts_query(&words, Join::Any),
            &words,
            langs,
            limit,
            category,
        )?;
    }
    Ok(hits)
}

/// Whether the translation `row_lang` of a card with translations `card_langs` (`,en,es,`) is
/// the one the reader with chain `wanted` sees: the chain's first that the card has, else
/// English, else the card's first (as the card and list queries pick).
fn visible(row_lang: &str, card_langs: &str, wanted: Option<&[String]>) -> bool {
    let Some(chain) = wanted else { return true };
    let has = |l: &str| card_langs.contains(&format!(",{l},"));
    let best = chain
        .iter()
        .map(String::as_str)
        .chain([super::FALLBACK_LANG])
        .find(|l| has(l))
        .or_else(|| card_langs.split(',').find(|l| !l.is_empty()));
    best == Some(row_lang)
}

fn run(
    conn: &Connection,
    fts: &str,
    words: &[String],
    langs: Option<&[String]>,
    limit: usize,
    category: Option<&str>,
) -> Result<Vec<SearchHit>> {
    let mut rank = conn.prepare_cached(RANK_SQL)?;
    let mut row_stmt = conn.prepare_cached(ROW_SQL)?;
    let mut text_stmt = conn.prepare_cached(TEXT_SQL)?;
    let folded: Vec<String> = words.iter().map(|w| fold(w)).collect();
    let mut rows = rank.query(params![fts])?;
    let mut hits: Vec<SearchHit> = Vec::new();
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        let score: f64 = row.get(1)?;
        let Some(hit) = row_stmt
            .query_row(params![rowid], |r| {
                let lang: String = r.get(2)?;
                let card_langs: String = r.get(6)?;
                if !visible(&lang, &card_langs, langs) {
                    return Ok(None);
                }
                let card_category: String = r.get(5)?;
                if category.is_some_and(|c| c != card_category) {
                    return Ok(None);
                }
                Ok(Some(SearchHit {
                    pack_id: r.get(0)?,
                    card_id: r.get(1)?,
                    lang,
                    title: r.get(3)?,
                    summary: r.get(4)?,
                    category: card_category,
                    snippet: Vec::new(),
                    score: 0.0,
                }))
            })
            .optional()?
            .flatten()
        else {
            continue;
        };
        // One hit per card: the best-ranked translation.
        if hits
            .iter()
            .any(|h| h.pack_id == hit.pack_id && h.card_id == hit.card_id)
        {
            continue;
        }
        let texts: [String; 4] = text_stmt.query_row(params![rowid], |r| {
            Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?])
        })?;
        let mut hit = hit;
        hit.score = score;
        hit.snippet = snippet(&texts, &folded).unwrap_or_else(|| {
            vec![SnippetPart {
                text: hit.summary.clone(),
                highlight: false,
            }]
        });
        hits.push(hit);
        if hits.len() == limit {
            break;
        }
    }
    Ok(hits)
}

/// Case- and accent-folded form of a word, the way the `unicode61 remove_diacritics` tokenizer
/// sees it, so highlights agree with what matched.
fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Splits `text` into alternating runs of word and non-word characters.
fn tokens(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_word = None;
    for (i, c) in text.char_indices() {
        let w = c.is_alphanumeric();
        match in_word {
            Some(prev) if prev != w => {
                if let Some(run) = text.get(start..i) {
                    out.push((run, prev));
                }
                start = i;
            }
            _ => {}
        }
        in_word = Some(w);
    }
    if let (Some(w), Some(run)) = (in_word, text.get(start..)) {
        out.push((run, w));
    }
    out
}

/// A window of text around the first word that starts with a query term, in the first of
/// `texts` (summary, body, phrases, agent text) that has one.
fn snippet(texts: &[String], terms: &[String]) -> Option<Vec<SnippetPart>> {
    let matches = |word: &str| {
        // Most words are ASCII: compare in place rather than allocating a folded copy.
        if word.is_ascii() {
            terms.iter().any(|t| {
                t.is_ascii()
                    && word.len() >= t.len()
                    && word
                        .as_bytes()
                        .get(..t.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(t.as_bytes()))
            })
        } else {
            let f = fold(word);
            terms.iter().any(|t| f.starts_with(t.as_str()))
        }
    };
    for text in texts {
        let toks = tokens(text);
        let Some(first) = toks.iter().position(|(w, is_word)| *is_word && matches(w)) else {
            continue;
        };
        // Start a few words before the match; count words, not separators.
        let mut start = first;
        let mut before = 0;
        while start > 0 && before < 4 {
            start -= 1;
            if toks.get(start).is_some_and(|(_, w)| *w) {
                before += 1;
            }
        }
        let mut parts: Vec<SnippetPart> = Vec::new();
        if start > 0 {
            parts.push(SnippetPart {
                text: "…".into(),
                highlight: false,
            });
        }
        let mut words = 0;
        let mut end = start;
        for (tok, is_word) in toks.iter().skip(start) {
            if *is_word {
                if words == SNIPPET_WORDS {
                    break;
                }
                words += 1;
            }
            end += 1;
            let highlight = *is_word && matches(tok);
            let tok = if tok.contains('\n') { " " } else { tok };
            match parts.last_mut() {
                Some(last) if last.highlight == highlight && last.text != "…" => {
                    last.text.push_str(tok)
                }
                _ => parts.push(SnippetPart {
                    text: (*tok).to_owned(),
                    highlight,
                }),
            }
        }
        if end < toks.len() {
            parts.push(SnippetPart {
                text: "…".into(),
                highlight: false,
            });
        }
        return Some(parts);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_highlight_folded_prefixes() {
        let texts = ["Si la Policía llega a su puerta, no abra.".to_owned()];
        let parts = snippet(&texts, &[fold("policia")]).unwrap();
        let lit: Vec<_> = parts
            .iter()
            .filter(|p| p.highlight)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(lit, vec!["Policía"]);
        let joined: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert!(joined.starts_with("Si la Policía"));
        assert!(snippet(&texts, &[fold("warrant")]).is_none());
    }

    #[test]
    fn language_visibility() {
        let es = ["es".to_owned()];
        assert!(visible("es", ",en,es,", Some(&es)));
        assert!(!visible("en", ",en,es,", Some(&es)));
        assert!(visible("en", ",en,", Some(&es)));
        assert!(!visible("fr", ",en,fr,", Some(&es)));
        assert!(visible("fr", ",fr,", None));
        // The chain, per card: the first language the card has, else English, else its first.
        let chain = ["vi".to_owned(), "es".to_owned(), "en".to_owned()];
        assert!(visible("es", ",en,es,", Some(&chain)));
        assert!(visible("vi", ",en,es,vi,", Some(&chain)));
        assert!(!visible("es", ",en,es,vi,", Some(&chain)));
        assert!(visible("fr", ",fr,ht,", Some(&chain)));
    }
}
