//! Full-text search over every card translation.
//!
//! User text never reaches FTS5 syntax: the query is cut into words (letters and digits only,
//! after Unicode NFC), each word becomes a quoted prefix term, and the terms are ANDed — or, if
//! that finds nothing, ORed. Quotes, `*`, `NEAR(`, `AND`/`OR`/`NOT`, parentheses, emoji and any
//! length of input therefore give results or an empty list, never an error.

use rusqlite::{Connection, params};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::error::Result;

/// At most this many words of a query are used; the rest cannot change a sensible result.
const MAX_TERMS: usize = 12;
/// Longer words are cut: no real word is longer, and it bounds the query.
const MAX_TERM_CHARS: usize = 48;
const HIGHLIGHT_START: char = '\u{2}';
const HIGHLIGHT_END: char = '\u{3}';

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
    /// bm25 score; lower is better.
    pub score: f64,
}

#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// Only this language, with English for cards not translated into it. `None`: every language.
    pub lang: Option<String>,
    pub limit: usize,
}

/// The words of a query, as FTS5 sees them: letters and digits only.
pub(crate) fn terms(query: &str) -> Vec<String> {
    let normal: String = query.nfc().collect();
    normal
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_TERMS)
        .map(|w| w.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// Builds an FTS5 query of quoted prefix terms joined by `joiner` (" " is AND).
pub(crate) fn fts_query(terms: &[String], joiner: &str) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(joiner)
}

const RANK_SQL: &str = "
    SELECT f.rowid, t.pack_id, t.card_id, t.lang, t.title, t.summary, c.category,
           bm25(card_fts, 10.0, 5.0, 1.0, 3.0, 1.0, 4.0) AS score
    FROM card_fts f
    JOIN card_texts t ON t.rowid = f.rowid
    JOIN cards c ON c.pack_id = t.pack_id AND c.id = t.card_id
    WHERE card_fts MATCH ?1
      AND (?2 IS NULL OR t.lang = ?2 OR (t.lang = 'en' AND NOT EXISTS (
            SELECT 1 FROM card_texts x
            WHERE x.pack_id = t.pack_id AND x.card_id = t.card_id AND x.lang = ?2)))
    ORDER BY score
    LIMIT ?3";

const SNIPPET_SQL: &str = "
    SELECT snippet(card_fts, -1, char(2), char(3), '…', 14)
    FROM card_fts WHERE card_fts MATCH ?1 AND rowid = ?2";

pub(crate) fn search(conn: &Connection, query: &str, opts: &SearchOptions) -> Result<Vec<SearchHit>> {
    let words = terms(query);
    if words.is_empty() || opts.limit == 0 {
        return Ok(Vec::new());
    }
    let mut hits = run(conn, &fts_query(&words, " "), opts)?;
    if hits.is_empty() && words.len() > 1 {
        hits = run(conn, &fts_query(&words, " OR "), opts)?;
    }
    Ok(hits)
}

fn run(conn: &Connection, fts: &str, opts: &SearchOptions) -> Result<Vec<SearchHit>> {
    // Enough rows to fill `limit` distinct cards even when every language of a card matches.
    let fetch = i64::try_from(opts.limit.saturating_mul(8).min(10_000)).unwrap_or(10_000);
    let mut rank = conn.prepare_cached(RANK_SQL)?;
    let mut rows = rank.query(params![fts, opts.lang, fetch])?;
    let mut hits: Vec<(i64, SearchHit)> = Vec::new();
    while let Some(row) = rows.next()? {
        let pack_id: String = row.get(1)?;
        let card_id: String = row.get(2)?;
        if hits.iter().any(|(_, h)| h.pack_id == pack_id && h.card_id == card_id) {
            continue;
        }
        hits.push((
            row.get(0)?,
            SearchHit {
                pack_id,
                card_id,
                lang: row.get(3)?,
                title: row.get(4)?,
                summary: row.get(5)?,
                category: row.get(6)?,
                snippet: Vec::new(),
                score: row.get(7)?,
            },
        ));
        if hits.len() == opts.limit {
            break;
        }
    }
    drop(rows);
    // Snippets only for the hits returned: they cost far more than ranking.
    let mut snip = conn.prepare_cached(SNIPPET_SQL)?;
    for (rowid, hit) in &mut hits {
        let text: String = snip.query_row(params![fts, *rowid], |r| r.get(0))?;
        hit.snippet = snippet_parts(&text);
    }
    Ok(hits.into_iter().map(|(_, h)| h).collect())
}

fn snippet_parts(marked: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut highlight = false;
    for c in marked.chars() {
        if c == HIGHLIGHT_START || c == HIGHLIGHT_END {
            if !current.is_empty() {
                parts.push(SnippetPart { text: std::mem::take(&mut current), highlight });
            }
            highlight = c == HIGHLIGHT_START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        parts.push(SnippetPart { text: current, highlight });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_becomes_plain_terms() {
        let t = terms("\"NEAR(a b)\" OR *x AND (NOT y");
        assert_eq!(t, vec!["NEAR", "a", "b", "OR", "x", "AND", "NOT", "y"]);
        assert_eq!(fts_query(&t[..2], " "), "\"NEAR\"* \"a\"*");
        assert!(terms("🚨🚨 ::: ()").is_empty());
        assert_eq!(terms(&"a".repeat(10_000)), vec!["a".repeat(MAX_TERM_CHARS)]);
        assert_eq!(terms(&"w ".repeat(5_000)).len(), MAX_TERMS);
    }

    #[test]
    fn decomposed_accents_stay_in_the_word() {
        assert_eq!(terms("polici\u{301}a"), vec!["policía"]);
    }

    #[test]
    fn snippet_markers_split() {
        let parts = snippet_parts("la \u{2}policía\u{3} llega");
        assert_eq!(parts.len(), 3);
        assert!(parts[1].highlight && parts[1].text == "policía");
    }
}
