//! `/v1/issuers/{id}/keys`: the operator uploads an issuer's key set (the `jinka-issuer-keys`
//! JSON of `jinka_card::IssuerKeys`); the hub keeps its load, TAC and card manager master keys
//! sealed. No answer, error or log line ever holds a key.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jinka_card::{IssuerKeys, IssuerKeysError};

use crate::access::Caller;
use crate::api::error::ApiError;
use crate::api::extract::{PathParams, SecretJsonText};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::participant::ParticipantId;
use crate::store::Scope;
use crate::vault::IssuerKeySet;

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .post("/v1/issuers/{id}/keys", upload)
        .get("/v1/issuers/{id}/keys", list)
}

/// serde's message with every double-quoted part replaced by `"…"`: it may quote a value of
/// the body (a key where a number was expected); field names it quotes with backticks stay.
fn redact_quoted(message: &str) -> String {
    let mut redacted = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        match (c, inside) {
            ('"', false) => {
                redacted.push_str("\"…");
                inside = true;
            }
            ('"', true) => {
                redacted.push('"');
                inside = false;
            }
            (_, true) => {}
            (c, false) => redacted.push(c),
        }
    }
    redacted
}

fn refusal(error: IssuerKeysError) -> ApiError {
    match error {
        IssuerKeysError::Malformed(message) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!(
                "not a jinka-issuer-keys key set: {}",
                redact_quoted(&message)
            ),
        ),
        field @ IssuerKeysError::Field { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_field", field.to_string())
        }
    }
}

async fn upload(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    SecretJsonText(text): SecretJsonText,
) -> Result<(StatusCode, Json<IssuerKeySet>), ApiError> {
    caller.require_operator()?;
    let issuer: ParticipantId = id.parse()?;
    let keys = IssuerKeys::from_json(&text).map_err(refusal)?;
    drop(text);
    let table = state.keys.clone();
    let set = state
        .blocking(move |hub| {
            let set = hub.upload_issuer_keys(issuer, &keys)?;
            table.reload(hub.vault.as_ref())?;
            Ok(set)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(set)))
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Vec<IssuerKeySet>>, ApiError> {
    let issuer: ParticipantId = id.parse()?;
    if !caller.may_see(issuer) {
        return Err(ApiError::not_found(format!("no issuer {issuer}")));
    }
    let sets = state
        .blocking(move |hub| hub.vault.issuer_key_sets(Scope::Of(issuer)))
        .await?;
    Ok(Json(sets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_redacted_and_field_names_kept() {
        let message = "invalid type: string \"00112233445566778899AABBCCDDEEFF\", expected u8 \
                       at line 3 column 40; unknown field `loads`";
        let redacted = redact_quoted(message);
        assert!(!redacted.contains("0011"), "{redacted}");
        assert!(redacted.contains("string \"…\", expected u8"));
        assert!(redacted.contains("`loads`"));
    }
}
