//! The replacement credit (`hub.md` § Card lifecycle): completing a replacement takes the old
//! card's balance off it (`card_operation::complete`); the money stays in the issuer's card
//! float, pending, until a terminal of a load agent (or acquirer) puts it on the new card's
//! chip by an online load that collects no cash: `POST /v1/card-operations/{id}/credit` with a
//! load authorization's body (`wire::LoadAuthorizeBody`).
//!
//! The load is authorized like any (`jinka_clearing::authorize_load`: MAC1 verified, MAC2
//! answered, idempotent by request id) and stored in `load_authorizations` with
//! `funded_by_operation` naming the replacement; it must be for the new card and of exactly
//! the amount moved, and a replacement funds one load that is not voided (a voided one, a card
//! torn before CREDIT FOR LOAD, may be tried again). Its confirmation (`POST
//! /v1/loads/{id}/confirm`), its batch record or the counter chain then post it like any load
//! — the new card's shadow balance grows by the amount, so the shadow balance again follows
//! the chip — except that the ledger gets no posting: no cash was collected, the money is in
//! the float already (`clearing::outcome`, `clearing::online_load`).
//!
//! Conservation, while a credit is pending: the issuer's card float = Σ its cards' shadow
//! balances + Σ the amounts of its completed replacements whose credit has not posted. Once
//! it posts, card float = Σ shadow balances again.

use jinka_clearing::{KeyStore, LoadDecision, LoadLimits, LoadRefusal, LoadRequest};

use crate::card_operation::{OperationKind, OperationState};
use crate::clearing::{ClearingStorage, authorize};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;

/// The limits of a replacement credit: no per-load or daily cap (the amount is the moved
/// balance, not new cash), only the card's balance cap `balance_max_fen`.
pub(crate) fn credit_limits(balance_max_fen: u32) -> Result<LoadLimits, HubError> {
    LoadLimits::new(balance_max_fen.max(1), balance_max_fen, u64::MAX)
        .map_err(|error| HubError::config(error.to_string()))
}

/// Authorizes `request` of `requester` as the credit of the replacement `id`.
pub(crate) fn authorize_credit(
    storage: &mut dyn ClearingStorage,
    id: u64,
    request: &LoadRequest,
    requester: ParticipantId,
    limits: &LoadLimits,
    keys: &dyn KeyStore,
    now: EpochMs,
) -> Result<LoadDecision, HubError> {
    let operation = storage
        .lifecycle()
        .card_operation(id)?
        .filter(|operation| operation.kind == OperationKind::Replace)
        .ok_or_else(|| HubError::not_found(format!("no replacement {id}")))?;
    if operation.state != OperationState::Completed {
        return Err(HubError::conflict(format!(
            "replacement {id} is not completed: its balance has not left the old card yet"
        )));
    }
    let new_asn = operation
        .new_asn
        .ok_or_else(|| HubError::corrupt(format!("replacement {id} has no new card")))?;
    if request.asn.bytes() != new_asn.bytes() {
        return Err(HubError::invalid(
            "asn",
            format!("must be the replacement's new card {new_asn}"),
        ));
    }
    let moved = operation.amount_fen.unwrap_or(0);
    if moved <= 0 {
        return Err(HubError::conflict(format!(
            "replacement {id} moved no balance: nothing to credit"
        )));
    }
    if i64::from(request.amount_fen) != moved {
        return Err(HubError::invalid(
            "amount_fen",
            format!("must be the balance the replacement moved, {moved} fen"),
        ));
    }
    let credits = storage.lifecycle().replacement_credits(id)?;
    let request_id = request.request_id.as_str();
    if credits.iter().any(|credit| credit != request_id) {
        return Err(HubError::conflict(format!(
            "replacement {id} is credited already (load {})",
            credits.join(", ")
        )));
    }
    let decision = authorize(storage, request, requester, limits, keys, now)?;
    let LoadDecision::Approved(approval) = &decision else {
        return Ok(decision);
    };
    if !approval.replayed {
        storage.lifecycle().fund_load(request_id, id)?;
    } else if !storage.lifecycle().is_credit_load(request_id)? {
        // The same request id answered before as a cash load: not this credit.
        return Ok(LoadDecision::Refused(LoadRefusal::RequestIdReused));
    }
    Ok(decision)
}
