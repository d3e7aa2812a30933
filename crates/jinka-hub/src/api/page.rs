//! Listings come in pages: `?after=<id of the last item seen>&limit=<n>`, answered with
//! `{ "items": [...], "next_after": <id> | null }` (`null`: no more).

use serde::{Deserialize, Serialize};

use crate::api::error::ApiError;
use crate::config::{LIST_ITEMS_DEFAULT, Limits};
use crate::error::HubError;
use crate::store::Page;

/// The query string of a listing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    after: Option<String>,
    limit: Option<u32>,
}

impl PageQuery {
    /// The page, with `after` parsed by `parse_id`; the limit is 1 to the configured maximum.
    pub(crate) fn page<Id>(
        &self,
        limits: &Limits,
        parse_id: impl FnOnce(&str) -> Result<Id, HubError>,
    ) -> Result<Page<Id>, ApiError> {
        let limit = self
            .limit
            .unwrap_or(LIST_ITEMS_DEFAULT.min(limits.list_items_max));
        if limit == 0 || limit > limits.list_items_max {
            return Err(ApiError::invalid(
                "limit",
                &format!("must be 1 to {}", limits.list_items_max),
            ));
        }
        let after = self.after.as_deref().map(parse_id).transpose()?;
        Ok(Page { after, limit })
    }
}

/// One page of items.
#[derive(Serialize)]
pub(crate) struct Listing<T> {
    items: Vec<T>,
    next_after: Option<String>,
}

impl<T> Listing<T> {
    /// The page of `items` asked with `limit`; `id` gives an item's cursor.
    pub(crate) fn new(items: Vec<T>, limit: u32, id: impl Fn(&T) -> String) -> Listing<T> {
        let full = items.len() >= limit as usize;
        let next_after = items.last().filter(|_| full).map(id);
        Listing { items, next_after }
    }
}
