//! The PostgreSQL engine, through the synchronous `postgres` crate (no TLS: the database is
//! reached on a private network or a Unix socket). The trace tables (`trace_*`) live in the
//! database the URL names, beside the hub's own tables when the hub uses the same URL.
//!
//! Captures are serialized across processes by a transaction-level advisory lock (the
//! projections are read and rewritten per capture), so two hubs on one database cannot
//! interleave them. One connection writes, another reads; statements are prepared once per
//! connection.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Statement};

use crate::error::StoreError;
use crate::migrations::{MIGRATIONS_TABLE, Migration, checksum};
use crate::sql::{Cell, Param, Row, Sql};

/// The advisory lock key that serializes captures (`pg_advisory_xact_lock`): "jinkatrc".
const CAPTURE_LOCK_KEY: i64 = 0x6a69_6e6b_6174_7263;
/// Prepared statements kept per connection.
const STATEMENT_CACHE_ENTRIES: usize = 256;

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "trace",
    sql: include_str!("../migrations/postgres/001_trace.sql"),
}];

/// A client and its prepared statements.
struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// The PostgreSQL trace store.
pub struct PostgresTraceStore {
    /// `None` only while being dropped (see `Drop`).
    writer: Mutex<Option<Connection>>,
    reader: Mutex<Option<Connection>>,
}

impl Drop for PostgresTraceStore {
    fn drop(&mut self) {
        // Closing a synchronous client runs its own runtime, which panics when the store is
        // dropped inside an asynchronous task (a server's state is): close both connections
        // on a thread of their own.
        let writer = self
            .writer
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let reader = self
            .reader
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        std::thread::scope(|scope| {
            scope.spawn(move || drop((writer, reader)));
        });
    }
}

impl std::fmt::Debug for PostgresTraceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresTraceStore").finish_non_exhaustive()
    }
}

/// Maps a driver error: a lost or refused connection, a serialization failure or a lack of
/// resources can be retried; anything else is a bug in our SQL or a damaged database.
fn storage_error(error: postgres::Error) -> StoreError {
    let retry = match error.code() {
        None => true,
        Some(code) => ["08", "40", "53", "57"]
            .iter()
            .any(|class| code.code().starts_with(class)),
    };
    if retry {
        StoreError::Unavailable {
            reason: error.to_string(),
        }
    } else {
        StoreError::corrupt(format!("postgres: {error}"))
    }
}

impl PostgresTraceStore {
    /// Connects to the database at `url` (`postgres://user@host:port/database`) and applies
    /// the migrations it lacks.
    pub fn open(url: &str) -> Result<PostgresTraceStore, StoreError> {
        let config: postgres::Config = url.parse().map_err(|error| StoreError::Config {
            reason: format!("database URL: {error}"),
        })?;
        let connect = || {
            config
                .connect(NoTls)
                .map(|client| Connection {
                    client,
                    statements: HashMap::new(),
                })
                .map_err(storage_error)
        };
        let mut writer = connect()?;
        apply_migrations(&mut writer.client)?;
        let reader = connect()?;
        Ok(PostgresTraceStore {
            writer: Mutex::new(Some(writer)),
            reader: Mutex::new(Some(reader)),
        })
    }

    fn lock(connection: &Mutex<Option<Connection>>) -> MutexGuard<'_, Option<Connection>> {
        // A panic inside a transaction rolled it back (the driver's Drop), so the connection
        // is consistent even when the mutex is poisoned.
        connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` in one write transaction, holding the capture lock.
    pub(crate) fn write<T>(
        &self,
        work: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = Self::lock(&self.writer);
        run(open(&mut connection)?, true, work)
    }

    /// Runs `work` in one read-only transaction (a consistent snapshot).
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = Self::lock(&self.reader);
        run(open(&mut connection)?, false, work)
    }
}

/// The connection, which is there until the store is dropped.
fn open(connection: &mut Option<Connection>) -> Result<&mut Connection, StoreError> {
    connection.as_mut().ok_or_else(|| StoreError::Unavailable {
        reason: "the trace store is closing".to_owned(),
    })
}

fn run<T>(
    connection: &mut Connection,
    write: bool,
    work: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let Connection { client, statements } = connection;
    let mut transaction = if write {
        let mut transaction = client.transaction().map_err(storage_error)?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&CAPTURE_LOCK_KEY])
            .map_err(storage_error)?;
        transaction
    } else {
        client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(storage_error)?
    };
    let value = work(&mut PostgresSql {
        transaction: &mut transaction,
        statements,
    })?;
    transaction.commit().map_err(storage_error)?;
    Ok(value)
}

fn apply_migrations(client: &mut Client) -> Result<(), StoreError> {
    let mut transaction = client.transaction().map_err(storage_error)?;
    // Two hubs starting at once: one migrates, the other waits and finds it done.
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&CAPTURE_LOCK_KEY])
        .map_err(storage_error)?;
    transaction
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version BIGINT PRIMARY KEY, \
             name TEXT NOT NULL, checksum TEXT NOT NULL)"
        ))
        .map_err(storage_error)?;
    let newest: Option<i64> = transaction
        .query_one(&format!("SELECT max(version) FROM {MIGRATIONS_TABLE}"), &[])
        .and_then(|row| row.try_get(0))
        .map_err(storage_error)?;
    crate::migrations::check_newest(newest, MIGRATIONS)?;
    for migration in MIGRATIONS {
        let recorded: Option<String> = transaction
            .query_opt(
                &format!("SELECT checksum FROM {MIGRATIONS_TABLE} WHERE version = $1"),
                &[&migration.version],
            )
            .and_then(|row| row.map(|row| row.try_get(0)).transpose())
            .map_err(storage_error)?;
        if crate::migrations::is_applied(migration, recorded.as_deref())? {
            continue;
        }
        transaction
            .batch_execute(migration.sql)
            .map_err(storage_error)?;
        transaction
            .execute(
                &format!(
                    "INSERT INTO {MIGRATIONS_TABLE} (version, name, checksum) VALUES ($1, $2, $3)"
                ),
                &[
                    &migration.version,
                    &migration.name,
                    &checksum(migration.sql),
                ],
            )
            .map_err(storage_error)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied trace migration"
        );
    }
    transaction.commit().map_err(storage_error)
}

/// A transaction of the PostgreSQL engine.
struct PostgresSql<'a, 'c> {
    transaction: &'a mut postgres::Transaction<'c>,
    statements: &'a mut HashMap<String, Statement>,
}

impl PostgresSql<'_, '_> {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.transaction.prepare(sql).map_err(storage_error)?;
        if self.statements.len() < STATEMENT_CACHE_ENTRIES {
            self.statements.insert(sql.to_owned(), statement.clone());
        }
        Ok(statement)
    }
}

fn values<'p>(params: &'p [Param<'_>]) -> Vec<&'p (dyn ToSql + Sync)> {
    params
        .iter()
        .map(|param| -> &(dyn ToSql + Sync) {
            match param {
                Param::Int(value) => value,
                Param::Text(text) => text,
                Param::OptText(text) => text,
                Param::Blob(bytes) => bytes,
            }
        })
        .collect()
}

fn cells(row: &postgres::Row) -> Result<Row, StoreError> {
    let mut cells = Vec::with_capacity(row.len());
    for (index, column) in row.columns().iter().enumerate() {
        let cell = match *column.type_() {
            Type::INT8 => row
                .try_get::<_, Option<i64>>(index)
                .map(|v| v.map(Cell::Int)),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(index)
                .map(|v| v.map(|v| Cell::Int(i64::from(v)))),
            Type::TEXT | Type::VARCHAR => row
                .try_get::<_, Option<String>>(index)
                .map(|v| v.map(Cell::Text)),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(index)
                .map(|v| v.map(|v| Cell::Int(i64::from(v)))),
            Type::BYTEA => row
                .try_get::<_, Option<Vec<u8>>>(index)
                .map(|v| v.map(Cell::Blob)),
            _ => {
                return Err(StoreError::corrupt(format!(
                    "postgres: a column of type {}",
                    column.type_()
                )));
            }
        }
        .map_err(storage_error)?;
        cells.push(cell.unwrap_or(Cell::Null));
    }
    Ok(cells)
}

impl Sql for PostgresSql<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        self.transaction
            .execute(&statement, &values(params))
            .map_err(storage_error)
    }

    fn insert_returning(
        &mut self,
        sql: &'static str,
        key: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<i64>, StoreError> {
        let rows = self.query(&format!("{sql} RETURNING {key}"), params)?;
        rows.first()
            .map(|row| crate::sql::Cells::new("insert", row).int())
            .transpose()
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let statement = self.statement(sql)?;
        let rows = self
            .transaction
            .query(&statement, &values(params))
            .map_err(storage_error)?;
        rows.iter().map(cells).collect()
    }
}
