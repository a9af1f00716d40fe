//! Which language to show a person: their preferences (an explicit choice, else the POSIX
//! locale variables, or a shell's list of device languages) negotiated against the languages the
//! installed content actually has.
//!
//! Pure functions, so the CLI and the FFI share them: [`preferred_from_env`] reads the order
//! `--lang`, `LANGUAGE` (a GNU gettext colon-separated priority list), `LC_ALL`, `LC_MESSAGES`,
//! `LANG`; POSIX names (`es_US.UTF-8`, `zh_TW.UTF-8@euro`) become BCP 47 tags and `C` / `POSIX`
//! mean English. [`negotiate`] uses Mozilla's `fluent-langneg` (filtering strategy, with CLDR
//! likely subtags), so regional and script variants fall back in order: `es-MX` → `es`,
//! `zh-TW` → `zh-Hant-TW` → `zh-Hant`, and English always ends the chain.

use fluent_langneg::{LanguageIdentifier, NegotiationStrategy, negotiate_languages};

/// The language every chain ends in.
pub const FALLBACK: &str = "en";

/// The environment variables read, in priority order after an explicit choice.
pub const ENV_VARS: [&str; 4] = ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"];

/// Longest tag or locale name looked at; longer input is ignored, never parsed.
const MAX_TAG_LEN: usize = 64;
/// Most entries taken from one list (`LANGUAGE`, or an explicit `es,en`).
const MAX_ENTRIES: usize = 16;

/// A POSIX locale name (`es_US.UTF-8`, `zh_TW.UTF-8@euro`, `sr_RS@latin`) or a BCP 47 tag
/// (`es-MX`, `zh-Hant-TW`) as a language identifier. `C`, `POSIX` and their `C.UTF-8` forms are
/// English. `None` for empty or unparseable input.
pub fn parse_locale(raw: &str) -> Option<LanguageIdentifier> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_TAG_LEN {
        return None;
    }
    // Drop the codeset (`.UTF-8`) and the modifier (`@euro`): neither chooses a language.
    let name = raw.split(['.', '@']).next().unwrap_or_default();
    if name.eq_ignore_ascii_case("c") || name.eq_ignore_ascii_case("posix") {
        return Some(english());
    }
    let tag = name.replace('_', "-");
    let mut id = LanguageIdentifier::try_from_bytes(tag.as_bytes()).ok()?;
    // `und` (no language) chooses nothing.
    if id.language.is_empty() {
        return None;
    }
    // A POSIX region without a script (`zh_TW`) gets the script CLDR's likely subtags give it
    // (`zh-Hant-TW`) when that differs from the language's usual one, so a `zh-Hant` pack
    // matches; `es_US` stays `es-US`. The `@latin` modifier (`sr_RS@latin`) names the script.
    if id.script.is_none() {
        if raw
            .split('@')
            .nth(1)
            .is_some_and(|m| m.eq_ignore_ascii_case("latin"))
        {
            id.script = "Latn".parse().ok();
        } else if id.region.is_some() {
            let mut regional = id.clone();
            let mut bare = LanguageIdentifier::from(id.language);
            if maximize_script(&mut regional)
                && maximize_script(&mut bare)
                && regional.script != bare.script
            {
                id.script = regional.script;
            }
        }
    }
    Some(id)
}

fn maximize_script(id: &mut LanguageIdentifier) -> bool {
    use icu_locid_transform::{LocaleExpander, TransformResult};
    LocaleExpander::new().maximize(id) == TransformResult::Modified
}

fn english() -> LanguageIdentifier {
    icu_locid::langid!("en")
}

/// A list of tags: `LANGUAGE`'s `fr:es`, or an explicit `es-MX,en`.
fn parse_list(raw: &str) -> Vec<LanguageIdentifier> {
    raw.split([':', ','])
        .take(MAX_ENTRIES)
        .filter_map(parse_locale)
        .collect()
}

/// The person's languages, most wanted first: an explicit choice (`--lang`, may be a list) alone,
/// else the environment as `env` reports it (`LANGUAGE`'s list, then the locale). Follows gettext: `LANGUAGE` is ignored when the
/// locale (`LC_ALL`, else `LC_MESSAGES`, else `LANG`) is `C` / `POSIX`. May be empty: then the
/// negotiation gives English.
pub fn preferred_from_env(
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Vec<LanguageIdentifier> {
    let mut out = Vec::new();
    if let Some(e) = explicit {
        out.extend(parse_list(e));
    }
    // An explicit choice that names a language replaces the environment's.
    if !out.is_empty() {
        return dedup(out);
    }
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| env(v))
        .find(|v| !v.trim().is_empty());
    let c_locale = locale.as_deref().is_some_and(|l| {
        let name = l.trim().split(['.', '@']).next().unwrap_or_default();
        name.eq_ignore_ascii_case("c") || name.eq_ignore_ascii_case("posix")
    });
    if !c_locale && let Some(list) = env("LANGUAGE") {
        out.extend(parse_list(&list));
    }
    if let Some(l) = locale.as_deref().and_then(parse_locale) {
        out.push(l);
    }
    dedup(out)
}

fn dedup(mut list: Vec<LanguageIdentifier>) -> Vec<LanguageIdentifier> {
    let mut seen = Vec::new();
    list.retain(|l| {
        let fresh = !seen.contains(l);
        if fresh {
            seen.push(l.clone());
        }
        fresh
    });
    list
}

/// The fallback chain among `available` (language codes as the content packs name them):
/// every available language that matches a preference, best first — a regional or script
/// variant falls back to its parent (`es-MX` → `es`, `zh-Hant-TW` → `zh-Hant`) — then English.
/// The result always ends in `en`, even when `available` lacks it; codes come back spelled as
/// in `available`.
pub fn negotiate(preferred: &[LanguageIdentifier], available: &[String]) -> Vec<String> {
    let parsed: Vec<(LanguageIdentifier, &String)> = available
        .iter()
        .filter_map(|code| {
            LanguageIdentifier::try_from_bytes(code.as_bytes())
                .ok()
                .map(|id| (id, code))
        })
        .collect();
    let ids: Vec<LanguageIdentifier> = parsed.iter().map(|(id, _)| id.clone()).collect();
    let mut chain: Vec<String> = Vec::new();
    for pref in preferred {
        // One preference at a time keeps the person's order: all of `fr`'s matches, then `es`'s.
        for m in negotiate_languages(
            std::slice::from_ref(pref),
            &ids,
            None,
            NegotiationStrategy::Filtering,
        ) {
            if let Some((_, code)) = parsed.iter().find(|(id, _)| id == m)
                && !chain.contains(code)
            {
                chain.push((*code).clone());
            }
        }
    }
    // English closes the chain (where the person did not put it earlier), spelled as the packs
    // spell it when they have it; nothing after it is ever needed.
    if let Some(at) = chain.iter().position(|c| c.eq_ignore_ascii_case(FALLBACK)) {
        chain.truncate(at + 1);
        return chain;
    }
    let en = parsed
        .iter()
        .find(|(id, _)| {
            id.language.as_str() == FALLBACK && id.script.is_none() && id.region.is_none()
        })
        .map_or_else(|| FALLBACK.to_owned(), |(_, code)| (*code).clone());
    chain.push(en);
    chain
}

/// [`preferred_from_env`] then [`negotiate`]: the chain for this process's environment.
pub fn chain_from_env(explicit: Option<&str>, available: &[String]) -> Vec<String> {
    negotiate(
        &preferred_from_env(explicit, |v| std::env::var(v).ok()),
        available,
    )
}
