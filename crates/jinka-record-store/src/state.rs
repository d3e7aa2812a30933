//! The store's contents in memory, changed only by applying log entries: the same code runs
//! when the store writes an entry and when recovery replays the log, so the two cannot
//! disagree.

use std::collections::HashMap;

use jinka_record::{DedupeKey, TransactionRecord};

use crate::BATCH_RECORDS_MAX;
use crate::batch::{Batch, BatchId, RecordId};
use crate::entry::Entry;

/// A sealed batch: records `first_record .. first_record + count`.
#[derive(Clone, Copy, Debug)]
struct SealedBatch {
    first_record: u64,
    count: u32,
    acknowledged: bool,
}

/// Where an acknowledgement stands.
pub enum AcknowledgementState {
    /// No batch of this store has the id.
    Unknown,
    /// Already acknowledged (or dropped by compaction, which keeps only after the oldest
    /// unacknowledged batch).
    Acknowledged,
    /// Sealed, not yet acknowledged.
    Pending,
}

/// Committed records, batches and acknowledgements of one store.
#[derive(Debug)]
pub struct StoreState {
    terminal_id: [u8; 6],
    /// Id of `records[0]`.
    first_record: u64,
    records: Vec<TransactionRecord>,
    /// First record id for each dedupe key, to make appending the same record twice harmless.
    index: HashMap<DedupeKey, u64>,
    /// Records before this id are in batches.
    batched: u64,
    /// Sequence of `batches[0]`.
    first_sequence: u64,
    batches: Vec<SealedBatch>,
}

impl StoreState {
    /// The state a header entry starts.
    pub fn new(terminal_id: [u8; 6], first_record: u64, first_sequence: u64) -> StoreState {
        StoreState {
            terminal_id,
            first_record,
            records: Vec::new(),
            index: HashMap::new(),
            batched: first_record,
            first_sequence,
            batches: Vec::new(),
        }
    }

    /// The terminal the log belongs to.
    pub fn terminal_id(&self) -> [u8; 6] {
        self.terminal_id
    }

    /// The id the next committed record gets.
    pub fn next_record(&self) -> u64 {
        self.first_record + self.records.len() as u64
    }

    fn next_sequence(&self) -> u64 {
        self.first_sequence + self.batches.len() as u64
    }

    /// Applies an entry read from or written to the log; the error is why it does not follow
    /// from the entries before it.
    pub fn apply(&mut self, entry: Entry) -> Result<(), &'static str> {
        match entry {
            Entry::Header { .. } => Err("a header after the first entry"),
            Entry::Records(records) => {
                self.apply_records(&records);
                Ok(())
            }
            Entry::Seal {
                sequence,
                first_record,
                count,
            } => {
                let end = first_record.checked_add(u64::from(count));
                if sequence != self.next_sequence()
                    || first_record != self.batched
                    || count == 0
                    || count as usize > BATCH_RECORDS_MAX
                    || end.is_none_or(|end| end > self.next_record())
                {
                    return Err("a seal that does not follow the records and batches before it");
                }
                self.batched = first_record + u64::from(count);
                self.batches.push(SealedBatch {
                    first_record,
                    count,
                    acknowledged: false,
                });
                Ok(())
            }
            Entry::Acknowledge { sequence } => {
                let batch = sequence
                    .checked_sub(self.first_sequence)
                    .and_then(|index| self.batches.get_mut(usize::try_from(index).ok()?))
                    .filter(|batch| !batch.acknowledged)
                    .ok_or("an acknowledgement of no pending batch")?;
                batch.acknowledged = true;
                Ok(())
            }
        }
    }

    /// Applies committed records (the commit path, without building an entry).
    pub fn apply_records(&mut self, records: &[TransactionRecord]) {
        for record in records {
            let id = self.next_record();
            self.index.entry(record.dedupe_key()).or_insert(id);
            self.records.push(*record);
        }
    }

    /// The id of a committed record equal to `record`, if there is one.
    pub fn find(&self, record: &TransactionRecord) -> Option<u64> {
        let id = *self.index.get(&record.dedupe_key())?;
        (self.record(id)? == record).then_some(id)
    }

    fn record(&self, id: u64) -> Option<&TransactionRecord> {
        let index = usize::try_from(id.checked_sub(self.first_record)?).ok()?;
        self.records.get(index)
    }

    fn slice(&self, first: u64, count: u64) -> &[TransactionRecord] {
        let start = usize::try_from(first - self.first_record).expect("in memory");
        let end = start + usize::try_from(count).expect("in memory");
        &self.records[start..end]
    }

    /// Committed records not in any batch yet, oldest first.
    pub fn unbatched(&self) -> &[TransactionRecord] {
        self.slice(self.batched, self.next_record() - self.batched)
    }

    /// The sequence and seal entry of the next batch of at most `records_max` records, if
    /// any committed record is in no batch.
    pub fn next_seal(&self, records_max: usize) -> Option<(u64, Entry)> {
        let unbatched = self.next_record() - self.batched;
        let count = unbatched.min(records_max.min(BATCH_RECORDS_MAX) as u64);
        let sequence = self.next_sequence();
        (count > 0).then(|| {
            let count = u32::try_from(count).expect("at most BATCH_RECORDS_MAX");
            let first_record = self.batched;
            let seal = Entry::Seal {
                sequence,
                first_record,
                count,
            };
            (sequence, seal)
        })
    }

    /// Batch `sequence`, if it is in memory.
    pub fn batch(&self, sequence: u64) -> Option<Batch> {
        let index = usize::try_from(sequence.checked_sub(self.first_sequence)?).ok()?;
        let sealed = self.batches.get(index)?;
        Some(self.to_batch(sequence, sealed))
    }

    fn to_batch(&self, sequence: u64, sealed: &SealedBatch) -> Batch {
        Batch {
            id: BatchId::new(self.terminal_id, sequence),
            first_record: RecordId(sealed.first_record),
            records: self
                .slice(sealed.first_record, u64::from(sealed.count))
                .to_vec(),
        }
    }

    /// Sealed, unacknowledged batches, oldest first.
    pub fn pending_batches(&self) -> Vec<Batch> {
        (self.first_sequence..)
            .zip(&self.batches)
            .filter(|(_, sealed)| !sealed.acknowledged)
            .map(|(sequence, sealed)| self.to_batch(sequence, sealed))
            .collect()
    }

    /// Where batch `id` stands.
    pub fn acknowledgement(&self, id: &BatchId) -> AcknowledgementState {
        let sequence = id.sequence();
        if id.terminal_id() != self.terminal_id || sequence == 0 {
            return AcknowledgementState::Unknown;
        }
        match sequence.checked_sub(self.first_sequence) {
            None => AcknowledgementState::Acknowledged,
            Some(index) => match usize::try_from(index)
                .ok()
                .and_then(|i| self.batches.get(i))
            {
                None => AcknowledgementState::Unknown,
                Some(sealed) if sealed.acknowledged => AcknowledgementState::Acknowledged,
                Some(_) => AcknowledgementState::Pending,
            },
        }
    }

    /// The entries of a log holding the same pending batches and unbatched records, without
    /// what every batch up to the oldest unacknowledged one holds; `None` if that is nothing.
    pub fn compacted(&self, records_per_entry: usize) -> Option<Vec<Entry>> {
        let kept = self
            .batches
            .iter()
            .position(|sealed| !sealed.acknowledged)
            .unwrap_or(self.batches.len());
        let first_record = self
            .batches
            .get(kept)
            .map_or(self.batched, |sealed| sealed.first_record);
        let first_sequence = self.first_sequence + kept as u64;
        if first_record == self.first_record && first_sequence == self.first_sequence {
            return None;
        }
        let mut entries = vec![Entry::Header {
            terminal_id: self.terminal_id,
            first_record,
            first_sequence,
        }];
        let records = self.slice(first_record, self.next_record() - first_record);
        for chunk in records.chunks(records_per_entry) {
            entries.push(Entry::Records(chunk.to_vec()));
        }
        let later = (first_sequence..).zip(&self.batches[kept..]);
        for (sequence, sealed) in later.clone() {
            entries.push(Entry::Seal {
                sequence,
                first_record: sealed.first_record,
                count: sealed.count,
            });
        }
        for (sequence, _) in later.filter(|(_, sealed)| sealed.acknowledged) {
            entries.push(Entry::Acknowledge { sequence });
        }
        Some(entries)
    }
}
