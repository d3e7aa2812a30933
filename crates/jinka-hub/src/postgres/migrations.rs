//! Schema migrations of the PostgreSQL engine: the SQL files of `migrations/postgres/`,
//! applied in order at open, each in its own transaction, recorded in `schema_migrations`
//! with an SM3 checksum of its text (as the SQLite engine's), so a file changed after it was
//! applied, or a database written by a newer hub, is refused rather than guessed at.
//!
//! The whole run holds a session advisory lock ([`MIGRATION_LOCK`]): a second process
//! starting at the same time waits for it (at most
//! [`POSTGRES_MIGRATION_LOCK_TIMEOUT_MS`]), then finds every migration applied.

use ::postgres::Client;
use sm3::{Digest, Sm3};

use crate::clock::EpochMs;
use crate::error::HubError;
use crate::postgres::{
    MIGRATION_LOCK, POSTGRES_LOCK_TIMEOUT_MS, POSTGRES_MIGRATION_LOCK_TIMEOUT_MS, storage_error,
};
use crate::sqlite::migrations::Migration;

/// Every migration, in order. A new file is added here too (a test checks the folder).
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "registry",
        sql: include_str!("../../migrations/postgres/001_registry.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 2,
        name: "clearing",
        sql: include_str!("../../migrations/postgres/002_clearing.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 3,
        name: "indexes",
        sql: include_str!("../../migrations/postgres/003_indexes.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 4,
        name: "risk",
        sql: include_str!("../../migrations/postgres/004_risk.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 5,
        name: "lifecycle",
        sql: include_str!("../../migrations/postgres/005_lifecycle.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 6,
        name: "refunds",
        sql: include_str!("../../migrations/postgres/006_refunds.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 7,
        name: "replacement_credits",
        sql: include_str!("../../migrations/postgres/007_replacement_credits.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 8,
        name: "risk_state_chunks",
        sql: include_str!("../../migrations/postgres/008_risk_state_chunks.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 9,
        name: "load_state_off_card_indexes",
        sql: include_str!("../../migrations/postgres/009_load_state_off_card_indexes.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 10,
        name: "load_logs_without_request_indexes",
        sql: include_str!("../../migrations/postgres/010_load_logs_without_request_indexes.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 11,
        name: "loads_in_hub_order",
        sql: include_str!("../../migrations/postgres/011_loads_in_hub_order.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 12,
        name: "accepted_records_in_arrival_order",
        sql: include_str!("../../migrations/postgres/012_accepted_records_in_arrival_order.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 13,
        name: "cards_highest_points",
        sql: include_str!("../../migrations/postgres/013_cards_highest_points.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 14,
        name: "load_authorizations_one_card_index",
        sql: include_str!("../../migrations/postgres/014_load_authorizations_one_card_index.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 15,
        name: "cards_gap_edges",
        sql: include_str!("../../migrations/postgres/015_cards_gap_edges.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 16,
        name: "purchases_off_the_dedupe_index",
        sql: include_str!("../../migrations/postgres/016_purchases_off_the_dedupe_index.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 17,
        name: "batches_accepted_range",
        sql: include_str!("../../migrations/postgres/017_batches_accepted_range.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 18,
        name: "card_log",
        sql: include_str!("../../migrations/postgres/018_card_log.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 19,
        name: "checks_without_in_lists",
        sql: include_str!("../../migrations/postgres/019_checks_without_in_lists.sql"),
        rebuilds_tables: false,
    },
];

const CREATE_SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version bigint PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at_ms bigint NOT NULL
)";

fn checksum(sql: &str) -> String {
    hex::encode(Sm3::digest(sql.as_bytes()))
}

/// Applies the migrations the database has not seen, in order, under the migration lock.
pub(crate) fn apply(client: &mut Client, now: EpochMs) -> Result<(), HubError> {
    client
        .batch_execute(&format!(
            "SET lock_timeout = {POSTGRES_MIGRATION_LOCK_TIMEOUT_MS}"
        ))
        .map_err(storage_error)?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(storage_error)?;
    let applied = apply_locked(client, now);
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .and_then(|_| {
            client.batch_execute(&format!("SET lock_timeout = {POSTGRES_LOCK_TIMEOUT_MS}"))
        })
        .map_err(storage_error);
    applied?;
    unlocked
}

fn apply_locked(client: &mut Client, now: EpochMs) -> Result<(), HubError> {
    client
        .batch_execute(CREATE_SCHEMA_MIGRATIONS)
        .map_err(storage_error)?;
    let newest: Option<i64> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .and_then(|row| row.try_get(0))
        .map_err(storage_error)?;
    let known = MIGRATIONS.last().map_or(0, |migration| migration.version);
    if let Some(newest) = newest.filter(|newest| *newest > known) {
        return Err(HubError::corrupt(format!(
            "schema_migrations: the database has migration {newest}, this hub knows up to \
             {known}: run a newer hub"
        )));
    }
    for migration in MIGRATIONS {
        apply_one(client, migration, now)?;
    }
    Ok(())
}

fn apply_one(client: &mut Client, migration: &Migration, now: EpochMs) -> Result<(), HubError> {
    let mut transaction = client.transaction().map_err(storage_error)?;
    let applied: Option<String> = transaction
        .query_opt(
            "SELECT checksum FROM schema_migrations WHERE version = $1",
            &[&migration.version],
        )
        .and_then(|row| row.map(|row| row.try_get(0)).transpose())
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
        .batch_execute(migration.sql)
        .map_err(storage_error)?;
    transaction
        .execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at_ms)
             VALUES ($1, $2, $3, $4)",
            &[&migration.version, &migration.name, &expected, &now.get()],
        )
        .map_err(storage_error)?;
    transaction.commit().map_err(storage_error)?;
    tracing::info!(
        version = migration.version,
        name = migration.name,
        engine = "postgresql",
        "applied migration"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_folder_is_listed_in_order() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
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
    fn both_engines_have_the_same_migrations() {
        let names = |list: &[Migration]| -> Vec<(i64, &str)> {
            list.iter().map(|m| (m.version, m.name)).collect()
        };
        assert_eq!(
            names(MIGRATIONS),
            names(crate::sqlite::migrations::MIGRATIONS)
        );
    }
}
