//! A load's TAC arriving online: the terminal's confirmation after CREDIT FOR LOAD.
//!
//! The confirmation is the load's record, built from the authorization and the TAC, decided
//! exactly like a batch record uploaded by the requester: its TAC verified through the key
//! store, deduplicated, the authorization posted, the shadow balance and online counter
//! moved. So the confirmation and the later batch record of the same load cannot both count:
//! whichever comes second is a `duplicate`.

use jinka_record::TransactionRecord;

use crate::error::ClearingError;
use crate::ingest::{IngestOutcome, decide_records};
use crate::key_store::KeyStore;
use crate::load_book::LoadAuthorization;
use crate::view::IngestView;

/// A decided confirmation: the load's record and the outcome of deciding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    /// The load's record (store it with the outcome, as a batch's record).
    pub record: TransactionRecord,
    /// Its one decision and the changes: accepted (the authorization posted), `bad_tac`,
    /// `duplicate` (confirmed before, or its batch record came first), or another reason.
    pub outcome: IngestOutcome,
}

/// Decides the confirmation of `authorization` by the card's `tac`, as a one-record batch of
/// its requester. Apply the outcome as a batch's.
pub fn confirm_load<V, K>(
    authorization: &LoadAuthorization,
    tac: [u8; 4],
    view: &V,
    keys: &K,
) -> Result<Confirmation, ClearingError>
where
    V: IngestView + ?Sized,
    K: KeyStore + ?Sized,
{
    let record = authorization.confirmation_record(tac)?;
    let outcome = decide_records(authorization.requester, &[Ok(record)], view, keys)?;
    Ok(Confirmation { record, outcome })
}
