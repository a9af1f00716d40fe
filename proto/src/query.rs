//! User search text → a safe FTS5 `MATCH` expression, for the rights library's search box.
//!
//! Owns the sanitizer: the query is cut into words (letters and digits only, after Unicode NFC),
//! at most [`MAX_TERMS`] of them and each at most [`MAX_TERM_CHARS`] characters; each word becomes
//! a quoted prefix term (`"word"*`), and the terms are joined with implicit AND or with `OR`. It
//! must never let user text reach FTS5 syntax: quotes, `*`, `^`, `:`, `NEAR(`, `AND`/`OR`/`NOT`,
//! parentheses, emoji and any length of input give plain terms or none, so the expression always
//! parses. Running the query, ranking and snippets are the core's (`rights::search`).

use unicode_normalization::UnicodeNormalization;

/// At most this many words of a query are used; the rest cannot change a sensible result.
pub const MAX_TERMS: usize = 12;
/// Longer words are cut: no real word is longer, and it bounds the query.
pub const MAX_TERM_CHARS: usize = 48;

/// How the terms of an expression are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// Every term must match (FTS5's implicit AND: terms separated by a space).
    All,
    /// Any term may match (`OR`).
    Any,
}

impl Join {
    /// The text between two terms.
    pub fn separator(self) -> &'static str {
        match self {
            Join::All => " ",
            Join::Any => " OR ",
        }
    }
}

/// The words of a query, as FTS5 sees them: letters and digits only, NFC, at most
/// [`MAX_TERMS`] words of at most [`MAX_TERM_CHARS`] characters. Empty when the query has no
/// letter or digit.
pub fn terms(query: &str) -> Vec<String> {
    let normal: String = query.nfc().collect();
    normal
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_TERMS)
        .map(|w| w.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// An FTS5 expression of quoted prefix terms (`"a"* "b"*`, or `"a"* OR "b"*`). Any string is
/// safe as a term (a `"` inside is doubled, FTS5's escape), though [`terms`] never yields one.
/// Empty for no terms, which is not a valid expression: search nothing instead.
pub fn fts_query(terms: &[String], join: Join) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(join.separator())
}

/// The expression for a query: [`fts_query`] of its [`terms`]. `None` when it has no term.
pub fn match_expression(query: &str, join: Join) -> Option<String> {
    let words = terms(query);
    (!words.is_empty()).then(|| fts_query(&words, join))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hostile_text_becomes_plain_terms() {
        let t = terms("\"NEAR(a b)\" OR *x AND (NOT y");
        assert_eq!(t, vec!["NEAR", "a", "b", "OR", "x", "AND", "NOT", "y"]);
        assert_eq!(fts_query(&t[..2], Join::All), "\"NEAR\"* \"a\"*");
        assert_eq!(fts_query(&t[..2], Join::Any), "\"NEAR\"* OR \"a\"*");
        assert!(terms("🚨🚨 ::: ()").is_empty());
        assert_eq!(terms(&"a".repeat(10_000)), vec!["a".repeat(MAX_TERM_CHARS)]);
        assert_eq!(terms(&"w ".repeat(5_000)).len(), MAX_TERMS);
    }

    #[test]
    fn decomposed_accents_stay_in_the_word() {
        assert_eq!(terms("polici\u{301}a"), vec!["policía"]);
    }

    #[test]
    fn quotes_in_a_term_are_escaped() {
        assert_eq!(fts_query(&["a\"b".to_owned()], Join::All), "\"a\"\"b\"*");
    }

    #[test]
    fn no_terms_no_expression() {
        assert_eq!(match_expression("  ^*:() \"\" ", Join::All), None);
        assert_eq!(
            match_expression("abogado col:x", Join::Any).as_deref(),
            Some("\"abogado\"* OR \"col\"* OR \"x\"*")
        );
    }

    /// What the fuzz target checks too: every expression is quoted prefix terms of letters and
    /// digits and the separator, nothing else.
    fn assert_safe(query: &str) {
        let words = terms(query);
        assert!(words.len() <= MAX_TERMS);
        for w in &words {
            assert!(!w.is_empty());
            assert!(w.chars().count() <= MAX_TERM_CHARS);
            assert!(w.chars().all(char::is_alphanumeric), "{w:?}");
        }
        for join in [Join::All, Join::Any] {
            let Some(expr) = match_expression(query, join) else {
                assert!(words.is_empty());
                continue;
            };
            let parts: Vec<&str> = expr.split(join.separator()).collect();
            assert_eq!(parts.len(), words.len(), "{expr:?}");
            for (part, word) in parts.iter().zip(&words) {
                assert_eq!(*part, format!("\"{word}\"*"));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_text_gives_only_quoted_prefix_terms(q in any::<String>()) {
            assert_safe(&q);
        }

        #[test]
        fn fts_syntax_gives_only_quoted_prefix_terms(
            q in "([\"*^:()+-]|NEAR|AND|OR|NOT|[a-zA-Z0-9 ]|é|e\u{301}|ß|🚨){0,80}",
        ) {
            assert_safe(&q);
        }
    }
}
