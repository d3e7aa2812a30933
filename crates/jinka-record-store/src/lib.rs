//! A terminal's offline record store: every completed transaction is written durably before
//! the terminal answers "approved", and uploaded in batches that a retry or a late answer can
//! never duplicate or lose.
//!
//! - [`RecordStore`]: a directory holding one append-only log (`records.log`) for one
//!   terminal. [`RecordStore::append`] buffers a [`TransactionRecord`];
//!   [`RecordStore::commit`] writes every buffered record as one frame and `fdatasync`s it
//!   (group commit). **A record is durable only when `commit` returns**, so the terminal
//!   commits before it answers "approved". Several lanes or gates (or a benchmark) may append
//!   several transactions and commit once: one sync per group, not per record, is what makes
//!   100 000 transactions a second possible.
//! - Recovery ([`RecordStore::open`]): each frame carries a length, its complement and an SM3
//!   checksum (module `frame`); a torn tail, the unfinished last commit, is truncated away and
//!   everything before it kept; damage anywhere else is [`StoreError::Corrupt`], naming the
//!   file, and nothing is dropped.
//! - Batches ([`RecordStore::seal_batch`]): the oldest committed records in no batch become
//!   the next [`Batch`], durably, with a stable [`BatchId`] `T<terminal id>-<sequence>`; after
//!   a restart the same id names the same records. [`RecordStore::pending_batches`] lists what
//!   to upload (again, under the same id, after a failed or unanswered upload; the hub
//!   deduplicates by batch id); [`RecordStore::acknowledge`] marks one uploaded, and a late or
//!   repeated answer changes nothing. Batches are consecutive ranges of records, so no record
//!   is in two batches and none is skipped.
//! - [`RecordStore::compact`] drops what acknowledged batches hold; [`StoreLimits`] bounds the
//!   log, and [`COMMIT_RECORDS_MAX`], [`BATCH_RECORDS_MAX`], [`FRAME_BYTES_MAX`] the rest.
//!
//! Limits of this version: the store keeps its records in memory (about twice the log's
//! size); compaction is explicit, never automatic; and a store whose log is lost and created
//! anew starts its batch sequence at 1 again, so its batch ids repeat earlier ones: the hub
//! should refuse a known batch id whose records differ, or the terminal get a new terminal id.
//!
//! Durability: a commit is one `write(2)` and one `fdatasync(2)` of the log; the log and its
//! directory are created through `jinka-secret-file` (temporary file, fsync, rename, fsync of
//! the directory). That holds on a disk that honours flushes; a disk cache that acknowledges
//! writes it has not stored can lose commits on power loss whatever the software does.
//!
//! ```
//! use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
//! use jinka_record_store::{Acknowledgement, RecordStore};
//!
//! let terminal_id = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
//! let purchase = |atc| TransactionRecord::new(RecordFields {
//!     asn: [0, 0, 0, 0, 0, 0, 0, 1],
//!     issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 1],
//!     kind: TransactionKind::Purchase,
//!     amount_fen: 200,
//!     balance_before_fen: 10_000 - 200 * u32::from(atc),
//!     atc,
//!     terminal_id,
//!     terminal_serial: Some(u32::from(atc) + 1),
//!     date: Date::from_ymd(2026, 11, 27).unwrap(),
//!     time: Time::from_hms(8, 30, 0).unwrap(),
//!     key_version: 1,
//!     algorithm_id: 4,
//!     tac: [0xD4, 0x1C, 0xCE, 0x81],
//! }).unwrap();
//!
//! let directory = tempfile::tempdir().unwrap();
//! let mut store = RecordStore::open(directory.path(), terminal_id)?;
//! // Two gates' transactions, one commit; only then may the terminal answer "approved".
//! store.append(purchase(0))?;
//! store.append(purchase(1))?;
//! store.commit()?;
//!
//! let batch = store.seal_batch(1000)?.expect("two committed records");
//! assert_eq!(batch.id.to_string(), "T112233445566-000001");
//! drop(store);
//!
//! // After a restart the batch is still pending, with the same id and records.
//! let mut store = RecordStore::open(directory.path(), terminal_id)?;
//! assert_eq!(store.pending_batches(), [batch.clone()]);
//! assert_eq!(store.acknowledge(&batch.id)?, Acknowledgement::Recorded);
//! assert_eq!(store.acknowledge(&batch.id)?, Acknowledgement::AlreadyRecorded);
//! assert!(store.pending_batches().is_empty());
//! # Ok::<(), jinka_record_store::StoreError>(())
//! ```

mod batch;
mod entry;
mod error;
mod frame;
mod state;
mod store;

pub use batch::{Acknowledgement, Batch, BatchId, RecordId};
pub use entry::{LOG_FORMAT_VERSION, LOG_MAGIC};
pub use error::StoreError;
pub use frame::{FRAME_BYTES_MAX, FRAME_HEADER_BYTES, FRAME_PAYLOAD_BYTES_MAX};
pub use jinka_record::TransactionRecord;
pub use store::{
    BATCH_RECORDS_MAX, COMMIT_RECORDS_MAX, Compaction, LOCK_FILE_NAME, LOG_BYTES_MAX_DEFAULT,
    LOG_FILE_NAME, RecordStore, Recovery, StoreLimits,
};
