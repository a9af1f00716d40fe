//! The signed documents an organizer publishes by replacing a file: the network profile, content
//! packs (`<packs_dir>/<pack_id>.json`) and the plate watch-list.
//!
//! Each is verified with the core before it is served, and served as its exact bytes with a strong
//! ETag (quoted hex SHA-256). A file is re-read when its modification time, size or inode changes;
//! a replacement that does not verify is refused (logged without content) and the last good
//! version stays in service, so a bad publish never takes a network's documents down.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::body::Bytes;
use silbato_proto::crypto::{PublicKey, sha256_hex};
use silbato_proto::network::{NetworkProfile, open_profile};
use silbato_proto::pack::inspect_pack;
use silbato_proto::watchlist::open_watchlist;

use crate::error::HubError;

/// One verified document, as served.
#[derive(Debug, Clone)]
pub struct Doc {
    pub bytes: Bytes,
    /// `"<hex sha-256>"`, quotes included.
    pub etag: String,
}

impl Doc {
    fn new(bytes: Vec<u8>) -> Doc {
        let etag = format!("\"{}\"", sha256_hex(&bytes));
        Doc {
            bytes: Bytes::from(bytes),
            etag,
        }
    }
}

/// What identifies one version of a file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    ino: u64,
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let m = std::fs::metadata(path)?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    Ok(Stamp {
        modified: m.modified().ok(),
        len: m.len(),
        #[cfg(unix)]
        ino,
    })
}

#[derive(Debug)]
struct Cached<T> {
    stamp: Stamp,
    doc: Doc,
    parsed: T,
}

/// A pack file as last seen: its last good version, if any.
#[derive(Debug)]
struct PackEntry {
    stamp: Stamp,
    doc: Option<Doc>,
}

/// The profile as the hub uses it: served, and the source of dispatcher and publisher keys.
#[derive(Debug, Clone)]
pub struct Profile {
    pub doc: Doc,
    pub profile: Arc<NetworkProfile>,
}

#[derive(Debug)]
pub struct Documents {
    profile_path: PathBuf,
    packs_dir: Option<PathBuf>,
    watchlist_path: Option<PathBuf>,
    profile: RwLock<Cached<Arc<NetworkProfile>>>,
    packs: RwLock<HashMap<String, PackEntry>>,
    watchlist: RwLock<Option<Cached<()>>>,
}

fn doc_error(what: &'static str, path: &Path, reason: impl std::fmt::Display) -> HubError {
    HubError::Document {
        what,
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn read_stamped(what: &'static str, path: &Path) -> Result<(Stamp, Vec<u8>), HubError> {
    let before = stamp(path).map_err(|e| doc_error(what, path, e))?;
    let bytes = std::fs::read(path).map_err(|e| doc_error(what, path, e))?;
    Ok((before, bytes))
}

fn load_profile(path: &Path) -> Result<Cached<Arc<NetworkProfile>>, HubError> {
    let (stamp, bytes) = read_stamped("network profile", path)?;
    let (profile, _) = open_profile(&bytes).map_err(|e| doc_error("network profile", path, e))?;
    Ok(Cached {
        stamp,
        doc: Doc::new(bytes),
        parsed: Arc::new(profile),
    })
}

fn publishers(profile: &NetworkProfile) -> Vec<PublicKey> {
    profile.publisher_keys.iter().map(|k| k.key).collect()
}

fn load_watchlist(path: &Path, profile: &NetworkProfile) -> Result<Cached<()>, HubError> {
    let (stamp, bytes) = read_stamped("watch-list", path)?;
    let trusted = publishers(profile);
    open_watchlist(&bytes, |k| trusted.contains(k))
        .map_err(|e| doc_error("watch-list", path, e))?;
    Ok(Cached {
        stamp,
        doc: Doc::new(bytes),
        parsed: (),
    })
}

fn load_pack(path: &Path, pack_id: &str) -> Result<Cached<()>, HubError> {
    let (stamp, bytes) = read_stamped("content pack", path)?;
    let pack = inspect_pack(&bytes).map_err(|e| doc_error("content pack", path, e))?;
    if pack.payload.pack_id != pack_id {
        return Err(doc_error(
            "content pack",
            path,
            "the file name is not <pack_id>.json for the pack inside",
        ));
    }
    Ok(Cached {
        stamp,
        doc: Doc::new(bytes),
        parsed: (),
    })
}

/// A pack id as it may appear in a URL and a file name.
pub fn valid_pack_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Documents {
    /// Loads and verifies every document; any failure stops the hub from starting.
    pub fn open(
        profile_path: &Path,
        packs_dir: Option<&Path>,
        watchlist_path: Option<&Path>,
    ) -> Result<Documents, HubError> {
        let profile = load_profile(profile_path)?;
        let watchlist = watchlist_path
            .map(|p| load_watchlist(p, &profile.parsed))
            .transpose()?;
        let mut packs = HashMap::new();
        if let Some(dir) = packs_dir {
            let entries =
                std::fs::read_dir(dir).map_err(|e| doc_error("packs directory", dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| doc_error("packs directory", dir, e))?;
                let path = entry.path();
                let Some(id) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".json"))
                else {
                    continue;
                };
                if !valid_pack_id(id) {
                    return Err(doc_error(
                        "content pack",
                        &path,
                        "pack files are named <pack_id>.json with a lowercase id",
                    ));
                }
                let pack = load_pack(&path, id)?;
                packs.insert(
                    id.to_owned(),
                    PackEntry {
                        stamp: pack.stamp,
                        doc: Some(pack.doc),
                    },
                );
            }
        }
        Ok(Documents {
            profile_path: profile_path.to_path_buf(),
            packs_dir: packs_dir.map(Path::to_path_buf),
            watchlist_path: watchlist_path.map(Path::to_path_buf),
            profile: RwLock::new(profile),
            packs: RwLock::new(packs),
            watchlist: RwLock::new(watchlist),
        })
    }

    /// The current profile, re-read if its file changed.
    pub fn profile(&self) -> Profile {
        let current = stamp(&self.profile_path).ok();
        {
            let cached = read(&self.profile);
            if current.is_none_or(|s| s == cached.stamp) {
                return Profile {
                    doc: cached.doc.clone(),
                    profile: cached.parsed.clone(),
                };
            }
        }
        let mut cached = write(&self.profile);
        if current.is_some_and(|s| s != cached.stamp) {
            match load_profile(&self.profile_path) {
                Ok(fresh) if fresh.parsed.network_id == cached.parsed.network_id => {
                    tracing::info!(version = fresh.parsed.version, "network profile reloaded");
                    *cached = fresh;
                }
                Ok(_) => {
                    tracing::warn!(
                        "replacement network profile names another network; keeping the current one"
                    );
                    if let Some(s) = current {
                        cached.stamp = s;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "replacement network profile refused; keeping the current one");
                    if let Some(s) = current {
                        cached.stamp = s;
                    }
                }
            }
        }
        Profile {
            doc: cached.doc.clone(),
            profile: cached.parsed.clone(),
        }
    }

    /// The watch-list, re-read if its file changed; `None` when none is configured.
    pub fn watchlist(&self) -> Option<Doc> {
        let path = self.watchlist_path.as_ref()?;
        let current = stamp(path).ok();
        {
            let cached = read(&self.watchlist);
            if let Some(c) = cached.as_ref()
                && current.is_none_or(|s| s == c.stamp)
            {
                return Some(c.doc.clone());
            }
        }
        let profile = self.profile();
        let mut cached = write(&self.watchlist);
        let stale = match (cached.as_ref(), current) {
            (Some(c), Some(s)) => s != c.stamp,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if stale {
            match load_watchlist(path, &profile.profile) {
                Ok(fresh) => {
                    tracing::info!("watch-list reloaded");
                    *cached = Some(fresh);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "replacement watch-list refused; keeping the current one");
                    if let (Some(c), Some(s)) = (cached.as_mut(), current) {
                        c.stamp = s;
                    }
                }
            }
        }
        cached.as_ref().map(|c| c.doc.clone())
    }

    /// A pack by id, re-read if its file changed or appeared; `None` when there is no such pack.
    pub fn pack(&self, pack_id: &str) -> Option<Doc> {
        if !valid_pack_id(pack_id) {
            return None;
        }
        let path = self.packs_dir.as_ref()?.join(format!("{pack_id}.json"));
        // The file was removed (or never existed): the pack is withdrawn.
        let current = stamp(&path).ok()?;
        {
            let cached = read(&self.packs);
            if let Some(c) = cached.get(pack_id)
                && c.stamp == current
            {
                return c.doc.clone();
            }
        }
        let mut cached = write(&self.packs);
        if cached.get(pack_id).is_none_or(|c| c.stamp != current) {
            match load_pack(&path, pack_id) {
                Ok(fresh) => {
                    tracing::info!(pack = pack_id, "content pack loaded");
                    cached.insert(
                        pack_id.to_owned(),
                        PackEntry {
                            stamp: fresh.stamp,
                            doc: Some(fresh.doc),
                        },
                    );
                }
                Err(e) => {
                    tracing::warn!(pack = pack_id, error = %e, "content pack file refused; keeping the last good version if any");
                    // Remember the refused version so it is not verified again on every request.
                    let doc = cached.get(pack_id).and_then(|c| c.doc.clone());
                    cached.insert(
                        pack_id.to_owned(),
                        PackEntry {
                            stamp: current,
                            doc,
                        },
                    );
                }
            }
        }
        cached.get(pack_id).and_then(|c| c.doc.clone())
    }
}
