//! What a patroller records about one sighting, and the rules every field must meet.
//!
//! Validation errors name the field and the rule, never the value: the value is the patroller's
//! observation and must not reach a log or an error string.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use crate::error::SightingError;

/// How far in the future an observed time may be, for phones whose clocks run fast.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);
pub const MAX_NOTES: usize = 10_000;
pub const MAX_SHORT_TEXT: usize = 500;
pub const MAX_VEHICLES: usize = 50;
pub const MAX_BADGES: usize = 50;
pub const MAX_ATTACHMENTS: usize = 20;
pub const MAX_COUNT: u32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    Arrest,
    Raid,
    Checkpoint,
    Patrol,
    Staging,
    Surveillance,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agency {
    Ice,
    /// CBP, including Border Patrol.
    Cbp,
    Hsi,
    LocalPolice,
    Unknown,
    Other,
}

/// How sure the patroller is of what they saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Seen first-hand.
    Observed,
    Likely,
    Unconfirmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    /// Radius of uncertainty in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// As typed; matched against the watch-list in normalised form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate_state: Option<String>,
}

/// A photo kept with a record: stored encrypted in the vault, metadata stripped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRef {
    pub id: String,
    /// SHA-256 of the stored (stripped) image, hex.
    pub sha256: String,
    pub media_type: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sighting {
    pub observed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Where, in words ("Home Depot parking lot, 47th St").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    pub activity: Activity,
    pub agency: Agency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vehicles: Vec<Vehicle>,
    /// Uniforms and equipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniforms: Option<String>,
    /// Badge numbers or names seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub badges: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_detained: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRef>,
    pub confidence: Confidence,
}

fn invalid(e: SightingError) -> Error {
    e.into()
}

fn text(value: Option<&String>, max: usize, reason: SightingError) -> Result<()> {
    match value {
        Some(v)
            if v.chars().count() > max
                || v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') =>
        {
            Err(invalid(reason))
        }
        _ => Ok(()),
    }
}

impl Sighting {
    /// A sighting observed now with nothing else known yet.
    pub fn new(
        observed_at: DateTime<Utc>,
        activity: Activity,
        agency: Agency,
        confidence: Confidence,
    ) -> Self {
        Sighting {
            observed_at,
            location: None,
            place: None,
            activity,
            agency,
            officer_count: None,
            vehicles: Vec::new(),
            uniforms: None,
            badges: Vec::new(),
            people_detained: None,
            notes: None,
            attachments: Vec::new(),
            confidence,
        }
    }

    /// Checks every field against `now`.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        if self.observed_at > now + CLOCK_SKEW {
            return Err(invalid(SightingError::FutureTime));
        }
        let earliest = Utc
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        if self.observed_at < earliest {
            return Err(invalid(SightingError::BeforeYear2000));
        }
        if let Some(loc) = &self.location {
            if !loc.lat.is_finite() || !(-90.0..=90.0).contains(&loc.lat) {
                return Err(invalid(SightingError::Latitude));
            }
            if !loc.lon.is_finite() || !(-180.0..=180.0).contains(&loc.lon) {
                return Err(invalid(SightingError::Longitude));
            }
            if loc
                .accuracy_m
                .is_some_and(|a| !a.is_finite() || !(0.0..=100_000.0).contains(&a))
            {
                return Err(invalid(SightingError::Accuracy));
            }
        }
        text(self.place.as_ref(), MAX_SHORT_TEXT, SightingError::Place)?;
        text(
            self.uniforms.as_ref(),
            MAX_SHORT_TEXT,
            SightingError::Uniforms,
        )?;
        text(self.notes.as_ref(), MAX_NOTES, SightingError::Notes)?;
        if self.officer_count.is_some_and(|n| n > MAX_COUNT)
            || self.people_detained.is_some_and(|n| n > MAX_COUNT)
        {
            return Err(invalid(SightingError::CountTooLarge));
        }
        if self.vehicles.len() > MAX_VEHICLES {
            return Err(invalid(SightingError::TooManyVehicles));
        }
        for v in &self.vehicles {
            text(
                v.description.as_ref(),
                MAX_SHORT_TEXT,
                SightingError::VehicleDescription,
            )?;
            if let Some(p) = &v.plate {
                crate::plates::normalize(p).map_err(|_| invalid(SightingError::Plate))?;
            }
            if let Some(s) = &v.plate_state
                && !((2..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphabetic()))
            {
                return Err(invalid(SightingError::PlateState));
            }
        }
        if self.badges.len() > MAX_BADGES {
            return Err(invalid(SightingError::TooManyBadges));
        }
        for b in &self.badges {
            text(Some(b), 100, SightingError::Badge)?;
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(invalid(SightingError::TooManyAttachments));
        }
        Ok(())
    }
}

/// One field an amendment changed: its name (as in the record's JSON) and its value before and
/// after (`null` when absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}

/// Every field of a record, in the order a record is shown.
pub const FIELDS: &[&str] = &[
    "observed_at",
    "location",
    "place",
    "activity",
    "agency",
    "officer_count",
    "vehicles",
    "uniforms",
    "badges",
    "people_detained",
    "notes",
    "attachments",
    "confidence",
];

/// What changed between two versions of a record, field by field, in [`FIELDS`] order. Empty
/// when they are the same.
pub fn changes(old: &Sighting, new: &Sighting) -> Vec<FieldChange> {
    let as_map = |s: &Sighting| match serde_json::to_value(s) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let (a, b) = (as_map(old), as_map(new));
    FIELDS
        .iter()
        .filter_map(|field| {
            let before = a.get(*field).cloned().unwrap_or(serde_json::Value::Null);
            let after = b.get(*field).cloned().unwrap_or(serde_json::Value::Null);
            (before != after).then_some(FieldChange {
                field,
                old: before,
                new: after,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Sighting {
        Sighting::new(
            Utc::now(),
            Activity::Raid,
            Agency::Ice,
            Confidence::Observed,
        )
    }

    #[test]
    fn rules() {
        let now = Utc::now();
        assert!(base().validate(now).is_ok());
        let mut s = base();
        s.observed_at = now + Duration::minutes(10);
        assert!(s.validate(now).is_err());
        s.observed_at = now + Duration::minutes(4);
        assert!(s.validate(now).is_ok(), "within clock skew");
        for (lat, lon) in [
            (91.0, 0.0),
            (0.0, 181.0),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
        ] {
            let mut s = base();
            s.location = Some(Location {
                lat,
                lon,
                accuracy_m: None,
            });
            assert!(s.validate(now).is_err());
        }
        let mut s = base();
        s.notes = Some("x".repeat(MAX_NOTES + 1));
        assert!(s.validate(now).is_err());
        let mut s = base();
        s.vehicles.push(Vehicle {
            plate: Some("not a plate!!".into()),
            ..Vehicle::default()
        });
        assert!(s.validate(now).is_err());
    }

    #[test]
    fn errors_never_quote_the_value() {
        let mut s = base();
        s.place = Some(format!("SECRET-PLACE{}", "x".repeat(600)));
        let msg = s.validate(Utc::now()).unwrap_err().to_string();
        assert!(!msg.contains("SECRET"));
    }

    #[test]
    fn fields_names_every_field_of_a_record() {
        let mut s = base();
        s.location = Some(Location {
            lat: 1.0,
            lon: 2.0,
            accuracy_m: None,
        });
        s.place = Some("p".into());
        s.officer_count = Some(1);
        s.vehicles.push(Vehicle::default());
        s.uniforms = Some("u".into());
        s.badges.push("b".into());
        s.people_detained = Some(1);
        s.notes = Some("n".into());
        s.attachments.push(AttachmentRef {
            id: "a".into(),
            sha256: "h".into(),
            media_type: "image/png".into(),
            bytes: 1,
        });
        let serde_json::Value::Object(m) = serde_json::to_value(&s).unwrap() else {
            panic!("a record is an object");
        };
        let mut keys: Vec<&str> = m.keys().map(String::as_str).collect();
        let mut fields = FIELDS.to_vec();
        keys.sort_unstable();
        fields.sort_unstable();
        assert_eq!(keys, fields);
    }

    #[test]
    fn changes_name_each_field() {
        let a = base();
        let mut b = a.clone();
        assert!(changes(&a, &b).is_empty());
        b.officer_count = Some(9);
        b.place = Some("x".into());
        let c = changes(&a, &b);
        assert_eq!(
            c.iter().map(|c| c.field).collect::<Vec<_>>(),
            ["place", "officer_count"]
        );
        assert_eq!(c[1].old, serde_json::Value::Null);
        assert_eq!(c[1].new, serde_json::json!(9));
    }
}
