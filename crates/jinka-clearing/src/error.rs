//! The crate's one error enum.
//!
//! Errors are not decisions: a record rejected with a reason code or a load refused is an
//! `Ok` outcome the hub records and answers. An error means the decision could not be made.

use jinka_record::RecordError;

use crate::identifiers::Asn;
use crate::key_store::KeyId;

/// Why a decision could not be made, grouped by what the caller does about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClearingError {
    // Reject the input (a 4xx answer); retrying the same input fails the same way.
    /// A batch id or request id is empty, too long or not printable ASCII.
    #[error("`{field}` must be 1 to 64 printable ASCII characters")]
    InvalidIdentifier {
        /// Which identifier.
        field: &'static str,
    },
    /// A batch holds more records than one decision (and one database transaction) takes.
    #[error("a batch holds at most {max} records, not {records}")]
    BatchTooLarge {
        /// Records in the batch.
        records: usize,
        /// [`crate::BATCH_RECORDS_MAX`].
        max: usize,
    },
    /// Load limits that contradict each other or the card's balance limit.
    #[error("load limits: {0}")]
    InvalidLimits(&'static str),
    /// An ATC range whose first value is past its last.
    #[error("an ATC range runs from its first to its last value")]
    InvalidAtcRange,
    /// The key store holds no key of this issuer, version and profile.
    #[error("no key of issuer {}, version {}, profile {}", .0.issuer_id, .0.key_version, .0.profile.name())]
    UnknownKey(KeyId),
    /// Two master key sets with the same issuer, version and profile.
    #[error("two key sets of issuer {}, version {}, profile {}", .0.issuer_id, .0.key_version, .0.profile.name())]
    DuplicateKey(KeyId),
    /// The fields of a record built by the hub (a load confirmation) do not make a record.
    #[error("not a transaction record: {0}")]
    Record(#[from] RecordError),

    // Retry later: nothing was decided.
    /// The key store (an HSM, say) could not answer.
    #[error("key store unavailable: {0}")]
    KeyStoreUnavailable(String),

    // A bug or corrupt stored state: stop, do not limp on.
    /// The hub's state as the view shows it breaks one of its own invariants.
    #[error("inconsistent hub state: {0}")]
    InconsistentState(&'static str),
    /// A shadow balance left the range of `i64` fen.
    #[error("shadow balance of card {0} overflows")]
    ShadowBalanceOverflow(Asn),
}
