//! Every refusal is JSON: error answers that a layer or the router produced without a JSON
//! body (405, a 413 of the body limit) get the API's `{ "error", "reason" }` body, keeping
//! their status and headers.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::api::error::ApiError;

/// Response mapper.
pub(crate) async fn ensure_json_error(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let body = ApiError::from_status(status).body();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body))
}

/// The fallback: no route has this path.
pub(crate) async fn no_route(method: Method, uri: Uri) -> Response {
    ApiError::not_found(format!("no route {method} {}", uri.path())).into_response()
}
