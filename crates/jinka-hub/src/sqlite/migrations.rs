//! Schema migrations of the SQLite engine: the SQL files of `migrations/sqlite/`, applied in
//! order at open, each in its own transaction, recorded in `schema_migrations` with an SM3
//! checksum of its text, so a file changed after it was applied, or a database written by a
//! newer hub, is refused rather than guessed at.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sm3::{Digest, Sm3};

use crate::clock::EpochMs;
use crate::error::HubError;
use crate::sqlite::storage_error;

/// One migration file.
pub(crate) struct Migration {
    /// Its number, the `NNN` of `NNN_name.sql`; 1, 2, ... without gaps.
    pub(crate) version: i64,
    /// The `name` of `NNN_name.sql`.
    pub(crate) name: &'static str,
    /// Its SQL.
    pub(crate) sql: &'static str,
}

/// Every migration, in order. A new file is added here too (a test checks the folder).
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "registry",
        sql: include_str!("../../migrations/sqlite/001_registry.sql"),
    },
    Migration {
        version: 2,
        name: "clearing",
        sql: include_str!("../../migrations/sqlite/002_clearing.sql"),
    },
    Migration {
        version: 3,
        name: "indexes",
        sql: include_str!("../../migrations/sqlite/003_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "risk",
        sql: include_str!("../../migrations/sqlite/004_risk.sql"),
    },
    Migration {
        version: 5,
        name: "lifecycle",
        sql: include_str!("../../migrations/sqlite/005_lifecycle.sql"),
    },
    Migration {
        version: 6,
        name: "refunds",
        sql: include_str!("../../migrations/sqlite/006_refunds.sql"),
    },
    Migration {
        version: 7,
        name: "replacement_credits",
        sql: include_str!("../../migrations/sqlite/007_replacement_credits.sql"),
    },
    Migration {
        version: 8,
        name: "risk_state_chunks",
        sql: include_str!("../../migrations/sqlite/008_risk_state_chunks.sql"),
    },
    Migration {
        version: 9,
        name: "load_state_off_card_indexes",
        sql: include_str!("../../migrations/sqlite/009_load_state_off_card_indexes.sql"),
    },
    Migration {
        version: 10,
        name: "load_logs_without_request_indexes",
        sql: include_str!("../../migrations/sqlite/010_load_logs_without_request_indexes.sql"),
    },
];

const CREATE_SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at_ms INTEGER NOT NULL
) STRICT";

fn checksum(sql: &str) -> String {
    hex::encode(Sm3::digest(sql.as_bytes()))
}

/// Applies the migrations `connection` has not seen, in order.
pub(crate) fn apply(connection: &mut Connection, now: EpochMs) -> Result<(), HubError> {
    connection
        .execute(CREATE_SCHEMA_MIGRATIONS, [])
        .map_err(storage_error)?;
    let newest: Option<i64> = connection
        .query_row("SELECT max(version) FROM schema_migrations", [], |row| {
            row.get(0)
        })
        .map_err(storage_error)?;
    let known = MIGRATIONS.last().map_or(0, |migration| migration.version);
    if let Some(newest) = newest.filter(|newest| *newest > known) {
        return Err(HubError::corrupt(format!(
            "schema_migrations: the database has migration {newest}, this hub knows up to \
             {known}: run a newer hub"
        )));
    }
    for migration in MIGRATIONS {
        apply_one(connection, migration, now)?;
    }
    Ok(())
}

fn apply_one(
    connection: &mut Connection,
    migration: &Migration,
    now: EpochMs,
) -> Result<(), HubError> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(storage_error)?;
    let applied: Option<String> = transaction
        .query_row(
            "SELECT checksum FROM schema_migrations WHERE version = ?1",
            [migration.version],
            |row| row.get(0),
        )
        .optional()
        .map_err(storage_error)?;
    let expected = checksum(migration.sql);
    match applied {
        Some(found) if found == expected => return Ok(()),
        Some(_) => {
            return Err(HubError::corrupt(format!(
                "schema_migrations: migration {:03}_{} changed after it was applied",
                migration.version, migration.name
            )));
        }
        None => {}
    }
    transaction
        .execute_batch(migration.sql)
        .map_err(storage_error)?;
    transaction
        .execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at_ms)
             VALUES (?1, ?2, ?3, ?4)",
            params![migration.version, migration.name, expected, now.get()],
        )
        .map_err(storage_error)?;
    transaction.commit().map_err(storage_error)?;
    tracing::info!(
        version = migration.version,
        name = migration.name,
        "applied migration"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_folder_is_listed_in_order() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:03}_{}.sql", m.version, m.name))
            .collect();
        assert_eq!(files, listed);
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1);
            let text = std::fs::read_to_string(format!("{folder}/{}", listed[index])).unwrap();
            assert_eq!(text, migration.sql);
        }
    }

    #[test]
    fn applying_twice_changes_nothing_and_a_changed_file_is_refused() {
        let mut connection = Connection::open_in_memory().unwrap();
        apply(&mut connection, EpochMs::new(1)).unwrap();
        apply(&mut connection, EpochMs::new(2)).unwrap();
        let rows: i64 = connection
            .query_row("SELECT count(*) FROM schema_migrations", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(rows, MIGRATIONS.len() as i64);
        connection
            .execute(
                "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1",
                [],
            )
            .unwrap();
        let error = apply(&mut connection, EpochMs::new(3)).unwrap_err();
        assert!(
            error.to_string().contains("001_registry changed"),
            "{error}"
        );
    }

    #[test]
    fn a_database_of_a_newer_hub_is_refused() {
        let mut connection = Connection::open_in_memory().unwrap();
        apply(&mut connection, EpochMs::new(1)).unwrap();
        connection
            .execute(
                "INSERT INTO schema_migrations VALUES (999, 'future', 'x', 1)",
                [],
            )
            .unwrap();
        let error = apply(&mut connection, EpochMs::new(2)).unwrap_err();
        assert!(error.to_string().contains("run a newer hub"), "{error}");
    }
}
