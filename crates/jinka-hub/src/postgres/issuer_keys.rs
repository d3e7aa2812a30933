//! Rows of `issuer_key_sets` and `kek_check`.

use ::postgres::{GenericClient, Transaction};
use jinka_crypto::Profile;

use crate::byte_id::IssuerId;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::postgres::cards::other_owner_of_issuer_id;
use crate::postgres::sql::{Sql, get};
use crate::postgres::{is_unique_violation, storage_error};
use crate::sqlite::{column, scope_column};
use crate::store::Scope;
use crate::vault::{IssuerKeySet, KEPT_KEY_KINDS, SealedIssuerKeys};

pub(super) fn insert(
    sql: &mut Sql<'_, Transaction<'_>>,
    row: &SealedIssuerKeys,
) -> Result<(), HubError> {
    let info = &row.info;
    if other_owner_of_issuer_id(sql, info.issuer_id, info.issuer)? {
        return Err(HubError::conflict(format!(
            "issuer id {} belongs to another participant",
            info.issuer_id
        )));
    }
    let stored = || {
        HubError::conflict(format!(
            "key set {} version {} {} is stored (a new key set takes a new version)",
            info.issuer_id,
            info.key_version,
            info.profile.name()
        ))
    };
    let issuer_id = info.issuer_id.bytes();
    let key_version = i64::from(info.key_version);
    let found = sql.query_opt(
        "SELECT 1 FROM issuer_key_sets
         WHERE issuer_id = $1 AND key_version = $2 AND profile = $3",
        &[&issuer_id.as_slice(), &key_version, &info.profile.name()],
    )?;
    if found.is_some() {
        return Err(stored());
    }
    sql.execute_raw(
        "INSERT INTO issuer_key_sets (issuer_id, key_version, profile, participant_id, sealed,
            created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &issuer_id.as_slice(),
            &key_version,
            &info.profile.name(),
            &i64::from(info.issuer.get()),
            &row.sealed,
            &info.created_at_ms.get(),
        ],
    )
    .map_err(|error| {
        if is_unique_violation(&error) {
            stored()
        } else {
            storage_error(error)
        }
    })?;
    Ok(())
}

pub(super) fn list(
    sql: &mut Sql<'_, impl GenericClient>,
    scope: Scope,
) -> Result<Vec<SealedIssuerKeys>, HubError> {
    const TABLE: &str = "issuer_key_sets";
    let rows = sql.query(
        "SELECT issuer_id, key_version, profile, participant_id, sealed, created_at_ms
         FROM issuer_key_sets WHERE ($1::bigint IS NULL OR participant_id = $1)
         ORDER BY issuer_id, key_version, profile COLLATE \"C\"",
        &[&scope_column(scope)],
    )?;
    rows.iter()
        .map(|row| {
            let issuer_id: Vec<u8> = get(row, 0)?;
            let key_version: i64 = get(row, 1)?;
            let profile: String = get(row, 2)?;
            let info = IssuerKeySet {
                issuer: column(
                    TABLE,
                    "participant_id",
                    ParticipantId::from_column(get(row, 3)?),
                )?,
                issuer_id: column(TABLE, "issuer_id", IssuerId::from_slice(&issuer_id))?,
                key_version: column(TABLE, "key_version", u8::try_from(key_version).ok())?,
                profile: column(TABLE, "profile", Profile::from_name(&profile))?,
                kinds: KEPT_KEY_KINDS,
                created_at_ms: EpochMs::new(get(row, 5)?),
            };
            Ok(SealedIssuerKeys {
                info,
                sealed: get(row, 4)?,
            })
        })
        .collect()
}

pub(super) fn kek_check(sql: &mut Sql<'_, impl GenericClient>) -> Result<Option<String>, HubError> {
    let row = sql.query_opt("SELECT sealed FROM kek_check WHERE id = 1", &[])?;
    row.map(|row| get(&row, 0)).transpose()
}

pub(super) fn insert_kek_check(
    sql: &mut Sql<'_, Transaction<'_>>,
    sealed: &str,
    now: EpochMs,
) -> Result<String, HubError> {
    if let Some(stored) = kek_check(sql)? {
        return Ok(stored);
    }
    sql.execute(
        "INSERT INTO kek_check (id, sealed, created_at_ms) VALUES (1, $1, $2)",
        &[&sealed, &now.get()],
    )?;
    Ok(sealed.to_owned())
}
