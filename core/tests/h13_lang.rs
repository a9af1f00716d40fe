//! Issue 13 item 3: the language choice (`silbato_core::lang`) and the rights library following
//! a fallback chain, per card.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use silbato_core::lang::{negotiate, parse_locale, preferred_from_env};
use silbato_core::rights::RightsLibrary;

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    }
}

fn avail(codes: &[&str]) -> Vec<String> {
    codes.iter().map(|c| (*c).to_owned()).collect()
}

fn chain(explicit: Option<&str>, vars: &[(&str, &str)], available: &[&str]) -> Vec<String> {
    negotiate(&preferred_from_env(explicit, env(vars)), &avail(available))
}

#[test]
fn h13_03_posix_locale_names_become_bcp47_tags() {
    let p = |s: &str| parse_locale(s).map(|l| l.to_string());
    assert_eq!(p("es_US.UTF-8").as_deref(), Some("es-US"));
    assert_eq!(p("es_MX").as_deref(), Some("es-MX"));
    assert_eq!(p("es-MX").as_deref(), Some("es-MX"));
    // Likely subtags (CLDR): Taiwan's Chinese is written in traditional characters.
    assert_eq!(p("zh_TW.UTF-8@euro").as_deref(), Some("zh-Hant-TW"));
    assert_eq!(p("zh_CN.UTF-8").as_deref(), Some("zh-CN"));
    assert_eq!(p("zh-Hant-TW").as_deref(), Some("zh-Hant-TW"));
    assert_eq!(p("sr_RS@latin").as_deref(), Some("sr-Latn-RS"));
    assert_eq!(p("sr_RS").as_deref(), Some("sr-RS"));
    assert_eq!(p("pa_IN").as_deref(), Some("pa-IN"));
    assert_eq!(p("pa_PK").as_deref(), Some("pa-Arab-PK"));
    for c in ["C", "POSIX", "C.UTF-8", "c"] {
        assert_eq!(p(c).as_deref(), Some("en"), "{c}");
    }
    for junk in ["", "  ", "!!", "und", "e", "12_34", "\u{202e}es"] {
        assert_eq!(p(junk), None, "{junk:?}");
    }
}

#[test]
fn h13_03_environment_order_and_gettext_rules() {
    let have = ["en", "es"];
    assert_eq!(chain(None, &[("LANG", "es_US.UTF-8")], &have), ["es", "en"]);
    assert_eq!(
        chain(Some("es-MX"), &[("LANG", "en_US.UTF-8")], &have),
        ["es", "en"]
    );
    assert_eq!(
        chain(
            None,
            &[("LANGUAGE", "fr:es"), ("LANG", "en_US.UTF-8")],
            &have
        ),
        ["es", "en"]
    );
    assert_eq!(
        chain(None, &[("LC_ALL", "C"), ("LANG", "es_US.UTF-8")], &have),
        ["en"]
    );
    // LANGUAGE is ignored in the C locale (gettext), used otherwise.
    assert_eq!(
        chain(None, &[("LANGUAGE", "es"), ("LC_ALL", "C")], &have),
        ["en"]
    );
    assert_eq!(
        chain(None, &[("LANGUAGE", "es"), ("LANG", "en_US")], &have),
        ["es", "en"]
    );
    // LC_ALL over LC_MESSAGES over LANG; empty values are skipped.
    assert_eq!(
        chain(
            None,
            &[("LC_ALL", ""), ("LC_MESSAGES", "es_ES"), ("LANG", "en_US")],
            &have
        ),
        ["es", "en"]
    );
    assert_eq!(
        chain(
            None,
            &[("LC_ALL", "en_GB"), ("LC_MESSAGES", "es_ES")],
            &have
        ),
        ["en"]
    );
    // An explicit choice replaces the environment.
    assert_eq!(chain(Some("en"), &[("LANGUAGE", "es")], &have), ["en"]);
    assert_eq!(chain(None, &[], &have), ["en"]);
}

#[test]
fn h13_03_regional_and_script_variants_fall_back_in_order() {
    let have = ["en", "es", "zh-Hant", "zh-Hans", "vi"];
    assert_eq!(chain(Some("zh-Hant-TW"), &[], &have), ["zh-Hant", "en"]);
    assert_eq!(
        chain(None, &[("LANG", "zh_TW.UTF-8")], &have),
        ["zh-Hant", "en"]
    );
    assert_eq!(
        chain(None, &[("LANG", "zh_CN.UTF-8")], &have),
        ["zh-Hans", "en"]
    );
    assert_eq!(chain(Some("zh-Hant-TW"), &[], &["en", "es"]), ["en"]);
    assert_eq!(chain(Some("vi,es-MX"), &[], &have), ["vi", "es", "en"]);
    // A pack's regional variant serves its language too.
    assert_eq!(chain(Some("es"), &[], &["en", "es-US"]), ["es-US", "en"]);
    // English even when no pack lists it.
    assert_eq!(chain(Some("fr"), &[], &[]), ["en"]);
}

proptest! {
    #[test]
    fn h13_03_any_environment_never_panics_and_ends_in_english(
        explicit in proptest::option::of(".{0,40}"),
        language in ".{0,60}",
        lc_all in ".{0,30}",
        lang in "[a-zA-Z_.@:-]{0,30}",
        available in proptest::collection::vec("[a-zA-Z-]{0,12}", 0..6),
    ) {
        let vars = [("LANGUAGE", language.as_str()), ("LC_ALL", lc_all.as_str()), ("LANG", lang.as_str())];
        let prefs = preferred_from_env(explicit.as_deref(), env(&vars));
        let out = negotiate(&prefs, &available);
        prop_assert_eq!(out.last().map(|s| s.to_ascii_lowercase()), Some("en".to_owned()));
        for code in &out[..out.len() - 1] {
            prop_assert!(available.contains(code));
        }
    }
}

#[test]
fn h13_03_library_follows_the_chain_per_card() {
    let dir = tempfile::tempdir().unwrap();
    let (lib, _) = RightsLibrary::open(dir.path()).unwrap();
    let codes = lib.language_codes().unwrap();
    let langs = negotiate(&preferred_from_env(Some("fr,es-MX"), |_| None), &codes);
    assert_eq!(langs, ["es", "en"]);
    let cards = lib.list_cards_in(&langs, None).unwrap();
    assert!(!cards.is_empty());
    assert!(cards.iter().all(|c| c.lang == "es" && !c.fallback));
    assert_eq!(lib.card_in("warrants", &langs).unwrap().lang, "es");
    assert_eq!(lib.language_in(&langs).unwrap().code, "es");
    let hits = lib.search_in("ICE", &langs, 50, None).unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h.lang == "es"), "{hits:?}");
    // English reader: English cards; a Spanish word still finds its cards (in Spanish).
    let en = vec!["en".to_owned()];
    let hits = lib.search_in("ICE", &en, 50, None).unwrap();
    assert!(hits.iter().all(|h| h.lang == "en"));
    let hits = lib.search_in("abogado", &en, 50, None).unwrap();
    assert!(!hits.is_empty());
    // A chain with languages no card has falls back to English.
    let none = vec!["zh-Hant".to_owned(), "en".to_owned()];
    assert!(
        lib.list_cards_in(&none, None)
            .unwrap()
            .iter()
            .all(|c| c.lang == "en" && c.fallback)
    );
    let cats = lib.categories_in(&langs).unwrap();
    assert!(cats.iter().any(|c| c.name == "En casa"));
}
