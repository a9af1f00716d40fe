//! Opening Silbato's SQLite files (the device's `rights.db`, `inbox.db`, `vault.db`, and the hub's
//! `hub.db`) and keeping their schemas current.
//!
//! This crate owns connection set-up (pragmas), the numbered migrations under `migrations/<store>/`
//! applied inside one IMMEDIATE transaction under `PRAGMA user_version`, the refusal of files written
//! by a newer version, and the split into one writer and one reader connection. It knows nothing
//! about what the stores hold, and must never log or format a value read from them.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

/// What opening or using a store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{store}.db was written by a newer version of Silbato (schema {found}, this build knows {supported})"
    )]
    SchemaTooNew {
        store: &'static str,
        found: u32,
        supported: u32,
    },
    #[error("{store}.db is corrupt or not a database")]
    Corrupt { store: &'static str },
    /// SQLite's own message can quote SQL or values, so only its code is shown.
    #[error("storage error ({})", storage_code(.0))]
    Sqlite(#[from] rusqlite::Error),
    /// Setting a file's permissions, or removing it in a wipe, failed. The operating system's
    /// error kind only: its message could name a path.
    #[error("storage file error ({})", .0.kind())]
    Io(std::io::Error),
}

/// A short, value-free name for a SQLite failure.
pub fn storage_code(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => format!("{:?}", f.code),
        rusqlite::Error::QueryReturnedNoRows => "no rows".into(),
        rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) => {
            "unexpected column type".into()
        }
        _ => "internal".into(),
    }
}

/// True for the SQLite failures that mean the file itself is damaged.
pub fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
type Error = StoreError;

/// One numbered migration script.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// 1-based; the schema version after this script ran.
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// How a store is opened: its name, its migrations, and the durability it needs.
#[derive(Debug, Clone, Copy)]
pub struct StoreSpec {
    pub name: &'static str,
    pub migrations: &'static [Migration],
    /// `synchronous=FULL` instead of NORMAL: every commit reaches the disk before it returns.
    pub full_sync: bool,
    /// `secure_delete=ON`: deleted content is overwritten, not left in free pages.
    pub secure_delete: bool,
    /// Run `PRAGMA quick_check` when opening (cheap on small files; catches damage early).
    pub check_on_open: bool,
}

impl StoreSpec {
    pub fn latest_version(&self) -> u32 {
        self.migrations.last().map_or(0, |m| m.version)
    }
}

/// A SQLite file with one writer and one reader connection.
///
/// WAL mode lets the reader see the last committed state while the writer works, so a search never
/// waits for an install.
#[derive(Debug)]
pub struct Store {
    spec: StoreSpec,
    path: PathBuf,
    // Fields drop in order: the reader closes first so that the writer is the last connection,
    // which checkpoints the WAL into the main file and removes it (a read-only one cannot).
    reader: Mutex<Connection>,
    writer: Mutex<Connection>,
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn configure(conn: &Connection, spec: &StoreSpec) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(
        None,
        "synchronous",
        if spec.full_sync { "FULL" } else { "NORMAL" },
    )?;
    conn.pragma_update(
        None,
        "secure_delete",
        if spec.secure_delete { "ON" } else { "OFF" },
    )?;
    // Temporary tables and sort spills stay in memory, never in a temp file on disk.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

fn corruption(spec: &StoreSpec) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| {
        if is_corruption(&e) {
            Error::Corrupt { store: spec.name }
        } else {
            Error::Sqlite(e)
        }
    }
}

impl Store {
    /// Opens (creating if needed) the file at `path` and migrates it to the latest schema. The
    /// file and its `-wal` / `-shm` companions are readable and writable by their owner only
    /// (0600 on Unix), also when they already existed with wider permissions.
    pub fn open(path: &Path, spec: StoreSpec) -> Result<Store> {
        let (writer, reader) = open_connections(path, &spec)?;
        Ok(Store {
            spec,
            path: path.to_path_buf(),
            reader: Mutex::new(reader),
            writer: Mutex::new(writer),
        })
    }

    /// Destroys the file, for a panic wipe: both connections are closed, then the file and its
    /// `-wal`, `-shm` and `-journal` are overwritten with zeros and removed (deleting rows would
    /// leave their bytes in free pages and the WAL). Waits for the operations in flight on either
    /// connection. This `Store` is finished: every later use of it fails (its connections are
    /// empty in-memory placeholders with no tables), so a holder that missed the wipe can never
    /// write into the next file; open a new `Store` on the path for an empty one.
    pub fn wipe(&self) -> Result<()> {
        let mut writer = lock(&self.writer);
        let mut reader = lock(&self.reader);
        // Close the real connections (reader first, as on drop) by swapping in placeholders.
        drop(std::mem::replace(
            &mut *reader,
            Connection::open_in_memory()?,
        ));
        drop(std::mem::replace(
            &mut *writer,
            Connection::open_in_memory()?,
        ));
        let mut first_error: Option<std::io::Error> = None;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let Err(e) = zero_and_remove(&companion(&self.path, suffix)) {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(Error::Io(e)),
            None => Ok(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// Runs `f` on the reader connection.
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let conn = lock(&self.reader);
        f(&conn)
    }

    /// Runs `f` in an IMMEDIATE transaction on the writer; commits if `f` returns `Ok`, else rolls
    /// back, so a failed operation leaves nothing behind. `E` is the caller's error type, so a
    /// closure can fail with its own typed errors as well as SQLite's.
    pub fn write<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Direct use of the writer outside a transaction, for pragmas such as checkpoints.
    pub fn with_writer<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let conn = lock(&self.writer);
        f(&conn)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32> {
        self.read(|c| -> Result<u32> { Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?) })
    }
}

/// `path` with `suffix` appended to its file name (`inbox.db` -> `inbox.db-wal`).
fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Restricts a file to its owner (0600). A file that does not exist is fine.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o777 != 0o600 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Creates the database file empty with mode 0600 if it does not exist, so SQLite (which gives
/// the `-wal` and `-shm` files the database's permissions) never makes a world-readable one, and
/// restricts an existing file and its companions.
fn prepare_private(path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map_err(Error::Io)?;
    // Best effort on files that already existed: one this user may not change (another owner)
    // still opens, as it did before.
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = make_private(&companion(path, suffix));
    }
    Ok(())
}

/// Overwrites a file with zeros, syncs it, and removes it. A missing file is fine.
fn zero_and_remove(path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let len = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
        f.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    f.sync_all()?;
    drop(f);
    std::fs::remove_file(path)
}

/// The writer (migrated to the latest schema) and the reader connection on `path`.
fn open_connections(path: &Path, spec: &StoreSpec) -> Result<(Connection, Connection)> {
    prepare_private(path)?;
    let map = corruption(spec);
    let writer = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(&map)?;
    // The first statement that reads the header is where a damaged file shows itself.
    let mode: String = writer
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(&map)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Corrupt { store: spec.name });
    }
    configure(&writer, spec).map_err(|e| match e {
        Error::Sqlite(inner) => map(inner),
        other => other,
    })?;
    if spec.check_on_open {
        let verdict: String = writer
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(&map)?;
        if verdict != "ok" {
            return Err(Error::Corrupt { store: spec.name });
        }
    }
    migrate(&writer, spec).map_err(|e| match e {
        Error::Sqlite(inner) => map(inner),
        other => other,
    })?;

    let reader = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(&map)?;
    configure(&reader, spec)?;
    // The WAL and shared-memory files exist now; SQLite made them like the database, but an old
    // build may have left wider ones behind.
    for suffix in ["-wal", "-shm"] {
        let _ = make_private(&companion(path, suffix));
    }
    Ok((writer, reader))
}

/// A poisoned mutex only means another thread panicked mid-call; SQLite's own transaction state is
/// still consistent (an unfinished transaction rolls back when its guard drops), so carry on.
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Brings the file to the latest version in one IMMEDIATE transaction: either every pending
/// migration applies or none does.
fn migrate(conn: &Connection, spec: &StoreSpec) -> Result<()> {
    let latest = spec.latest_version();
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > latest {
            return Err(Error::SchemaTooNew {
                store: spec.name,
                found: current,
                supported: latest,
            });
        }
        for m in spec.migrations.iter().filter(|m| m.version > current) {
            conn.execute_batch(m.sql)?;
            conn.pragma_update(None, "user_version", m.version)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            // The original error matters more than a failed rollback.
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Declares a store's migrations from `migrations/<store>/NNN_name.sql`, in order.
#[macro_export]
#[doc(hidden)]
macro_rules! migrations {
    ($store:literal: $($version:literal => $name:literal),+ $(,)?) => {
        &[$($crate::Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/", $store, "/", $name, ".sql")),
        }),+]
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: &[Migration] = &[
        Migration {
            version: 1,
            name: "001",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            version: 2,
            name: "002",
            sql: "ALTER TABLE a ADD COLUMN y TEXT;",
        },
        Migration {
            version: 3,
            name: "003",
            sql: "CREATE TABLE b (z INTEGER);",
        },
    ];

    fn spec(migrations: &'static [Migration]) -> StoreSpec {
        StoreSpec {
            name: "test",
            migrations,
            full_sync: false,
            secure_delete: false,
            check_on_open: true,
        }
    }

    #[test]
    fn migrates_from_every_earlier_version() {
        for from in 0..=3usize {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.db");
            if from > 0 {
                let old = Store::open(&path, spec(&THREE[..from])).unwrap();
                old.write(|tx| -> Result<usize> {
                    Ok(tx.execute("INSERT INTO a (x) VALUES (7)", [])?)
                })
                .unwrap();
            }
            let store = Store::open(&path, spec(THREE)).unwrap();
            assert_eq!(store.schema_version().unwrap(), 3);
            let rows: i64 = store
                .read(|c| -> Result<i64> {
                    Ok(c.query_row("SELECT count(*) FROM a", [], |r| r.get(0))?)
                })
                .unwrap();
            assert_eq!(
                rows,
                i64::from(from > 0),
                "data written at version {from} survives"
            );
        }
    }

    #[test]
    fn refuses_a_newer_file_and_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(Store::open(&path, spec(THREE)).unwrap());
        match Store::open(&path, spec(&THREE[..1])) {
            Err(Error::SchemaTooNew {
                found: 3,
                supported: 1,
                ..
            }) => {}
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
        assert_eq!(
            Store::open(&path, spec(THREE))
                .unwrap()
                .schema_version()
                .unwrap(),
            3
        );
    }

    #[test]
    fn a_failing_migration_applies_nothing() {
        const BROKEN: &[Migration] = &[
            Migration {
                version: 1,
                name: "001",
                sql: "CREATE TABLE a (x INTEGER);",
            },
            Migration {
                version: 2,
                name: "002",
                sql: "CREATE TABLE b (z); THIS IS NOT SQL;",
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        assert!(Store::open(&path, spec(BROKEN)).is_err());
        let store = Store::open(&path, spec(&BROKEN[..0])).unwrap();
        assert_eq!(store.schema_version().unwrap(), 0);
        let tables: i64 = store
            .read(|c| -> Result<i64> {
                Ok(c.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(tables, 0);
    }

    #[test]
    fn garbage_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        assert!(matches!(
            Store::open(&path, spec(THREE)),
            Err(Error::Corrupt { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn h12_12_files_are_the_owners_only_also_when_they_were_not() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = Store::open(&path, spec(THREE)).unwrap();
        store
            .write(|tx| -> Result<usize> { Ok(tx.execute("INSERT INTO a (x) VALUES (1)", [])?) })
            .unwrap();
        for suffix in ["", "-wal", "-shm"] {
            assert_eq!(mode(&companion(&path, suffix)), 0o600, "t.db{suffix}");
        }
        drop(store);
        // An older build's world-readable file is restricted on open.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _store = Store::open(&path, spec(THREE)).unwrap();
        for suffix in ["", "-wal", "-shm"] {
            assert_eq!(mode(&companion(&path, suffix)), 0o600, "t.db{suffix}");
        }
    }

    #[test]
    fn h12_10_wipe_leaves_no_byte_of_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = Store::open(&path, spec(THREE)).unwrap();
        store
            .write(|tx| -> Result<usize> {
                Ok(tx.execute("INSERT INTO b (z) VALUES ('CanaryStoreWombat')", [])?)
            })
            .unwrap();
        store.wipe().unwrap();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            assert!(!companion(&path, suffix).exists(), "t.db{suffix}");
        }
        // The wiped store refuses every use, so nothing lands in the next file by mistake.
        assert!(
            store
                .write(|tx| -> Result<usize> {
                    Ok(tx.execute("INSERT INTO a (x) VALUES (2)", [])?)
                })
                .is_err()
        );
        assert!(
            store
                .read(|c| -> Result<i64> {
                    Ok(c.query_row("SELECT count(*) FROM b", [], |r| r.get(0))?)
                })
                .is_err()
        );
        // A new store on the path is empty, at the latest schema.
        let fresh = Store::open(&path, spec(THREE)).unwrap();
        assert_eq!(fresh.schema_version().unwrap(), 3);
        let rows: i64 = fresh
            .read(|c| -> Result<i64> {
                Ok(c.query_row("SELECT count(*) FROM b", [], |r| r.get(0))?)
            })
            .unwrap();
        assert_eq!(rows, 0);
        drop(fresh);
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(17).any(|w| w == b"CanaryStoreWombat"));
    }

    #[test]
    fn write_rolls_back_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), spec(THREE)).unwrap();
        let r: Result<()> = store.write(|tx| {
            tx.execute("INSERT INTO a (x) VALUES (1)", [])?;
            Err(Error::Corrupt { store: "test" })
        });
        assert!(r.is_err());
        let n: i64 = store
            .read(|c| -> Result<i64> {
                Ok(c.query_row("SELECT count(*) FROM a", [], |r| r.get(0))?)
            })
            .unwrap();
        assert_eq!(n, 0);
    }
}
