//! [`SimJournal`]: a simulated terminal's durable memory, in memory. Besides the records and
//! the pending transactions a terminal keeps, it tags each record with what the simulation
//! knows about it ([`RecordTag`]: whose card, which chip, whether its load was confirmed
//! online), which the audit compares with the hub's decisions. The terminal code never sees
//! the tags.

use jinka_record::TransactionRecord;
use jinka_terminal::{JournalError, PendingTransaction, TerminalJournal};

/// Which chip made a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Chip {
    /// The card its cardholder was issued.
    Original,
    /// A clone of it (the clone fault).
    Clone,
}

/// What the simulation knows of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordTag {
    /// The card (cardholder index).
    pub card: u32,
    /// The chip.
    pub chip: Chip,
    /// The day it was made.
    pub day: u32,
    /// A load whose TAC the terminal confirmed online and the hub posted: its batch record
    /// will be a `duplicate`.
    pub confirmed_online: bool,
}

impl RecordTag {
    /// A record of card `card`'s own chip on `day`.
    pub const fn original(card: u32, day: u32) -> RecordTag {
        RecordTag {
            card,
            chip: Chip::Original,
            day,
            confirmed_online: false,
        }
    }
}

/// Records waiting for upload, with their tags, and the torn transactions to resolve.
#[derive(Debug)]
pub struct SimJournal {
    /// The tag the next records get (set by the simulation before each transaction).
    pub tag: RecordTag,
    /// Records not yet put in a batch, oldest first.
    pub records: Vec<(TransactionRecord, RecordTag)>,
    /// Transactions sent but not answered.
    pub pending: Vec<PendingTransaction>,
}

impl Default for SimJournal {
    fn default() -> SimJournal {
        SimJournal {
            tag: RecordTag::original(0, 0),
            records: Vec::new(),
            pending: Vec::new(),
        }
    }
}

impl TerminalJournal for SimJournal {
    fn record(&mut self, record: &TransactionRecord) -> Result<(), JournalError> {
        self.records.push((*record, self.tag));
        Ok(())
    }

    fn put_pending(&mut self, pending: &PendingTransaction) -> Result<(), JournalError> {
        self.pending.retain(|p| p.asn != pending.asn);
        self.pending.push(*pending);
        Ok(())
    }

    fn clear_pending(&mut self, asn: &[u8; 8]) -> Result<(), JournalError> {
        self.pending.retain(|p| p.asn != *asn);
        Ok(())
    }

    fn pending(&self, asn: &[u8; 8]) -> Option<PendingTransaction> {
        self.pending.iter().find(|p| p.asn == *asn).copied()
    }
}
