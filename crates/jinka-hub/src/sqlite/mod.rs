//! The embedded engine: one SQLite database file in the data directory, through `rusqlite`.
//!
//! Durability: WAL with `synchronous = FULL`, so a transaction is on disk when its commit
//! returns, even across a power failure (NORMAL would survive a killed process but may lose
//! the last commits on power loss: an acknowledged batch must never be lost, and ingest
//! commits once per batch, so the fsync per commit costs little per record). Foreign keys are
//! enforced. One connection behind a mutex serializes this process's transactions; other
//! processes (the CLI's admin commands) wait up to [`BUSY_TIMEOUT_MS`] for the lock. The
//! cards' clearing columns are written as a log and kept in memory ([`card_log`]).

pub(crate) mod accepted_records;
pub(crate) mod card_log;
pub(crate) mod card_states;
pub(crate) mod cards;
mod clearing;
mod credentials;
mod issuer_keys;
pub(crate) mod ledger;
pub(crate) mod lifecycle;
pub(crate) mod load_authorizations;
mod load_book;
pub(crate) mod migrations;
pub(crate) mod participants;
mod risk;
pub(crate) mod terminals;

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

use crate::byte_id::{Asn, TerminalId};
use crate::card::{Card, NewCard};
use crate::clearing::ClearingStorage;
use crate::clock::EpochMs;
use crate::credential::{Credential, CredentialRecord, KeyId, NewCredential};
use crate::error::HubError;
use crate::participant::{NewParticipant, Participant, ParticipantId};
use crate::sqlite::card_log::{CardLog, Pending};
use crate::store::{Page, Scope, Store};
use crate::terminal::{NewTerminal, Terminal};
use crate::vault::SealedIssuerKeys;

/// The database file's name in the data directory.
pub const DATABASE_FILE_NAME: &str = "hub.sqlite3";
/// How long a transaction waits for another process's lock before giving up.
pub const BUSY_TIMEOUT_MS: u64 = 5_000;
/// Page cache per connection, in KiB (the notes: cache size matters more than the driver).
/// At a million cards the pages ingest and loads touch at random (the cards, the card-keyed
/// indexes) are several times this: on the million-card day of BENCHMARKS.md a 512 MiB cache
/// took the run from 318-328 s to 295 s but over 2 GiB of memory; 128 MiB, with the memory
/// mimalloc saved, 300 s within the same peak as 64 MiB had.
pub const CACHE_KIB: i64 = 128 * 1024;
/// WAL pages after which a commit checkpoints them into the database file (SQLite's default
/// is 1 000). Consecutive batches and load groups dirty the same pages (the cards, the
/// card-keyed indexes, the window's lines): checkpointing every GiB writes such a page to the
/// database once for many commits instead of once a commit. The ingest bench measured +25 %
/// records a second going from the default to 128 MiB; on the million-card day of
/// BENCHMARKS.md, 128 MiB → 512 MiB → 1 GiB took the run from 389 s to 371 s to 363 s (a
/// restart, which checkpoints the whole WAL on close, from 0.2 s to 0.45 s). The WAL file
/// keeps the size it reached; a crash's recovery reads it once.
pub const WAL_CHECKPOINT_PAGES: i64 = 256 * 1024;

/// Prepared statements kept per connection.
const STATEMENT_CACHE_CAPACITY: usize = 256;

/// The SQLite store.
pub(crate) struct SqliteStore {
    engine: Mutex<Engine>,
}

/// The connection and what it keeps of the cards' log.
struct Engine {
    connection: Connection,
    card_log: CardLog,
}

/// Maps an engine error: busy and I/O trouble can be retried, anything else is a damaged
/// database or a bug in our SQL.
pub(crate) fn storage_error(error: rusqlite::Error) -> HubError {
    let code = error.sqlite_error_code();
    match code {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::OutOfMemory
            | ErrorCode::PermissionDenied
            | ErrorCode::ReadOnly,
        ) => HubError::Unavailable {
            reason: error.to_string(),
        },
        _ => HubError::corrupt(format!("sqlite: {error}")),
    }
}

impl SqliteStore {
    /// Opens (creating it with mode 0600 if new) the database at `path` and applies the
    /// migrations it lacks.
    pub(crate) fn open(path: &Path, now: EpochMs) -> Result<SqliteStore, HubError> {
        create_private(path)?;
        let mut connection = Connection::open(path).map_err(|error| HubError::Unavailable {
            reason: format!("{}: {error}", path.display()),
        })?;
        configure(&connection)?;
        migrations::apply(&mut connection, now)?;
        Ok(SqliteStore {
            engine: Mutex::new(Engine {
                connection,
                card_log: CardLog::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Engine> {
        // A panic inside a transaction rolled it back on unwinding (rusqlite's Drop), so the
        // connection is consistent even when the mutex is poisoned; the card log's memory is
        // changed only after a commit, or by a sync that any later sync repeats.
        self.engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Folds the cards' log into `cards` (see [`card_log`]); how many cards it wrote.
    pub(crate) fn fold_card_log(&self) -> Result<usize, HubError> {
        let mut engine = self.lock();
        fold(&mut engine)
    }

    /// Runs `change` in one write transaction (BEGIN IMMEDIATE): committed if it returns
    /// `Ok`, rolled back otherwise.
    fn write<T>(
        &self,
        change: impl FnOnce(&Transaction<'_>) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut engine = self.lock();
        let transaction = engine
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage_error)?;
        let value = change(&transaction)?;
        transaction.commit().map_err(storage_error)?;
        Ok(value)
    }

    /// Runs `query` on the connection (a single statement is its own read transaction; a
    /// query of several statements runs in a deferred transaction).
    fn read<T>(
        &self,
        query: impl FnOnce(&Transaction<'_>) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut engine = self.lock();
        let transaction = engine
            .connection
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(storage_error)?;
        let value = query(&transaction)?;
        transaction.commit().map_err(storage_error)?;
        Ok(value)
    }

    /// Runs `work` in one transaction of `behavior` over the card log's memory, synced to it
    /// first: committed if it returns `Ok` (the cards it changed appended to the log before,
    /// kept in memory after, and the log folded if it is due), rolled back otherwise.
    fn clearing_transaction(
        &self,
        behavior: TransactionBehavior,
        work: &mut dyn FnMut(&mut clearing::SqliteClearing<'_, '_>) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        let mut engine = self.lock();
        let Engine {
            connection,
            card_log,
        } = &mut *engine;
        let tx = connection
            .transaction_with_behavior(behavior)
            .map_err(storage_error)?;
        card_log.sync(&tx)?;
        let mut pending = Pending::default();
        work(&mut clearing::SqliteClearing {
            tx: &tx,
            log: card_log,
            pending: &mut pending,
        })?;
        let seq = pending.append(&tx)?;
        tx.commit().map_err(storage_error)?;
        card_log.keep(pending, seq);
        if card_log.fold_due() {
            // The work is committed: a fold that fails is tried again after the next one.
            let started = std::time::Instant::now();
            match fold(&mut engine) {
                Ok(cards) => {
                    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    tracing::debug!(cards, ms, "card log folded");
                }
                Err(error) => tracing::warn!(%error, "card log not folded"),
            }
        }
        Ok(())
    }
}

/// Folds the log in one write transaction, then empties the memory.
fn fold(engine: &mut Engine) -> Result<usize, HubError> {
    let Engine {
        connection,
        card_log,
    } = engine;
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(storage_error)?;
    card_log.sync(&tx)?;
    let cards = card_log.fold(&tx)?;
    tx.commit().map_err(storage_error)?;
    card_log.folded();
    Ok(cards)
}

/// Folds the cards' log of the SQLite database at `path` into `cards`, so that the table's
/// clearing columns (shadow balance, counters) are every card's newest: for anything that
/// reads or changes them in SQL beside a running hub (a report, a repair, a test); a running
/// hub sees the fold at its next transaction. How many cards were written.
///
/// Opening the database applies the migrations it lacks (dated by the system clock).
pub fn fold_card_log(path: &Path) -> Result<usize, HubError> {
    use crate::clock::{Clock, SystemClock};
    SqliteStore::open(path, SystemClock.now())?.fold_card_log()
}

/// Creates the database file with mode 0600 if it does not exist: SQLite gives its `-wal` and
/// `-shm` files the main file's mode, so none of them is readable by others.
fn create_private(path: &Path) -> Result<(), HubError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(HubError::io(path, error)),
    }
}

fn configure(connection: &Connection) -> Result<(), HubError> {
    connection
        .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
        .map_err(storage_error)?;
    let mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(storage_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(HubError::Unavailable {
            reason: format!("sqlite refused WAL mode (journal_mode is {mode})"),
        });
    }
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(storage_error)?;
    connection
        .pragma_update(None, "foreign_keys", "ON")
        .map_err(storage_error)?;
    connection
        .pragma_update(None, "cache_size", -CACHE_KIB)
        .map_err(storage_error)?;
    connection
        .pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)
        .map_err(storage_error)?;
    // Every statement the hub runs stays prepared (rusqlite keeps 16 by default, fewer than
    // ingest and load authorization use between them: evicted statements were parsed again).
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// What SQLite's planner does with `sql` (its parameters all NULL): its `EXPLAIN QUERY PLAN`
/// details, joined by `; `. For tests that pin a statement to an index.
#[cfg(test)]
pub(crate) fn query_plan(connection: &Connection, sql: &str) -> String {
    let mut statement = connection
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
    let details: Vec<String> = statement
        .query_map(rusqlite::params_from_iter(nulls), |row| row.get(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    details.join("; ")
}

/// Reads a column that must be in its domain: `None` is a corrupt row of `table`.
pub(crate) fn column<T>(table: &str, column: &str, value: Option<T>) -> Result<T, HubError> {
    value.ok_or_else(|| {
        HubError::corrupt(format!("table {table}: column {column} out of its domain"))
    })
}

/// The `LIMIT` of a page.
pub(crate) fn limit<Id>(page: &Page<Id>) -> i64 {
    i64::from(page.limit)
}

/// The participant a scope restricts to, as a column value (`NULL` for all).
pub(crate) fn scope_column(scope: Scope) -> Option<i64> {
    match scope {
        Scope::All => None,
        Scope::Of(id) => Some(i64::from(id.get())),
    }
}

impl Store for SqliteStore {
    fn insert_participant(
        &self,
        new: NewParticipant,
        now: EpochMs,
    ) -> Result<Participant, HubError> {
        self.write(|tx| participants::insert(tx, new, now))
    }

    fn participant(&self, id: ParticipantId) -> Result<Option<Participant>, HubError> {
        self.read(|tx| participants::get(tx, id))
    }

    fn participants(
        &self,
        scope: Scope,
        page: Page<ParticipantId>,
    ) -> Result<Vec<Participant>, HubError> {
        self.read(|tx| participants::list(tx, scope, page))
    }

    fn insert_credential(&self, new: NewCredential, now: EpochMs) -> Result<Credential, HubError> {
        self.write(|tx| credentials::insert(tx, new, now))
    }

    fn credential_record(&self, key_id: KeyId) -> Result<Option<CredentialRecord>, HubError> {
        self.read(|tx| credentials::record(tx, key_id))
    }

    fn insert_terminal(&self, new: NewTerminal, now: EpochMs) -> Result<Terminal, HubError> {
        self.write(|tx| terminals::insert(tx, new, now))
    }

    fn insert_terminals(
        &self,
        new: Vec<NewTerminal>,
        now: EpochMs,
    ) -> Result<Vec<Terminal>, HubError> {
        self.write(|tx| terminals::insert_all(tx, new, now))
    }

    fn terminal(&self, id: TerminalId) -> Result<Option<Terminal>, HubError> {
        self.read(|tx| terminals::get(tx, id))
    }

    fn terminals(&self, scope: Scope, page: Page<TerminalId>) -> Result<Vec<Terminal>, HubError> {
        self.read(|tx| terminals::list(tx, scope, page))
    }

    fn insert_card(&self, new: NewCard, now: EpochMs) -> Result<Card, HubError> {
        self.write(|tx| cards::insert(tx, new, now))
    }

    fn insert_cards(&self, new: Vec<NewCard>, now: EpochMs) -> Result<Vec<Card>, HubError> {
        self.write(|tx| cards::insert_all(tx, new, now))
    }

    fn card(&self, asn: Asn) -> Result<Option<Card>, HubError> {
        self.read(|tx| cards::get(tx, asn))
    }

    fn cards(&self, scope: Scope, page: Page<Asn>) -> Result<Vec<Card>, HubError> {
        self.read(|tx| cards::list(tx, scope, page))
    }

    fn insert_sealed_issuer_keys(&self, row: &SealedIssuerKeys) -> Result<(), HubError> {
        self.write(|tx| issuer_keys::insert(tx, row))
    }

    fn sealed_issuer_keys(&self, scope: Scope) -> Result<Vec<SealedIssuerKeys>, HubError> {
        self.read(|tx| issuer_keys::list(tx, scope))
    }

    fn kek_check(&self) -> Result<Option<String>, HubError> {
        self.read(issuer_keys::kek_check)
    }

    fn insert_kek_check(&self, sealed: &str, now: EpochMs) -> Result<String, HubError> {
        self.write(|tx| issuer_keys::insert_kek_check(tx, sealed, now))
    }

    fn clearing(
        &self,
        work: &mut dyn FnMut(&mut dyn ClearingStorage) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        self.clearing_transaction(TransactionBehavior::Immediate, &mut |storage| work(storage))
    }

    fn settlement_report(&self, window_id: u64) -> Result<Option<String>, HubError> {
        self.read(|tx| ledger::settlement_report(tx, window_id))
    }

    fn risk_read(
        &self,
        work: &mut dyn FnMut(&mut dyn crate::risk::storage::RiskStorage) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        self.clearing_transaction(TransactionBehavior::Deferred, &mut |storage| work(storage))
    }
}
