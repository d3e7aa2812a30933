//! The card's life on PostgreSQL: the same operations as `sqlite/lifecycle.rs`, whose row
//! check it shares.

use ::postgres::Row;
use jinka_card::Aid;

use crate::byte_id::Asn;
use crate::card::CardStatus;
use crate::card_operation::{CardOperation, LifecycleStorage, NewOperation, OperationState};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::postgres::clearing::PgClearing;
use crate::postgres::sql::get;
use crate::sqlite::lifecycle::{RawOperation, checked, id_column};
use crate::sqlite::{column, limit, scope_column};
use crate::store::{Page, Scope};

const TABLE: &str = "card_operations";

fn raw(row: &Row) -> Result<RawOperation, HubError> {
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
        get(row, 9)?,
        get(row, 10)?,
        get(row, 11)?,
    ))
}

macro_rules! select_operations {
    ($rest:literal) => {
        concat!(
            "SELECT id, kind, asn, new_asn, issuer_id, requester_id, state, aid, created_at_ms,
                due_at_ms, completed_at_ms, amount_fen FROM card_operations ",
            $rest
        )
    };
}

impl LifecycleStorage for PgClearing<'_, '_, '_> {
    fn set_card_status(
        &mut self,
        asn: Asn,
        status: CardStatus,
        now: EpochMs,
    ) -> Result<(), HubError> {
        let changed = self.sql.execute(
            "UPDATE cards SET status = $2, status_changed_at_ms = $3 WHERE asn = $1",
            &[&asn.bytes().as_slice(), &status.name(), &now.get()],
        )?;
        if changed != 1 {
            return Err(HubError::corrupt(format!("no card {asn} to change")));
        }
        Ok(())
    }

    fn insert_card_operation(&mut self, new: &NewOperation, now: EpochMs) -> Result<u64, HubError> {
        let new_asn = new.new_asn.map(|asn| asn.bytes().to_vec());
        let aid = new.aid.map(|aid| aid.as_bytes().to_vec());
        let row = self.sql.query_one(
            "INSERT INTO card_operations (kind, asn, new_asn, issuer_id, requester_id, state,
                aid, created_at_ms, due_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &new.kind.name(),
                &new.asn.bytes().as_slice(),
                &new_asn,
                &i64::from(new.issuer.get()),
                &i64::from(new.requester.get()),
                &new.state.name(),
                &aid,
                &now.get(),
                &new.due_at.map(EpochMs::get),
            ],
        )?;
        let id: i64 = get(&row, 0)?;
        column(TABLE, "id", u64::try_from(id).ok())
    }

    fn card_operation(&mut self, id: u64) -> Result<Option<CardOperation>, HubError> {
        let row = self
            .sql
            .query_opt(select_operations!("WHERE id = $1"), &[&id_column(id)])?;
        row.map(|row| raw(&row).and_then(checked)).transpose()
    }

    fn card_operations(
        &mut self,
        scope: Scope,
        page: Page<u64>,
    ) -> Result<Vec<CardOperation>, HubError> {
        let after = page.after.map_or(0, id_column);
        let rows = self.sql.query(
            select_operations!(
                "WHERE id > $1 AND ($2::bigint IS NULL OR issuer_id = $2 OR requester_id = $2)
                 ORDER BY id LIMIT $3"
            ),
            &[&after, &scope_column(scope), &limit(&page)],
        )?;
        rows.iter().map(|row| raw(row).and_then(checked)).collect()
    }

    fn change_card_operation(
        &mut self,
        id: u64,
        from: OperationState,
        to: OperationState,
        amount_fen: Option<i64>,
        now: EpochMs,
    ) -> Result<(), HubError> {
        let ended = matches!(to, OperationState::Completed | OperationState::Failed);
        let changed = self.sql.execute(
            "UPDATE card_operations SET state = $3, amount_fen = coalesce($4, amount_fen),
                completed_at_ms = CASE WHEN $5 THEN $6 ELSE completed_at_ms END
             WHERE id = $1 AND state = $2",
            &[
                &id_column(id),
                &from.name(),
                &to.name(),
                &amount_fen,
                &ended,
                &now.get(),
            ],
        )?;
        if changed != 1 {
            return Err(HubError::corrupt(format!(
                "card operation {id} is not {}",
                from.name()
            )));
        }
        Ok(())
    }

    fn due_card_operations(&mut self, now: EpochMs, limit: u32) -> Result<Vec<u64>, HubError> {
        let rows = self.sql.query(
            "SELECT id FROM card_operations
             WHERE state = 'pending' AND due_at_ms IS NOT NULL AND due_at_ms <= $1
             ORDER BY due_at_ms, id LIMIT $2",
            &[&now.get(), &i64::from(limit)],
        )?;
        rows.iter()
            .map(|row| {
                let id: i64 = get(row, 0)?;
                column(TABLE, "id", u64::try_from(id).ok())
            })
            .collect()
    }

    fn pending_operation_on(&mut self, asn: Asn) -> Result<bool, HubError> {
        let row = self.sql.query_opt(
            "SELECT 1 FROM card_operations
             WHERE (asn = $1 OR new_asn = $1) AND state IN ('awaiting_consent', 'pending')
             LIMIT 1",
            &[&asn.bytes().as_slice()],
        )?;
        Ok(row.is_some())
    }

    fn replacement_credits(&mut self, id: u64) -> Result<Vec<String>, HubError> {
        let rows = self.sql.query(
            "SELECT request_id FROM load_authorizations
             WHERE funded_by_operation = $1 AND state <> 'voided' ORDER BY request_id",
            &[&id_column(id)],
        )?;
        rows.iter().map(|row| get(row, 0)).collect()
    }

    fn fund_load(&mut self, request_id: &str, id: u64) -> Result<(), HubError> {
        let changed = self.sql.execute(
            "UPDATE load_authorizations SET funded_by_operation = $2 WHERE request_id = $1",
            &[&request_id, &id_column(id)],
        )?;
        if changed != 1 {
            return Err(HubError::corrupt(format!("no load {request_id} to fund")));
        }
        Ok(())
    }

    fn is_credit_record(
        &mut self,
        asn: [u8; 8],
        online_atc: u16,
        amount_fen: u32,
        terminal_id: [u8; 6],
    ) -> Result<bool, HubError> {
        let row = self.sql.query_opt(
            "SELECT 1 FROM load_authorizations
             WHERE asn = $1 AND online_atc = $2 AND amount_fen = $3 AND terminal_id = $4
                AND funded_by_operation IS NOT NULL
             LIMIT 1",
            &[
                &asn.as_slice(),
                &i64::from(online_atc),
                &i64::from(amount_fen),
                &terminal_id.as_slice(),
            ],
        )?;
        Ok(row.is_some())
    }

    fn is_credit_load(&mut self, request_id: &str) -> Result<bool, HubError> {
        let row = self.sql.query_opt(
            "SELECT 1 FROM load_authorizations
             WHERE request_id = $1 AND funded_by_operation IS NOT NULL",
            &[&request_id],
        )?;
        Ok(row.is_some())
    }

    fn set_card_operation_script(&mut self, id: u64, script: &str) -> Result<(), HubError> {
        self.sql.execute(
            "UPDATE card_operations SET script = $2 WHERE id = $1",
            &[&id_column(id), &script],
        )?;
        Ok(())
    }

    fn card_operation_script(&mut self, id: u64) -> Result<Option<String>, HubError> {
        let row = self.sql.query_opt(
            "SELECT script FROM card_operations WHERE id = $1",
            &[&id_column(id)],
        )?;
        match row {
            Some(row) => get(&row, 0),
            None => Ok(None),
        }
    }

    fn reserve_management_counters(
        &mut self,
        asn: Asn,
        count: u32,
        floor: u32,
    ) -> Result<u32, HubError> {
        let row = self.sql.query_opt(
            "SELECT counter FROM card_management_counters WHERE asn = $1",
            &[&asn.bytes().as_slice()],
        )?;
        let last = match row {
            Some(row) => {
                let value: i64 = get(&row, 0)?;
                column(
                    "card_management_counters",
                    "counter",
                    u32::try_from(value).ok(),
                )?
            }
            None => 0,
        }
        .max(floor);
        let reserved = last.checked_add(count).ok_or_else(|| {
            HubError::conflict(format!("card {asn}: management counter exhausted"))
        })?;
        self.sql.execute(
            "INSERT INTO card_management_counters (asn, counter) VALUES ($1, $2)
             ON CONFLICT (asn) DO UPDATE SET counter = excluded.counter",
            &[&asn.bytes().as_slice(), &i64::from(reserved)],
        )?;
        Ok(last)
    }

    fn set_card_application(
        &mut self,
        asn: Asn,
        aid: &Aid,
        installed: bool,
    ) -> Result<(), HubError> {
        let asn = asn.bytes();
        let params: [&(dyn ::postgres::types::ToSql + Sync); 2] =
            [&asn.as_slice(), &aid.as_bytes()];
        if installed {
            self.sql.execute(
                "INSERT INTO card_applications (asn, aid) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &params,
            )?;
        } else {
            self.sql.execute(
                "DELETE FROM card_applications WHERE asn = $1 AND aid = $2",
                &params,
            )?;
        }
        Ok(())
    }
}
