//! What a user types into the rights library's search box, through the sanitizer that turns it
//! into an FTS5 expression: only quoted prefix terms of letters and digits ever come out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use silbato_proto::query::{Join, MAX_TERM_CHARS, MAX_TERMS, fts_query, match_expression, terms};

/// Reads an expression back the way FTS5's lexer reads strings (`"` opens, `""` is a quote, a
/// lone `"` closes), requiring `*` after each string and `sep` between them: the terms, or
/// `None` if anything else is there.
fn read_terms(expr: &str, sep: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    if expr.is_empty() {
        return Some(out);
    }
    let mut rest = expr;
    loop {
        rest = rest.strip_prefix('"')?;
        let mut term = String::new();
        loop {
            let (text, after) = rest.split_once('"')?;
            term.push_str(text);
            match after.strip_prefix('"') {
                Some(r) => {
                    term.push('"');
                    rest = r;
                }
                None => {
                    rest = after;
                    break;
                }
            }
        }
        rest = rest.strip_prefix('*')?;
        out.push(term);
        if rest.is_empty() {
            return Some(out);
        }
        rest = rest.strip_prefix(sep)?;
    }
}

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let words = terms(&query);
    assert!(words.len() <= MAX_TERMS, "more than {MAX_TERMS} terms");
    for w in &words {
        assert!(!w.is_empty(), "an empty term");
        assert!(
            w.chars().count() <= MAX_TERM_CHARS,
            "a term over {MAX_TERM_CHARS} characters"
        );
        assert!(
            w.chars().all(char::is_alphanumeric),
            "a term with a character that is not a letter or digit: {w:?}"
        );
    }
    for join in [Join::All, Join::Any] {
        let Some(expr) = match_expression(&query, join) else {
            assert!(words.is_empty(), "terms but no expression");
            continue;
        };
        assert_eq!(expr, fts_query(&words, join));
        // Exactly the terms, each a quoted prefix term, and the separator between them: nothing
        // the user typed is FTS5 syntax.
        assert_eq!(
            read_terms(&expr, join.separator()).as_ref(),
            Some(&words),
            "{expr:?} is not the quoted terms"
        );
        assert!(
            !words.iter().any(|w| w.contains('"')),
            "a quote in a term: {expr:?}"
        );
    }
    // Any strings at all as terms stay inside their quotes.
    let raw: Vec<String> = query
        .split('\n')
        .take(MAX_TERMS)
        .map(str::to_owned)
        .collect();
    for join in [Join::All, Join::Any] {
        let expr = fts_query(&raw, join);
        assert_eq!(
            read_terms(&expr, join.separator()).as_ref(),
            Some(&raw),
            "{expr:?} does not read back as its terms"
        );
    }
});
