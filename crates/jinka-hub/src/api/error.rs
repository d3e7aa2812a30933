//! The API's error answer: a 4xx or 5xx status with `{ "error": code, "reason": text }`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::access::Denied;
use crate::error::HubError;

/// An error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    reason: String,
    retry_after_s: Option<u64>,
}

#[derive(Serialize)]
struct Wire<'a> {
    error: &'a str,
    reason: &'a str,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, reason: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            reason: reason.into(),
            retry_after_s: None,
        }
    }

    pub(crate) fn unauthorized(reason: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", reason)
    }

    pub(crate) fn not_found(reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", reason)
    }

    pub(crate) fn invalid(field: &str, reason: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            format!("`{field}`: {reason}"),
        )
    }

    pub(crate) fn rate_limited(retry_after_ms: u64) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests for this credential: retry later",
        );
        error.retry_after_s = Some(retry_after_ms.div_ceil(1_000).max(1));
        error
    }

    pub(crate) fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error: the hub's log says more",
        )
    }

    /// The answer for a status some layer produced without a JSON body.
    pub(crate) fn from_status(status: StatusCode) -> ApiError {
        let (code, reason) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no such route"),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "this route does not take this method")
            }
            StatusCode::PAYLOAD_TOO_LARGE => ("body_too_large", "the request body is too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "send Content-Type: application/json",
            ),
            status if status.is_client_error() => ("bad_request", "the request was refused"),
            _ => ("internal", "internal error: the hub's log says more"),
        };
        ApiError::new(status, code, reason)
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> String {
        let wire = Wire {
            error: self.code,
            reason: &self.reason,
        };
        serde_json::to_string(&wire).unwrap_or_else(|_| String::from("{\"error\":\"internal\"}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after_s {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<HubError> for ApiError {
    fn from(error: HubError) -> ApiError {
        match &error {
            HubError::Invalid { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_field", error.to_string())
            }
            HubError::NotFound { .. } => ApiError::not_found(error.to_string()),
            HubError::Conflict { reason } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", reason.clone())
            }
            HubError::Unavailable { .. } => {
                tracing::warn!(%error, "request failed, retryable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the hub cannot do this now: retry later",
                )
            }
            HubError::Config { .. }
            | HubError::WrongKek { .. }
            | HubError::File(_)
            | HubError::Corrupt { .. } => {
                tracing::error!(%error, "request failed");
                ApiError::internal()
            }
        }
    }
}

impl From<Denied> for ApiError {
    fn from(Denied(reason): Denied) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", reason)
    }
}
