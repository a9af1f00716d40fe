//! Issue 13 item 3: the reader's language (`--lang`, `LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`)
//! chooses the cards every rights command shows, with regional and script variants falling back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{content_dir, silbato, silbato_env};

type Env<'a> = [(&'a str, Option<&'a str>)];

fn json(data: &Path, args: &[&str], env: &Env<'_>) -> serde_json::Value {
    let run = silbato_env(data, args, env);
    assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
    run.json()
}

/// The languages of the cards `rights search ICE` returns.
fn search_langs(data: &Path, extra: &[&str], env: &Env<'_>) -> Vec<String> {
    let mut args = vec!["rights", "search", "ICE", "--json"];
    args.extend_from_slice(extra);
    let hits = json(data, &args, env);
    let hits = hits.as_array().unwrap();
    assert!(!hits.is_empty(), "ICE finds cards");
    hits.iter()
        .map(|h| h["lang"].as_str().unwrap().to_owned())
        .collect()
}

fn list_langs(data: &Path, extra: &[&str], env: &Env<'_>) -> Vec<String> {
    let mut args = vec!["rights", "list", "--json"];
    args.extend_from_slice(extra);
    json(data, &args, env)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["lang"].as_str().unwrap().to_owned())
        .collect()
}

fn all(langs: &[String], want: &str) -> bool {
    !langs.is_empty() && langs.iter().all(|l| l == want)
}

#[test]
fn h13_03_lang_env_search_ice_gives_spanish_cards() {
    let dir = tempfile::tempdir().unwrap();
    let es: &Env<'_> = &[("LANG", Some("es_US.UTF-8"))];
    let langs = search_langs(dir.path(), &[], es);
    assert!(
        all(&langs, "es"),
        "Spanish cards under LANG=es_US: {langs:?}"
    );
    let text = silbato_env(dir.path(), &["rights", "search", "ICE"], es);
    assert_eq!(text.code(), 0, "{}", text.stderr());
    assert!(text.stdout().contains("Resultados"));
    assert!(text.stdout().contains(" · es"), "{}", text.stdout());
    assert!(!text.stdout().contains(" · en"), "{}", text.stdout());
    // The list, a card and the categories follow the same choice.
    assert!(all(&list_langs(dir.path(), &[], es), "es"));
    let card = json(dir.path(), &["rights", "show", "warrants", "--json"], es);
    assert_eq!(card["lang"], "es");
    assert_eq!(card["fallback"], false);
    let agent = json(dir.path(), &["rights", "card", "red-card", "--json"], es);
    assert_eq!(agent["lang"], "es");
    let cats = json(dir.path(), &["rights", "categories", "--json"], es);
    assert!(
        cats.as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "En casa"),
        "{cats}"
    );
    let hot = silbato_env(dir.path(), &["rights", "hotlines"], es);
    assert_eq!(hot.code(), 0, "{}", hot.stderr());
    assert!(hot.stdout().contains("Líneas de ayuda"), "{}", hot.stdout());
}

#[test]
fn h13_03_lang_flag_es_mx_gives_spanish() {
    let dir = tempfile::tempdir().unwrap();
    let en: &Env<'_> = &[("LANG", Some("en_US.UTF-8"))];
    let langs = search_langs(dir.path(), &["--lang", "es-MX"], en);
    assert!(all(&langs, "es"), "{langs:?}");
    assert!(all(&list_langs(dir.path(), &["--lang", "es-MX"], en), "es"));
    let card = json(
        dir.path(),
        &["rights", "show", "warrants", "--lang", "es_MX", "--json"],
        en,
    );
    assert_eq!(card["lang"], "es");
    assert_eq!(card["fallback"], false);
    // The environment's regional Spanish too.
    let mx: &Env<'_> = &[("LANG", Some("es_MX.UTF-8"))];
    assert!(all(&search_langs(dir.path(), &[], mx), "es"));
}

#[test]
fn h13_03_language_priority_list_fr_es_gives_spanish() {
    let dir = tempfile::tempdir().unwrap();
    let env: &Env<'_> = &[("LANGUAGE", Some("fr:es")), ("LANG", Some("en_US.UTF-8"))];
    let langs = search_langs(dir.path(), &[], env);
    assert!(all(&langs, "es"), "no French content: Spanish, {langs:?}");
    assert!(all(&list_langs(dir.path(), &[], env), "es"));
    // LC_MESSAGES beats LANG; LC_ALL beats both.
    let msgs: &Env<'_> = &[
        ("LC_MESSAGES", Some("es_ES.UTF-8")),
        ("LANG", Some("en_US.UTF-8")),
    ];
    assert!(all(&list_langs(dir.path(), &[], msgs), "es"));
    let lc_all: &Env<'_> = &[
        ("LC_ALL", Some("es_US.UTF-8")),
        ("LC_MESSAGES", Some("en_US.UTF-8")),
        ("LANG", Some("en_US.UTF-8")),
    ];
    assert!(all(&list_langs(dir.path(), &[], lc_all), "es"));
    // `--lang` beats everything.
    assert!(all(&list_langs(dir.path(), &["--lang", "en"], env), "en"));
}

#[test]
fn h13_03_lc_all_c_gives_english() {
    let dir = tempfile::tempdir().unwrap();
    let c: &Env<'_> = &[("LC_ALL", Some("C")), ("LANG", Some("es_US.UTF-8"))];
    assert!(all(&search_langs(dir.path(), &[], c), "en"));
    assert!(all(&list_langs(dir.path(), &[], c), "en"));
    // gettext: LANGUAGE is ignored in the C locale.
    let c_language: &Env<'_> = &[("LANGUAGE", Some("es")), ("LC_ALL", Some("POSIX"))];
    assert!(all(&list_langs(dir.path(), &[], c_language), "en"));
    // Nothing set at all: English.
    assert!(all(&list_langs(dir.path(), &[], &[]), "en"));
}

#[test]
fn h13_03_zh_hant_tw_falls_back_to_english() {
    let dir = tempfile::tempdir().unwrap();
    let en: &Env<'_> = &[];
    let langs = search_langs(dir.path(), &["--lang", "zh-Hant-TW"], en);
    assert!(all(&langs, "en"), "{langs:?}");
    let zh: &Env<'_> = &[("LANG", Some("zh_TW.UTF-8@euro"))];
    assert!(all(&list_langs(dir.path(), &[], zh), "en"));
    // A Chinese reader who also reads Spanish gets Spanish before English.
    let zh_es: &Env<'_> = &[
        ("LANGUAGE", Some("zh_TW:es")),
        ("LANG", Some("zh_TW.UTF-8")),
    ];
    assert!(all(&list_langs(dir.path(), &[], zh_es), "es"));
    // Garbage in the environment is ignored, never an error.
    let junk: &Env<'_> = &[
        ("LANGUAGE", Some("::@@..__")),
        ("LANG", Some("\u{202e}ñ_?.x")),
    ];
    assert!(all(&list_langs(dir.path(), &[], junk), "en"));
}

/// A copy of the bundled content as another network's pack, in English only.
fn english_only_pack(dir: &Path, data: &Path) -> std::path::PathBuf {
    let src = content_dir();
    let copy = dir.join("content-en");
    copy_dir(&src, &copy);
    std::fs::remove_file(copy.join("languages/es.toml")).unwrap();
    for card in std::fs::read_dir(copy.join("cards")).unwrap() {
        let es = card.unwrap().path().join("es.md");
        if es.exists() {
            std::fs::remove_file(es).unwrap();
        }
    }
    let categories: String = std::fs::read_to_string(copy.join("categories.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("es ="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(copy.join("categories.toml"), categories).unwrap();
    let pack_toml = std::fs::read_to_string(copy.join("pack.toml"))
        .unwrap()
        .replace("silbato-kyr-us", "h13-network-en")
        .replace(r#"languages = ["en", "es"]"#, r#"languages = ["en"]"#);
    std::fs::write(copy.join("pack.toml"), pack_toml).unwrap();
    let key = dir.join("net.key");
    let generated = silbato(data, &["keys", "generate", "--out", key.to_str().unwrap()]);
    assert_eq!(generated.code(), 0, "{}", generated.stderr());
    let pubkey = generated.stdout().trim().to_owned();
    let pack = dir.join("pack-en.json");
    let build = silbato(
        data,
        &[
            "pack",
            "build",
            copy.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--out",
            pack.to_str().unwrap(),
        ],
    );
    assert_eq!(build.code(), 0, "{}", build.stderr());
    let add = silbato(data, &["publishers", "add", &pubkey, "--name", "Net"]);
    assert_eq!(add.code(), 0, "{}", add.stderr());
    pack
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn h13_03_english_only_network_pack_shows_english_beside_spanish_bundled() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let pack = english_only_pack(dir.path(), &data);
    let install = silbato(&data, &["rights", "install", pack.to_str().unwrap()]);
    assert_eq!(install.code(), 0, "{}", install.stderr());

    let es: &Env<'_> = &[("LANG", Some("es_US.UTF-8"))];
    let cards = json(&data, &["rights", "list", "--json"], es);
    let cards = cards.as_array().unwrap();
    let of = |pack: &str| -> Vec<String> {
        cards
            .iter()
            .filter(|c| c["pack_id"] == pack)
            .map(|c| c["lang"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(all(&of("silbato-kyr-us"), "es"), "bundled in Spanish");
    assert!(all(&of("h13-network-en"), "en"), "the network's in English");
    let hits = json(&data, &["rights", "search", "ICE", "--json"], es);
    let hits = hits.as_array().unwrap();
    for h in hits {
        let want = if h["pack_id"] == "silbato-kyr-us" {
            "es"
        } else {
            "en"
        };
        assert_eq!(h["lang"], want, "{h}");
    }
    assert!(hits.iter().any(|h| h["pack_id"] == "h13-network-en"));
    assert!(hits.iter().any(|h| h["pack_id"] == "silbato-kyr-us"));
    let card = json(
        &data,
        &[
            "rights",
            "show",
            "h13-network-en/warrants",
            "--lang",
            "es-MX",
            "--json",
        ],
        &[],
    );
    assert_eq!(card["lang"], "en");
    assert_eq!(card["fallback"], true);
}
