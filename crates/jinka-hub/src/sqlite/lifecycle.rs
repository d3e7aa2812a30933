//! The card's life on SQLite: `card_operations`, `card_management_counters`, cards' status
//! and applications, and the blacklist listings a lifecycle operation appends.

use jinka_card::Aid;
use rusqlite::{OptionalExtension, params};

use crate::byte_id::Asn;
use crate::card::CardStatus;
use crate::card_operation::{
    CardOperation, LifecycleStorage, NewOperation, OperationKind, OperationState,
};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::sqlite::clearing::SqliteClearing;
use crate::sqlite::{column, limit, scope_column, storage_error};
use crate::store::{Page, Scope};

const TABLE: &str = "card_operations";

/// An operation's columns, in the order [`checked`] reads them.
macro_rules! select_operations {
    ($rest:literal) => {
        concat!(
            "SELECT id, kind, asn, new_asn, issuer_id, requester_id, state, aid, created_at_ms,
                due_at_ms, completed_at_ms, amount_fen FROM card_operations ",
            $rest
        )
    };
}

pub(crate) type RawOperation = (
    i64,
    String,
    Vec<u8>,
    Option<Vec<u8>>,
    i64,
    i64,
    String,
    Option<Vec<u8>>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawOperation> {
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
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
    ))
}

/// An operation's columns, checked (shared with the PostgreSQL engine).
pub(crate) fn checked(raw: RawOperation) -> Result<CardOperation, HubError> {
    let (id, kind, asn, new_asn, issuer, requester, state, aid, created, due, completed, amount) =
        raw;
    let new_asn = match new_asn {
        Some(bytes) => Some(column(TABLE, "new_asn", Asn::from_slice(&bytes))?),
        None => None,
    };
    let aid = match aid {
        Some(bytes) => Some(column(TABLE, "aid", Aid::new(&bytes))?),
        None => None,
    };
    Ok(CardOperation {
        id: column(TABLE, "id", u64::try_from(id).ok())?,
        kind: column(TABLE, "kind", OperationKind::from_name(&kind))?,
        asn: column(TABLE, "asn", Asn::from_slice(&asn))?,
        new_asn,
        issuer: column(TABLE, "issuer_id", ParticipantId::from_column(issuer))?,
        requester: column(TABLE, "requester_id", ParticipantId::from_column(requester))?,
        aid,
        state: column(TABLE, "state", OperationState::from_name(&state))?,
        created_at_ms: EpochMs::new(created),
        due_at_ms: due.map(EpochMs::new),
        completed_at_ms: completed.map(EpochMs::new),
        amount_fen: amount,
    })
}

/// The id of an operation as a column value.
pub(crate) fn id_column(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

impl LifecycleStorage for SqliteClearing<'_, '_> {
    fn set_card_status(
        &mut self,
        asn: Asn,
        status: CardStatus,
        now: EpochMs,
    ) -> Result<(), HubError> {
        // The row the connection keeps of the card no longer holds its status.
        self.pending.forget(jinka_clearing::Asn::new(asn.bytes()));
        let changed = self
            .tx
            .execute(
                "UPDATE cards SET status = ?2, status_changed_at_ms = ?3 WHERE asn = ?1",
                params![asn.bytes().as_slice(), status.name(), now.get()],
            )
            .map_err(storage_error)?;
        if changed != 1 {
            return Err(HubError::corrupt(format!("no card {asn} to change")));
        }
        Ok(())
    }

    fn insert_card_operation(&mut self, new: &NewOperation, now: EpochMs) -> Result<u64, HubError> {
        let id: i64 = self
            .tx
            .query_row(
                "INSERT INTO card_operations (kind, asn, new_asn, issuer_id, requester_id, state,
                    aid, created_at_ms, due_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                params![
                    new.kind.name(),
                    new.asn.bytes().as_slice(),
                    new.new_asn.map(|asn| asn.bytes().to_vec()),
                    i64::from(new.issuer.get()),
                    i64::from(new.requester.get()),
                    new.state.name(),
                    new.aid.map(|aid| aid.as_bytes().to_vec()),
                    now.get(),
                    new.due_at.map(EpochMs::get),
                ],
                |row| row.get(0),
            )
            .map_err(storage_error)?;
        column(TABLE, "id", u64::try_from(id).ok())
    }

    fn card_operation(&mut self, id: u64) -> Result<Option<CardOperation>, HubError> {
        const SQL: &str = select_operations!("WHERE id = ?1");
        let row = self
            .tx
            .prepare_cached(SQL)
            .and_then(|mut statement| statement.query_row([id_column(id)], raw).optional())
            .map_err(storage_error)?;
        row.map(checked).transpose()
    }

    fn card_operations(
        &mut self,
        scope: Scope,
        page: Page<u64>,
    ) -> Result<Vec<CardOperation>, HubError> {
        const SQL: &str = select_operations!(
            "WHERE id > ?1 AND (?2 IS NULL OR issuer_id = ?2 OR requester_id = ?2)
             ORDER BY id LIMIT ?3"
        );
        let after = page.after.map_or(0, id_column);
        let rows = self
            .tx
            .prepare_cached(SQL)
            .and_then(|mut statement| {
                statement
                    .query_map(params![after, scope_column(scope), limit(&page)], raw)?
                    .collect::<rusqlite::Result<Vec<RawOperation>>>()
            })
            .map_err(storage_error)?;
        rows.into_iter().map(checked).collect()
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
        let changed = self
            .tx
            .execute(
                "UPDATE card_operations SET state = ?3, amount_fen = coalesce(?4, amount_fen),
                    completed_at_ms = CASE WHEN ?5 THEN ?6 ELSE completed_at_ms END
                 WHERE id = ?1 AND state = ?2",
                params![
                    id_column(id),
                    from.name(),
                    to.name(),
                    amount_fen,
                    ended,
                    now.get()
                ],
            )
            .map_err(storage_error)?;
        if changed != 1 {
            return Err(HubError::corrupt(format!(
                "card operation {id} is not {}",
                from.name()
            )));
        }
        Ok(())
    }

    fn due_card_operations(&mut self, now: EpochMs, limit: u32) -> Result<Vec<u64>, HubError> {
        let ids = self
            .tx
            .prepare_cached(
                "SELECT id FROM card_operations
                 WHERE state = 'pending' AND due_at_ms IS NOT NULL AND due_at_ms <= ?1
                 ORDER BY due_at_ms, id LIMIT ?2",
            )
            .and_then(|mut statement| {
                statement
                    .query_map(params![now.get(), i64::from(limit)], |row| row.get(0))?
                    .collect::<rusqlite::Result<Vec<i64>>>()
            })
            .map_err(storage_error)?;
        ids.into_iter()
            .map(|id| column(TABLE, "id", u64::try_from(id).ok()))
            .collect()
    }

    fn pending_operation_on(&mut self, asn: Asn) -> Result<bool, HubError> {
        let found: Option<i64> = self
            .tx
            .query_row(
                "SELECT 1 FROM card_operations
                 WHERE (asn = ?1 OR new_asn = ?1) AND state IN ('awaiting_consent', 'pending')
                 LIMIT 1",
                [asn.bytes().as_slice()],
                |row| row.get(0),
            )
            .optional()
            .map_err(storage_error)?;
        Ok(found.is_some())
    }

    fn replacement_credits(&mut self, id: u64) -> Result<Vec<String>, HubError> {
        self.tx
            .prepare_cached(
                "SELECT request_id FROM load_authorizations
                 WHERE funded_by_operation = ?1 AND state <> 'voided' ORDER BY request_id",
            )
            .and_then(|mut statement| {
                statement
                    .query_map([id_column(id)], |row| row.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .map_err(storage_error)
    }

    fn fund_load(&mut self, request_id: &str, id: u64) -> Result<(), HubError> {
        let changed = self
            .tx
            .execute(
                "UPDATE load_authorizations SET funded_by_operation = ?2 WHERE request_id = ?1",
                params![request_id, id_column(id)],
            )
            .map_err(storage_error)?;
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
        let found: Option<i64> = self
            .tx
            .prepare_cached(
                "SELECT 1 FROM load_authorizations INDEXED BY load_authorizations_credits
                 WHERE asn = ?1 AND online_atc = ?2 AND amount_fen = ?3 AND terminal_id = ?4
                    AND funded_by_operation IS NOT NULL
                 LIMIT 1",
            )
            .and_then(|mut statement| {
                statement
                    .query_row(
                        params![
                            asn.as_slice(),
                            i64::from(online_atc),
                            i64::from(amount_fen),
                            terminal_id.as_slice()
                        ],
                        |row| row.get(0),
                    )
                    .optional()
            })
            .map_err(storage_error)?;
        Ok(found.is_some())
    }

    fn is_credit_load(&mut self, request_id: &str) -> Result<bool, HubError> {
        let found: Option<i64> = self
            .tx
            .prepare_cached(
                "SELECT 1 FROM load_authorizations
                 WHERE request_id = ?1 AND funded_by_operation IS NOT NULL",
            )
            .and_then(|mut statement| {
                statement
                    .query_row([request_id], |row| row.get(0))
                    .optional()
            })
            .map_err(storage_error)?;
        Ok(found.is_some())
    }

    fn set_card_operation_script(&mut self, id: u64, script: &str) -> Result<(), HubError> {
        self.tx
            .execute(
                "UPDATE card_operations SET script = ?2 WHERE id = ?1",
                params![id_column(id), script],
            )
            .map_err(storage_error)?;
        Ok(())
    }

    fn card_operation_script(&mut self, id: u64) -> Result<Option<String>, HubError> {
        let script: Option<Option<String>> = self
            .tx
            .query_row(
                "SELECT script FROM card_operations WHERE id = ?1",
                [id_column(id)],
                |row| row.get(0),
            )
            .optional()
            .map_err(storage_error)?;
        Ok(script.flatten())
    }

    fn reserve_management_counters(
        &mut self,
        asn: Asn,
        count: u32,
        floor: u32,
    ) -> Result<u32, HubError> {
        let stored: Option<i64> = self
            .tx
            .query_row(
                "SELECT counter FROM card_management_counters WHERE asn = ?1",
                [asn.bytes().as_slice()],
                |row| row.get(0),
            )
            .optional()
            .map_err(storage_error)?;
        let last = match stored {
            Some(value) => column(
                "card_management_counters",
                "counter",
                u32::try_from(value).ok(),
            )?,
            None => 0,
        }
        .max(floor);
        let reserved = last.checked_add(count).ok_or_else(|| {
            HubError::conflict(format!("card {asn}: management counter exhausted"))
        })?;
        self.tx
            .execute(
                "INSERT INTO card_management_counters (asn, counter) VALUES (?1, ?2)
                 ON CONFLICT (asn) DO UPDATE SET counter = excluded.counter",
                params![asn.bytes().as_slice(), i64::from(reserved)],
            )
            .map_err(storage_error)?;
        Ok(last)
    }

    fn set_card_application(
        &mut self,
        asn: Asn,
        aid: &Aid,
        installed: bool,
    ) -> Result<(), HubError> {
        let sql = if installed {
            "INSERT INTO card_applications (asn, aid) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM card_applications WHERE asn = ?1 AND aid = ?2"
        };
        self.tx
            .execute(sql, params![asn.bytes().as_slice(), aid.as_bytes()])
            .map_err(storage_error)?;
        Ok(())
    }
}
