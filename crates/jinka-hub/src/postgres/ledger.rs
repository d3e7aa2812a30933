//! Rows of `ledger_state`, `ledger_accounts`, `window_lines` and `settlement_windows`. A
//! clearing unit's account totals and window lines go in by one statement each (arrays,
//! summed per key, added on conflict).

use ::postgres::{GenericClient, Transaction};

use crate::clearing::LineOrigin;
use crate::clearing::storage::{
    AccountRow, LedgerCursor, LedgerDelta, LineRow, OpenLedger, WindowClosing,
};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::postgres::sql::{Sql, get};
use crate::sqlite::column;
use crate::sqlite::ledger::{account_name, from_column, to_column};

pub(super) fn ledger_cursor(
    sql: &mut Sql<'_, Transaction<'_>>,
    now: EpochMs,
) -> Result<LedgerCursor, HubError> {
    const TABLE: &str = "settlement_windows";
    let open = sql.query_opt(
        "SELECT id, opened_at_ms, transaction_count FROM settlement_windows
         WHERE closed_at_ms IS NULL",
        &[],
    )?;
    let (id, opened_at, count): (i64, i64, i64) = match open {
        Some(row) => (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?),
        None => {
            let row = sql.query_one(
                "INSERT INTO settlement_windows (id, opened_at_ms)
                 SELECT coalesce(max(id), 0) + 1, $1 FROM settlement_windows RETURNING id",
                &[&now.get()],
            )?;
            (get(&row, 0)?, now.get(), 0)
        }
    };
    let row = sql.query_one(
        "SELECT last_transaction_id FROM ledger_state WHERE id = 1",
        &[],
    )?;
    let last: i64 = get(&row, 0)?;
    Ok(LedgerCursor {
        window_id: from_column(TABLE, "id", id)?,
        opened_at: EpochMs::new(opened_at),
        transaction_count: from_column(TABLE, "transaction_count", count)?,
        last_transaction_id: from_column("ledger_state", "last_transaction_id", last)?,
    })
}

fn add_accounts(
    sql: &mut Sql<'_, Transaction<'_>>,
    accounts: &[AccountRow],
) -> Result<(), HubError> {
    if accounts.is_empty() {
        return Ok(());
    }
    let participants: Vec<i64> = accounts
        .iter()
        .map(|row| i64::from(row.participant))
        .collect();
    let names: Vec<&str> = accounts.iter().map(|row| row.account).collect();
    let debits = accounts
        .iter()
        .map(|row| to_column(row.debits_fen))
        .collect::<Result<Vec<i64>, HubError>>()?;
    let credits = accounts
        .iter()
        .map(|row| to_column(row.credits_fen))
        .collect::<Result<Vec<i64>, HubError>>()?;
    sql.execute(
        "INSERT INTO ledger_accounts (participant_id, account, debits_fen, credits_fen)
         SELECT participant_id, account, CAST(sum(debits_fen) AS bigint),
            CAST(sum(credits_fen) AS bigint)
         FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])
            AS a (participant_id, account, debits_fen, credits_fen)
         GROUP BY participant_id, account
         ON CONFLICT (participant_id, account) DO UPDATE SET
            debits_fen = ledger_accounts.debits_fen + excluded.debits_fen,
            credits_fen = ledger_accounts.credits_fen + excluded.credits_fen",
        &[&participants, &names, &debits, &credits],
    )?;
    Ok(())
}

fn set_last_transaction_id(sql: &mut Sql<'_, Transaction<'_>>, id: u64) -> Result<(), HubError> {
    let updated = sql.execute(
        "UPDATE ledger_state SET last_transaction_id = $1
         WHERE id = 1 AND last_transaction_id <= $1",
        &[&to_column(id)?],
    )?;
    if updated != 1 {
        return Err(HubError::corrupt(
            "ledger_state: transaction ids went backwards",
        ));
    }
    Ok(())
}

fn add_lines(
    sql: &mut Sql<'_, Transaction<'_>>,
    window: i64,
    lines: &[LineRow],
) -> Result<(), HubError> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut participants = Vec::with_capacity(lines.len());
    let mut origins = Vec::with_capacity(lines.len());
    let mut acquirers = Vec::with_capacity(lines.len());
    let mut batch_ids = Vec::with_capacity(lines.len());
    let mut accounts = Vec::with_capacity(lines.len());
    let mut entries = Vec::with_capacity(lines.len());
    let mut debits = Vec::with_capacity(lines.len());
    let mut credits = Vec::with_capacity(lines.len());
    for line in lines {
        let (origin, acquirer, batch_id) = line.origin.columns();
        participants.push(i64::from(line.participant));
        origins.push(origin);
        acquirers.push(i64::from(acquirer));
        batch_ids.push(batch_id);
        accounts.push(line.account);
        entries.push(to_column(line.entries)?);
        debits.push(to_column(line.debits_fen)?);
        credits.push(to_column(line.credits_fen)?);
    }
    sql.execute(
        "INSERT INTO window_lines (window_id, participant_id, origin, acquirer_id, batch_id,
            account, entries, debits_fen, credits_fen)
         SELECT $1, participant_id, origin, acquirer_id, batch_id, account,
            CAST(sum(entries) AS bigint), CAST(sum(debits_fen) AS bigint),
            CAST(sum(credits_fen) AS bigint)
         FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                $7::bigint[], $8::bigint[], $9::bigint[])
            AS l (participant_id, origin, acquirer_id, batch_id, account, entries, debits_fen,
                credits_fen)
         GROUP BY participant_id, origin, acquirer_id, batch_id, account
         ON CONFLICT (window_id, participant_id, origin, acquirer_id, batch_id, account)
         DO UPDATE SET entries = window_lines.entries + excluded.entries,
            debits_fen = window_lines.debits_fen + excluded.debits_fen,
            credits_fen = window_lines.credits_fen + excluded.credits_fen",
        &[
            &window,
            &participants,
            &origins,
            &acquirers,
            &batch_ids,
            &accounts,
            &entries,
            &debits,
            &credits,
        ],
    )?;
    Ok(())
}

pub(super) fn add_to_ledger(
    sql: &mut Sql<'_, Transaction<'_>>,
    delta: &LedgerDelta,
) -> Result<(), HubError> {
    add_accounts(sql, &delta.accounts)?;
    let window = to_column(delta.window_id)?;
    add_lines(sql, window, &delta.lines)?;
    let updated = sql.execute(
        "UPDATE settlement_windows SET transaction_count = transaction_count + $2
         WHERE id = $1 AND closed_at_ms IS NULL",
        &[&window, &to_column(delta.transaction_count)?],
    )?;
    if updated != 1 {
        return Err(HubError::corrupt(
            "settlement_windows: postings for a window not open",
        ));
    }
    set_last_transaction_id(sql, delta.last_transaction_id)
}

fn accounts(sql: &mut Sql<'_, Transaction<'_>>) -> Result<Vec<AccountRow>, HubError> {
    const TABLE: &str = "ledger_accounts";
    let rows = sql.query(
        "SELECT participant_id, account, debits_fen, credits_fen FROM ledger_accounts",
        &[],
    )?;
    rows.iter()
        .map(|row| {
            let participant: i64 = get(row, 0)?;
            let account: String = get(row, 1)?;
            Ok(AccountRow {
                participant: column(TABLE, "participant_id", u32::try_from(participant).ok())?,
                account: account_name(TABLE, &account)?,
                debits_fen: from_column(TABLE, "debits_fen", get(row, 2)?)?,
                credits_fen: from_column(TABLE, "credits_fen", get(row, 3)?)?,
            })
        })
        .collect()
}

fn lines(sql: &mut Sql<'_, Transaction<'_>>, window_id: u64) -> Result<Vec<LineRow>, HubError> {
    const TABLE: &str = "window_lines";
    let rows = sql.query(
        "SELECT participant_id, origin, acquirer_id, batch_id, account, entries,
            debits_fen, credits_fen
         FROM window_lines WHERE window_id = $1",
        &[&to_column(window_id)?],
    )?;
    rows.iter()
        .map(|row| {
            let participant: i64 = get(row, 0)?;
            let origin: String = get(row, 1)?;
            let acquirer: i64 = get(row, 2)?;
            let batch_id: String = get(row, 3)?;
            let account: String = get(row, 4)?;
            let acquirer = column(TABLE, "acquirer_id", u32::try_from(acquirer).ok())?;
            let origin = LineOrigin::from_columns(&origin, acquirer, batch_id);
            Ok(LineRow {
                participant: column(TABLE, "participant_id", u32::try_from(participant).ok())?,
                origin: column(TABLE, "origin", origin)?,
                account: account_name(TABLE, &account)?,
                entries: from_column(TABLE, "entries", get(row, 5)?)?,
                debits_fen: from_column(TABLE, "debits_fen", get(row, 6)?)?,
                credits_fen: from_column(TABLE, "credits_fen", get(row, 7)?)?,
            })
        })
        .collect()
}

pub(super) fn open_ledger(
    sql: &mut Sql<'_, Transaction<'_>>,
    now: EpochMs,
) -> Result<OpenLedger, HubError> {
    let cursor = ledger_cursor(sql, now)?;
    Ok(OpenLedger {
        cursor,
        accounts: accounts(sql)?,
        lines: lines(sql, cursor.window_id)?,
    })
}

pub(super) fn close_window(
    sql: &mut Sql<'_, Transaction<'_>>,
    closing: &WindowClosing<'_>,
) -> Result<(), HubError> {
    let window = to_column(closing.window_id)?;
    let updated = sql.execute(
        "UPDATE settlement_windows SET closed_at_ms = $2, report = $3
         WHERE id = $1 AND closed_at_ms IS NULL",
        &[&window, &closing.closed_at.get(), &closing.report],
    )?;
    if updated != 1 {
        return Err(HubError::corrupt(
            "settlement_windows: the window to close is not open",
        ));
    }
    add_accounts(sql, &closing.settlement_accounts)?;
    sql.execute(
        "INSERT INTO settlement_windows (id, opened_at_ms) VALUES ($1::bigint + 1, $2)",
        &[&window, &closing.closed_at.get()],
    )?;
    set_last_transaction_id(sql, closing.last_transaction_id)
}

pub(super) fn settlement_report(
    sql: &mut Sql<'_, impl GenericClient>,
    window_id: u64,
) -> Result<Option<String>, HubError> {
    let Ok(window) = i64::try_from(window_id) else {
        return Ok(None);
    };
    let row = sql.query_opt(
        "SELECT report FROM settlement_windows WHERE id = $1",
        &[&window],
    )?;
    let report: Option<Option<String>> = row.map(|row| get(&row, 0)).transpose()?;
    Ok(report.flatten())
}
