//! Licence plates: normalising what a patroller typed or pasted, and matching it against the
//! network's signed watch-list of known enforcement vehicles.
//!
//! This module owns the canonical form of a plate ([`Plate`], built only by [`normalize`]), the
//! confusable-character classes used to match plates read in bad light or at a distance
//! ([`canonical`]), and the in-memory lookup over a verified watch-list ([`PlateIndex`]).
//!
//! It must never log, print or persist a plate, and never put a plate or any character of one
//! into an error, a `Debug` string or a panic message: a plate next to a time on a seized phone
//! or in a crash report places a patroller at a scene. It does no I/O and verifies no
//! signatures; the caller hands it a watch-list that has already been verified.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

pub use crate::error::PlateError;

/// Longest plate accepted, in characters after normalisation. US plates stop at eight; ten
/// leaves room for foreign ones while keeping every comparison short.
pub const MAX_LEN: usize = 10;

/// Known (non-`?`) characters a query needs before it may match only part of a plate. Fewer
/// would match a large share of any watch-list and flood a patroller with false alarms.
pub const MIN_PARTIAL_KNOWN: usize = 3;

/// A normalised plate: 1 to [`MAX_LEN`] characters from ASCII `A`–`Z`, `0`–`9` and `?` (one
/// unknown character), with at least one that is not `?`.
///
/// `Debug` is redacted so that a plate reaching a log through `{:?}` shows only its length;
/// `Display` and [`Plate::as_str`] give the characters to code that means to show them.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Plate(String);

impl Plate {
    /// The normalised characters.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plate(<{} chars redacted>)", self.0.len())
    }
}

impl FromStr for Plate {
    type Err = PlateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        normalize(s)
    }
}

/// What one input character becomes.
enum Fold {
    Keep(char),
    Skip,
    Reject,
}

/// Moves `c` from a block starting at `from` to the same offset from `to`; used for the
/// full-width forms, which mirror ASCII one to one.
fn shift(c: char, from: char, to: char) -> Fold {
    u32::from(c)
        .checked_sub(u32::from(from))
        .and_then(|offset| char::from_u32(u32::from(to).saturating_add(offset)))
        .map_or(Fold::Reject, Fold::Keep)
}

fn fold_char(c: char) -> Fold {
    match c {
        'A'..='Z' | '0'..='9' | '?' => Fold::Keep(c),
        'a'..='z' => Fold::Keep(c.to_ascii_uppercase()),
        // Separators people type, and the ones word processors and web pages substitute or hide
        // in copied text (non-breaking and zero-width spaces, soft hyphens, typographic dashes).
        '-'
        | '.'
        | '_'
        | '\u{00AD}'
        | '\u{00B7}'
        | '\u{0387}'
        | '\u{02D7}'
        | '\u{200B}'
        | '\u{200C}'
        | '\u{200D}'
        | '\u{2010}'..='\u{2015}'
        | '\u{2022}'
        | '\u{2027}'
        | '\u{2060}'
        | '\u{2212}'
        | '\u{2219}'
        | '\u{22C5}'
        | '\u{2E31}'
        | '\u{30FB}'
        | '\u{FE58}'
        | '\u{FE63}'
        | '\u{FEFF}'
        | '\u{FF0D}'
        | '\u{FF0E}'
        | '\u{FF3F}'
        | '\u{FF65}' => Fold::Skip,
        c if c.is_whitespace() => Fold::Skip,
        // Full-width forms come from East Asian input methods and some messaging apps.
        '\u{FF10}'..='\u{FF19}' => shift(c, '\u{FF10}', '0'),
        '\u{FF21}'..='\u{FF3A}' => shift(c, '\u{FF21}', 'A'),
        '\u{FF41}'..='\u{FF5A}' => shift(c, '\u{FF41}', 'A'),
        '\u{FF1F}' => Fold::Keep('?'),
        // Cyrillic and Greek letters that look like Latin ones arrive from phones set to those
        // keyboards and from pasted text; lower case folds with upper case as it does for ASCII.
        'А' | 'а' | 'Α' | 'α' => Fold::Keep('A'),
        'В' | 'в' | 'Β' | 'β' => Fold::Keep('B'),
        'С' | 'с' | 'Ϲ' | 'ϲ' => Fold::Keep('C'),
        'Е' | 'е' | 'Ε' | 'ε' => Fold::Keep('E'),
        'Н' | 'н' | 'Η' | 'η' => Fold::Keep('H'),
        'І' | 'і' | 'Ι' | 'ι' | 'İ' | 'ı' => Fold::Keep('I'),
        'Ј' | 'ј' | 'Ϳ' | 'ϳ' => Fold::Keep('J'),
        'К' | 'к' | 'Κ' | 'κ' => Fold::Keep('K'),
        'М' | 'м' | 'Μ' | 'μ' => Fold::Keep('M'),
        'Ν' | 'ν' => Fold::Keep('N'),
        'О' | 'о' | 'Ο' | 'ο' => Fold::Keep('O'),
        'Р' | 'р' | 'Ρ' | 'ρ' => Fold::Keep('P'),
        'Ԛ' | 'ԛ' => Fold::Keep('Q'),
        'Ѕ' | 'ѕ' => Fold::Keep('S'),
        'Т' | 'т' | 'Τ' | 'τ' => Fold::Keep('T'),
        'Ԝ' | 'ԝ' => Fold::Keep('W'),
        'Х' | 'х' | 'Χ' | 'χ' => Fold::Keep('X'),
        'У' | 'у' | 'Ү' | 'ү' | 'Υ' | 'υ' => Fold::Keep('Y'),
        'Ζ' | 'ζ' => Fold::Keep('Z'),
        _ => Fold::Reject,
    }
}

/// Turns typed or pasted text into a [`Plate`].
///
/// Upper-cases, drops separators, maps full-width and Cyrillic/Greek look-alike letters to
/// ASCII, and keeps `?` as one unknown character. The first problem found reading left to right
/// is reported, so a long input is rejected as soon as it passes [`MAX_LEN`].
///
/// # Errors
/// [`PlateError::InvalidCharacter`], [`PlateError::TooLong`], [`PlateError::Empty`] or
/// [`PlateError::NoKnownCharacters`]; none of them carries the input.
pub fn normalize(input: &str) -> Result<Plate, PlateError> {
    let mut out = String::with_capacity(MAX_LEN);
    let mut has_known = false;
    for (position, c) in input.chars().enumerate() {
        match fold_char(c) {
            Fold::Skip => {}
            Fold::Reject => return Err(PlateError::InvalidCharacter { position }),
            Fold::Keep(k) => {
                if out.len() >= MAX_LEN {
                    return Err(PlateError::TooLong { max: MAX_LEN });
                }
                has_known |= k != '?';
                out.push(k);
            }
        }
    }
    if out.is_empty() {
        Err(PlateError::Empty)
    } else if has_known {
        Ok(Plate(out))
    } else {
        Err(PlateError::NoKnownCharacters)
    }
}

/// Representative of the confusable class of one normalised byte. Digits represent their
/// classes because a reader who is unsure usually writes the letter; either way both fold.
const fn canonical_byte(b: u8) -> u8 {
    match b {
        b'O' | b'D' | b'Q' => b'0',
        b'I' | b'L' => b'1',
        b'Z' => b'2',
        b'S' => b'5',
        b'B' => b'8',
        other => other,
    }
}

/// The plate with every character replaced by the representative of its confusable class:
/// {0,O,D,Q} → `0`, {1,I,L} → `1`, {2,Z} → `2`, {5,S} → `5`, {8,B} → `8`; other characters,
/// `?` included, are unchanged. Two plates that a tired eye could mistake share this form.
#[must_use]
pub fn canonical(plate: &Plate) -> String {
    plate
        .0
        .bytes()
        .map(|b| char::from(canonical_byte(b)))
        .collect()
}

/// How a watch-list plate matched a query. Ordered best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The same characters.
    Exact,
    /// The same after confusable folding, but not the same characters.
    Confusable,
    /// The query, after folding and with `?` matching anything, fits a contiguous part of the
    /// plate, or the whole plate only thanks to a `?`.
    Partial,
}

/// One watch-list entry that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlateMatch {
    /// The caller's identifier for the entry, as given to [`PlateIndex::new`].
    pub entry: usize,
    /// How it matched.
    pub kind: MatchKind,
}

/// Number of confusable classes that can appear in an n-gram key: ten digits and the eighteen
/// letters that no class folds away.
const CLASSES: usize = 28;

const fn class_code(b: u8) -> Option<usize> {
    let code = match b {
        b'0'..=b'9' => b - b'0',
        b'A' => 10,
        b'C' => 11,
        b'E' => 12,
        b'F' => 13,
        b'G' => 14,
        b'H' => 15,
        b'J' => 16,
        b'K' => 17,
        b'M' => 18,
        b'N' => 19,
        b'P' => 20,
        b'R' => 21,
        b'T' => 22,
        b'U' => 23,
        b'V' => 24,
        b'W' => 25,
        b'X' => 26,
        b'Y' => 27,
        _ => return None,
    };
    Some(code as usize)
}

/// Key of a run of canonical bytes, or `None` if it holds a `?` (wildcards are never indexed).
fn gram_key(gram: &[u8]) -> Option<usize> {
    gram.iter().try_fold(0usize, |key, &b| {
        class_code(b).map(|code| key * CLASSES + code)
    })
}

/// Keys of a pair of characters next to each other; pairs one place apart follow them.
const PAIR_KEYS: usize = CLASSES * CLASSES;

/// Keys of every fully known pair of characters next to each other or one place apart: the
/// only handle on a query such as `AB?D` or `A?C?E`, whose wildcards leave no known trigram.
fn pair_keys(canon: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let adjacent = canon.windows(2).filter_map(gram_key);
    let apart = canon.windows(3).filter_map(|w| match w {
        [first, _, last] => gram_key(&[*first, *last]).map(|key| key + PAIR_KEYS),
        _ => None,
    });
    adjacent.chain(apart)
}

/// Posting lists in one flat array: slots whose canonical plate contains each n-gram, ascending.
/// Flat arrays keep the index to a few megabytes for a large watch-list on a phone.
#[derive(Debug, Default)]
struct Postings {
    offsets: Vec<usize>,
    slots: Vec<u32>,
}

impl Postings {
    fn build(key_space: usize, mut pairs: Vec<(usize, u32)>) -> Self {
        pairs.sort_unstable();
        pairs.dedup();
        let mut offsets = vec![0usize; key_space.saturating_add(1)];
        for &(key, _) in &pairs {
            if let Some(count) = offsets.get_mut(key.saturating_add(1)) {
                *count += 1;
            }
        }
        let mut running = 0;
        for offset in &mut offsets {
            running += *offset;
            *offset = running;
        }
        let slots = pairs.into_iter().map(|(_, slot)| slot).collect();
        Self { offsets, slots }
    }

    fn get(&self, key: usize) -> &[u32] {
        match (
            self.offsets.get(key),
            self.offsets.get(key.saturating_add(1)),
        ) {
            (Some(&start), Some(&end)) => self.slots.get(start..end).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// Lookup over a watch-list, built once when a verified list is installed.
///
/// Candidates for a query come from the posting list of its rarest known trigram, or pair of
/// characters one or two apart when wildcards leave no trigram, so a lookup touches a few dozen
/// plates rather than the whole list. Only a query with no two known characters within two places
/// of each other (a whole-plate query such as `A??B???`) is checked against every plate.
pub struct PlateIndex {
    entries: Vec<usize>,
    states: Vec<Option<Box<str>>>,
    /// `bounds[slot]..bounds[slot + 1]` locates a plate in `raw` and `canon`.
    bounds: Vec<usize>,
    raw: Vec<u8>,
    canon: Vec<u8>,
    trigrams: Postings,
    pairs: Postings,
    /// Plates no posting list can lead to: those holding a `?` of their own (which can match a
    /// query character that none of their n-grams contains) and any slot beyond `u32`.
    unindexed: Vec<usize>,
}

impl fmt::Debug for PlateIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlateIndex")
            .field("plates", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// Two-letter state codes compare trimmed and case-insensitively; blank means "no state".
fn state_key(state: &str) -> Option<Box<str>> {
    let trimmed = state.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_ascii_uppercase().into_boxed_str())
}

impl PlateIndex {
    /// Builds the index from `(entry, plate, state)` rows. `entry` is the caller's identifier and
    /// comes back in [`PlateMatch::entry`]; `state` is a two-letter code, or `None` when the list
    /// gives none (such an entry matches whatever state a query names).
    pub fn new(entries: impl IntoIterator<Item = (usize, Plate, Option<String>)>) -> Self {
        let mut index = Self {
            entries: Vec::new(),
            states: Vec::new(),
            bounds: vec![0],
            raw: Vec::new(),
            canon: Vec::new(),
            trigrams: Postings::default(),
            pairs: Postings::default(),
            unindexed: Vec::new(),
        };
        let mut tri = Vec::new();
        let mut pairs = Vec::new();
        for (slot, (entry, plate, state)) in entries.into_iter().enumerate() {
            let start = index.canon.len();
            index.entries.push(entry);
            index.states.push(state.as_deref().and_then(state_key));
            index.raw.extend_from_slice(plate.0.as_bytes());
            index.canon.extend(plate.0.bytes().map(canonical_byte));
            index.bounds.push(index.canon.len());

            let canon = index.canon.get(start..).unwrap_or(&[]);
            let indexed_slot = u32::try_from(slot).ok().filter(|_| !canon.contains(&b'?'));
            let Some(id) = indexed_slot else {
                index.unindexed.push(slot);
                continue;
            };
            tri.extend(canon.windows(3).filter_map(gram_key).map(|key| (key, id)));
            pairs.extend(pair_keys(canon).map(|key| (key, id)));
        }
        index.trigrams = Postings::build(CLASSES.pow(3), tri);
        index.pairs = Postings::build(2 * PAIR_KEYS, pairs);
        index
    }

    /// Number of plates in the index.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index holds no plates.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Watch-list entries matching `query`, best kind first, then by entry; each entry appears
    /// once, with its best kind.
    ///
    /// With `state`, entries recorded under a different state are left out; entries with no
    /// state always qualify. A query needs [`MIN_PARTIAL_KNOWN`] known characters to match part
    /// of a longer plate; with fewer it can only match plates of its own length.
    #[must_use]
    pub fn find(&self, query: &Plate, state: Option<&str>) -> Vec<PlateMatch> {
        let query = Query::new(query);
        let state = state.and_then(state_key);
        let mut hits: Vec<(MatchKind, usize)> = Vec::new();
        let mut check = |slot: usize| {
            let Some(entry) = self.entries.get(slot) else {
                return;
            };
            let state_ok = match (&state, self.states.get(slot)) {
                (Some(wanted), Some(Some(listed))) => wanted == listed,
                _ => true,
            };
            if !state_ok {
                return;
            }
            if let Some(kind) = self
                .plate(slot)
                .and_then(|(raw, canon)| query.classify(raw, canon))
            {
                hits.push((kind, *entry));
            }
        };
        match self.candidates(&query.canon) {
            Some(slots) => {
                for &slot in slots {
                    check(slot as usize);
                }
                for &slot in &self.unindexed {
                    check(slot);
                }
            }
            None => {
                for slot in 0..self.entries.len() {
                    check(slot);
                }
            }
        }
        // An entry id may be listed with several plates; report it once, with its best kind.
        hits.sort_unstable_by_key(|&(kind, entry)| (entry, kind));
        hits.dedup_by_key(|&mut (_, entry)| entry);
        hits.sort_unstable();
        hits.into_iter()
            .map(|(kind, entry)| PlateMatch { entry, kind })
            .collect()
    }

    fn plate(&self, slot: usize) -> Option<(&[u8], &[u8])> {
        let start = *self.bounds.get(slot)?;
        let end = *self.bounds.get(slot.saturating_add(1))?;
        Some((self.raw.get(start..end)?, self.canon.get(start..end)?))
    }

    /// The shortest posting list among the query's fully known trigrams and pairs. Every match
    /// contains each of them (indexed plates hold no `?`), so no match is missed.
    fn candidates(&self, canon: &[u8]) -> Option<&[u32]> {
        let trigrams = canon
            .windows(3)
            .filter_map(gram_key)
            .map(|key| self.trigrams.get(key));
        let pairs = pair_keys(canon).map(|key| self.pairs.get(key));
        trigrams.chain(pairs).min_by_key(|slots| slots.len())
    }
}

/// A query prepared once per [`PlateIndex::find`].
struct Query<'a> {
    raw: &'a [u8],
    canon: Vec<u8>,
    known: usize,
}

impl<'a> Query<'a> {
    fn new(plate: &'a Plate) -> Self {
        let raw = plate.0.as_bytes();
        let canon: Vec<u8> = raw.iter().map(|&b| canonical_byte(b)).collect();
        let known = canon.iter().filter(|&&b| b != b'?').count();
        Self { raw, canon, known }
    }

    fn classify(&self, raw: &[u8], canon: &[u8]) -> Option<MatchKind> {
        match self.canon.len().cmp(&canon.len()) {
            Ordering::Equal if self.raw == raw => Some(MatchKind::Exact),
            Ordering::Equal if self.canon == canon => Some(MatchKind::Confusable),
            Ordering::Equal => fits(&self.canon, canon).then_some(MatchKind::Partial),
            Ordering::Less => (self.known >= MIN_PARTIAL_KNOWN
                && !self.canon.is_empty()
                && canon
                    .windows(self.canon.len())
                    .any(|w| fits(&self.canon, w)))
            .then_some(MatchKind::Partial),
            Ordering::Greater => None,
        }
    }
}

/// Position-by-position comparison of canonical bytes where `?` on either side matches anything.
fn fits(query: &[u8], plate: &[u8]) -> bool {
    query
        .iter()
        .zip(plate)
        .all(|(&q, &p)| q == p || q == b'?' || p == b'?')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plate(s: &str) -> Plate {
        let result = normalize(s);
        assert!(result.is_ok(), "test plate rejected: {result:?}");
        result.unwrap_or_else(|_| Plate(String::new()))
    }

    fn norm(s: &str) -> Result<String, PlateError> {
        normalize(s).map(|p| p.as_str().to_owned())
    }

    fn index(rows: &[(usize, &str, Option<&str>)]) -> PlateIndex {
        PlateIndex::new(
            rows.iter()
                .map(|&(e, p, s)| (e, plate(p), s.map(str::to_owned))),
        )
    }

    fn found(idx: &PlateIndex, q: &str, state: Option<&str>) -> Vec<(usize, MatchKind)> {
        idx.find(&plate(q), state)
            .into_iter()
            .map(|m| (m.entry, m.kind))
            .collect()
    }

    #[test]
    fn normalises_common_spellings() {
        for input in [
            "abc-1234",
            "ABC 1234",
            "a.b.c.1.2.3.4",
            "ABC_1234",
            "abc·1234",
        ] {
            assert_eq!(norm(input), Ok("ABC1234".to_owned()), "{input}");
        }
        assert_eq!(norm("  7\u{00A0}xyz\u{200B}9\t"), Ok("7XYZ9".to_owned()));
        assert_eq!(norm("ab–12—3"), Ok("AB123".to_owned()));
        assert_eq!(norm("ab?12"), Ok("AB?12".to_owned()));
    }

    #[test]
    fn normalises_full_width() {
        assert_eq!(norm("ＡＢＣ－１２３４"), Ok("ABC1234".to_owned()));
        assert_eq!(norm("ａｂｃ１２？"), Ok("ABC12?".to_owned()));
    }

    #[test]
    fn normalises_cyrillic_and_greek_look_alikes() {
        // Cyrillic А В Е К М Н О Р С Т Х, upper and lower case.
        assert_eq!(
            norm("АВЕКМНОРСТХ"),
            Err(PlateError::TooLong { max: MAX_LEN })
        );
        assert_eq!(norm("АВЕКМНОРСТ"), Ok("ABEKMHOPCT".to_owned()));
        assert_eq!(norm("х123"), Ok("X123".to_owned()));
        assert_eq!(norm("авекмнорст"), Ok("ABEKMHOPCT".to_owned()));
        // Greek capitals.
        assert_eq!(norm("ΑΒΕΖΗΙΚΜΝΟ"), Ok("ABEZHIKMNO".to_owned()));
        assert_eq!(norm("ΡΤΥΧ 42"), Ok("PTYX42".to_owned()));
    }

    #[test]
    fn rejects_bad_input_without_echoing_it() {
        assert_eq!(norm(""), Err(PlateError::Empty));
        assert_eq!(norm(" - . "), Err(PlateError::Empty));
        assert_eq!(norm("???"), Err(PlateError::NoKnownCharacters));
        assert_eq!(norm("ABCDEFGHIJK"), Err(PlateError::TooLong { max: 10 }));
        assert_eq!(norm("ABCDE-FGHIJ"), Ok("ABCDEFGHIJ".to_owned()));
        assert_eq!(
            norm("AB€12"),
            Err(PlateError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            norm("ÄBC"),
            Err(PlateError::InvalidCharacter { position: 0 })
        );
        assert_eq!(
            norm("AB1*"),
            Err(PlateError::InvalidCharacter { position: 3 })
        );
        let message = PlateError::InvalidCharacter { position: 2 }.to_string();
        assert!(!message.contains('€'));
        assert_eq!(
            format!("{:?}", plate("ABC123")),
            "Plate(<6 chars redacted>)"
        );
        assert_eq!(plate("abc 123").to_string(), "ABC123");
        assert_eq!("abc 123".parse::<Plate>(), Ok(plate("ABC123")));
    }

    #[test]
    fn canonical_folds_each_class() {
        assert_eq!(canonical(&plate("0ODQ")), "0000");
        assert_eq!(canonical(&plate("1IL")), "111");
        assert_eq!(canonical(&plate("2Z")), "22");
        assert_eq!(canonical(&plate("5S")), "55");
        assert_eq!(canonical(&plate("8B")), "88");
        assert_eq!(canonical(&plate("UV?ACE")), "UV?ACE");
    }

    #[test]
    fn each_confusable_class_matches() {
        let idx = index(&[(0, "O1Z5B", None)]);
        for q in ["O1Z5B", "01Z5B", "D125B", "QL258", "OIZS8"] {
            let kind = if q == "O1Z5B" {
                MatchKind::Exact
            } else {
                MatchKind::Confusable
            };
            assert_eq!(found(&idx, q, None), vec![(0, kind)], "{q}");
        }
        // U and V are not confusable here.
        let idx = index(&[(0, "UUU123", None)]);
        assert!(found(&idx, "VVV123", None).is_empty());
    }

    #[test]
    fn orders_by_kind_then_entry() {
        let idx = index(&[
            (7, "ABC1234", None),
            (3, "ABCI234", None),
            (5, "XABC123", None),
            (1, "ABC1234", None),
            (9, "ZZZ999", None),
        ]);
        assert_eq!(
            found(&idx, "ABC1234", None),
            vec![
                (1, MatchKind::Exact),
                (7, MatchKind::Exact),
                (3, MatchKind::Confusable),
            ]
        );
        assert_eq!(
            found(&idx, "ABC123", None),
            vec![
                (1, MatchKind::Partial),
                (3, MatchKind::Partial),
                (5, MatchKind::Partial),
                (7, MatchKind::Partial),
            ]
        );
    }

    #[test]
    fn partials_with_and_without_wildcards() {
        let idx = index(&[(0, "7ABC123", None), (1, "8XYZ456", None), (2, "AB", None)]);
        assert_eq!(found(&idx, "BC12", None), vec![(0, MatchKind::Partial)]);
        assert_eq!(found(&idx, "8C1?", None), vec![(0, MatchKind::Partial)]);
        assert_eq!(found(&idx, "X?Z4", None), vec![(1, MatchKind::Partial)]);
        assert_eq!(found(&idx, "A?C?2", None), vec![(0, MatchKind::Partial)]);
        // Whole-plate length with wildcards matches position by position.
        assert_eq!(found(&idx, "7A?C1?3", None), vec![(0, MatchKind::Partial)]);
        assert_eq!(found(&idx, "?XYZ??6", None), vec![(1, MatchKind::Partial)]);
        assert_eq!(found(&idx, "?B", None), vec![(2, MatchKind::Partial)]);
        assert_eq!(found(&idx, "A8", None), vec![(2, MatchKind::Confusable)]);
        // Fewer than three known characters never match part of a longer plate.
        assert!(found(&idx, "BC", None).is_empty());
        assert!(found(&idx, "B?1", None).is_empty());
        assert_eq!(found(&idx, "7??????", None), vec![(0, MatchKind::Partial)]);
        // Longer than the plate, or out of order: nothing.
        assert!(found(&idx, "7ABC1234", None).is_empty());
        assert!(found(&idx, "CBA", None).is_empty());
    }

    #[test]
    fn wildcards_in_the_watch_list_match() {
        let idx = index(&[(0, "AB?123", None), (1, "AB?123", Some("TX"))]);
        assert_eq!(
            found(&idx, "AB?123", None),
            vec![(0, MatchKind::Exact), (1, MatchKind::Exact)]
        );
        assert_eq!(
            found(&idx, "ABX123", Some("CA")),
            vec![(0, MatchKind::Partial)]
        );
        assert_eq!(found(&idx, "X12", None).len(), 2);
    }

    #[test]
    fn state_filter() {
        let idx = index(&[
            (0, "ABC123", Some("CA")),
            (1, "ABC123", Some("TX")),
            (2, "ABC123", None),
            (3, "ABC123", Some(" ")),
        ]);
        let entries = |s| {
            found(&idx, "ABC123", s)
                .into_iter()
                .map(|(e, _)| e)
                .collect::<Vec<_>>()
        };
        assert_eq!(entries(None), vec![0, 1, 2, 3]);
        assert_eq!(entries(Some("CA")), vec![0, 2, 3]);
        assert_eq!(entries(Some("tx")), vec![1, 2, 3]);
        assert_eq!(entries(Some("NY")), vec![2, 3]);
        assert_eq!(entries(Some("")), vec![0, 1, 2, 3]);
    }

    #[test]
    fn empty_index_and_debug() {
        let idx = PlateIndex::new(Vec::new());
        assert!(idx.is_empty());
        assert!(idx.find(&plate("ABC"), None).is_empty());
        let idx = index(&[(0, "SECRET1", None)]);
        assert_eq!(idx.len(), 1);
        assert!(!format!("{idx:?}").contains("SECRET"));
    }

    /// Members of each character's confusable class, the character itself included.
    fn class_of(c: char) -> &'static [char] {
        match c {
            '0' | 'O' | 'D' | 'Q' => &['0', 'O', 'D', 'Q'],
            '1' | 'I' | 'L' => &['1', 'I', 'L'],
            '2' | 'Z' => &['2', 'Z'],
            '5' | 'S' => &['5', 'S'],
            '8' | 'B' => &['8', 'B'],
            _ => &[],
        }
    }

    /// Straightforward restatement of the matching rules, to check the index against.
    fn reference(
        rows: &[(usize, String, Option<String>)],
        q: &str,
        state: Option<&str>,
    ) -> Vec<(usize, MatchKind)> {
        let canon = |s: &str| canonical(&plate(s)).into_bytes();
        let qc = canon(q);
        let known = qc.iter().filter(|&&b| b != b'?').count();
        let wild = |a: &[u8], b: &[u8]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x == y || *x == b'?' || *y == b'?')
        };
        let mut out: Vec<(MatchKind, usize)> = Vec::new();
        for (entry, p, st) in rows {
            if let (Some(w), Some(s)) = (state, st) {
                if w != s {
                    continue;
                }
            }
            let pc = canon(p);
            let kind = if p == q {
                Some(MatchKind::Exact)
            } else if pc == qc {
                Some(MatchKind::Confusable)
            } else if wild(&qc, &pc)
                || (known >= 3
                    && qc.len() < pc.len()
                    && (0..=pc.len() - qc.len()).any(|i| wild(&qc, &pc[i..i + qc.len()])))
            {
                Some(MatchKind::Partial)
            } else {
                None
            };
            if let Some(k) = kind {
                out.push((k, *entry));
            }
        }
        out.sort();
        out.into_iter().map(|(k, e)| (e, k)).collect()
    }

    fn plate_strategy(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    .chars()
                    .collect::<Vec<_>>(),
            ),
            len,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn normalize_never_panics(s in any::<String>()) {
            let _ = normalize(&s);
        }

        #[test]
        fn normalize_is_idempotent(s in "[a-zA-Z0-9 ?.\\-_·АВЕКМНОРСТХΑΒΕΖＡ-Ｚ０-９€]{0,14}") {
            if let Ok(p) = normalize(&s) {
                prop_assert_eq!(normalize(p.as_str()), Ok(p.clone()));
                prop_assert!(p.as_str().len() <= MAX_LEN);
                prop_assert!(p.as_str().bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'?'));
            }
        }

        #[test]
        fn plate_matches_itself_exactly(
            p in "[A-Z0-9?]{1,10}",
            others in proptest::collection::vec(plate_strategy(1..=10), 0..20),
        ) {
            prop_assume!(p.bytes().any(|b| b != b'?'));
            let mut rows: Vec<_> = others.iter().enumerate().map(|(i, o)| (i + 1, plate(o), None)).collect();
            rows.push((0, plate(&p), None));
            let idx = PlateIndex::new(rows);
            let hits = idx.find(&plate(&p), None);
            let wanted = PlateMatch {
                entry: 0,
                kind: MatchKind::Exact,
            };
            prop_assert!(hits.contains(&wanted), "missing {:?}", wanted);
            prop_assert_eq!(hits.first().map(|m| m.kind), Some(MatchKind::Exact));
        }

        #[test]
        fn confusable_swaps_still_match(
            p in plate_strategy(1..=10),
            picks in proptest::collection::vec(any::<usize>(), 10),
        ) {
            let swapped: String = p
                .chars()
                .zip(&picks)
                .map(|(c, &pick)| {
                    let class = class_of(c);
                    if class.is_empty() { c } else { class[pick % class.len()] }
                })
                .collect();
            let idx = PlateIndex::new([(0, plate(&p), None)]);
            let kinds: Vec<_> = idx.find(&plate(&swapped), None).into_iter().map(|m| m.kind).collect();
            let expected = if swapped == p { MatchKind::Exact } else { MatchKind::Confusable };
            prop_assert_eq!(kinds, vec![expected]);
        }

        #[test]
        fn windows_find_their_plate(
            p in plate_strategy(6..=10),
            len in 4usize..=5,
            start in any::<usize>(),
            wildcard in proptest::option::of(0usize..5),
            others in proptest::collection::vec(plate_strategy(6..=8), 0..50),
        ) {
            let start = start % (p.len() - len + 1);
            let mut window: Vec<char> = p.chars().skip(start).take(len).collect();
            if let Some(w) = wildcard {
                window[w % len] = '?';
            }
            let window: String = window.into_iter().collect();
            let mut rows: Vec<_> = others.iter().enumerate().map(|(i, o)| (i + 1, plate(o), None)).collect();
            rows.push((0, plate(&p), None));
            let idx = PlateIndex::new(rows);
            let hits = idx.find(&plate(&window), None);
            let wanted = PlateMatch {
                entry: 0,
                kind: MatchKind::Partial,
            };
            prop_assert!(hits.contains(&wanted), "missing {:?}", wanted);
        }

        #[test]
        fn index_agrees_with_reference(
            rows in proptest::collection::vec(
                ("[ABCO0Q18LZ2?]{1,8}", proptest::option::of(proptest::sample::select(vec!["CA", "TX"]))),
                0..40,
            ),
            q in "[ABCO0Q18LZ2?]{1,8}",
            state in proptest::option::of(proptest::sample::select(vec!["CA", "TX"])),
        ) {
            prop_assume!(q.bytes().any(|b| b != b'?'));
            let rows: Vec<(usize, String, Option<String>)> = rows
                .into_iter()
                .filter(|(p, _)| p.bytes().any(|b| b != b'?'))
                .enumerate()
                .map(|(i, (p, s))| (i, p, s.map(str::to_owned)))
                .collect();
            let idx = PlateIndex::new(rows.iter().map(|(e, p, s)| (*e, plate(p), s.clone())));
            let got: Vec<_> = idx.find(&plate(&q), state).into_iter().map(|m| (m.entry, m.kind)).collect();
            prop_assert_eq!(got, reference(&rows, &q, state));
        }
    }
}
