//! Request extractors whose refusals are [`ApiError`]s: a JSON body, a query string, a path
//! parameter. Wire values stop here: handlers convert them to domain types with field names.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::api::error::ApiError;

/// A JSON request body of type `T` (`Content-Type: application/json`).
pub(crate) struct JsonBody<T>(pub(crate) T);

/// A JSON request body as text that may hold secrets: zeroized when dropped, and parse errors
/// about it are the handler's to word.
pub(crate) struct SecretJsonText(pub(crate) Zeroizing<String>);

/// A JSON request body, unparsed (the handler parses it on the blocking pool).
pub(crate) struct JsonBytes(pub(crate) Bytes);

/// An `application/octet-stream` request body.
pub(crate) struct BinaryBody(pub(crate) Bytes);

/// The query string as `T`.
pub(crate) struct QueryParams<T>(pub(crate) T);

/// The path parameters as `T`.
pub(crate) struct PathParams<T>(pub(crate) T);

fn has_media_type(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(expected))
}

async fn json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    if !has_media_type(request.headers(), "application/json") {
        return Err(ApiError::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    body_bytes(request, state).await
}

async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the request body could not be read",
            ),
        })
}

/// The answer for a body serde could not read: syntax errors are `malformed_json`, wrong
/// types, missing or unknown fields `invalid_request`.
pub(crate) fn json_error(error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", error.to_string())
        }
        Category::Data => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            error.to_string(),
        ),
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(request, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|error| json_error(&error))
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        json_bytes(request, state).await.map(JsonBytes)
    }
}

impl<S: Send + Sync> FromRequest<S> for BinaryBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !has_media_type(request.headers(), "application/octet-stream") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send Content-Type: application/octet-stream",
            ));
        }
        body_bytes(request, state).await.map(BinaryBody)
    }
}

impl<S: Send + Sync> FromRequest<S> for SecretJsonText {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        // `Vec::from(Bytes)` takes the buffer over when it is not shared, so the zeroizing
        // below clears the copy the body was read into.
        let bytes = Zeroizing::new(Vec::from(json_bytes(request, state).await?));
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "the body is not UTF-8",
            )
        })?;
        Ok(SecretJsonText(Zeroizing::new(text.to_owned())))
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| QueryParams(value))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    rejection.body_text(),
                )
            })
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathParams(value))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path",
                    rejection.body_text(),
                )
            })
    }
}
