//! Rows of `credentials`.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::clock::EpochMs;
use crate::credential::{
    Credential, CredentialId, CredentialRecord, KeyHash, KeyId, NewCredential,
};
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::sqlite::participants::parse_roles;
use crate::sqlite::{column, storage_error};

pub(super) fn insert(
    tx: &Transaction<'_>,
    new: NewCredential,
    now: EpochMs,
) -> Result<Credential, HubError> {
    let exists = tx
        .query_row(
            "SELECT 1 FROM participants WHERE id = ?1",
            [new.participant.get()],
            |_| Ok(()),
        )
        .optional()
        .map_err(storage_error)?;
    if exists.is_none() {
        return Err(HubError::not_found(format!(
            "participant {}",
            new.participant
        )));
    }
    tx.execute(
        "INSERT INTO credentials (participant_id, key_id, key_hash, label, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            new.participant.get(),
            new.key_id.to_hex(),
            new.key_hash.0.as_slice(),
            new.label,
            now.get(),
        ],
    )
    .map_err(storage_error)?;
    let id = column(
        "credentials",
        "id",
        CredentialId::from_column(tx.last_insert_rowid()),
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
    tx: &Transaction<'_>,
    key_id: KeyId,
) -> Result<Option<CredentialRecord>, HubError> {
    const TABLE: &str = "credentials";
    let mut statement = tx
        .prepare_cached(
            "SELECT c.id, c.participant_id, c.key_hash, c.revoked_at_ms IS NOT NULL,
                (SELECT group_concat(role, ',') FROM participant_roles r
                 WHERE r.participant_id = c.participant_id)
             FROM credentials c WHERE c.key_id = ?1",
        )
        .map_err(storage_error)?;
    let raw = statement
        .query_row([key_id.to_hex()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, bool>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })
        .optional()
        .map_err(storage_error)?;
    let Some((id, participant, hash, revoked, roles)) = raw else {
        return Ok(None);
    };
    Ok(Some(CredentialRecord {
        id: column(TABLE, "id", CredentialId::from_column(id))?,
        participant: column(
            TABLE,
            "participant_id",
            ParticipantId::from_column(participant),
        )?,
        roles: column(TABLE, "roles", parse_roles(roles.as_deref()))?,
        key_hash: KeyHash(column(TABLE, "key_hash", <[u8; 32]>::try_from(hash).ok())?),
        revoked,
    }))
}
