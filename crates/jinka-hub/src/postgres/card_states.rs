//! Cards, terminals and participants as the clearing decisions read them, and the cards'
//! clearing columns (shadow balance, counters).

use ::postgres::{Row, Transaction};
use jinka_clearing::{CardChange, CardEntry, IssuerId, Region, TerminalEntry, TerminalId};
use jinka_crypto::Profile;

use crate::amount::Amount;
use crate::card::CardStatus;
use crate::clearing::storage::ClearingParty;
use crate::error::HubError;
use crate::fee::FeeSchedule;
use crate::participant::ParticipantId;
use crate::postgres::sql::{Sql, get};
use crate::sqlite::card_states::{
    clearing_status, decode_counter, encode_edges, encode_gaps, encode_point, fee_rate,
};
use crate::sqlite::column;

const TABLE: &str = "cards";

/// The columns [`entry`] reads, in its order.
macro_rules! card_columns {
    () => {
        "asn, issuer_participant_id, issuer_id, profile, status, shadow_balance_fen,
            offline_highest_atc, offline_gaps, online_highest_atc, online_gaps,
            offline_point, online_point, offline_edges, online_edges"
    };
}

/// A card's row as the decisions read it.
fn entry(row: &Row) -> Result<CardEntry, HubError> {
    let asn: Vec<u8> = get(row, 0)?;
    let asn = column(TABLE, "asn", <[u8; 8]>::try_from(asn.as_slice()).ok())?;
    let issuer = column(
        TABLE,
        "issuer_participant_id",
        ParticipantId::from_column(get(row, 1)?),
    )?;
    let issuer_id: Vec<u8> = get(row, 2)?;
    let issuer_id = <[u8; 8]>::try_from(issuer_id.as_slice()).ok();
    let profile: String = get(row, 3)?;
    let status: String = get(row, 4)?;
    let status = column(TABLE, "status", CardStatus::from_name(&status))?;
    let offline_gaps: Vec<u8> = get(row, 7)?;
    let online_gaps: Vec<u8> = get(row, 9)?;
    let offline_point: Option<Vec<u8>> = get(row, 10)?;
    let online_point: Option<Vec<u8>> = get(row, 11)?;
    let offline_edges: Vec<u8> = get(row, 12)?;
    let online_edges: Vec<u8> = get(row, 13)?;
    Ok(CardEntry {
        asn: jinka_clearing::Asn::new(asn),
        issuer: issuer.clearing(),
        issuer_id: IssuerId::new(column(TABLE, "issuer_id", issuer_id)?),
        status: clearing_status(status),
        profile: column(TABLE, "profile", Profile::from_name(&profile))?,
        shadow_balance_fen: get(row, 5)?,
        offline: decode_counter(
            "cards",
            "offline",
            get(row, 6)?,
            &offline_gaps,
            offline_point.as_deref(),
            &offline_edges,
        )?,
        online: decode_counter(
            "cards",
            "online",
            get(row, 8)?,
            &online_gaps,
            online_point.as_deref(),
            &online_edges,
        )?,
    })
}

pub(super) fn card_entry(
    sql: &mut Sql<'_, Transaction<'_>>,
    asn: jinka_clearing::Asn,
) -> Result<Option<CardEntry>, HubError> {
    let row = sql.query_opt(
        concat!("SELECT ", card_columns!(), " FROM cards WHERE asn = $1"),
        &[&asn.bytes().as_slice()],
    )?;
    row.map(|row| entry(&row)).transpose()
}

/// The cards of `asns` that are registered, in no order.
pub(super) fn card_entries(
    sql: &mut Sql<'_, Transaction<'_>>,
    asns: &[jinka_clearing::Asn],
) -> Result<Vec<CardEntry>, HubError> {
    let asns: Vec<[u8; 8]> = asns.iter().map(|asn| asn.bytes()).collect();
    let keys: Vec<&[u8]> = asns.iter().map(|asn| asn.as_slice()).collect();
    let rows = sql.query(
        concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE asn = ANY($1::bytea[])"
        ),
        &[&keys],
    )?;
    rows.iter().map(entry).collect()
}

pub(super) fn update_cards(
    sql: &mut Sql<'_, Transaction<'_>>,
    changes: &[CardChange],
) -> Result<(), HubError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut asns = Vec::with_capacity(changes.len());
    let mut after = Vec::with_capacity(changes.len());
    let mut offline_highest = Vec::with_capacity(changes.len());
    let mut offline_gaps = Vec::with_capacity(changes.len());
    let mut online_highest = Vec::with_capacity(changes.len());
    let mut online_gaps = Vec::with_capacity(changes.len());
    let mut before = Vec::with_capacity(changes.len());
    let mut offline_point = Vec::with_capacity(changes.len());
    let mut online_point = Vec::with_capacity(changes.len());
    let mut offline_edges = Vec::with_capacity(changes.len());
    let mut online_edges = Vec::with_capacity(changes.len());
    for change in changes {
        asns.push(change.asn.bytes().to_vec());
        after.push(change.shadow_balance_after_fen);
        offline_highest.push(change.offline.highest().map(i64::from));
        offline_gaps.push(encode_gaps(&change.offline));
        online_highest.push(change.online.highest().map(i64::from));
        online_gaps.push(encode_gaps(&change.online));
        before.push(change.shadow_balance_before_fen);
        offline_point.push(encode_point(&change.offline).map(|point| point.to_vec()));
        online_point.push(encode_point(&change.online).map(|point| point.to_vec()));
        offline_edges.push(encode_edges(&change.offline));
        online_edges.push(encode_edges(&change.online));
    }
    let updated = sql.execute(
        "UPDATE cards SET shadow_balance_fen = u.after, offline_highest_atc = u.offline_highest,
            offline_gaps = u.offline_gaps, online_highest_atc = u.online_highest,
            online_gaps = u.online_gaps, offline_point = u.offline_point,
            online_point = u.online_point, offline_edges = u.offline_edges,
            online_edges = u.online_edges
         FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bytea[], $5::bigint[],
                $6::bytea[], $7::bigint[], $8::bytea[], $9::bytea[], $10::bytea[], $11::bytea[])
            AS u (asn, after, offline_highest, offline_gaps, online_highest, online_gaps, before,
                offline_point, online_point, offline_edges, online_edges)
         WHERE cards.asn = u.asn AND cards.shadow_balance_fen = u.before",
        &[
            &asns,
            &after,
            &offline_highest,
            &offline_gaps,
            &online_highest,
            &online_gaps,
            &before,
            &offline_point,
            &online_point,
            &offline_edges,
            &online_edges,
        ],
    )?;
    if usize::try_from(updated).ok() != Some(changes.len()) {
        return Err(HubError::corrupt(format!(
            "cards: {} of {} shadow balances changed under the decision",
            changes
                .len()
                .saturating_sub(usize::try_from(updated).unwrap_or(0)),
            changes.len()
        )));
    }
    Ok(())
}

pub(super) fn add_shadow_balance(
    sql: &mut Sql<'_, Transaction<'_>>,
    asn: jinka_clearing::Asn,
    delta_fen: i64,
) -> Result<(), HubError> {
    if delta_fen == 0 {
        return Ok(());
    }
    let row = sql.query_opt(
        "SELECT shadow_balance_fen FROM cards WHERE asn = $1",
        &[&asn.bytes().as_slice()],
    )?;
    let row = row.ok_or_else(|| HubError::corrupt(format!("no card {asn}")))?;
    let shadow: i64 = get(&row, 0)?;
    let after = shadow
        .checked_add(delta_fen)
        .ok_or_else(|| HubError::corrupt(format!("card {asn}: shadow balance overflows")))?;
    sql.execute(
        "UPDATE cards SET shadow_balance_fen = $2 WHERE asn = $1",
        &[&asn.bytes().as_slice(), &after],
    )?;
    Ok(())
}

fn terminal(id: TerminalId, row: &Row) -> Result<TerminalEntry, HubError> {
    let owner = column(
        "terminals",
        "owner_id",
        ParticipantId::from_column(get(row, 0)?),
    )?;
    let region: i64 = get(row, 1)?;
    let region = column("terminals", "region", u32::try_from(region).ok())?;
    Ok(TerminalEntry {
        terminal_id: id,
        owner: owner.clearing(),
        region: Region::new(region),
    })
}

pub(super) fn terminal_entry(
    sql: &mut Sql<'_, Transaction<'_>>,
    id: TerminalId,
) -> Result<Option<TerminalEntry>, HubError> {
    let row = sql.query_opt(
        "SELECT owner_id, region FROM terminals WHERE terminal_id = $1",
        &[&id.bytes().as_slice()],
    )?;
    row.map(|row| terminal(id, &row)).transpose()
}

/// The terminals of `ids` that are registered, in no order.
pub(super) fn terminal_entries(
    sql: &mut Sql<'_, Transaction<'_>>,
    ids: &[TerminalId],
) -> Result<Vec<TerminalEntry>, HubError> {
    let ids: Vec<[u8; 6]> = ids.iter().map(|id| id.bytes()).collect();
    let keys: Vec<&[u8]> = ids.iter().map(|id| id.as_slice()).collect();
    let rows = sql.query(
        "SELECT owner_id, region, terminal_id FROM terminals
         WHERE terminal_id = ANY($1::bytea[])",
        &[&keys],
    )?;
    rows.iter()
        .map(|row| {
            let id: Vec<u8> = get(row, 2)?;
            let id = column(
                "terminals",
                "terminal_id",
                <[u8; 6]>::try_from(id.as_slice()).ok(),
            )?;
            terminal(TerminalId::new(id), row)
        })
        .collect()
}

pub(super) fn clearing_parties(
    sql: &mut Sql<'_, Transaction<'_>>,
) -> Result<Vec<ClearingParty>, HubError> {
    const PARTICIPANTS: &str = "participants";
    let rows = sql.query(
        "SELECT id, interchange_basis_points, interchange_fixed_fen, network_basis_points,
            network_fixed_fen, net_debit_cap_fen
         FROM participants ORDER BY id",
        &[],
    )?;
    rows.iter()
        .map(|row| {
            let net_debit_cap = match get::<Option<i64>>(row, 5)? {
                None => None,
                Some(fen) => Some(column(
                    PARTICIPANTS,
                    "net_debit_cap_fen",
                    Amount::from_column(fen),
                )?),
            };
            let interchange = fee_rate(get(row, 1)?, get(row, 2)?);
            let network = fee_rate(get(row, 3)?, get(row, 4)?);
            Ok(ClearingParty {
                id: column(PARTICIPANTS, "id", ParticipantId::from_column(get(row, 0)?))?,
                fees: FeeSchedule {
                    interchange: column(PARTICIPANTS, "interchange", interchange)?,
                    network: column(PARTICIPANTS, "network", network)?,
                },
                net_debit_cap,
            })
        })
        .collect()
}

pub(super) fn network_operator(
    sql: &mut Sql<'_, Transaction<'_>>,
) -> Result<Option<ParticipantId>, HubError> {
    let row = sql.query_one(
        "SELECT min(participant_id) FROM participant_roles WHERE role = 'operator'",
        &[],
    )?;
    let id: Option<i64> = get(&row, 0)?;
    id.map(|id| {
        column(
            "participant_roles",
            "participant_id",
            ParticipantId::from_column(id),
        )
    })
    .transpose()
}
