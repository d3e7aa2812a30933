//! The hub's book of load authorizations: each answered load request, its MAC2, and whether
//! the load is pending, posted or voided (`hub.md` § Online load).

use jinka_record::{RecordFields, TransactionKind, TransactionRecord};
use serde::Serialize;

use crate::error::ClearingError;
use crate::identifiers::{Asn, ParticipantId, RequestId};
use crate::load_request::LoadRequest;
use crate::view::LoadPoint;

/// What made a load posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostedBy {
    /// Its TAC arrived (the terminal's confirmation or the batch record) and verified.
    Tac,
    /// The card's counter chain shows it happened, though its TAC has not arrived.
    CounterChain,
}

/// Where an authorized load stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadState {
    /// MAC2 was given; the card may or may not have credited.
    Pending,
    /// The card credited: the load counts in the shadow balance and is cleared.
    Posted(PostedBy),
    /// The card did not credit (or never will): MAC2 is dead, nothing is cleared.
    Voided,
}

/// An answered load request as the hub keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadAuthorization {
    /// The request, whole: a request with the same id must equal it to get the same answer.
    pub request: LoadRequest,
    /// The participant that asked (owner of the terminal).
    pub requester: ParticipantId,
    /// The MAC2 given.
    pub mac2: [u8; 4],
    /// Where the load stands.
    pub state: LoadState,
}

impl LoadAuthorization {
    /// The card.
    pub const fn asn(&self) -> Asn {
        self.request.asn
    }

    /// The online ATC the load uses.
    pub const fn online_atc(&self) -> u16 {
        self.request.online_atc
    }

    /// The load as a point of the card's balance chain. `None` only if the new balance did
    /// not fit 4 bytes, which authorization refuses.
    pub const fn load_point(&self) -> Option<LoadPoint> {
        match self.request.balance_after_fen() {
            Some(balance_after_fen) => Some(LoadPoint {
                online_atc: self.request.online_atc,
                balance_before_fen: self.request.balance_before_fen,
                balance_after_fen,
            }),
            None => None,
        }
    }

    /// Whether an accepted load record is this load: same card, online ATC, balance before,
    /// amount, terminal, date, time, key version and algorithm. (MAC2 covers the date and
    /// time, so a retry at another second is another load.)
    pub fn matches(&self, record: &TransactionRecord) -> bool {
        let request = &self.request;
        record.kind() == TransactionKind::Load
            && record.asn() == request.asn.bytes()
            && record.atc() == request.online_atc
            && record.balance_before_fen() == request.balance_before_fen
            && record.amount_fen() == request.amount_fen
            && record.terminal_id() == request.terminal_id.bytes()
            && record.date() == request.date
            && record.time() == request.time
            && record.key_version() == request.key_version
            && record.algorithm_id() == request.algorithm_id
    }

    /// The record the card's CREDIT FOR LOAD produced, given its TAC: what the terminal's
    /// confirmation carries (`card.md` § Load step 3).
    pub fn confirmation_record(&self, tac: [u8; 4]) -> Result<TransactionRecord, ClearingError> {
        let request = &self.request;
        Ok(TransactionRecord::new(RecordFields {
            asn: request.asn.bytes(),
            issuer_id: request.issuer_id.bytes(),
            kind: TransactionKind::Load,
            amount_fen: request.amount_fen,
            balance_before_fen: request.balance_before_fen,
            atc: request.online_atc,
            terminal_id: request.terminal_id.bytes(),
            terminal_serial: None,
            date: request.date,
            time: request.time,
            key_version: request.key_version,
            algorithm_id: request.algorithm_id,
            tac,
        })?)
    }
}

/// The hub's load authorizations, as the storage layer shows them to the decisions.
pub trait LoadBook {
    /// The authorization answered for this request id, if any.
    fn by_request_id(&self, request_id: &RequestId) -> Option<LoadAuthorization>;

    /// Every authorization of this card at this online ATC, in any state and order. There
    /// may be several: a card torn before CREDIT FOR LOAD offers the same ATC again.
    fn at_atc(&self, asn: Asn, online_atc: u16) -> Vec<LoadAuthorization>;
}
