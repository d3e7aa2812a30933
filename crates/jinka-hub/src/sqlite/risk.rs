//! Risk control's rows on SQLite: `risk_decisions`, `blacklist_changes`, `risk_settings`,
//! terminals' suspension and cards' status changes ([`RiskStorage`] on the clearing
//! transaction).

use jinka_clearing::{Asn, TerminalId};
use jinka_risk::{Change, ChangeKind, RiskDecision, Subject};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::clock::EpochMs;
use crate::error::HubError;
use crate::risk::storage::{
    EvidenceRow, RawDecision, RiskStorage, Setting, StoredDecision, change_columns, checked_change,
    checked_decision, subject_columns,
};
use crate::sqlite::clearing::SqliteClearing;
use crate::sqlite::{scope_column, storage_error};
use crate::store::Scope;

/// A batch's accepted record by its index, among the rows of the batch's range of rowids
/// (`?4` to `?5`, migration 017): a range of the table's key, not a scan of the table.
const EVIDENCE_ACCEPTED: &str = "SELECT record FROM accepted_records
    WHERE id BETWEEN ?4 AND ?5 AND (?1 IS NULL OR asn = ?1) AND batch = ?2
        AND record_index = ?3";

const SELECT_DECISION: &str = "SELECT id, rule, action, subject_kind, subject_id, participant_id,
    evidence, at_ms, explanation FROM risk_decisions";

fn raw_decision(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawDecision> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn to_i64(value: u64, what: &'static str) -> Result<i64, HubError> {
    i64::try_from(value).map_err(|_| HubError::invalid(what, "out of range"))
}

pub(super) fn insert_decision(
    tx: &Transaction<'_>,
    decision: &RiskDecision,
) -> Result<u64, HubError> {
    let (kind, subject_id) = subject_columns(&decision.subject);
    let owner = match decision.subject {
        Subject::Card(_) => "SELECT issuer_participant_id FROM cards WHERE asn = ?1",
        Subject::Terminal(_) => "SELECT owner_id FROM terminals WHERE terminal_id = ?1",
    };
    let participant: Option<i64> = tx
        .prepare_cached(owner)
        .and_then(|mut statement| {
            statement
                .query_row([subject_id.as_slice()], |row| row.get(0))
                .optional()
        })
        .map_err(storage_error)?;
    let evidence = serde_json::to_string(&decision.evidence)
        .map_err(|error| HubError::corrupt(format!("risk evidence: {error}")))?;
    tx.prepare_cached(
        "INSERT INTO risk_decisions (rule, action, subject_kind, subject_id, participant_id,
            evidence, at_ms, explanation) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            decision.rule.code(),
            decision.action.code(),
            kind,
            subject_id,
            participant,
            evidence,
            decision.at_ms,
            decision.explanation,
        ])
    })
    .map_err(storage_error)?;
    u64::try_from(tx.last_insert_rowid())
        .map_err(|_| HubError::corrupt("risk_decisions: a negative row id"))
}

impl RiskStorage for SqliteClearing<'_, '_> {
    fn insert_decision(&mut self, decision: &RiskDecision) -> Result<u64, HubError> {
        insert_decision(self.tx, decision)
    }

    fn decisions(
        &mut self,
        scope: Scope,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, HubError> {
        let after = after.map(|id| to_i64(id, "after")).transpose()?;
        let mut statement = self
            .tx
            .prepare_cached(&format!(
                "{SELECT_DECISION} WHERE (?1 IS NULL OR id > ?1)
                    AND (?2 IS NULL OR participant_id = ?2) ORDER BY id LIMIT ?3"
            ))
            .map_err(storage_error)?;
        let rows = statement
            .query_map(
                params![after, scope_column(scope), i64::from(limit)],
                raw_decision,
            )
            .map_err(storage_error)?;
        rows.map(|row| checked_decision(row.map_err(storage_error)?))
            .collect()
    }

    fn decision(&mut self, id: u64) -> Result<Option<StoredDecision>, HubError> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(None);
        };
        let raw = self
            .tx
            .prepare_cached(&format!("{SELECT_DECISION} WHERE id = ?1"))
            .and_then(|mut statement| statement.query_row([id], raw_decision).optional())
            .map_err(storage_error)?;
        raw.map(checked_decision).transpose()
    }

    fn evidence_record(
        &mut self,
        asn: Option<Asn>,
        batch: i64,
        index: u32,
    ) -> Result<Option<EvidenceRow>, HubError> {
        type Found = (String, Option<i64>, Option<i64>);
        let found: Option<Found> = self
            .tx
            .prepare_cached(
                "SELECT batch_id, first_accepted_id, last_accepted_id FROM batches WHERE id = ?1",
            )
            .and_then(|mut statement| {
                statement
                    .query_row([batch], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .optional()
            })
            .map_err(storage_error)?;
        let Some((batch_id, first_accepted, last_accepted)) = found else {
            return Ok(None);
        };
        let rejected: Option<(String, Vec<u8>)> = self
            .tx
            .prepare_cached(
                "SELECT reason, record FROM rejected_records WHERE batch = ?1 AND record_index = ?2",
            )
            .and_then(|mut statement| {
                statement
                    .query_row(params![batch, index], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(storage_error)?;
        if let Some((reason, record)) = rejected {
            return Ok(Some(EvidenceRow {
                batch_id,
                record,
                rejected: Some(reason),
            }));
        }
        // The batch's accepted records are the rows in its range of rowids (migration 017);
        // none if it accepted none.
        let (Some(first), Some(last)) = (first_accepted, last_accepted) else {
            return Ok(None);
        };
        let asn = asn.map(|asn| asn.bytes().to_vec());
        let record: Option<Vec<u8>> = self
            .tx
            .prepare_cached(EVIDENCE_ACCEPTED)
            .and_then(|mut statement| {
                statement
                    .query_row(params![asn, batch, index, first, last], |row| row.get(0))
                    .optional()
            })
            .map_err(storage_error)?;
        Ok(record.map(|record| EvidenceRow {
            batch_id,
            record,
            rejected: None,
        }))
    }

    fn change_card_status(
        &mut self,
        asn: Asn,
        from: &str,
        to: &str,
        now: EpochMs,
    ) -> Result<bool, HubError> {
        // The row the connection keeps of the card no longer holds its status.
        self.pending.forget(asn);
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE cards SET status = ?3, status_changed_at_ms = ?4
                 WHERE asn = ?1 AND status = ?2",
            )
            .and_then(|mut statement| {
                statement.execute(params![asn.bytes().as_slice(), from, to, now.get()])
            })
            .map_err(storage_error)?;
        Ok(changed == 1)
    }

    fn suspend_terminal(&mut self, id: TerminalId, now: EpochMs) -> Result<bool, HubError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE terminals SET suspended_at_ms = ?2
                 WHERE terminal_id = ?1 AND suspended_at_ms IS NULL",
            )
            .and_then(|mut statement| statement.execute(params![id.bytes().as_slice(), now.get()]))
            .map_err(storage_error)?;
        Ok(changed == 1)
    }

    fn reinstate_terminal(&mut self, id: TerminalId) -> Result<bool, HubError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE terminals SET suspended_at_ms = NULL
                 WHERE terminal_id = ?1 AND suspended_at_ms IS NOT NULL",
            )
            .and_then(|mut statement| statement.execute([id.bytes().as_slice()]))
            .map_err(storage_error)?;
        Ok(changed == 1)
    }

    fn terminal_suspended(&mut self, id: TerminalId) -> Result<bool, HubError> {
        let suspended: Option<Option<i64>> = self
            .tx
            .prepare_cached("SELECT suspended_at_ms FROM terminals WHERE terminal_id = ?1")
            .and_then(|mut statement| {
                statement
                    .query_row([id.bytes().as_slice()], |row| row.get(0))
                    .optional()
            })
            .map_err(storage_error)?;
        Ok(suspended.flatten().is_some())
    }

    fn add_blacklist_change(
        &mut self,
        asn: Asn,
        kind: ChangeKind,
        at_ms: i64,
    ) -> Result<u64, HubError> {
        let (kind, reason) = change_columns(kind);
        let version: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO blacklist_changes (version, asn, kind, reason, at_ms)
                 SELECT coalesce(max(version), 0) + 1, ?1, ?2, ?3, ?4 FROM blacklist_changes
                 RETURNING version",
            )
            .and_then(|mut statement| {
                statement.query_row(
                    params![asn.bytes().as_slice(), kind, reason, at_ms],
                    |row| row.get(0),
                )
            })
            .map_err(storage_error)?;
        u64::try_from(version).map_err(|_| HubError::corrupt("blacklist_changes: version"))
    }

    fn blacklist_changes(&mut self, version: u64) -> Result<Vec<Change>, HubError> {
        let version = to_i64(version, "since")?;
        let mut statement = self
            .tx
            .prepare_cached(
                "SELECT version, asn, kind, reason, at_ms FROM blacklist_changes
                 WHERE version > ?1 ORDER BY version",
            )
            .map_err(storage_error)?;
        let rows = statement
            .query_map([version], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .map_err(storage_error)?;
        rows.map(|row| checked_change(row.map_err(storage_error)?))
            .collect()
    }

    fn as_clearing(&mut self) -> &mut dyn crate::clearing::ClearingStorage {
        self
    }

    fn setting(&mut self, setting: Setting) -> Result<Option<String>, HubError> {
        self.tx
            .prepare_cached("SELECT value FROM risk_settings WHERE name = ?1")
            .and_then(|mut statement| {
                statement
                    .query_row([setting.name()], |row| row.get(0))
                    .optional()
            })
            .map_err(storage_error)
    }

    fn put_setting(&mut self, setting: Setting, value: &str, now: EpochMs) -> Result<(), HubError> {
        self.tx
            .prepare_cached(
                "INSERT INTO risk_settings (name, value, saved_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value,
                     saved_at_ms = excluded.saved_at_ms",
            )
            .and_then(|mut statement| statement.execute(params![setting.name(), value, now.get()]))
            .map_err(storage_error)?;
        Ok(())
    }

    fn state_chunk(&mut self, index: u32) -> Result<Option<Vec<u8>>, HubError> {
        self.tx
            .prepare_cached("SELECT bytes FROM risk_state_chunks WHERE chunk = ?1")
            .and_then(|mut statement| statement.query_row([index], |row| row.get(0)).optional())
            .map_err(storage_error)
    }

    fn put_state_chunk(&mut self, index: u32, bytes: &[u8], now: EpochMs) -> Result<(), HubError> {
        self.tx
            .prepare_cached(
                "INSERT INTO risk_state_chunks (chunk, bytes, saved_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (chunk) DO UPDATE SET bytes = excluded.bytes,
                     saved_at_ms = excluded.saved_at_ms",
            )
            .and_then(|mut statement| statement.execute(params![index, bytes, now.get()]))
            .map_err(storage_error)?;
        Ok(())
    }

    fn end_state_chunks(&mut self, count: u32) -> Result<(), HubError> {
        self.tx
            .execute("DELETE FROM risk_state_chunks WHERE chunk >= ?1", [count])
            .map_err(storage_error)?;
        self.tx
            .execute(
                "DELETE FROM risk_settings WHERE name = ?1",
                [Setting::State.name()],
            )
            .map_err(storage_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::EVIDENCE_ACCEPTED;
    use crate::clock::EpochMs;
    use crate::sqlite::migrations::apply;
    use crate::sqlite::query_plan;

    #[test]
    fn a_batchs_evidence_is_read_from_its_range_of_rowids_not_the_whole_table() {
        let mut connection = Connection::open_in_memory().unwrap();
        apply(&mut connection, EpochMs::new(1)).unwrap();
        let plan = query_plan(&connection, EVIDENCE_ACCEPTED);
        assert!(
            plan.contains(
                "SEARCH accepted_records USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"
            ),
            "{plan}"
        );
    }
}
