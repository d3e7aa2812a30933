//! The e-purse state of an application (PBOC ED/EP, `card.md` § Purchase and § Load).

use serde::{Deserialize, Serialize};

/// The most a balance may hold: 2^31 − 1 fen.
pub const BALANCE_FEN_MAX: u32 = 0x7FFF_FFFF;
/// Bytes of one transaction log record in EF 0x18.
pub const LOG_RECORD_BYTES: usize = 23;
/// Records the cyclic log EF 0x18 keeps.
pub const LOG_RECORDS_MAX: u8 = 10;

/// Transaction type of a load (圈存).
pub const TYPE_LOAD: u8 = 0x02;
/// Transaction type of a purchase (消费).
pub const TYPE_PURCHASE: u8 = 0x06;
/// Transaction type of a compound (CAPP) purchase (复合消费).
pub const TYPE_CAPP_PURCHASE: u8 = 0x09;

/// Balance and counters of an e-purse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purse {
    /// Balance in fen, at most [`BALANCE_FEN_MAX`].
    pub balance_fen: u32,
    /// Online (load) transaction counter.
    pub online_atc: u16,
    /// Offline (purchase) transaction counter.
    pub offline_atc: u16,
    /// Overdraft limit reported by INITIALIZE FOR PURCHASE (3 bytes; jinka allows no overdraft).
    pub overdraft_limit_fen: u32,
    /// The last completed purchase or load, for GET TRANSACTION PROVE.
    pub last: Option<LastTransaction>,
}

/// What GET TRANSACTION PROVE answers for the last transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTransaction {
    /// Transaction type (`02`, `06`, `09`).
    pub kind: u8,
    /// The counter value the transaction used.
    pub atc: u16,
    /// Its MAC2.
    #[serde(with = "hex::serde")]
    pub mac2: [u8; 4],
    /// Its TAC.
    #[serde(with = "hex::serde")]
    pub tac: [u8; 4],
}

impl Purse {
    /// A new purse with zero balance and counters.
    pub const fn new() -> Purse {
        Purse {
            balance_fen: 0,
            online_atc: 0,
            offline_atc: 0,
            overdraft_limit_fen: 0,
            last: None,
        }
    }
}

impl Default for Purse {
    fn default() -> Purse {
        Purse::new()
    }
}

/// One 23-byte log record: ATC(2) overdraft-limit(3) amount(4) type(1) terminal-id(6) date(4)
/// time(3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// The transaction's counter value.
    pub atc: u16,
    /// Overdraft limit at the time.
    pub overdraft_limit_fen: u32,
    /// Amount in fen.
    pub amount_fen: u32,
    /// Transaction type.
    pub kind: u8,
    /// Terminal id.
    pub terminal_id: [u8; 6],
    /// BCD date `YYYYMMDD`.
    pub date: [u8; 4],
    /// BCD time `HHMMSS`.
    pub time: [u8; 3],
}

impl LogRecord {
    /// The record's bytes.
    pub fn to_bytes(&self) -> [u8; LOG_RECORD_BYTES] {
        let mut out = [0u8; LOG_RECORD_BYTES];
        out[0..2].copy_from_slice(&self.atc.to_be_bytes());
        out[2..5].copy_from_slice(&self.overdraft_limit_fen.to_be_bytes()[1..]);
        out[5..9].copy_from_slice(&self.amount_fen.to_be_bytes());
        out[9] = self.kind;
        out[10..16].copy_from_slice(&self.terminal_id);
        out[16..20].copy_from_slice(&self.date);
        out[20..23].copy_from_slice(&self.time);
        out
    }

    /// Parses 23 bytes (for terminals reading the log).
    pub fn from_bytes(bytes: &[u8]) -> Option<LogRecord> {
        let bytes: &[u8; LOG_RECORD_BYTES] = bytes.try_into().ok()?;
        let mut record = LogRecord {
            atc: u16::from_be_bytes([bytes[0], bytes[1]]),
            overdraft_limit_fen: u32::from_be_bytes([0, bytes[2], bytes[3], bytes[4]]),
            amount_fen: u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]),
            kind: bytes[9],
            terminal_id: [0; 6],
            date: [0; 4],
            time: [0; 3],
        };
        record.terminal_id.copy_from_slice(&bytes[10..16]);
        record.date.copy_from_slice(&bytes[16..20]);
        record.time.copy_from_slice(&bytes[20..23]);
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_round_trip() {
        let record = LogRecord {
            atc: 41,
            overdraft_limit_fen: 0x01_0203,
            amount_fen: 5000,
            kind: TYPE_PURCHASE,
            terminal_id: [0, 0, 0, 0, 0, 1],
            date: [0x20, 0x26, 0x12, 0x31],
            time: [0x23, 0x59, 0x59],
        };
        let bytes = record.to_bytes();
        assert_eq!(&bytes[..5], &[0, 41, 1, 2, 3]);
        assert_eq!(LogRecord::from_bytes(&bytes), Some(record));
        assert_eq!(LogRecord::from_bytes(&bytes[..22]), None);
    }
}
