//! The small Markdown subset card bodies are written in, parsed into blocks a shell renders
//! without any parsing of its own.
//!
//! Supported: `#`/`##`/`###` headings, paragraphs, `-`/`*` bullet lists, `1.` numbered lists,
//! `**strong**` and `*emphasis*`/`_emphasis_`. Anything else is kept as literal text: this parser
//! never fails and never produces markup from content it does not understand (no links, no HTML).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Heading { level: u8, text: Vec<Inline> },
    Paragraph { text: Vec<Inline> },
    BulletList { items: Vec<Vec<Inline>> },
    NumberedList { items: Vec<Vec<Inline>> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "style", content = "text", rename_all = "snake_case")]
pub enum Inline {
    Text(String),
    Strong(String),
    Emphasis(String),
}

enum Open {
    None,
    Paragraph(Vec<String>),
    Bullets(Vec<Vec<String>>),
    Numbered(Vec<Vec<String>>),
}

/// Parses a body. Total: every input gives blocks, nothing panics.
pub fn parse_markdown(src: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open = Open::None;
    for raw in src.lines() {
        let line = raw.trim();
        if line.is_empty() {
            close(&mut open, &mut blocks);
            continue;
        }
        if let Some((level, text)) = heading(line) {
            close(&mut open, &mut blocks);
            blocks.push(Block::Heading {
                level,
                text: inlines(text),
            });
        } else if let Some(item) = bullet(line) {
            if !matches!(open, Open::Bullets(_)) {
                close(&mut open, &mut blocks);
                open = Open::Bullets(Vec::new());
            }
            if let Open::Bullets(items) = &mut open {
                items.push(vec![item.to_owned()]);
            }
        } else if let Some(item) = numbered(line) {
            if !matches!(open, Open::Numbered(_)) {
                close(&mut open, &mut blocks);
                open = Open::Numbered(Vec::new());
            }
            if let Open::Numbered(items) = &mut open {
                items.push(vec![item.to_owned()]);
            }
        } else {
            // A plain line continues whatever is open: a paragraph, or the last list item.
            match &mut open {
                Open::Paragraph(lines) => lines.push(line.to_owned()),
                Open::Bullets(items) | Open::Numbered(items) => {
                    if let Some(last) = items.last_mut() {
                        last.push(line.to_owned());
                    }
                }
                Open::None => open = Open::Paragraph(vec![line.to_owned()]),
            }
        }
    }
    close(&mut open, &mut blocks);
    blocks
}

fn close(open: &mut Open, blocks: &mut Vec<Block>) {
    let joined = |lines: Vec<String>| inlines(&lines.join(" "));
    match std::mem::replace(open, Open::None) {
        Open::None => {}
        Open::Paragraph(lines) => blocks.push(Block::Paragraph {
            text: joined(lines),
        }),
        Open::Bullets(items) => blocks.push(Block::BulletList {
            items: items.into_iter().map(joined).collect(),
        }),
        Open::Numbered(items) => blocks.push(Block::NumberedList {
            items: items.into_iter().map(joined).collect(),
        }),
    }
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if !(1..=3).contains(&hashes) {
        return None;
    }
    let rest = line.get(hashes..)?;
    let text = rest.strip_prefix(' ')?.trim();
    u8::try_from(hashes).ok().map(|level| (level, text))
}

fn bullet(line: &str) -> Option<&str> {
    line.strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .map(str::trim)
}

fn numbered(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    line.get(digits..)?.strip_prefix(". ").map(str::trim)
}

/// Splits a line into plain, strong and emphasised runs. An unclosed marker stays literal.
fn inlines(text: &str) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let found =
            [("**", true), ("*", false), ("_", false)]
                .iter()
                .find_map(|&(marker, strong)| {
                    let after = rest.strip_prefix(marker)?;
                    let end = after.find(marker)?;
                    let inner = after.get(..end)?;
                    // `_` inside words (snake_case, file names) is not emphasis.
                    let word_inside =
                        marker == "_" && plain.chars().last().is_some_and(char::is_alphanumeric);
                    if inner.trim().is_empty() || inner != inner.trim() || word_inside {
                        return None;
                    }
                    let consumed = marker.len() * 2 + end;
                    Some((strong, inner.to_owned(), consumed))
                });
        match found {
            Some((strong, inner, consumed)) => {
                if !plain.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut plain)));
                }
                out.push(if strong {
                    Inline::Strong(inner)
                } else {
                    Inline::Emphasis(inner)
                });
                rest = rest.get(consumed..).unwrap_or("");
            }
            None => {
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    plain.push(c);
                }
                rest = chars.as_str();
            }
        }
    }
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
    out
}

impl Inline {
    pub fn text(&self) -> &str {
        match self {
            Inline::Text(t) | Inline::Strong(t) | Inline::Emphasis(t) => t,
        }
    }
}

/// The text of the blocks without markup, one block per line: what search indexes.
pub fn plain_text(blocks: &[Block]) -> String {
    let line = |inl: &[Inline]| inl.iter().map(Inline::text).collect::<String>();
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Heading { text, .. } | Block::Paragraph { text } => out.push(line(text)),
            Block::BulletList { items } | Block::NumberedList { items } => {
                out.extend(items.iter().map(|i| line(i)));
            }
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn parses_the_subset() {
        let src =
            "# Title\n\nFirst line\ncontinues **here**.\n\n- one\n- *two*\n  more\n\n1. a\n2. b\n";
        let blocks = parse_markdown(src);
        assert_eq!(
            blocks,
            vec![
                Block::Heading {
                    level: 1,
                    text: vec![t("Title")]
                },
                Block::Paragraph {
                    text: vec![
                        t("First line continues "),
                        Inline::Strong("here".into()),
                        t(".")
                    ]
                },
                Block::BulletList {
                    items: vec![
                        vec![t("one")],
                        vec![Inline::Emphasis("two".into()), t(" more")]
                    ]
                },
                Block::NumberedList {
                    items: vec![vec![t("a")], vec![t("b")]]
                },
            ]
        );
    }

    #[test]
    fn unknown_markup_stays_literal() {
        let blocks = parse_markdown("[link](http://x) <b>hi</b> **open 5 * 3 snake_case_name");
        assert_eq!(
            plain_text(&blocks),
            "[link](http://x) <b>hi</b> **open 5 * 3 snake_case_name"
        );
    }

    #[test]
    fn plain_text_drops_markup() {
        let blocks = parse_markdown("## Say\n\n- **I will remain silent.**\n");
        assert_eq!(plain_text(&blocks), "Say\nI will remain silent.");
    }

    proptest! {
        #[test]
        fn never_panics_and_keeps_words(src in "\\PC{0,300}") {
            let blocks = parse_markdown(&src);
            let text = plain_text(&blocks);
            for word in src.split_whitespace().filter(|w| w.chars().all(char::is_alphanumeric)) {
                prop_assert!(text.contains(word));
            }
        }
    }
}
