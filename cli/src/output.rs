//! How the CLI writes: JSON for scripts, or wrapped text with headings for a terminal.
//!
//! Owns the terminal width, colour decisions and the rendering of card bodies. It must never
//! print anything to stdout that a script reading `--json` would not expect.

use std::io::{IsTerminal, Write};

use serde::Serialize;
use silbato_content::{Block, Inline};
use silbato_core::rights::SnippetPart;

pub struct Out {
    pub json: bool,
    width: usize,
    styled: bool,
}

impl Out {
    pub fn new(json: bool) -> Self {
        let tty = std::io::stdout().is_terminal();
        let width = terminal_size::terminal_size()
            .map_or(80, |(w, _)| usize::from(w.0))
            .clamp(40, 100);
        Out {
            json,
            width,
            styled: tty && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Prints `value` as pretty JSON (one document per command).
    pub fn json<T: Serialize>(&self, value: &T) -> Result<(), String> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|_| "cannot encode the output".to_owned())?;
        self.line(&text);
        Ok(())
    }

    pub fn line(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = writeln!(stdout, "{text}");
    }

    pub fn blank(&self) {
        self.line("");
    }

    fn style(&self, code: &str, text: &str) -> String {
        if self.styled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.style("1", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.style("2", text)
    }

    pub fn heading(&self, text: &str) {
        self.line(&self.bold(text));
        self.line(&"─".repeat(text.chars().count().min(self.width)));
    }

    pub fn subheading(&self, text: &str) {
        self.blank();
        self.line(&self.bold(text));
    }

    /// Wraps `text` to the terminal, each line prefixed by `indent`.
    pub fn para(&self, text: &str, indent: &str) {
        let opts = textwrap::Options::new(self.width)
            .initial_indent(indent)
            .subsequent_indent(indent);
        for line in textwrap::wrap(text, opts) {
            self.line(&line);
        }
    }

    /// A list item: first line after `marker`, later lines aligned under the text.
    pub fn item(&self, marker: &str, text: &str, indent: &str) {
        let first = format!("{indent}{marker}");
        let rest = " ".repeat(first.chars().count());
        let opts = textwrap::Options::new(self.width)
            .initial_indent(&first)
            .subsequent_indent(&rest);
        for line in textwrap::wrap(text, opts) {
            self.line(&line);
        }
    }

    fn inline_text(&self, inlines: &[Inline]) -> String {
        inlines
            .iter()
            .map(|i| match i {
                Inline::Text(t) => t.clone(),
                Inline::Strong(t) => self.bold(t),
                Inline::Emphasis(t) => self.style("3", t),
            })
            .collect()
    }

    pub fn blocks(&self, blocks: &[Block]) {
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 {
                self.blank();
            }
            match block {
                Block::Heading { text, .. } => {
                    let plain: String = text.iter().map(Inline::text).collect();
                    self.line(&self.bold(&plain));
                }
                Block::Paragraph { text } => self.para(&self.inline_text(text), ""),
                Block::BulletList { items } => {
                    for item in items {
                        self.item("• ", &self.inline_text(item), "  ");
                    }
                }
                Block::NumberedList { items } => {
                    for (n, item) in items.iter().enumerate() {
                        self.item(&format!("{}. ", n + 1), &self.inline_text(item), "  ");
                    }
                }
            }
        }
    }

    pub fn snippet(&self, parts: &[SnippetPart]) -> String {
        parts
            .iter()
            .map(|p| {
                let text = p.text.replace('\n', " ");
                if !p.highlight {
                    text
                } else if self.styled {
                    self.style("1;4", &text)
                } else {
                    format!("[{text}]")
                }
            })
            .collect()
    }
}
