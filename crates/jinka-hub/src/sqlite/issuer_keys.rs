//! Rows of `issuer_key_sets` and `kek_check`.

use jinka_crypto::Profile;
use rusqlite::{OptionalExtension, Transaction, params};

use crate::byte_id::IssuerId;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::sqlite::cards::other_owner_of_issuer_id;
use crate::sqlite::{column, scope_column, storage_error};
use crate::store::Scope;
use crate::vault::{IssuerKeySet, KEPT_KEY_KINDS, SealedIssuerKeys};

pub(super) fn insert(tx: &Transaction<'_>, row: &SealedIssuerKeys) -> Result<(), HubError> {
    let info = &row.info;
    if other_owner_of_issuer_id(tx, info.issuer_id, info.issuer)?.is_some() {
        return Err(HubError::conflict(format!(
            "issuer id {} belongs to another participant",
            info.issuer_id
        )));
    }
    let stored = tx
        .query_row(
            "SELECT 1 FROM issuer_key_sets
             WHERE issuer_id = ?1 AND key_version = ?2 AND profile = ?3",
            params![
                info.issuer_id.bytes().as_slice(),
                info.key_version,
                info.profile.name()
            ],
            |_| Ok(()),
        )
        .optional()
        .map_err(storage_error)?;
    if stored.is_some() {
        return Err(HubError::conflict(format!(
            "key set {} version {} {} is stored (a new key set takes a new version)",
            info.issuer_id,
            info.key_version,
            info.profile.name()
        )));
    }
    tx.execute(
        "INSERT INTO issuer_key_sets (issuer_id, key_version, profile, participant_id, sealed,
            created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            info.issuer_id.bytes().as_slice(),
            info.key_version,
            info.profile.name(),
            info.issuer.get(),
            row.sealed,
            info.created_at_ms.get(),
        ],
    )
    .map_err(storage_error)?;
    Ok(())
}

pub(super) fn list(tx: &Transaction<'_>, scope: Scope) -> Result<Vec<SealedIssuerKeys>, HubError> {
    const TABLE: &str = "issuer_key_sets";
    let mut statement = tx
        .prepare_cached(
            "SELECT issuer_id, key_version, profile, participant_id, sealed, created_at_ms
             FROM issuer_key_sets WHERE (?1 IS NULL OR participant_id = ?1)
             ORDER BY issuer_id, key_version, profile",
        )
        .map_err(storage_error)?;
    let rows = statement
        .query_map([scope_column(scope)], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, i64>(5)?,
            ))
        })
        .map_err(storage_error)?;
    rows.map(|row| {
        let (issuer_id, key_version, profile, participant, sealed, created_at_ms) =
            row.map_err(storage_error)?;
        let info = IssuerKeySet {
            issuer: column(
                TABLE,
                "participant_id",
                ParticipantId::from_column(participant),
            )?,
            issuer_id: column(TABLE, "issuer_id", IssuerId::from_slice(&issuer_id))?,
            key_version: column(TABLE, "key_version", u8::try_from(key_version).ok())?,
            profile: column(TABLE, "profile", Profile::from_name(&profile))?,
            kinds: KEPT_KEY_KINDS,
            created_at_ms: EpochMs::new(created_at_ms),
        };
        Ok(SealedIssuerKeys { info, sealed })
    })
    .collect()
}

pub(super) fn kek_check(tx: &Transaction<'_>) -> Result<Option<String>, HubError> {
    tx.query_row("SELECT sealed FROM kek_check WHERE id = 1", [], |row| {
        row.get(0)
    })
    .optional()
    .map_err(storage_error)
}

pub(super) fn insert_kek_check(
    tx: &Transaction<'_>,
    sealed: &str,
    now: EpochMs,
) -> Result<String, HubError> {
    if let Some(stored) = kek_check(tx)? {
        return Ok(stored);
    }
    tx.execute(
        "INSERT INTO kek_check (id, sealed, created_at_ms) VALUES (1, ?1, ?2)",
        params![sealed, now.get()],
    )
    .map_err(storage_error)?;
    Ok(sealed.to_owned())
}
