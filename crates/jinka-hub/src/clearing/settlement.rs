//! Settlement (`hub.md` § Settlement): closing the open window in one database transaction.
//! The stored accounts and the open window's lines are read back into a `jinka_ledger::Ledger`
//! (through its storage form, which checks that they hold together), the ledger closes the
//! window with the participants' net debit caps, and the report, the settlement's postings
//! and the next window are stored.
//!
//! A report is shown whole to the operator; a participant sees the window's facts, its own
//! position and its own lines (JSON), or its own rows of the CSV tables.

use std::collections::BTreeMap;

use jinka_ledger::{Ledger, NetDebitCaps, SettlementLine, SettlementReport, Side, TransactionId};
use serde_json::{Value, json};

use crate::clearing::LineOrigin;
use crate::clearing::postings::{account_kind, ledger_error, timestamp};
use crate::clearing::storage::{AccountRow, ClearingStorage, LineRow, OpenLedger, WindowClosing};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;

fn line_json(row: &LineRow) -> Result<Value, HubError> {
    let net = i128::from(row.credits_fen) - i128::from(row.debits_fen);
    let net = i64::try_from(net).map_err(|_| HubError::corrupt("table window_lines: overflow"))?;
    let mut line = json!({
        "participant": row.participant,
        "origin": row.origin.name(),
        "account": row.account,
        "entries": row.entries,
        "debit_fen": row.debits_fen,
        "credit_fen": row.credits_fen,
        "net_fen": net,
    });
    if let LineOrigin::Batch { acquirer, batch_id } = &row.origin {
        line["acquirer"] = json!(acquirer);
        line["batch_id"] = json!(batch_id);
    }
    Ok(line)
}

/// The stored ledger as `jinka-ledger` keeps it (its storage form checks it on the way in).
fn ledger_of(open: &OpenLedger) -> Result<Ledger, HubError> {
    let corrupt = |what: String| HubError::corrupt(format!("stored ledger: {what}"));
    let mut lines = open
        .lines
        .iter()
        .map(|row| {
            let value = line_json(row)?;
            serde_json::from_value::<SettlementLine>(value).map_err(|e| corrupt(e.to_string()))
        })
        .collect::<Result<Vec<SettlementLine>, HubError>>()?;
    lines.sort_by(|a, b| {
        (a.participant(), a.source(), a.account()).cmp(&(b.participant(), b.source(), b.account()))
    });
    let mut accounts = BTreeMap::new();
    for row in &open.accounts {
        let kind = account_kind(row.account).ok_or_else(|| corrupt(row.account.to_owned()))?;
        accounts.insert(
            (row.participant, kind),
            json!({
                "participant": row.participant, "kind": row.account,
                "debits_fen": row.debits_fen, "credits_fen": row.credits_fen,
            }),
        );
    }
    let cursor = open.cursor;
    let stored = json!({
        "last_transaction_id": Some(cursor.last_transaction_id).filter(|id| *id > 0),
        "accounts": accounts.into_values().collect::<Vec<Value>>(),
        "window": {
            "window_id": cursor.window_id,
            "opened_at_ms": timestamp(cursor.opened_at),
            "transaction_count": cursor.transaction_count,
            "lines": lines,
        },
    });
    serde_json::from_value(stored).map_err(|e| corrupt(e.to_string()))
}

/// Closes the open window at `now`: its report.
pub(crate) fn close_window(
    storage: &mut dyn ClearingStorage,
    now: EpochMs,
) -> Result<SettlementReport, HubError> {
    let open = storage.open_ledger(now)?;
    let caps: NetDebitCaps = storage
        .clearing_parties()?
        .into_iter()
        .filter_map(|party| {
            let cap = party.net_debit_cap?;
            Some((party.id.ledger(), jinka_ledger::Amount::from_fen(cap.fen())))
        })
        .collect();
    let mut ledger = ledger_of(&open)?;
    let settlement_id = open
        .cursor
        .last_transaction_id
        .checked_add(1)
        .ok_or_else(|| HubError::corrupt("ledger: transaction ids exhausted"))?;
    let closed = ledger
        .close_window(timestamp(now), TransactionId(settlement_id), &caps)
        .map_err(ledger_error)?;
    let report = closed.report;
    let sum: i128 = report
        .positions()
        .iter()
        .map(|position| i128::from(position.net().fen()))
        .sum();
    assert_eq!(
        sum, 0,
        "window {} positions sum to {sum}",
        open.cursor.window_id
    );
    let settlement_accounts = closed
        .settlement
        .iter()
        .flat_map(|settlement| settlement.entries())
        .map(|entry| AccountRow {
            participant: entry.account.participant.get(),
            account: entry.account.kind.name(),
            debits_fen: if entry.side == Side::Debit {
                entry.amount.fen()
            } else {
                0
            },
            credits_fen: if entry.side == Side::Credit {
                entry.amount.fen()
            } else {
                0
            },
        })
        .collect();
    let text = serde_json::to_string(&report)
        .map_err(|error| HubError::corrupt(format!("report: {error}")))?;
    storage.close_window(&WindowClosing {
        window_id: open.cursor.window_id,
        closed_at: now,
        report: &text,
        settlement_accounts,
        last_transaction_id: settlement_id,
    })?;
    tracing::info!(
        window = open.cursor.window_id,
        transactions = report.transaction_count(),
        participants = report.positions().len(),
        "closed settlement window"
    );
    Ok(report)
}

/// A stored report (JSON) as `viewer` may see it: whole, or its own position and lines.
pub(crate) fn report_for(stored: &str, viewer: Option<ParticipantId>) -> Result<Value, HubError> {
    let mut report: Value = serde_json::from_str(stored)
        .map_err(|error| HubError::corrupt(format!("table settlement_windows: {error}")))?;
    if let Some(viewer) = viewer {
        for table in ["positions", "lines"] {
            if let Some(rows) = report[table].as_array_mut() {
                rows.retain(|row| row["participant"] == json!(viewer.get()));
            }
        }
    }
    Ok(report)
}

/// Which CSV table of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CsvTable {
    Positions,
    Lines,
}

/// A stored report's CSV table as `viewer` may see it: every row, or the header and its own
/// rows (the participant is every table's second column).
pub(crate) fn report_csv(
    stored: &str,
    table: CsvTable,
    viewer: Option<ParticipantId>,
) -> Result<String, HubError> {
    let report: SettlementReport = serde_json::from_str(stored)
        .map_err(|error| HubError::corrupt(format!("table settlement_windows: {error}")))?;
    let text = match table {
        CsvTable::Positions => report.positions_csv(),
        CsvTable::Lines => report.lines_csv(),
    };
    let Some(viewer) = viewer else {
        return Ok(text);
    };
    let own = viewer.to_string();
    let mut out = String::with_capacity(text.len());
    for (index, row) in text.lines().enumerate() {
        if index == 0 || row.split(',').nth(1) == Some(own.as_str()) {
            out.push_str(row);
            out.push('\n');
        }
    }
    Ok(out)
}
