//! CAP 1.2 (OASIS Common Alerting Protocol) XML out of and into an [`Alert`], so a network's
//! alerts interoperate with IPAWS-style tools (`silbato alert to-cap` / `alert from-cap`).
//!
//! Owns the mapping below, the XML writer (quick-xml), and the bounded reading of untrusted CAP
//! documents (parsed by `roxmltree` with DTDs refused and a node limit). It must never: read a
//! DTD, expand an entity other than the five predefined ones and character references, follow
//! anything external, panic on any input, quote the input in an error (every refusal is
//! [`Error::Cap`] with fixed text; the parser's messages are dropped), sign anything, or
//! hand back an alert that fails [`Alert::validate`]. An imported alert is unsigned: the caller
//! signs it like `alert new`.
//!
//! # Mapping
//!
//! | CAP 1.2 | Silbato [`Alert`] | notes |
//! | --- | --- | --- |
//! | `alert/@xmlns` | — | must be `urn:oasis:names:tc:emergency:cap:1.2`; elements in other namespaces (e.g. an XML signature) are skipped |
//! | `identifier` | `id` | required |
//! | `sender` | — | out: the `sender` argument; in: ignored (the alert belongs to the `network` argument) |
//! | `sent` | `sent` | out: UTC as `2026-11-21T16:00:00+00:00` (CAP forbids `Z`), whole seconds; in: any RFC 3339 offset (`Z` and fractions tolerated), converted to UTC |
//! | `status` | — | out: `Actual`; in: anything else (Exercise, System, Test, Draft) is refused |
//! | `msgType` | `msg_type` | `Alert`, `Update`, `Cancel`; `Ack` and `Error` are refused |
//! | `scope` | — | out: `Public`; in: `Restricted` and `Private` are refused |
//! | `references` | `references` | space-separated `sender,identifier,sent` triples. Out: our sender, the referenced id, and, as the referenced alert's own `sent` is not known here, this alert's `sent`. In: the identifier of each triple |
//! | `info` | `info` | one block per language: out, the alert's own language ([`Alert::own_lang`]) first, then the others in code order; in, every block is kept |
//! | first `info/language` | `lang` | out: the alert's own language; in: the first block's language becomes the alert's own, the others its translations |
//! | `info/language` | `info` key | out: the key as is (`en`, `es`); in: primary subtag, lowercased (`es-US` → `es`); absent means `en-US` → `en`; two blocks in one language are refused |
//! | `info/category` | — | out: `Security`; in: ignored |
//! | `info/event` | `category` | `raid`, `checkpoint`, `patrol`, `detention`, `all_clear`, `community_event`, `information`; in: case, spaces and dashes are forgiven, any other event becomes `information` |
//! | `info/urgency` | `urgency` | same names |
//! | `info/severity` | `severity` | same names |
//! | `info/certainty` | `certainty` | `Observed`, `Likely`, `Possible` ↔ same; `Unverified` → `Unknown`; `Unlikely`, `Unknown` → `Unverified`; CAP 1.0's `Very Likely` → `Likely` |
//! | `info/expires` | `expires` | as `sent`; required in at least one block |
//! | `info/headline`, `description`, `instruction` | [`AlertText`] | in: surrounding whitespace trimmed, tabs become spaces, line ends normalised |
//! | `info/contact` | `hotline` | in: the first block that has one |
//! | `info/area/areaDesc` | — | out: region codes joined by `, `, else `Area`; in: ignored |
//! | `info/area/circle` | `area.circles` | `lat,lon radius` with the radius in **km** (ours is in metres); converted by moving the decimal point, so the round trip is exact |
//! | `info/area/polygon` | `area.polygons` | `lat,lon lat,lon …` with first = last; out: the closing point is appended; in: it is dropped |
//! | `info/area/geocode` | `area.regions` | `valueName` `SILBATO-REGION`; other geocodes (SAME, FIPS, UGC) are ignored |
//!
//! Event, urgency, severity, certainty and expires are one value per alert here but one per info
//! block in CAP: out, every block repeats them (and the area); in, blocks that disagree are
//! refused, and the areas of all blocks are merged without duplicates.
//!
//! Round trip: `from_cap(&to_cap(a, s)?, &a.network)? == *a` for every valid alert whose times are
//! whole seconds (CAP has no fractions; they are cut off), whose texts are neither empty nor padded
//! with whitespace, whose area repeats no part, and whose `lang` is set (as `alert new` and
//! `from_cap` set it; an alert signed before `lang` existed comes back with the language written
//! first recorded as its own).
//!
//! Input limits: at most [`MAX_CAP_BYTES`], checked before parsing; no `<!DOCTYPE` or `<!ENTITY`
//! anywhere, at most 64 occurrences of `xmlns` and 1024 attributes, also checked before parsing;
//! at most 65,536 nodes, enforced by the parser as it goes; at most 16 levels of elements and
//! 8192 elements; at most 16 info blocks. CAP elements this mapping does not use (`note`,
//! `eventCode`, `parameter`, `resource`, …) are ignored; an element read here that may appear
//! once but appears twice is refused.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::writer::Writer;

use crate::alert::{Alert, AlertText, Area, Category, Certainty, MsgType, Severity, Urgency};
use crate::error::{Error, Result};
use crate::geo::{Circle, MAX_POLYGON_VERTICES, Point};

pub use crate::error::CapError;

/// The CAP 1.2 XML namespace.
pub const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";
/// CAP documents larger than this are refused unread.
pub const MAX_CAP_BYTES: usize = 256 * 1024;
/// The `geocode/valueName` that carries a Silbato region code.
pub const REGION_VALUE_NAME: &str = "SILBATO-REGION";

const MAX_DEPTH: usize = 16;
const MAX_ELEMENTS: usize = 8192;
/// Nodes (elements, text runs, comments, processing instructions) the parser builds at most,
/// bounding its memory before the shape is checked. A document within [`MAX_CAP_BYTES`] can hold
/// about 105,000 (`a<b/>` repeated); one this module accepts has at most [`MAX_ELEMENTS`]
/// elements and so about twice as many text runs, which leaves room for comments.
const MAX_NODES: u32 = 65_536;
/// Occurrences of `xmlns` at most, counted before parsing: the parser copies the declarations
/// in scope into every element that declares another, which nested declarations make quadratic.
/// A CAP document needs one or two (CAP itself, an XML signature).
const MAX_NAMESPACE_DECLARATIONS: usize = 64;
/// Attributes at most, counted before parsing (every `=` followed by a quote, which every
/// attribute has): the parser checks each attribute of an element against the ones before it.
const MAX_ATTRIBUTES: usize = 1024;
const MAX_INFO: usize = 16;
/// Bounds on the merged area while reading, so deduplication stays cheap; `validate` has the
/// real limits, which are the same.
const MAX_CIRCLES: usize = 32;
const MAX_POLYGONS: usize = 16;
const MAX_REGIONS: usize = 32;
const MAX_SENDER_CHARS: usize = 256;

fn invalid(e: CapError) -> Error {
    e.into()
}

// ---------------------------------------------------------------------------------------------
// Out
// ---------------------------------------------------------------------------------------------

/// CAP 1.2 XML (namespace urn:oasis:names:tc:emergency:cap:1.2) for one alert.
///
/// # Errors
/// Whatever [`Alert::validate`] refuses; [`CapError::Sender`] for a `sender` that CAP does not
/// allow (empty, over 256 characters, or with whitespace, commas, `<`, `&` or control characters)
/// or for text holding a character XML 1.0 cannot carry.
pub fn to_cap(alert: &Alert, sender: &str) -> Result<String> {
    alert.validate()?;
    if sender.is_empty()
        || sender.chars().count() > MAX_SENDER_CHARS
        || sender
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | '<' | '&'))
        || !xml_safe(sender)
    {
        return Err(invalid(CapError::Sender));
    }
    if !alert_text_xml_safe(alert) {
        return Err(invalid(CapError::XmlCharacter));
    }
    let sent = cap_time(&alert.sent);
    let expires = cap_time(&alert.expires);
    let references = alert
        .references
        .iter()
        .map(|r| format!("{sender},{r},{sent}"))
        .collect::<Vec<_>>()
        .join(" ");
    let area_desc = if alert.area.regions.is_empty() {
        "Area".to_owned()
    } else {
        alert.area.regions.join(", ")
    };

    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(|_| Error::Encode)?;
    w.create_element("alert")
        .with_attribute(("xmlns", CAP_NAMESPACE))
        .write_inner_content(|w| {
            text_element(w, "identifier", &alert.id)?;
            text_element(w, "sender", sender)?;
            text_element(w, "sent", &sent)?;
            text_element(w, "status", "Actual")?;
            text_element(w, "msgType", msg_type_name(alert.msg_type))?;
            text_element(w, "scope", "Public")?;
            if !references.is_empty() {
                text_element(w, "references", &references)?;
            }
            // The alert's own language first: a reader takes the first block as the original.
            let own = alert.own_lang();
            let ordered = own
                .and_then(|l| alert.info.get_key_value(l))
                .into_iter()
                .chain(alert.info.iter().filter(|(l, _)| Some(l.as_str()) != own));
            for (lang, text) in ordered {
                w.create_element("info").write_inner_content(|w| {
                    text_element(w, "language", lang)?;
                    text_element(w, "category", "Security")?;
                    text_element(w, "event", category_name(alert.category))?;
                    text_element(w, "urgency", urgency_name(alert.urgency))?;
                    text_element(w, "severity", severity_name(alert.severity))?;
                    text_element(w, "certainty", certainty_name(alert.certainty))?;
                    text_element(w, "expires", &expires)?;
                    text_element(w, "headline", &text.headline)?;
                    if let Some(d) = &text.description {
                        text_element(w, "description", d)?;
                    }
                    if let Some(i) = &text.instruction {
                        text_element(w, "instruction", i)?;
                    }
                    if let Some(h) = &alert.hotline {
                        text_element(w, "contact", h)?;
                    }
                    w.create_element("area").write_inner_content(|w| {
                        text_element(w, "areaDesc", &area_desc)?;
                        for ring in &alert.area.polygons {
                            text_element(w, "polygon", &polygon_text(ring))?;
                        }
                        for c in &alert.area.circles {
                            text_element(w, "circle", &circle_text(c))?;
                        }
                        for region in &alert.area.regions {
                            w.create_element("geocode").write_inner_content(|w| {
                                text_element(w, "valueName", REGION_VALUE_NAME)?;
                                text_element(w, "value", region)
                            })?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })?;
            }
            Ok(())
        })
        .map_err(|_| Error::Encode)?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    String::from_utf8(bytes).map_err(|_| invalid(CapError::XmlCharacter))
}

fn text_element<W: std::io::Write>(
    w: &mut Writer<W>,
    name: &str,
    text: &str,
) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

/// CAP dateTime: whole seconds, numeric offset, never `Z`.
fn cap_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn point_text(p: &Point) -> String {
    // `Display` for f64 prints the shortest text that parses back to the same value.
    format!("{},{}", p.lat, p.lon)
}

fn polygon_text(ring: &[Point]) -> String {
    ring.iter()
        .chain(ring.first())
        .map(point_text)
        .collect::<Vec<_>>()
        .join(" ")
}

fn circle_text(c: &Circle) -> String {
    // Moving the decimal point in the shortest decimal text is exact, where dividing by 1000 in
    // binary floating point is not.
    let metres = format!("{}", c.radius_m);
    let km = shift_decimal(&metres, -3).unwrap_or_else(|| format!("{}", c.radius_m / 1000.0));
    format!("{} {km}", point_text(&c.center))
}

/// Moves the decimal point of a plain non-negative decimal (`123`, `1.5`, `.5`, `2.`) by `shift`
/// places (right if positive). `None` for anything else (signs, exponents, `inf`).
fn shift_decimal(s: &str, shift: i32) -> Option<String> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{int}{frac}");
    let point = isize::try_from(int.len())
        .ok()?
        .checked_add(isize::try_from(shift).ok()?)?;
    let len = isize::try_from(digits.len()).ok()?;
    let (int, frac) = if point <= 0 {
        (
            String::new(),
            format!("{}{digits}", "0".repeat(point.unsigned_abs())),
        )
    } else if point >= len {
        (
            format!("{digits}{}", "0".repeat(point.abs_diff(len))),
            String::new(),
        )
    } else {
        let (a, b) = digits.split_at_checked(point.unsigned_abs())?;
        (a.to_owned(), b.to_owned())
    };
    // Canonical: no leading zeros before the point, no trailing zeros after it.
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    Some(match (int.is_empty(), frac.is_empty()) {
        (true, true) => "0".to_owned(),
        (false, true) => int.to_owned(),
        (true, false) => format!("0.{frac}"),
        (false, false) => format!("{int}.{frac}"),
    })
}

fn msg_type_name(m: MsgType) -> &'static str {
    match m {
        MsgType::Alert => "Alert",
        MsgType::Update => "Update",
        MsgType::Cancel => "Cancel",
    }
}

fn category_name(c: Category) -> &'static str {
    match c {
        Category::Raid => "raid",
        Category::Checkpoint => "checkpoint",
        Category::Patrol => "patrol",
        Category::Detention => "detention",
        Category::AllClear => "all_clear",
        Category::CommunityEvent => "community_event",
        Category::Information => "information",
    }
}

fn urgency_name(u: Urgency) -> &'static str {
    match u {
        Urgency::Immediate => "Immediate",
        Urgency::Expected => "Expected",
        Urgency::Future => "Future",
        Urgency::Past => "Past",
        Urgency::Unknown => "Unknown",
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Extreme => "Extreme",
        Severity::Severe => "Severe",
        Severity::Moderate => "Moderate",
        Severity::Minor => "Minor",
        Severity::Unknown => "Unknown",
    }
}

fn certainty_name(c: Certainty) -> &'static str {
    match c {
        Certainty::Observed => "Observed",
        Certainty::Likely => "Likely",
        Certainty::Possible => "Possible",
        Certainty::Unverified => "Unknown",
    }
}

/// Every character is one XML 1.0 can carry (`Char` production).
fn xml_safe(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    })
}

fn alert_text_xml_safe(alert: &Alert) -> bool {
    alert.info.iter().all(|(lang, t)| {
        xml_safe(lang)
            && xml_safe(&t.headline)
            && t.description.as_deref().is_none_or(xml_safe)
            && t.instruction.as_deref().is_none_or(xml_safe)
    }) && alert.hotline.as_deref().is_none_or(xml_safe)
        && alert.area.regions.iter().all(|r| xml_safe(r))
}

// ---------------------------------------------------------------------------------------------
// In
// ---------------------------------------------------------------------------------------------

/// Parses CAP 1.2 XML into an unsigned Alert (the caller signs it with `alert new`-style tooling).
///
/// # Errors
/// [`Error::Cap`] with a fixed reason for anything that is not a well-formed, public,
/// actual CAP 1.2 alert this mapping can carry, and whatever [`Alert::validate`] refuses.
pub fn from_cap(xml: &str, network: &str) -> Result<Alert> {
    if xml.len() > MAX_CAP_BYTES {
        return Err(invalid(CapError::TooLarge));
    }
    let xml = xml.strip_prefix('\u{FEFF}').unwrap_or(xml);
    // The parser refuses a DTD itself; this also catches one out of place or in lower case.
    if contains_ignore_case(xml, b"<!DOCTYPE") || contains_ignore_case(xml, b"<!ENTITY") {
        return Err(invalid(DOCTYPE));
    }
    if xml.matches("xmlns").count() > MAX_NAMESPACE_DECLARATIONS {
        return Err(invalid(TOO_MANY_NAMESPACES));
    }
    if attribute_bound(xml) > MAX_ATTRIBUTES {
        return Err(invalid(TOO_MANY_ATTRIBUTES));
    }
    let doc = parse_document(xml)?;
    let root = cap_root(&doc)?;
    alert_from_tree(root, network)
}

fn contains_ignore_case(haystack: &str, needle: &[u8]) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// At least the number of attributes in the document: every `=` that is followed, after
/// optional white space, by a quote (`Eq AttValue` in the XML grammar). Linear: each run of white
/// space is scanned from the one `=` before it.
fn attribute_bound(xml: &str) -> usize {
    let bytes = xml.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| {
            b == b'='
                && bytes
                    .get(i.saturating_add(1)..)
                    .and_then(|rest| {
                        rest.iter()
                            .find(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                    })
                    .is_some_and(|&c| c == b'"' || c == b'\'')
        })
        .count()
}

const NOT_XML: CapError = CapError::NotXml;
const DOCTYPE: CapError = CapError::Doctype;
const TOO_MANY_NODES: CapError = CapError::TooManyNodes;
const TOO_MANY_NAMESPACES: CapError = CapError::TooManyNamespaces;
const TOO_MANY_ATTRIBUTES: CapError = CapError::TooManyAttributes;

/// Parses the document with `roxmltree`: no DTD (so no entity but the five predefined ones and
/// character references, nothing external), at most [`MAX_NODES`] nodes. Every parser error
/// becomes a fixed reason; the parser's own message, which can quote the input, is dropped.
fn parse_document(xml: &str) -> Result<roxmltree::Document<'_>> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(xml, options).map_err(|e| parse_error(xml, &e))
}

fn parse_error(xml: &str, e: &roxmltree::Error) -> Error {
    use roxmltree::Error as X;
    invalid(match e {
        X::DtdDetected
        | X::EntityReferenceLoop(_)
        | X::UnexpectedEntityCloseTag(_)
        | X::InvalidExternalID(_)
        | X::EntityResolver(..) => DOCTYPE,
        X::NodesLimitReached => TOO_MANY_NODES,
        X::NamespacesLimitReached => TOO_MANY_NAMESPACES,
        X::UnknownNamespace(..) => CapError::UndeclaredPrefix,
        X::UnknownEntityReference(..) => CapError::UndefinedEntity,
        X::NoRootNode => CapError::NoRoot,
        X::UnclosedRootNode | X::UnexpectedEndOfStream => CapError::Truncated,
        // After the root element only comments and processing instructions may follow; a start
        // tag there is a second root.
        X::UnknownToken(pos) if starts_element(xml, *pos) => CapError::TwoRoots,
        _ => NOT_XML,
    })
}

/// Whether a start tag (`<` and a name) begins at the parser's 1-based row and column (in
/// characters, rows counted by `\n`).
fn starts_element(xml: &str, pos: roxmltree::TextPos) -> bool {
    let (Some(row), Some(col)) = (
        usize::try_from(pos.row).ok().and_then(|r| r.checked_sub(1)),
        usize::try_from(pos.col).ok().and_then(|c| c.checked_sub(1)),
    ) else {
        return false;
    };
    let Some(line) = xml.split('\n').nth(row) else {
        return false;
    };
    let mut rest = line.chars().skip(col);
    rest.next() == Some('<') && rest.next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// The root element, which must be a CAP 1.2 `alert`, after checking the document's shape: at
/// most [`MAX_DEPTH`] levels and [`MAX_ELEMENTS`] elements, counting foreign ones.
fn cap_root<'a, 'input>(doc: &'a roxmltree::Document<'input>) -> Result<El<'a, 'input>> {
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(CAP_NAMESPACE) || root.tag_name().name() != "alert" {
        return Err(invalid(CapError::NotCap));
    }
    check_shape(root, 1, &mut 0)?;
    Ok(El(root))
}

/// Depth-first in document order; recursion stops at `MAX_DEPTH + 1` levels.
fn check_shape(element: roxmltree::Node<'_, '_>, depth: usize, elements: &mut usize) -> Result<()> {
    *elements = elements.saturating_add(1);
    if *elements > MAX_ELEMENTS {
        return Err(invalid(CapError::TooManyElements));
    }
    if depth > MAX_DEPTH {
        return Err(invalid(CapError::TooDeep));
    }
    for child in element.children().filter(roxmltree::Node::is_element) {
        check_shape(child, depth.saturating_add(1), elements)?;
    }
    Ok(())
}

/// An element of the parsed document, read through its CAP-namespace children only: elements
/// of other namespaces (an XML signature, say) and everything inside them are never looked at.
#[derive(Debug, Clone, Copy)]
struct El<'a, 'input>(roxmltree::Node<'a, 'input>);

impl<'a, 'input> El<'a, 'input> {
    fn all(self, name: &'static str) -> impl Iterator<Item = El<'a, 'input>> {
        self.0
            .children()
            .filter(move |c| {
                c.is_element()
                    && c.tag_name().namespace() == Some(CAP_NAMESPACE)
                    && c.tag_name().name() == name
            })
            .map(El)
    }

    /// The element's own text (CDATA included, child elements' text not), trimmed.
    fn text(self) -> Cow<'a, str> {
        let mut runs = self
            .0
            .children()
            .filter_map(|c| c.is_text().then(|| c.text()).flatten());
        let first = runs.next().unwrap_or_default();
        match runs.next() {
            None => Cow::Borrowed(first.trim()),
            Some(second) => {
                let mut all = format!("{first}{second}");
                runs.for_each(|r| all.push_str(r));
                Cow::Owned(all.trim().to_owned())
            }
        }
    }

    /// The trimmed text of an element that may appear at most once.
    fn single(self, name: &'static str) -> Result<Option<Cow<'a, str>>> {
        let mut found = self.all(name);
        let first = found.next();
        if found.next().is_some() {
            return Err(invalid(CapError::Repeated));
        }
        Ok(first.map(El::text))
    }

    fn required(self, name: &'static str, missing: CapError) -> Result<Cow<'a, str>> {
        match self.single(name)? {
            Some(t) if !t.is_empty() => Ok(t),
            _ => Err(invalid(missing)),
        }
    }
}

/// The parts of an info block that CAP repeats per block and an [`Alert`] has once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Common {
    category: Category,
    urgency: Urgency,
    severity: Severity,
    certainty: Certainty,
}

fn alert_from_tree(root: El<'_, '_>, network: &str) -> Result<Alert> {
    let id = root
        .required("identifier", CapError::NoIdentifier)?
        .into_owned();
    let sent = parse_time(&root.required("sent", CapError::NoSent)?)?;
    let status = root.required("status", CapError::NoStatus)?;
    if status != "Actual" {
        return Err(invalid(CapError::NotActual));
    }
    let msg_type = match &*root.required("msgType", CapError::NoMsgType)? {
        "Alert" => MsgType::Alert,
        "Update" => MsgType::Update,
        "Cancel" => MsgType::Cancel,
        "Ack" | "Error" => return Err(invalid(CapError::AckOrError)),
        _ => return Err(invalid(CapError::MsgType)),
    };
    let scope = root.required("scope", CapError::NoScope)?;
    if scope != "Public" {
        return Err(invalid(CapError::NotPublic));
    }
    let references = match root.single("references")? {
        Some(refs) => parse_references(&refs)?,
        None => Vec::new(),
    };

    let blocks: Vec<El<'_, '_>> = root.all("info").collect();
    if blocks.is_empty() {
        return Err(invalid(CapError::NoInfo));
    }
    if blocks.len() > MAX_INFO {
        return Err(invalid(CapError::TooManyInfo));
    }
    let mut common: Option<Common> = None;
    let mut expires: Option<DateTime<Utc>> = None;
    let mut hotline: Option<String> = None;
    let mut info = BTreeMap::new();
    let mut own_lang: Option<String> = None;
    let mut area = Area::default();
    for block in blocks {
        let lang = language(block.single("language")?.as_deref())?;
        if own_lang.is_none() {
            own_lang = Some(lang.clone());
        }
        let this = common_of(block)?;
        if common.is_some_and(|c| c != this) {
            return Err(invalid(CapError::InfoDisagrees));
        }
        common = Some(this);
        if let Some(t) = block.single("expires")? {
            let t = parse_time(&t)?;
            if expires.is_some_and(|e| e != t) {
                return Err(invalid(CapError::InfoExpiresDisagree));
            }
            expires = Some(t);
        }
        if hotline.is_none() {
            hotline = optional_text(block, "contact")?;
        }
        let text = AlertText {
            headline: optional_text(block, "headline")?
                .ok_or_else(|| invalid(CapError::NoHeadline))?,
            description: optional_text(block, "description")?,
            instruction: optional_text(block, "instruction")?,
        };
        if info.insert(lang, text).is_some() {
            return Err(invalid(CapError::DuplicateLanguage));
        }
        for a in block.all("area") {
            merge_area(&mut area, a)?;
        }
    }
    let common = common.ok_or_else(|| invalid(CapError::NoInfo))?;
    let alert = Alert {
        format: 1,
        id,
        network: network.to_owned(),
        msg_type,
        references,
        category: common.category,
        severity: common.severity,
        urgency: common.urgency,
        certainty: common.certainty,
        sent,
        expires: expires.ok_or_else(|| invalid(CapError::NoExpires))?,
        area,
        info,
        hotline,
        lang: own_lang,
    };
    if !alert_text_xml_safe(&alert) {
        return Err(invalid(CapError::XmlCharacter));
    }
    alert.validate()?;
    Ok(alert)
}

fn common_of(block: El<'_, '_>) -> Result<Common> {
    Ok(Common {
        category: parse_event(&block.required("event", CapError::NoEvent)?),
        urgency: parse_urgency(&block.required("urgency", CapError::NoUrgency)?)?,
        severity: parse_severity(&block.required("severity", CapError::NoSeverity)?)?,
        certainty: parse_certainty(&block.required("certainty", CapError::NoCertainty)?)?,
    })
}

/// A free-text element, trimmed, with tabs as spaces (indentation in hand-written XML; alert
/// text has no tabs); `None` when absent or blank.
fn optional_text(block: El<'_, '_>, name: &'static str) -> Result<Option<String>> {
    Ok(block
        .single(name)?
        .map(|t| t.replace('\t', " "))
        .filter(|t| !t.is_empty()))
}

/// CAP dateTime. CAP itself allows only a numeric offset and whole seconds; `Z` and fractions,
/// which real feeds emit, are tolerated. A time without an offset is refused.
fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid(CapError::Time))
}

fn parse_references(s: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for triple in s.split_ascii_whitespace() {
        let mut parts = triple.split(',');
        let (Some(_sender), Some(id), Some(_sent), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid(CapError::References));
        };
        if id.is_empty() {
            return Err(invalid(CapError::References));
        }
        // `validate` allows 16; stop collecting long before a hostile list costs anything.
        if out.len() > MAX_INFO {
            return Err(invalid(CapError::AlertReferences));
        }
        out.push(id.to_owned());
    }
    Ok(out)
}

/// The primary language subtag, lowercased; CAP's default is en-US.
fn language(tag: Option<&str>) -> Result<String> {
    let tag = tag.filter(|t| !t.is_empty()).unwrap_or("en-US");
    let primary = tag.split(['-', '_']).next().unwrap_or_default();
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid(CapError::Language));
    }
    Ok(primary.to_ascii_lowercase())
}

fn parse_event(s: &str) -> Category {
    let key: String = s
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    match key.as_str() {
        "raid" => Category::Raid,
        "checkpoint" => Category::Checkpoint,
        "patrol" => Category::Patrol,
        "detention" => Category::Detention,
        "all_clear" | "allclear" => Category::AllClear,
        "community_event" | "communityevent" => Category::CommunityEvent,
        _ => Category::Information,
    }
}

fn parse_urgency(s: &str) -> Result<Urgency> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "immediate" => Urgency::Immediate,
        "expected" => Urgency::Expected,
        "future" => Urgency::Future,
        "past" => Urgency::Past,
        "unknown" => Urgency::Unknown,
        _ => {
            return Err(invalid(CapError::Urgency));
        }
    })
}

fn parse_severity(s: &str) -> Result<Severity> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "extreme" => Severity::Extreme,
        "severe" => Severity::Severe,
        "moderate" => Severity::Moderate,
        "minor" => Severity::Minor,
        "unknown" => Severity::Unknown,
        _ => {
            return Err(invalid(CapError::Severity));
        }
    })
}

fn parse_certainty(s: &str) -> Result<Certainty> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "observed" => Certainty::Observed,
        "likely" | "very likely" => Certainty::Likely,
        "possible" => Certainty::Possible,
        "unlikely" | "unknown" => Certainty::Unverified,
        _ => {
            return Err(invalid(CapError::Certainty));
        }
    })
}

fn merge_area(area: &mut Area, node: El<'_, '_>) -> Result<()> {
    for p in node.all("polygon") {
        let ring = parse_polygon(&p.text())?;
        if !area.polygons.contains(&ring) {
            if area.polygons.len() >= MAX_POLYGONS {
                return Err(invalid(CapError::AreaTooLarge));
            }
            area.polygons.push(ring);
        }
    }
    for c in node.all("circle") {
        let circle = parse_circle(&c.text())?;
        if !area.circles.contains(&circle) {
            if area.circles.len() >= MAX_CIRCLES {
                return Err(invalid(CapError::AreaTooLarge));
            }
            area.circles.push(circle);
        }
    }
    for g in node.all("geocode") {
        let Some(name) = g.single("valueName")? else {
            continue;
        };
        if !name.eq_ignore_ascii_case(REGION_VALUE_NAME) {
            continue;
        }
        let code = g
            .single("value")?
            .ok_or_else(|| invalid(CapError::GeocodeValue))?
            .into_owned();
        if !area.regions.contains(&code) {
            if area.regions.len() >= MAX_REGIONS {
                return Err(invalid(CapError::AreaTooLarge));
            }
            area.regions.push(code);
        }
    }
    Ok(())
}

fn parse_point(s: &str) -> Option<Point> {
    let (lat, lon) = s.split_once(',')?;
    Some(Point {
        lat: lat.parse().ok()?,
        lon: lon.parse().ok()?,
    })
}

/// `lat,lon lat,lon …`; a closing point equal to the first is dropped.
fn parse_polygon(s: &str) -> Result<Vec<Point>> {
    const BAD: CapError = CapError::Polygon;
    let mut ring = Vec::new();
    for pair in s.split_ascii_whitespace() {
        // One more than the limit for the closing point.
        if ring.len() > MAX_POLYGON_VERTICES {
            return Err(invalid(CapError::PolygonTooLarge));
        }
        ring.push(parse_point(pair).ok_or_else(|| invalid(BAD))?);
    }
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    Ok(ring)
}

/// `lat,lon radius_km`.
fn parse_circle(s: &str) -> Result<Circle> {
    const BAD: CapError = CapError::Circle;
    let mut parts = s.split_ascii_whitespace();
    let (Some(point), Some(km), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid(BAD));
    };
    let center = parse_point(point).ok_or_else(|| invalid(BAD))?;
    let radius_m = shift_decimal(km, 3)
        .and_then(|m| m.parse::<f64>().ok())
        .ok_or_else(|| invalid(BAD))?;
    Ok(Circle { center, radius_m })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    const NET: &str = "pilsen-rrn";
    const SENDER: &str = "dispatch@rrn.example.org";

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn p(lat: f64, lon: f64) -> Point {
        Point { lat, lon }
    }

    fn text(headline: &str, description: Option<&str>, instruction: Option<&str>) -> AlertText {
        AlertText {
            headline: headline.to_owned(),
            description: description.map(str::to_owned),
            instruction: instruction.map(str::to_owned),
        }
    }

    /// An update in two languages with every kind of area and markup characters in its text.
    fn update() -> Alert {
        let sent = t("2026-11-21T16:00:00Z");
        Alert {
            format: 1,
            id: "pilsen-2026-0043".into(),
            network: NET.into(),
            msg_type: MsgType::Update,
            references: vec!["pilsen-2026-0042".into(), "pilsen-2026-0041".into()],
            category: Category::Raid,
            severity: Severity::Severe,
            urgency: Urgency::Immediate,
            certainty: Certainty::Observed,
            sent,
            expires: sent + Duration::hours(6),
            area: Area {
                circles: vec![
                    Circle {
                        center: p(41.8576, -87.6565),
                        radius_m: 1500.0,
                    },
                    Circle {
                        center: p(41.85, -87.65),
                        radius_m: 250.5,
                    },
                    Circle {
                        center: p(-33.9, 151.2),
                        radius_m: 0.1 + 0.2,
                    },
                ],
                polygons: vec![
                    vec![p(41.858, -87.669), p(41.858, -87.648), p(41.847, -87.648)],
                    vec![
                        p(41.9, -87.7),
                        p(41.91, -87.7),
                        p(41.91, -87.69),
                        p(41.9, -87.7),
                    ],
                ],
                regions: vec!["US-IL-CHI".into(), "US-IL-CHI-PILSEN".into()],
            },
            info: BTreeMap::from([
                (
                    "en".to_owned(),
                    text(
                        "ICE at 18th & Blue Island <confirmed>",
                        Some("Two unmarked vans, \"agents\" in vests.\nStill there at 10:05."),
                        Some("Don't open the door; you don't have to."),
                    ),
                ),
                (
                    "es".to_owned(),
                    text(
                        "ICE en la 18 y Blue Island",
                        Some("Dos camionetas sin placas; agentes con chalecos."),
                        Some("No abra la puerta. Tiene derecho a guardar silencio."),
                    ),
                ),
            ]),
            hotline: Some("+1-312-555-0100".into()),
            lang: Some("en".into()),
        }
    }

    fn cancel() -> Alert {
        let sent = t("2026-11-21T19:30:00Z");
        Alert {
            format: 1,
            id: "pilsen-2026-0044".into(),
            network: NET.into(),
            msg_type: MsgType::Cancel,
            references: vec!["pilsen-2026-0043".into()],
            category: Category::AllClear,
            severity: Severity::Minor,
            urgency: Urgency::Past,
            certainty: Certainty::Unverified,
            sent,
            expires: sent + Duration::days(1),
            area: Area {
                regions: vec!["US-IL-CHI".into()],
                ..Area::default()
            },
            info: BTreeMap::from([("es".to_owned(), text("Todo despejado", None, None))]),
            hotline: None,
            lang: Some("es".into()),
        }
    }

    fn checkpoint() -> Alert {
        let sent = t("2026-03-01T08:15:42Z");
        Alert {
            format: 1,
            id: "la-0001".into(),
            network: "la-rrn".into(),
            msg_type: MsgType::Alert,
            references: vec![],
            category: Category::Checkpoint,
            severity: Severity::Moderate,
            urgency: Urgency::Expected,
            certainty: Certainty::Possible,
            sent,
            expires: sent + Duration::minutes(90),
            area: Area {
                circles: vec![Circle {
                    center: p(34.052_235, -118.243_683),
                    radius_m: 123.456_789,
                }],
                ..Area::default()
            },
            info: BTreeMap::from([("en".to_owned(), text("Checkpoint reported", None, None))]),
            hotline: None,
            lang: Some("en".into()),
        }
    }

    /// The fixed text of a refusal: this module's own, or the rule `Alert::validate` names.
    fn reason<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(e @ (Error::Cap(_) | Error::Alert(_))) => e.to_string(),
            other => panic!("expected a fixed-reason refusal, got {other:?}"),
        }
    }

    #[test]
    fn round_trips() {
        for alert in [update(), cancel(), checkpoint()] {
            let xml = to_cap(&alert, SENDER).unwrap();
            if std::env::var_os("CAP_SHOW").is_some() {
                println!("{xml}");
            }
            let back = from_cap(&xml, &alert.network).unwrap();
            assert_eq!(back, alert, "{xml}");
        }
    }

    #[test]
    fn writes_cap_conventions() {
        let xml = to_cap(&update(), SENDER).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"));
        assert!(xml.contains("<sent>2026-11-21T16:00:00+00:00</sent>"));
        assert!(xml.contains("<expires>2026-11-21T22:00:00+00:00</expires>"));
        assert!(!xml.contains('Z'), "CAP forbids Z");
        assert!(xml.contains(
            "<references>dispatch@rrn.example.org,pilsen-2026-0042,2026-11-21T16:00:00+00:00 \
             dispatch@rrn.example.org,pilsen-2026-0041,2026-11-21T16:00:00+00:00</references>"
        ));
        assert!(xml.contains("<status>Actual</status>"));
        assert!(xml.contains("<scope>Public</scope>"));
        assert!(xml.contains("<msgType>Update</msgType>"));
        assert_eq!(xml.matches("<info>").count(), 2);
        assert_eq!(xml.matches("<category>Security</category>").count(), 2);
        assert!(xml.contains("<event>raid</event>"));
        assert!(xml.contains("<circle>41.8576,-87.6565 1.5</circle>"));
        assert!(xml.contains("<circle>41.85,-87.65 0.2505</circle>"));
        assert!(xml.contains(
            "<polygon>41.858,-87.669 41.858,-87.648 41.847,-87.648 41.858,-87.669</polygon>"
        ));
        assert!(xml.contains("<areaDesc>US-IL-CHI, US-IL-CHI-PILSEN</areaDesc>"));
        assert!(xml.contains("<valueName>SILBATO-REGION</valueName>"));
        assert!(xml.contains("<value>US-IL-CHI-PILSEN</value>"));
        assert!(xml.contains("18th &amp; Blue Island &lt;confirmed&gt;"));
        assert!(xml.contains("<contact>+1-312-555-0100</contact>"));
        // Unverified goes out as CAP's Unknown, an area without regions is just "Area".
        let xml = to_cap(&checkpoint(), SENDER).unwrap();
        assert!(xml.contains("<areaDesc>Area</areaDesc>"));
        assert!(!xml.contains("<references>"));
        let xml = to_cap(&cancel(), SENDER).unwrap();
        assert!(xml.contains("<certainty>Unknown</certainty>"));
        assert!(xml.contains("<event>all_clear</event>"));
    }

    #[test]
    fn sub_second_times_go_out_as_whole_seconds() {
        let mut a = checkpoint();
        a.sent += Duration::milliseconds(999);
        let xml = to_cap(&a, SENDER).unwrap();
        assert!(xml.contains("<sent>2026-03-01T08:15:42+00:00</sent>"));
    }

    #[test]
    fn to_cap_refuses_bad_senders_and_invalid_alerts() {
        for bad in ["", "a b", "a,b", "a<b", "a&b", "a\u{7}b", &"x".repeat(257)] {
            assert_eq!(
                reason(to_cap(&update(), bad)),
                "a CAP sender is 1 to 256 characters without spaces, commas, < or &"
            );
        }
        let mut a = update();
        a.area.circles[0].center.lat = 91.0;
        assert_eq!(reason(to_cap(&a, SENDER)), "an alert circle is invalid");
        let mut a = update();
        a.info.get_mut("en").unwrap().headline = "bad \u{FFFF}".into();
        assert_eq!(
            reason(to_cap(&a, SENDER)),
            "alert text has a character XML cannot carry"
        );
    }

    /// Hand-written in the style of the OASIS CAP 1.2 examples, with the extras real feeds carry.
    const PILSEN: &str = r#"<?xml version = "1.0" encoding = "UTF-8"?>
<!-- exported by a dispatch console -->
<cap:alert xmlns:cap = "urn:oasis:names:tc:emergency:cap:1.2">
  <cap:identifier>CHI-RRN-2026-0042</cap:identifier>
  <cap:sender>dispatch@rrn.example.org</cap:sender>
  <cap:sent>2026-11-21T10:00:00-06:00</cap:sent>
  <cap:status>Actual</cap:status>
  <cap:msgType>Update</cap:msgType>
  <cap:source>Pilsen rapid response hotline</cap:source>
  <cap:scope>Public</cap:scope>
  <cap:note>Confirmed in person by two responders.</cap:note>
  <cap:references>dispatch@rrn.example.org,CHI-RRN-2026-0041,2026-11-21T09:40:00-06:00</cap:references>
  <cap:info>
    <cap:language>en-US</cap:language>
    <cap:category>Security</cap:category>
    <cap:event>Raid</cap:event>
    <cap:responseType>Avoid</cap:responseType>
    <cap:urgency>Immediate</cap:urgency>
    <cap:severity>Severe</cap:severity>
    <cap:certainty>Observed</cap:certainty>
    <cap:eventCode>
      <cap:valueName>SAME</cap:valueName>
      <cap:value>LEW</cap:value>
    </cap:eventCode>
    <cap:effective>2026-11-21T10:00:00-06:00</cap:effective>
    <cap:expires>2026-11-21T16:00:00-06:00</cap:expires>
    <cap:senderName>Pilsen Rapid Response Network</cap:senderName>
    <cap:headline>Immigration agents at 18th St &amp; Blue Island Ave</cap:headline>
    <cap:description>
      Two unmarked vans and about six agents in vests at the corner of 18th St
      and Blue Island Ave.	Legal observers are on the way.
    </cap:description>
    <cap:instruction><![CDATA[Stay inside & do not open the door.]]></cap:instruction>
    <cap:web>https://rrn.example.org/alerts/0042</cap:web>
    <cap:contact>+1-312-555-0100</cap:contact>
    <cap:parameter>
      <cap:valueName>EAS-ORG</cap:valueName>
      <cap:value>CIV</cap:value>
    </cap:parameter>
    <cap:area>
      <cap:areaDesc>Pilsen, Chicago, Illinois</cap:areaDesc>
      <cap:polygon>41.8580,-87.6690 41.8580,-87.6480 41.8470,-87.6480 41.8470,-87.6690 41.8580,-87.6690</cap:polygon>
      <cap:circle>41.8576,-87.6565 0.5</cap:circle>
      <cap:geocode>
        <cap:valueName>SAME</cap:valueName>
        <cap:value>017031</cap:value>
      </cap:geocode>
      <cap:geocode>
        <cap:valueName>SILBATO-REGION</cap:valueName>
        <cap:value>US-IL-CHI</cap:value>
      </cap:geocode>
    </cap:area>
  </cap:info>
  <cap:info>
    <cap:language>es-US</cap:language>
    <cap:category>Security</cap:category>
    <cap:event>raid</cap:event>
    <cap:urgency>Immediate</cap:urgency>
    <cap:severity>Severe</cap:severity>
    <cap:certainty>Observed</cap:certainty>
    <cap:expires>2026-11-21T22:00:00Z</cap:expires>
    <cap:headline>Agentes de inmigraci&#xF3;n en la calle 18 y Blue Island</cap:headline>
    <cap:description>Dos camionetas sin placas y unos seis agentes con chalecos.</cap:description>
    <cap:instruction>Qu&#233;dese adentro y no abra la puerta.</cap:instruction>
    <cap:area>
      <cap:areaDesc>Pilsen, Chicago, Illinois</cap:areaDesc>
      <cap:circle>41.8576,-87.6565 0.5</cap:circle>
      <cap:geocode>
        <cap:valueName>SILBATO-REGION</cap:valueName>
        <cap:value>US-IL-CHI-PILSEN</cap:value>
      </cap:geocode>
    </cap:area>
  </cap:info>
  <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
    <SignedInfo><Reference URI=""><DigestValue>bm90IGEgcmVhbCBzaWduYXR1cmU=</DigestValue></Reference></SignedInfo>
    <SignatureValue>bm90IGEgcmVhbCBzaWduYXR1cmU=</SignatureValue>
  </Signature>
</cap:alert>
"#;

    #[test]
    fn parses_a_hand_written_cap_document() {
        let a = from_cap(PILSEN, NET).unwrap();
        assert_eq!(a.format, 1);
        assert_eq!(a.id, "CHI-RRN-2026-0042");
        assert_eq!(a.network, NET);
        assert_eq!(a.msg_type, MsgType::Update);
        assert_eq!(a.references, vec!["CHI-RRN-2026-0041".to_owned()]);
        assert_eq!(a.category, Category::Raid);
        assert_eq!(a.urgency, Urgency::Immediate);
        assert_eq!(a.severity, Severity::Severe);
        assert_eq!(a.certainty, Certainty::Observed);
        assert_eq!(
            a.sent,
            Utc.with_ymd_and_hms(2026, 11, 21, 16, 0, 0).unwrap()
        );
        assert_eq!(
            a.expires,
            Utc.with_ymd_and_hms(2026, 11, 21, 22, 0, 0).unwrap()
        );
        assert_eq!(a.hotline.as_deref(), Some("+1-312-555-0100"));
        assert_eq!(a.info.keys().collect::<Vec<_>>(), ["en", "es"]);
        let en = &a.info["en"];
        assert_eq!(
            en.headline,
            "Immigration agents at 18th St & Blue Island Ave"
        );
        assert_eq!(
            en.description.as_deref(),
            Some(
                "Two unmarked vans and about six agents in vests at the corner of 18th St\n      \
                 and Blue Island Ave. Legal observers are on the way."
            )
        );
        assert_eq!(
            en.instruction.as_deref(),
            Some("Stay inside & do not open the door.")
        );
        let es = &a.info["es"];
        assert_eq!(
            es.headline,
            "Agentes de inmigración en la calle 18 y Blue Island"
        );
        assert_eq!(
            es.instruction.as_deref(),
            Some("Quédese adentro y no abra la puerta.")
        );
        // The closing point is dropped; the circle shared by both blocks is kept once.
        assert_eq!(
            a.area.polygons,
            vec![vec![
                p(41.858, -87.669),
                p(41.858, -87.648),
                p(41.847, -87.648),
                p(41.847, -87.669)
            ]]
        );
        assert_eq!(
            a.area.circles,
            vec![Circle {
                center: p(41.8576, -87.6565),
                radius_m: 500.0
            }]
        );
        assert_eq!(a.area.regions, ["US-IL-CHI", "US-IL-CHI-PILSEN"]);
        a.validate().unwrap();
    }

    #[test]
    fn radius_is_km_in_cap_and_metres_here() {
        for (km, m) in [
            ("0.5", 500.0),
            ("1.5", 1500.0),
            ("12", 12_000.0),
            ("12.", 12_000.0),
            (".25", 250.0),
            ("0.0001", 0.1),
            ("0.2505", 250.5),
            ("500", 500_000.0),
            ("0.123456789", 123.456_789),
        ] {
            let c = parse_circle(&format!("41.8,-87.6 {km}")).unwrap();
            assert_eq!(c.radius_m, m, "{km}");
        }
        for (m, km) in [
            (500.0, "0.5"),
            (1500.0, "1.5"),
            (12_000.0, "12"),
            (250.5, "0.2505"),
            (0.1, "0.0001"),
            (500_000.0, "500"),
            (1e-7, "0.0000000001"),
        ] {
            let c = Circle {
                center: p(1.0, 2.0),
                radius_m: m,
            };
            assert_eq!(circle_text(&c), format!("1,2 {km}"));
        }
        for bad in ["1e3", "-1", "+1", "inf", "NaN", "1.2.3", ".", "", "1,5"] {
            assert_eq!(
                reason(parse_circle(&format!("41.8,-87.6 {bad}"))),
                "a CAP circle is lat,lon and a radius in km",
                "{bad}"
            );
        }
        // CAP's point-circle (radius 0) is not an area an alert can have.
        let xml = to_cap(&checkpoint(), SENDER)
            .unwrap()
            .replace(" 0.123456789</circle>", " 0</circle>");
        assert_eq!(
            reason(from_cap(&xml, "la-rrn")),
            "an alert circle is invalid"
        );
    }

    fn valid_xml() -> String {
        to_cap(&update(), SENDER).unwrap()
    }

    #[test]
    fn refuses_doctype_and_entities() {
        let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"#;
        assert_eq!(
            reason(from_cap(xxe, NET)),
            "a CAP document may not have a DOCTYPE or entities"
        );
        let lower = valid_xml().replacen("<alert", "<!doctype alert>\n<alert", 1);
        assert_eq!(
            reason(from_cap(&lower, NET)),
            "a CAP document may not have a DOCTYPE or entities"
        );
        let undefined = valid_xml().replacen("<headline>", "<headline>&nbsp;", 1);
        assert_eq!(
            reason(from_cap(&undefined, NET)),
            "a CAP document uses an undefined entity"
        );
        let nul = valid_xml().replacen("<headline>", "<headline>&#0;", 1);
        assert_eq!(reason(from_cap(&nul, NET)), NOT_XML.to_string());
        let ctl = valid_xml().replacen("<headline>", "<headline>&#x1;", 1);
        assert_eq!(reason(from_cap(&ctl, NET)), NOT_XML.to_string());
    }

    #[test]
    fn refuses_oversized_input_unread() {
        let mut xml = valid_xml();
        xml.push_str(&" ".repeat(MAX_CAP_BYTES));
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP document is larger than 256 KiB"
        );
        // Not even looked at: garbage of that size gets the same answer.
        assert_eq!(
            reason(from_cap(&"<".repeat(MAX_CAP_BYTES + 1), NET)),
            "a CAP document is larger than 256 KiB"
        );
    }

    #[test]
    fn refuses_missing_identifier() {
        let xml = valid_xml().replace("<identifier>pilsen-2026-0043</identifier>", "");
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP alert needs an identifier"
        );
        let xml = valid_xml().replace(
            "<identifier>pilsen-2026-0043</identifier>",
            "<identifier> </identifier>",
        );
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP alert needs an identifier"
        );
        let xml = valid_xml().replace(
            "<identifier>pilsen-2026-0043</identifier>",
            "<identifier>a</identifier><identifier>b</identifier>",
        );
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP element that may appear once appears twice"
        );
    }

    #[test]
    fn refuses_bad_dates() {
        for bad in [
            "2026-11-21T16:00:00",
            "2026-13-21T16:00:00+00:00",
            "2026-02-30T16:00:00+00:00",
            "2026-11-21 16:00",
            "yesterday",
            "2026-11-21T16:00:00+25:00",
        ] {
            let xml =
                valid_xml().replace("2026-11-21T16:00:00+00:00</sent>", &format!("{bad}</sent>"));
            assert_eq!(
                reason(from_cap(&xml, NET)),
                "a CAP time is a dateTime with a UTC offset",
                "{bad}"
            );
        }
        let xml = valid_xml().replace(
            "<expires>2026-11-21T22:00:00+00:00",
            "<expires>2026-11-21T12:00:00+00:00",
        );
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "an alert expires after it is sent, within 30 days"
        );
        let xml = valid_xml().replace("<expires>2026-11-21T22:00:00+00:00</expires>", "");
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP alert needs an expires time"
        );
        let xml = valid_xml().replacen("2026-11-21T22:00:00+00:00", "2026-11-21T23:00:00+00:00", 1);
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "CAP info blocks disagree on expires"
        );
    }

    #[test]
    fn refuses_invalid_coordinates() {
        let xml = valid_xml().replace("<circle>41.8576,-87.6565", "<circle>91.8576,-87.6565");
        assert_eq!(reason(from_cap(&xml, NET)), "an alert circle is invalid");
        let xml = valid_xml().replace("<circle>41.8576,-87.6565", "<circle>NaN,-87.6565");
        assert_eq!(reason(from_cap(&xml, NET)), "an alert circle is invalid");
        let xml = valid_xml().replace("<circle>41.8576,-87.6565", "<circle>north,west");
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP circle is lat,lon and a radius in km"
        );
        let xml = valid_xml().replace(" 1.5</circle>", " 600</circle>");
        assert_eq!(reason(from_cap(&xml, NET)), "an alert circle is invalid");
        let xml = valid_xml().replace("<polygon>41.858,-87.669", "<polygon>41.858,-187.669");
        assert_eq!(reason(from_cap(&xml, NET)), "an alert polygon is invalid");
        let xml = valid_xml().replace("<polygon>41.858,-87.669", "<polygon>41.858;-87.669");
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP polygon is a list of lat,lon pairs"
        );
        let many = (0..=MAX_POLYGON_VERTICES + 1)
            .map(|i| format!("{},1", i % 80))
            .collect::<Vec<_>>()
            .join(" ");
        let xml = valid_xml().replacen("<polygon>", &format!("<polygon>{many} "), 1);
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP polygon has too many points"
        );
    }

    #[test]
    fn refuses_what_is_not_a_public_actual_cap_alert() {
        let cases = [
            (
                "<status>Actual</status>",
                "<status>Exercise</status>",
                "only CAP alerts with status Actual are imported",
            ),
            ("<status>Actual</status>", "", "a CAP alert needs a status"),
            (
                "<scope>Public</scope>",
                "<scope>Private</scope>",
                "only public CAP alerts are imported",
            ),
            (
                "<msgType>Update</msgType>",
                "<msgType>Ack</msgType>",
                "CAP Ack and Error messages are not alerts",
            ),
            (
                "<msgType>Update</msgType>",
                "<msgType>Bulletin</msgType>",
                "a CAP msgType is Alert, Update or Cancel",
            ),
            (
                "<msgType>Update</msgType>",
                "<msgType>Alert</msgType>",
                "a new alert references nothing",
            ),
            ("cap:1.2", "cap:1.1", "not a CAP 1.2 alert"),
            (
                "<language>es</language>",
                "<language>en-GB</language>",
                "two CAP info blocks share a language",
            ),
            (
                "<language>es</language>",
                "<language>español</language>",
                "an alert language is a code like es",
            ),
            (
                "<event>raid</event>\n    <urgency>Immediate",
                "<event>patrol</event>\n    <urgency>Immediate",
                "CAP info blocks disagree on event, urgency, severity or certainty",
            ),
            (
                "<urgency>Immediate</urgency>",
                "<urgency>Now</urgency>",
                "a CAP urgency is Immediate, Expected, Future, Past or Unknown",
            ),
            (
                "<references>dispatch@rrn.example.org,pilsen-2026-0042,",
                "<references>pilsen-2026-0042,",
                "CAP references are sender,identifier,sent triples",
            ),
            (
                "<headline>ICE en la 18 y Blue Island</headline>",
                "<headline>  </headline>",
                "a CAP info block needs a headline",
            ),
            (
                "</alert>",
                "</alert><alert/>",
                "a CAP document has one root element",
            ),
            ("</alert>", "", "a CAP document is truncated"),
            (
                "<identifier>",
                "<x:identifier>",
                "a CAP document uses an undeclared namespace prefix",
            ),
            (
                "<identifier>",
                "<x:identifier xmlns:x=\"urn:x\">",
                "a CAP document is not well-formed XML",
            ),
            (
                "</info>",
                "</info><x:y/>",
                "a CAP document uses an undeclared namespace prefix",
            ),
        ];
        for (from, to, why) in cases {
            let xml = valid_xml().replacen(from, to, 1);
            assert_ne!(xml, valid_xml(), "{from}");
            assert_eq!(reason(from_cap(&xml, NET)), why, "{from} -> {to}");
        }
        assert_eq!(
            reason(from_cap("", NET)),
            "a CAP document has no alert element"
        );
        assert_eq!(reason(from_cap("<alert/>", NET)), "not a CAP 1.2 alert");
        assert_eq!(
            reason(from_cap(&valid_xml(), "bad network")),
            "alert and network ids are letters, digits and -_.:@"
        );
    }

    #[test]
    fn bounds_depth_and_count() {
        let deep = format!("{}{}", "<x>".repeat(40), "</x>".repeat(40));
        let xml =
            valid_xml()
                .replacen("<note>", "", 1)
                .replacen("</info>", &format!("{deep}</info>"), 1);
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP document is nested too deeply"
        );
        let wide = "<x/>".repeat(MAX_ELEMENTS);
        let xml = valid_xml().replacen("</info>", &format!("{wide}</info>"), 1);
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP document has too many elements"
        );
        let info = valid_xml();
        let start = info.find("<info>").unwrap();
        let end = info.find("</info>").unwrap() + "</info>".len();
        let block = &info[start..end];
        let many = (0..17)
            .map(|i| {
                block.replace(
                    "<language>en</language>",
                    &format!("<language>x{}</language>", char::from(b'a' + i)),
                )
            })
            .collect::<String>();
        let xml = info.replacen(block, &many, 1);
        assert_eq!(
            reason(from_cap(&xml, NET)),
            "a CAP alert has at most 16 info blocks"
        );
    }

    #[test]
    fn cap_reader_refuses_a_doctype() {
        let entity = valid_xml()
            .replacen("<alert", "<!DOCTYPE alert [<!ENTITY x \"y\">]>\n<alert", 1)
            .replacen("<headline>", "<headline>&x;", 1);
        let mut laughs =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE alert [\n<!ENTITY lol0 \"lol\">\n");
        for i in 1..10 {
            let prev = format!("&lol{};", i - 1);
            laughs.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", prev.repeat(10)));
        }
        laughs.push_str(&format!(
            "]>\n<alert xmlns=\"{CAP_NAMESPACE}\"><identifier>&lol9;</identifier></alert>"
        ));
        let empty = valid_xml().replacen("<alert", "<!DOCTYPE alert>\n<alert", 1);
        for doc in [&entity, &laughs, &empty] {
            assert_eq!(reason(from_cap(doc, NET)), DOCTYPE.to_string(), "{doc}");
            // The parser refuses it on its own, without the scan in front of it.
            assert_eq!(reason(parse_document(doc)), DOCTYPE.to_string(), "{doc}");
        }
    }

    #[test]
    fn cap_reader_refuses_a_million_nodes() {
        let started = std::time::Instant::now();
        let million = format!(
            "<alert xmlns=\"{CAP_NAMESPACE}\">{}</alert>",
            "<x/>".repeat(1_000_000)
        );
        assert_eq!(
            reason(from_cap(&million, NET)),
            "a CAP document is larger than 256 KiB"
        );
        // Past the byte limit the parser still stops at its node limit.
        assert_eq!(reason(parse_document(&million)), TOO_MANY_NODES.to_string());
        // And within it: an empty element and a line end are two nodes in five bytes.
        let dense =
            valid_xml().replacen("</info>", &format!("{}</info>", "<x/>\n".repeat(40_000)), 1);
        assert!(dense.len() <= MAX_CAP_BYTES);
        assert_eq!(reason(from_cap(&dense, NET)), TOO_MANY_NODES.to_string());
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn cap_reader_bounds_namespaces_and_attributes() {
        let nested: String = (0..MAX_NAMESPACE_DECLARATIONS + 1)
            .map(|i| format!("<p{i}:x xmlns:p{i}=\"urn:x\">"))
            .collect();
        let xml = valid_xml().replacen("</info>", &format!("{nested}</info>"), 1);
        assert_eq!(reason(from_cap(&xml, NET)), TOO_MANY_NAMESPACES.to_string());
        // One element with as many attributes as fit in the byte limit, which the parser would
        // check pairwise for duplicates.
        let mut attrs = String::new();
        let mut i = 0u32;
        while attrs.len() < MAX_CAP_BYTES - 4096 {
            attrs.push_str(&format!(" a{i:x} = '1'"));
            i += 1;
        }
        let xml = valid_xml().replacen("<area>", &format!("<area{attrs}>"), 1);
        assert!(xml.len() <= MAX_CAP_BYTES);
        assert_eq!(reason(from_cap(&xml, NET)), TOO_MANY_ATTRIBUTES.to_string());
        // Within the limit they are fine, and text with = in it is not mistaken for attributes.
        let xml = valid_xml()
            .replacen("<area>", "<area a='1' b = \"2\">", 1)
            .replacen(
                "</scope>",
                &format!("</scope><note>a=\"b\" {}</note>", "= ".repeat(2000)),
                1,
            );
        assert!(from_cap(&xml, NET).is_ok());
    }

    #[test]
    fn foreign_geocodes_and_unknown_events_are_tolerated() {
        let xml = valid_xml().replace(
            "<event>raid</event>",
            "<event>Law Enforcement Warning</event>",
        );
        assert_eq!(from_cap(&xml, NET).unwrap().category, Category::Information);
        let xml = valid_xml().replace("<event>raid</event>", "<event>Community Event</event>");
        assert_eq!(
            from_cap(&xml, NET).unwrap().category,
            Category::CommunityEvent
        );
        let xml = valid_xml().replace(
            "<certainty>Observed</certainty>",
            "<certainty>Unlikely</certainty>",
        );
        assert_eq!(
            from_cap(&xml, NET).unwrap().certainty,
            Certainty::Unverified
        );
        let xml = valid_xml().replace(
            "<certainty>Observed</certainty>",
            "<certainty>Very Likely</certainty>",
        );
        assert_eq!(from_cap(&xml, NET).unwrap().certainty, Certainty::Likely);
        // No language means CAP's default, en-US.
        let xml = to_cap(&checkpoint(), SENDER)
            .unwrap()
            .replace("<language>en</language>", "");
        assert!(from_cap(&xml, "la-rrn").unwrap().info.contains_key("en"));
    }

    /// Pieces of XML that make interesting damage when spliced into a document.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "<",
                ">",
                "/",
                "&",
                ";",
                "&amp;",
                "&#0;",
                "&#x110000;",
                "&#xD800;",
                "&#65;",
                "<![CDATA[",
                "]]>",
                "<!--",
                "-->",
                "<?pi x?>",
                "<!DOCTYPE",
                "<!ENTITY",
                "\"",
                "'",
                "=",
                "xmlns=\"urn:x\"",
                "xmlns:a=\"b\"",
                "<a:b>",
                "</a:b>",
                "<info>",
                "</info>",
                "<area>",
                "</area>",
                "<circle>",
                "</circle>",
                "<polygon>",
                "</polygon>",
                ",",
                " ",
                "\n",
                "\r\n",
                "\t",
                "-",
                ".",
                "e308",
                "NaN",
                "inf",
                "9999",
                "-0",
                "\u{FFFF}",
                "\u{FEFF}",
                "é",
                "\u{0}",
                "Z",
                "+14:00",
                "T",
                "<x/>",
                "</alert>",
                "<alert>",
            ])
            .prop_map(str::to_owned),
            ".{0,12}",
        ]
    }

    #[derive(Debug, Clone)]
    enum Mutation {
        Insert(usize, String),
        Delete(usize, usize),
        Replace(usize, String),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            (any::<usize>(), fragment()).prop_map(|(at, s)| Mutation::Insert(at, s)),
            (any::<usize>(), 0usize..64).prop_map(|(at, n)| Mutation::Delete(at, n)),
            (any::<usize>(), fragment()).prop_map(|(at, s)| Mutation::Replace(at, s)),
        ]
    }

    fn apply(doc: &str, mutations: &[Mutation]) -> String {
        let mut chars: Vec<char> = doc.chars().collect();
        for m in mutations {
            let len = chars.len().max(1);
            match m {
                Mutation::Insert(at, s) => {
                    let at = at % (len + 1);
                    let at = at.min(chars.len());
                    chars.splice(at..at, s.chars());
                }
                Mutation::Delete(at, n) => {
                    let at = (at % len).min(chars.len());
                    let end = (at + n).min(chars.len());
                    chars.drain(at..end);
                }
                Mutation::Replace(at, s) => {
                    let at = (at % len).min(chars.len());
                    let end = (at + 1).min(chars.len());
                    chars.splice(at..end, s.chars());
                }
            }
        }
        chars.into_iter().collect()
    }

    fn check_never_panics(xml: &str) {
        match from_cap(xml, NET) {
            Ok(a) => {
                a.validate().unwrap();
                // Whatever was accepted also goes back out.
                let again = from_cap(&to_cap(&a, SENDER).unwrap(), NET).unwrap();
                assert_eq!(again.id, a.id);
            }
            Err(e @ Error::Cap(_)) => {
                assert!(!e.to_string().is_empty());
            }
            Err(Error::Alert(_)) => {}
            Err(e) => panic!("unexpected error kind {e:?}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            check_never_panics(&s);
        }

        #[test]
        fn xmlish_strings_never_panic(s in "[<>/&;#!?\\[\\]a-zA-Z0-9 =\"':.,-]{0,200}") {
            check_never_panics(&s);
            check_never_panics(&format!("<alert xmlns=\"{CAP_NAMESPACE}\">{s}</alert>"));
        }

        #[test]
        fn mutated_cap_never_panics(
            which in 0usize..4,
            mutations in proptest::collection::vec(mutation(), 1..6),
        ) {
            let doc = match which {
                0 => valid_xml(),
                1 => to_cap(&cancel(), SENDER).unwrap(),
                2 => to_cap(&checkpoint(), SENDER).unwrap(),
                _ => PILSEN.to_owned(),
            };
            check_never_panics(&apply(&doc, &mutations));
        }

        #[test]
        fn radius_round_trips_exactly(radius_m in 1e-9f64..=500_000.0, lat in -90f64..=90.0, lon in -180f64..=180.0) {
            let c = Circle { center: p(lat, lon), radius_m };
            prop_assert_eq!(parse_circle(&circle_text(&c)).unwrap(), c);
        }

        #[test]
        fn whole_alerts_round_trip(
            secs in 0i64..4_000_000_000,
            life in 1i64..(30 * 24 * 3600),
            radius_m in 0.001f64..=500_000.0,
            lat in -89f64..=89.0,
            lon in -179f64..=179.0,
        ) {
            let mut a = update();
            a.sent = Utc.timestamp_opt(secs, 0).unwrap();
            a.expires = a.sent + Duration::seconds(life);
            a.area.circles[1] = Circle { center: p(lat, lon), radius_m };
            let back = from_cap(&to_cap(&a, SENDER).unwrap(), NET).unwrap();
            prop_assert_eq!(back, a);
        }
    }
}
