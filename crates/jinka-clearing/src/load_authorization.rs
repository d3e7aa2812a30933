//! Online load authorization (`hub.md` § Online load): the hub checks the card's MAC1, the
//! card, the terminal and the limits, and answers MAC2 with a pending load.

use core::fmt;

use serde::Serialize;

use crate::error::ClearingError;
use crate::identifiers::ParticipantId;
use crate::key_store::{KeyId, KeyStore, LoadMac};
use crate::load_book::{LoadAuthorization, LoadBook, LoadState};
use crate::load_request::LoadRequest;
use crate::registry::{CardEntry, CardStatus, TerminalEntry};
use crate::view::BALANCE_FEN_MAX;

/// The limits a load must stay within.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadLimits {
    load_amount_max_fen: u32,
    balance_max_fen: u32,
    daily_load_max_fen: u64,
}

impl LoadLimits {
    /// Limits: the largest single load, the largest balance a load may leave on a card (at
    /// most [`BALANCE_FEN_MAX`]), and the largest total loaded on one card in one day.
    pub const fn new(
        load_amount_max_fen: u32,
        balance_max_fen: u32,
        daily_load_max_fen: u64,
    ) -> Result<LoadLimits, ClearingError> {
        if balance_max_fen > BALANCE_FEN_MAX {
            return Err(ClearingError::InvalidLimits(
                "the balance cap is at most balance_fen_max (2^31 - 1)",
            ));
        }
        if load_amount_max_fen == 0 || daily_load_max_fen == 0 {
            return Err(ClearingError::InvalidLimits(
                "a zero per-load or daily limit allows no load",
            ));
        }
        Ok(LoadLimits {
            load_amount_max_fen,
            balance_max_fen,
            daily_load_max_fen,
        })
    }

    /// The largest single load.
    pub const fn load_amount_max_fen(&self) -> u32 {
        self.load_amount_max_fen
    }

    /// The largest balance a load may leave.
    pub const fn balance_max_fen(&self) -> u32 {
        self.balance_max_fen
    }

    /// The largest total loaded on a card in one day.
    pub const fn daily_load_max_fen(&self) -> u64 {
        self.daily_load_max_fen
    }
}

/// What the hub knows around a load request, read by the storage layer.
#[derive(Clone, Copy, Debug)]
pub struct LoadContext<'a> {
    /// The authenticated participant asking.
    pub requester: ParticipantId,
    /// The card with the request's ASN, if registered.
    pub card: Option<&'a CardEntry>,
    /// The request's terminal, if registered.
    pub terminal: Option<&'a TerminalEntry>,
    /// The limits.
    pub limits: &'a LoadLimits,
    /// What was loaded on the card on the request's day: the amounts of its authorizations
    /// not voided.
    pub loaded_today_fen: u64,
}

/// Why a load was refused. The codes (`code`, `Display`, serde) are the API's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadRefusal {
    /// The request id was answered before, for another request.
    RequestIdReused,
    /// The terminal is not registered.
    UnknownTerminal,
    /// The terminal belongs to another participant.
    NotYourTerminal,
    /// No card with this ASN and issuer id.
    UnknownCard,
    /// The card is hotlisted, blocked, replaced or closed.
    CardNotActive,
    /// A load of zero.
    AmountZero,
    /// Above the per-load limit.
    AmountOverLimit,
    /// The balance after the load would pass the cap.
    BalanceOverLimit,
    /// The card's loads today would pass the daily limit.
    DailyLimitExceeded,
    /// The online ATC was already used by a posted load.
    CounterReplayed,
    /// No load key for the card's issuer, key version and profile.
    UnknownKey,
    /// MAC1 does not verify.
    Mac1Invalid,
}

impl LoadRefusal {
    /// The refusal code.
    pub const fn code(self) -> &'static str {
        match self {
            LoadRefusal::RequestIdReused => "request_id_reused",
            LoadRefusal::UnknownTerminal => "unknown_terminal",
            LoadRefusal::NotYourTerminal => "not_your_terminal",
            LoadRefusal::UnknownCard => "unknown_card",
            LoadRefusal::CardNotActive => "card_not_active",
            LoadRefusal::AmountZero => "amount_zero",
            LoadRefusal::AmountOverLimit => "amount_over_limit",
            LoadRefusal::BalanceOverLimit => "balance_over_limit",
            LoadRefusal::DailyLimitExceeded => "daily_limit_exceeded",
            LoadRefusal::CounterReplayed => "counter_replayed",
            LoadRefusal::UnknownKey => "unknown_key",
            LoadRefusal::Mac1Invalid => "mac1_invalid",
        }
    }
}

impl fmt::Display for LoadRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An approved load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadApproval {
    /// MAC2 for CREDIT FOR LOAD.
    pub mac2: [u8; 4],
    /// The authorization: to store (state pending) unless `replayed`.
    pub authorization: LoadAuthorization,
    /// Whether this is the stored answer to a request seen before (store nothing).
    pub replayed: bool,
}

/// The answer to a load request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadDecision {
    /// Approved, with MAC2.
    Approved(LoadApproval),
    /// Refused.
    Refused(LoadRefusal),
}

/// Authorizes a load: MAC2 and a pending [`LoadAuthorization`] to store, or a refusal.
///
/// Errors only when the key store cannot answer (retry); nothing was decided then.
///
/// # Checks, in order (the first that fails is the refusal)
///
/// 1. Idempotency: a request id already answered gets the same answer (its MAC2, its
///    authorization, `replayed: true`) if the request and requester are equal, whatever has
///    changed since; otherwise `request_id_reused`. Refusals are not kept: a refused request
///    sent again is judged again.
/// 2. `unknown_terminal`, `not_your_terminal`: the requester loads only through its own
///    terminals.
/// 3. `unknown_card` (no card with this ASN and issuer id), `card_not_active` (hotlisted,
///    blocked, replaced or closed cards are not loaded).
/// 4. `amount_zero`, `amount_over_limit` (per load), `balance_over_limit` (balance after the
///    load above the limits' cap, itself at most [`crate::BALANCE_FEN_MAX`]),
///    `daily_limit_exceeded` (the card's loads on this day, given by the caller, plus this one).
/// 5. `counter_replayed`: the card presents an online ATC a posted load already used. A
///    genuine card never does (its counter moves with every credit): a cloned or restored chip.
/// 6. `unknown_key` (no load key of the card's issuer, the reported key version and the card's
///    profile), `mac1_invalid`: the key store's answer.
pub fn authorize_load<B, K>(
    request: &LoadRequest,
    context: &LoadContext<'_>,
    book: &B,
    keys: &K,
) -> Result<LoadDecision, ClearingError>
where
    B: LoadBook + ?Sized,
    K: KeyStore + ?Sized,
{
    if let Some(existing) = book.by_request_id(&request.request_id) {
        if existing.request != *request || existing.requester != context.requester {
            return Ok(LoadDecision::Refused(LoadRefusal::RequestIdReused));
        }
        return Ok(LoadDecision::Approved(LoadApproval {
            mac2: existing.mac2,
            authorization: existing,
            replayed: true,
        }));
    }
    let card = match policy(request, context) {
        Ok(card) => card,
        Err(refusal) => return Ok(LoadDecision::Refused(refusal)),
    };
    let replayed_counter = book
        .at_atc(request.asn, request.online_atc)
        .iter()
        .any(|a| a.asn() == request.asn && matches!(a.state, LoadState::Posted(_)));
    if replayed_counter || card.online.is_used(request.online_atc) {
        return Ok(LoadDecision::Refused(LoadRefusal::CounterReplayed));
    }
    if request.profile() != Some(card.profile) {
        return Ok(LoadDecision::Refused(LoadRefusal::UnknownKey));
    }
    let key = KeyId {
        issuer_id: card.issuer_id,
        key_version: request.key_version,
        profile: card.profile,
    };
    let mac2 = match keys.load_mac2(&key, request) {
        Ok(LoadMac::Mac2(mac2)) => mac2,
        Ok(LoadMac::Mac1Invalid) => return Ok(LoadDecision::Refused(LoadRefusal::Mac1Invalid)),
        Err(ClearingError::UnknownKey(_)) => {
            return Ok(LoadDecision::Refused(LoadRefusal::UnknownKey));
        }
        Err(error) => return Err(error),
    };
    Ok(LoadDecision::Approved(LoadApproval {
        mac2,
        authorization: LoadAuthorization {
            request: request.clone(),
            requester: context.requester,
            mac2,
            state: LoadState::Pending,
        },
        replayed: false,
    }))
}

/// Checks 2 to 4: terminal, card, limits. The card on success.
fn policy<'a>(
    request: &LoadRequest,
    context: &LoadContext<'a>,
) -> Result<&'a CardEntry, LoadRefusal> {
    match context.terminal {
        Some(terminal) if terminal.terminal_id != request.terminal_id => {
            return Err(LoadRefusal::UnknownTerminal);
        }
        Some(terminal) if terminal.owner != context.requester => {
            return Err(LoadRefusal::NotYourTerminal);
        }
        Some(_) => {}
        None => return Err(LoadRefusal::UnknownTerminal),
    }
    let card = context
        .card
        .filter(|card| card.asn == request.asn && card.issuer_id == request.issuer_id)
        .ok_or(LoadRefusal::UnknownCard)?;
    if card.status != CardStatus::Active {
        return Err(LoadRefusal::CardNotActive);
    }
    let limits = context.limits;
    if request.amount_fen == 0 {
        return Err(LoadRefusal::AmountZero);
    }
    if request.amount_fen > limits.load_amount_max_fen {
        return Err(LoadRefusal::AmountOverLimit);
    }
    let balance_after = request.balance_after_fen();
    if balance_after.is_none_or(|after| after > limits.balance_max_fen) {
        return Err(LoadRefusal::BalanceOverLimit);
    }
    let loaded = context
        .loaded_today_fen
        .checked_add(u64::from(request.amount_fen));
    if loaded.is_none_or(|loaded| loaded > limits.daily_load_max_fen) {
        return Err(LoadRefusal::DailyLimitExceeded);
    }
    Ok(card)
}
