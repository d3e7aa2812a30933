//! How a pending load is resolved from the card's counter chain when its TAC does not come
//! (`hub.md` § Online load: "voided or resolved from the card's counter chain").

use jinka_record::{TransactionKind, TransactionRecord};

use crate::ingest::LoadTransition;
use crate::load_book::{LoadAuthorization, LoadState, PostedBy};

/// What the hub knows of the card's online counter around a pending load.
#[derive(Clone, Copy, Debug)]
pub enum Evidence<'a> {
    /// An accepted load record of the card at the authorization's online ATC.
    RecordAtAtc(&'a TransactionRecord),
    /// The accepted load record of the card at the next online ATC, and how many *other*
    /// authorizations at the pending one's ATC are not voided.
    NextLoad {
        /// The record at online ATC + 1.
        record: &'a TransactionRecord,
        /// Other authorizations at the same ATC, not voided.
        rival_authorizations: usize,
    },
    /// None of the above exists, and the deadline for the TAC passed.
    DeadlinePassed,
}

/// What to do with a pending load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// It happened: post it.
    Post(PostedBy),
    /// It did not and will not happen: void it.
    Void,
    /// The evidence does not decide it (or it is not pending): leave it.
    Unresolved,
}

/// Resolves a pending load from the evidence.
///
/// The rules rest on two facts of the card (`card.md` § Load): the online ATC advances only
/// when CREDIT FOR LOAD succeeds, atomically with the credit; and a card credits only with a
/// MAC2 from the hub, so every load that happened is one of the hub's authorizations.
///
/// 1. An accepted load record at the authorization's online ATC that **is** this load (same
///    balance, amount, terminal, date, time, key): **posted** (by TAC: the record carries it).
/// 2. An accepted load record at that ATC that is **another** load: the card used the ATC for
///    that one, so this MAC2 was never applied and never can be: **voided**.
/// 3. The accepted load record at the **next** online ATC: the counter moved past this one, so
///    some authorization at this ATC was credited. If this is the only authorization at the ATC
///    not voided, and the next load's balance before is at most this load's balance after (only
///    purchases lie between): **posted** (by counter chain). Otherwise unresolved.
/// 4. No such evidence and the confirmation deadline (the caller's policy, from its clock)
///    has passed: **voided**, the load agent refunds the cardholder. Should the load's record
///    arrive after all, ingest reinstates it (rule 1 applies to voided loads too).
///
/// Evidence records are accepted records, whose TAC the hub verified.
pub fn resolve_unconfirmed(
    authorization: &LoadAuthorization,
    evidence: &Evidence<'_>,
) -> Resolution {
    if authorization.state != LoadState::Pending {
        return Resolution::Unresolved;
    }
    let same_card = |record: &TransactionRecord| {
        record.kind() == TransactionKind::Load && record.asn() == authorization.asn().bytes()
    };
    match *evidence {
        Evidence::RecordAtAtc(record)
            if same_card(record) && record.atc() == authorization.online_atc() =>
        {
            if authorization.matches(record) {
                Resolution::Post(PostedBy::Tac)
            } else {
                Resolution::Void
            }
        }
        Evidence::NextLoad {
            record,
            rival_authorizations: 0,
        } if same_card(record)
            && authorization.online_atc().checked_add(1) == Some(record.atc()) =>
        {
            let consistent = authorization
                .request
                .balance_after_fen()
                .is_some_and(|after| record.balance_before_fen() <= after);
            if consistent {
                Resolution::Post(PostedBy::CounterChain)
            } else {
                Resolution::Unresolved
            }
        }
        Evidence::DeadlinePassed => Resolution::Void,
        Evidence::RecordAtAtc(_) | Evidence::NextLoad { .. } => Resolution::Unresolved,
    }
}

/// The new state of an authorization at the online ATC of a load record ingest just
/// accepted, whatever its state: the record decides it (rules 1 and 2). `is_this_load` is
/// whether the record is this load (and no other authorization claimed it first). `None`
/// for an authorization posted by TAC: its record would have been a duplicate.
pub(crate) fn state_after_record(state: LoadState, is_this_load: bool) -> Option<LoadState> {
    match (state, is_this_load) {
        (LoadState::Posted(PostedBy::Tac), _) => None,
        (_, true) => Some(LoadState::Posted(PostedBy::Tac)),
        (_, false) => Some(LoadState::Voided),
    }
}

/// A resolution as a change to apply: the authorization's new state and what it does to the
/// card's shadow balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedLoad {
    /// The state change.
    pub transition: LoadTransition,
    /// Added to the card's shadow balance: the amount when the counter chain posts the load
    /// (its record, when it comes, then adds nothing); zero otherwise (a record posting it by
    /// TAC is counted by ingest as it is accepted).
    pub shadow_balance_delta_fen: i64,
}

/// The change a [`Resolution`] of a pending `authorization` makes; `None` when there is none.
pub fn resolved(authorization: &LoadAuthorization, resolution: Resolution) -> Option<ResolvedLoad> {
    let (to, delta_fen) = match resolution {
        _ if authorization.state != LoadState::Pending => return None,
        Resolution::Unresolved => return None,
        Resolution::Void => (LoadState::Voided, 0),
        Resolution::Post(PostedBy::Tac) => (LoadState::Posted(PostedBy::Tac), 0),
        Resolution::Post(PostedBy::CounterChain) => (
            LoadState::Posted(PostedBy::CounterChain),
            i64::from(authorization.request.amount_fen),
        ),
    };
    Some(ResolvedLoad {
        transition: LoadTransition {
            request_id: authorization.request.request_id.clone(),
            asn: authorization.asn(),
            online_atc: authorization.online_atc(),
            amount_fen: authorization.request.amount_fen,
            from: LoadState::Pending,
            to,
        },
        shadow_balance_delta_fen: delta_fen,
    })
}
