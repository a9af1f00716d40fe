//! The records the shells receive, converted from the core's views here and nowhere else.
//!
//! The core's enumerations cross as themselves. The core forbids `unsafe` and UniFFI's derives
//! emit `unsafe impl`s, so instead of deriving there, each enum is named here with
//! `#[uniffi::remote(Enum)]`: the item below is not emitted, the core's type is used, and the
//! generated conversions match every variant of it, so a variant added to or removed from the core
//! is a compile error in this file, never a silent drift. Times cross as Unix milliseconds.

use chrono::{DateTime, TimeZone, Utc};
use silbato_content::{Block, Inline};
use silbato_core::inbox::alert::{Category, Certainty, Severity};
use silbato_core::inbox::{AlertStatus, AlertView, IngestOutcome, Place, Relevance};
use silbato_core::rights::{CardSummary as CoreCardSummary, CardView, HotlineView, SearchHit};
use silbato_core::vault::{
    Activity, Agency, Confidence, Location, RecordView, Sighting, VaultState, Vehicle,
};
use silbato_core::watchlist::plates::MatchKind;

use crate::error::{Result, SilbatoError};

/// Whether the vault exists and whether its key is in memory.
#[uniffi::remote(Enum)]
pub enum VaultState {
    NotInitialized,
    Locked,
    Unlocked,
}

/// What was seen.
#[uniffi::remote(Enum)]
pub enum Activity {
    Arrest,
    Raid,
    Checkpoint,
    Patrol,
    Staging,
    Surveillance,
    Other,
}

/// Whose agents they were (`Cbp` includes Border Patrol).
#[uniffi::remote(Enum)]
pub enum Agency {
    Ice,
    Cbp,
    Hsi,
    LocalPolice,
    Unknown,
    Other,
}

/// How sure the patroller is of what they saw.
#[uniffi::remote(Enum)]
pub enum Confidence {
    Observed,
    Likely,
    Unconfirmed,
}

/// How a watch-list plate matched, best first.
#[uniffi::remote(Enum)]
pub enum MatchKind {
    Exact,
    Confusable,
    Partial,
}

/// What an alert is about.
#[uniffi::remote(Enum)]
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
#[uniffi::remote(Enum)]
pub enum Severity {
    Extreme,
    Severe,
    Moderate,
    Minor,
    Unknown,
}

/// How sure the network is (its policy says how many dispatchers sign each level).
#[uniffi::remote(Enum)]
pub enum Certainty {
    Observed,
    Likely,
    Possible,
    Unverified,
}

/// Whether an alert still stands.
#[uniffi::remote(Enum)]
pub enum AlertStatus {
    Active,
    Expired,
    Superseded,
    Retracted,
    Withdrawn,
}

/// Why an alert matters to this device, most relevant first.
#[uniffi::remote(Enum)]
pub enum Relevance {
    SavedPlace { label: String },
    FollowedRegion { code: String },
    Elsewhere,
}

pub(crate) fn ms(t: &DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> Result<DateTime<Utc>> {
    Utc.timestamp_millis_opt(v)
        .single()
        .ok_or(SilbatoError::invalid_argument(
            "ffi.time_out_of_range",
            "time out of range",
        ))
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct CardSummary {
    pub id: String,
    pub category: String,
    pub category_name: String,
    pub lang: String,
    pub fallback: bool,
    pub title: String,
    pub summary: String,
}

impl From<CoreCardSummary> for CardSummary {
    fn from(c: CoreCardSummary) -> Self {
        CardSummary {
            id: c.id,
            category: c.category,
            category_name: c.category_name,
            lang: c.lang,
            fallback: c.fallback,
            title: c.title,
            summary: c.summary,
        }
    }
}

/// How a shell lays out one block of a card body (the content model's blocks, without their
/// inline markup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum BlockKind {
    Heading,
    Paragraph,
    Bullets,
    Numbered,
}

/// One block of a card body: one item for a heading or paragraph, one per list entry. Inline
/// emphasis is flattened to text; `strong` lists the bold runs so a shell may style them.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TextBlock {
    pub kind: BlockKind,
    pub items: Vec<String>,
    pub strong: Vec<String>,
}

fn flat(inl: &[Inline]) -> String {
    inl.iter().map(Inline::text).collect()
}

fn strong(inl: &[Inline]) -> impl Iterator<Item = String> + '_ {
    inl.iter().filter_map(|i| match i {
        Inline::Strong(t) => Some(t.clone()),
        _ => None,
    })
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SourceRef {
    pub title: String,
    pub publisher: String,
    pub url: String,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct CardDetail {
    pub id: String,
    pub lang: String,
    pub fallback: bool,
    pub category_name: String,
    pub title: String,
    pub summary: String,
    pub blocks: Vec<TextBlock>,
    pub say: Vec<String>,
    pub show_agent: String,
    pub sources: Vec<SourceRef>,
    pub last_reviewed: String,
}

impl From<CardView> for CardDetail {
    fn from(c: CardView) -> Self {
        let blocks = c
            .body
            .iter()
            .map(|b| match b {
                Block::Heading { text, .. } => TextBlock {
                    kind: BlockKind::Heading,
                    items: vec![flat(text)],
                    strong: strong(text).collect(),
                },
                Block::Paragraph { text } => TextBlock {
                    kind: BlockKind::Paragraph,
                    items: vec![flat(text)],
                    strong: strong(text).collect(),
                },
                Block::BulletList { items } => TextBlock {
                    kind: BlockKind::Bullets,
                    items: items.iter().map(|i| flat(i)).collect(),
                    strong: items
                        .iter()
                        .flat_map(|i| strong(i).collect::<Vec<_>>())
                        .collect(),
                },
                Block::NumberedList { items } => TextBlock {
                    kind: BlockKind::Numbered,
                    items: items.iter().map(|i| flat(i)).collect(),
                    strong: items
                        .iter()
                        .flat_map(|i| strong(i).collect::<Vec<_>>())
                        .collect(),
                },
            })
            .collect();
        CardDetail {
            id: c.id,
            lang: c.lang,
            fallback: c.fallback,
            category_name: c.category_name,
            title: c.title,
            summary: c.summary,
            blocks,
            say: c.say,
            show_agent: c.show_agent,
            sources: c
                .sources
                .into_iter()
                .map(|s| SourceRef {
                    title: s.title,
                    publisher: s.publisher,
                    url: s.url,
                })
                .collect(),
            last_reviewed: c.last_reviewed.to_string(),
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SnippetSpan {
    pub text: String,
    pub highlight: bool,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SearchResult {
    pub card_id: String,
    pub lang: String,
    pub title: String,
    pub snippet: Vec<SnippetSpan>,
}

impl From<SearchHit> for SearchResult {
    fn from(h: SearchHit) -> Self {
        SearchResult {
            card_id: h.card_id,
            lang: h.lang,
            title: h.title,
            snippet: h
                .snippet
                .into_iter()
                .map(|p| SnippetSpan {
                    text: p.text,
                    highlight: p.highlight,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct Hotline {
    pub region: String,
    pub name: String,
    pub number: String,
    pub hours: Option<String>,
    pub source_url: Option<String>,
}

impl From<HotlineView> for Hotline {
    fn from(h: HotlineView) -> Self {
        Hotline {
            region: h.region,
            name: h.name,
            number: h.number,
            hours: h.hours,
            source_url: h.source.map(|s| s.url),
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct VehicleInfo {
    pub description: Option<String>,
    pub plate: Option<String>,
    pub plate_state: Option<String>,
}

/// A sighting as the log-a-sighting form fills it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SightingInput {
    pub observed_at_ms: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub place: Option<String>,
    pub activity: Activity,
    pub agency: Agency,
    pub officer_count: Option<u32>,
    pub vehicles: Vec<VehicleInfo>,
    pub uniforms: Option<String>,
    pub badges: Vec<String>,
    pub people_detained: Option<u32>,
    pub notes: Option<String>,
    pub confidence: Confidence,
}

impl SightingInput {
    pub(crate) fn into_core(self) -> Result<Sighting> {
        let mut s = Sighting::new(
            from_ms(self.observed_at_ms)?,
            self.activity,
            self.agency,
            self.confidence,
        );
        s.location = match (self.latitude, self.longitude) {
            (Some(lat), Some(lon)) => Some(Location {
                lat,
                lon,
                accuracy_m: self.accuracy_m,
            }),
            (None, None) => None,
            _ => {
                return Err(SilbatoError::invalid_argument(
                    "ffi.half_a_location",
                    "give both latitude and longitude, or neither",
                ));
            }
        };
        s.place = self.place;
        s.officer_count = self.officer_count;
        s.vehicles = self
            .vehicles
            .into_iter()
            .map(|v| Vehicle {
                description: v.description,
                plate: v.plate,
                plate_state: v.plate_state,
            })
            .collect();
        s.uniforms = self.uniforms;
        s.badges = self.badges;
        s.people_detained = self.people_detained;
        s.notes = self.notes;
        Ok(s)
    }

    pub(crate) fn from_core(s: &Sighting) -> Self {
        SightingInput {
            observed_at_ms: ms(&s.observed_at),
            latitude: s.location.map(|l| l.lat),
            longitude: s.location.map(|l| l.lon),
            accuracy_m: s.location.and_then(|l| l.accuracy_m),
            place: s.place.clone(),
            activity: s.activity,
            agency: s.agency,
            officer_count: s.officer_count,
            vehicles: s
                .vehicles
                .iter()
                .map(|v| VehicleInfo {
                    description: v.description.clone(),
                    plate: v.plate.clone(),
                    plate_state: v.plate_state.clone(),
                })
                .collect(),
            uniforms: s.uniforms.clone(),
            badges: s.badges.clone(),
            people_detained: s.people_detained,
            notes: s.notes.clone(),
            confidence: s.confidence,
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct RecordItem {
    pub id: String,
    pub recorded_at_ms: i64,
    pub sighting: SightingInput,
    pub photos: u32,
    pub amendments: u32,
}

impl From<RecordView> for RecordItem {
    fn from(r: RecordView) -> Self {
        RecordItem {
            id: r.id,
            recorded_at_ms: ms(&r.recorded_at),
            photos: u32::try_from(r.sighting.attachments.len()).unwrap_or(u32::MAX),
            sighting: SightingInput::from_core(&r.sighting),
            amendments: u32::try_from(r.amendments.len()).unwrap_or(u32::MAX),
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct PlateMatch {
    pub plate: String,
    pub state: Option<String>,
    pub description: Option<String>,
    pub kind: MatchKind,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct LogResult {
    pub id: String,
    pub plate_matches: Vec<PlateMatch>,
}

/// An alert in the reader's language.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AlertItem {
    pub id: String,
    /// With `id`, what identifies the alert: another network may use the same id.
    pub network_id: String,
    pub network_name: String,
    pub headline: String,
    pub description: Option<String>,
    pub instruction: Option<String>,
    pub hotline: Option<String>,
    pub category: Category,
    pub severity: Severity,
    pub certainty: Certainty,
    pub all_clear: bool,
    pub status: AlertStatus,
    pub relevance: Relevance,
    pub sent_ms: i64,
    pub expires_ms: i64,
    pub read: bool,
    pub signed_by: Vec<String>,
}

impl From<AlertView> for AlertItem {
    fn from(a: AlertView) -> Self {
        AlertItem {
            category: a.category,
            severity: a.severity,
            certainty: a.certainty,
            status: a.status,
            sent_ms: ms(&a.sent),
            expires_ms: ms(&a.expires),
            relevance: a.relevance,
            id: a.id,
            network_id: a.network_id,
            network_name: a.network_name,
            headline: a.headline,
            description: a.description,
            instruction: a.instruction,
            hotline: a.hotline,
            all_clear: a.all_clear,
            read: a.read,
            signed_by: a.signed_by,
        }
    }
}

/// What ingesting one alert did. A rejection's `reason` says why in words that carry no alert
/// content (bad signature, expired, not for this network, ...).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum IngestResult {
    Accepted {
        id: String,
    },
    /// Already here with exactly these contents: nothing changed.
    Duplicate {
        id: String,
    },
    Rejected {
        reason: String,
    },
}

impl From<IngestOutcome> for IngestResult {
    fn from(o: IngestOutcome) -> Self {
        match o {
            IngestOutcome::Accepted { id, .. } => IngestResult::Accepted { id },
            IngestOutcome::Duplicate { id } => IngestResult::Duplicate { id },
            IngestOutcome::Rejected(r) => IngestResult::Rejected {
                reason: r.to_string(),
            },
        }
    }
}

/// What to do with a push: `sync_needed`, or an ingested alert with the notification to show
/// (title and body, generic unless the user opted in to headlines).
#[derive(Debug, Clone, uniffi::Record)]
pub struct PushResult {
    pub sync_needed: bool,
    pub ingest: Option<IngestResult>,
    pub notification_title: Option<String>,
    pub notification_body: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct PlaceItem {
    pub id: String,
    pub label: String,
    pub latitude: f64,
    pub longitude: f64,
    pub radius_m: f64,
}

impl From<Place> for PlaceItem {
    fn from(p: Place) -> Self {
        PlaceItem {
            id: p.id,
            label: p.label,
            latitude: p.lat,
            longitude: p.lon,
            radius_m: p.radius_m,
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct NetworkItem {
    pub id: String,
    pub name: String,
    pub version: u64,
    pub fingerprint: String,
    pub confirmed: bool,
    pub hub_url: String,
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncSummary {
    pub alerts_accepted: u64,
    pub reports_sent: u64,
    pub reports_pending: u64,
    pub failures: Vec<String>,
    pub retryable: bool,
}

impl From<&silbato_core::app::SyncOutcome> for SyncSummary {
    fn from(o: &silbato_core::app::SyncOutcome) -> Self {
        SyncSummary {
            alerts_accepted: o.alerts_accepted(),
            reports_sent: o.reports_sent(),
            reports_pending: o.reports_pending(),
            failures: o
                .failures()
                .map(|f| format!("{}: {}", f.step, f.error))
                .collect(),
            retryable: o.retryable(),
        }
    }
}
