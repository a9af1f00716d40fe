//! Alerts, modelled on CAP 1.2: what a network's dispatchers sign, and the rules a payload must meet.
//!
//! An alert travels in the signed envelope (kind [`ALERT_KIND`]) whose signatures are verified over
//! the exact payload bytes before the payload is parsed (see `inbox::ingest`). This module only
//! describes and validates the payload; its errors never quote alert text.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::SigningKey;
use crate::envelope;
use crate::error::{Error, Result};
use crate::inbox::geo::{Circle, Point, Polygon, validate_circle, validate_polygon};

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
    /// Text per language code.
    pub info: BTreeMap<String, AlertText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotline: Option<String>,
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidInput { reason }
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
            return Err(invalid(
                "alert and network ids are letters, digits and -_.:@",
            ));
        }
        if self.references.len() > 16 || !self.references.iter().all(|r| valid_id(r)) {
            return Err(invalid("an alert has up to 16 well-formed references"));
        }
        if self.references.contains(&self.id) {
            return Err(invalid("an alert cannot reference itself"));
        }
        match (self.msg_type, self.references.is_empty()) {
            (MsgType::Update | MsgType::Cancel, true) => {
                return Err(invalid("an update or cancel references what it replaces"));
            }
            // Only updates and cancels replace anything; an alert's references would hide others.
            (MsgType::Alert, false) => return Err(invalid("a new alert references nothing")),
            _ => {}
        }
        if self.expires <= self.sent || self.expires - self.sent > MAX_LIFETIME {
            return Err(invalid("an alert expires after it is sent, within 30 days"));
        }
        let a = &self.area;
        if a.circles.is_empty() && a.polygons.is_empty() && a.regions.is_empty() {
            return Err(invalid("an alert has an area"));
        }
        if a.circles.len() > 32 || a.polygons.len() > 16 || a.regions.len() > 32 {
            return Err(invalid("an alert's area has too many parts"));
        }
        for c in &a.circles {
            validate_circle(c).map_err(|_| invalid("an alert circle is invalid"))?;
        }
        for ring in &a.polygons {
            validate_polygon(&Polygon { ring: ring.clone() })
                .map_err(|_| invalid("an alert polygon is invalid"))?;
        }
        if !a.regions.iter().all(|r| {
            !r.is_empty()
                && r.len() <= 32
                && r.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        }) {
            return Err(invalid("a region code looks like US-IL-CHI"));
        }
        if self.info.is_empty() || self.info.len() > 16 {
            return Err(invalid("an alert has text in 1 to 16 languages"));
        }
        for (lang, t) in &self.info {
            if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(invalid("an alert language is a code like es"));
            }
            if t.headline.trim().is_empty() || !text_ok(&t.headline, 160) {
                return Err(invalid("a headline is 1 to 160 characters"));
            }
            if !t.description.as_deref().is_none_or(|d| text_ok(d, 4000))
                || !t.instruction.as_deref().is_none_or(|d| text_ok(d, 1000))
            {
                return Err(invalid("an alert's description or instruction is too long"));
            }
        }
        if !self.hotline.as_deref().is_none_or(|h| text_ok(h, 32)) {
            return Err(invalid("a hotline number is too long"));
        }
        Ok(())
    }

    /// The text in `lang`, else English, else the first language.
    pub fn text(&self, lang: &str) -> Option<(&str, &AlertText)> {
        self.info
            .get_key_value(lang)
            .or_else(|| self.info.get_key_value("en"))
            .or_else(|| self.info.iter().next())
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// Validates and signs an alert with every key given (dispatchers of a two-person rule may also
/// sign one after the other with `envelope::add_signature`).
pub fn sign_alert(alert: &Alert, keys: &[&SigningKey]) -> Result<Vec<u8>> {
    alert.validate()?;
    let payload = serde_json::to_vec(alert).map_err(|_| Error::Crypto)?;
    if payload.len() > MAX_ALERT_PAYLOAD {
        return Err(Error::TooLarge {
            what: crate::DocKind::Envelope,
            limit: MAX_ALERT_PAYLOAD,
        });
    }
    envelope::seal(ALERT_KIND, &payload, keys)
}
