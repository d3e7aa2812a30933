//! Why a terminal refused or could not complete a transaction.

use jinka_record::TransactionRecord;
use jinka_sam::SamError;

use crate::exchange::ExchangeError;
use crate::journal::JournalError;
use crate::load::AuthorizeError;

/// A transaction that did not complete, with what the terminal knows.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The card answered garbage, a wrong status word, or left the field before the final
    /// command: nothing moved.
    #[error(transparent)]
    Card(#[from] ExchangeError),
    /// The card's directory lists no application this terminal accepts.
    #[error("the card has no application this terminal accepts")]
    NoAcceptedApplication,
    /// EF 0x15 is not 30 bytes of public data.
    #[error("the card's public data (EF 0x15) is malformed")]
    MalformedPublicData,
    /// The card is outside its validity period.
    #[error("the card is not valid on this date (valid {start} to {expiry})")]
    Expired {
        /// Start date, `YYYYMMDD`.
        start: String,
        /// Expiry date, `YYYYMMDD`.
        expiry: String,
    },
    /// The application is blocked on the card.
    #[error("the card's application is blocked")]
    Blocked,
    /// The card is on the blacklist; `blocked_on_card` tells whether APPLICATION BLOCK took.
    #[error("the card is blacklisted (blocked on the card: {blocked_on_card})")]
    Blacklisted {
        /// Whether the card now refuses purchases by itself.
        blocked_on_card: bool,
    },
    /// The balance does not cover the amount.
    #[error("insufficient balance: {balance_fen} fen for {amount_fen} fen")]
    InsufficientBalance {
        /// Balance.
        balance_fen: u32,
        /// Amount asked.
        amount_fen: u32,
    },
    /// The SAM refused (unknown issuer, missing key version, ...) or failed.
    #[error("SAM: {0}")]
    Sam(#[from] SamError),
    /// The issuer side refused the load.
    #[error("load authorization: {0}")]
    Authorization(#[from] AuthorizeError),
    /// The card left, or garbled its answer, after the final command was sent: the
    /// transaction is pending and will be resolved at the card's next presentation.
    #[error("the card left during the transaction; present it again to complete it")]
    Torn,
    /// The card debited and the record is stored, but its MAC2 did not verify: do not hand
    /// over goods; the hub will judge the record by its TAC.
    #[error("the card's MAC2 does not verify (the record is stored for the hub)")]
    Mac2Invalid(Box<TransactionRecord>),
    /// A torn transaction of this card committed, but the card has moved on and its proof is
    /// gone: an operator must settle it from the card's log.
    #[error("a torn transaction of this card cannot be proved any more (card log shows it)")]
    ProofLost,
    /// The terminal could not store the record: it must not approve.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A record could not be built from what the card answered.
    #[error("the card's answers do not make a valid record: {0}")]
    InvalidRecord(#[from] jinka_record::RecordError),
    /// A fare could not be computed.
    #[error(transparent)]
    Fare(#[from] crate::fare::FareError),
}
