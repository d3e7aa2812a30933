//! Rows of `cards` and `card_applications`.

use std::collections::{HashMap, HashSet};

use jinka_crypto::Profile;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::byte_id::{Asn, IssuerId};
use jinka_card::Aid;

use crate::card::{Card, CardStatus, NewCard};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::sqlite::{column, limit, scope_column, storage_error};
use crate::store::{Page, Scope, naming_card};

const SELECT: &str = "SELECT asn, issuer_participant_id, issuer_id, profile, status,
        created_at_ms,
        (SELECT group_concat(hex(aid), ',') FROM card_applications a WHERE a.asn = c.asn)
    FROM cards c";

/// A row as the engine gives it, before its values are checked (shared with PostgreSQL).
pub(crate) struct RawCard {
    pub(crate) asn: Vec<u8>,
    pub(crate) issuer: i64,
    pub(crate) issuer_id: Vec<u8>,
    pub(crate) profile: String,
    pub(crate) status: String,
    pub(crate) created_at_ms: i64,
    pub(crate) applications: Option<String>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawCard> {
    Ok(RawCard {
        asn: row.get(0)?,
        issuer: row.get(1)?,
        issuer_id: row.get(2)?,
        profile: row.get(3)?,
        status: row.get(4)?,
        created_at_ms: row.get(5)?,
        applications: row.get(6)?,
    })
}

pub(crate) fn checked(raw: RawCard) -> Result<Card, HubError> {
    const TABLE: &str = "cards";
    let applications = match raw.applications.as_deref() {
        None | Some("") => Some(Vec::new()),
        Some(text) => text.split(',').map(Aid::from_hex).collect(),
    };
    let mut applications = column(TABLE, "applications", applications)?;
    applications.sort();
    Ok(Card {
        asn: column(TABLE, "asn", Asn::from_slice(&raw.asn))?,
        issuer: column(
            TABLE,
            "issuer_participant_id",
            ParticipantId::from_column(raw.issuer),
        )?,
        issuer_id: column(TABLE, "issuer_id", IssuerId::from_slice(&raw.issuer_id))?,
        profile: column(TABLE, "profile", Profile::from_name(&raw.profile))?,
        status: column(TABLE, "status", CardStatus::from_name(&raw.status))?,
        applications,
        created_at_ms: EpochMs::new(raw.created_at_ms),
    })
}

/// The participant owning key sets or cards of `issuer_id`, other than `issuer`, if any.
/// (`<` and `>`, not `<>`: two ranges of the (issuer id, owner) index instead of every card of
/// the issuer id.)
pub(super) fn other_owner_of_issuer_id(
    tx: &Transaction<'_>,
    issuer_id: IssuerId,
    issuer: ParticipantId,
) -> Result<Option<i64>, HubError> {
    tx.prepare_cached(
        "SELECT participant_id FROM issuer_key_sets WHERE issuer_id = ?1 AND participant_id <> ?2
         UNION ALL
         SELECT issuer_participant_id FROM cards WHERE issuer_id = ?1
            AND issuer_participant_id < ?2
         UNION ALL
         SELECT issuer_participant_id FROM cards WHERE issuer_id = ?1
            AND issuer_participant_id > ?2
         LIMIT 1",
    )
    .and_then(|mut statement| {
        statement
            .query_row(params![issuer_id.bytes().as_slice(), issuer.get()], |row| {
                row.get(0)
            })
            .optional()
    })
    .map_err(storage_error)
}

/// `Conflict` if the issuer id of `new` belongs to another participant.
fn check_issuer_id(tx: &Transaction<'_>, new: &NewCard) -> Result<(), HubError> {
    if other_owner_of_issuer_id(tx, new.issuer_id(), new.issuer())?.is_some() {
        return Err(other_owner(new));
    }
    Ok(())
}

/// Registers `new`, refused if its ASN is registered or its issuer id belongs to another
/// participant.
pub(super) fn insert(tx: &Transaction<'_>, new: NewCard, now: EpochMs) -> Result<Card, HubError> {
    if is_registered(tx, new.asn())? {
        return Err(already_registered(new.asn()));
    }
    check_issuer_id(tx, &new)?;
    insert_unchecked(tx, new, now)
}

/// Registers `cards` in the transaction `tx` (the caller commits all or none), refused as
/// registering them one by one in the caller's order would be: the error of the first card
/// refused, naming it. The refusals are judged in that order (an ASN registered or listed earlier in
/// the call; the issuer id of each (issuer, issuer id) pair once, against the registered
/// cards and the call's earlier ones), then the rows are inserted in ASN order: ASNs come
/// scattered (an issuer's, the simulation's), and inserting each at its own place in the
/// cards' b-tree and indexes fetched and dirtied a page per card, where key order touches
/// each page once per call.
pub(super) fn insert_all(
    tx: &Transaction<'_>,
    cards: Vec<NewCard>,
    now: EpochMs,
) -> Result<Vec<Card>, HubError> {
    let mut in_key_order: Vec<usize> = (0..cards.len()).collect();
    in_key_order.sort_unstable_by_key(|&index| cards[index].asn());
    let mut registered_before = vec![false; cards.len()];
    for &index in &in_key_order {
        registered_before[index] = is_registered(tx, cards[index].asn())?;
    }
    let mut listed = HashSet::with_capacity(cards.len());
    let mut owners_checked = HashSet::new();
    let mut owner_of_issuer_id: HashMap<IssuerId, ParticipantId> = HashMap::new();
    for (new, registered) in cards.iter().zip(registered_before) {
        let asn = new.asn();
        if registered || !listed.insert(asn) {
            return Err(naming_card(asn, already_registered(asn)));
        }
        if owners_checked.insert((new.issuer(), new.issuer_id())) {
            let owner = owner_of_issuer_id
                .entry(new.issuer_id())
                .or_insert(new.issuer());
            if *owner != new.issuer() {
                return Err(naming_card(asn, other_owner(new)));
            }
            check_issuer_id(tx, new).map_err(|error| naming_card(asn, error))?;
        }
    }
    let mut waiting: Vec<Option<NewCard>> = cards.into_iter().map(Some).collect();
    let mut registered: Vec<Option<Card>> = vec![None; waiting.len()];
    for index in in_key_order {
        let Some(new) = waiting[index].take() else {
            return Err(HubError::corrupt("a card of the call inserted twice"));
        };
        let asn = new.asn();
        let card = insert_unchecked(tx, new, now).map_err(|error| naming_card(asn, error))?;
        registered[index] = Some(card);
    }
    registered
        .into_iter()
        .map(|card| card.ok_or_else(|| HubError::corrupt("a card of the call not inserted")))
        .collect()
}

fn is_registered(tx: &Transaction<'_>, asn: Asn) -> Result<bool, HubError> {
    tx.prepare_cached("SELECT 1 FROM cards WHERE asn = ?1")
        .and_then(|mut statement| statement.exists([asn.bytes().as_slice()]))
        .map_err(storage_error)
}

fn already_registered(asn: Asn) -> HubError {
    HubError::conflict(format!("card {asn} is registered"))
}

fn other_owner(new: &NewCard) -> HubError {
    HubError::conflict(format!(
        "issuer id {} belongs to another participant",
        new.issuer_id()
    ))
}

/// Inserts the card's rows (its ASN and issuer id checked by the caller).
fn insert_unchecked(tx: &Transaction<'_>, new: NewCard, now: EpochMs) -> Result<Card, HubError> {
    let asn = new.asn().bytes();
    tx.prepare_cached(
        "INSERT INTO cards (asn, issuer_participant_id, issuer_id, profile, status,
            created_at_ms, status_changed_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            asn.as_slice(),
            new.issuer().get(),
            new.issuer_id().bytes().as_slice(),
            new.profile().name(),
            CardStatus::Active.name(),
            now.get(),
        ])
    })
    .map_err(storage_error)?;
    for aid in new.applications() {
        tx.prepare_cached("INSERT INTO card_applications (asn, aid) VALUES (?1, ?2)")
            .and_then(|mut statement| statement.execute(params![asn.as_slice(), aid.as_bytes()]))
            .map_err(storage_error)?;
    }
    Ok(new.registered(now))
}

pub(super) fn get(tx: &Transaction<'_>, asn: Asn) -> Result<Option<Card>, HubError> {
    let raw = tx
        .query_row(
            &format!("{SELECT} WHERE asn = ?1"),
            [asn.bytes().as_slice()],
            raw,
        )
        .optional()
        .map_err(storage_error)?;
    raw.map(checked).transpose()
}

pub(super) fn list(
    tx: &Transaction<'_>,
    scope: Scope,
    page: Page<Asn>,
) -> Result<Vec<Card>, HubError> {
    let mut statement = tx
        .prepare_cached(&format!(
            "{SELECT} WHERE (?1 IS NULL OR asn > ?1) AND (?2 IS NULL OR issuer_participant_id = ?2)
             ORDER BY asn LIMIT ?3"
        ))
        .map_err(storage_error)?;
    let after = page.after.map(|asn| asn.bytes().to_vec());
    let rows = statement
        .query_map(params![after, scope_column(scope), limit(&page)], raw)
        .map_err(storage_error)?;
    rows.map(|row| checked(row.map_err(storage_error)?))
        .collect()
}
