//! `/v1/openapi.json`: the API's OpenAPI 3.1 document, maintained by hand in `openapi.json`
//! beside this file (no code generation: the document is reviewed like code). A test holds its
//! paths and methods against the routes the router has.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::api::route_table::RouteTable;

/// The document.
pub(crate) const OPENAPI_JSON: &str = include_str!("openapi.json");

pub(crate) fn routes() -> RouteTable {
    RouteTable::new().get("/v1/openapi.json", document)
}

async fn document() -> Response {
    let mut response = OPENAPI_JSON.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::config::Limits;

    #[test]
    fn the_document_has_every_route_and_no_other() {
        let document: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let mut documented = BTreeSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if method != "parameters" {
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let routed: BTreeSet<(String, String)> = crate::api::routes(&Limits::default())
            .routes
            .iter()
            .map(|(method, path)| (method.to_string(), (*path).to_owned()))
            .collect();
        assert_eq!(documented, routed);
    }
}
