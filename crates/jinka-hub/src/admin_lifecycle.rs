//! The card's life from the command line (`jinka hub card lost|replace|close|complete|
//! operations`): what the routes of `api/card_operations.rs` do, as the operator, on a data
//! directory; and the freeze-period completion a resolver runs.

use crate::admin::Admin;
use crate::byte_id::Asn;
use crate::card_operation::{CardOperation, CardRequest, complete, complete_due, request};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::store::{Page, Scope};

/// Operations per page when the admin lists them all.
const OPERATIONS_PAGE_ITEMS: u32 = 1_000;

impl Admin {
    /// Makes `card_request` on card `asn` for its issuer (`POST /v1/cards/{asn}/lost`,
    /// `/replace`, `/close`, as the operator).
    pub fn card_request(
        &self,
        asn: Asn,
        card_request: CardRequest,
    ) -> Result<CardOperation, HubError> {
        let now = self.hub.clock.now();
        self.hub
            .clearing(|storage| request(storage, asn, None, card_request, now))
    }

    /// Completes the pending replacement or closing `id` now (its old records are in).
    pub fn complete_card_operation(&self, id: u64) -> Result<CardOperation, HubError> {
        let now = self.hub.clock.now();
        self.hub
            .clearing(|storage| complete(storage, id, None, now))
    }

    /// Completes the replacements and closings whose freeze period is over at `now` (at most
    /// [`crate::COMPLETE_OPERATIONS_MAX`] a run): the completed ones.
    pub fn complete_due_card_operations(
        &self,
        now: EpochMs,
    ) -> Result<Vec<CardOperation>, HubError> {
        self.hub.clearing(|storage| complete_due(storage, now))
    }

    /// Every card operation, in id order.
    pub fn card_operations(&self) -> Result<Vec<CardOperation>, HubError> {
        let mut all: Vec<CardOperation> = Vec::new();
        loop {
            let page = Page {
                after: all.last().map(|operation| operation.id),
                limit: OPERATIONS_PAGE_ITEMS,
            };
            let items = self
                .hub
                .clearing(|storage| storage.lifecycle().card_operations(Scope::All, page))?;
            let full = items.len() == OPERATIONS_PAGE_ITEMS as usize;
            all.extend(items);
            if !full {
                return Ok(all);
            }
        }
    }
}
