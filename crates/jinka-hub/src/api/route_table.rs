//! A router that remembers its routes, so a test can hold them against the OpenAPI document.
//! Every route of the API is added through it.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{get, post, put};

use crate::api::state::ApiState;

/// Routes and the (method, path template) of each.
pub(crate) struct RouteTable {
    pub(crate) router: Router<ApiState>,
    pub(crate) routes: Vec<(Method, &'static str)>,
}

impl RouteTable {
    pub(crate) fn new() -> RouteTable {
        RouteTable {
            router: Router::new(),
            routes: Vec::new(),
        }
    }

    /// Adds `GET path`.
    pub(crate) fn get<H, T>(mut self, path: &'static str, handler: H) -> RouteTable
    where
        H: Handler<T, ApiState>,
        T: 'static,
    {
        self.router = self.router.route(path, get(handler));
        self.routes.push((Method::GET, path));
        self
    }

    /// Adds `POST path`.
    pub(crate) fn post<H, T>(mut self, path: &'static str, handler: H) -> RouteTable
    where
        H: Handler<T, ApiState>,
        T: 'static,
    {
        self.router = self.router.route(path, post(handler));
        self.routes.push((Method::POST, path));
        self
    }

    /// Adds `PUT path`.
    pub(crate) fn put<H, T>(mut self, path: &'static str, handler: H) -> RouteTable
    where
        H: Handler<T, ApiState>,
        T: 'static,
    {
        self.router = self.router.route(path, put(handler));
        self.routes.push((Method::PUT, path));
        self
    }

    /// Adds the routes of `other` (with the layers it has).
    pub(crate) fn merge(mut self, other: RouteTable) -> RouteTable {
        self.router = self.router.merge(other.router);
        self.routes.extend(other.routes);
        self
    }

    /// Changes the router (adds a layer to every route so far).
    pub(crate) fn map_router(
        mut self,
        change: impl FnOnce(Router<ApiState>) -> Router<ApiState>,
    ) -> RouteTable {
        self.router = change(self.router);
        self
    }
}
