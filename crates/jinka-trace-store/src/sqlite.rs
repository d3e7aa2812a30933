//! The embedded engine: the trace database file [`TRACE_DATABASE_FILE_NAME`] in the hub's
//! data directory, beside (not inside) the clearing database, through `rusqlite`.
//!
//! Durability as the hub's: WAL with `synchronous = FULL`, so a capture is on disk when it
//! is acknowledged. One connection writes (a capture is one `BEGIN IMMEDIATE` transaction),
//! another reads, so queries are not held up by a capture in progress (WAL readers see the
//! last commit).

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use crate::error::StoreError;
use crate::migrations::{MIGRATIONS_TABLE, Migration, checksum};
use crate::sql::{Cell, Param, Row, Sql};

/// The trace database's file name in the hub's data directory.
pub const TRACE_DATABASE_FILE_NAME: &str = "trace.sqlite3";
/// How long a transaction waits for another process's lock before giving up.
pub const TRACE_BUSY_TIMEOUT_MS: u64 = 5_000;
/// Page cache of the connection that captures, in KiB. Small on purpose: at the end of
/// every write transaction SQLite walks the whole page cache of the writing connection to
/// drop pages past the end of the database, which with 16 MiB was 8 to 12 % of capture's
/// profile and with 64 MiB 30 %, while 2 MiB costs no measurable extra reads.
pub const TRACE_WRITER_CACHE_KIB: i64 = 2 * 1024;
/// Page cache of the connection that answers queries, in KiB (as the clearing database's).
pub const TRACE_READER_CACHE_KIB: i64 = 64 * 1024;
/// Prepared statements kept per connection (the fixed ones, and room for queries).
const STATEMENT_CACHE_ENTRIES: usize = 128;

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "trace",
    sql: include_str!("../migrations/sqlite/001_trace.sql"),
}];

/// The SQLite trace store.
pub struct SqliteTraceStore {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteTraceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteTraceStore").finish_non_exhaustive()
    }
}

/// Maps an engine error: busy and I/O trouble can be retried, anything else is a damaged
/// database or a bug in our SQL.
fn storage_error(error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::OutOfMemory
            | ErrorCode::PermissionDenied
            | ErrorCode::ReadOnly,
        ) => StoreError::Unavailable {
            reason: error.to_string(),
        },
        _ => StoreError::corrupt(format!("sqlite: {error}")),
    }
}

impl SqliteTraceStore {
    /// Opens (creating it with mode 0600 if new) the trace database at `path` and applies
    /// the migrations it lacks.
    pub fn open(path: &Path) -> Result<SqliteTraceStore, StoreError> {
        create_private(path)?;
        let connect = |cache_kib| {
            let connection = Connection::open(path).map_err(|error| StoreError::Unavailable {
                reason: format!("{}: {error}", path.display()),
            })?;
            configure(&connection, cache_kib)?;
            Ok::<_, StoreError>(connection)
        };
        let mut writer = connect(TRACE_WRITER_CACHE_KIB)?;
        apply_migrations(&mut writer)?;
        let reader = connect(TRACE_READER_CACHE_KIB)?;
        Ok(SqliteTraceStore {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    fn lock(connection: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        // A panic inside a transaction rolled it back on unwinding (rusqlite's Drop), so the
        // connection is consistent even when the mutex is poisoned.
        connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` in one write transaction: committed if it returns `Ok`, rolled back
    /// otherwise.
    pub(crate) fn write<T>(
        &self,
        work: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = Self::lock(&self.writer);
        run(&mut connection, TransactionBehavior::Immediate, work)
    }

    /// Runs `work` in one read transaction (a consistent snapshot).
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = Self::lock(&self.reader);
        run(&mut connection, TransactionBehavior::Deferred, work)
    }
}

fn run<T>(
    connection: &mut Connection,
    behavior: TransactionBehavior,
    work: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let transaction = connection
        .transaction_with_behavior(behavior)
        .map_err(storage_error)?;
    let value = work(&mut SqliteSql {
        connection: &transaction,
    })?;
    transaction.commit().map_err(storage_error)?;
    Ok(value)
}

/// Creates the database file with mode 0600 if it does not exist: SQLite gives its `-wal`
/// and `-shm` files the main file's mode.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(StoreError::Unavailable {
            reason: format!("{}: {error}", path.display()),
        }),
    }
}

fn configure(connection: &Connection, cache_kib: i64) -> Result<(), StoreError> {
    connection
        .busy_timeout(Duration::from_millis(TRACE_BUSY_TIMEOUT_MS))
        .map_err(storage_error)?;
    let mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(storage_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable {
            reason: format!("sqlite refused WAL mode (journal_mode is {mode})"),
        });
    }
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(storage_error)?;
    connection
        .pragma_update(None, "cache_size", -cache_kib)
        .map_err(storage_error)?;

    // Query planner stability: without it a statement whose parameter sits in an indexed
    // comparison is prepared again at every new binding (STAT4 is compiled in), which cost
    // more than half of the time of capture and of the traceability queries.
    connection
        .set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(storage_error)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_ENTRIES);
    Ok(())
}

/// Applies the migrations the database lacks, each in its own transaction, refusing one
/// changed after it was applied or a database written by a newer hub.
fn apply_migrations(connection: &mut Connection) -> Result<(), StoreError> {
    connection
        .execute(
            &format!(
                "CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, \
                 name TEXT NOT NULL, checksum TEXT NOT NULL) STRICT"
            ),
            [],
        )
        .map_err(storage_error)?;
    let newest: Option<i64> = connection
        .query_row(
            &format!("SELECT max(version) FROM {MIGRATIONS_TABLE}"),
            [],
            |row| row.get(0),
        )
        .map_err(storage_error)?;
    crate::migrations::check_newest(newest, MIGRATIONS)?;
    for migration in MIGRATIONS {
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage_error)?;
        let applied: Option<String> = transaction
            .query_row(
                &format!("SELECT checksum FROM {MIGRATIONS_TABLE} WHERE version = ?1"),
                [migration.version],
                |row| row.get(0),
            )
            .optional()
            .map_err(storage_error)?;
        if crate::migrations::is_applied(migration, applied.as_deref())? {
            continue;
        }
        transaction
            .execute_batch(migration.sql)
            .map_err(storage_error)?;
        transaction
            .execute(
                &format!(
                    "INSERT INTO {MIGRATIONS_TABLE} (version, name, checksum) VALUES (?1, ?2, ?3)"
                ),
                rusqlite::params![migration.version, migration.name, checksum(migration.sql)],
            )
            .map_err(storage_error)?;
        transaction.commit().map_err(storage_error)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied trace migration"
        );
    }
    Ok(())
}

/// A transaction of the SQLite engine.
struct SqliteSql<'a> {
    connection: &'a Connection,
}

/// SQLite reads `$1`, `$2`, … as named parameters and numbers them in the order they first
/// appear, so a statement whose placeholders first appear in increasing order binds as
/// PostgreSQL does; the tests (debug builds) check every statement for it.
fn check_spelling(statement: &rusqlite::CachedStatement<'_>) {
    if cfg!(debug_assertions) {
        for index in 1..=statement.parameter_count() {
            let expected = format!("${index}");
            assert_eq!(
                statement.parameter_name(index),
                Some(expected.as_str()),
                "placeholders first appear in increasing order"
            );
        }
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Param::Int(value) => ToSqlOutput::Owned(Value::Integer(value)),
            Param::Text(text) | Param::OptText(Some(text)) => {
                ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes()))
            }
            Param::OptText(None) => ToSqlOutput::Owned(Value::Null),
            Param::Blob(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        })
    }
}

fn cell(value: ValueRef<'_>) -> Result<Cell, StoreError> {
    Ok(match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(value) => Cell::Int(value),
        ValueRef::Text(text) => Cell::Text(
            String::from_utf8(text.to_vec())
                .map_err(|_| StoreError::corrupt("sqlite: a text column is not UTF-8"))?,
        ),
        ValueRef::Blob(bytes) => Cell::Blob(bytes.to_vec()),
        ValueRef::Real(_) => return Err(StoreError::corrupt("sqlite: a REAL column")),
    })
}

impl Sql for SqliteSql<'_> {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let mut statement = self.connection.prepare_cached(sql).map_err(storage_error)?;
        check_spelling(&statement);
        let changed = statement
            .execute(rusqlite::params_from_iter(params))
            .map_err(storage_error)?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    fn insert_returning(
        &mut self,
        sql: &'static str,
        _key: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<i64>, StoreError> {
        let inserted = self.execute(sql, params)?;
        Ok((inserted > 0).then(|| self.connection.last_insert_rowid()))
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let mut statement = self.connection.prepare_cached(sql).map_err(storage_error)?;
        check_spelling(&statement);
        let columns = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(storage_error)?;
        let mut found = Vec::new();
        while let Some(row) = rows.next().map_err(storage_error)? {
            let mut cells = Vec::with_capacity(columns);
            for index in 0..columns {
                cells.push(cell(row.get_ref(index).map_err(storage_error)?)?);
            }
            found.push(cells);
        }
        Ok(found)
    }
}
