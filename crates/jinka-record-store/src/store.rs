//! The record store: one terminal's durable log of transaction records in a directory.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use jinka_record::{DedupeKey, RECORD_BYTES, TransactionRecord};
use jinka_secret_file::Overwrite;

use crate::batch::{Acknowledgement, Batch, BatchId, RecordId};
use crate::entry::{self, Entry};
use crate::error::StoreError;
use crate::frame::{self, Ending, FRAME_HEADER_BYTES};
use crate::state::{AcknowledgementState, StoreState};

/// Records appended and not yet committed, at most: one commit is one frame.
pub const COMMIT_RECORDS_MAX: usize = 4096;
/// Records in one batch, at most.
pub const BATCH_RECORDS_MAX: usize = 10_000;
/// The default of [`StoreLimits::log_bytes_max`]: 64 MiB, about 1.2 million records.
pub const LOG_BYTES_MAX_DEFAULT: u64 = 64 * 1024 * 1024;

/// The log file in the store's directory.
pub const LOG_FILE_NAME: &str = "records.log";
/// The lock file in the store's directory: held while a process has the store open.
pub const LOCK_FILE_NAME: &str = "records.lock";

/// Limits a store is opened with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    /// Appending records stops ([`StoreError::LogFull`]) once the log would pass this size.
    /// Seals and acknowledgements may go on up to twice the size, so that a full store can
    /// still be uploaded, acknowledged and [compacted](RecordStore::compact); a log larger
    /// than twice the size does not open ([`StoreError::TooLarge`]).
    /// The store keeps its records in memory too: about 2 × this many bytes of memory.
    pub log_bytes_max: u64,
}

impl Default for StoreLimits {
    fn default() -> StoreLimits {
        StoreLimits {
            log_bytes_max: LOG_BYTES_MAX_DEFAULT,
        }
    }
}

/// What [`RecordStore::open`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Bytes of a torn tail (an unfinished last commit) that were truncated away.
    pub torn_bytes: u64,
}

/// What [`RecordStore::compact`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compaction {
    /// Log size before.
    pub bytes_before: u64,
    /// Log size after.
    pub bytes_after: u64,
}

/// One terminal's durable, append-only store of transaction records. See the crate docs.
#[derive(Debug)]
pub struct RecordStore {
    path: PathBuf,
    file: File,
    /// Held (locked) for as long as the store is open.
    _lock: File,
    limits: StoreLimits,
    state: StoreState,
    /// Appended, not yet committed.
    pending: Vec<TransactionRecord>,
    pending_index: HashMap<DedupeKey, usize>,
    /// The frame being written, its capacity reused.
    frame: Vec<u8>,
    log_bytes: u64,
    recovery: Recovery,
    /// A write or sync failed: nothing more until the store is opened again.
    failed: bool,
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Bytes of the frame committing `records` records.
fn records_frame_bytes(records: usize) -> u64 {
    (FRAME_HEADER_BYTES + 3 + records * RECORD_BYTES) as u64
}

/// The frames of `entries`, concatenated.
fn frames(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        let start = frame::begin(&mut out);
        entry.write(&mut out);
        frame::finish(&mut out, start);
    }
    out
}

impl RecordStore {
    /// Opens the store in `directory` for `terminal_id`, creating both if absent, with the
    /// default [`StoreLimits`].
    pub fn open(directory: &Path, terminal_id: [u8; 6]) -> Result<RecordStore, StoreError> {
        RecordStore::open_with_limits(directory, terminal_id, StoreLimits::default())
    }

    /// Opens or creates the store, recovering after a crash: a torn tail (the unfinished last
    /// commit) is truncated away and everything before it kept; damage anywhere else is
    /// [`StoreError::Corrupt`], naming the file, and nothing is changed.
    pub fn open_with_limits(
        directory: &Path,
        terminal_id: [u8; 6],
        limits: StoreLimits,
    ) -> Result<RecordStore, StoreError> {
        create_directory(directory)?;
        let lock = lock(&directory.join(LOCK_FILE_NAME))?;
        let path = directory.join(LOG_FILE_NAME);
        if !path.try_exists().map_err(io_error(&path))? {
            let header = Entry::Header {
                terminal_id,
                first_record: 0,
                first_sequence: 1,
            };
            jinka_secret_file::write(&path, &frames(&[header]), Overwrite::Refuse)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_error(&path))?;
        let bytes = read_all(&mut file, &path, limits.log_bytes_max.saturating_mul(2))?;
        let scan = frame::scan(&bytes);
        let log_bytes = match scan.ending {
            Ending::Clean => bytes.len(),
            Ending::Torn { offset } => offset,
            Ending::Corrupt { offset, reason } => {
                return Err(StoreError::Corrupt {
                    path,
                    offset: offset as u64,
                    reason,
                });
            }
        } as u64;
        let state = replay(&path, &scan.frames, terminal_id)?;
        let recovery = Recovery {
            torn_bytes: bytes.len() as u64 - log_bytes,
        };
        if recovery.torn_bytes > 0 {
            file.set_len(log_bytes)
                .and_then(|()| file.sync_all())
                .map_err(io_error(&path))?;
        }
        file.seek(SeekFrom::Start(log_bytes))
            .map_err(io_error(&path))?;
        Ok(RecordStore {
            path,
            file,
            _lock: lock,
            limits,
            state,
            pending: Vec::new(),
            pending_index: HashMap::new(),
            frame: Vec::new(),
            log_bytes,
            recovery,
            failed: false,
        })
    }

    /// Adds a record to the next commit. It is **not durable** until [`RecordStore::commit`]
    /// returns. Appending a record equal to one already appended or committed is harmless: it
    /// returns that record's id and adds nothing (a terminal retrying after a crash).
    pub fn append(&mut self, record: TransactionRecord) -> Result<RecordId, StoreError> {
        self.usable()?;
        if let Some(id) = self.state.find(&record) {
            return Ok(RecordId(id));
        }
        let key = record.dedupe_key();
        let next = self.state.next_record();
        if let Some(&index) = self.pending_index.get(&key)
            && self.pending.get(index) == Some(&record)
        {
            return Ok(RecordId(next + index as u64));
        }
        if self.pending.len() >= COMMIT_RECORDS_MAX {
            return Err(StoreError::CommitFull {
                records_max: COMMIT_RECORDS_MAX,
            });
        }
        if self.log_bytes + records_frame_bytes(self.pending.len() + 1) > self.limits.log_bytes_max
        {
            return Err(StoreError::LogFull {
                path: self.path.clone(),
                bytes_max: self.limits.log_bytes_max,
            });
        }
        self.pending_index.entry(key).or_insert(self.pending.len());
        self.pending.push(record);
        Ok(RecordId(next + self.pending.len() as u64 - 1))
    }

    /// Makes every appended record durable: one frame, one `write`, one `fdatasync`. When it
    /// returns `Ok` the records survive a crash or power loss; the terminal answers
    /// "approved" only after that. On `Err` the store must be opened again
    /// ([`StoreError::NeedsReopen`]) and recovery decides whether the commit landed.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        self.usable()?;
        if self.pending.is_empty() {
            return Ok(());
        }
        self.frame.clear();
        let start = frame::begin(&mut self.frame);
        entry::write_records(&self.pending, &mut self.frame);
        frame::finish(&mut self.frame, start);
        self.write_frame()?;
        self.state.apply_records(&self.pending);
        self.pending.clear();
        self.pending_index.clear();
        Ok(())
    }

    /// [`RecordStore::append`] then [`RecordStore::commit`]: one durable record.
    pub fn append_durable(&mut self, record: TransactionRecord) -> Result<RecordId, StoreError> {
        let id = self.append(record)?;
        self.commit()?;
        Ok(id)
    }

    /// Seals the oldest committed records that are in no batch, at most `records_max` (and
    /// [`BATCH_RECORDS_MAX`]), into the next batch, durably; `None` if there are none. After
    /// a restart the same records are in the batch of the same id.
    pub fn seal_batch(&mut self, records_max: usize) -> Result<Option<Batch>, StoreError> {
        self.usable()?;
        let Some((sequence, seal)) = self.state.next_seal(records_max) else {
            return Ok(None);
        };
        self.write_entry(seal)?;
        Ok(self.state.batch(sequence))
    }

    /// Sealed batches not yet acknowledged, oldest first, with their records: what to
    /// upload, or upload again under the same id.
    pub fn pending_batches(&self) -> Vec<Batch> {
        self.state.pending_batches()
    }

    /// Durably marks batch `id` uploaded (the hub answered for it). A late or repeated
    /// answer for a batch already acknowledged changes nothing; an id this store never sealed
    /// is [`StoreError::UnknownBatch`].
    pub fn acknowledge(&mut self, id: &BatchId) -> Result<Acknowledgement, StoreError> {
        self.usable()?;
        match self.state.acknowledgement(id) {
            AcknowledgementState::Unknown => Err(StoreError::UnknownBatch { id: *id }),
            AcknowledgementState::Acknowledged => Ok(Acknowledgement::AlreadyRecorded),
            AcknowledgementState::Pending => {
                self.write_entry(Entry::Acknowledge {
                    sequence: id.sequence(),
                })?;
                Ok(Acknowledgement::Recorded)
            }
        }
    }

    /// Rewrites the log without the records of acknowledged batches up to the oldest
    /// unacknowledged one (atomically: a new file renamed over the old). Record ids and batch
    /// sequences go on where they were; an acknowledgement for a dropped batch is still
    /// [`Acknowledgement::AlreadyRecorded`]. Uncommitted records stay uncommitted. On `Err`
    /// the store must be opened again (the old log or the new one is in place, both whole).
    ///
    /// Appending a record equal to one that compaction dropped stores it again: the hub
    /// answers it `duplicate`.
    pub fn compact(&mut self) -> Result<Compaction, StoreError> {
        self.usable()?;
        let bytes_before = self.log_bytes;
        let Some(entries) = self.state.compacted(COMMIT_RECORDS_MAX) else {
            return Ok(Compaction {
                bytes_before,
                bytes_after: bytes_before,
            });
        };
        let bytes = frames(&entries);
        self.failed = true; // until the new file is open
        jinka_secret_file::write(&self.path, &bytes, Overwrite::Allow)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(io_error(&self.path))?;
        file.seek(SeekFrom::End(0)).map_err(io_error(&self.path))?;
        let scan = frame::scan(&bytes);
        assert_eq!(scan.ending, Ending::Clean, "a compacted log scans clean");
        self.state = replay(&self.path, &scan.frames, self.state.terminal_id())?;
        self.file = file;
        self.log_bytes = bytes.len() as u64;
        self.failed = false;
        Ok(Compaction {
            bytes_before,
            bytes_after: self.log_bytes,
        })
    }

    /// Committed records in no batch yet, oldest first.
    pub fn unbatched(&self) -> &[TransactionRecord] {
        self.state.unbatched()
    }

    /// The id the next committed record gets: the number of records ever committed.
    pub fn next_record_id(&self) -> RecordId {
        RecordId(self.state.next_record())
    }

    /// Records appended and not yet committed.
    pub fn uncommitted_count(&self) -> usize {
        self.pending.len()
    }

    /// The log's size in bytes.
    pub fn log_bytes(&self) -> u64 {
        self.log_bytes
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening the store recovered.
    pub fn recovery(&self) -> Recovery {
        self.recovery
    }

    /// The terminal whose store this is; its id starts every batch id.
    pub fn terminal_id(&self) -> [u8; 6] {
        self.state.terminal_id()
    }

    fn usable(&self) -> Result<(), StoreError> {
        if self.failed {
            return Err(StoreError::NeedsReopen {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// Writes a seal or acknowledgement durably, then applies it.
    fn write_entry(&mut self, entry: Entry) -> Result<(), StoreError> {
        let frame_bytes = (FRAME_HEADER_BYTES + entry::SMALL_ENTRY_BYTES_MAX) as u64;
        if self.log_bytes + frame_bytes > self.limits.log_bytes_max.saturating_mul(2) {
            return Err(StoreError::LogFull {
                path: self.path.clone(),
                bytes_max: self.limits.log_bytes_max.saturating_mul(2),
            });
        }
        self.frame.clear();
        let start = frame::begin(&mut self.frame);
        entry.write(&mut self.frame);
        frame::finish(&mut self.frame, start);
        self.write_frame()?;
        self.state
            .apply(entry)
            .expect("an entry built from the state follows from it");
        Ok(())
    }

    /// Appends `self.frame` to the log and syncs it; a failure poisons the store.
    fn write_frame(&mut self) -> Result<(), StoreError> {
        let written = self
            .file
            .write_all(&self.frame)
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            self.failed = true;
            return Err(StoreError::Io {
                path: self.path.clone(),
                source,
            });
        }
        self.log_bytes += self.frame.len() as u64;
        Ok(())
    }
}

/// Creates `directory` if absent, durably (its entry in the parent is synced).
fn create_directory(directory: &Path) -> Result<(), StoreError> {
    if directory.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(directory).map_err(io_error(directory))?;
    if let Some(parent) = directory.parent().filter(|p| !p.as_os_str().is_empty()) {
        File::open(parent)
            .and_then(|parent| parent.sync_all())
            .map_err(io_error(parent))?;
    }
    Ok(())
}

/// Opens and locks the lock file, or says who holds it.
fn lock(path: &Path) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io_error(path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: path.to_owned(),
        }),
        Err(TryLockError::Error(source)) => Err(io_error(path)(source)),
    }
}

fn read_all(file: &mut File, path: &Path, bytes_max: u64) -> Result<Vec<u8>, StoreError> {
    let mut bytes = Vec::new();
    file.take(bytes_max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > bytes_max {
        return Err(StoreError::TooLarge {
            path: path.to_owned(),
            bytes_max,
        });
    }
    Ok(bytes)
}

/// The state the frames of a log describe: a header naming `terminal_id`, then entries that
/// each follow from those before.
fn replay(
    path: &Path,
    frames: &[(usize, &[u8])],
    terminal_id: [u8; 6],
) -> Result<StoreState, StoreError> {
    let corrupt = |offset: usize, reason| StoreError::Corrupt {
        path: path.to_owned(),
        offset: offset as u64,
        reason,
    };
    let Some(((first_offset, first), rest)) = frames.split_first() else {
        return Err(corrupt(0, "no header"));
    };
    let mut state = match Entry::read(first).map_err(|reason| corrupt(*first_offset, reason))? {
        Entry::Header {
            terminal_id: found,
            first_record,
            first_sequence,
        } => {
            // Far beyond any real count, and far from overflowing when counted on.
            const COUNTER_MAX: u64 = 1 << 62;
            if first_record > COUNTER_MAX || !(1..=COUNTER_MAX).contains(&first_sequence) {
                return Err(corrupt(*first_offset, "header counters out of range"));
            }
            if found != terminal_id {
                return Err(StoreError::TerminalMismatch {
                    path: path.to_owned(),
                    found,
                    expected: terminal_id,
                });
            }
            StoreState::new(terminal_id, first_record, first_sequence)
        }
        _ => return Err(corrupt(*first_offset, "the first entry is not a header")),
    };
    for (offset, payload) in rest {
        let entry = Entry::read(payload).map_err(|reason| corrupt(*offset, reason))?;
        state
            .apply(entry)
            .map_err(|reason| corrupt(*offset, reason))?;
    }
    Ok(state)
}
