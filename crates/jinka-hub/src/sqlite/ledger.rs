//! Rows of `ledger_state`, `ledger_accounts`, `window_lines` and `settlement_windows`.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::clearing::storage::{
    AccountRow, LedgerCursor, LedgerDelta, LineRow, OpenLedger, WindowClosing,
};
use crate::clearing::{LineOrigin, account_kind};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::sqlite::{column, storage_error};

pub(crate) fn to_column(value: u64) -> Result<i64, HubError> {
    i64::try_from(value).map_err(|_| HubError::corrupt("ledger: a sum overflows its column"))
}

pub(crate) fn from_column(table: &str, name: &str, value: i64) -> Result<u64, HubError> {
    column(table, name, u64::try_from(value).ok())
}

/// An account kind's name as `&'static str`.
pub(crate) fn account_name(table: &str, name: &str) -> Result<&'static str, HubError> {
    column(table, "account", account_kind(name).map(|kind| kind.name()))
}

pub(super) fn ledger_cursor(tx: &Transaction<'_>, now: EpochMs) -> Result<LedgerCursor, HubError> {
    const TABLE: &str = "settlement_windows";
    let open: Option<(i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, opened_at_ms, transaction_count FROM settlement_windows
             WHERE closed_at_ms IS NULL",
        )
        .and_then(|mut statement| {
            statement
                .query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .optional()
        })
        .map_err(storage_error)?;
    let (id, opened_at, count) = match open {
        Some(open) => open,
        None => {
            tx.execute(
                "INSERT INTO settlement_windows (id, opened_at_ms)
                 SELECT coalesce(max(id), 0) + 1, ?1 FROM settlement_windows",
                [now.get()],
            )
            .map_err(storage_error)?;
            (tx.last_insert_rowid(), now.get(), 0)
        }
    };
    let last: i64 = tx
        .prepare_cached("SELECT last_transaction_id FROM ledger_state WHERE id = 1")
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
        .map_err(storage_error)?;
    Ok(LedgerCursor {
        window_id: from_column(TABLE, "id", id)?,
        opened_at: EpochMs::new(opened_at),
        transaction_count: from_column(TABLE, "transaction_count", count)?,
        last_transaction_id: from_column("ledger_state", "last_transaction_id", last)?,
    })
}

fn add_accounts(tx: &Transaction<'_>, accounts: &[AccountRow]) -> Result<(), HubError> {
    let mut statement = tx
        .prepare_cached(
            "INSERT INTO ledger_accounts (participant_id, account, debits_fen, credits_fen)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (participant_id, account) DO UPDATE SET
                debits_fen = debits_fen + excluded.debits_fen,
                credits_fen = credits_fen + excluded.credits_fen",
        )
        .map_err(storage_error)?;
    for row in accounts {
        statement
            .execute(params![
                row.participant,
                row.account,
                to_column(row.debits_fen)?,
                to_column(row.credits_fen)?
            ])
            .map_err(storage_error)?;
    }
    Ok(())
}

fn set_last_transaction_id(tx: &Transaction<'_>, id: u64) -> Result<(), HubError> {
    let id = to_column(id)?;
    let updated = tx
        .prepare_cached(
            "UPDATE ledger_state SET last_transaction_id = ?1
             WHERE id = 1 AND last_transaction_id <= ?1",
        )
        .and_then(|mut statement| statement.execute([id]))
        .map_err(storage_error)?;
    if updated != 1 {
        return Err(HubError::corrupt(
            "ledger_state: transaction ids went backwards",
        ));
    }
    Ok(())
}

pub(super) fn add_to_ledger(tx: &Transaction<'_>, delta: &LedgerDelta) -> Result<(), HubError> {
    add_accounts(tx, &delta.accounts)?;
    let mut statement = tx
        .prepare_cached(
            "INSERT INTO window_lines (window_id, participant_id, origin, acquirer_id, batch_id,
                account, entries, debits_fen, credits_fen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (window_id, participant_id, origin, acquirer_id, batch_id, account)
             DO UPDATE SET entries = entries + excluded.entries,
                debits_fen = debits_fen + excluded.debits_fen,
                credits_fen = credits_fen + excluded.credits_fen",
        )
        .map_err(storage_error)?;
    let window = to_column(delta.window_id)?;
    for line in &delta.lines {
        let (origin, acquirer, batch_id) = line.origin.columns();
        statement
            .execute(params![
                window,
                line.participant,
                origin,
                acquirer,
                batch_id,
                line.account,
                to_column(line.entries)?,
                to_column(line.debits_fen)?,
                to_column(line.credits_fen)?,
            ])
            .map_err(storage_error)?;
    }
    let transaction_count = to_column(delta.transaction_count)?;
    let updated = tx
        .prepare_cached(
            "UPDATE settlement_windows SET transaction_count = transaction_count + ?2
             WHERE id = ?1 AND closed_at_ms IS NULL",
        )
        .and_then(|mut statement| statement.execute(params![window, transaction_count]))
        .map_err(storage_error)?;
    if updated != 1 {
        return Err(HubError::corrupt(
            "settlement_windows: postings for a window not open",
        ));
    }
    set_last_transaction_id(tx, delta.last_transaction_id)
}

fn accounts(tx: &Transaction<'_>) -> Result<Vec<AccountRow>, HubError> {
    const TABLE: &str = "ledger_accounts";
    let mut statement = tx
        .prepare_cached(
            "SELECT participant_id, account, debits_fen, credits_fen FROM ledger_accounts",
        )
        .map_err(storage_error)?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .map_err(storage_error)?;
    rows.map(|row| {
        let (participant, account, debits, credits) = row.map_err(storage_error)?;
        Ok(AccountRow {
            participant: column(TABLE, "participant_id", u32::try_from(participant).ok())?,
            account: account_name(TABLE, &account)?,
            debits_fen: from_column(TABLE, "debits_fen", debits)?,
            credits_fen: from_column(TABLE, "credits_fen", credits)?,
        })
    })
    .collect()
}

type RawLine = (i64, String, i64, String, String, i64, i64, i64);

fn lines(tx: &Transaction<'_>, window_id: u64) -> Result<Vec<LineRow>, HubError> {
    const TABLE: &str = "window_lines";
    let mut statement = tx
        .prepare_cached(
            "SELECT participant_id, origin, acquirer_id, batch_id, account, entries,
                debits_fen, credits_fen
             FROM window_lines WHERE window_id = ?1",
        )
        .map_err(storage_error)?;
    let rows = statement
        .query_map(
            [to_column(window_id)?],
            |row| -> rusqlite::Result<RawLine> {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                ))
            },
        )
        .map_err(storage_error)?;
    rows.map(|row| {
        let (participant, origin, acquirer, batch_id, account, entries, debits, credits) =
            row.map_err(storage_error)?;
        let acquirer = column(TABLE, "acquirer_id", u32::try_from(acquirer).ok())?;
        let origin = LineOrigin::from_columns(&origin, acquirer, batch_id);
        Ok(LineRow {
            participant: column(TABLE, "participant_id", u32::try_from(participant).ok())?,
            origin: column(TABLE, "origin", origin)?,
            account: account_name(TABLE, &account)?,
            entries: from_column(TABLE, "entries", entries)?,
            debits_fen: from_column(TABLE, "debits_fen", debits)?,
            credits_fen: from_column(TABLE, "credits_fen", credits)?,
        })
    })
    .collect()
}

pub(super) fn open_ledger(tx: &Transaction<'_>, now: EpochMs) -> Result<OpenLedger, HubError> {
    let cursor = ledger_cursor(tx, now)?;
    Ok(OpenLedger {
        cursor,
        accounts: accounts(tx)?,
        lines: lines(tx, cursor.window_id)?,
    })
}

pub(super) fn close_window(
    tx: &Transaction<'_>,
    closing: &WindowClosing<'_>,
) -> Result<(), HubError> {
    let window = to_column(closing.window_id)?;
    let updated = tx
        .execute(
            "UPDATE settlement_windows SET closed_at_ms = ?2, report = ?3
             WHERE id = ?1 AND closed_at_ms IS NULL",
            params![window, closing.closed_at.get(), closing.report],
        )
        .map_err(storage_error)?;
    if updated != 1 {
        return Err(HubError::corrupt(
            "settlement_windows: the window to close is not open",
        ));
    }
    add_accounts(tx, &closing.settlement_accounts)?;
    tx.execute(
        "INSERT INTO settlement_windows (id, opened_at_ms) VALUES (?1 + 1, ?2)",
        params![window, closing.closed_at.get()],
    )
    .map_err(storage_error)?;
    set_last_transaction_id(tx, closing.last_transaction_id)
}

pub(super) fn settlement_report(
    tx: &Transaction<'_>,
    window_id: u64,
) -> Result<Option<String>, HubError> {
    let Ok(window) = i64::try_from(window_id) else {
        return Ok(None);
    };
    let report: Option<Option<String>> = tx
        .query_row(
            "SELECT report FROM settlement_windows WHERE id = ?1",
            [window],
            |row| row.get(0),
        )
        .optional()
        .map_err(storage_error)?;
    Ok(report.flatten())
}
