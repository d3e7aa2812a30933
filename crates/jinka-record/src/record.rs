//! The transaction record: everything `hub.md` § Offline batch ingest lists, typed.

use jinka_crypto::{MacKey, Profile, mac_eq};

use crate::date_time::{Date, Time};
use crate::error::RecordError;
use crate::kind::{CounterKind, TransactionKind};
use crate::tac_input::TacInput;

/// The fields of a record, unchecked: what a terminal has after a transaction, before
/// [`TransactionRecord::new`] checks that they belong together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordFields {
    /// ASN8: the card serial its keys are diversified by.
    pub asn: [u8; 8],
    /// Issuer id from the card's EF 0x15.
    pub issuer_id: [u8; 8],
    /// Transaction type.
    pub kind: TransactionKind,
    /// Amount in fen.
    pub amount_fen: u32,
    /// Balance on the card before the transaction, in fen.
    pub balance_before_fen: u32,
    /// The counter value the transaction used: the offline ATC for purchases, the online ATC
    /// for loads (the value INITIALIZE answered, before the card incremented it).
    pub atc: u16,
    /// Terminal id (6 bytes).
    pub terminal_id: [u8; 6],
    /// The terminal (SAM) transaction serial a purchase's TAC covers; `None` for a load, whose
    /// card-side transaction has no terminal serial.
    pub terminal_serial: Option<u32>,
    /// Transaction date.
    pub date: Date,
    /// Transaction time.
    pub time: Time,
    /// Key version the card reported.
    pub key_version: u8,
    /// Algorithm id the card reported (`00` des3, `04` sm4).
    pub algorithm_id: u8,
    /// The card's TAC over [`TransactionRecord::tac_input`].
    pub tac: [u8; 4],
}

/// A completed purchase, compound purchase or load, as a terminal stores it and the hub
/// ingests it. Its fields belong together: a purchase carries a terminal serial and a load
/// does not; a load's new balance fits the 4 bytes its TAC covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TransactionRecord(RecordFields);

/// What the hub deduplicates accepted records by: (ASN, counter kind, ATC). A card never uses
/// one counter value twice, so a second record with the same key is a replay (`duplicate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DedupeKey {
    /// The card.
    pub asn: [u8; 8],
    /// Which of its counters.
    pub counter_kind: CounterKind,
    /// The counter value.
    pub atc: u16,
}

impl TransactionRecord {
    /// Checks that `fields` make a record.
    pub fn new(fields: RecordFields) -> Result<TransactionRecord, RecordError> {
        match (fields.kind.is_purchase(), fields.terminal_serial) {
            (true, None) => return Err(RecordError::MissingTerminalSerial),
            (false, Some(_)) => return Err(RecordError::TerminalSerialOnLoad),
            _ => {}
        }
        if fields.kind == TransactionKind::Load
            && fields
                .balance_before_fen
                .checked_add(fields.amount_fen)
                .is_none()
        {
            return Err(RecordError::BalanceOverflow {
                balance_before_fen: fields.balance_before_fen,
                amount_fen: fields.amount_fen,
            });
        }
        Ok(TransactionRecord(fields))
    }

    /// All the fields (a copy): change one and call [`TransactionRecord::new`] again.
    pub const fn fields(&self) -> RecordFields {
        self.0
    }

    /// ASN8.
    pub const fn asn(&self) -> [u8; 8] {
        self.0.asn
    }

    /// Issuer id.
    pub const fn issuer_id(&self) -> [u8; 8] {
        self.0.issuer_id
    }

    /// Transaction type.
    pub const fn kind(&self) -> TransactionKind {
        self.0.kind
    }

    /// Amount in fen.
    pub const fn amount_fen(&self) -> u32 {
        self.0.amount_fen
    }

    /// Balance before, in fen.
    pub const fn balance_before_fen(&self) -> u32 {
        self.0.balance_before_fen
    }

    /// The counter value the transaction used.
    pub const fn atc(&self) -> u16 {
        self.0.atc
    }

    /// Terminal id.
    pub const fn terminal_id(&self) -> [u8; 6] {
        self.0.terminal_id
    }

    /// Terminal serial: `Some` for purchases, `None` for loads.
    pub const fn terminal_serial(&self) -> Option<u32> {
        self.0.terminal_serial
    }

    /// Date.
    pub const fn date(&self) -> Date {
        self.0.date
    }

    /// Time.
    pub const fn time(&self) -> Time {
        self.0.time
    }

    /// Key version.
    pub const fn key_version(&self) -> u8 {
        self.0.key_version
    }

    /// Algorithm id.
    pub const fn algorithm_id(&self) -> u8 {
        self.0.algorithm_id
    }

    /// TAC.
    pub const fn tac(&self) -> [u8; 4] {
        self.0.tac
    }

    /// The cryptographic profile of the algorithm id, if it is one of ours.
    pub const fn profile(&self) -> Option<Profile> {
        Profile::from_algorithm_id(self.0.algorithm_id)
    }

    /// The counter the transaction used: offline for purchases, online for loads.
    pub const fn counter_kind(&self) -> CounterKind {
        self.0.kind.counter_kind()
    }

    /// (ASN, counter kind, ATC): the key the hub deduplicates by.
    pub const fn dedupe_key(&self) -> DedupeKey {
        DedupeKey {
            asn: self.0.asn,
            counter_kind: self.counter_kind(),
            atc: self.0.atc,
        }
    }

    /// A load's balance after the credit. `None` for purchases.
    pub fn new_balance_fen(&self) -> Option<u32> {
        match self.0.kind {
            // `new` checked that the sum fits.
            TransactionKind::Load => self.0.balance_before_fen.checked_add(self.0.amount_fen),
            TransactionKind::Purchase | TransactionKind::CappPurchase => None,
        }
    }

    /// The bytes the card's TAC covers (`card.md`):
    /// - purchase (DEBIT FOR PURCHASE): `amount(4) type(1) terminal-id(6) terminal-serial(4)
    ///   date(4) time(3)`;
    /// - load (CREDIT FOR LOAD): `new-balance(4) online-ATC(2) amount(4) type(1)
    ///   terminal-id(6) date(4) time(3)`, new balance = balance before + amount.
    pub fn tac_input(&self) -> TacInput {
        let fields = &self.0;
        let kind = [fields.kind.code()];
        let amount = fields.amount_fen.to_be_bytes();
        let date = fields.date.bcd();
        let time = fields.time.bcd();
        match (self.new_balance_fen(), fields.terminal_serial) {
            (Some(new_balance), _) => TacInput::from_parts(&[
                &new_balance.to_be_bytes(),
                &fields.atc.to_be_bytes(),
                &amount,
                &kind,
                &fields.terminal_id,
                &date,
                &time,
            ]),
            // `new` guarantees every purchase a serial; a load never reaches here.
            (None, serial) => TacInput::from_parts(&[
                &amount,
                &kind,
                &fields.terminal_id,
                &serial.unwrap_or(0).to_be_bytes(),
                &date,
                &time,
            ]),
        }
    }

    /// Whether the record's TAC is the card's MAC over [`TransactionRecord::tac_input`] under
    /// `tac_key` (`jinka_crypto::tac_key` of the card's DTK), compared in constant time.
    pub fn verify_tac(&self, tac_key: &MacKey) -> bool {
        let expected = tac_key.mac(&[self.tac_input().as_bytes()]);
        mac_eq(&expected, &self.0.tac)
    }
}

impl TryFrom<RecordFields> for TransactionRecord {
    type Error = RecordError;

    fn try_from(fields: RecordFields) -> Result<TransactionRecord, RecordError> {
        TransactionRecord::new(fields)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn purchase() -> RecordFields {
        RecordFields {
            asn: [0, 0, 0, 0, 0, 0, 0, 1],
            issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 0x01],
            kind: TransactionKind::Purchase,
            amount_fen: 200,
            balance_before_fen: 10_000,
            atc: 0,
            terminal_id: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66],
            terminal_serial: Some(1),
            date: Date::from_ymd(2026, 11, 27).unwrap(),
            time: Time::from_hms(8, 30, 0).unwrap(),
            key_version: 1,
            algorithm_id: 0x04,
            tac: [0xD4, 0x1C, 0xCE, 0x81],
        }
    }

    #[test]
    fn purchases_need_a_serial_and_loads_have_none() {
        let mut fields = purchase();
        fields.terminal_serial = None;
        assert_eq!(
            TransactionRecord::new(fields),
            Err(RecordError::MissingTerminalSerial)
        );
        fields.kind = TransactionKind::Load;
        assert!(TransactionRecord::new(fields).is_ok());
        fields.terminal_serial = Some(0);
        assert_eq!(
            TransactionRecord::new(fields),
            Err(RecordError::TerminalSerialOnLoad)
        );
    }

    #[test]
    fn a_load_whose_new_balance_overflows_is_refused() {
        let mut fields = purchase();
        fields.kind = TransactionKind::Load;
        fields.terminal_serial = None;
        fields.balance_before_fen = u32::MAX - 5;
        fields.amount_fen = 5;
        let record = TransactionRecord::new(fields).unwrap();
        assert_eq!(record.new_balance_fen(), Some(u32::MAX));
        fields.amount_fen = 6;
        assert_eq!(
            TransactionRecord::new(fields),
            Err(RecordError::BalanceOverflow {
                balance_before_fen: u32::MAX - 5,
                amount_fen: 6
            })
        );
        // A purchase's balance before and amount are not added.
        let mut fields = purchase();
        fields.balance_before_fen = u32::MAX;
        fields.amount_fen = u32::MAX;
        assert!(TransactionRecord::new(fields).is_ok());
    }

    #[test]
    fn tac_input_follows_card_md() {
        let record = TransactionRecord::new(purchase()).unwrap();
        assert_eq!(
            record.tac_input().as_bytes(),
            // amount, type 06, terminal, serial, date, time
            hex::decode(concat!(
                "000000C8",
                "06",
                "112233445566",
                "00000001",
                "20261127",
                "083000"
            ))
            .unwrap()
        );
        let mut fields = purchase();
        fields.kind = TransactionKind::Load;
        fields.terminal_serial = None;
        fields.atc = 0x0102;
        let record = TransactionRecord::new(fields).unwrap();
        assert_eq!(
            record.tac_input().as_bytes(),
            // new balance 10200 = 27D8, online ATC 0102, amount, type 02, terminal, date, time
            hex::decode(concat!(
                "000027D8",
                "0102",
                "000000C8",
                "02",
                "112233445566",
                "20261127",
                "083000"
            ))
            .unwrap()
        );
        assert_eq!(record.counter_kind(), CounterKind::Online);
        assert_eq!(
            record.dedupe_key(),
            DedupeKey {
                asn: [0, 0, 0, 0, 0, 0, 0, 1],
                counter_kind: CounterKind::Online,
                atc: 0x0102
            }
        );
    }
}
