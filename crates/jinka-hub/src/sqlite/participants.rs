//! Rows of `participants` and `participant_roles`.

use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::amount::Amount;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::fee::{FeeRate, FeeSchedule};
use crate::participant::{NewParticipant, Participant, ParticipantId};
use crate::region::Region;
use crate::role::{Role, Roles};
use crate::sqlite::{column, limit, scope_column, storage_error};
use crate::store::{Page, Scope};

const SELECT: &str = "SELECT id, name, region, interchange_basis_points, interchange_fixed_fen,
        network_basis_points, network_fixed_fen, net_debit_cap_fen, settlement_account,
        created_at_ms,
        (SELECT group_concat(role, ',') FROM participant_roles r WHERE r.participant_id = p.id)
    FROM participants p";

/// A row as the engine gives it, before its values are checked (shared with PostgreSQL).
pub(crate) struct RawParticipant {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) region: i64,
    pub(crate) fees: [i64; 4],
    pub(crate) net_debit_cap_fen: Option<i64>,
    pub(crate) settlement_account: Option<String>,
    pub(crate) created_at_ms: i64,
    pub(crate) roles: Option<String>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawParticipant> {
    Ok(RawParticipant {
        id: row.get(0)?,
        name: row.get(1)?,
        region: row.get(2)?,
        fees: [row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?],
        net_debit_cap_fen: row.get(7)?,
        settlement_account: row.get(8)?,
        created_at_ms: row.get(9)?,
        roles: row.get(10)?,
    })
}

fn fee_rate(basis_points: i64, fixed_fen: i64) -> Option<FeeRate> {
    let basis_points = u32::try_from(basis_points).ok()?;
    FeeRate::new("fees", basis_points, Amount::from_column(fixed_fen)?).ok()
}

/// Roles from their `group_concat`: `None` if a name is unknown or there is none.
pub(crate) fn parse_roles(text: Option<&str>) -> Option<Roles> {
    let roles = text?
        .split(',')
        .map(Role::from_name)
        .collect::<Option<Vec<Role>>>()?;
    Roles::new(roles).ok()
}

pub(crate) fn checked(raw: RawParticipant) -> Result<Participant, HubError> {
    const TABLE: &str = "participants";
    let roles = column(TABLE, "roles", parse_roles(raw.roles.as_deref()))?;
    let [ib, ifx, nb, nfx] = raw.fees;
    let interchange = column(TABLE, "interchange", fee_rate(ib, ifx))?;
    let network = column(TABLE, "network", fee_rate(nb, nfx))?;
    let net_debit_cap_fen = match raw.net_debit_cap_fen {
        None => None,
        Some(fen) => Some(column(
            TABLE,
            "net_debit_cap_fen",
            Amount::from_column(fen),
        )?),
    };
    Ok(Participant {
        id: column(TABLE, "id", ParticipantId::from_column(raw.id))?,
        name: raw.name,
        roles,
        region: Region::new(column(TABLE, "region", u32::try_from(raw.region).ok())?),
        fees: FeeSchedule {
            interchange,
            network,
        },
        net_debit_cap_fen,
        settlement_account: raw.settlement_account,
        created_at_ms: EpochMs::new(raw.created_at_ms),
    })
}

pub(super) fn insert(
    tx: &Transaction<'_>,
    new: NewParticipant,
    now: EpochMs,
) -> Result<Participant, HubError> {
    let taken = tx
        .query_row(
            "SELECT 1 FROM participants WHERE name = ?1",
            [new.name()],
            |_| Ok(()),
        )
        .optional()
        .map_err(storage_error)?;
    if taken.is_some() {
        return Err(HubError::conflict(format!(
            "a participant named {:?} is registered",
            new.name()
        )));
    }
    let fees = new.fees();
    tx.execute(
        "INSERT INTO participants (name, region, interchange_basis_points, interchange_fixed_fen,
            network_basis_points, network_fixed_fen, net_debit_cap_fen, settlement_account,
            created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            new.name(),
            new.region().get(),
            fees.interchange.basis_points(),
            fees.interchange.fixed().to_column(),
            fees.network.basis_points(),
            fees.network.fixed().to_column(),
            new.net_debit_cap().map(Amount::to_column),
            new.settlement_account(),
            now.get(),
        ],
    )
    .map_err(storage_error)?;
    let id = column(
        "participants",
        "id",
        ParticipantId::from_column(tx.last_insert_rowid()),
    )?;
    for role in new.roles().iter() {
        tx.execute(
            "INSERT INTO participant_roles (participant_id, role) VALUES (?1, ?2)",
            params![id.get(), role.name()],
        )
        .map_err(storage_error)?;
    }
    Ok(new.registered(id, now))
}

pub(super) fn get(
    tx: &Transaction<'_>,
    id: ParticipantId,
) -> Result<Option<Participant>, HubError> {
    let raw = tx
        .query_row(&format!("{SELECT} WHERE id = ?1"), [id.get()], raw)
        .optional()
        .map_err(storage_error)?;
    raw.map(checked).transpose()
}

pub(super) fn list(
    tx: &Transaction<'_>,
    scope: Scope,
    page: Page<ParticipantId>,
) -> Result<Vec<Participant>, HubError> {
    let mut statement = tx
        .prepare_cached(&format!(
            "{SELECT} WHERE (?1 IS NULL OR id > ?1) AND (?2 IS NULL OR id = ?2)
             ORDER BY id LIMIT ?3"
        ))
        .map_err(storage_error)?;
    let after = page.after.map(ParticipantId::get);
    let rows = statement
        .query_map(params![after, scope_column(scope), limit(&page)], raw)
        .map_err(storage_error)?;
    rows.map(|row| checked(row.map_err(storage_error)?))
        .collect()
}
