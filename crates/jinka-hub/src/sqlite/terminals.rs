//! Rows of `terminals`.

use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::byte_id::TerminalId;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::region::Region;
use crate::sqlite::{column, limit, scope_column, storage_error};
use crate::store::{Page, Scope, naming_terminal};
use crate::terminal::{NewTerminal, Terminal};

const SELECT: &str = "SELECT terminal_id, owner_id, region, created_at_ms FROM terminals";

pub(crate) type RawTerminal = (Vec<u8>, i64, i64, i64);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawTerminal> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

pub(crate) fn checked(
    (id, owner, region, created_at_ms): RawTerminal,
) -> Result<Terminal, HubError> {
    const TABLE: &str = "terminals";
    Ok(Terminal {
        terminal_id: column(TABLE, "terminal_id", TerminalId::from_slice(&id))?,
        owner: column(TABLE, "owner_id", ParticipantId::from_column(owner))?,
        region: Region::new(column(TABLE, "region", u32::try_from(region).ok())?),
        created_at_ms: EpochMs::new(created_at_ms),
    })
}

pub(super) fn insert(
    tx: &Transaction<'_>,
    new: NewTerminal,
    now: EpochMs,
) -> Result<Terminal, HubError> {
    if get(tx, new.terminal_id)?.is_some() {
        return Err(HubError::conflict(format!(
            "terminal {} is registered",
            new.terminal_id
        )));
    }
    tx.prepare_cached(
        "INSERT INTO terminals (terminal_id, owner_id, region, created_at_ms)
         VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            new.terminal_id.bytes().as_slice(),
            new.owner.get(),
            new.region.get(),
            now.get()
        ])
    })
    .map_err(storage_error)?;
    Ok(new.registered(now))
}

/// Registers every terminal of `terminals` in order, each with the checks of [`insert`]; the
/// error of the first refused names it.
pub(super) fn insert_all(
    tx: &Transaction<'_>,
    terminals: Vec<NewTerminal>,
    now: EpochMs,
) -> Result<Vec<Terminal>, HubError> {
    terminals
        .into_iter()
        .map(|new| insert(tx, new, now).map_err(|error| naming_terminal(new.terminal_id, error)))
        .collect()
}

pub(super) fn get(tx: &Transaction<'_>, id: TerminalId) -> Result<Option<Terminal>, HubError> {
    let raw = tx
        .prepare_cached(&format!("{SELECT} WHERE terminal_id = ?1"))
        .and_then(|mut statement| statement.query_row([id.bytes().as_slice()], raw).optional())
        .map_err(storage_error)?;
    raw.map(checked).transpose()
}

pub(super) fn list(
    tx: &Transaction<'_>,
    scope: Scope,
    page: Page<TerminalId>,
) -> Result<Vec<Terminal>, HubError> {
    let mut statement = tx
        .prepare_cached(&format!(
            "{SELECT} WHERE (?1 IS NULL OR terminal_id > ?1) AND (?2 IS NULL OR owner_id = ?2)
             ORDER BY terminal_id LIMIT ?3"
        ))
        .map_err(storage_error)?;
    let after = page.after.map(|id| id.bytes().to_vec());
    let rows = statement
        .query_map(params![after, scope_column(scope), limit(&page)], raw)
        .map_err(storage_error)?;
    rows.map(|row| checked(row.map_err(storage_error)?))
        .collect()
}
