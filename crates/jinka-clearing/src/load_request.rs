//! What a terminal sends the hub to authorize a load (`hub.md` § Online load): the card's
//! INITIALIZE FOR LOAD answer, the load's terms, and the client's idempotency key.

use jinka_crypto::Profile;
use jinka_record::{Date, Time};

use crate::identifiers::{Asn, IssuerId, RequestId, TerminalId};

/// A load authorization request. The hub's own type: the HTTP layer parses its JSON into it,
/// and `jinka_terminal::LoadRequest` maps onto it field by field (its `balance_fen` is
/// `balance_before_fen` here) plus a request id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LoadRequest {
    /// The client's idempotency key: the same id with the same content gets the same answer.
    pub request_id: RequestId,
    /// Issuer id from the card's EF 0x15.
    pub issuer_id: IssuerId,
    /// ASN8.
    pub asn: Asn,
    /// Key version the card reported.
    pub key_version: u8,
    /// Algorithm id the card reported (`00` des3, `04` sm4).
    pub algorithm_id: u8,
    /// The card's balance before the load, covered by MAC1.
    pub balance_before_fen: u32,
    /// The card's online ATC: the value this load will use.
    pub online_atc: u16,
    /// The card's random for the session key.
    pub card_random: [u8; 4],
    /// The card's MAC1.
    pub mac1: [u8; 4],
    /// Amount to load.
    pub amount_fen: u32,
    /// The terminal's id, covered by MAC1 and MAC2.
    pub terminal_id: TerminalId,
    /// The terminal's date, covered by MAC2 and the TAC.
    pub date: Date,
    /// The terminal's time, covered by MAC2 and the TAC.
    pub time: Time,
}

impl LoadRequest {
    /// The profile of the algorithm id, if it is one of ours.
    pub const fn profile(&self) -> Option<Profile> {
        Profile::from_algorithm_id(self.algorithm_id)
    }

    /// The balance after the load, if it fits 4 bytes.
    pub const fn balance_after_fen(&self) -> Option<u32> {
        self.balance_before_fen.checked_add(self.amount_fen)
    }
}
