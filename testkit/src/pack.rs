//! Content packs made in code: payloads of any size with deterministic Zipf-distributed text in
//! English and Spanish (the generators the rights tests and benchmarks share), [`PackBuilder`]
//! to sign one, and the bundled content tree.
//!
//! This module owns the generated text and what a generated pack holds; the same arguments give
//! the same pack, byte for byte, on every run. It must never decide whether a pack is valid: that
//! is `silbato_content::validate`'s, which [`PackBuilder::sign`] runs through `sign_pack`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use silbato_content::{
    Card, CardText, Category, FORMAT_VERSION, Hotline, Labels, Language, PackPayload, Source,
    SourceError,
};
use silbato_proto::Result;
use silbato_proto::crypto::SigningKey;
use silbato_proto::pack::sign_pack;

/// The issue and review date of generated packs: 2026-11-01.
fn pack_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
}

/// Every UI label of a language, each `<word> <label>`.
pub fn labels(word: &str) -> Labels {
    Labels {
        say: format!("{word} say"),
        show_agent: format!("{word} show"),
        sources: format!("{word} sources"),
        last_reviewed: format!("{word} reviewed"),
        hotlines: format!("{word} hotlines"),
        category: format!("{word} category"),
        no_results: format!("{word} none"),
        cards: format!("{word} cards"),
        search_results: format!("{word} results"),
        fallback_notice: format!("{word} fallback"),
    }
}

const WORDS: &[&str] = &[
    "door", "warrant", "judge", "silent", "lawyer", "sign", "police", "street", "car", "work",
    "court", "family", "children", "school", "record", "plate", "vehicle", "officer", "hotline",
    "detained", "rights", "consent", "search", "window", "paper", "passport", "contact", "plan",
    "neighbor", "phone", "memorise", "agency", "uniform", "badge", "calm", "run", "resist",
];
const PALABRAS: &[&str] = &[
    "puerta",
    "orden",
    "juez",
    "silencio",
    "abogado",
    "firmar",
    "policía",
    "calle",
    "carro",
    "trabajo",
    "corte",
    "familia",
    "niños",
    "escuela",
    "grabar",
    "placa",
    "vehículo",
    "agente",
    "línea",
    "detenido",
    "derechos",
    "permiso",
    "registro",
    "ventana",
    "papeles",
    "pasaporte",
    "contacto",
    "plan",
    "vecino",
    "teléfono",
    "memorizar",
    "agencia",
    "uniforme",
    "insignia",
    "calma",
    "correr",
    "resistir",
    "inmigración",
];

/// A vocabulary of `size` words whose frequency follows Zipf's law, as natural text does, with
/// the real words placed where topic words sit in natural text: past the top 100 ranks, which
/// function words (the, to, you, de, la, ...) hold, and spread over ranks 100 to ~900.
struct Vocab {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

fn vocab(real: &[&str], size: usize) -> Vocab {
    const SYLLABLES: &[&str] = &[
        "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "va", "zu", "be", "gi", "fo", "cha",
    ];
    let mut words: Vec<String> = (0..size)
        .map(|i| {
            let mut w = String::new();
            let mut n = i + SYLLABLES.len();
            while n > 0 {
                w.push_str(SYLLABLES[n % SYLLABLES.len()]);
                n /= SYLLABLES.len();
            }
            w
        })
        .collect();
    for (k, r) in real.iter().enumerate() {
        let at = 100 + 21 * k;
        if at < words.len() {
            words[at] = (*r).to_owned();
        }
    }
    let mut acc = 0.0;
    let cumulative = (0..size)
        .map(|r| {
            acc += 1.0 / (r as f64 + 1.0);
            acc
        })
        .collect();
    Vocab { words, cumulative }
}

fn vocab_en() -> &'static Vocab {
    static V: std::sync::OnceLock<Vocab> = std::sync::OnceLock::new();
    V.get_or_init(|| vocab(WORDS, 5_000))
}

fn vocab_es() -> &'static Vocab {
    static V: std::sync::OnceLock<Vocab> = std::sync::OnceLock::new();
    V.get_or_init(|| vocab(PALABRAS, 5_000))
}

/// Deterministic pseudo-random text: `n` Zipf-distributed words from `vocab`, seeded.
fn text(vocab: &Vocab, seed: usize, n: usize) -> String {
    let total = vocab.cumulative.last().copied().unwrap_or(1.0);
    let mut x = (seed as u64)
        .wrapping_mul(2_654_435_761)
        .wrapping_add(12_345);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = ((x >> 11) as f64 / (1u64 << 53) as f64) * total;
            let i = vocab
                .cumulative
                .partition_point(|c| *c < u)
                .min(vocab.words.len() - 1);
            vocab.words[i].as_str()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A valid pack with `cards` cards; every card has English, and Spanish unless `es_every` skips it.
pub fn pack(pack_id: &str, version: u64, cards: usize, es_every: usize) -> PackPayload {
    pack_cards(pack_id, version, 0..cards, es_every)
}

/// As [`pack`], with the cards numbered `cards` (ids `card-<i>`, text seeded by `i`): disjoint
/// ranges give packs with distinct cards and distinct text, for corpora larger than one pack.
pub fn pack_cards(
    pack_id: &str,
    version: u64,
    cards: std::ops::Range<usize>,
    es_every: usize,
) -> PackPayload {
    let languages = vec![
        Language {
            code: "en".into(),
            name: "English".into(),
            complete: true,
            disclaimer: "Not legal advice.".into(),
            labels: labels("en"),
        },
        Language {
            code: "es".into(),
            name: "Español".into(),
            complete: false,
            disclaimer: "No es asesoría legal.".into(),
            labels: labels("es"),
        },
    ];
    let categories = vec![Category {
        id: "general".into(),
        order: 1,
        names: BTreeMap::from([
            ("en".into(), "General".into()),
            ("es".into(), "General".into()),
        ]),
    }];
    let cards = cards
        .map(|i| {
            let mut texts = BTreeMap::new();
            texts.insert(
                "en".to_owned(),
                CardText {
                    title: format!("Card {i} {}", text(vocab_en(), i, 3)),
                    summary: text(vocab_en(), i + 7, 20),
                    body: format!(
                        "## {}\n\n{}\n\n- {}\n- {}",
                        text(vocab_en(), i + 1, 2),
                        text(vocab_en(), i + 2, 80),
                        text(vocab_en(), i + 3, 8),
                        text(vocab_en(), i + 4, 8)
                    ),
                    say: vec![text(vocab_en(), i + 5, 6)],
                    show_agent: text(vocab_en(), i + 6, 30),
                },
            );
            if es_every != 0 && i % es_every == 0 {
                texts.insert(
                    "es".to_owned(),
                    CardText {
                        title: format!("Tarjeta {i} {}", text(vocab_es(), i, 3)),
                        summary: text(vocab_es(), i + 7, 20),
                        body: format!(
                            "{}\n\n{}",
                            text(vocab_es(), i + 2, 80),
                            text(vocab_es(), i + 3, 20)
                        ),
                        say: vec![text(vocab_es(), i + 5, 6)],
                        show_agent: text(vocab_en(), i + 6, 30),
                    },
                );
            }
            Card {
                id: format!("card-{i}"),
                category: "general".into(),
                order: i32::try_from(i).unwrap_or(i32::MAX),
                tags: vec![format!("tag{i}")],
                last_reviewed: pack_date(),
                sources: vec!["src".into()],
                texts,
            }
        })
        .collect();
    PackPayload {
        format: FORMAT_VERSION,
        publisher: "test-publisher".into(),
        pack_id: pack_id.into(),
        version,
        issued: pack_date(),
        languages,
        categories,
        cards,
        hotlines: vec![Hotline {
            region: "US-IL".into(),
            name: "Test line".into(),
            number: "+1-555-0100".into(),
            hours: None,
            languages: vec!["en".into()],
            source: "src".into(),
        }],
        sources: vec![Source {
            id: "src".into(),
            title: "Source".into(),
            publisher: "Pub".into(),
            url: "https://example.org/".into(),
        }],
    }
}

/// A generated pack to build or sign. Defaults: pack id `generated`, version 1, cards
/// `0..10`, Spanish on every card (`es_every` 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackBuilder {
    pack_id: String,
    version: u64,
    cards: std::ops::Range<usize>,
    es_every: usize,
}

impl Default for PackBuilder {
    fn default() -> Self {
        PackBuilder::new("generated")
    }
}

impl PackBuilder {
    pub fn new(pack_id: &str) -> Self {
        PackBuilder {
            pack_id: pack_id.to_owned(),
            version: 1,
            cards: 0..10,
            es_every: 1,
        }
    }

    pub fn version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }

    /// Cards `0..n`.
    pub fn cards(mut self, n: usize) -> Self {
        self.cards = 0..n;
        self
    }

    /// The cards numbered `range` (see [`pack_cards`]).
    pub fn card_range(mut self, range: std::ops::Range<usize>) -> Self {
        self.cards = range;
        self
    }

    /// Spanish on every `n`th card only (0: none).
    pub fn spanish_every(mut self, n: usize) -> Self {
        self.es_every = n;
        self
    }

    pub fn build(&self) -> PackPayload {
        pack_cards(
            &self.pack_id,
            self.version,
            self.cards.clone(),
            self.es_every,
        )
    }

    /// Validates and signs the pack: the pack file's bytes.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>> {
        sign_pack(&self.build(), key)
    }
}

/// The editable content tree the app bundles (`content/` at the workspace root).
pub fn bundled_content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

/// The bundled content tree as a payload, at its own version.
pub fn bundled_pack() -> std::result::Result<PackPayload, SourceError> {
    silbato_content::load_dir(&bundled_content_dir())
}

#[cfg(test)]
mod tests {
    use silbato_proto::pack::open_pack;

    use super::*;

    #[test]
    fn generated_packs_are_valid_and_stable() {
        let key = crate::signing_key("publisher");
        let b = PackBuilder::new("net").version(3).cards(9).spanish_every(3);
        let opened = open_pack(&b.sign(&key).unwrap(), |k| *k == key.public_key()).unwrap();
        assert_eq!(opened.payload, pack("net", 3, 9, 3));
        assert_eq!(opened.payload.translation_count(), 9 + 3);
        assert_eq!(b.build(), b.build());
        let later = PackBuilder::default().card_range(10..20).build();
        assert_eq!(later.cards[0].id, "card-10");
        let bundled = bundled_pack().unwrap();
        assert!(!bundled.cards.is_empty());
        assert!(sign_pack(&bundled, &key).is_ok());
    }
}
