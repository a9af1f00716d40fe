//! The core's one error type, and the list of every error code a shell can meet.
//!
//! Each area has its own enum (the protocol's in `silbato-proto`; the vault's, the inbox's, the
//! rights library's, sync's and network installs' in their modules here) that converts into
//! [`Error`] with `#[from]`. Every variant has a stable machine code ([`Error::code`]); the
//! bindings carry it beside the variant so shells and the CLI can show the message in the
//! reader's language. [`all_codes`] lists every code; `docs/errors.md` documents each one.
//!
//! Every message here is safe to show and to log: variants carry ids, counts, versions and fixed
//! reasons, never user content (sighting text, places, plates, passphrases, keys) and never the
//! text of a parser error, which can quote the input it choked on.

pub use silbato_proto::DocKind;
use silbato_proto::alert::AlertError;
use silbato_proto::cap::CapError;
use silbato_proto::crypto::KeyError;
use silbato_proto::export::ExportError;
use silbato_proto::geo::GeoError;
use silbato_proto::media::MediaError;
use silbato_proto::network::ProfileError;
use silbato_proto::plates::PlateError;
use silbato_proto::protocol::ProtocolError;
use silbato_proto::push::PushPayloadError;
use silbato_proto::seal::SealError;
use silbato_proto::sighting::SightingError;
use silbato_proto::watchlist::WatchlistError;

/// What a [`Error::NotFound`] was looking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Alert,
    Card,
    Language,
    Network,
    Place,
    Publisher,
    Record,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Missing::Alert => "alert",
            Missing::Card => "card",
            Missing::Language => "language",
            Missing::Network => "network",
            Missing::Place => "place",
            Missing::Publisher => "publisher",
            Missing::Record => "record",
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
    #[error("no {what} with that id")]
    NotFound { what: Missing },
    #[error(
        "{store}.db was written by a newer version of Silbato (schema {found}, this build knows {supported})"
    )]
    SchemaTooNew {
        store: &'static str,
        found: u32,
        supported: u32,
    },
    #[error("{store}.db is corrupt or not a database")]
    Corrupt { store: &'static str },
    /// SQLite's own message can quote SQL or values, so only its code is shown.
    #[error("storage error ({})", silbato_store::storage_code(.0))]
    Storage(#[from] rusqlite::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("cryptographic operation failed")]
    Crypto,
    #[error("the document could not be written")]
    Encode,
    #[error("data did not decrypt: it was changed, moved, or belongs to another key")]
    Decrypt,
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("the vault is locked")]
    Locked,
    #[error("no vault has been set up here yet")]
    NotInitialized,
    #[error("a vault already exists here")]
    AlreadyInitialized,
    #[error("the {what} key file is damaged")]
    KeyFileCorrupt { what: &'static str },
    #[error("the key does not fit this {store}.db (its canary did not decrypt)")]
    KeyMismatch { store: &'static str },
    #[error("the platform key store failed: {0}")]
    KeyStore(#[from] KeyStoreError),
    #[error("the WAL checkpoint could not complete because the database was busy")]
    CheckpointBusy,
    /// Talking to a hub failed; [`Error::is_retryable`] says whether trying again later can help.
    #[error("network error: {0}")]
    Sync(#[from] SyncError),
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
    Vault(#[from] VaultError),
    #[error(transparent)]
    Inbox(#[from] InboxError),
    #[error(transparent)]
    Rights(#[from] RightsError),
    #[error(transparent)]
    Install(#[from] InstallError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The codes of the core's own variants (the wrapped area enums list theirs in `CODES`).
const OWN_CODES: &[&str] = &[
    "doc.malformed",
    "doc.truncated",
    "doc.too_large",
    "doc.unsupported_format",
    "doc.untrusted_key",
    "doc.bad_signature",
    "doc.rollback",
    "doc.encode",
    "content.invalid",
    "not_found.alert",
    "not_found.card",
    "not_found.language",
    "not_found.network",
    "not_found.place",
    "not_found.publisher",
    "not_found.record",
    "store.schema_too_new",
    "store.corrupt",
    "store.sqlite",
    "store.checkpoint_busy",
    "io.failed",
    "crypto.failed",
    "crypto.decrypt",
    "vault.wrong_passphrase",
    "vault.locked",
    "vault.not_initialized",
    "vault.already_initialized",
    "keys.file_corrupt",
    "keys.mismatch",
];

/// Every error code the core can return, in a stable order.
pub fn all_codes() -> Vec<&'static str> {
    [
        OWN_CODES,
        KeyStoreError::CODES,
        AlertError::CODES,
        SightingError::CODES,
        WatchlistError::CODES,
        PushPayloadError::CODES,
        PlateError::CODES,
        GeoError::CODES,
        MediaError::CODES,
        VaultError::CODES,
        InboxError::CODES,
        RightsError::CODES,
        InstallError::CODES,
        SyncError::CODES,
        KeyError::CODES,
        ProtocolError::CODES,
        ProfileError::CODES,
        ExportError::CODES,
        SealError::CODES,
        CapError::CODES,
    ]
    .concat()
}

impl Error {
    /// The stable machine code of this error (`area.name`), what a shell translates. Codes never
    /// change meaning once released; `docs/errors.md` says what each means.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed { .. } => "doc.malformed",
            Error::Truncated { .. } => "doc.truncated",
            Error::TooLarge { .. } => "doc.too_large",
            Error::UnsupportedFormat { .. } => "doc.unsupported_format",
            Error::UntrustedKey { .. } => "doc.untrusted_key",
            Error::BadSignature { .. } => "doc.bad_signature",
            Error::Rollback { .. } => "doc.rollback",
            Error::InvalidContent(_) => "content.invalid",
            Error::NotFound { what } => match what {
                Missing::Alert => "not_found.alert",
                Missing::Card => "not_found.card",
                Missing::Language => "not_found.language",
                Missing::Network => "not_found.network",
                Missing::Place => "not_found.place",
                Missing::Publisher => "not_found.publisher",
                Missing::Record => "not_found.record",
            },
            Error::SchemaTooNew { .. } => "store.schema_too_new",
            Error::Corrupt { .. } => "store.corrupt",
            Error::Storage(_) => "store.sqlite",
            Error::CheckpointBusy => "store.checkpoint_busy",
            Error::Io(_) => "io.failed",
            Error::Crypto => "crypto.failed",
            Error::Decrypt => "crypto.decrypt",
            Error::Encode => "doc.encode",
            Error::WrongPassphrase => "vault.wrong_passphrase",
            Error::Locked => "vault.locked",
            Error::NotInitialized => "vault.not_initialized",
            Error::AlreadyInitialized => "vault.already_initialized",
            Error::KeyFileCorrupt { .. } => "keys.file_corrupt",
            Error::KeyMismatch { .. } => "keys.mismatch",
            Error::KeyStore(e) => e.code(),
            Error::Sync(e) => e.code(),
            Error::Key(e) => e.code(),
            Error::Protocol(e) => e.code(),
            Error::Profile(e) => e.code(),
            Error::Export(e) => e.code(),
            Error::Seal(e) => e.code(),
            Error::Cap(e) => e.code(),
            Error::Alert(e) => e.code(),
            Error::Sighting(e) => e.code(),
            Error::Watchlist(e) => e.code(),
            Error::Push(e) => e.code(),
            Error::Plate(e) => e.code(),
            Error::Geo(e) => e.code(),
            Error::Media(e) => e.code(),
            Error::Vault(e) => e.code(),
            Error::Inbox(e) => e.code(),
            Error::Rights(e) => e.code(),
            Error::Install(e) => e.code(),
        }
    }

    /// Whether trying again later can help: the hub was unreachable, slow or busy.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Sync(e) if e.retryable())
    }

    /// Maps a JSON error to a typed one without keeping serde's message, which quotes input.
    pub(crate) fn from_json(what: DocKind, e: &serde_json::Error) -> Self {
        silbato_proto::Error::from_json(what, e).into()
    }
}

impl From<silbato_proto::Error> for Error {
    fn from(e: silbato_proto::Error) -> Self {
        use silbato_proto::Error as P;
        match e {
            P::Malformed { what, line, column } => Error::Malformed { what, line, column },
            P::Truncated { what } => Error::Truncated { what },
            P::TooLarge { what, limit } => Error::TooLarge { what, limit },
            P::UnsupportedFormat { what, found } => Error::UnsupportedFormat { what, found },
            P::UntrustedKey { what } => Error::UntrustedKey { what },
            P::BadSignature { what } => Error::BadSignature { what },
            P::Rollback {
                pack_id,
                installed,
                offered,
            } => Error::Rollback {
                pack_id,
                installed,
                offered,
            },
            P::InvalidContent(v) => Error::InvalidContent(v),
            P::Crypto => Error::Crypto,
            P::Encode => Error::Encode,
            P::Alert(e) => Error::Alert(e),
            P::Sighting(e) => Error::Sighting(e),
            P::Watchlist(e) => Error::Watchlist(e),
            P::Push(e) => Error::Push(e),
            P::Plate(e) => Error::Plate(e),
            P::Geo(e) => Error::Geo(e),
            P::Media(e) => Error::Media(e),
            P::Key(e) => Error::Key(e),
            P::Protocol(e) => Error::Protocol(e),
            P::Profile(e) => Error::Profile(e),
            P::Export(e) => Error::Export(e),
            P::Seal(e) => Error::Seal(e),
            P::Cap(e) => Error::Cap(e),
            P::Decrypt => Error::Decrypt,
        }
    }
}

impl From<silbato_store::StoreError> for Error {
    fn from(e: silbato_store::StoreError) -> Self {
        use silbato_store::StoreError as S;
        match e {
            S::SchemaTooNew {
                store,
                found,
                supported,
            } => Error::SchemaTooNew {
                store,
                found,
                supported,
            },
            S::Corrupt { store } => Error::Corrupt { store },
            S::Sqlite(e) => Error::Storage(e),
            S::Io(e) => Error::Io(e),
        }
    }
}

/// Why the vault refused an operation. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("a passphrase has at least 8 characters")]
    PassphraseTooShort,
    #[error("no platform key store")]
    NoPlatformKeyStore,
    #[error("retention is at least one day")]
    Retention,
    #[error("too many attachments")]
    TooManyAttachments,
    #[error("the amendment reason is too long")]
    AmendmentReasonTooLong,
    #[error("that id prefix matches more than one record")]
    AmbiguousPrefix,
    #[error("malformed attachment id")]
    AttachmentId,
    #[error("an amendment says why the record is corrected: give a reason")]
    AmendmentNeedsReason,
    #[error("the amendment changes no field of the record")]
    AmendmentChangesNothing,
    #[error(
        "the vault's key file (vault.keys) is missing but its log (vault.db) is here: restore the key file from a backup, or wipe the vault to start over"
    )]
    KeyFileMissing,
    #[error("the vault's chain has damaged or altered entries; verifying the vault names each")]
    ChainDamaged,
}

silbato_proto::error_codes!(VaultError {
    PassphraseTooShort => "vault.passphrase_too_short",
    NoPlatformKeyStore => "vault.no_platform_key_store",
    Retention => "vault.retention",
    TooManyAttachments => "vault.too_many_attachments",
    AmendmentReasonTooLong => "vault.amendment_reason_too_long",
    AmbiguousPrefix => "vault.ambiguous_prefix",
    AttachmentId => "vault.attachment_id",
    AmendmentNeedsReason => "vault.amendment_needs_reason",
    AmendmentChangesNothing => "vault.amendment_changes_nothing",
    KeyFileMissing => "vault.key_file_missing",
    ChainDamaged => "vault.chain_damaged",
});

/// Why the inbox refused a place or a region. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InboxError {
    #[error("a place label is 1 to 60 printable characters")]
    PlaceLabel,
    #[error("a place needs a valid latitude, longitude and a radius up to 500 km")]
    PlaceArea,
    #[error("a region code looks like US-IL-CHI")]
    RegionCode,
    #[error("several networks have an alert with this id; name the network")]
    AmbiguousAlert,
}

silbato_proto::error_codes!(InboxError {
    PlaceLabel => "inbox.place_label",
    PlaceArea => "inbox.place_area",
    RegionCode => "inbox.region_code",
    AmbiguousAlert => "inbox.ambiguous_alert",
});

/// Why the rights library refused a publisher or a pack. Each variant names the rule, never the
/// value; `known` lists only codes taken from installed content, never what the user typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RightsError {
    #[error("a publisher name is 1 to 100 printable characters")]
    PublisherName,
    #[error("pack version too large")]
    PackVersion,
    #[error(
        "only the bundled pack's publisher key, or a key confirmed by fingerprint for this pack, can replace the bundled pack"
    )]
    BundledPackOwner,
    #[error("the fingerprint does not match this key; do not trust it")]
    FingerprintMismatch,
    #[error("a pack id is 1 to 64 lowercase letters, digits and hyphens")]
    PackId,
    #[error("the pack file is for another pack id")]
    PackIdMismatch,
    #[error("unknown category; the categories are: {}", .known.join(", "))]
    UnknownCategory { known: Vec<String> },
    #[error("unknown region: no hotlines are listed for it; regions with hotlines: {}", .known.join(", "))]
    UnknownRegion { known: Vec<String> },
}

silbato_proto::error_codes!(RightsError {
    PublisherName => "rights.publisher_name",
    PackVersion => "rights.pack_version",
    BundledPackOwner => "rights.bundled_pack_owner",
    FingerprintMismatch => "rights.fingerprint_mismatch",
    PackId => "rights.pack_id",
    PackIdMismatch => "rights.pack_id_mismatch",
    UnknownCategory => "rights.unknown_category",
    UnknownRegion => "rights.unknown_region",
});

/// Why a network install was refused. Each variant names the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    #[error("this profile reuses the root or dispatcher keys of an installed network")]
    ReusedKeys,
    #[error("the fingerprint does not match this profile; do not install it")]
    FingerprintMismatch,
    #[error("the fingerprint does not match this network; it may be a forgery")]
    NotThisNetwork,
}

silbato_proto::error_codes!(InstallError {
    ReusedKeys => "network.reused_keys",
    FingerprintMismatch => "network.fingerprint_mismatch",
    NotThisNetwork => "network.not_this_network",
});

/// Why talking to a hub, or preparing what goes to it, failed. Messages are fixed text: never a
/// URL, a response body or a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("the HTTP client could not be built")]
    Client,
    #[error("the hub sent a response larger than allowed")]
    TooLarge,
    #[error("the hub sent an alerts page that is not valid")]
    BadAlertsPage,
    #[error("the hub sent a receipt that is not valid")]
    BadReceipt,
    #[error("the hub sent a response that is not valid")]
    BadResponse,
    #[error("the hub sent a reports page that is not valid")]
    BadReportsPage,
    #[error("the hub did not answer in time")]
    Timeout,
    #[error("the hub could not be reached")]
    Unreachable,
    #[error("the hub's response was cut off")]
    CutOff,
    #[error("the request to the hub failed")]
    RequestFailed,
    #[error("the hub is busy or failing; try later")]
    Busy,
    #[error("the hub refused: not authorised")]
    Unauthorized,
    #[error("the hub refused the request")]
    Refused,
    #[error("the hub rejected it: it does not meet the network's rules")]
    Rejected,
    #[error("the hub already has a different alert with this id")]
    Conflict,
    #[error("the hub refused: not signed by a dispatcher of this network")]
    NotADispatcher,
    #[error("the hub sent an alert that is not valid base64")]
    BadBase64,
    #[error("a hub URL has no query or fragment")]
    HubUrlQuery,
    #[error("the hub URL cannot take a path")]
    HubUrlPath,
    #[error("this network lists no dispatcher who can receive reports")]
    NoReportRecipients,
    #[error("this record is too large to report; shorten its notes")]
    ReportTooLarge,
    #[error("provider is webpush, fcm or apns")]
    UnknownPushProvider,
    #[error("the hub refused the alert: it has expired")]
    AlertExpired,
    #[error("the hub refused the alert: it is not signed for this hub's network")]
    AlertWrongNetwork,
    #[error(
        "the hub refused the alert: it has fewer dispatcher signatures than the network requires"
    )]
    AlertSignatures,
    #[error("the hub refused the alert: its regions or area lie outside the network's regions")]
    AlertOutsideRegions,
    #[error("this device has no push subscription")]
    NoPushSubscription,
}

silbato_proto::error_codes!(SyncError {
    Client => "sync.client",
    TooLarge => "sync.too_large",
    BadAlertsPage => "sync.bad_alerts_page",
    BadReceipt => "sync.bad_receipt",
    BadResponse => "sync.bad_response",
    BadReportsPage => "sync.bad_reports_page",
    Timeout => "sync.timeout",
    Unreachable => "sync.unreachable",
    CutOff => "sync.cut_off",
    RequestFailed => "sync.request_failed",
    Busy => "sync.busy",
    Unauthorized => "sync.unauthorized",
    Refused => "sync.refused",
    Rejected => "sync.rejected",
    Conflict => "sync.conflict",
    NotADispatcher => "sync.not_a_dispatcher",
    BadBase64 => "sync.bad_base64",
    HubUrlQuery => "sync.hub_url_query",
    HubUrlPath => "sync.hub_url_path",
    NoReportRecipients => "sync.no_report_recipients",
    ReportTooLarge => "sync.report_too_large",
    UnknownPushProvider => "sync.unknown_push_provider",
    AlertExpired => "sync.alert_expired",
    AlertWrongNetwork => "sync.alert_wrong_network",
    AlertSignatures => "sync.alert_signatures",
    AlertOutsideRegions => "sync.alert_outside_regions",
    NoPushSubscription => "sync.no_push_subscription",
});

impl SyncError {
    /// Whether trying again later can help (the hub was unreachable, slow or busy).
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            SyncError::BadReceipt
                | SyncError::Timeout
                | SyncError::Unreachable
                | SyncError::CutOff
                | SyncError::RequestFailed
                | SyncError::Busy
        )
    }
}

/// Why a platform key store call failed. Implementations must not put secrets in here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyStoreError {
    #[error("the platform key store is not available")]
    Unavailable,
    #[error("the platform key store refused the operation")]
    Refused,
    #[error("the platform key store has no key under that label")]
    NotFound,
}

silbato_proto::error_codes!(KeyStoreError {
    Unavailable => "keys.store_unavailable",
    Refused => "keys.store_refused",
    NotFound => "keys.store_not_found",
});
