//! The JSON bodies of the load routes, shared by the hub and its clients (the terminal's
//! `--hub` load authorizer), so both sides speak one contract.

use serde::{Deserialize, Serialize};

/// `POST /v1/loads/authorize`: the card's INITIALIZE FOR LOAD answer and the load's terms.
/// Byte fields are hex; `date` is `YYYYMMDD` and `time` `HHMMSS`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadAuthorizeBody {
    /// Idempotency key: the same request twice gets the same answer.
    pub request_id: String,
    /// Issuer id from the card's EF 0x15.
    pub issuer_id: String,
    /// ASN8.
    pub asn: String,
    /// Key version the card reported.
    pub key_version: u8,
    /// Algorithm id the card reported.
    pub algorithm_id: u8,
    /// Balance before the load.
    pub balance_fen: u32,
    /// The card's online ATC.
    pub online_atc: u16,
    /// The card's random.
    pub card_random: String,
    /// The card's MAC1.
    pub mac1: String,
    /// Amount to load.
    pub amount_fen: u32,
    /// The terminal.
    pub terminal_id: String,
    /// Date sent to the card.
    pub date: String,
    /// Time sent to the card.
    pub time: String,
}

/// The answer to an authorized load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadAuthorized {
    /// The load's id, for its confirmation.
    pub load_id: String,
    /// MAC2 for CREDIT FOR LOAD, hex.
    pub mac2: String,
}

/// `POST /v1/loads/{load_id}/confirm`: the card's TAC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadConfirmBody {
    /// The TAC, hex.
    pub tac: String,
}
