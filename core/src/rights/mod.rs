//! The know-your-rights library: installed content packs in `rights.db`, the trusted publishers,
//! the cards in every language, hotlines, and search.
//!
//! This module owns what may enter `rights.db` (the bundled pack, or a pack whose signature by a
//! trusted publisher verified and whose version is newer) and how cards are shown in a language.
//! The bundled pack's id belongs to its owner: only the bundled publisher's key (compiled in) or a
//! key the user confirmed for that pack id by fingerprint replaces it — judged by key, never by
//! the publisher name a pack declares.
//! Everything here is public content; it must still never take a pack that did not verify, and
//! never let a damaged `rights.db` stop a resident from reading a card: it rebuilds instead.

mod bundled;
pub use silbato_proto::pack;
mod search;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use silbato_content::{Block, Labels, PackPayload, parse_markdown, plain_text};
use unicode_normalization::UnicodeNormalization;

use crate::crypto::{PublicKey, sha256_hex};
use crate::error::{DocKind, Error, Result};
use crate::store::{Store, StoreSpec};

pub use pack::{MAX_PACK_BYTES, PACK_KIND, VerifiedPack, inspect_pack, open_pack, sign_pack};
pub use search::{SearchHit, SearchOptions, SnippetPart};

pub use crate::error::RightsError;

pub const RIGHTS_DB: &str = "rights.db";
/// The language every card falls back to.
pub const FALLBACK_LANG: &str = "en";

pub(crate) const SPEC: StoreSpec = StoreSpec {
    name: "rights",
    migrations: silbato_store::migrations!("rights": 1 => "001_init", 2 => "002_pack_owners"),
    full_sync: false,
    secure_delete: false,
    check_on_open: true,
};

/// The public key of the bundled pack's publisher, set when the app is built
/// (`SILBATO_BUNDLED_OWNER_KEY=ed25519:...`): packs it signs may replace the bundled pack. A build
/// without it (or with a malformed value) lets only keys confirmed by the user replace it.
const BUNDLED_OWNER_KEY: Option<&str> = option_env!("SILBATO_BUNDLED_OWNER_KEY");

/// The bundled publisher's key compiled into this build, if any.
pub fn compiled_bundled_owner() -> Option<PublicKey> {
    BUNDLED_OWNER_KEY.and_then(|k| PublicKey::parse(k.trim()).ok())
}

/// `[a-z0-9][a-z0-9-]*`, at most 64 bytes: the form of a pack id.
fn valid_pack_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What opening the library had to do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OpenReport {
    /// `rights.db` was corrupt or unreadable and was rebuilt from the bundled pack; packs installed
    /// later and trusted publishers were lost with it and come back with the next sync.
    pub rebuilt: bool,
    /// The bundled pack's version, when this open installed it (first launch or app update).
    pub bundled_installed: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CardSummary {
    pub pack_id: String,
    pub id: String,
    pub category: String,
    pub category_name: String,
    /// The language of `title` and `summary`.
    pub lang: String,
    /// True when the card has no text in the requested language.
    pub fallback: bool,
    pub title: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    pub id: String,
    pub title: String,
    pub publisher: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    pub pack_id: String,
    pub id: String,
    pub category: String,
    pub category_name: String,
    pub lang: String,
    pub fallback: bool,
    /// Every language this card is available in.
    pub languages: Vec<String>,
    pub title: String,
    pub summary: String,
    pub body: Vec<Block>,
    pub body_markdown: String,
    pub say: Vec<String>,
    pub show_agent: String,
    pub tags: Vec<String>,
    pub last_reviewed: NaiveDate,
    pub sources: Vec<SourceView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HotlineView {
    pub pack_id: String,
    pub region: String,
    pub name: String,
    pub number: String,
    pub hours: Option<String>,
    pub languages: Vec<String>,
    pub source: Option<SourceView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackInfo {
    pub pack_id: String,
    pub publisher: String,
    pub version: u64,
    pub issued: String,
    pub bundled: bool,
    pub signer: Option<String>,
    pub signer_fingerprint: Option<String>,
    pub payload_sha256: String,
    pub installed_at: i64,
    pub cards: u64,
    pub languages: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Publisher {
    pub public_key: String,
    pub fingerprint: String,
    pub name: String,
    pub added_at: i64,
}

/// A key the user confirmed, by fingerprint, as an owner of one pack id.
#[derive(Debug, Clone, Serialize)]
pub struct PackOwner {
    pub pack_id: String,
    pub public_key: String,
    pub fingerprint: String,
    pub added_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LanguageInfo {
    pub code: String,
    pub name: String,
    pub complete: bool,
    pub disclaimer: String,
    pub labels: Labels,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    pub id: String,
    pub name: String,
    pub cards: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    pub pack_id: String,
    pub version: u64,
    pub previous_version: Option<u64>,
    pub cards: usize,
    pub signer: String,
}

/// The know-your-rights library over `rights.db`.
#[derive(Debug)]
pub struct RightsLibrary {
    store: Store,
    /// The bundled pack's id in this build.
    bundled_id: String,
    /// The bundled publisher's key: the one key besides those confirmed for the bundled pack id
    /// that may replace the bundled pack.
    bundled_owner: Option<PublicKey>,
}

fn remove_db_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(PathBuf::from(p)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| Error::Encode)
}

fn from_json<T: for<'de> serde::Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| Error::Corrupt { store: SPEC.name })
}

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// The name of a category in the first language of `langs` it has, else English, else its id.
fn localized(names: &BTreeMap<String, String>, langs: &[String], fallback: &str) -> String {
    langs
        .iter()
        .find_map(|l| names.get(l))
        .or_else(|| names.get(FALLBACK_LANG))
        .cloned()
        .unwrap_or_else(|| fallback.to_owned())
}

/// A language chain as the `?1` of [`PICK_LANG_SQL`]: `,es,en,` (English always last).
fn chain_param(langs: &[String]) -> String {
    let mut out = String::from(",");
    for l in langs.iter().map(String::as_str).chain([FALLBACK_LANG]) {
        out.push_str(l);
        out.push(',');
    }
    out
}

/// A single language as a chain (it, then English).
fn one_lang(lang: &str) -> Vec<String> {
    vec![lang.to_owned()]
}

/// Orders a card's translations: by position in the chain `?1` (see [`chain_param`]), then
/// English, then the rest: per card, the best language that card has.
const PICK_LANG_SQL: &str = "(SELECT x.lang FROM card_texts x
      WHERE x.pack_id = c.pack_id AND x.card_id = c.id
      ORDER BY CASE WHEN instr(?1, ',' || x.lang || ',') > 0 THEN instr(?1, ',' || x.lang || ',') ELSE 1000000000 END,
               x.lang = 'en' DESC, x.lang LIMIT 1)";

impl RightsLibrary {
    /// Opens `rights.db` in `data_dir`, creating it and installing the bundled pack on first
    /// launch, upgrading the bundled pack after an app update, and rebuilding a damaged file.
    pub fn open(data_dir: &Path) -> Result<(RightsLibrary, OpenReport)> {
        Self::open_with_bundled_owner(data_dir, compiled_bundled_owner())
    }

    /// As [`RightsLibrary::open`], with `bundled_owner` as the bundled publisher's key instead of
    /// the one compiled in (for tests, and builds that configure it at run time).
    pub fn open_with_bundled_owner(
        data_dir: &Path,
        bundled_owner: Option<PublicKey>,
    ) -> Result<(RightsLibrary, OpenReport)> {
        crate::files::private_dir(data_dir)?;
        let path = data_dir.join(RIGHTS_DB);
        let mut report = OpenReport::default();
        let store = match Store::open(&path, SPEC) {
            Ok(store) => store,
            Err(Error::Corrupt { .. } | Error::SchemaTooNew { .. }) => {
                // Public content only: rebuilding loses nothing that cannot be fetched again.
                remove_db_files(&path)?;
                report.rebuilt = true;
                Store::open(&path, SPEC)?
            }
            Err(e) => return Err(e),
        };
        let bundled_id = pack::parse_payload(bundled::BUNDLED_PACK)?.pack_id;
        let lib = RightsLibrary {
            store,
            bundled_id,
            bundled_owner,
        };
        report.bundled_installed = lib.install_bundled()?;
        Ok((lib, report))
    }

    /// Installs the compiled-in pack unless the same or a newer version from its owner is already
    /// there. A pack under the bundled id signed by anyone else (installed by an older build,
    /// which let a publisher's self-declared name decide) is replaced by the bundled one.
    fn install_bundled(&self) -> Result<Option<u64>> {
        let payload = pack::parse_payload(bundled::BUNDLED_PACK)?;
        let digest = sha256_hex(bundled::BUNDLED_PACK);
        self.store.write(|tx| {
            let confirmed = pack_owner_keys(tx, &payload.pack_id)?;
            let keep = match installed_pack(tx, &payload.pack_id)? {
                Some(p) if p.version >= payload.version => match p.signer {
                    None => true,
                    Some(k) => Some(k) == self.bundled_owner || confirmed.contains(&k),
                },
                _ => false,
            };
            if keep {
                return Ok(None);
            }
            replace_pack(tx, &payload, None, &digest)?;
            Ok(Some(payload.version))
        })
    }

    /// For the panic wipe: forgets every pack but the bundled one, every trusted publisher and
    /// every confirmed pack owner (their names and keys identify the person's networks), then
    /// installs the bundled cards again, so a resident can still read them. SQLite's
    /// `secure_delete` zeroes the deleted rows, and a `VACUUM` and a truncating checkpoint leave no
    /// old page in the file or its WAL.
    pub fn forget_all_but_bundled(&self) -> Result<()> {
        self.store
            .with_writer(|c| Ok(c.execute_batch("PRAGMA secure_delete = ON")?))?;
        let payload = pack::parse_payload(bundled::BUNDLED_PACK)?;
        let digest = sha256_hex(bundled::BUNDLED_PACK);
        self.store.write(|tx| {
            tx.execute_batch(
                "DELETE FROM card_fts; DELETE FROM card_texts; DELETE FROM packs;
                 DELETE FROM publishers; DELETE FROM pack_owners;",
            )?;
            replace_pack(tx, &payload, None, &digest)
        })?;
        self.store
            .with_writer(|c| Ok(c.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?))?;
        Ok(())
    }

    /// The payload compiled into this build.
    pub fn bundled_pack() -> Result<PackPayload> {
        Ok(pack::parse_payload(bundled::BUNDLED_PACK)?)
    }

    /// Verifies and installs a pack file, atomically. Refused, with the installed content left
    /// intact: a malformed or truncated file, a bad signature, a signer that is not a trusted
    /// publisher, an invalid payload, a version not newer than the installed one, and a pack
    /// with the bundled pack's id not signed by the bundled publisher's key or a key confirmed
    /// for that id ([`RightsError::BundledPackOwner`]).
    pub fn install_pack(&self, bytes: &[u8]) -> Result<InstallReport> {
        self.install_pack_trusting(bytes, &HashSet::new())
    }

    /// As [`RightsLibrary::install_pack`], also trusting `extra` keys: the publisher keys of the
    /// installed network profiles.
    pub fn install_pack_trusting(
        &self,
        bytes: &[u8],
        extra: &HashSet<PublicKey>,
    ) -> Result<InstallReport> {
        self.store.write(|tx| {
            let mut trusted = trusted_keys(tx)?;
            trusted.extend(extra.iter().copied());
            // Keys confirmed for some pack id, and the bundled publisher's, may sign; which pack
            // each may replace is decided below, once the pack id is known.
            let confirmed_any = all_pack_owner_keys(tx)?;
            let verified = open_pack(bytes, |k| {
                trusted.contains(k) || confirmed_any.contains(k) || Some(*k) == self.bundled_owner
            })?;
            let payload = &verified.payload;
            let confirmed = pack_owner_keys(tx, &payload.pack_id)?;
            let installed = installed_pack(tx, &payload.pack_id)?;
            let previous = installed.as_ref().map(|p| p.version);
            let may_sign = |k: &PublicKey| trusted.contains(k) || confirmed.contains(k);
            // A version not newer is refused first, as before: sync offers every hub's copy of
            // each installed pack, and the same version again is "nothing to do", not an error.
            if let Some(p) = &installed
                && payload.version <= p.version
            {
                return Err(Error::Rollback {
                    pack_id: payload.pack_id.clone(),
                    installed: p.version,
                    offered: payload.version,
                });
            }
            // Who owns the pack id, by key only: the name a pack declares is the publisher's own
            // claim and proves nothing.
            let signer = if payload.pack_id == self.bundled_id {
                // The bundled pack: its publisher's key or a key the user confirmed for it —
                // never any other trusted publisher, by hand or through a network profile.
                verified
                    .signers
                    .iter()
                    .find(|k| Some(**k) == self.bundled_owner || confirmed.contains(k))
                    .copied()
                    .ok_or(Error::from(RightsError::BundledPackOwner))?
            } else {
                // An update comes from whoever owns the pack: the key that signed the installed
                // version, or a key confirmed for the id. Otherwise any trusted network could
                // replace another's content by bumping the version.
                match &installed {
                    None => verified.signers.iter().find(|k| may_sign(k)).copied(),
                    Some(p) => verified
                        .signers
                        .iter()
                        .find(|k| {
                            confirmed.contains(k)
                                || (p.signer.as_ref() == Some(*k) && trusted.contains(k))
                        })
                        .copied(),
                }
                .ok_or(Error::UntrustedKey {
                    what: DocKind::Pack,
                })?
            };
            replace_pack(tx, payload, Some(&signer), &verified.payload_sha256)?;
            Ok(InstallReport {
                pack_id: payload.pack_id.clone(),
                version: payload.version,
                previous_version: previous,
                cards: payload.cards.len(),
                signer: signer.to_string(),
            })
        })
    }

    pub fn packs(&self) -> Result<Vec<PackInfo>> {
        self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT p.pack_id, p.publisher, p.version, p.issued, p.bundled, p.signer,
                        p.payload_sha256, p.installed_at,
                        (SELECT count(*) FROM cards WHERE pack_id = p.pack_id),
                        (SELECT group_concat(code, ',') FROM languages WHERE pack_id = p.pack_id)
                 FROM packs p ORDER BY p.bundled DESC, p.pack_id",
            )?;
            let rows = stmt.query_map([], |r| {
                let signer: Option<String> = r.get(5)?;
                let langs: Option<String> = r.get(9)?;
                Ok(PackInfo {
                    pack_id: r.get(0)?,
                    publisher: r.get(1)?,
                    version: r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                    issued: r.get(3)?,
                    bundled: r.get(4)?,
                    signer_fingerprint: signer
                        .as_deref()
                        .and_then(|s| PublicKey::parse(s).ok())
                        .map(|k| k.fingerprint()),
                    signer,
                    payload_sha256: r.get(6)?,
                    installed_at: r.get(7)?,
                    cards: r.get::<_, i64>(8)?.try_into().unwrap_or(0),
                    languages: langs
                        .map(|l| l.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Trusts `key` to sign packs (and, later, watch-lists), under a name shown to the user.
    pub fn add_publisher(&self, key: &PublicKey, name: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(Error::from(RightsError::PublisherName));
        }
        self.store.write(|tx| {
            tx.execute(
                "INSERT INTO publishers (public_key, name, added_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (public_key) DO UPDATE SET name = excluded.name",
                params![key.to_string(), name, Utc::now().timestamp()],
            )?;
            Ok(())
        })
    }

    /// Confirms `key` as an owner of `pack_id`: its packs may replace that pack, including the
    /// bundled one. `fingerprint` is what the user compared out of band (spaces and case do not
    /// matter); it must be the key's, so a pasted key that is not the one read aloud is refused.
    pub fn confirm_pack_owner(
        &self,
        key: &PublicKey,
        pack_id: &str,
        fingerprint: &str,
    ) -> Result<()> {
        if !valid_pack_id(pack_id) {
            return Err(RightsError::PackId.into());
        }
        let typed = silbato_proto::network::normalize_fingerprint(fingerprint);
        if typed.is_empty()
            || typed != silbato_proto::network::normalize_fingerprint(&key.fingerprint())
        {
            return Err(RightsError::FingerprintMismatch.into());
        }
        self.store.write(|tx| {
            tx.execute(
                "INSERT INTO pack_owners (pack_id, public_key, added_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (pack_id, public_key) DO NOTHING",
                params![pack_id, key.to_string(), Utc::now().timestamp()],
            )?;
            Ok(())
        })
    }

    /// The keys confirmed as owners of a pack id.
    pub fn pack_owners(&self) -> Result<Vec<PackOwner>> {
        self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT pack_id, public_key, added_at FROM pack_owners ORDER BY pack_id, public_key",
            )?;
            let rows = stmt.query_map([], |r| {
                let key: String = r.get(1)?;
                Ok(PackOwner {
                    pack_id: r.get(0)?,
                    fingerprint: PublicKey::parse(&key)
                        .map(|k| k.fingerprint())
                        .unwrap_or_default(),
                    public_key: key,
                    added_at: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The bundled pack's id in this build.
    pub fn bundled_pack_id(&self) -> &str {
        &self.bundled_id
    }

    /// Stops trusting `key` for new packs. Packs it signed stay installed.
    pub fn remove_publisher(&self, key: &PublicKey) -> Result<()> {
        let n = self.store.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM publishers WHERE public_key = ?1",
                [key.to_string()],
            )?)
        })?;
        if n == 0 {
            Err(Error::NotFound {
                what: crate::error::Missing::Publisher,
            })
        } else {
            Ok(())
        }
    }

    pub fn publishers(&self) -> Result<Vec<Publisher>> {
        self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT public_key, name, added_at FROM publishers ORDER BY name, public_key",
            )?;
            let rows = stmt.query_map([], |r| {
                let key: String = r.get(0)?;
                Ok(Publisher {
                    fingerprint: PublicKey::parse(&key)
                        .map(|k| k.fingerprint())
                        .unwrap_or_default(),
                    public_key: key,
                    name: r.get(1)?,
                    added_at: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Every language any installed pack carries, the bundled pack's first.
    pub fn languages(&self) -> Result<Vec<LanguageInfo>> {
        self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT l.code, l.name, l.complete, l.disclaimer, l.labels
                 FROM languages l JOIN packs p ON p.pack_id = l.pack_id
                 ORDER BY p.bundled DESC, l.rowid",
            )?;
            let mut rows = stmt.query([])?;
            let mut out: Vec<LanguageInfo> = Vec::new();
            while let Some(r) = rows.next()? {
                let code: String = r.get(0)?;
                if out.iter().any(|l| l.code == code) {
                    continue;
                }
                out.push(LanguageInfo {
                    code,
                    name: r.get(1)?,
                    complete: r.get(2)?,
                    disclaimer: r.get(3)?,
                    labels: from_json(&r.get::<_, String>(4)?)?,
                });
            }
            Ok(out)
        })
    }

    /// The interface words and disclaimer for `lang`, or English's when it has none.
    pub fn language(&self, lang: &str) -> Result<LanguageInfo> {
        self.language_in(&one_lang(lang))
    }

    /// The codes of every language any installed pack carries: what [`crate::lang::negotiate`]
    /// chooses among.
    pub fn language_codes(&self) -> Result<Vec<String>> {
        Ok(self.languages()?.into_iter().map(|l| l.code).collect())
    }

    /// The interface words and disclaimer for the first language of `langs` a pack has, or
    /// English's when none has any.
    pub fn language_in(&self, langs: &[String]) -> Result<LanguageInfo> {
        let all = self.languages()?;
        let pick = langs
            .iter()
            .find_map(|lang| all.iter().position(|l| &l.code == lang))
            .or_else(|| all.iter().position(|l| l.code == FALLBACK_LANG))
            .or(if all.is_empty() { None } else { Some(0) });
        pick.and_then(|i| all.into_iter().nth(i))
            .ok_or(Error::NotFound {
                what: crate::error::Missing::Language,
            })
    }

    pub fn categories(&self, lang: &str) -> Result<Vec<CategoryView>> {
        self.categories_in(&one_lang(lang))
    }

    /// As [`RightsLibrary::categories`], named in the first language of `langs` each has.
    pub fn categories_in(&self, langs: &[String]) -> Result<Vec<CategoryView>> {
        self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT cat.id, cat.names, (SELECT count(*) FROM cards WHERE pack_id = cat.pack_id AND category = cat.id)
                 FROM categories cat ORDER BY cat.ord, cat.id",
            )?;
            let mut rows = stmt.query([])?;
            let mut out: Vec<CategoryView> = Vec::new();
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let names: BTreeMap<String, String> = from_json(&r.get::<_, String>(1)?)?;
                let cards: u64 = r.get::<_, i64>(2)?.try_into().unwrap_or(0);
                match out.iter_mut().find(|c| c.id == id) {
                    Some(existing) => existing.cards += cards,
                    None => out.push(CategoryView { name: localized(&names, langs, &id), id, cards }),
                }
            }
            Ok(out)
        })
    }

    /// Every card, in `lang` where translated (else English), optionally in one category. A
    /// category no installed pack has is [`RightsError::UnknownCategory`], listing the known ones,
    /// not an empty list.
    pub fn list_cards(&self, lang: &str, category: Option<&str>) -> Result<Vec<CardSummary>> {
        self.list_cards_in(&one_lang(lang), category)
    }

    /// As [`RightsLibrary::list_cards`], each card in the first language of the chain `langs`
    /// (see [`crate::lang::negotiate`]) that card has, else English. `fallback` marks a card not
    /// in the chain's first language.
    pub fn list_cards_in(
        &self,
        langs: &[String],
        category: Option<&str>,
    ) -> Result<Vec<CardSummary>> {
        let wanted = langs.first().map_or(FALLBACK_LANG, String::as_str);
        let chain = chain_param(langs);
        let category = category.map(|c| c.trim().to_ascii_lowercase());
        let category = category.as_deref();
        self.store.read(|c| {
            if let Some(cat) = category {
                check_category(c, cat)?;
            }
            let sql = format!(
                "SELECT c.pack_id, c.id, c.category, cat.names, t.lang, t.title, t.summary
                 FROM cards c
                 JOIN card_texts t ON t.pack_id = c.pack_id AND t.card_id = c.id AND t.lang = {PICK_LANG_SQL}
                 LEFT JOIN categories cat ON cat.pack_id = c.pack_id AND cat.id = c.category
                 WHERE ?2 IS NULL OR c.category = ?2
                 ORDER BY cat.ord, c.ord, c.id, c.pack_id"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let mut rows = stmt.query(params![chain, category])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let category: String = r.get(2)?;
                let names: Option<String> = r.get(3)?;
                let names: BTreeMap<String, String> = names.map(|n| from_json(&n)).transpose()?.unwrap_or_default();
                let text_lang: String = r.get(4)?;
                out.push(CardSummary {
                    pack_id: r.get(0)?,
                    id: r.get(1)?,
                    category_name: localized(&names, langs, &category),
                    category,
                    fallback: text_lang != wanted,
                    lang: text_lang,
                    title: r.get(5)?,
                    summary: r.get(6)?,
                });
            }
            Ok(out)
        })
    }

    /// One card in `lang` (English, or another translation, when `lang` has none). `id` is a
    /// card id, or `pack/card` to pick among packs that share an id.
    pub fn card(&self, id: &str, lang: &str) -> Result<CardView> {
        self.card_in(id, &one_lang(lang))
    }

    /// As [`RightsLibrary::card`], in the first language of the chain `langs` the card has.
    pub fn card_in(&self, id: &str, langs: &[String]) -> Result<CardView> {
        let chain = chain_param(langs);
        let (pack_filter, card_id) = match id.split_once('/') {
            Some((p, c)) => (Some(p), c),
            None => (None, id),
        };
        self.store.read(|c| {
            let sql = format!(
                "SELECT c.pack_id, c.id, c.category, cat.names, c.tags, c.last_reviewed, c.sources,
                        t.lang, t.title, t.summary, t.body, t.say, t.show_agent
                 FROM cards c
                 JOIN packs p ON p.pack_id = c.pack_id
                 JOIN card_texts t ON t.pack_id = c.pack_id AND t.card_id = c.id AND t.lang = {PICK_LANG_SQL}
                 LEFT JOIN categories cat ON cat.pack_id = c.pack_id AND cat.id = c.category
                 WHERE c.id = ?2 AND (?3 IS NULL OR c.pack_id = ?3)
                 ORDER BY p.bundled, p.installed_at DESC
                 LIMIT 1"
            );
            let row = c
                .query_row(&sql, params![chain, card_id, pack_filter], RawCard::from_row)
                .optional()?
                .ok_or(Error::NotFound { what: crate::error::Missing::Card })?;
            row.into_view(c, langs)
        })
    }

    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<Vec<SearchHit>> {
        let chain = opts.lang.as_deref().map(one_lang);
        self.store
            .read(|c| search::search(c, query, chain.as_deref(), opts.limit, None))
    }

    /// Searches the cards as the person reads them: each card only in the first language of the
    /// chain `langs` (see [`crate::lang::negotiate`]) that card has, else English; optionally
    /// only in `category` (unknown: [`RightsError::UnknownCategory`]). When nothing matches in
    /// those, every translation is searched, so words of another language still find cards
    /// (each hit carries its `lang`).
    pub fn search_in(
        &self,
        query: &str,
        langs: &[String],
        limit: usize,
        category: Option<&str>,
    ) -> Result<Vec<SearchHit>> {
        let category = category.map(|c| c.trim().to_ascii_lowercase());
        self.store.read(|c| {
            if let Some(cat) = &category {
                check_category(c, cat)?;
            }
            let hits = search::search(c, query, Some(langs), limit, category.as_deref())?;
            if !hits.is_empty() {
                return Ok(hits);
            }
            // Words of another language (an English reader typing "abogado") still find cards.
            search::search(c, query, None, limit, category.as_deref())
        })
    }

    /// As [`RightsLibrary::search`], only among cards of `category`; a category no installed
    /// pack has is [`RightsError::UnknownCategory`], not an empty list.
    pub fn search_in_category(
        &self,
        query: &str,
        opts: &SearchOptions,
        category: &str,
    ) -> Result<Vec<SearchHit>> {
        let category = category.trim().to_ascii_lowercase();
        self.store.read(|c| {
            check_category(c, &category)?;
            let chain = opts.lang.as_deref().map(one_lang);
            search::search(c, query, chain.as_deref(), opts.limit, Some(&category))
        })
    }

    /// Hotlines for `region` (a code like `US-IL`): its own, its parents' (national) and its
    /// sub-regions', most specific first. `None`: all of them. A region with none of these is
    /// [`RightsError::UnknownRegion`], listing the regions that have hotlines.
    pub fn hotlines(&self, region: Option<&str>) -> Result<Vec<HotlineView>> {
        let region = region.map(|r| r.trim().to_ascii_uppercase());
        let all = self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT h.pack_id, h.region, h.name, h.number, h.hours, h.languages,
                        s.id, s.title, s.publisher, s.url
                 FROM hotlines h
                 LEFT JOIN sources s ON s.pack_id = h.pack_id AND s.id = h.source
                 ORDER BY h.region, h.ord",
            )?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let source_id: Option<String> = r.get(6)?;
                out.push(HotlineView {
                    pack_id: r.get(0)?,
                    region: r.get(1)?,
                    name: r.get(2)?,
                    number: r.get(3)?,
                    hours: r.get(4)?,
                    languages: from_json(&r.get::<_, String>(5)?)?,
                    source: match source_id {
                        Some(id) => Some(SourceView {
                            id,
                            title: r.get(7)?,
                            publisher: r.get(8)?,
                            url: r.get(9)?,
                        }),
                        None => None,
                    },
                });
            }
            Ok(out)
        })?;
        let Some(region) = region else { return Ok(all) };
        let related = |h: &str| {
            h == region
                || region.starts_with(&format!("{h}-"))
                || h.starts_with(&format!("{region}-"))
        };
        if !all.iter().any(|h| related(&h.region)) {
            // Not "no results": say the region is unknown here, and which ones are known.
            let known: std::collections::BTreeSet<String> =
                all.into_iter().map(|h| h.region).collect();
            return Err(RightsError::UnknownRegion {
                known: known.into_iter().collect(),
            }
            .into());
        }
        let mut picked: Vec<HotlineView> = all.into_iter().filter(|h| related(&h.region)).collect();
        // Most specific first: the region itself, then its sub-regions, then its parents.
        picked.sort_by_key(|h| {
            let own = h.region == region;
            let child = h.region.starts_with(&region);
            (!own, !child, std::cmp::Reverse(h.region.len()))
        });
        Ok(picked)
    }

    /// The store underneath, for tests and benchmarks that inspect it.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

struct RawCard {
    pack_id: String,
    id: String,
    category: String,
    category_names: Option<String>,
    tags: String,
    last_reviewed: String,
    sources: String,
    lang: String,
    title: String,
    summary: String,
    body: String,
    say: String,
    show_agent: String,
}

impl RawCard {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawCard {
            pack_id: r.get(0)?,
            id: r.get(1)?,
            category: r.get(2)?,
            category_names: r.get(3)?,
            tags: r.get(4)?,
            last_reviewed: r.get(5)?,
            sources: r.get(6)?,
            lang: r.get(7)?,
            title: r.get(8)?,
            summary: r.get(9)?,
            body: r.get(10)?,
            say: r.get(11)?,
            show_agent: r.get(12)?,
        })
    }

    fn into_view(self, c: &Connection, langs: &[String]) -> Result<CardView> {
        let names: BTreeMap<String, String> = self
            .category_names
            .as_deref()
            .map(from_json)
            .transpose()?
            .unwrap_or_default();
        let source_ids: Vec<String> = from_json(&self.sources)?;
        let mut stmt = c.prepare_cached(
            "SELECT title, publisher, url FROM sources WHERE pack_id = ?1 AND id = ?2",
        )?;
        let mut sources = Vec::new();
        for id in source_ids {
            if let Some((title, publisher, url)) = stmt
                .query_row(params![self.pack_id, id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?
            {
                sources.push(SourceView {
                    id,
                    title,
                    publisher,
                    url,
                });
            }
        }
        let mut lang_stmt = c.prepare_cached(
            "SELECT lang FROM card_texts WHERE pack_id = ?1 AND card_id = ?2 ORDER BY lang",
        )?;
        let languages = lang_stmt
            .query_map(params![self.pack_id, self.id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(CardView {
            category_name: localized(&names, langs, &self.category),
            fallback: langs.first().map_or(FALLBACK_LANG, String::as_str) != self.lang,
            body: parse_markdown(&self.body),
            body_markdown: self.body,
            say: from_json(&self.say)?,
            tags: from_json(&self.tags)?,
            last_reviewed: self
                .last_reviewed
                .parse()
                .map_err(|_| Error::Corrupt { store: SPEC.name })?,
            pack_id: self.pack_id,
            id: self.id,
            category: self.category,
            lang: self.lang,
            languages,
            title: self.title,
            summary: self.summary,
            show_agent: self.show_agent,
            sources,
        })
    }
}

struct Installed {
    version: u64,
    signer: Option<PublicKey>,
}

fn installed_pack(c: &Connection, pack_id: &str) -> Result<Option<Installed>> {
    let row: Option<(i64, Option<String>)> = c
        .query_row(
            "SELECT version, signer FROM packs WHERE pack_id = ?1",
            [pack_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(version, signer)| {
        Ok(Installed {
            version: u64::try_from(version).unwrap_or(0),
            signer: signer
                .map(|s| PublicKey::parse(&s))
                .transpose()
                .map_err(|_| Error::Corrupt { store: SPEC.name })?,
        })
    })
    .transpose()
}

/// [`RightsError::UnknownCategory`] unless an installed pack has category `cat`.
fn check_category(c: &Connection, cat: &str) -> Result<()> {
    let known: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM categories WHERE id = ?1)
             OR EXISTS (SELECT 1 FROM cards WHERE category = ?1)",
        [cat],
        |r| r.get(0),
    )?;
    if known {
        return Ok(());
    }
    let mut stmt =
        c.prepare_cached("SELECT id FROM categories UNION SELECT category FROM cards ORDER BY 1")?;
    let known = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Err(RightsError::UnknownCategory { known }.into())
}

fn parsed_keys(keys: &[String]) -> HashSet<PublicKey> {
    // A row that does not parse cannot match any signer, so it is skipped, not trusted.
    keys.iter()
        .filter_map(|k| PublicKey::parse(k).ok())
        .collect()
}

/// The keys confirmed for `pack_id`.
fn pack_owner_keys(c: &Connection, pack_id: &str) -> Result<HashSet<PublicKey>> {
    let mut stmt = c.prepare_cached("SELECT public_key FROM pack_owners WHERE pack_id = ?1")?;
    let keys = stmt
        .query_map([pack_id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(parsed_keys(&keys))
}

/// The keys confirmed for any pack id.
fn all_pack_owner_keys(c: &Connection) -> Result<HashSet<PublicKey>> {
    let mut stmt = c.prepare_cached("SELECT DISTINCT public_key FROM pack_owners")?;
    let keys = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(parsed_keys(&keys))
}

fn trusted_keys(c: &Connection) -> Result<HashSet<PublicKey>> {
    let mut stmt = c.prepare_cached("SELECT public_key FROM publishers")?;
    let keys = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // A row that does not parse cannot match any signer, so it is skipped, not trusted.
    Ok(keys
        .iter()
        .filter_map(|k| PublicKey::parse(k).ok())
        .collect())
}

/// Replaces everything of `payload.pack_id` with `payload`, inside the caller's transaction.
fn replace_pack(
    tx: &Transaction<'_>,
    payload: &PackPayload,
    signer: Option<&PublicKey>,
    digest: &str,
) -> Result<()> {
    let pid = &payload.pack_id;
    tx.execute(
        "DELETE FROM card_fts WHERE rowid IN (SELECT rowid FROM card_texts WHERE pack_id = ?1)",
        [pid],
    )?;
    tx.execute("DELETE FROM card_texts WHERE pack_id = ?1", [pid])?;
    tx.execute("DELETE FROM packs WHERE pack_id = ?1", [pid])?;
    tx.execute(
        "INSERT INTO packs (pack_id, publisher, version, issued, bundled, signer, payload_sha256, installed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            pid,
            payload.publisher,
            i64::try_from(payload.version).map_err(|_| Error::from(RightsError::PackVersion))?,
            payload.issued.to_string(),
            signer.is_none(),
            signer.map(ToString::to_string),
            digest,
            Utc::now().timestamp(),
        ],
    )?;
    let mut lang_stmt = tx.prepare_cached(
        "INSERT INTO languages (pack_id, code, name, complete, disclaimer, labels) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for l in &payload.languages {
        lang_stmt.execute(params![
            pid,
            l.code,
            nfc(&l.name),
            l.complete,
            nfc(&l.disclaimer),
            json(&l.labels)?
        ])?;
    }
    let mut cat_stmt = tx.prepare_cached(
        "INSERT INTO categories (pack_id, id, ord, names) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for cat in &payload.categories {
        cat_stmt.execute(params![pid, cat.id, cat.order, json(&cat.names)?])?;
    }
    let mut src_stmt = tx.prepare_cached(
        "INSERT INTO sources (pack_id, id, title, publisher, url) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for s in &payload.sources {
        src_stmt.execute(params![pid, s.id, nfc(&s.title), nfc(&s.publisher), s.url])?;
    }
    let mut card_stmt = tx.prepare_cached(
        "INSERT INTO cards (pack_id, id, category, ord, tags, last_reviewed, sources) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut text_stmt = tx.prepare_cached(
        "INSERT INTO card_texts (pack_id, card_id, lang, title, summary, body, say, show_agent, card_langs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut fts_stmt = tx.prepare_cached(
        "INSERT INTO card_fts (rowid, title, summary, body, say, show_agent, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for card in &payload.cards {
        let tags: Vec<String> = card.tags.iter().map(|t| nfc(t)).collect();
        card_stmt.execute(params![
            pid,
            card.id,
            card.category,
            card.order,
            json(&tags)?,
            card.last_reviewed.to_string(),
            json(&card.sources)?
        ])?;
        let card_langs = format!(
            ",{},",
            card.texts.keys().cloned().collect::<Vec<_>>().join(",")
        );
        for (code, t) in &card.texts {
            let say: Vec<String> = t.say.iter().map(|s| nfc(s)).collect();
            let body = nfc(&t.body);
            text_stmt.execute(params![
                pid,
                card.id,
                code,
                nfc(&t.title),
                nfc(&t.summary),
                body,
                json(&say)?,
                nfc(&t.show_agent),
                card_langs
            ])?;
            let rowid = tx.last_insert_rowid();
            fts_stmt.execute(params![
                rowid,
                nfc(&t.title),
                nfc(&t.summary),
                plain_text(&parse_markdown(&body)),
                say.join("\n"),
                nfc(&t.show_agent),
                tags.join(" ")
            ])?;
        }
    }
    let mut hot_stmt = tx.prepare_cached(
        "INSERT INTO hotlines (pack_id, ord, region, name, number, hours, languages, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (i, h) in payload.hotlines.iter().enumerate() {
        hot_stmt.execute(params![
            pid,
            i64::try_from(i).unwrap_or(i64::MAX),
            h.region,
            nfc(&h.name),
            h.number,
            h.hours.as_deref().map(nfc),
            json(&h.languages)?,
            h.source
        ])?;
    }
    // One merged b-tree per term instead of one segment per install: faster queries.
    tx.execute("INSERT INTO card_fts (card_fts) VALUES ('optimize')", [])?;
    Ok(())
}
