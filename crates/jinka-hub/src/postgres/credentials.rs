//! Rows of `credentials`.

use ::postgres::{GenericClient, Transaction};

use crate::clock::EpochMs;
use crate::credential::{
    Credential, CredentialId, CredentialRecord, KeyHash, KeyId, NewCredential,
};
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::postgres::sql::{Sql, get};
use crate::sqlite::column;
use crate::sqlite::participants::parse_roles;

pub(super) fn insert(
    sql: &mut Sql<'_, Transaction<'_>>,
    new: NewCredential,
    now: EpochMs,
) -> Result<Credential, HubError> {
    let participant = i64::from(new.participant.get());
    let exists = sql.query_opt("SELECT 1 FROM participants WHERE id = $1", &[&participant])?;
    if exists.is_none() {
        return Err(HubError::not_found(format!(
            "participant {}",
            new.participant
        )));
    }
    let row = sql.query_one(
        "INSERT INTO credentials (participant_id, key_id, key_hash, label, created_at_ms)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[
            &participant,
            &new.key_id.to_hex(),
            &new.key_hash.0.as_slice(),
            &new.label,
            &now.get(),
        ],
    )?;
    let id = column(
        "credentials",
        "id",
        CredentialId::from_column(get(&row, 0)?),
    )?;
    Ok(Credential {
        id,
        participant: new.participant,
        key_id: new.key_id,
        label: new.label,
        created_at_ms: now,
    })
}

pub(super) fn record(
    sql: &mut Sql<'_, impl GenericClient>,
    key_id: KeyId,
) -> Result<Option<CredentialRecord>, HubError> {
    const TABLE: &str = "credentials";
    let row = sql.query_opt(
        "SELECT c.id, c.participant_id, c.key_hash, c.revoked_at_ms IS NOT NULL,
            (SELECT string_agg(role, ',' ORDER BY role) FROM participant_roles r
             WHERE r.participant_id = c.participant_id)
         FROM credentials c WHERE c.key_id = $1",
        &[&key_id.to_hex()],
    )?;
    let Some(row) = row else {
        return Ok(None);
    };
    let hash: Vec<u8> = get(&row, 2)?;
    let roles: Option<String> = get(&row, 4)?;
    Ok(Some(CredentialRecord {
        id: column(TABLE, "id", CredentialId::from_column(get(&row, 0)?))?,
        participant: column(
            TABLE,
            "participant_id",
            ParticipantId::from_column(get(&row, 1)?),
        )?,
        roles: column(TABLE, "roles", parse_roles(roles.as_deref()))?,
        key_hash: KeyHash(column(TABLE, "key_hash", <[u8; 32]>::try_from(hash).ok())?),
        revoked: get(&row, 3)?,
    }))
}
