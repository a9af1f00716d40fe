//! Command implementations, one module per area. Shared here: the data directory, the user's
//! language, and bounded file reads.

pub mod demo;
pub mod inbox;
pub mod organizer;
pub mod rights;
pub mod sync;
pub mod vault;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use silbato_core::app::{App, AppConfig};
use silbato_core::keys::{FileKeyStore, KdfParams};
use silbato_core::lang;
use silbato_core::rights::RightsLibrary;

use crate::output::Out;

pub struct Ctx {
    pub out: Out,
    pub data_dir: Option<PathBuf>,
}

impl Ctx {
    pub fn data_dir(&self) -> Result<PathBuf, String> {
        if let Some(dir) = &self.data_dir {
            return Ok(dir.clone());
        }
        directories::ProjectDirs::from("org", "Silbato", "silbato")
            .map(|d| d.data_dir().to_path_buf())
            .ok_or_else(|| "no home directory to keep data in; pass --data-dir DIR".to_owned())
    }

    /// Opens the rights library, telling the user (on stderr) when it had to be rebuilt.
    pub fn rights(&self) -> Result<RightsLibrary, String> {
        let (lib, report) = RightsLibrary::open(&self.data_dir()?).map_err(|e| e.to_string())?;
        if report.rebuilt {
            tell_rights_rebuilt();
        }
        Ok(lib)
    }

    /// Opens the whole data directory, for the commands that talk to hubs, telling the user (on
    /// stderr) what had to be repaired. The inbox key is kept by the file key store; the vault
    /// keeps no copy of its key there (only the passphrase opens it), never locks on its own in a
    /// command that lasts seconds, and is never given a new passphrase here.
    pub fn app(&self) -> Result<App, String> {
        let dir = self.data_dir()?;
        let config = AppConfig {
            kdf: KdfParams::DEFAULT,
            vault_idle_timeout: None,
            vault_key_in_platform_store: false,
        };
        let app = App::open(&dir, config, Arc::new(FileKeyStore::new(&dir)))
            .map_err(|e| e.to_string())?;
        let opened = app.open_report();
        if opened.rights_rebuilt {
            tell_rights_rebuilt();
        }
        if let Some(aside) = &opened.vault_moved_aside {
            vault::tell_moved_aside(aside);
        }
        Ok(app)
    }
}

fn tell_rights_rebuilt() {
    eprintln!(
        "silbato: the content database was damaged and has been rebuilt from the bundled cards"
    );
}

/// The reader's languages, most wanted first, as language codes (`es`, `zh-Hant`), always ending
/// in English: `--lang` (may be a list), else `LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG` (see
/// `silbato_core::lang`). For texts whose languages are not known beforehand (alerts).
pub fn user_langs(explicit: Option<String>) -> Vec<String> {
    let preferred = lang::preferred_from_env(explicit.as_deref(), |v| std::env::var(v).ok());
    let mut out: Vec<String> = Vec::new();
    for id in &preferred {
        let code = match id.script {
            Some(script) => format!("{}-{}", id.language, script),
            None => id.language.to_string(),
        };
        if !out.contains(&code) {
            out.push(code);
        }
    }
    out.retain(|c| c != lang::FALLBACK);
    out.push(lang::FALLBACK.to_owned());
    out
}

/// The reader's first language (see [`user_langs`]), as alerts and notifications take it.
pub fn user_lang(explicit: Option<String>) -> String {
    user_langs(explicit)
        .into_iter()
        .next()
        .unwrap_or_else(|| lang::FALLBACK.to_owned())
}

/// The reader's fallback chain among the languages the installed packs have: what every command
/// that shows cards passes the library (`es-MX` reads `es`, then `en`).
pub fn card_langs(lib: &RightsLibrary, explicit: Option<String>) -> Result<Vec<String>, String> {
    let available = lib.language_codes().map_err(|e| e.to_string())?;
    Ok(lang::chain_from_env(explicit.as_deref(), &available))
}

/// Reads a whole file, refusing one larger than `limit` before reading it.
pub fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    file.take(cap)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() > limit {
        return Err(format!(
            "{} is larger than the {limit}-byte limit",
            path.display()
        ));
    }
    Ok(bytes)
}
