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

/// The language to show: `--lang`, else the locale's (LC_ALL, LC_MESSAGES, LANG), else English.
pub fn user_lang(explicit: Option<String>) -> String {
    if let Some(lang) = explicit {
        return lang.trim().to_ascii_lowercase();
    }
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .and_then(|v| {
            let code: String = v.chars().take_while(char::is_ascii_alphabetic).collect();
            (2..=3)
                .contains(&code.len())
                .then(|| code.to_ascii_lowercase())
        })
        .filter(|c| c != "c")
        .unwrap_or_else(|| "en".to_owned())
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
