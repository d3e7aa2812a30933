//! Rows of `load_authorizations`, `load_transitions` and `load_confirmations`.

use jinka_clearing::{
    Asn, IssuerId, LoadAuthorization, LoadRequest, LoadState, LoadTransition, PostedBy,
    RejectReason, RequestId, TerminalId,
};
use jinka_record::{Date, Time};
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::clearing::storage::TransitionCause;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::sqlite::{column, storage_error};

const TABLE: &str = "load_authorizations";

/// The columns [`raw`] reads (and the PostgreSQL store's reader, in the same order), from the
/// table, followed by `$tail`.
macro_rules! select_authorizations {
    ($tail:literal) => {
        concat!(
            "SELECT request_id, requester_id, asn, issuer_id, key_version, algorithm_id,
                balance_before_fen, online_atc, card_random, mac1, amount_fen, terminal_id, date,
                time, mac2, state
            FROM load_authorizations ",
            $tail
        )
    };
}

pub(crate) use select_authorizations;

const SELECT: &str = select_authorizations!("");

/// A state's stored name.
pub(crate) const fn state_name(state: LoadState) -> &'static str {
    match state {
        LoadState::Pending => "pending",
        LoadState::Posted(PostedBy::Tac) => "posted-tac",
        LoadState::Posted(PostedBy::CounterChain) => "posted-counter-chain",
        LoadState::Voided => "voided",
    }
}

fn state_of(name: &str) -> Option<LoadState> {
    [
        LoadState::Pending,
        LoadState::Posted(PostedBy::Tac),
        LoadState::Posted(PostedBy::CounterChain),
        LoadState::Voided,
    ]
    .into_iter()
    .find(|state| state_name(*state) == name)
}

/// A row as the engine gives it, before its values are checked (shared with PostgreSQL):
/// `numbers` are key version, algorithm id, balance before, online ATC and amount.
pub(crate) struct RawAuthorization {
    pub(crate) request_id: String,
    pub(crate) requester: i64,
    pub(crate) asn: Vec<u8>,
    pub(crate) issuer_id: Vec<u8>,
    pub(crate) numbers: [i64; 5],
    pub(crate) card_random: Vec<u8>,
    pub(crate) mac1: Vec<u8>,
    pub(crate) terminal_id: Vec<u8>,
    pub(crate) date: String,
    pub(crate) time: String,
    pub(crate) mac2: Vec<u8>,
    pub(crate) state: String,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawAuthorization> {
    Ok(RawAuthorization {
        request_id: row.get(0)?,
        requester: row.get(1)?,
        asn: row.get(2)?,
        issuer_id: row.get(3)?,
        numbers: [
            row.get(4)?,
            row.get(5)?,
            row.get(6)?,
            row.get(7)?,
            row.get(10)?,
        ],
        card_random: row.get(8)?,
        mac1: row.get(9)?,
        terminal_id: row.get(11)?,
        date: row.get(12)?,
        time: row.get(13)?,
        mac2: row.get(14)?,
        state: row.get(15)?,
    })
}

fn bytes<const N: usize>(name: &str, value: &[u8]) -> Result<[u8; N], HubError> {
    column(TABLE, name, <[u8; N]>::try_from(value).ok())
}

fn hex_bytes<const N: usize>(name: &str, text: &str) -> Result<[u8; N], HubError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| HubError::corrupt(format!("table {TABLE}: column {name}")))?;
    Ok(out)
}

pub(crate) fn checked(raw: RawAuthorization) -> Result<LoadAuthorization, HubError> {
    let [key_version, algorithm_id, balance, online_atc, amount] = raw.numbers;
    let date = Date::from_bcd(hex_bytes("date", &raw.date)?).ok();
    let time = Time::from_bcd(hex_bytes("time", &raw.time)?).ok();
    let request = LoadRequest {
        request_id: column(TABLE, "request_id", RequestId::new(&raw.request_id).ok())?,
        issuer_id: IssuerId::new(bytes("issuer_id", &raw.issuer_id)?),
        asn: Asn::new(bytes("asn", &raw.asn)?),
        key_version: column(TABLE, "key_version", u8::try_from(key_version).ok())?,
        algorithm_id: column(TABLE, "algorithm_id", u8::try_from(algorithm_id).ok())?,
        balance_before_fen: column(TABLE, "balance_before_fen", u32::try_from(balance).ok())?,
        online_atc: column(TABLE, "online_atc", u16::try_from(online_atc).ok())?,
        card_random: bytes("card_random", &raw.card_random)?,
        mac1: bytes("mac1", &raw.mac1)?,
        amount_fen: column(TABLE, "amount_fen", u32::try_from(amount).ok())?,
        terminal_id: TerminalId::new(bytes("terminal_id", &raw.terminal_id)?),
        date: column(TABLE, "date", date)?,
        time: column(TABLE, "time", time)?,
    };
    let requester = column(
        TABLE,
        "requester_id",
        ParticipantId::from_column(raw.requester),
    )?;
    Ok(LoadAuthorization {
        request,
        requester: requester.clearing(),
        mac2: bytes("mac2", &raw.mac2)?,
        state: column(TABLE, "state", state_of(&raw.state))?,
    })
}

pub(super) fn authorization(
    tx: &Transaction<'_>,
    request_id: &RequestId,
) -> Result<Option<LoadAuthorization>, HubError> {
    let raw = tx
        .prepare_cached(select_authorizations!("WHERE request_id = ?1"))
        .and_then(|mut statement| statement.query_row([request_id.as_str()], raw).optional())
        .map_err(storage_error)?;
    raw.map(checked).transpose()
}

/// All of a card's authorizations, from the index `load_authorizations_by_card_day` (migration
/// 014), whose order (by date, amount and online ATC, then as stored) [`card_authorizations`]
/// makes sure of: the loads' book (`load_book.rs`) reads a card's loads with it once and
/// keeps them in this order. Not an `ORDER BY`: with one, the hub's connection prepared the
/// statement again at every run (its `SQLITE_STMTSTATUS_REPREPARE` counted one per call),
/// about 170,000 instructions each.
const ALL: &str = select_authorizations!("WHERE asn = ?1");

pub(super) fn card_authorizations(
    tx: &Transaction<'_>,
    asn: Asn,
) -> Result<Vec<LoadAuthorization>, HubError> {
    let mut statement = tx.prepare_cached(ALL).map_err(storage_error)?;
    let asn = asn.bytes();
    let rows = statement
        .query_map(params![asn.as_slice()], raw)
        .map_err(storage_error)?;
    let mut loads = rows
        .map(|row| checked(row.map_err(storage_error)?))
        .collect::<Result<Vec<_>, HubError>>()?;
    // Stable: loads that sort together stay in the order read, the index's (or the table's),
    // which is the rowid's.
    loads.sort_by_key(card_order);
    Ok(loads)
}

/// The order of a card's loads (ties: as stored).
pub(super) fn card_order(load: &LoadAuthorization) -> (Date, u32, u16) {
    (
        load.request.date,
        load.request.amount_fen,
        load.request.online_atc,
    )
}

pub(super) fn insert_authorization(
    tx: &Transaction<'_>,
    authorization: &LoadAuthorization,
    now: EpochMs,
) -> Result<(), HubError> {
    let request = &authorization.request;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO load_authorizations (request_id, requester_id, asn, issuer_id, key_version,
            algorithm_id, balance_before_fen, online_atc, card_random, mac1, amount_fen,
            terminal_id, date, time, mac2, state, created_at_ms, state_changed_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
        )
        .map_err(storage_error)?;
    insert
        .execute(params![
            request.request_id.as_str(),
            ParticipantId::from_clearing(authorization.requester)?.get(),
            request.asn.bytes().as_slice(),
            request.issuer_id.bytes().as_slice(),
            request.key_version,
            request.algorithm_id,
            request.balance_before_fen,
            request.online_atc,
            request.card_random.as_slice(),
            request.mac1.as_slice(),
            request.amount_fen,
            request.terminal_id.bytes().as_slice(),
            hex::encode_upper(request.date.bcd()),
            hex::encode_upper(request.time.bcd()),
            authorization.mac2.as_slice(),
            state_name(authorization.state),
            now.get(),
        ])
        .map_err(storage_error)?;
    Ok(())
}

pub(super) fn apply_transition(
    tx: &Transaction<'_>,
    transition: &LoadTransition,
    cause: TransitionCause,
    ledger_note: Option<&str>,
    now: EpochMs,
) -> Result<(), HubError> {
    let updated = tx
        .prepare_cached(
            "UPDATE load_authorizations SET state = ?3, state_changed_at_ms = ?4
             WHERE request_id = ?1 AND state = ?2",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                transition.request_id.as_str(),
                state_name(transition.from),
                state_name(transition.to),
                now.get()
            ])
        })
        .map_err(storage_error)?;
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
    tx.prepare_cached(
        "INSERT INTO load_transitions (request_id, from_state, to_state, cause, batch,
            ledger_note, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            transition.request_id.as_str(),
            state_name(transition.from),
            state_name(transition.to),
            cause,
            batch,
            ledger_note,
            now.get()
        ])
    })
    .map_err(storage_error)?;
    Ok(())
}

pub(super) fn insert_confirmation(
    tx: &Transaction<'_>,
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
    tx.prepare_cached(
        "INSERT INTO load_confirmations (request_id, tac, decision, reason, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            request_id.as_str(),
            tac.as_slice(),
            decision,
            rejected.map(RejectReason::code),
            now.get()
        ])
    })
    .map_err(storage_error)?;
    Ok(())
}

pub(super) fn overdue_authorizations(
    tx: &Transaction<'_>,
    created_before: EpochMs,
    limit: u32,
) -> Result<Vec<LoadAuthorization>, HubError> {
    let mut statement = tx
        .prepare_cached(&format!(
            "{SELECT} WHERE state = 'pending' AND created_at_ms < ?1
             ORDER BY created_at_ms, request_id LIMIT ?2"
        ))
        .map_err(storage_error)?;
    let rows = statement
        .query_map(params![created_before.get(), limit], raw)
        .map_err(storage_error)?;
    rows.map(|row| checked(row.map_err(storage_error)?))
        .collect()
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::ALL;
    use crate::clock::EpochMs;
    use crate::sqlite::migrations::apply;
    use crate::sqlite::query_plan as plan;

    #[test]
    fn a_cards_authorizations_are_sought_in_the_one_index_keyed_by_card() {
        let mut connection = Connection::open_in_memory().unwrap();
        apply(&mut connection, EpochMs::new(1)).unwrap();
        let plan = plan(&connection, ALL);
        assert!(
            plan.contains("USING INDEX load_authorizations_by_card_day (asn=?)"),
            "{plan}"
        );
    }
}
