//! What can go wrong when clearing and settling, grouped by what the caller does about it.

use crate::transaction::TransactionId;

/// What the caller does about a [`LedgerError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerErrorKind {
    /// The input is not something the ledger can take (a malformed id, an unbalanced or
    /// inconsistent transaction, a record of the wrong type, an amount that would overflow):
    /// refuse it with the reason. Nothing changed.
    RejectInput,
    /// The open window holds as much as it may ([`crate::WINDOW_LINES_MAX`]): close it, then
    /// post the transaction again in the next one. Nothing changed.
    CloseWindowFirst,
}

/// Why the ledger refused something. A refused call changed nothing.
///
/// A broken invariant of the ledger's own making (postings it built that do not balance,
/// positions that do not sum to zero) is not an error but a bug: it is asserted and stops the
/// process.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    // Reject the input.
    /// Participant id 0 is not a participant.
    #[error("participant id 0 is not a participant")]
    ZeroParticipantId,
    /// A batch id or load id that is empty, too long or has characters outside the allowed set.
    #[error(
        "{what} must be 1 to {max} bytes of ASCII letters, digits and `-_.:/`, not {length} bytes {text:?}",
        max = crate::REFERENCE_BYTES_MAX
    )]
    BadReference {
        /// `batch id` or `load id`.
        what: &'static str,
        /// The text given, cut to [`crate::REFERENCE_BYTES_MAX`] characters.
        text: String,
        /// Its length in bytes.
        length: usize,
    },
    /// A fee rate above 100 %.
    #[error("a fee rate of {basis_points} basis points is above {max}", max = crate::BASIS_POINTS_MAX)]
    FeeRateTooHigh {
        /// The rate given.
        basis_points: u32,
    },
    /// A record given to [`crate::post_purchase`] that is not a purchase, or to
    /// [`crate::post_load`] that is not a load.
    #[error("a {found} record cannot be posted as a {expected}")]
    WrongRecordType {
        /// `purchase` or `load`.
        expected: &'static str,
        /// The record's type name.
        found: &'static str,
    },
    /// A transaction whose debits and credits differ.
    #[error("debits of {debits_fen} fen and credits of {credits_fen} fen do not balance")]
    Unbalanced {
        /// Sum of the debit entries.
        debits_fen: u128,
        /// Sum of the credit entries.
        credits_fen: u128,
    },
    /// A transaction with more entries than [`crate::TRANSACTION_ENTRIES_MAX`].
    #[error("{entries} entries are more than a transaction may have")]
    TooManyEntries {
        /// The number of entries given.
        entries: usize,
    },
    /// A transaction whose kind, source and accounts do not belong together (for example a
    /// purchase from an online load, or a settlement account outside a window's settlement).
    #[error("transaction {id:?} is inconsistent: {reason}")]
    InconsistentTransaction {
        /// The transaction.
        id: TransactionId,
        /// What does not fit.
        reason: &'static str,
    },
    /// A transaction id that is not above the last one the ledger took: ids increase strictly,
    /// so a repeated transaction (a replay) is refused.
    #[error("transaction id {given:?} is not above the last one, {last:?}")]
    TransactionIdNotIncreasing {
        /// The last id the ledger took.
        last: TransactionId,
        /// The id given.
        given: TransactionId,
    },
    /// A settlement transaction given to [`crate::Ledger::post`]: only closing a window posts
    /// one.
    #[error("settlement transactions are posted by closing a window only")]
    SettlementNotPostable,
    /// A window closed before it opened.
    #[error("a window opened at {opened_at_ms} ms cannot close at {closed_at_ms} ms")]
    ClosedBeforeOpened {
        /// When the window opened (Unix ms).
        opened_at_ms: u64,
        /// The closing time given (Unix ms).
        closed_at_ms: u64,
    },
    /// A sum of amounts or a balance that would not fit its type.
    #[error("an amount or balance overflows")]
    Overflow,
    /// A ledger, window or report read back (JSON) whose figures do not agree.
    #[error("stored ledger data does not hold together: {0}")]
    InconsistentState(&'static str),
    /// A ledger read back (JSON) whose debits and credits do not balance.
    #[error("ledger state does not balance: debits {debits_fen} fen, credits {credits_fen} fen")]
    InconsistentLedger {
        /// Sum of all debits.
        debits_fen: u128,
        /// Sum of all credits.
        credits_fen: u128,
    },

    // Close the window first.
    /// The open window has [`crate::WINDOW_LINES_MAX`] lines (participant × batch × account).
    #[error("the open window is full ({lines} lines); close it and post again")]
    WindowFull {
        /// Lines in the window.
        lines: usize,
    },
}

impl LedgerError {
    /// What the caller does about this error.
    pub fn kind(&self) -> LedgerErrorKind {
        match self {
            LedgerError::ZeroParticipantId
            | LedgerError::BadReference { .. }
            | LedgerError::FeeRateTooHigh { .. }
            | LedgerError::WrongRecordType { .. }
            | LedgerError::Unbalanced { .. }
            | LedgerError::TooManyEntries { .. }
            | LedgerError::InconsistentTransaction { .. }
            | LedgerError::TransactionIdNotIncreasing { .. }
            | LedgerError::SettlementNotPostable
            | LedgerError::ClosedBeforeOpened { .. }
            | LedgerError::Overflow
            | LedgerError::InconsistentState(_)
            | LedgerError::InconsistentLedger { .. } => LedgerErrorKind::RejectInput,
            LedgerError::WindowFull { .. } => LedgerErrorKind::CloseWindowFirst,
        }
    }
}

/// `Amount` sums go through here so an overflow is always the same error.
pub(crate) fn overflow<T>(value: Option<T>) -> Result<T, LedgerError> {
    value.ok_or(LedgerError::Overflow)
}
