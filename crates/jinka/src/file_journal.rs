//! The terminal's journal on disk: completed records in a `jinka-record-store` log, pending
//! transactions in `pending.json` beside it (written atomically).

use std::path::{Path, PathBuf};

use jinka_record::{Date, Time, TransactionKind, TransactionRecord};
use jinka_record_store::RecordStore;
use jinka_secret_file::Overwrite;
use jinka_terminal::{JournalError, PendingTransaction, TerminalJournal};
use serde::{Deserialize, Serialize};

/// Largest pending file accepted.
const PENDING_BYTES_MAX: u64 = 1024 * 1024;

pub struct FileJournal {
    pub store: RecordStore,
    pending_path: PathBuf,
    pending: Vec<PendingTransaction>,
}

#[derive(Serialize, Deserialize)]
struct PendingWire {
    asn: String,
    issuer_id: String,
    kind: u8,
    amount_fen: u32,
    balance_before_fen: u32,
    atc: u16,
    terminal_serial: Option<u32>,
    terminal_id: String,
    date: String,
    time: String,
    key_version: u8,
    algorithm_id: u8,
}

impl FileJournal {
    pub fn open(directory: &Path, terminal_id: [u8; 6]) -> anyhow::Result<FileJournal> {
        let store = RecordStore::open(directory, terminal_id)?;
        let pending_path = directory.join("pending.json");
        let pending = if pending_path.exists() {
            let bytes = jinka_secret_file::read(&pending_path, PENDING_BYTES_MAX)?;
            let wires: Vec<PendingWire> = serde_json::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", pending_path.display()))?;
            wires
                .iter()
                .map(from_wire)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    anyhow::anyhow!("{}: malformed pending transaction", pending_path.display())
                })?
        } else {
            Vec::new()
        };
        Ok(FileJournal {
            store,
            pending_path,
            pending,
        })
    }

    fn save_pending(&self) -> Result<(), JournalError> {
        let wires: Vec<PendingWire> = self.pending.iter().map(to_wire).collect();
        let text = serde_json::to_vec_pretty(&wires).map_err(|e| JournalError(e.to_string()))?;
        jinka_secret_file::write(&self.pending_path, &text, Overwrite::Allow)
            .map_err(|e| JournalError(e.to_string()))
    }
}

fn to_wire(pending: &PendingTransaction) -> PendingWire {
    PendingWire {
        asn: hex::encode_upper(pending.asn),
        issuer_id: hex::encode_upper(pending.issuer_id),
        kind: pending.kind.code(),
        amount_fen: pending.amount_fen,
        balance_before_fen: pending.balance_before_fen,
        atc: pending.atc,
        terminal_serial: pending.terminal_serial,
        terminal_id: hex::encode_upper(pending.terminal_id),
        date: hex::encode(pending.date.bcd()),
        time: hex::encode(pending.time.bcd()),
        key_version: pending.key_version,
        algorithm_id: pending.algorithm_id,
    }
}

fn from_wire(wire: &PendingWire) -> Option<PendingTransaction> {
    fn bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
        hex::decode(text).ok()?.try_into().ok()
    }
    Some(PendingTransaction {
        asn: bytes(&wire.asn)?,
        issuer_id: bytes(&wire.issuer_id)?,
        kind: TransactionKind::from_code(wire.kind)?,
        amount_fen: wire.amount_fen,
        balance_before_fen: wire.balance_before_fen,
        atc: wire.atc,
        terminal_serial: wire.terminal_serial,
        terminal_id: bytes(&wire.terminal_id)?,
        date: Date::from_bcd(bytes(&wire.date)?).ok()?,
        time: Time::from_bcd(bytes(&wire.time)?).ok()?,
        key_version: wire.key_version,
        algorithm_id: wire.algorithm_id,
    })
}

impl TerminalJournal for FileJournal {
    fn record(&mut self, record: &TransactionRecord) -> Result<(), JournalError> {
        self.store
            .append_durable(*record)
            .map(|_| ())
            .map_err(|e| JournalError(e.to_string()))
    }

    fn put_pending(&mut self, pending: &PendingTransaction) -> Result<(), JournalError> {
        self.pending.retain(|p| p.asn != pending.asn);
        self.pending.push(*pending);
        self.save_pending()
    }

    fn clear_pending(&mut self, asn: &[u8; 8]) -> Result<(), JournalError> {
        let before = self.pending.len();
        self.pending.retain(|p| p.asn != *asn);
        if self.pending.len() == before {
            Ok(())
        } else {
            self.save_pending()
        }
    }

    fn pending(&self, asn: &[u8; 8]) -> Option<PendingTransaction> {
        self.pending.iter().find(|p| p.asn == *asn).copied()
    }
}
