//! Transit: an entry tap writes the entry record in EF 0x17 by compound purchase (zero amount,
//! or the missing-exit charge); an exit tap computes the fare and debits it with the exit
//! record, atomically on the card.

use jinka_apdu::{StatusWord, Transport};
use jinka_sam::Sam;

use crate::exchange::exchange_status;
use crate::fare::{FareTable, TransitRecord};
use crate::journal::TerminalJournal;
use crate::purchase::{Approved, CappRecord};
use crate::refusal::Refusal;
use crate::terminal::{Moment, PresentedCard, Terminal};

/// SFI of the transit records file.
pub const TRANSIT_SFI: u8 = 0x17;

/// What a tap writes and charges.
struct TransitTap {
    open: bool,
    station: u16,
    amount_fen: u32,
}

impl<S: Sam, J: TerminalJournal> Terminal<S, J> {
    /// An entry tap at `station`.
    pub fn enter(
        &mut self,
        card: &mut impl Transport,
        table: &FareTable,
        station: u16,
        moment: Moment,
    ) -> Result<Approved, Refusal> {
        let presented = self.present(card, moment)?;
        let previous = self.transit_record(card, table.operator_record)?;
        // A trip never closed pays the missing-exit charge now.
        let amount_fen = if previous.is_some_and(|record| record.open) {
            table.missing_exit_fen
        } else {
            0
        };
        self.tap(
            card,
            &presented,
            table,
            TransitTap {
                open: true,
                station,
                amount_fen,
            },
            moment,
        )
    }

    /// An exit tap at `station`: the fare from the open entry, or the maximum fare without one.
    pub fn exit(
        &mut self,
        card: &mut impl Transport,
        table: &FareTable,
        station: u16,
        moment: Moment,
    ) -> Result<Approved, Refusal> {
        let presented = self.present(card, moment)?;
        let amount_fen = match self.transit_record(card, table.operator_record)? {
            Some(entry) if entry.open => table.fare(entry.station, station)?,
            _ => table.max_fare_fen,
        };
        self.tap(
            card,
            &presented,
            table,
            TransitTap {
                open: false,
                station,
                amount_fen,
            },
            moment,
        )
    }

    /// The compound purchase of a tap: the amount debited with the new transit record.
    fn tap(
        &mut self,
        card: &mut impl Transport,
        presented: &PresentedCard,
        table: &FareTable,
        tap: TransitTap,
        moment: Moment,
    ) -> Result<Approved, Refusal> {
        let record = TransitRecord {
            open: tap.open,
            station: tap.station,
            date: moment.date.bcd(),
            time: moment.time.bcd(),
            terminal_id: self.sam.terminal_id(),
        };
        let bytes = record.to_record(table.operator_record);
        let capp = CappRecord {
            sfi: TRANSIT_SFI,
            number: table.operator_record,
            bytes: &bytes,
        };
        self.debit(card, presented, tap.amount_fen, Some(capp), moment)
    }

    /// The operator's transit record on the card, if it has one.
    fn transit_record(
        &mut self,
        card: &mut impl Transport,
        operator_record: u8,
    ) -> Result<Option<TransitRecord>, Refusal> {
        let read = [0x00, 0xB2, operator_record, (TRANSIT_SFI << 3) | 0x04, 0x00];
        let (data, status) =
            exchange_status(card, "READ RECORD transit", &read, &mut self.response)?;
        match status {
            StatusWord::OK => Ok(TransitRecord::from_record(operator_record, data)),
            StatusWord::RECORD_NOT_FOUND => Ok(None),
            status => Err(crate::exchange::ExchangeError::Refused {
                step: "READ RECORD transit",
                status,
            }
            .into()),
        }
    }
}
