//! The server engine: one PostgreSQL database by URL (`postgres://` or `postgresql://`),
//! through the synchronous `postgres` crate (no TLS: the database is reached on a trusted
//! network or a local socket), so stateless hub processes can serve over one database.
//!
//! - Every `Store` method is one transaction on a connection of a small pool of at most
//!   [`POSTGRES_POOL_CONNECTIONS_MAX`] (each statement prepared once per connection). A
//!   connection waits at most [`POSTGRES_LOCK_TIMEOUT_MS`] for a lock, a caller at most
//!   [`POSTGRES_POOL_WAIT_MS`] for a free connection: both are `Unavailable` after that.
//! - Every write transaction (the registry's and clearing's) starts by taking one
//!   transaction-scoped advisory lock ([`WRITE_LOCK`]), so writes are serialized across every
//!   hub process over the database, as SQLite serializes them in one file: two hubs never
//!   both accept a record. The unique keys of accepted records (a load's ASN and ATC, a
//!   purchase's identity) and the cards' compare-and-set on their shadow balances are the
//!   last line of defence.
//! - Durability is the server's: a commit returns once PostgreSQL has flushed it, unless the
//!   server runs with `synchronous_commit = off` (which an operator must not set for a hub).
//! - Migrations (`migrations/postgres/`) are applied at open under a session advisory lock
//!   ([`MIGRATION_LOCK`]), so two processes starting at once apply each migration once.
//! - Errors: a connection lost or refused, a serialization failure, a deadlock, a lock
//!   timeout or a server out of resources is `Unavailable`; a unique key taken is `Conflict`
//!   where the `Store` contract says so; anything else is `Corrupt`.
//!
//! Rows are checked by the same functions as the SQLite engine's (`crate::sqlite`), so both
//! engines refuse the same stored values with the same errors.

mod accepted_records;
mod card_states;
mod cards;
mod clearing;
mod credentials;
mod issuer_keys;
mod ledger;
mod lifecycle;
mod load_authorizations;
pub(crate) mod migrations;
mod participants;
mod pool;
mod risk;
mod sql;
mod terminals;

use std::time::Duration;

use ::postgres::error::SqlState;

use crate::byte_id::{Asn, TerminalId};
use crate::card::{Card, NewCard};
use crate::clearing::ClearingStorage;
use crate::clock::EpochMs;
use crate::credential::{Credential, CredentialRecord, KeyId, NewCredential};
use crate::error::HubError;
use crate::participant::{NewParticipant, Participant, ParticipantId};
use crate::store::{Page, Scope, Store};
use crate::terminal::{NewTerminal, Terminal};
use crate::vault::SealedIssuerKeys;

use pool::Pool;
use sql::Sql;

/// Most connections one hub process keeps open to the database.
pub const POSTGRES_POOL_CONNECTIONS_MAX: usize = 8;
/// How long a caller waits for a free connection before the store is `Unavailable`.
pub const POSTGRES_POOL_WAIT_MS: u64 = 5_000;
/// How long opening a connection may take.
pub const POSTGRES_CONNECT_TIMEOUT_MS: u64 = 5_000;
/// How long a statement waits for a lock (another process's write transaction) before giving
/// up (`lock_timeout`), as SQLite's [`crate::BUSY_TIMEOUT_MS`].
pub const POSTGRES_LOCK_TIMEOUT_MS: u64 = 5_000;
/// How long a starting hub waits for another one's migrations.
pub const POSTGRES_MIGRATION_LOCK_TIMEOUT_MS: u64 = 60_000;

/// The advisory lock every write transaction takes first (`pg_advisory_xact_lock`): "jinkawrt".
pub(crate) const WRITE_LOCK: i64 = 0x6A69_6E6B_6177_7274;
/// The advisory lock held while migrating (`pg_advisory_lock`): "jinkamig".
pub(crate) const MIGRATION_LOCK: i64 = 0x6A69_6E6B_616D_6967;

/// The PostgreSQL store.
pub(crate) struct PgStore {
    pool: Pool,
}

/// The scheme of a database URL, if it has one that can be shown (never the rest: it may
/// hold a password).
fn url_scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once("://")?;
    let shown = !scheme.is_empty()
        && scheme.len() <= 32
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    shown.then_some(scheme)
}

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`); a config
/// error naming the scheme otherwise.
pub(crate) fn check_url(url: &str) -> Result<(), HubError> {
    match url_scheme(url) {
        Some("postgres" | "postgresql") => Ok(()),
        Some(scheme) => Err(HubError::config(format!(
            "the database URL's scheme `{scheme}` is not one this hub opens: give \
             postgres://... or postgresql://... (PostgreSQL), or no URL for the embedded SQLite \
             database"
        ))),
        None => Err(HubError::config(
            "the database URL has no scheme: give postgres://... or postgresql://...",
        )),
    }
}

/// The connection settings of `url`, with the hub's timeouts.
fn connection_config(url: &str) -> Result<::postgres::Config, HubError> {
    check_url(url)?;
    let mut config: ::postgres::Config = url.parse().map_err(|error: ::postgres::Error| {
        // The parser's message names the option, never its value.
        HubError::config(format!("the database URL: {}", error_text(&error)))
    })?;
    config
        .application_name("jinka-hub")
        .connect_timeout(Duration::from_millis(POSTGRES_CONNECT_TIMEOUT_MS));
    Ok(config)
}

/// The error's own text and its cause's (the server's message for a database error).
fn error_text(error: &::postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    match std::error::Error::source(error) {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

/// Whether the server's error class means "try again later".
fn retryable(code: &SqlState) -> bool {
    let code = code.code();
    // 08: connection exception; 53: insufficient resources; 57P0x: the server is shutting
    // down or starting; 40001 / 40P01: serialization failure, deadlock; 55P03: lock timeout;
    // 57014: a statement cancelled.
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P0")
        || matches!(code, "40001" | "40P01" | "55P03" | "57014")
}

/// Maps an engine error: a connection lost, a server busy or going down, a serialization
/// failure or deadlock can be retried; anything else is a damaged database or a bug in our
/// SQL.
pub(crate) fn storage_error(error: ::postgres::Error) -> HubError {
    let io = std::error::Error::source(&error).is_some_and(|source| source.is::<std::io::Error>());
    let unavailable = match error.code() {
        Some(code) => retryable(code),
        None => error.is_closed() || io,
    };
    if unavailable {
        HubError::Unavailable {
            reason: format!("postgresql: {}", error_text(&error)),
        }
    } else {
        HubError::corrupt(format!("postgresql: {}", error_text(&error)))
    }
}

/// Whether `error` is a unique key taken.
pub(crate) fn is_unique_violation(error: &::postgres::Error) -> bool {
    error.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// An error opening a connection: the server's refusal of the credentials or the database
/// is the configuration's fault; anything else can be retried.
fn connect_error(error: ::postgres::Error) -> HubError {
    let refused = error.code().is_some_and(|code| {
        let code = code.code();
        code.starts_with("28") || code == "3D000"
    });
    if refused {
        HubError::config(format!(
            "the database refused the hub: {}",
            error_text(&error)
        ))
    } else if error.code().is_none() && !error.is_closed() {
        HubError::Unavailable {
            reason: format!("cannot reach the database: {}", error_text(&error)),
        }
    } else {
        storage_error(error)
    }
}

impl PgStore {
    /// Connects to the database at `url` and applies the migrations it lacks.
    pub(crate) fn open(url: &str, now: EpochMs) -> Result<PgStore, HubError> {
        let pool = Pool::new(connection_config(url)?, POSTGRES_POOL_CONNECTIONS_MAX);
        {
            let mut connection = pool.get()?;
            migrations::apply(connection.client(), now)?;
        }
        Ok(PgStore { pool })
    }

    /// Runs `change` in one write transaction, after the write lock: committed if it returns
    /// `Ok`, rolled back otherwise.
    fn write<T>(
        &self,
        change: impl FnOnce(&mut Sql<'_, ::postgres::Transaction<'_>>) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut connection = self.pool.get()?;
        let (client, statements) = connection.parts();
        let mut transaction = client.transaction().map_err(storage_error)?;
        let mut sql = Sql::new(&mut transaction, statements);
        sql.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        let value = change(&mut sql)?;
        transaction.commit().map_err(storage_error)?;
        Ok(value)
    }

    /// Runs `query` (one statement: its own transaction) on a connection.
    fn read<T>(
        &self,
        query: impl FnOnce(&mut Sql<'_, ::postgres::Client>) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut connection = self.pool.get()?;
        let (client, statements) = connection.parts();
        query(&mut Sql::new(client, statements))
    }
}

impl Store for PgStore {
    fn insert_participant(
        &self,
        new: NewParticipant,
        now: EpochMs,
    ) -> Result<Participant, HubError> {
        self.write(|sql| participants::insert(sql, new, now))
    }

    fn participant(&self, id: ParticipantId) -> Result<Option<Participant>, HubError> {
        self.read(|sql| participants::get(sql, id))
    }

    fn participants(
        &self,
        scope: Scope,
        page: Page<ParticipantId>,
    ) -> Result<Vec<Participant>, HubError> {
        self.read(|sql| participants::list(sql, scope, page))
    }

    fn insert_credential(&self, new: NewCredential, now: EpochMs) -> Result<Credential, HubError> {
        self.write(|sql| credentials::insert(sql, new, now))
    }

    fn credential_record(&self, key_id: KeyId) -> Result<Option<CredentialRecord>, HubError> {
        self.read(|sql| credentials::record(sql, key_id))
    }

    fn insert_terminal(&self, new: NewTerminal, now: EpochMs) -> Result<Terminal, HubError> {
        self.write(|sql| terminals::insert(sql, new, now))
    }

    fn insert_terminals(
        &self,
        new: Vec<NewTerminal>,
        now: EpochMs,
    ) -> Result<Vec<Terminal>, HubError> {
        self.write(|sql| terminals::insert_all(sql, new, now))
    }

    fn terminal(&self, id: TerminalId) -> Result<Option<Terminal>, HubError> {
        self.read(|sql| terminals::get(sql, id))
    }

    fn terminals(&self, scope: Scope, page: Page<TerminalId>) -> Result<Vec<Terminal>, HubError> {
        self.read(|sql| terminals::list(sql, scope, page))
    }

    fn insert_card(&self, new: NewCard, now: EpochMs) -> Result<Card, HubError> {
        self.write(|sql| cards::insert(sql, new, now))
    }

    fn insert_cards(&self, new: Vec<NewCard>, now: EpochMs) -> Result<Vec<Card>, HubError> {
        self.write(|sql| cards::insert_all(sql, new, now))
    }

    fn card(&self, asn: Asn) -> Result<Option<Card>, HubError> {
        self.read(|sql| cards::get(sql, asn))
    }

    fn cards(&self, scope: Scope, page: Page<Asn>) -> Result<Vec<Card>, HubError> {
        self.read(|sql| cards::list(sql, scope, page))
    }

    fn insert_sealed_issuer_keys(&self, row: &SealedIssuerKeys) -> Result<(), HubError> {
        self.write(|sql| issuer_keys::insert(sql, row))
    }

    fn sealed_issuer_keys(&self, scope: Scope) -> Result<Vec<SealedIssuerKeys>, HubError> {
        self.read(|sql| issuer_keys::list(sql, scope))
    }

    fn kek_check(&self) -> Result<Option<String>, HubError> {
        self.read(issuer_keys::kek_check)
    }

    fn insert_kek_check(&self, sealed: &str, now: EpochMs) -> Result<String, HubError> {
        self.write(|sql| issuer_keys::insert_kek_check(sql, sealed, now))
    }

    fn clearing(
        &self,
        work: &mut dyn FnMut(&mut dyn ClearingStorage) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        self.write(|sql| work(&mut clearing::PgClearing { sql }))
    }

    fn settlement_report(&self, window_id: u64) -> Result<Option<String>, HubError> {
        self.read(|sql| ledger::settlement_report(sql, window_id))
    }

    fn risk_read(
        &self,
        work: &mut dyn FnMut(&mut dyn crate::risk::storage::RiskStorage) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        self.risk_read_transaction(work)
    }
}

#[cfg(test)]
mod tests;
