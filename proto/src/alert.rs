//! Alerts, modelled on CAP 1.2: what a network's dispatchers sign, and the rules a payload must meet.
//!
//! An alert travels in the signed envelope (kind [`ALERT_KIND`]) whose signatures are verified over
//! the exact payload bytes before the payload is parsed. This module describes and validates the
//! payload and checks an envelope against every rule that needs no inbox state
//! ([`verify_alert_envelope`], used by devices and hubs alike); duplicates, conflicts and chains
//! are the inbox's. Its errors never quote alert text.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, SigningKey};
use crate::envelope::{self, Envelope};
use crate::error::{DocKind, Error, Result};
use crate::geo::{Circle, Point, Polygon, validate_circle, validate_polygon};
use crate::network::{AlertPolicy, NetworkProfile};

pub use crate::error::AlertError;

pub const ALERT_KIND: &str = "silbato.alert";
/// Payloads larger than this are refused unread.
pub const MAX_ALERT_PAYLOAD: usize = 16 * 1024;
/// The whole envelope: the base64 payload plus up to 16 signatures.
pub const MAX_ALERT_ENVELOPE: usize = 32 * 1024;
/// How far in the future `sent` may be, for clocks that run fast.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);
pub const MAX_LIFETIME: Duration = Duration::days(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgType {
    Alert,
    /// Supersedes the alerts it references.
    Update,
    /// Retracts the alerts it references; shown as an all-clear.
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Raid,
    Checkpoint,
    Patrol,
    Detention,
    AllClear,
    CommunityEvent,
    Information,
}

/// CAP severity, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Extreme,
    Severe,
    Moderate,
    Minor,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Immediate,
    Expected,
    Future,
    Past,
    Unknown,
}

/// How sure the network is. The network's policy says how many dispatchers must sign each level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    Observed,
    Likely,
    Possible,
    Unverified,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub circles: Vec<Circle>,
    /// Each polygon is one outer ring of points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub polygons: Vec<Vec<Point>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertText {
    pub headline: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub format: u32,
    pub id: String,
    pub network: String,
    pub msg_type: MsgType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    pub category: Category,
    pub severity: Severity,
    pub urgency: Urgency,
    pub certainty: Certainty,
    pub sent: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    pub area: Area,
    /// Text per language code: headline, description and instruction in each language. A
    /// payload that names one language twice is refused when parsed (JSON would keep the last).
    #[serde(deserialize_with = "unique_languages")]
    pub info: BTreeMap<String, AlertText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotline: Option<String>,
    /// The language the alert was written in (CAP: its first `<info>`), one of `info`'s keys;
    /// the others are translations, and a field a translation lacks is shown from this one.
    /// Absent in alerts signed before it existed: then English if present, else the first code
    /// ([`Alert::own_lang`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// `info` as a map that refuses a language named twice, instead of silently keeping the last.
fn unique_languages<'de, D>(d: D) -> std::result::Result<BTreeMap<String, AlertText>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = BTreeMap<String, AlertText>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of language codes to alert text")
        }
        fn visit_map<A>(self, mut map: A) -> std::result::Result<Self::Value, A::Error>
        where
            A: serde::de::MapAccess<'de>,
        {
            let mut out = BTreeMap::new();
            while let Some((lang, text)) = map.next_entry::<String, AlertText>()? {
                if out.insert(lang, text).is_some() {
                    return Err(serde::de::Error::custom("a language appears twice"));
                }
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

/// A new alert as a dispatcher's tool writes it (`silbato alert new`): format 1, a random id
/// unless one is given, sent `now`, expiring after a lifetime, region codes in upper case, and
/// every rule of [`Alert::validate`] checked by [`AlertDraft::build`] before anyone signs it.
#[derive(Debug, Clone)]
pub struct AlertDraft {
    alert: Alert,
}

impl AlertDraft {
    /// An alert of `msg_type` for `network`, sent `now` and expiring `lifetime` later, with
    /// nothing yet to say: add text and an area. Fails only if the expiry is out of range or the
    /// system's random number generator does.
    pub fn new(
        network: &str,
        msg_type: MsgType,
        classes: (Category, Severity, Urgency, Certainty),
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Result<Self> {
        let (category, severity, urgency, certainty) = classes;
        let expires = now.checked_add_signed(lifetime).ok_or(AlertError::Expiry)?;
        Ok(AlertDraft {
            alert: Alert {
                format: 1,
                id: format!("a-{}", crate::crypto::random_id()?),
                network: network.to_owned(),
                msg_type,
                references: Vec::new(),
                category,
                severity,
                urgency,
                certainty,
                sent: now,
                expires,
                area: Area::default(),
                info: BTreeMap::new(),
                hotline: None,
                lang: None,
            },
        })
    }

    pub fn id(mut self, id: &str) -> Self {
        id.clone_into(&mut self.alert.id);
        self
    }

    /// What an update or a cancel replaces.
    pub fn references(mut self, ids: &[String]) -> Self {
        self.alert.references = ids.to_vec();
        self
    }

    /// The text in `lang`; the first language given is the alert's own ([`Alert::lang`]), the
    /// others its translations.
    pub fn text(mut self, lang: &str, text: AlertText) -> Self {
        if self.alert.lang.is_none() {
            self.alert.lang = Some(lang.to_owned());
        }
        self.alert.info.insert(lang.to_owned(), text);
        self
    }

    pub fn circle(mut self, circle: Circle) -> Self {
        self.alert.area.circles.push(circle);
        self
    }

    pub fn polygon(mut self, ring: Vec<Point>) -> Self {
        self.alert.area.polygons.push(ring);
        self
    }

    pub fn region(mut self, code: &str) -> Self {
        self.alert.area.regions.push(code.to_ascii_uppercase());
        self
    }

    pub fn hotline(mut self, number: Option<&str>) -> Self {
        self.alert.hotline = number.map(str::to_owned);
        self
    }

    /// The alert, if it meets every rule; unsigned (see [`sign_alert`] and [`cosign`]).
    pub fn build(self) -> Result<Alert> {
        self.alert.validate()?;
        Ok(self.alert)
    }
}

fn invalid(e: AlertError) -> Error {
    e.into()
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@".contains(&b))
}

fn text_ok(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(|c| c.is_control() && c != '\n')
}

impl Alert {
    pub fn validate(&self) -> Result<()> {
        if self.format != 1 {
            return Err(Error::UnsupportedFormat {
                what: crate::DocKind::Envelope,
                found: self.format,
            });
        }
        if !valid_id(&self.id) || !valid_id(&self.network) {
            return Err(invalid(AlertError::Id));
        }
        if self.references.len() > 16 || !self.references.iter().all(|r| valid_id(r)) {
            return Err(invalid(AlertError::References));
        }
        if self.references.contains(&self.id) {
            return Err(invalid(AlertError::SelfReference));
        }
        match (self.msg_type, self.references.is_empty()) {
            (MsgType::Update | MsgType::Cancel, true) => {
                return Err(invalid(AlertError::MissingReference));
            }
            // Only updates and cancels replace anything; an alert's references would hide others.
            (MsgType::Alert, false) => return Err(invalid(AlertError::UnexpectedReference)),
            _ => {}
        }
        if self.expires <= self.sent || self.expires - self.sent > MAX_LIFETIME {
            return Err(invalid(AlertError::Expiry));
        }
        let a = &self.area;
        if a.circles.is_empty() && a.polygons.is_empty() && a.regions.is_empty() {
            return Err(invalid(AlertError::NoArea));
        }
        if a.circles.len() > 32 || a.polygons.len() > 16 || a.regions.len() > 32 {
            return Err(invalid(AlertError::AreaTooLarge));
        }
        for c in &a.circles {
            validate_circle(c).map_err(|_| invalid(AlertError::Circle))?;
        }
        for ring in &a.polygons {
            validate_polygon(&Polygon { ring: ring.clone() })
                .map_err(|_| invalid(AlertError::Polygon))?;
        }
        if !a.regions.iter().all(|r| {
            !r.is_empty()
                && r.len() <= 32
                && r.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        }) {
            return Err(invalid(AlertError::RegionCode));
        }
        if self.info.is_empty() || self.info.len() > 16 {
            return Err(invalid(AlertError::Languages));
        }
        for (lang, t) in &self.info {
            if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(invalid(AlertError::Language));
            }
            if t.headline.trim().is_empty() || !text_ok(&t.headline, 160) {
                return Err(invalid(AlertError::Headline));
            }
            if !t.description.as_deref().is_none_or(|d| text_ok(d, 4000))
                || !t.instruction.as_deref().is_none_or(|d| text_ok(d, 1000))
            {
                return Err(invalid(AlertError::TextTooLong));
            }
        }
        if !self
            .lang
            .as_deref()
            .is_none_or(|l| self.info.contains_key(l))
        {
            return Err(invalid(AlertError::Language));
        }
        if !self.hotline.as_deref().is_none_or(|h| text_ok(h, 32)) {
            return Err(invalid(AlertError::Hotline));
        }
        Ok(())
    }

    /// The alert's own language: [`Alert::lang`], else (alerts signed before it existed)
    /// English if present, else the first code.
    pub fn own_lang(&self) -> Option<&str> {
        self.lang
            .as_deref()
            .filter(|l| self.info.contains_key(*l))
            .or_else(|| self.info.get_key_value("en").map(|(k, _)| k.as_str()))
            .or_else(|| self.info.keys().next().map(String::as_str))
    }

    /// The translation for a reader of `lang` (a tag such as `es`, `es-MX` or `es_US.UTF-8`;
    /// compared by its primary subtag, case-insensitively), else the alert's own language.
    pub fn text(&self, lang: &str) -> Option<(&str, &AlertText)> {
        let primary = lang
            .split(['-', '_', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        self.info
            .get_key_value(lang)
            .or_else(|| self.info.get_key_value(primary.as_str()))
            .or_else(|| self.own_lang().and_then(|l| self.info.get_key_value(l)))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// What a reader of `lang` is shown: the translation [`Alert::text`] picks, each field it
    /// lacks (description, instruction) taken from the alert's own language, so a translation
    /// that carries only a headline still shows what to do. Returns the headline's language.
    pub fn localized(&self, lang: &str) -> Option<(&str, AlertText)> {
        let (code, text) = self.text(lang)?;
        let own = self.own_lang().and_then(|l| self.info.get(l));
        let mut text = text.clone();
        if let Some(own) = own {
            if text.description.is_none() {
                text.description.clone_from(&own.description);
            }
            if text.instruction.is_none() {
                text.instruction.clone_from(&own.instruction);
            }
        }
        Some((code, text))
    }
}

/// Validates and signs an alert with every key given (dispatchers of a two-person rule may also
/// sign one after the other with `envelope::add_signature`). The same key twice is refused
/// ([`AlertError::DuplicateSigner`]): it would count once, and a tool must not let a dispatcher
/// believe a second person signed.
pub fn sign_alert(alert: &Alert, keys: &[&SigningKey]) -> Result<Vec<u8>> {
    alert.validate()?;
    let mut seen = std::collections::BTreeSet::new();
    if !keys.iter().all(|k| seen.insert(k.public_key())) {
        return Err(invalid(AlertError::DuplicateSigner));
    }
    let payload = serde_json::to_vec(alert).map_err(|_| Error::Encode)?;
    if payload.len() > MAX_ALERT_PAYLOAD {
        return Err(Error::TooLarge {
            what: crate::DocKind::Envelope,
            limit: MAX_ALERT_PAYLOAD,
        });
    }
    envelope::seal(ALERT_KIND, &payload, keys)
}

/// An alert file after [`cosign`]: what it says, its new bytes, and how many signatures it carries.
#[derive(Debug, Clone)]
pub struct Cosigned {
    pub alert: Alert,
    pub envelope: Vec<u8>,
    pub signatures: usize,
    /// The distinct keys whose signatures are on it now (each verified).
    pub signers: Vec<PublicKey>,
    /// The key had already signed: nothing was added, `envelope` is the input unchanged.
    pub already_signed: bool,
}

/// Adds `key`'s signature to an alert file, after checking what it says: a signed alert must have
/// every signature already on it verify over its exact payload, and a valid payload; an unsigned
/// alert (the JSON an organizer's tool or `alert from-cap` writes) gets its first signature. A key
/// that already signed adds nothing. The organizer's tools and any dispatcher console use this one
/// rule, so the second person of a two-person rule never signs bytes that were changed.
pub fn cosign(bytes: &[u8], key: &SigningKey) -> Result<Cosigned> {
    match Envelope::parse(bytes, DocKind::Envelope, ALERT_KIND, MAX_ALERT_ENVELOPE) {
        Ok(env) => {
            env.verify_self_consistent(DocKind::Envelope)?;
            let alert: Alert = serde_json::from_slice(&env.payload)
                .map_err(|e| Error::from_json(DocKind::Envelope, &e))?;
            alert.validate()?;
            let already_signed = env.signatures.iter().any(|(k, _)| *k == key.public_key());
            let envelope = envelope::add_signature(
                bytes,
                DocKind::Envelope,
                ALERT_KIND,
                MAX_ALERT_ENVELOPE,
                key,
            )?;
            let signed =
                Envelope::parse(&envelope, DocKind::Envelope, ALERT_KIND, MAX_ALERT_ENVELOPE)?;
            let mut signers: Vec<PublicKey> = Vec::new();
            for (k, _) in &signed.signatures {
                if !signers.contains(k) {
                    signers.push(*k);
                }
            }
            Ok(Cosigned {
                alert,
                envelope,
                signatures: signed.signatures.len(),
                signers,
                already_signed,
            })
        }
        Err(_) => {
            let alert: Alert = serde_json::from_slice(bytes)
                .map_err(|e| Error::from_json(DocKind::Envelope, &e))?;
            let envelope = sign_alert(&alert, &[key])?;
            Ok(Cosigned {
                alert,
                envelope,
                signatures: 1,
                signers: vec![key.public_key()],
                already_signed: false,
            })
        }
    }
}

/// Why an alert was not accepted. Each rule has its own outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Rejection {
    /// The payload is over 16 KiB (refused unread) or the envelope is too large.
    TooLarge,
    /// Not a signed alert envelope, or a payload that is not a valid alert.
    Malformed,
    /// No installed network has a dispatcher key that signed it.
    UnknownKey,
    /// Signed by a network's dispatchers, but the payload names another network.
    UnknownNetwork,
    /// A signature by a dispatcher key does not verify: the bytes were changed.
    BadSignature,
    /// A signing key was outside its validity window when the alert was sent.
    KeyOutsideValidity,
    /// Fewer distinct dispatcher signatures than the network's policy demands for this certainty.
    NotEnoughSignatures {
        have: u8,
        need: u8,
    },
    Expired,
    /// Sent more than 5 minutes in the future.
    FromTheFuture,
    /// The same id was already received with different contents.
    Conflict,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::TooLarge => f.write_str("it is too large"),
            Rejection::Malformed => f.write_str("it is not a valid signed alert"),
            Rejection::UnknownKey => f.write_str("no confirmed network's dispatcher signed it"),
            Rejection::UnknownNetwork => {
                f.write_str("it names a network its signers do not belong to")
            }
            Rejection::BadSignature => f.write_str("a signature does not verify; it was changed"),
            Rejection::KeyOutsideValidity => {
                f.write_str("a signing key was outside its validity window")
            }
            Rejection::NotEnoughSignatures { have, need } => {
                write!(
                    f,
                    "it has {have} dispatcher signature(s); the network requires {need}"
                )
            }
            Rejection::Expired => f.write_str("it has expired"),
            Rejection::FromTheFuture => f.write_str("it claims to be sent in the future"),
            Rejection::Conflict => {
                f.write_str("an alert with this id but different contents is already here")
            }
        }
    }
}

/// An alert that passed every rule that needs no inbox state.
#[derive(Debug, Clone)]
pub struct VerifiedAlert {
    pub alert: Alert,
    /// The exact payload bytes the signatures cover.
    pub payload: Vec<u8>,
    /// Distinct dispatcher keys whose signatures verified and were valid.
    pub signers: Vec<PublicKey>,
}

/// How many distinct dispatchers must sign `alert`. Replacing or retracting anything (an update
/// or a cancel) needs the strictest level of the policy, so one dispatcher cannot undo what two
/// confirmed, whatever certainty the update claims.
pub fn required_signatures(p: &AlertPolicy, alert: &Alert) -> u8 {
    let own = match alert.certainty {
        Certainty::Observed => p.observed,
        Certainty::Likely => p.likely,
        Certainty::Possible => p.possible,
        Certainty::Unverified => p.unverified,
    };
    if alert.references.is_empty() {
        own
    } else {
        own.max(p.observed)
            .max(p.likely)
            .max(p.possible)
            .max(p.unverified)
    }
}

/// Whether the signatures on an alert meet its network's policy for the alert's certainty (an
/// update or cancel needs the strictest level): what a dispatcher's tool prints after signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PolicyStatus {
    /// Distinct signers that are dispatchers of the network, inside their validity window when
    /// the alert says it was sent.
    pub have: u8,
    pub need: u8,
    pub certainty: Certainty,
    pub met: bool,
}

impl std::fmt::Display for PolicyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let certainty = match self.certainty {
            Certainty::Observed => "observed",
            Certainty::Likely => "likely",
            Certainty::Possible => "possible",
            Certainty::Unverified => "unverified",
        };
        write!(
            f,
            "{} of {} signatures required for {certainty}: policy {}",
            self.have,
            self.need,
            if self.met { "met" } else { "not met" }
        )
    }
}

/// Counts the distinct `signers` that are `profile`'s dispatchers (valid when the alert was
/// sent) against what its policy needs for `alert`.
pub fn policy_status(
    profile: &NetworkProfile,
    alert: &Alert,
    signers: &[PublicKey],
) -> PolicyStatus {
    let mut counted: Vec<&PublicKey> = Vec::new();
    for k in signers {
        let valid = profile
            .dispatcher(k)
            .is_some_and(|d| d.valid_from <= alert.sent && alert.sent < d.valid_until);
        if valid && !counted.contains(&k) {
            counted.push(k);
        }
    }
    let have = u8::try_from(counted.len()).unwrap_or(u8::MAX);
    let need = required_signatures(&profile.alert_policy, alert);
    PolicyStatus {
        have,
        need,
        certainty: alert.certainty,
        met: have >= need,
    }
}

/// Checks an envelope against every rule that needs no inbox state (duplicates and conflicts are
/// the caller's), for the networks in `profiles`: signatures first, over the exact bytes; the
/// payload is parsed only after they verify. A hub uses this too, with its own network's profile.
pub fn verify_alert_envelope(
    profiles: &[NetworkProfile],
    bytes: &[u8],
    now: DateTime<Utc>,
) -> std::result::Result<VerifiedAlert, Rejection> {
    verify_envelope(profiles, bytes, now, false)
}

/// [`verify_alert_envelope`], except that an update or cancel whose own expiry has passed is
/// still accepted: what it retracts or replaces must never come back as active on a device that
/// sees it late (the hub keeps serving it while anything it refers to is in force). A plain
/// alert that has expired is still [`Rejection::Expired`].
pub fn verify_alert_envelope_keeping_retractions(
    profiles: &[NetworkProfile],
    bytes: &[u8],
    now: DateTime<Utc>,
) -> std::result::Result<VerifiedAlert, Rejection> {
    verify_envelope(profiles, bytes, now, true)
}

fn verify_envelope(
    profiles: &[NetworkProfile],
    bytes: &[u8],
    now: DateTime<Utc>,
    keep_expired_retractions: bool,
) -> std::result::Result<VerifiedAlert, Rejection> {
    if bytes.len() > MAX_ALERT_ENVELOPE {
        return Err(Rejection::TooLarge);
    }
    let env = match Envelope::parse(bytes, DocKind::Envelope, ALERT_KIND, MAX_ALERT_ENVELOPE) {
        Ok(e) => e,
        Err(Error::TooLarge { .. }) => return Err(Rejection::TooLarge),
        Err(Error::UntrustedKey { .. }) => return Err(Rejection::UnknownKey),
        Err(Error::BadSignature { .. }) => return Err(Rejection::BadSignature),
        Err(_) => return Err(Rejection::Malformed),
    };
    if env.payload.len() > MAX_ALERT_PAYLOAD {
        return Err(Rejection::TooLarge);
    }
    // Every network with a dispatcher among the signers is tried: a profile that merely lists
    // another network's key must not shadow the real one.
    let candidates: Vec<&NetworkProfile> = profiles
        .iter()
        .filter(|p| {
            env.signatures
                .iter()
                .any(|(k, _)| p.dispatcher(k).is_some())
        })
        .collect();
    if candidates.is_empty() {
        return Err(Rejection::UnknownKey);
    }
    let mut outcome = Rejection::BadSignature;
    let mut chosen = None;
    for net in candidates {
        let Ok(signers) = env.verify(DocKind::Envelope, |k| net.dispatcher(k).is_some()) else {
            continue;
        };
        let Ok(alert) = serde_json::from_slice::<Alert>(&env.payload) else {
            return Err(Rejection::Malformed);
        };
        if alert.validate().is_err() {
            return Err(Rejection::Malformed);
        }
        if alert.network == net.network_id {
            chosen = Some((net, signers, alert));
            break;
        }
        outcome = Rejection::UnknownNetwork;
    }
    let Some((net, signers, alert)) = chosen else {
        return Err(outcome);
    };
    if alert.sent > now + MAX_CLOCK_SKEW {
        return Err(Rejection::FromTheFuture);
    }
    let kept_retraction = keep_expired_retractions && !alert.references.is_empty();
    if alert.expires <= now && !kept_retraction {
        return Err(Rejection::Expired);
    }
    // A key counts only inside its window, both when the alert says it was sent and now: an
    // expired key cannot sign a backdated alert.
    let in_window: Vec<PublicKey> = signers
        .iter()
        .filter(|k| {
            net.dispatcher(k).is_some_and(|d| {
                d.valid_from <= alert.sent
                    && alert.sent < d.valid_until
                    && d.valid_from <= now + MAX_CLOCK_SKEW
                    && now < d.valid_until
            })
        })
        .copied()
        .collect();
    let need = required_signatures(&net.alert_policy, &alert);
    let have = u8::try_from(in_window.len()).unwrap_or(u8::MAX);
    if have < need {
        return Err(if in_window.len() < signers.len() {
            Rejection::KeyOutsideValidity
        } else {
            Rejection::NotEnoughSignatures { have, need }
        });
    }
    Ok(VerifiedAlert {
        alert,
        payload: env.payload,
        signers: in_window,
    })
}
