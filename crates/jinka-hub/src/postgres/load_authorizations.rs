//! Rows of `load_authorizations`, `load_transitions` and `load_confirmations`.

use ::postgres::{Row, Transaction};
use jinka_clearing::{Asn, LoadAuthorization, LoadTransition, RejectReason, RequestId};
use jinka_record::Date;

use crate::clearing::storage::TransitionCause;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::postgres::sql::{Sql, get};
use crate::sqlite::column;
use crate::sqlite::load_authorizations::{
    RawAuthorization, checked, select_authorizations, state_name,
};

const TABLE: &str = "load_authorizations";

fn raw(row: &Row) -> Result<RawAuthorization, HubError> {
    Ok(RawAuthorization {
        request_id: get(row, 0)?,
        requester: get(row, 1)?,
        asn: get(row, 2)?,
        issuer_id: get(row, 3)?,
        numbers: [
            get(row, 4)?,
            get(row, 5)?,
            get(row, 6)?,
            get(row, 7)?,
            get(row, 10)?,
        ],
        card_random: get(row, 8)?,
        mac1: get(row, 9)?,
        terminal_id: get(row, 11)?,
        date: get(row, 12)?,
        time: get(row, 13)?,
        mac2: get(row, 14)?,
        state: get(row, 15)?,
    })
}

fn authorizations(rows: &[Row]) -> Result<Vec<LoadAuthorization>, HubError> {
    rows.iter().map(|row| checked(raw(row)?)).collect()
}

pub(super) fn authorization(
    sql: &mut Sql<'_, Transaction<'_>>,
    request_id: &RequestId,
) -> Result<Option<LoadAuthorization>, HubError> {
    let row = sql.query_opt(
        select_authorizations!("WHERE request_id = $1"),
        &[&request_id.as_str()],
    )?;
    row.map(|row| checked(raw(&row)?)).transpose()
}

pub(super) fn card_authorizations(
    sql: &mut Sql<'_, Transaction<'_>>,
    asn: Asn,
    online_atc: Option<u16>,
) -> Result<Vec<LoadAuthorization>, HubError> {
    let asn = asn.bytes();
    let rows = match online_atc {
        Some(online_atc) => sql.query(
            select_authorizations!("WHERE asn = $1 AND online_atc = $2"),
            &[&asn.as_slice(), &i64::from(online_atc)],
        )?,
        None => sql.query(select_authorizations!("WHERE asn = $1"), &[&asn.as_slice()])?,
    };
    authorizations(&rows)
}

pub(super) fn loaded_on(
    sql: &mut Sql<'_, Transaction<'_>>,
    asn: Asn,
    date: Date,
) -> Result<u64, HubError> {
    let row = sql.query_one(
        // The card's loads of the day less the voided ones (migration 009).
        "SELECT CAST((SELECT coalesce(sum(amount_fen), 0) FROM load_authorizations
                          WHERE asn = $1 AND date = $2)
                   - (SELECT coalesce(sum(amount_fen), 0) FROM load_authorizations
                          WHERE asn = $1 AND date = $2 AND state = 'voided') AS bigint)",
        &[&asn.bytes().as_slice(), &hex::encode_upper(date.bcd())],
    )?;
    let sum: i64 = get(&row, 0)?;
    column(TABLE, "amount_fen", u64::try_from(sum).ok())
}

pub(super) fn insert_authorization(
    sql: &mut Sql<'_, Transaction<'_>>,
    authorization: &LoadAuthorization,
    now: EpochMs,
) -> Result<(), HubError> {
    let request = &authorization.request;
    sql.execute(
        "INSERT INTO load_authorizations (request_id, requester_id, asn, issuer_id, key_version,
            algorithm_id, balance_before_fen, online_atc, card_random, mac1, amount_fen,
            terminal_id, date, time, mac2, state, created_at_ms, state_changed_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
        &[
            &request.request_id.as_str(),
            &i64::from(ParticipantId::from_clearing(authorization.requester)?.get()),
            &request.asn.bytes().as_slice(),
            &request.issuer_id.bytes().as_slice(),
            &i64::from(request.key_version),
            &i64::from(request.algorithm_id),
            &i64::from(request.balance_before_fen),
            &i64::from(request.online_atc),
            &request.card_random.as_slice(),
            &request.mac1.as_slice(),
            &i64::from(request.amount_fen),
            &request.terminal_id.bytes().as_slice(),
            &hex::encode_upper(request.date.bcd()),
            &hex::encode_upper(request.time.bcd()),
            &authorization.mac2.as_slice(),
            &state_name(authorization.state),
            &now.get(),
        ],
    )?;
    Ok(())
}

pub(super) fn apply_transition(
    sql: &mut Sql<'_, Transaction<'_>>,
    transition: &LoadTransition,
    cause: TransitionCause,
    ledger_note: Option<&str>,
    now: EpochMs,
) -> Result<(), HubError> {
    let updated = sql.execute(
        "UPDATE load_authorizations SET state = $3, state_changed_at_ms = $4
         WHERE request_id = $1 AND state = $2",
        &[
            &transition.request_id.as_str(),
            &state_name(transition.from),
            &state_name(transition.to),
            &now.get(),
        ],
    )?;
    if updated != 1 {
        return Err(HubError::corrupt(format!(
            "load {}: its state changed under the decision",
            transition.request_id
        )));
    }
    let (cause, batch) = match cause {
        TransitionCause::Batch(batch) => ("batch", Some(batch.0)),
        TransitionCause::Confirmation => ("confirmation", None),
        TransitionCause::Resolver => ("resolver", None),
    };
    sql.execute(
        "INSERT INTO load_transitions (request_id, from_state, to_state, cause, batch,
            ledger_note, at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &transition.request_id.as_str(),
            &state_name(transition.from),
            &state_name(transition.to),
            &cause,
            &batch,
            &ledger_note,
            &now.get(),
        ],
    )?;
    Ok(())
}

pub(super) fn insert_confirmation(
    sql: &mut Sql<'_, Transaction<'_>>,
    request_id: &RequestId,
    tac: [u8; 4],
    rejected: Option<RejectReason>,
    now: EpochMs,
) -> Result<(), HubError> {
    let decision = if rejected.is_some() {
        "rejected"
    } else {
        "accepted"
    };
    sql.execute(
        "INSERT INTO load_confirmations (request_id, tac, decision, reason, at_ms)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &request_id.as_str(),
            &tac.as_slice(),
            &decision,
            &rejected.map(RejectReason::code),
            &now.get(),
        ],
    )?;
    Ok(())
}

pub(super) fn overdue_authorizations(
    sql: &mut Sql<'_, Transaction<'_>>,
    created_before: EpochMs,
    limit: u32,
) -> Result<Vec<LoadAuthorization>, HubError> {
    let rows = sql.query(
        select_authorizations!(
            "WHERE state = 'pending' AND created_at_ms < $1
             ORDER BY created_at_ms, request_id COLLATE \"C\" LIMIT $2"
        ),
        &[&created_before.get(), &i64::from(limit)],
    )?;
    authorizations(&rows)
}
