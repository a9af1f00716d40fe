//! The device's stores over `silbato-store`, with the core's error type.
//!
//! `silbato_store::Store` is generic over the caller's error; this wrapper fixes it to the core's
//! [`Error`] so every query in the core reads the same way. It owns nothing else and must never
//! format a value read from a store.

use std::path::Path;

use rusqlite::{Connection, Transaction};
pub use silbato_store::{Migration, StoreSpec};

use crate::error::Result;

/// A SQLite file with one writer and one reader connection (see `silbato_store::Store`).
#[derive(Debug)]
pub struct Store(silbato_store::Store);

impl Store {
    /// Opens (creating if needed) the file at `path` and migrates it to the latest schema.
    pub fn open(path: &Path, spec: StoreSpec) -> Result<Store> {
        Ok(Store(silbato_store::Store::open(path, spec)?))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Runs `f` on the reader connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.0.read(f)
    }

    /// Runs `f` in an IMMEDIATE transaction on the writer; commits if `f` returns `Ok`, else rolls
    /// back, so a failed operation leaves nothing behind.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.0.write(f)
    }

    /// Direct use of the writer outside a transaction, for pragmas such as checkpoints.
    pub fn with_writer<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.0.with_writer(f)
    }

    /// Destroys the file with its WAL and shared-memory files, for the panic wipe; this store
    /// refuses every later use (see `silbato_store::Store::wipe`).
    pub fn wipe(&self) -> Result<()> {
        Ok(self.0.wipe()?)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.0.schema_version()?)
    }
}
