//! Rows of `terminals`.

use ::postgres::{GenericClient, Row, Transaction};

use crate::byte_id::TerminalId;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::postgres::sql::{Sql, get as column_of};
use crate::postgres::{is_unique_violation, storage_error};
use crate::sqlite::terminals::{RawTerminal, checked};
use crate::sqlite::{limit, scope_column};
use crate::store::{Page, Scope, naming_terminal};
use crate::terminal::{NewTerminal, Terminal};

macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT terminal_id, owner_id, region, created_at_ms FROM terminals ",
            $tail
        )
    };
}

fn raw(row: &Row) -> Result<RawTerminal, HubError> {
    Ok((
        column_of(row, 0)?,
        column_of(row, 1)?,
        column_of(row, 2)?,
        column_of(row, 3)?,
    ))
}

fn registered(id: TerminalId) -> HubError {
    HubError::conflict(format!("terminal {id} is registered"))
}

pub(super) fn insert(
    sql: &mut Sql<'_, Transaction<'_>>,
    new: NewTerminal,
    now: EpochMs,
) -> Result<Terminal, HubError> {
    if get(sql, new.terminal_id)?.is_some() {
        return Err(registered(new.terminal_id));
    }
    sql.execute_raw(
        "INSERT INTO terminals (terminal_id, owner_id, region, created_at_ms)
         VALUES ($1, $2, $3, $4)",
        &[
            &new.terminal_id.bytes().as_slice(),
            &i64::from(new.owner.get()),
            &i64::from(new.region.get()),
            &now.get(),
        ],
    )
    .map_err(|error| {
        if is_unique_violation(&error) {
            registered(new.terminal_id)
        } else {
            storage_error(error)
        }
    })?;
    Ok(new.registered(now))
}

/// Registers every terminal of `terminals` in order, each with the checks of [`insert`]; the
/// error of the first refused names it.
pub(super) fn insert_all(
    sql: &mut Sql<'_, Transaction<'_>>,
    terminals: Vec<NewTerminal>,
    now: EpochMs,
) -> Result<Vec<Terminal>, HubError> {
    terminals
        .into_iter()
        .map(|new| insert(sql, new, now).map_err(|error| naming_terminal(new.terminal_id, error)))
        .collect()
}

pub(super) fn get(
    sql: &mut Sql<'_, impl GenericClient>,
    id: TerminalId,
) -> Result<Option<Terminal>, HubError> {
    let row = sql.query_opt(select!("WHERE terminal_id = $1"), &[&id.bytes().as_slice()])?;
    row.map(|row| checked(raw(&row)?)).transpose()
}

pub(super) fn list(
    sql: &mut Sql<'_, impl GenericClient>,
    scope: Scope,
    page: Page<TerminalId>,
) -> Result<Vec<Terminal>, HubError> {
    let after = page.after.map(|id| id.bytes().to_vec());
    let rows = sql.query(
        select!(
            "WHERE ($1::bytea IS NULL OR terminal_id > $1)
                AND ($2::bigint IS NULL OR owner_id = $2)
             ORDER BY terminal_id LIMIT $3"
        ),
        &[&after, &scope_column(scope), &limit(&page)],
    )?;
    rows.iter().map(|row| checked(raw(row)?)).collect()
}
