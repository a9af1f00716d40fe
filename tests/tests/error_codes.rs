//! Every error code is unique, well-formed, documented in `docs/errors.md`, and the document lists
//! no code that no longer exists. Shells and the CLI translate errors by these codes, so a code
//! that changed or vanished silently would show a reader the wrong message or none.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

fn documented() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/errors.md"))
        .expect("docs/errors.md");
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(code, _)| code.to_owned())
        .collect()
}

fn well_formed(code: &str) -> bool {
    let Some((area, name)) = code.split_once('.') else {
        return false;
    };
    let part = |s: &str| {
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    part(area) && part(name)
}

#[test]
fn every_error_code_is_unique_and_documented() {
    let codes: Vec<&str> = silbato_core::error::all_codes()
        .into_iter()
        .chain(silbato_ffi::FFI_CODES.iter().copied())
        .collect();
    assert!(codes.len() > 150, "only {} codes listed", codes.len());
    let mut seen = BTreeSet::new();
    for code in &codes {
        assert!(well_formed(code), "{code} is not area.name in snake case");
        assert!(seen.insert(*code), "{code} is used twice");
    }
    let documented = documented();
    let missing: Vec<_> = seen.iter().filter(|c| !documented.contains(**c)).collect();
    assert!(missing.is_empty(), "not in docs/errors.md: {missing:?}");
    let stale: Vec<_> = documented
        .iter()
        .filter(|c| !seen.contains(c.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/errors.md lists codes that do not exist: {stale:?}"
    );
}

/// A code names the rule that was broken, and the same value always gives the same code.
#[test]
fn errors_carry_their_area_code_through_the_core_and_the_ffi() {
    use silbato_core::Error;
    use silbato_core::proto::media::MediaError;
    use silbato_core::vault::VaultError;

    let media: Error = MediaError::TooLarge { limit: 1 }.into();
    assert_eq!(media.code(), "media.too_large");
    let ffi: silbato_ffi::SilbatoError = media.into();
    assert_eq!(ffi.code(), "media.too_large");
    assert!(matches!(
        ffi,
        silbato_ffi::SilbatoError::InvalidInput { .. }
    ));

    let short: Error = VaultError::PassphraseTooShort.into();
    assert_eq!(short.code(), "vault.passphrase_too_short");
    assert_eq!(Error::WrongPassphrase.code(), "vault.wrong_passphrase");
    let ffi: silbato_ffi::SilbatoError = Error::WrongPassphrase.into();
    assert!(matches!(
        ffi,
        silbato_ffi::SilbatoError::WrongPassphrase { ref code } if code == "vault.wrong_passphrase"
    ));

    let sync: Error = silbato_core::sync::SyncError::Unreachable.into();
    assert_eq!(sync.code(), "sync.unreachable");
    assert!(sync.is_retryable());
    let ffi: silbato_ffi::SilbatoError = sync.into();
    assert!(matches!(
        ffi,
        silbato_ffi::SilbatoError::Network { retryable: true, ref reason, .. }
            if reason == "the hub could not be reached"
    ));
}
