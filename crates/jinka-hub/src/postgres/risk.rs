//! Risk control's rows on PostgreSQL: `risk_decisions`, `blacklist_changes`,
//! `risk_settings`, terminals' suspension and cards' status changes ([`RiskStorage`] on the
//! clearing transaction, or on a read transaction of its own).

use ::postgres::{GenericClient, Row, Transaction};
use jinka_clearing::{Asn, TerminalId};
use jinka_risk::{Change, ChangeKind, RiskDecision, Subject};

use crate::clearing::ClearingStorage;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::postgres::clearing::PgClearing;
use crate::postgres::sql::{Sql, get};
use crate::postgres::{PgStore, storage_error};
use crate::risk::storage::{
    EvidenceRow, RawDecision, RiskStorage, Setting, StoredDecision, change_columns, checked_change,
    checked_decision, subject_columns,
};
use crate::sqlite::scope_column;
use crate::store::Scope;

macro_rules! select_decision {
    ($tail:literal) => {
        concat!(
            "SELECT id, rule, action, subject_kind, subject_id, participant_id, evidence, at_ms,
                explanation FROM risk_decisions ",
            $tail
        )
    };
}

fn raw_decision(row: &Row) -> Result<RawDecision, HubError> {
    Ok((
        get(row, 0)?,
        get(row, 1)?,
        get(row, 2)?,
        get(row, 3)?,
        get(row, 4)?,
        get(row, 5)?,
        get(row, 6)?,
        get(row, 7)?,
        get(row, 8)?,
    ))
}

fn to_i64(value: u64, what: &'static str) -> Result<i64, HubError> {
    i64::try_from(value).map_err(|_| HubError::invalid(what, "out of range"))
}

impl PgStore {
    /// Runs `work` on a read transaction of its own (no write lock).
    pub(super) fn risk_read_transaction(
        &self,
        work: &mut dyn FnMut(&mut dyn RiskStorage) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        let mut connection = self.pool.get()?;
        let (client, statements) = connection.parts();
        let mut transaction = client.transaction().map_err(storage_error)?;
        {
            let mut sql = Sql::new(&mut transaction, statements);
            let mut clearing = PgClearing { sql: &mut sql };
            work(clearing.risk())?;
        }
        transaction.commit().map_err(storage_error)
    }
}

fn sql<'a, 's, 't>(clearing: &'a mut PgClearing<'_, 's, 't>) -> &'a mut Sql<'s, Transaction<'t>> {
    clearing.sql
}

fn query_decisions(
    sql: &mut Sql<'_, impl GenericClient>,
    scope: Scope,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<StoredDecision>, HubError> {
    let rows = sql.query(
        select_decision!(
            "WHERE ($1::bigint IS NULL OR id > $1) AND ($2::bigint IS NULL OR participant_id = $2)
             ORDER BY id LIMIT $3"
        ),
        &[&after, &scope_column(scope), &i64::from(limit)],
    )?;
    rows.iter()
        .map(|row| checked_decision(raw_decision(row)?))
        .collect()
}

impl RiskStorage for PgClearing<'_, '_, '_> {
    fn insert_decision(&mut self, decision: &RiskDecision) -> Result<u64, HubError> {
        let (kind, subject_id) = subject_columns(&decision.subject);
        let owner = match decision.subject {
            Subject::Card(_) => "SELECT issuer_participant_id FROM cards WHERE asn = $1",
            Subject::Terminal(_) => "SELECT owner_id FROM terminals WHERE terminal_id = $1",
        };
        let sql = sql(self);
        let participant: Option<i64> = match sql.query_opt(owner, &[&subject_id.as_slice()])? {
            Some(row) => Some(get(&row, 0)?),
            None => None,
        };
        let evidence = serde_json::to_string(&decision.evidence)
            .map_err(|error| HubError::corrupt(format!("risk evidence: {error}")))?;
        let row = sql.query_one(
            "INSERT INTO risk_decisions (rule, action, subject_kind, subject_id, participant_id,
                evidence, at_ms, explanation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             RETURNING id",
            &[
                &decision.rule.code(),
                &decision.action.code(),
                &kind,
                &subject_id.as_slice(),
                &participant,
                &evidence,
                &decision.at_ms,
                &decision.explanation,
            ],
        )?;
        let id: i64 = get(&row, 0)?;
        u64::try_from(id).map_err(|_| HubError::corrupt("risk_decisions: a negative id"))
    }

    fn decisions(
        &mut self,
        scope: Scope,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, HubError> {
        let after = after.map(|id| to_i64(id, "after")).transpose()?;
        query_decisions(sql(self), scope, after, limit)
    }

    fn decision(&mut self, id: u64) -> Result<Option<StoredDecision>, HubError> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(None);
        };
        let row = sql(self).query_opt(select_decision!("WHERE id = $1"), &[&id])?;
        row.map(|row| checked_decision(raw_decision(&row)?))
            .transpose()
    }

    fn evidence_record(
        &mut self,
        asn: Option<Asn>,
        batch: i64,
        index: u32,
    ) -> Result<Option<EvidenceRow>, HubError> {
        let sql = sql(self);
        let Some(row) = sql.query_opt("SELECT batch_id FROM batches WHERE id = $1", &[&batch])?
        else {
            return Ok(None);
        };
        let batch_id: String = get(&row, 0)?;
        let index = i64::from(index);
        let rejected = sql.query_opt(
            "SELECT reason, record FROM rejected_records WHERE batch = $1 AND record_index = $2",
            &[&batch, &index],
        )?;
        if let Some(row) = rejected {
            return Ok(Some(EvidenceRow {
                batch_id,
                record: get(&row, 1)?,
                rejected: Some(get(&row, 0)?),
            }));
        }
        let asn = asn.map(|asn| asn.bytes().to_vec());
        let accepted = sql.query_opt(
            "SELECT record FROM accepted_records
             WHERE ($1::bytea IS NULL OR asn = $1) AND batch = $2 AND record_index = $3",
            &[&asn, &batch, &index],
        )?;
        accepted
            .map(|row| {
                Ok(EvidenceRow {
                    batch_id,
                    record: get(&row, 0)?,
                    rejected: None,
                })
            })
            .transpose()
    }

    fn change_card_status(
        &mut self,
        asn: Asn,
        from: &str,
        to: &str,
        now: EpochMs,
    ) -> Result<bool, HubError> {
        let changed = sql(self).execute(
            "UPDATE cards SET status = $3, status_changed_at_ms = $4
             WHERE asn = $1 AND status = $2",
            &[&asn.bytes().as_slice(), &from, &to, &now.get()],
        )?;
        Ok(changed == 1)
    }

    fn suspend_terminal(&mut self, id: TerminalId, now: EpochMs) -> Result<bool, HubError> {
        let changed = sql(self).execute(
            "UPDATE terminals SET suspended_at_ms = $2
             WHERE terminal_id = $1 AND suspended_at_ms IS NULL",
            &[&id.bytes().as_slice(), &now.get()],
        )?;
        Ok(changed == 1)
    }

    fn reinstate_terminal(&mut self, id: TerminalId) -> Result<bool, HubError> {
        let changed = sql(self).execute(
            "UPDATE terminals SET suspended_at_ms = NULL
             WHERE terminal_id = $1 AND suspended_at_ms IS NOT NULL",
            &[&id.bytes().as_slice()],
        )?;
        Ok(changed == 1)
    }

    fn terminal_suspended(&mut self, id: TerminalId) -> Result<bool, HubError> {
        let row = sql(self).query_opt(
            "SELECT suspended_at_ms FROM terminals WHERE terminal_id = $1",
            &[&id.bytes().as_slice()],
        )?;
        Ok(match row {
            Some(row) => get::<Option<i64>>(&row, 0)?.is_some(),
            None => false,
        })
    }

    fn add_blacklist_change(
        &mut self,
        asn: Asn,
        kind: ChangeKind,
        at_ms: i64,
    ) -> Result<u64, HubError> {
        let (kind, reason) = change_columns(kind);
        let row = sql(self).query_one(
            "INSERT INTO blacklist_changes (version, asn, kind, reason, at_ms)
             SELECT coalesce(max(version), 0) + 1, $1, $2, $3, $4 FROM blacklist_changes
             RETURNING version",
            &[&asn.bytes().as_slice(), &kind, &reason, &at_ms],
        )?;
        let version: i64 = get(&row, 0)?;
        u64::try_from(version).map_err(|_| HubError::corrupt("blacklist_changes: version"))
    }

    fn blacklist_changes(&mut self, version: u64) -> Result<Vec<Change>, HubError> {
        let version = to_i64(version, "since")?;
        let rows = sql(self).query(
            "SELECT version, asn, kind, reason, at_ms FROM blacklist_changes
             WHERE version > $1 ORDER BY version",
            &[&version],
        )?;
        rows.iter()
            .map(|row| {
                checked_change((
                    get(row, 0)?,
                    get(row, 1)?,
                    get(row, 2)?,
                    get(row, 3)?,
                    get(row, 4)?,
                ))
            })
            .collect()
    }

    fn as_clearing(&mut self) -> &mut dyn crate::clearing::ClearingStorage {
        self
    }

    fn setting(&mut self, setting: Setting) -> Result<Option<String>, HubError> {
        let row = sql(self).query_opt(
            "SELECT value FROM risk_settings WHERE name = $1",
            &[&setting.name()],
        )?;
        row.map(|row| get(&row, 0)).transpose()
    }

    fn put_setting(&mut self, setting: Setting, value: &str, now: EpochMs) -> Result<(), HubError> {
        sql(self).execute(
            "INSERT INTO risk_settings (name, value, saved_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value,
                 saved_at_ms = excluded.saved_at_ms",
            &[&setting.name(), &value, &now.get()],
        )?;
        Ok(())
    }

    fn state_chunk(&mut self, index: u32) -> Result<Option<Vec<u8>>, HubError> {
        let index =
            i32::try_from(index).map_err(|_| HubError::corrupt("risk state: too many chunks"))?;
        let row = sql(self).query_opt(
            "SELECT bytes FROM risk_state_chunks WHERE chunk = $1",
            &[&index],
        )?;
        row.map(|row| get(&row, 0)).transpose()
    }

    fn put_state_chunk(&mut self, index: u32, bytes: &[u8], now: EpochMs) -> Result<(), HubError> {
        let index =
            i32::try_from(index).map_err(|_| HubError::corrupt("risk state: too many chunks"))?;
        sql(self).execute(
            "INSERT INTO risk_state_chunks (chunk, bytes, saved_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (chunk) DO UPDATE SET bytes = excluded.bytes,
                 saved_at_ms = excluded.saved_at_ms",
            &[&index, &bytes, &now.get()],
        )?;
        Ok(())
    }

    fn end_state_chunks(&mut self, count: u32) -> Result<(), HubError> {
        let count =
            i32::try_from(count).map_err(|_| HubError::corrupt("risk state: too many chunks"))?;
        sql(self).execute("DELETE FROM risk_state_chunks WHERE chunk >= $1", &[&count])?;
        sql(self).execute(
            "DELETE FROM risk_settings WHERE name = $1",
            &[&Setting::State.name()],
        )?;
        Ok(())
    }
}
