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
    /// Opens (creating if needed) the file at `path` and migrates it to the latest schema.
    pub fn open(path: &Path, spec: StoreSpec) -> Result<Store> {
        let map = corruption(&spec);
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
        configure(&writer, &spec).map_err(|e| match e {
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
        migrate(&writer, &spec).map_err(|e| match e {
            Error::Sqlite(inner) => map(inner),
            other => other,
        })?;

        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(&map)?;
        configure(&reader, &spec)?;
        Ok(Store {
            spec,
            path: path.to_path_buf(),
            reader: Mutex::new(reader),
            writer: Mutex::new(writer),
        })
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
