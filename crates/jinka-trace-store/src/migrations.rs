//! Schema migrations: one folder per engine (`migrations/sqlite/`, `migrations/postgres/`),
//! the same tables in each, applied in order at open and recorded in
//! [`MIGRATIONS_TABLE`] with a checksum of their text, so that a file changed after it was
//! applied, or a database written by a newer hub, is refused rather than guessed at.

use crate::error::StoreError;

/// Where applied migrations are recorded (its own table: in PostgreSQL the trace tables
/// share the hub's database, whose `schema_migrations` is the hub's).
pub(crate) const MIGRATIONS_TABLE: &str = "trace_schema_migrations";

/// One migration file.
pub(crate) struct Migration {
    /// Its number, the `NNN` of `NNN_name.sql`; 1, 2, … without gaps.
    pub(crate) version: i64,
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
}

/// FNV-1a (64 bits) of the text, in hex: enough to notice an edited file.
pub(crate) fn checksum(sql: &str) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = sql.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    format!("{hash:016x}")
}

/// Refuses a database with a migration newer than this build knows.
pub(crate) fn check_newest(newest: Option<i64>, known: &[Migration]) -> Result<(), StoreError> {
    let known = known.last().map_or(0, |migration| migration.version);
    match newest {
        Some(newest) if newest > known => Err(StoreError::Config {
            reason: format!(
                "{MIGRATIONS_TABLE}: the database has migration {newest}, this build knows up \
                 to {known}: run a newer hub"
            ),
        }),
        _ => Ok(()),
    }
}

/// Whether `migration` was applied (its recorded checksum), refusing a changed one.
pub(crate) fn is_applied(
    migration: &Migration,
    recorded: Option<&str>,
) -> Result<bool, StoreError> {
    match recorded {
        None => Ok(false),
        Some(found) if found == checksum(migration.sql) => Ok(true),
        Some(_) => Err(StoreError::corrupt(format!(
            "{MIGRATIONS_TABLE}: migration {:03}_{} changed after it was applied",
            migration.version, migration.name
        ))),
    }
}
