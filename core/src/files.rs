//! Writing the files an organizer's tools produce (keys, signed packs, profiles, alerts), durably.
//!
//! This module owns two rules: a new file never replaces an existing one (a typo must not destroy
//! a signing key or a published document), and a replaced file is swapped in atomically (a crash
//! leaves the old file or the new one, never half of either); both fsync the file and its
//! directory before returning. It never reads, logs or formats what it writes, and reports I/O
//! failures as the operating system's `io::Error` so the caller decides what to say.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Creates `path` with `bytes`, readable and writable by its owner only when `private`; fails
/// with `io::ErrorKind::AlreadyExists` rather than replace a file.
pub fn write_new(path: &Path, bytes: &[u8], private: bool) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = opts.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    sync_dir(path);
    Ok(())
}

/// Replaces `path` with `bytes` atomically: written to a temporary file beside it, synced, renamed
/// over it, and the directory synced.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp-silbato");
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_dir(path);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates a device's data directory (and any missing parents) readable only by its owner (0700
/// on Unix), and restricts an existing one.
pub fn private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)?;
    set_mode(path, 0o700)
}

/// Restricts everything in a data directory to its owner: every file 0600, every directory 0700
/// (one level of subdirectories deep, as the data directory has: the vault's photos). Symbolic
/// links are left alone. Fixes files an older build created with wider permissions.
pub fn privatize_tree(dir: &Path) -> io::Result<()> {
    set_mode(dir, 0o700)?;
    privatize_entries(dir, 1)
}

fn privatize_entries(dir: &Path, depth: u8) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = fs::symlink_metadata(entry.path())?;
        if meta.is_dir() {
            set_mode(&entry.path(), 0o700)?;
            if depth > 0 {
                privatize_entries(&entry.path(), depth - 1)?;
            }
        } else if meta.is_file() {
            set_mode(&entry.path(), 0o600)?;
        }
    }
    Ok(())
}

/// Sets a file's or directory's permission bits, when they differ. A path that vanished in the
/// meantime is fine.
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o777 != mode => {
                fs::set_permissions(path, fs::Permissions::from_mode(mode))
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Makes a rename or unlink durable. Not every platform can open a directory; that is not fatal.
pub(crate) fn sync_dir(path: &Path) {
    let dir = if path.is_dir() {
        Some(path)
    } else {
        path.parent()
    };
    if let Some(dir) = dir
        && let Ok(f) = fs::File::open(dir)
    {
        let _ = f.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        write_new(&path, b"first", true).unwrap();
        let err = write_new(&path, b"second", true).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn replace_swaps_the_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alert.json");
        fs::write(&path, b"old contents, longer than the new").unwrap();
        replace(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
    }
}
