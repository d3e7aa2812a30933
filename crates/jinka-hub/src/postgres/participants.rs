//! Rows of `participants` and `participant_roles`.

use ::postgres::{GenericClient, Row, Transaction};

use crate::amount::Amount;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::{NewParticipant, Participant, ParticipantId};
use crate::postgres::sql::{Sql, get as column_of};
use crate::postgres::{is_unique_violation, storage_error};
use crate::sqlite::participants::{RawParticipant, checked};
use crate::sqlite::{column, limit, scope_column};
use crate::store::{Page, Scope};

macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, region, interchange_basis_points, interchange_fixed_fen,
                network_basis_points, network_fixed_fen, net_debit_cap_fen, settlement_account,
                created_at_ms,
                (SELECT string_agg(role, ',' ORDER BY role) FROM participant_roles r
                 WHERE r.participant_id = p.id)
            FROM participants p ",
            $tail
        )
    };
}

fn raw(row: &Row) -> Result<RawParticipant, HubError> {
    Ok(RawParticipant {
        id: column_of(row, 0)?,
        name: column_of(row, 1)?,
        region: column_of(row, 2)?,
        fees: [
            column_of(row, 3)?,
            column_of(row, 4)?,
            column_of(row, 5)?,
            column_of(row, 6)?,
        ],
        net_debit_cap_fen: column_of(row, 7)?,
        settlement_account: column_of(row, 8)?,
        created_at_ms: column_of(row, 9)?,
        roles: column_of(row, 10)?,
    })
}

fn taken(name: &str) -> HubError {
    HubError::conflict(format!("a participant named {name:?} is registered"))
}

pub(super) fn insert(
    sql: &mut Sql<'_, Transaction<'_>>,
    new: NewParticipant,
    now: EpochMs,
) -> Result<Participant, HubError> {
    let found = sql.query_opt("SELECT 1 FROM participants WHERE name = $1", &[&new.name()])?;
    if found.is_some() {
        return Err(taken(new.name()));
    }
    let fees = new.fees();
    let row = sql
        .query_one_raw(
            "INSERT INTO participants (name, region, interchange_basis_points,
                interchange_fixed_fen, network_basis_points, network_fixed_fen,
                net_debit_cap_fen, settlement_account, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &new.name(),
                &i64::from(new.region().get()),
                &i64::from(fees.interchange.basis_points()),
                &fees.interchange.fixed().to_column(),
                &i64::from(fees.network.basis_points()),
                &fees.network.fixed().to_column(),
                &new.net_debit_cap().map(Amount::to_column),
                &new.settlement_account(),
                &now.get(),
            ],
        )
        .map_err(|error| {
            if is_unique_violation(&error) {
                taken(new.name())
            } else {
                storage_error(error)
            }
        })?;
    let id = column(
        "participants",
        "id",
        ParticipantId::from_column(column_of(&row, 0)?),
    )?;
    for role in new.roles().iter() {
        sql.execute(
            "INSERT INTO participant_roles (participant_id, role) VALUES ($1, $2)",
            &[&i64::from(id.get()), &role.name()],
        )?;
    }
    Ok(new.registered(id, now))
}

pub(super) fn get(
    sql: &mut Sql<'_, impl GenericClient>,
    id: ParticipantId,
) -> Result<Option<Participant>, HubError> {
    let row = sql.query_opt(select!("WHERE id = $1"), &[&i64::from(id.get())])?;
    row.map(|row| checked(raw(&row)?)).transpose()
}

pub(super) fn list(
    sql: &mut Sql<'_, impl GenericClient>,
    scope: Scope,
    page: Page<ParticipantId>,
) -> Result<Vec<Participant>, HubError> {
    let after = page.after.map(|id| i64::from(id.get()));
    let rows = sql.query(
        select!(
            "WHERE ($1::bigint IS NULL OR id > $1) AND ($2::bigint IS NULL OR id = $2)
             ORDER BY id LIMIT $3"
        ),
        &[&after, &scope_column(scope), &limit(&page)],
    )?;
    rows.iter().map(|row| checked(raw(row)?)).collect()
}
