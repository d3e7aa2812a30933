//! Clearing in the hub: batch ingest, online loads and settlement, over the pure cores
//! (`jinka-clearing` decides, `jinka-ledger` posts and settles) and any storage engine.
//!
//! Each operation is one database transaction ([`crate::store::Store::clearing`]): it reads
//! the hub's state through [`ClearingStorage`] ([`StorageView`] shows it to the decisions),
//! decides, and applies the outcome before the commit, so a crash leaves all of it or none.
//! This module knows no SQL; the engines implement [`ClearingStorage`].
//!
//! - [`ingest_batch`]: `POST /v1/batches` and `/v1/batches/bulk` ([`Upload`]);
//!   [`BatchCommitter`] ingests the uploads waiting together in one transaction.
//! - [`authorize`], [`confirm`], [`resolve_overdue`]: online loads; [`LoadCommitter`]
//!   commits authorizations in groups (`group_commit`, as the batch committer); [`confirm_group`] confirms many loads in one
//!   transaction as cheaply as a batch's records.
//! - [`close_window`], [`report_for`], [`report_csv`]: settlement.
//! - [`KeyTable`]: the unsealed issuer keys the decisions verify with.

mod batch_answer;
mod batch_committer;
mod confirmation_group;
mod group_commit;
mod ingest;
mod key_table;
mod line_origin;
mod load_committer;
mod online_load;
mod outcome;
mod postings;
mod settlement;
pub(crate) mod storage;
mod storage_view;
mod tac_verdicts;
mod upload;

use jinka_clearing::ClearingError;

use crate::error::HubError;

pub(crate) use batch_answer::flag_bits;
pub(crate) use batch_committer::{BatchCommitter, GroupBatch, ingest_group, upload_group_limit};
pub use batch_committer::{UPLOAD_GROUP_MAX, UPLOAD_GROUP_RECORDS_MAX, UPLOAD_QUEUE_MAX};
pub(crate) use confirmation_group::confirm_group;
pub(crate) use group_commit::in_one_transaction;
pub(crate) use ingest::{BatchAnswer, ingest_batch_with_rules};
pub(crate) use key_table::KeyTable;
pub(crate) use line_origin::LineOrigin;
pub(crate) use load_committer::{GroupLoad, LoadCommitter, authorize_group};
pub use load_committer::{LOAD_GROUP_MAX, LOAD_QUEUE_MAX};
pub(crate) use online_load::{Confirmed, LoadToConfirm, authorize, confirm, resolve_overdue};
pub use online_load::{RESOLVE_LOADS_MAX, ResolvedLoads};
pub(crate) use postings::{Postings, account_kind};
pub(crate) use settlement::{CsvTable, close_window, report_csv, report_for};
pub(crate) use storage::ClearingStorage;
pub use upload::BATCH_ID_BYTES_MAX;
pub(crate) use upload::Upload;

/// A decision that could not be made: the key store's trouble can be retried; anything else
/// is the hub's own state or input it built, so a bug.
pub(crate) fn clearing_error(error: ClearingError) -> HubError {
    match error {
        ClearingError::KeyStoreUnavailable(reason) => HubError::Unavailable { reason },
        ClearingError::BatchTooLarge { records, max } => HubError::invalid(
            "records",
            format!("a batch holds at most {max} records, not {records}"),
        ),
        other => HubError::corrupt(format!("clearing: {other}")),
    }
}
