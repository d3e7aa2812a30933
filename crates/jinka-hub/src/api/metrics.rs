//! `/metrics`: request counts by method, route and status, in the Prometheus text exposition
//! format (version 0.0.4), written by hand.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::api::state::ApiState;

/// The route label of requests no route matched.
const UNMATCHED_ROUTE: &str = "unmatched";

type Key = (&'static str, String, u16);

/// The counters.
#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<Key, u64>>,
}

/// A bounded label for a method: the standard ones, else `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", Method::as_str)
}

impl Metrics {
    fn count(&self, key: Key) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *requests.entry(key).or_default() += 1;
    }

    /// The exposition text.
    pub(crate) fn render(&self) -> String {
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut text = String::from(
            "# HELP jinka_hub_http_requests_total HTTP requests answered, by method, route and status.\n\
             # TYPE jinka_hub_http_requests_total counter\n",
        );
        for ((method, route, status), count) in requests.iter() {
            // Route templates hold no quotes, backslashes or line breaks; escape anyway.
            let route = route
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            let _ = writeln!(
                text,
                "jinka_hub_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        text
    }
}

/// Middleware: counts each answered request under its route template.
pub(crate) async fn count_requests(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    let method = method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || UNMATCHED_ROUTE.to_owned(),
        |path| path.as_str().to_owned(),
    );
    let response = next.run(request).await;
    state
        .metrics
        .count((method, route, response.status().as_u16()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_is_prometheus_text() {
        let metrics = Metrics::default();
        metrics.count(("GET", "/healthz".to_owned(), 200));
        metrics.count(("GET", "/healthz".to_owned(), 200));
        metrics.count(("POST", "/v1/cards".to_owned(), 400));
        let text = metrics.render();
        assert!(text.contains("# TYPE jinka_hub_http_requests_total counter\n"));
        assert!(text.contains(
            "jinka_hub_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2\n"
        ));
        assert!(text.contains("route=\"/v1/cards\",status=\"400\"} 1\n"));
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
