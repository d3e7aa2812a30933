//! Authentication: `Authorization: Bearer <API key>` → the [`Caller`], then its rate limit.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::access::Caller;
use crate::api::error::ApiError;
use crate::api::state::ApiState;
use crate::credential::ApiKey;

const NO_KEY: &str = "an Authorization: Bearer <API key> header is needed";
const BAD_KEY: &str = "the API key is not valid";

fn bearer_key(parts: &Parts) -> Result<ApiKey, ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized(NO_KEY))?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::unauthorized(BAD_KEY))?;
    let (scheme, token) = text
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized(NO_KEY))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized(NO_KEY));
    }
    ApiKey::parse(token.trim()).ok_or_else(|| ApiError::unauthorized(BAD_KEY))
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Caller, ApiError> {
        let key = bearer_key(parts)?;
        let key_id = key.key_id();
        let now = state.hub.clock.now();
        let record = match state.credentials.get(key_id, now) {
            Some(record) => Some(record),
            None => {
                let read = state
                    .blocking(move |hub| hub.store.credential_record(key_id))
                    .await?;
                if let Some(record) = read {
                    state.credentials.put(key_id, record, now);
                }
                read
            }
        };
        // The secret is checked on every request, cached or not.
        let record = record
            .filter(|record| !record.revoked && record.key_hash.matches(&key.hash()))
            .ok_or_else(|| ApiError::unauthorized(BAD_KEY))?;
        state
            .rate_limiter
            .take(record.id, now)
            .map_err(ApiError::rate_limited)?;
        Ok(Caller {
            participant: record.participant,
            roles: record.roles,
            credential: record.id,
        })
    }
}
