//! What a terminal must keep durably: completed records, and the debit it sent but never saw
//! answered (a torn transaction), so the next presentation of that card can resolve it.

use jinka_record::{Date, Time, TransactionKind, TransactionRecord};

/// A purchase or load whose final command (DEBIT / CREDIT) was sent but not answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingTransaction {
    /// The card.
    pub asn: [u8; 8],
    /// Its issuer.
    pub issuer_id: [u8; 8],
    /// Purchase, compound purchase or load.
    pub kind: TransactionKind,
    /// Amount in fen.
    pub amount_fen: u32,
    /// Balance the card reported at INITIALIZE.
    pub balance_before_fen: u32,
    /// The counter value of the transaction.
    pub atc: u16,
    /// The SAM's terminal serial (purchases).
    pub terminal_serial: Option<u32>,
    /// Terminal id.
    pub terminal_id: [u8; 6],
    /// Date and time sent to the card.
    pub date: Date,
    /// Time sent to the card.
    pub time: Time,
    /// Key version the card reported.
    pub key_version: u8,
    /// Algorithm id the card reported.
    pub algorithm_id: u8,
}

/// Why the journal could not keep something: the terminal must not answer "approved".
#[derive(Debug, thiserror::Error)]
#[error("terminal journal: {0}")]
pub struct JournalError(pub String);

/// The terminal's durable memory.
pub trait TerminalJournal {
    /// Stores a completed record durably; returns only once it survives a crash.
    fn record(&mut self, record: &TransactionRecord) -> Result<(), JournalError>;
    /// Remembers a transaction about to be sent to the card, durably.
    fn put_pending(&mut self, pending: &PendingTransaction) -> Result<(), JournalError>;
    /// Forgets the pending transaction of this card.
    fn clear_pending(&mut self, asn: &[u8; 8]) -> Result<(), JournalError>;
    /// The pending transaction of this card, if any.
    fn pending(&self, asn: &[u8; 8]) -> Option<PendingTransaction>;
}

/// A journal in memory, for tests and the in-process simulation.
#[derive(Debug, Default)]
pub struct MemoryJournal {
    /// Completed records, oldest first.
    pub records: Vec<TransactionRecord>,
    /// Pending transactions.
    pub pending: Vec<PendingTransaction>,
}

impl TerminalJournal for MemoryJournal {
    fn record(&mut self, record: &TransactionRecord) -> Result<(), JournalError> {
        self.records.push(*record);
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
