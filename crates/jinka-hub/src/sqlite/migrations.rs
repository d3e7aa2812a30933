//! Schema migrations of the SQLite engine: the SQL files of `migrations/sqlite/`, applied in
//! order at open, each in its own transaction, recorded in `schema_migrations` with an SM3
//! checksum of its text, so a file changed after it was applied, or a database written by a
//! newer hub, is refused rather than guessed at.
//!
//! A migration that rebuilds a table other tables refer to (SQLite cannot change a table's
//! key in place) runs with foreign keys off, as SQLite's procedure for such changes requires,
//! and checks every foreign key of the database before it commits.

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
    /// SQLite only: runs with foreign key enforcement off (it drops and recreates a parent
    /// table), then checks every foreign key before committing. PostgreSQL changes keys in
    /// place, in a transaction, and leaves it `false`.
    pub(crate) rebuilds_tables: bool,
}

/// Every migration, in order. A new file is added here too (a test checks the folder).
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "registry",
        sql: include_str!("../../migrations/sqlite/001_registry.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 2,
        name: "clearing",
        sql: include_str!("../../migrations/sqlite/002_clearing.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 3,
        name: "indexes",
        sql: include_str!("../../migrations/sqlite/003_indexes.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 4,
        name: "risk",
        sql: include_str!("../../migrations/sqlite/004_risk.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 5,
        name: "lifecycle",
        sql: include_str!("../../migrations/sqlite/005_lifecycle.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 6,
        name: "refunds",
        sql: include_str!("../../migrations/sqlite/006_refunds.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 7,
        name: "replacement_credits",
        sql: include_str!("../../migrations/sqlite/007_replacement_credits.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 8,
        name: "risk_state_chunks",
        sql: include_str!("../../migrations/sqlite/008_risk_state_chunks.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 9,
        name: "load_state_off_card_indexes",
        sql: include_str!("../../migrations/sqlite/009_load_state_off_card_indexes.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 10,
        name: "load_logs_without_request_indexes",
        sql: include_str!("../../migrations/sqlite/010_load_logs_without_request_indexes.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 11,
        name: "loads_in_hub_order",
        sql: include_str!("../../migrations/sqlite/011_loads_in_hub_order.sql"),
        rebuilds_tables: true,
    },
    Migration {
        version: 12,
        name: "accepted_records_in_arrival_order",
        sql: include_str!("../../migrations/sqlite/012_accepted_records_in_arrival_order.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 13,
        name: "cards_highest_points",
        sql: include_str!("../../migrations/sqlite/013_cards_highest_points.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 14,
        name: "load_authorizations_one_card_index",
        sql: include_str!("../../migrations/sqlite/014_load_authorizations_one_card_index.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 15,
        name: "cards_gap_edges",
        sql: include_str!("../../migrations/sqlite/015_cards_gap_edges.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 16,
        name: "purchases_off_the_dedupe_index",
        sql: include_str!("../../migrations/sqlite/016_purchases_off_the_dedupe_index.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 17,
        name: "batches_accepted_range",
        sql: include_str!("../../migrations/sqlite/017_batches_accepted_range.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 18,
        name: "card_log",
        sql: include_str!("../../migrations/sqlite/018_card_log.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 19,
        name: "checks_without_in_lists",
        sql: include_str!("../../migrations/sqlite/019_checks_without_in_lists.sql"),
        rebuilds_tables: true,
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
    if !migration.rebuilds_tables {
        return apply_in_transaction(connection, migration, now);
    }
    // The pragma is a no-op inside a transaction: it is set around it, and set back to what
    // it was whether the migration applied or not.
    let enforced = foreign_keys(connection)?;
    set_foreign_keys(connection, false)?;
    let applied = apply_in_transaction(connection, migration, now);
    let restored = set_foreign_keys(connection, enforced);
    applied.and(restored)
}

/// Whether the connection enforces foreign keys.
fn foreign_keys(connection: &Connection) -> Result<bool, HubError> {
    connection
        .pragma_query_value(None, "foreign_keys", |row| row.get(0))
        .map_err(storage_error)
}

fn set_foreign_keys(connection: &Connection, on: bool) -> Result<(), HubError> {
    connection
        .pragma_update(None, "foreign_keys", if on { "ON" } else { "OFF" })
        .map_err(storage_error)
}

/// The first foreign key of the database that names a missing row, if any.
fn broken_foreign_key(connection: &Connection) -> Result<Option<String>, HubError> {
    connection
        .query_row("PRAGMA foreign_key_check", [], |row| {
            let table: String = row.get(0)?;
            let rowid: Option<i64> = row.get(1)?;
            let parent: String = row.get(2)?;
            let row = rowid.map_or_else(|| "a row".to_owned(), |rowid| format!("row {rowid}"));
            Ok(format!("{row} of {table} names a missing row of {parent}"))
        })
        .optional()
        .map_err(storage_error)
}

fn apply_in_transaction(
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
    if migration.rebuilds_tables
        && let Some(broken) = broken_foreign_key(&transaction)?
    {
        return Err(HubError::corrupt(format!(
            "migration {:03}_{}: {broken}",
            migration.version, migration.name
        )));
    }
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

    /// A database at migration 10 holding two loads (authorized in the order opposite to
    /// their request ids), their logs and a posted load's record; foreign keys on, as the
    /// store opens it.
    fn database_at_010_with_loads() -> Connection {
        let mut connection = Connection::open_in_memory().unwrap();
        connection
            .pragma_update(None, "foreign_keys", "ON")
            .unwrap();
        connection.execute(CREATE_SCHEMA_MIGRATIONS, []).unwrap();
        for migration in &MIGRATIONS[..10] {
            apply_one(&mut connection, migration, EpochMs::new(1)).unwrap();
        }
        connection
            .execute_batch(
                "INSERT INTO participants (id, name, region, interchange_basis_points,
                    interchange_fixed_fen, network_basis_points, network_fixed_fen, created_at_ms)
                 VALUES (7, 'metro', 1, 0, 0, 0, 0, 1);
                 INSERT INTO load_authorizations (request_id, requester_id, asn, issuer_id,
                    key_version, algorithm_id, balance_before_fen, online_atc, card_random, mac1,
                    amount_fen, terminal_id, date, time, mac2, state, created_at_ms,
                    state_changed_at_ms)
                 VALUES
                    ('Z-L1', 7, x'0000000000000001', x'0102030405060708', 1, 4, 0, 1,
                     x'00000001', x'00000002', 20000, x'000000000001', '20261127', '080000',
                     x'00000003', 'posted-tac', 100, 200),
                    ('A-L1', 7, x'0000000000000002', x'0102030405060708', 1, 4, 500, 3,
                     x'00000004', x'00000005', 5000, x'000000000002', '20261127', '080100',
                     x'00000006', 'pending', 150, 150);
                 INSERT INTO load_transitions (request_id, from_state, to_state, cause, at_ms)
                    VALUES ('Z-L1', 'pending', 'posted-tac', 'confirmation', 200);
                 INSERT INTO load_confirmations (request_id, tac, decision, at_ms)
                    VALUES ('Z-L1', x'0A0B0C0D', 'accepted', 200);",
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO accepted_records (asn, counter_kind, atc, terminal_id, record, flags,
                    load_id, transaction_id)
                 VALUES (x'0000000000000001', 1, 1, x'000000000001', ?1, 0, 'Z-L1', 1)",
                [[0u8; 51].as_slice()],
            )
            .unwrap();
        connection
    }

    fn loads(connection: &Connection) -> Vec<(String, i64, String, i64)> {
        let mut statement = connection
            .prepare(
                "SELECT request_id, amount_fen, state, created_at_ms FROM load_authorizations
                 ORDER BY rowid",
            )
            .unwrap();
        statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn loads_move_to_the_hubs_order_with_their_logs_and_records_still_naming_them() {
        let mut connection = database_at_010_with_loads();
        apply(&mut connection, EpochMs::new(2)).unwrap();
        assert_eq!(
            loads(&connection),
            [
                ("Z-L1".to_owned(), 20_000, "posted-tac".to_owned(), 100),
                ("A-L1".to_owned(), 5_000, "pending".to_owned(), 150),
            ]
        );
        assert!(foreign_keys(&connection).unwrap());
        assert_eq!(broken_foreign_key(&connection).unwrap(), None);
        let naming_z: i64 = connection
            .query_row(
                "SELECT (SELECT count(*) FROM load_transitions WHERE request_id = 'Z-L1')
                      + (SELECT count(*) FROM load_confirmations WHERE request_id = 'Z-L1')
                      + (SELECT count(*) FROM accepted_records WHERE load_id = 'Z-L1')",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(
            naming_z, 3,
            "the transition, the confirmation and the record"
        );
        // The request id stays unique and the logs still name their load.
        let again = connection.execute(
            "INSERT INTO load_authorizations (request_id, requester_id, asn, issuer_id,
                key_version, algorithm_id, balance_before_fen, online_atc, card_random, mac1,
                amount_fen, terminal_id, date, time, mac2, state, created_at_ms,
                state_changed_at_ms)
             SELECT request_id, requester_id, asn, issuer_id, key_version, algorithm_id,
                balance_before_fen, online_atc, card_random, mac1, amount_fen, terminal_id, date,
                time, mac2, state, created_at_ms, state_changed_at_ms
             FROM load_authorizations WHERE request_id = 'A-L1'",
            [],
        );
        assert!(again.is_err(), "a second load under request id A-L1");
        let orphan = connection.execute(
            "INSERT INTO load_transitions (request_id, from_state, to_state, cause, at_ms)
             VALUES ('nobody', 'pending', 'voided', 'resolver', 300)",
            [],
        );
        assert!(
            orphan.is_err(),
            "a transition of a load that does not exist"
        );
    }

    #[test]
    fn accepted_records_keep_their_rows_in_arrival_order_and_their_key_unique() {
        let mut connection = database_at_010_with_loads();
        connection
            .execute(
                "INSERT INTO accepted_records (asn, counter_kind, atc, terminal_id,
                    terminal_serial, record, flags, load_id, transaction_id)
                 VALUES (x'0000000000000000', 0, 9, x'000000000003', 4, ?1, 1, 'Z-L1', 2)",
                [[1u8; 51].as_slice()],
            )
            .unwrap();
        apply(&mut connection, EpochMs::new(2)).unwrap();
        let rows: Vec<(i64, Vec<u8>, i64, String)> = connection
            .prepare(
                "SELECT atc, asn, flags, load_id FROM accepted_records
                 ORDER BY rowid",
            )
            .unwrap()
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // In the order of their ledger transactions, not of their keys.
        assert_eq!(
            rows,
            [
                (1, vec![0, 0, 0, 0, 0, 0, 0, 1], 0, "Z-L1".to_owned()),
                (9, vec![0; 8], 1, "Z-L1".to_owned()),
            ]
        );
        let again = connection.execute(
            "INSERT INTO accepted_records (asn, counter_kind, atc, terminal_id, record, flags,
                load_id, transaction_id)
             VALUES (x'0000000000000001', 1, 1, x'000000000009', ?1, 0, 'A-L1', 3)",
            [[2u8; 51].as_slice()],
        );
        assert!(again.is_err(), "a second record of card 1's online ATC 1");
        let purchase_again = connection.execute(
            "INSERT INTO accepted_records (asn, counter_kind, atc, terminal_id,
                terminal_serial, record, flags, load_id, transaction_id)
             VALUES (x'0000000000000000', 0, 10, x'000000000003', 4, ?1, 0, 'Z-L1', 3)",
            [[3u8; 51].as_slice()],
        );
        assert!(
            purchase_again.is_err(),
            "terminal 3's serial 4 twice for card 0"
        );
        // Migration 016: purchases are no longer unique by key (the counters decide), and
        // those stored before it are found by key in a table of their own.
        let legacy: (Vec<u8>, i64, Vec<u8>) = connection
            .query_row(
                "SELECT asn, atc, record FROM accepted_purchases_before_016",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!(legacy, (vec![0; 8], 9, vec![1; 51]));
        connection
            .execute(
                "INSERT INTO accepted_records (asn, counter_kind, atc, terminal_id,
                    terminal_serial, record, flags, load_id, transaction_id)
                 VALUES (x'0000000000000000', 0, 9, x'000000000003', 5, ?1, 0, 'Z-L1', 3)",
                [[4u8; 51].as_slice()],
            )
            .unwrap();
    }

    #[test]
    fn batches_stored_before_017_get_the_range_of_their_accepted_rows() {
        let mut connection = database_at_010_with_loads();
        for migration in &MIGRATIONS[10..16] {
            apply_one(&mut connection, migration, EpochMs::new(1)).unwrap();
        }
        connection
            .execute_batch(
                "INSERT INTO settlement_windows (id, opened_at_ms) VALUES (1, 1);
                 INSERT INTO batches (id, acquirer_id, batch_id, digest, records, accepted,
                    accepted_purchases_fen, accepted_loads_fen, window_id, decisions,
                    uploaded_at_ms)
                 VALUES
                    (1, 7, 'B1', zeroblob(32), 3, 3, 30, 0, 1, zeroblob(6), 10),
                    (2, 7, 'B2', zeroblob(32), 1, 1, 10, 0, 1, zeroblob(2), 11),
                    (3, 7, 'B3', zeroblob(32), 1, 0, 0, 0, 1, zeroblob(2), 12);",
            )
            .unwrap();
        // Rowid 1 is the confirmed load; then batch 1's rows around one of batch 2's.
        for (atc, batch, index) in [(20, 1, 0), (21, 1, 1), (22, 2, 0), (23, 1, 2)] {
            connection
                .execute(
                    "INSERT INTO accepted_records (asn, counter_kind, atc, terminal_id,
                        terminal_serial, record, flags, batch, record_index, transaction_id)
                     VALUES (x'0000000000000005', 0, ?1, x'000000000003', ?1, ?2, 0, ?3, ?4, 5)",
                    rusqlite::params![atc, [0u8; 51].as_slice(), batch, index],
                )
                .unwrap();
        }
        apply(&mut connection, EpochMs::new(2)).unwrap();
        let ranges: Vec<(i64, Option<i64>, Option<i64>)> = connection
            .prepare("SELECT id, first_accepted_id, last_accepted_id FROM batches ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            ranges,
            [
                (1, Some(2), Some(5)),
                (2, Some(4), Some(4)),
                (3, None, None)
            ]
        );
    }

    /// Every row of `table` as SQL text, in its key's order.
    fn rows_of(connection: &Connection, table: &str, key: &str) -> Vec<String> {
        let columns: Vec<String> = connection
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let quoted: Vec<String> = columns.iter().map(|c| format!("quote({c})")).collect();
        let sql = format!(
            "SELECT {} FROM {table} ORDER BY {key}",
            quoted.join(" || ',' || ")
        );
        let mut statement = connection.prepare(&sql).unwrap();
        let mut rows: Vec<String> = statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.insert(0, columns.join(","));
        rows
    }

    /// A table's indexes: each one's name and SQL.
    type Indexes = Vec<(String, Option<String>)>;

    /// The indexes of `table` with their SQL.
    fn indexes_of(connection: &Connection, table: &str) -> Indexes {
        connection
            .prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1
                 ORDER BY name",
            )
            .unwrap()
            .query_map([table], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// The opcodes SQLite compiles `sql` into.
    fn opcodes(connection: &Connection, sql: &str) -> Vec<String> {
        let mut statement = connection.prepare(&format!("EXPLAIN {sql}")).unwrap();
        let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
        statement
            .query_map(rusqlite::params_from_iter(nulls), |row| row.get(1))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    const TABLES_019: [(&str, &str); 4] = [
        ("cards", "asn"),
        ("load_authorizations", "id"),
        ("load_transitions", "id"),
        ("rejected_records", "batch, record_index"),
    ];

    #[test]
    fn checks_lose_their_in_lists_with_every_row_row_id_and_index_kept() {
        let mut connection = database_at_010_with_loads();
        for migration in &MIGRATIONS[10..18] {
            apply_one(&mut connection, migration, EpochMs::new(1)).unwrap();
        }
        connection
            .execute_batch(
                "INSERT INTO cards (asn, issuer_participant_id, issuer_id, profile, status,
                    created_at_ms, status_changed_at_ms, shadow_balance_fen, offline_highest_atc,
                    offline_gaps, offline_point)
                 VALUES (x'0000000000000001', 7, x'0102030405060708', 'sm4', 'hotlisted', 1, 2,
                    20000, 4, x'00010003', x'0000006400000032'),
                    (x'0000000000000002', 7, x'0102030405060708', 'des3', 'active', 1, 1, 0,
                    NULL, x'', NULL);
                 INSERT INTO settlement_windows (id, opened_at_ms) VALUES (1, 1);
                 INSERT INTO batches (id, acquirer_id, batch_id, digest, records, accepted,
                    accepted_purchases_fen, accepted_loads_fen, window_id, decisions,
                    uploaded_at_ms)
                 VALUES (4, 7, 'B-1', zeroblob(32), 2, 0, 0, 0, 1, zeroblob(4), 5);
                 INSERT INTO rejected_records (batch, record_index, reason, record, detail)
                 VALUES (4, 0, 'duplicate', x'01', NULL), (4, 1, 'malformed', x'02', 'short');
                 DELETE FROM load_transitions;
                 INSERT INTO load_transitions (id, request_id, from_state, to_state, cause,
                    batch, at_ms)
                 VALUES (9, 'Z-L1', 'pending', 'posted-tac', 'batch', 4, 200);",
            )
            .unwrap();
        let before: Vec<(Vec<String>, Indexes)> = TABLES_019
            .iter()
            .map(|(table, key)| {
                (
                    rows_of(&connection, table, key),
                    indexes_of(&connection, table),
                )
            })
            .collect();
        assert!(before.iter().all(|(rows, _)| rows.len() > 1));
        // What the hot statements paid for: a temporary B-tree of the list's constants.
        let update =
            "UPDATE load_authorizations SET state = ?3, state_changed_at_ms = ?4 WHERE id = ?1";
        assert!(opcodes(&connection, update).contains(&"OpenEphemeral".to_owned()));

        apply(&mut connection, EpochMs::new(2)).unwrap();
        for ((table, key), (rows, indexes)) in TABLES_019.iter().zip(&before) {
            assert_eq!(&rows_of(&connection, table, key), rows, "{table}");
            assert_eq!(&indexes_of(&connection, table), indexes, "{table}");
        }
        assert!(foreign_keys(&connection).unwrap());
        assert_eq!(broken_foreign_key(&connection).unwrap(), None);
        for sql in [
            update,
            "INSERT INTO load_authorizations (request_id, requester_id, asn, issuer_id,
                key_version, algorithm_id, balance_before_fen, online_atc, card_random, mac1,
                amount_fen, terminal_id, date, time, mac2, state, created_at_ms,
                state_changed_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "INSERT INTO load_transitions (request_id, from_state, to_state, cause, batch,
                ledger_note, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
            "INSERT INTO rejected_records (batch, record_index, reason, record, detail)
                VALUES (?, ?, ?, ?, ?)",
            "INSERT INTO cards (asn, issuer_participant_id, issuer_id, profile, status,
                created_at_ms, status_changed_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ] {
            let opcodes = opcodes(&connection, sql);
            assert!(
                !opcodes.contains(&"OpenEphemeral".to_owned()),
                "{sql}: {opcodes:?}"
            );
        }
        // The constraints still refuse what they refused.
        for bad in [
            "UPDATE cards SET status = 'lost' WHERE asn = x'0000000000000002'",
            "UPDATE load_authorizations SET state = 'posted' WHERE request_id = 'A-L1'",
            "UPDATE load_transitions SET cause = 'batches' WHERE id = 9",
            "UPDATE rejected_records SET reason = 'late' WHERE record_index = 0",
        ] {
            let error = connection.execute(bad, []).unwrap_err();
            assert!(
                error.to_string().contains("CHECK constraint failed"),
                "{bad}: {error}"
            );
        }
        for good in [
            "UPDATE cards SET status = 'closed' WHERE asn = x'0000000000000002'",
            "UPDATE load_authorizations SET state = 'voided' WHERE request_id = 'A-L1'",
            "UPDATE load_transitions SET cause = 'resolver' WHERE id = 9",
            "UPDATE rejected_records SET reason = 'bad_tac' WHERE record_index = 0",
        ] {
            assert_eq!(connection.execute(good, []).unwrap(), 1, "{good}");
        }
    }

    #[test]
    fn a_rebuild_that_would_leave_a_broken_foreign_key_is_refused_and_rolled_back() {
        let mut connection = database_at_010_with_loads();
        connection
            .pragma_update(None, "foreign_keys", "OFF")
            .unwrap();
        connection
            .execute(
                "INSERT INTO load_confirmations (request_id, tac, decision, at_ms)
                 VALUES ('lost', x'00000000', 'rejected', 300)",
                [],
            )
            .unwrap();
        connection
            .pragma_update(None, "foreign_keys", "ON")
            .unwrap();
        let error = apply(&mut connection, EpochMs::new(2)).unwrap_err();
        assert!(
            error.to_string().contains(
                "migration 011_loads_in_hub_order: row 2 of load_confirmations names a missing \
                 row of load_authorizations"
            ),
            "{error}"
        );
        let newest: i64 = connection
            .query_row("SELECT max(version) FROM schema_migrations", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(newest, 10);
        let without_rowid: String = connection
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'load_authorizations'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert!(without_rowid.contains("WITHOUT ROWID"), "{without_rowid}");
        assert!(foreign_keys(&connection).unwrap());
    }

    #[test]
    fn a_rebuild_leaves_foreign_key_enforcement_as_it_found_it() {
        // The bundled SQLite turns them on by default: this connection turns them off.
        let mut connection = Connection::open_in_memory().unwrap();
        connection
            .pragma_update(None, "foreign_keys", "OFF")
            .unwrap();
        apply(&mut connection, EpochMs::new(1)).unwrap();
        assert!(
            !foreign_keys(&connection).unwrap(),
            "turned off before the migrations, off after them"
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
