//! Organizer tools: signing keys, trusted publishers, building and checking packs.

use std::path::Path;

use silbato_core::crypto::{PublicKey, SigningKey};
use silbato_core::rights::{MAX_PACK_BYTES, inspect_pack, sign_pack};

use super::{Ctx, read_bounded};

/// Key files are small; anything bigger is not one.
const MAX_KEY_FILE: usize = 64 * 1024;

/// Creates `path` (readable and writable by its owner only when `private`); refuses to replace an
/// existing file, so a typo cannot destroy a signing key or a published pack.
pub fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), String> {
    silbato_core::files::write_new(path, bytes, private).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!("{} already exists; not replacing it", path.display())
        }
        _ => format!("cannot create {}: {e}", path.display()),
    })
}

/// Reads a signing key: an Ed25519 key file, or the signing half of a dispatcher key file.
pub fn load_key(path: &Path) -> Result<SigningKey, String> {
    let bytes = zeroize::Zeroizing::new(read_bounded(path, MAX_KEY_FILE)?);
    match SigningKey::from_key_file(&bytes) {
        Ok(k) => Ok(k),
        Err(first) => silbato_core::protocol::DispatcherKeys::from_key_file(&bytes)
            .map(|d| d.signing)
            .map_err(|_| first.to_string()),
    }
}

pub fn keys_generate(ctx: &Ctx, out_path: &Path) -> Result<(), String> {
    let key = SigningKey::generate().map_err(|e| e.to_string())?;
    let text = key.to_key_file().map_err(|e| e.to_string())?;
    write_new(out_path, text.as_bytes(), true)?;
    print_public(ctx, &key.public_key())
}

pub fn keys_public(ctx: &Ctx, file: &Path) -> Result<(), String> {
    let e = match load_key(file) {
        Ok(key) => return print_public(ctx, &key.public_key()),
        Err(e) => e,
    };
    let not_a_key = || {
        format!(
            "{}: {} (key files come from `silbato keys generate`, `keys generate-dispatcher` or `keys generate-recipient`)",
            file.display(),
            silbato_core::Error::from(silbato_core::crypto::KeyError::NotAKeyFile)
        )
    };
    let bytes = match std::fs::metadata(file) {
        // Far larger than any key file: not one.
        Ok(m) if m.len() > MAX_KEY_FILE as u64 => return Err(not_a_key()),
        Ok(_) => zeroize::Zeroizing::new(read_bounded(file, MAX_KEY_FILE)?),
        // Cannot be opened: load_key's message says why.
        Err(_) => return Err(e),
    };
    // A recipient's X25519 key file has a public key too.
    if let Ok(key) = silbato_core::seal::SealSecretKey::from_key_file(&bytes) {
        let public = key.public_key().to_string();
        if ctx.out.json {
            return ctx.out.json(&serde_json::json!({ "public_key": public }));
        }
        ctx.out.line(&public);
        return Ok(());
    }
    // A file that says it is a Silbato key but does not read as one is a damaged key file, and
    // load_key's message says how; anything else is not a key file at all.
    let claims_a_key = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .is_some_and(|t| t.starts_with("silbato-") && t.contains("key"));
    if claims_a_key {
        Err(e)
    } else {
        Err(not_a_key())
    }
}

fn print_public(ctx: &Ctx, key: &PublicKey) -> Result<(), String> {
    if ctx.out.json {
        return ctx.out.json(
            &serde_json::json!({ "public_key": key.to_string(), "fingerprint": key.fingerprint() }),
        );
    }
    ctx.out.line(&key.to_string());
    Ok(())
}

pub fn publishers_add(ctx: &Ctx, pubkey: &str, name: &str) -> Result<(), String> {
    let key = PublicKey::parse(pubkey).map_err(|e| e.to_string())?;
    ctx.rights()?
        .add_publisher(&key, name)
        .map_err(|e| e.to_string())?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({ "public_key": key.to_string(), "fingerprint": key.fingerprint(), "name": name.trim() }));
    }
    ctx.out.line(&format!(
        "Trusting {} ({}) as a publisher",
        name.trim(),
        key.fingerprint()
    ));
    Ok(())
}

pub fn publishers_list(ctx: &Ctx) -> Result<(), String> {
    let list = ctx.rights()?.publishers().map_err(|e| e.to_string())?;
    if ctx.out.json {
        return ctx.out.json(&list);
    }
    if list.is_empty() {
        ctx.out
            .line("No publishers are trusted yet; the bundled content needs none.");
    }
    for p in &list {
        ctx.out
            .line(&format!("{}  {}", ctx.out.bold(&p.name), p.fingerprint));
        ctx.out.line(&format!("    {}", p.public_key));
    }
    Ok(())
}

pub fn publishers_remove(ctx: &Ctx, pubkey: &str) -> Result<(), String> {
    let key = PublicKey::parse(pubkey).map_err(|e| e.to_string())?;
    ctx.rights()?
        .remove_publisher(&key)
        .map_err(|e| e.to_string())?;
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "removed": key.to_string() }));
    }
    ctx.out
        .line(&format!("No longer trusting {}", key.fingerprint()));
    Ok(())
}

pub fn pack_build(
    ctx: &Ctx,
    dir: &Path,
    key: &Path,
    out_path: &Path,
    version: Option<u64>,
) -> Result<(), String> {
    let key = load_key(key)?;
    let mut payload = silbato_content::load_dir(dir).map_err(|e| e.to_string())?;
    if let Some(v) = version {
        payload.version = v;
    }
    let bytes = sign_pack(&payload, &key).map_err(|e| e.to_string())?;
    if std::fs::exists(out_path).unwrap_or(false) {
        return Err(format!(
            "{} already exists; not replacing it",
            out_path.display()
        ));
    }
    std::fs::write(out_path, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", out_path.display()))?;
    let summary = serde_json::json!({
        "pack_id": payload.pack_id,
        "version": payload.version,
        "cards": payload.cards.len(),
        "translations": payload.translation_count(),
        "languages": payload.languages.iter().map(|l| l.code.clone()).collect::<Vec<_>>(),
        "signer": key.public_key().to_string(),
        "bytes": bytes.len(),
    });
    if ctx.out.json {
        return ctx.out.json(&summary);
    }
    ctx.out.line(&format!(
        "Wrote {}: {} version {}, {} cards ({} translations), {} bytes, signed by {}",
        out_path.display(),
        payload.pack_id,
        payload.version,
        payload.cards.len(),
        payload.translation_count(),
        bytes.len(),
        key.public_key().fingerprint()
    ));
    Ok(())
}

pub fn pack_verify(ctx: &Ctx, file: &Path) -> Result<(), String> {
    let bytes = read_bounded(file, MAX_PACK_BYTES)?;
    let pack = inspect_pack(&bytes).map_err(|e| e.to_string())?;
    let trusted = ctx.rights()?.publishers().map_err(|e| e.to_string())?;
    let signers: Vec<serde_json::Value> = pack
        .signers
        .iter()
        .map(|k| {
            let known = trusted.iter().find(|p| p.public_key == k.to_string());
            serde_json::json!({
                "public_key": k.to_string(),
                "fingerprint": k.fingerprint(),
                "trusted_here": known.is_some(),
                "publisher": known.map(|p| p.name.clone()),
            })
        })
        .collect();
    let p = &pack.payload;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({
            "valid": true,
            "pack_id": p.pack_id,
            "publisher": p.publisher,
            "version": p.version,
            "issued": p.issued,
            "cards": p.cards.len(),
            "languages": p.languages.iter().map(|l| l.code.clone()).collect::<Vec<_>>(),
            "payload_sha256": pack.payload_sha256,
            "signers": signers,
        }));
    }
    ctx.out.line(&format!(
        "Signature valid: {} version {} ({}), {} cards",
        p.pack_id,
        p.version,
        p.issued,
        p.cards.len()
    ));
    for s in &pack.signers {
        let known = trusted.iter().find(|t| t.public_key == s.to_string());
        let trust = known.map_or("not trusted on this device".to_owned(), |t| {
            format!("trusted here as {}", t.name)
        });
        ctx.out
            .line(&format!("  signed by {} ({trust})", s.fingerprint()));
    }
    Ok(())
}
