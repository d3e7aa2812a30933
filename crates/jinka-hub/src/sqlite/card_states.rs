//! Cards, terminals and participants as the clearing decisions read them, and the cards'
//! clearing columns (shadow balance, counters).

use jinka_clearing::{
    AtcPoint, AtcRange, CardChange, CardEntry, CardStatus as ClearingStatus, ChainPoint,
    CounterState, IssuerId, Region, TerminalEntry, TerminalId,
};
use jinka_crypto::Profile;
use rusqlite::{OptionalExtension, Transaction};

use crate::amount::Amount;
use crate::card::CardStatus;
use crate::clearing::storage::ClearingParty;
use crate::error::HubError;
use crate::fee::{FeeRate, FeeSchedule};
use crate::participant::ParticipantId;
use crate::sqlite::card_log::{CardLog, CardRow, Clearing, Pending, Registry, clearing_columns};
use crate::sqlite::{column, storage_error};

const TABLE: &str = "cards";

/// Gaps as stored: 4 bytes each, first and last ATC big-endian.
pub(crate) fn encode_gaps(counter: &CounterState) -> Vec<u8> {
    counter
        .gaps()
        .iter()
        .flat_map(|gap| {
            let [a, b] = gap.first().to_be_bytes();
            let [c, d] = gap.last().to_be_bytes();
            [a, b, c, d]
        })
        .collect()
}

/// The balances of the counter's highest record as stored: 8 bytes, before and after
/// big-endian (`None`, NULL: not known).
pub(crate) fn encode_point(counter: &CounterState) -> Option<[u8; 8]> {
    counter.highest_point().map(|point| {
        let mut bytes = [0; 8];
        bytes[..4].copy_from_slice(&point.balance_before_fen.to_be_bytes());
        bytes[4..].copy_from_slice(&point.balance_after_fen.to_be_bytes());
        bytes
    })
}

/// The balances at the edges of the counter's gaps as stored: 10 bytes each, the ATC, the
/// balance before and the balance after, big-endian, in the order of the ATCs.
pub(crate) fn encode_edges(counter: &CounterState) -> Vec<u8> {
    counter
        .edge_points()
        .iter()
        .flat_map(|edge| {
            let mut bytes = [0; 10];
            bytes[..2].copy_from_slice(&edge.atc.to_be_bytes());
            bytes[2..6].copy_from_slice(&edge.point.balance_before_fen.to_be_bytes());
            bytes[6..].copy_from_slice(&edge.point.balance_after_fen.to_be_bytes());
            bytes
        })
        .collect()
}

fn decode_edges(table: &str, name: &str, edges: &[u8]) -> Result<Vec<AtcPoint>, HubError> {
    if !edges.len().is_multiple_of(10) {
        return Err(HubError::corrupt(format!("table {table}: {name}_edges")));
    }
    Ok(edges
        .chunks_exact(10)
        .map(|edge| AtcPoint {
            atc: u16::from_be_bytes([edge[0], edge[1]]),
            point: ChainPoint {
                balance_before_fen: u32::from_be_bytes([edge[2], edge[3], edge[4], edge[5]]),
                balance_after_fen: u32::from_be_bytes([edge[6], edge[7], edge[8], edge[9]]),
            },
        })
        .collect())
}

fn decode_point(
    table: &str,
    name: &str,
    point: Option<&[u8]>,
) -> Result<Option<ChainPoint>, HubError> {
    point
        .map(|bytes| {
            let bytes = <[u8; 8]>::try_from(bytes)
                .map_err(|_| HubError::corrupt(format!("table {table}: {name}_point")))?;
            let [a, b, c, d, e, f, g, h] = bytes;
            Ok(ChainPoint {
                balance_before_fen: u32::from_be_bytes([a, b, c, d]),
                balance_after_fen: u32::from_be_bytes([e, f, g, h]),
            })
        })
        .transpose()
}

/// A counter from its columns in `table`: `{name}_highest_atc`, `{name}_gaps`,
/// `{name}_point`, `{name}_edges`.
pub(crate) fn decode_counter(
    table: &str,
    name: &str,
    highest: Option<i64>,
    gaps: &[u8],
    point: Option<&[u8]>,
    edges: &[u8],
) -> Result<CounterState, HubError> {
    let highest = match highest {
        None => None,
        Some(atc) => Some(column(table, name, u16::try_from(atc).ok())?),
    };
    if !gaps.len().is_multiple_of(4) {
        return Err(HubError::corrupt(format!("table {table}: {name} gaps")));
    }
    let gaps = gaps
        .chunks_exact(4)
        .map(|gap| {
            let first = u16::from_be_bytes([gap[0], gap[1]]);
            let last = u16::from_be_bytes([gap[2], gap[3]]);
            AtcRange::new(first, last)
        })
        .collect::<Result<Vec<AtcRange>, _>>()
        .map_err(|_| HubError::corrupt(format!("table {table}: {name} gaps")))?;
    let point = decode_point(table, name, point)?;
    let edges = decode_edges(table, name, edges)?;
    CounterState::from_parts(highest, gaps)
        .and_then(|counter| counter.with_highest_point(point))
        .and_then(|counter| counter.with_edge_points(edges))
        .map_err(|error| HubError::corrupt(format!("table {table}: {name}: {error}")))
}

pub(crate) const fn clearing_status(status: CardStatus) -> ClearingStatus {
    match status {
        CardStatus::Active => ClearingStatus::Active,
        CardStatus::Hotlisted => ClearingStatus::Hotlisted,
        CardStatus::Blocked => ClearingStatus::Blocked,
        CardStatus::Replaced => ClearingStatus::Replaced,
        CardStatus::Closed => ClearingStatus::Closed,
    }
}

/// A card's issuer, issuer id, profile and status, as the engine gives them.
fn registry_columns(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Vec<u8>, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

/// The card's newest clearing columns this connection knows without reading `cards`: this
/// transaction's change, else the log's, else its row as this transaction read it or the
/// connection kept it; with the table they came from (for a damaged value's error).
fn known<'a>(
    log: &'a CardLog,
    pending: &'a Pending,
    asn: jinka_clearing::Asn,
) -> Option<(&'a Clearing, &'static str)> {
    match pending.get(asn).or_else(|| log.get(asn)) {
        Some(clearing) => Some((clearing, "card_log")),
        None => pending.row(log, asn).map(|row| (&row.clearing, TABLE)),
    }
}

/// The card's row in `cards` (`None`: no such card), checked, with the counters its check
/// decoded.
fn stored_row(
    tx: &Transaction<'_>,
    asn: jinka_clearing::Asn,
) -> Result<Option<(CardRow, CounterState, CounterState)>, HubError> {
    let mut statement = tx
        .prepare_cached(concat!(
            "SELECT issuer_participant_id, issuer_id, profile, status, ",
            clearing_columns!(),
            " FROM cards WHERE asn = ?1"
        ))
        .map_err(storage_error)?;
    let mut rows = statement
        .query([asn.bytes().as_slice()])
        .map_err(storage_error)?;
    let Some(row) = rows.next().map_err(storage_error)? else {
        return Ok(None);
    };
    let (issuer, issuer_id, profile, status) = registry_columns(row).map_err(storage_error)?;
    let issuer_id = <[u8; 8]>::try_from(issuer_id.as_slice()).ok();
    let registry = Registry {
        issuer: column(
            TABLE,
            "issuer_participant_id",
            ParticipantId::from_column(issuer),
        )?,
        issuer_id: column(TABLE, "issuer_id", issuer_id)?,
        profile: column(TABLE, "profile", Profile::from_name(&profile))?,
        status: column(TABLE, "status", CardStatus::from_name(&status))?,
    };
    let (clearing, offline, online) = Clearing::decoded_from_row(TABLE, row, 4)?;
    Ok(Some((CardRow { registry, clearing }, offline, online)))
}

/// Whether a card's row had to be read from `cards`.
enum RowRead {
    /// The transaction or the connection already held it.
    Held,
    /// Read now (and remembered), with the counters its check decoded.
    Read(CounterState, CounterState),
    /// No such card.
    Missing,
}

/// Makes sure the transaction holds the card's row: the one place a row is read from
/// `cards`.
fn hold_row(
    tx: &Transaction<'_>,
    log: &CardLog,
    pending: &mut Pending,
    asn: jinka_clearing::Asn,
) -> Result<RowRead, HubError> {
    if pending.row(log, asn).is_some() {
        return Ok(RowRead::Held);
    }
    Ok(match stored_row(tx, asn)? {
        Some((row, offline, online)) => {
            pending.remember(asn, row);
            RowRead::Read(offline, online)
        }
        None => RowRead::Missing,
    })
}

/// The card as the decisions read it: its registry columns from its row (read from `cards`
/// once, then kept: see [`crate::sqlite::card_log`]), its clearing columns from this transaction, the log,
/// or else its row.
pub(super) fn card_entry(
    tx: &Transaction<'_>,
    log: &CardLog,
    pending: &mut Pending,
    asn: jinka_clearing::Asn,
) -> Result<Option<CardEntry>, HubError> {
    // A row read now has its counters decoded once, where it is checked.
    let decoded = match hold_row(tx, log, pending, asn)? {
        RowRead::Missing => return Ok(None),
        RowRead::Read(offline, online) => Some((offline, online)),
        RowRead::Held => None,
    };
    let row = pending
        .row(log, asn)
        .ok_or_else(|| HubError::corrupt(format!("card {asn}: a row read is not kept")))?;
    let (shadow_balance_fen, offline, online) = match pending.get(asn).or_else(|| log.get(asn)) {
        Some(clearing) => (
            clearing.shadow_balance_fen,
            clearing.offline("card_log")?,
            clearing.online("card_log")?,
        ),
        None => {
            let (offline, online) = match decoded {
                Some(counters) => counters,
                None => (row.clearing.offline(TABLE)?, row.clearing.online(TABLE)?),
            };
            (row.clearing.shadow_balance_fen, offline, online)
        }
    };
    Ok(Some(CardEntry {
        asn,
        issuer: row.registry.issuer.clearing(),
        issuer_id: IssuerId::new(row.registry.issuer_id),
        status: clearing_status(row.registry.status),
        profile: row.registry.profile,
        shadow_balance_fen,
        offline,
        online,
    }))
}

/// The card's clearing columns now: this transaction's, the log's, or its row's (read from
/// `cards` if the transaction does not hold it yet); `None`: no such card.
fn current<'a>(
    tx: &Transaction<'_>,
    log: &'a CardLog,
    pending: &'a mut Pending,
    asn: jinka_clearing::Asn,
) -> Result<Option<&'a Clearing>, HubError> {
    if known(log, pending, asn).is_none() {
        hold_row(tx, log, pending, asn)?;
    }
    Ok(known(log, pending, asn).map(|(clearing, _)| clearing))
}

/// Sets each changed card's new clearing columns (written to the log when the transaction
/// commits), after checking that its shadow balance is still the one the decision started
/// from; two changes of one card apply in their order.
pub(super) fn update_cards(
    tx: &Transaction<'_>,
    log: &CardLog,
    pending: &mut Pending,
    changes: &[CardChange],
) -> Result<(), HubError> {
    for change in changes {
        let shadow =
            current(tx, log, pending, change.asn)?.map(|clearing| clearing.shadow_balance_fen);
        if shadow != Some(change.shadow_balance_before_fen) {
            return Err(HubError::corrupt(format!(
                "card {}: its shadow balance changed under the decision",
                change.asn
            )));
        }
        pending.set(change.asn, Clearing::of_change(change));
    }
    Ok(())
}

pub(super) fn add_shadow_balance(
    tx: &Transaction<'_>,
    log: &CardLog,
    pending: &mut Pending,
    asn: jinka_clearing::Asn,
    delta_fen: i64,
) -> Result<(), HubError> {
    if delta_fen == 0 {
        return Ok(());
    }
    let clearing = current(tx, log, pending, asn)?
        .ok_or_else(|| HubError::corrupt(format!("no card {asn}")))?
        .clone();
    let after = clearing
        .shadow_balance_fen
        .checked_add(delta_fen)
        .ok_or_else(|| HubError::corrupt(format!("card {asn}: shadow balance overflows")))?;
    pending.set(asn, clearing.with_shadow(after));
    Ok(())
}

pub(super) fn terminal_entry(
    tx: &Transaction<'_>,
    id: TerminalId,
) -> Result<Option<TerminalEntry>, HubError> {
    let raw: Option<(i64, i64)> = tx
        .prepare_cached("SELECT owner_id, region FROM terminals WHERE terminal_id = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([id.bytes().as_slice()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
        })
        .map_err(storage_error)?;
    let Some((owner, region)) = raw else {
        return Ok(None);
    };
    let owner = column("terminals", "owner_id", ParticipantId::from_column(owner))?;
    let region = column("terminals", "region", u32::try_from(region).ok())?;
    Ok(Some(TerminalEntry {
        terminal_id: id,
        owner: owner.clearing(),
        region: Region::new(region),
    }))
}

pub(crate) fn fee_rate(basis_points: i64, fixed_fen: i64) -> Option<FeeRate> {
    let basis_points = u32::try_from(basis_points).ok()?;
    FeeRate::new("fees", basis_points, Amount::from_column(fixed_fen)?).ok()
}

pub(super) fn clearing_parties(tx: &Transaction<'_>) -> Result<Vec<ClearingParty>, HubError> {
    const PARTICIPANTS: &str = "participants";
    let mut statement = tx
        .prepare_cached(
            "SELECT id, interchange_basis_points, interchange_fixed_fen, network_basis_points,
                network_fixed_fen, net_debit_cap_fen
             FROM participants ORDER BY id",
        )
        .map_err(storage_error)?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                [row.get::<_, i64>(1)?, row.get(2)?, row.get(3)?, row.get(4)?],
                row.get::<_, Option<i64>>(5)?,
            ))
        })
        .map_err(storage_error)?;
    rows.map(|row| {
        let (id, [ib, ifx, nb, nfx], cap) = row.map_err(storage_error)?;
        let net_debit_cap = match cap {
            None => None,
            Some(fen) => Some(column(
                PARTICIPANTS,
                "net_debit_cap_fen",
                Amount::from_column(fen),
            )?),
        };
        Ok(ClearingParty {
            id: column(PARTICIPANTS, "id", ParticipantId::from_column(id))?,
            fees: FeeSchedule {
                interchange: column(PARTICIPANTS, "interchange", fee_rate(ib, ifx))?,
                network: column(PARTICIPANTS, "network", fee_rate(nb, nfx))?,
            },
            net_debit_cap,
        })
    })
    .collect()
}

pub(super) fn network_operator(tx: &Transaction<'_>) -> Result<Option<ParticipantId>, HubError> {
    let id: Option<i64> = tx
        .query_row(
            "SELECT min(participant_id) FROM participant_roles WHERE role = 'operator'",
            [],
            |row| row.get(0),
        )
        .map_err(storage_error)?;
    id.map(|id| {
        column(
            "participant_roles",
            "participant_id",
            ParticipantId::from_column(id),
        )
    })
    .transpose()
}
