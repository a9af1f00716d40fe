//! The protocol crate's error type, and the rule every error in Silbato follows: a stable code.
//!
//! Each area (alert, profile, sighting, watch-list, media, seal, ...) has its own error enum in
//! its module; [`Error`] wraps them (`#[from]`) beside the document-level failures every signed
//! document can have. Every variant of every error has a stable machine code, `area.name`
//! ([`error_codes!`]), which shells and the CLI translate into the reader's language; the English
//! `Display` text is the fallback. Codes never change meaning once released.
//!
//! Every message here is safe to show and to log: variants carry ids, counts, versions and fixed
//! reasons, never user content (sighting text, places, plates, passphrases, keys) and never the
//! text of a parser error, which can quote the input it choked on.

use std::fmt;

/// Gives an error enum its stable codes: `code()` for a value and `CODES` for the whole type,
/// from one list, so the two cannot drift. A variant left out of the list fails to compile (the
/// generated match is exhaustive). `{ .. }` matches unit, tuple and struct variants alike.
#[macro_export]
macro_rules! error_codes {
    ($ty:ty { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            /// Every code this type can return.
            pub const CODES: &'static [&'static str] = &[$($code),+];

            /// The stable machine code of this error (`area.name`): what a shell translates.
            pub fn code(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $code),+
                }
            }
        }
    };
}

/// Which kind of signed document an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Pack,
    KeyFile,
    Envelope,
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DocKind::Pack => "content pack",
            DocKind::KeyFile => "key file",
            DocKind::Envelope => "signed envelope",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the {what} is malformed (line {line}, column {column})")]
    Malformed {
        what: DocKind,
        line: usize,
        column: usize,
    },
    #[error("the {what} is truncated")]
    Truncated { what: DocKind },
    #[error("the {what} is larger than the {limit}-byte limit")]
    TooLarge { what: DocKind, limit: usize },
    #[error(
        "the {what} uses format {found}, which this version of Silbato cannot read; update the app"
    )]
    UnsupportedFormat { what: DocKind, found: u32 },
    #[error("the {what} is not signed by a trusted key")]
    UntrustedKey { what: DocKind },
    #[error("the {what} has a signature that does not verify")]
    BadSignature { what: DocKind },
    #[error("{pack_id} version {offered} is not newer than the installed version {installed}")]
    Rollback {
        pack_id: String,
        installed: u64,
        offered: u64,
    },
    #[error("{0}")]
    InvalidContent(#[from] silbato_content::ValidationError),
    #[error(transparent)]
    Alert(#[from] AlertError),
    #[error(transparent)]
    Sighting(#[from] SightingError),
    #[error(transparent)]
    Watchlist(#[from] WatchlistError),
    #[error(transparent)]
    Push(#[from] PushPayloadError),
    #[error(transparent)]
    Plate(#[from] PlateError),
    #[error(transparent)]
    Geo(#[from] GeoError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Cap(#[from] CapError),
    #[error("cryptographic operation failed")]
    Crypto,
    #[error("the document could not be written")]
    Encode,
    #[error("data did not decrypt: it was changed, moved, or belongs to another key")]
    Decrypt,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Maps a JSON error to a typed one without keeping serde's message, which quotes input.
    pub fn from_json(what: DocKind, e: &serde_json::Error) -> Self {
        if e.is_eof() {
            Error::Truncated { what }
        } else {
            Error::Malformed {
                what,
                line: e.line(),
                column: e.column(),
            }
        }
    }
}

/// Why an alert payload was refused. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("alert and network ids are letters, digits and -_.:@")]
    Id,
    #[error("an alert has up to 16 well-formed references")]
    References,
    #[error("an alert cannot reference itself")]
    SelfReference,
    #[error("an update or cancel references what it replaces")]
    MissingReference,
    #[error("a new alert references nothing")]
    UnexpectedReference,
    #[error("an alert expires after it is sent, within 30 days")]
    Expiry,
    #[error("an alert has an area")]
    NoArea,
    #[error("an alert's area has too many parts")]
    AreaTooLarge,
    #[error("an alert circle is invalid")]
    Circle,
    #[error("an alert polygon is invalid")]
    Polygon,
    #[error("a region code looks like US-IL-CHI")]
    RegionCode,
    #[error("an alert has text in 1 to 16 languages")]
    Languages,
    #[error("an alert language is a code like es")]
    Language,
    #[error("a headline is 1 to 160 characters")]
    Headline,
    #[error("an alert's description or instruction is too long")]
    TextTooLong,
    #[error("a hotline number is too long")]
    Hotline,
    #[error("the same dispatcher key was given more than once; it counts as one signature")]
    DuplicateSigner,
    #[error("this key has already signed this alert; nothing was added")]
    AlreadySigned,
}

crate::error_codes!(AlertError {
    Id => "alert.id",
    References => "alert.references",
    SelfReference => "alert.self_reference",
    MissingReference => "alert.missing_reference",
    UnexpectedReference => "alert.unexpected_reference",
    Expiry => "alert.expiry",
    NoArea => "alert.no_area",
    AreaTooLarge => "alert.area_too_large",
    Circle => "alert.circle",
    Polygon => "alert.polygon",
    RegionCode => "alert.region_code",
    Languages => "alert.languages",
    Language => "alert.language",
    Headline => "alert.headline",
    TextTooLong => "alert.text_too_long",
    Hotline => "alert.hotline",
    DuplicateSigner => "alert.duplicate_signer",
    AlreadySigned => "alert.already_signed",
});

/// Why a CAP document was refused or could not be written. Each variant names the rule, never
/// the value: the parser's own messages, which quote the input, are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    #[error("CAP Ack and Error messages are not alerts")]
    AckOrError,
    #[error("CAP info blocks disagree on event, urgency, severity or certainty")]
    InfoDisagrees,
    #[error("CAP info blocks disagree on expires")]
    InfoExpiresDisagree,
    #[error("CAP references are sender,identifier,sent triples")]
    References,
    #[error("a CAP alert has at most 16 info blocks")]
    TooManyInfo,
    #[error("a CAP alert needs a msgType")]
    NoMsgType,
    #[error("a CAP alert needs a scope")]
    NoScope,
    #[error("a CAP alert needs a sent time")]
    NoSent,
    #[error("a CAP alert needs a status")]
    NoStatus,
    #[error("a CAP alert needs an expires time")]
    NoExpires,
    #[error("a CAP alert needs an identifier")]
    NoIdentifier,
    #[error("a CAP alert needs an info block")]
    NoInfo,
    #[error("a CAP certainty is Observed, Likely, Possible, Unlikely or Unknown")]
    Certainty,
    #[error("a CAP circle is lat,lon and a radius in km")]
    Circle,
    #[error("a CAP document declares too many namespaces")]
    TooManyNamespaces,
    #[error("a CAP document has no alert element")]
    NoRoot,
    #[error("a CAP document has one root element")]
    TwoRoots,
    #[error("a CAP document has too many attributes")]
    TooManyAttributes,
    #[error("a CAP document has too many elements")]
    TooManyElements,
    #[error("a CAP document has too many nodes")]
    TooManyNodes,
    #[error("a CAP document is larger than 256 KiB")]
    TooLarge,
    #[error("a CAP document is nested too deeply")]
    TooDeep,
    #[error("a CAP document is not well-formed XML")]
    NotXml,
    #[error("a CAP document is truncated")]
    Truncated,
    #[error("a CAP document may not have a DOCTYPE or entities")]
    Doctype,
    #[error("a CAP document uses an undeclared namespace prefix")]
    UndeclaredPrefix,
    #[error("a CAP document uses an undefined entity")]
    UndefinedEntity,
    #[error("a CAP element that may appear once appears twice")]
    Repeated,
    #[error("a CAP geocode needs a value")]
    GeocodeValue,
    #[error("a CAP info block needs a certainty")]
    NoCertainty,
    #[error("a CAP info block needs a headline")]
    NoHeadline,
    #[error("a CAP info block needs a severity")]
    NoSeverity,
    #[error("a CAP info block needs an event")]
    NoEvent,
    #[error("a CAP info block needs an urgency")]
    NoUrgency,
    #[error("a CAP msgType is Alert, Update or Cancel")]
    MsgType,
    #[error("a CAP polygon has too many points")]
    PolygonTooLarge,
    #[error("a CAP polygon is a list of lat,lon pairs")]
    Polygon,
    #[error("a CAP sender is 1 to 256 characters without spaces, commas, < or &")]
    Sender,
    #[error("a CAP severity is Extreme, Severe, Moderate, Minor or Unknown")]
    Severity,
    #[error("a CAP time is a dateTime with a UTC offset")]
    Time,
    #[error("a CAP urgency is Immediate, Expected, Future, Past or Unknown")]
    Urgency,
    #[error("alert text has a character XML cannot carry")]
    XmlCharacter,
    #[error("an alert has up to 16 well-formed references")]
    AlertReferences,
    #[error("an alert language is a code like es")]
    Language,
    #[error("an alert's area has too many parts")]
    AreaTooLarge,
    #[error("not a CAP 1.2 alert")]
    NotCap,
    #[error("only CAP alerts with status Actual are imported")]
    NotActual,
    #[error("only public CAP alerts are imported")]
    NotPublic,
    #[error("two CAP info blocks share a language")]
    DuplicateLanguage,
}

crate::error_codes!(CapError {
    AckOrError => "cap.ack_or_error",
    InfoDisagrees => "cap.info_disagrees",
    InfoExpiresDisagree => "cap.info_expires_disagree",
    References => "cap.references",
    TooManyInfo => "cap.too_many_info",
    NoMsgType => "cap.no_msg_type",
    NoScope => "cap.no_scope",
    NoSent => "cap.no_sent",
    NoStatus => "cap.no_status",
    NoExpires => "cap.no_expires",
    NoIdentifier => "cap.no_identifier",
    NoInfo => "cap.no_info",
    Certainty => "cap.certainty",
    Circle => "cap.circle",
    TooManyNamespaces => "cap.too_many_namespaces",
    NoRoot => "cap.no_root",
    TwoRoots => "cap.two_roots",
    TooManyAttributes => "cap.too_many_attributes",
    TooManyElements => "cap.too_many_elements",
    TooManyNodes => "cap.too_many_nodes",
    TooLarge => "cap.too_large",
    TooDeep => "cap.too_deep",
    NotXml => "cap.not_xml",
    Truncated => "cap.truncated",
    Doctype => "cap.doctype",
    UndeclaredPrefix => "cap.undeclared_prefix",
    UndefinedEntity => "cap.undefined_entity",
    Repeated => "cap.repeated",
    GeocodeValue => "cap.geocode_value",
    NoCertainty => "cap.no_certainty",
    NoHeadline => "cap.no_headline",
    NoSeverity => "cap.no_severity",
    NoEvent => "cap.no_event",
    NoUrgency => "cap.no_urgency",
    MsgType => "cap.msg_type",
    PolygonTooLarge => "cap.polygon_too_large",
    Polygon => "cap.polygon",
    Sender => "cap.sender",
    Severity => "cap.severity",
    Time => "cap.time",
    Urgency => "cap.urgency",
    XmlCharacter => "cap.xml_character",
    AlertReferences => "cap.alert_references",
    Language => "cap.language",
    AreaTooLarge => "cap.area_too_large",
    NotCap => "cap.not_cap",
    NotActual => "cap.not_actual",
    NotPublic => "cap.not_public",
    DuplicateLanguage => "cap.duplicate_language",
});

/// Why a sighting record was refused. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SightingError {
    #[error("the observed time is in the future")]
    FutureTime,
    #[error("the observed time is before the year 2000")]
    BeforeYear2000,
    #[error("latitude must be between -90 and 90")]
    Latitude,
    #[error("longitude must be between -180 and 180")]
    Longitude,
    #[error("accuracy must be between 0 and 100000 metres")]
    Accuracy,
    #[error("a count is larger than 10000")]
    CountTooLarge,
    #[error("too many vehicles")]
    TooManyVehicles,
    #[error("a plate is 1 to 10 letters, digits or ?")]
    Plate,
    #[error("a plate state is a 2 or 3 letter code")]
    PlateState,
    #[error("too many badges")]
    TooManyBadges,
    #[error("too many attachments")]
    TooManyAttachments,
    #[error("the place description is too long or has control characters")]
    Place,
    #[error("the uniforms text is too long or has control characters")]
    Uniforms,
    #[error("the notes are too long or have control characters")]
    Notes,
    #[error("a vehicle description is too long")]
    VehicleDescription,
    #[error("a badge entry is too long")]
    Badge,
}

crate::error_codes!(SightingError {
    FutureTime => "sighting.future_time",
    BeforeYear2000 => "sighting.before_year2000",
    Latitude => "sighting.latitude",
    Longitude => "sighting.longitude",
    Accuracy => "sighting.accuracy",
    CountTooLarge => "sighting.count_too_large",
    TooManyVehicles => "sighting.too_many_vehicles",
    Plate => "sighting.plate",
    PlateState => "sighting.plate_state",
    TooManyBadges => "sighting.too_many_badges",
    TooManyAttachments => "sighting.too_many_attachments",
    Place => "sighting.place",
    Uniforms => "sighting.uniforms",
    Notes => "sighting.notes",
    VehicleDescription => "sighting.vehicle_description",
    Badge => "sighting.badge",
});

/// Why a watch-list was refused. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WatchlistError {
    #[error("watch-list and publisher ids are lowercase ids")]
    Id,
    #[error("watch-list version out of range")]
    Version,
    #[error("watch-list has too many entries")]
    TooManyEntries,
    #[error("a watch-list plate is malformed")]
    Plate,
    #[error("a watch-list state is not a 2-3 letter code")]
    State,
    #[error("a watch-list description is too long or has control characters")]
    Description,
    #[error("the CSV is malformed")]
    Csv,
    #[error("last_seen must be a date like 2026-11-21")]
    LastSeen,
    #[error("no watch-list is installed, so no plate can be checked")]
    NoneInstalled,
    #[error("the watch-list has no vehicles; an empty list must be built as empty on purpose")]
    Empty,
    #[error(
        "this watch-list has no vehicles and would replace one that has; it must be built and installed as empty on purpose"
    )]
    EmptyReplacesEntries,
}

crate::error_codes!(WatchlistError {
    Id => "watchlist.id",
    Version => "watchlist.version",
    TooManyEntries => "watchlist.too_many_entries",
    Plate => "watchlist.plate",
    State => "watchlist.state",
    Description => "watchlist.description",
    Csv => "watchlist.csv",
    LastSeen => "watchlist.last_seen",
    NoneInstalled => "watchlist.none_installed",
    Empty => "watchlist.empty",
    EmptyReplacesEntries => "watchlist.empty_replaces_entries",
});

/// Why bytes handed over as a push were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PushPayloadError {
    #[error("not a Silbato push payload")]
    NotAPushPayload,
    #[error("the sealed push payload's padding is malformed")]
    Padding,
    #[error("the sealed push payload is not an alert")]
    NotAnAlert,
    #[error("a push subscription request must be signed by its subscription key")]
    Unsigned,
    #[error("the push subscription request's signature does not verify")]
    Signature,
    #[error("the push subscription request's date is missing or too far from the hub's clock")]
    RequestSkew,
}

crate::error_codes!(PushPayloadError {
    NotAPushPayload => "push.not_a_push_payload",
    Padding => "push.padding",
    NotAnAlert => "push.not_an_alert",
    Unsigned => "push.unsigned",
    Signature => "push.signature",
    RequestSkew => "push.request_skew",
});

/// Why a network profile was refused. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("a network id is a lowercase id")]
    Id,
    #[error("a network name is 1 to 100 printable characters")]
    Name,
    #[error("network profile version out of range")]
    Version,
    #[error(
        "the hub URL must be https (http only for 127.0.0.1, ::1 or localhost), with no user name or password"
    )]
    HubUrl,
    #[error("names and numbers in a profile are short printable text")]
    Text,
    #[error("a network has 1 to 16 root keys")]
    RootKeys,
    #[error("a network profile has too many entries")]
    TooManyEntries,
    #[error("a region code looks like US-IL-CHI")]
    RegionCode,
    #[error("a region polygon is invalid")]
    RegionPolygon,
    #[error("a dispatcher key's validity window is empty")]
    DispatcherWindow,
    #[error("the alert policy needs 1 to 16 signatures per certainty")]
    Policy,
    #[error("not a Silbato network QR code")]
    NotAQrCode,
    #[error("the alert policy needs more signatures than the profile has dispatchers")]
    PolicyExceedsDispatchers,
    #[error("a dispatcher key is listed twice")]
    DuplicateDispatcher,
    #[error("a seal (report) key was given without its dispatcher key")]
    SealKeyWithoutDispatcher,
    #[error("the hub URL has no host")]
    HubHost,
    #[error("the profile is too large for one QR code (2,953 bytes); share the file instead")]
    QrTooLong,
}

crate::error_codes!(ProfileError {
    Id => "profile.id",
    Name => "profile.name",
    Version => "profile.version",
    HubUrl => "profile.hub_url",
    Text => "profile.text",
    RootKeys => "profile.root_keys",
    TooManyEntries => "profile.too_many_entries",
    RegionCode => "profile.region_code",
    RegionPolygon => "profile.region_polygon",
    DispatcherWindow => "profile.dispatcher_window",
    Policy => "profile.policy",
    NotAQrCode => "profile.not_a_qr_code",
    PolicyExceedsDispatchers => "profile.policy_exceeds_dispatchers",
    DuplicateDispatcher => "profile.duplicate_dispatcher",
    SealKeyWithoutDispatcher => "profile.seal_key_without_dispatcher",
    HubHost => "profile.hub_host",
    QrTooLong => "profile.qr_too_long",
});

/// Why an Ed25519 key or key file was refused. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a public key starts with ed25519:")]
    Prefix,
    #[error("a public key is base64 after ed25519:")]
    Base64,
    #[error("an Ed25519 public key is 32 bytes")]
    Length,
    #[error("not a Silbato Ed25519 key file")]
    NotAKeyFile,
    #[error("the key file's public key does not match its secret")]
    PublicKeyMismatch,
}

crate::error_codes!(KeyError {
    Prefix => "key.prefix",
    Base64 => "key.base64",
    Length => "key.length",
    NotAKeyFile => "key.not_a_key_file",
    PublicKeyMismatch => "key.public_key_mismatch",
});

/// Why a protocol v1 message (a push subscription, a signed dispatcher request, a URL, a
/// dispatcher key file) was refused. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("a push endpoint is 1 to 2048 printable characters")]
    Endpoint,
    #[error("a Web Push endpoint is an https URL")]
    WebPushEndpoint,
    #[error("a subscription follows 1 to 32 region codes like US-IL-CHI")]
    SubscriptionRegions,
    #[error(
        "a URL must be https (plain http only to 127.0.0.1, ::1 or localhost), with a host and no user name or password"
    )]
    Url,
    #[error("the request is not signed by a dispatcher of this network")]
    NotADispatcher,
    #[error("the request date is malformed")]
    RequestDate,
    #[error("the request date is too far from the hub's clock")]
    RequestSkew,
    #[error("the request signature is malformed")]
    RequestSignature,
    #[error("not a Silbato dispatcher key file")]
    NotADispatcherKeyFile,
    #[error("the dispatcher key file's seal key is damaged")]
    DispatcherSealKey,
    #[error("the request nonce is missing or malformed")]
    RequestNonce,
    #[error("this signed request was already used; sign a new one")]
    RequestReplayed,
    #[error("the body is not a sealed report")]
    NotASealedReport,
    #[error("the hub holds as many reports as it may right now; try later")]
    ReportQuota,
    #[error("the alert's regions or area lie outside the network's regions")]
    AlertOutsideRegions,
    #[error("a push endpoint must resolve to a public internet address")]
    EndpointAddress,
}

crate::error_codes!(ProtocolError {
    Endpoint => "protocol.endpoint",
    WebPushEndpoint => "protocol.web_push_endpoint",
    SubscriptionRegions => "protocol.subscription_regions",
    Url => "protocol.url",
    NotADispatcher => "protocol.not_a_dispatcher",
    RequestDate => "protocol.request_date",
    RequestSkew => "protocol.request_skew",
    RequestSignature => "protocol.request_signature",
    NotADispatcherKeyFile => "protocol.not_a_dispatcher_key_file",
    DispatcherSealKey => "protocol.dispatcher_seal_key",
    RequestNonce => "protocol.request_nonce",
    RequestReplayed => "protocol.request_replayed",
    NotASealedReport => "protocol.not_a_sealed_report",
    ReportQuota => "protocol.report_quota",
    AlertOutsideRegions => "protocol.alert_outside_regions",
    EndpointAddress => "protocol.endpoint_address",
});

/// Why a vault export could not be read. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("this export is sealed: give the recipient's key file")]
    SealedNeedsKey,
    #[error("this export is sealed to a different key")]
    SealedToAnotherKey,
    #[error("not a Silbato vault export")]
    NotAnExport,
}

crate::error_codes!(ExportError {
    SealedNeedsKey => "export.sealed_needs_key",
    SealedToAnotherKey => "export.sealed_to_another_key",
    NotAnExport => "export.not_an_export",
});

/// Why an area or place was rejected. Messages are fixed text and never contain a coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GeoError {
    #[error("a coordinate is not finite or is out of range")]
    InvalidCoordinate,
    #[error("a radius must be finite, above zero and at most 500 km")]
    InvalidRadius,
    #[error("invalid polygon: {0}")]
    InvalidPolygon(&'static str),
}

crate::error_codes!(GeoError {
    InvalidCoordinate => "geo.invalid_coordinate",
    InvalidRadius => "geo.invalid_radius",
    InvalidPolygon => "geo.invalid_polygon",
});

/// Why a string is not a plate. Variants carry positions, never characters, so the error can be
/// shown or logged without leaking what was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlateError {
    /// Nothing but separators (or nothing at all).
    #[error("plate is empty")]
    Empty,
    /// More than `plates::MAX_LEN` characters after separators are removed.
    #[error("plate is longer than {max} characters")]
    TooLong {
        /// The limit that was exceeded.
        max: usize,
    },
    /// A character that is neither a letter, a digit, `?`, nor a separator.
    #[error("plate has a character that is not allowed at position {position}")]
    InvalidCharacter {
        /// Zero-based index of the offending character, counted in Unicode scalar values of the
        /// input (not bytes).
        position: usize,
    },
    /// Only `?` wildcards: it would match anything.
    #[error("plate has no known characters")]
    NoKnownCharacters,
}

crate::error_codes!(PlateError {
    Empty => "plate.empty",
    TooLong => "plate.too_long",
    InvalidCharacter => "plate.invalid_character",
    NoKnownCharacters => "plate.no_known_characters",
});

/// Why an image could not be stripped. Reasons are fixed strings chosen here, never text taken
/// from the file, so errors are safe to log and to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The input is over `media::MAX_IMAGE_BYTES`.
    #[error("image is larger than the {limit} byte limit")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// Neither a JPEG nor a PNG signature.
    #[error("unsupported image format")]
    UnsupportedFormat,
    /// The structure is truncated or inconsistent.
    #[error("malformed image: {0}")]
    Malformed(&'static str),
    /// Well formed, but uses a structure this module does not know how to clean.
    #[error("unsupported image feature: {0}")]
    UnsupportedFeature(&'static str),
}

crate::error_codes!(MediaError {
    TooLarge => "media.too_large",
    UnsupportedFormat => "media.unsupported_format",
    Malformed => "media.malformed",
    UnsupportedFeature => "media.unsupported_feature",
});

/// Why sealing or opening failed. Messages are fixed: they never carry key material or plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The sealed bytes are truncated or inconsistent (bad recipient count, duplicate recipient),
    /// or `seal_to_many` was given no recipients.
    #[error("the sealed data or recipient list is malformed")]
    Malformed,
    /// The first byte names a format this build does not read (also: a key file version).
    #[error("the sealed data uses format {0}, which this version of Silbato cannot read")]
    UnsupportedVersion(u8),
    /// The key is not among a multi-recipient message's recipients.
    #[error("this key is not one of the recipients")]
    NotARecipient,
    /// Authentication failed: wrong key, wrong `info` or `aad`, or the bytes were changed.
    #[error("the sealed data did not decrypt: it was changed, or sealed to another key or purpose")]
    DecryptFailed,
    /// More than 64 MiB of plaintext, or more than 32 recipients.
    #[error("over the limit of 64 MiB of plaintext or 32 recipients")]
    TooLarge,
    /// Not a usable X25519 key or key file (bad text form, wrong length, low-order point,
    /// mismatched public key).
    #[error("not a valid X25519 key or key file")]
    BadKey,
    /// The system random number generator or an internal step failed.
    #[error("cryptographic operation failed")]
    Crypto,
}

crate::error_codes!(SealError {
    Malformed => "seal.malformed",
    UnsupportedVersion => "seal.unsupported_version",
    NotARecipient => "seal.not_a_recipient",
    DecryptFailed => "seal.decrypt_failed",
    TooLarge => "seal.too_large",
    BadKey => "seal.bad_key",
    Crypto => "seal.crypto",
});
