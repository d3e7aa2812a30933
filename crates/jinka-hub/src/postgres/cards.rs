//! Rows of `cards` and `card_applications`.

use std::collections::HashSet;

use ::postgres::{GenericClient, Row, Transaction};

use crate::byte_id::{Asn, IssuerId};
use crate::card::{Card, CardStatus, NewCard};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::postgres::sql::{Sql, get as column_of};
use crate::postgres::{is_unique_violation, storage_error};
use crate::sqlite::cards::{RawCard, checked};
use crate::sqlite::{limit, scope_column};
use crate::store::{Page, Scope, naming_card};

macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT asn, issuer_participant_id, issuer_id, profile, status, created_at_ms,
                (SELECT string_agg(upper(encode(aid, 'hex')), ',') FROM card_applications a
                 WHERE a.asn = c.asn)
            FROM cards c ",
            $tail
        )
    };
}

fn raw(row: &Row) -> Result<RawCard, HubError> {
    Ok(RawCard {
        asn: column_of(row, 0)?,
        issuer: column_of(row, 1)?,
        issuer_id: column_of(row, 2)?,
        profile: column_of(row, 3)?,
        status: column_of(row, 4)?,
        created_at_ms: column_of(row, 5)?,
        applications: column_of(row, 6)?,
    })
}

/// Whether a participant other than `issuer` owns key sets or cards of `issuer_id`. (`<` and
/// `>`, not `<>`: two ranges of the (issuer id, owner) index instead of every card of the
/// issuer id.)
pub(super) fn other_owner_of_issuer_id(
    sql: &mut Sql<'_, Transaction<'_>>,
    issuer_id: IssuerId,
    issuer: ParticipantId,
) -> Result<bool, HubError> {
    let row = sql.query_opt(
        "SELECT participant_id FROM issuer_key_sets WHERE issuer_id = $1 AND participant_id <> $2
         UNION ALL
         SELECT issuer_participant_id FROM cards WHERE issuer_id = $1
            AND issuer_participant_id < $2
         UNION ALL
         SELECT issuer_participant_id FROM cards WHERE issuer_id = $1
            AND issuer_participant_id > $2
         LIMIT 1",
        &[&issuer_id.bytes().as_slice(), &i64::from(issuer.get())],
    )?;
    Ok(row.is_some())
}

fn registered(asn: Asn) -> HubError {
    HubError::conflict(format!("card {asn} is registered"))
}

pub(super) fn insert(
    sql: &mut Sql<'_, Transaction<'_>>,
    new: NewCard,
    now: EpochMs,
) -> Result<Card, HubError> {
    insert_one(sql, new, now, true)
}

/// Registers `cards` in order in the transaction of `sql` (the caller commits all or none):
/// the issuer id of each (issuer, issuer id) pair is checked once; the statements are the
/// connection's prepared ones.
pub(super) fn insert_all(
    sql: &mut Sql<'_, Transaction<'_>>,
    cards: Vec<NewCard>,
    now: EpochMs,
) -> Result<Vec<Card>, HubError> {
    let mut owners_checked = HashSet::new();
    let mut registered = Vec::with_capacity(cards.len());
    for new in cards {
        let asn = new.asn();
        let check_owner = owners_checked.insert((new.issuer(), new.issuer_id()));
        let card =
            insert_one(sql, new, now, check_owner).map_err(|error| naming_card(asn, error))?;
        registered.push(card);
    }
    Ok(registered)
}

/// Registers `new`, refused if its ASN is registered or (when `check_owner`) if its issuer
/// id belongs to another participant.
fn insert_one(
    sql: &mut Sql<'_, Transaction<'_>>,
    new: NewCard,
    now: EpochMs,
    check_owner: bool,
) -> Result<Card, HubError> {
    let asn = new.asn().bytes();
    if sql
        .query_opt("SELECT 1 FROM cards WHERE asn = $1", &[&asn.as_slice()])?
        .is_some()
    {
        return Err(registered(new.asn()));
    }
    if check_owner && other_owner_of_issuer_id(sql, new.issuer_id(), new.issuer())? {
        return Err(HubError::conflict(format!(
            "issuer id {} belongs to another participant",
            new.issuer_id()
        )));
    }
    sql.execute_raw(
        "INSERT INTO cards (asn, issuer_participant_id, issuer_id, profile, status,
            created_at_ms, status_changed_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        &[
            &asn.as_slice(),
            &i64::from(new.issuer().get()),
            &new.issuer_id().bytes().as_slice(),
            &new.profile().name(),
            &CardStatus::Active.name(),
            &now.get(),
        ],
    )
    .map_err(|error| {
        if is_unique_violation(&error) {
            registered(new.asn())
        } else {
            storage_error(error)
        }
    })?;
    for aid in new.applications() {
        sql.execute(
            "INSERT INTO card_applications (asn, aid) VALUES ($1, $2)",
            &[&asn.as_slice(), &aid.as_bytes()],
        )?;
    }
    Ok(new.registered(now))
}

pub(super) fn get(
    sql: &mut Sql<'_, impl GenericClient>,
    asn: Asn,
) -> Result<Option<Card>, HubError> {
    let row = sql.query_opt(select!("WHERE asn = $1"), &[&asn.bytes().as_slice()])?;
    row.map(|row| checked(raw(&row)?)).transpose()
}

pub(super) fn list(
    sql: &mut Sql<'_, impl GenericClient>,
    scope: Scope,
    page: Page<Asn>,
) -> Result<Vec<Card>, HubError> {
    let after = page.after.map(|asn| asn.bytes().to_vec());
    let rows = sql.query(
        select!(
            "WHERE ($1::bytea IS NULL OR asn > $1)
                AND ($2::bigint IS NULL OR issuer_participant_id = $2)
             ORDER BY asn LIMIT $3"
        ),
        &[&after, &scope_column(scope), &limit(&page)],
    )?;
    rows.iter().map(|row| checked(raw(row)?)).collect()
}
