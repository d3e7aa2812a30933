//! Why a store operation failed, grouped by what the caller does about it.

use std::io;
use std::path::PathBuf;

use crate::batch::BatchId;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

/// A failed store operation. Errors about files name the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // The caller's request is refused; the store is unchanged.
    /// [`crate::COMMIT_RECORDS_MAX`] records are waiting: commit before appending more.
    #[error("{records_max} records are waiting to be committed: commit first")]
    CommitFull {
        /// The limit.
        records_max: usize,
    },
    /// The log has reached its size limit: acknowledge uploaded batches and compact.
    #[error(
        "{path}: the record log is full ({bytes_max} bytes); acknowledge uploaded batches and compact it"
    )]
    LogFull {
        /// The log file.
        path: PathBuf,
        /// The limit.
        bytes_max: u64,
    },
    /// No batch of this store has that id.
    #[error("batch {id} was not sealed by this store")]
    UnknownBatch {
        /// The id asked for.
        id: BatchId,
    },
    /// Text that is not a batch id.
    #[error("`{text}` is not a batch id (T, 12 upper-case hex digits, -, at least 6 digits)")]
    MalformedBatchId {
        /// The text (at most 40 characters of it).
        text: String,
    },

    // The store's files cannot be used as they are: an operator must look at them.
    /// The directory holds another terminal's store.
    #[error("{path}: the store of terminal {}, not {}", hex(found), hex(expected))]
    TerminalMismatch {
        /// The log file.
        path: PathBuf,
        /// The terminal it belongs to.
        found: [u8; 6],
        /// The terminal asked for.
        expected: [u8; 6],
    },
    /// Damaged data that is not a torn tail: valid data may follow it, so nothing is dropped.
    #[error("{path}: corrupt at byte {offset}: {reason}")]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// Where the damaged frame starts.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The log is larger than the limit it is opened with allows.
    #[error("{path}: larger than {bytes_max} bytes")]
    TooLarge {
        /// The log file.
        path: PathBuf,
        /// The limit.
        bytes_max: u64,
    },
    /// Another process has the store open.
    #[error("{path}: the store is in use by another process")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },

    // Input/output failed: what is durable is decided by recovery at the next open.
    /// A read, write or sync failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A write or sync failed earlier: whether it reached the disk is unknown, so the store
    /// refuses further work until it is opened again and recovery has read the file.
    #[error("{path}: an earlier write failed; open the store again")]
    NeedsReopen {
        /// The log file.
        path: PathBuf,
    },
    /// Writing a new or compacted log failed.
    #[error(transparent)]
    File(#[from] jinka_secret_file::FileError),
}
