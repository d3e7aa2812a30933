//! Purchase and compound purchase (`card.md` § Purchase): INITIALIZE, SAM MAC1, DEBIT, MAC2.

use jinka_apdu::{StatusWord, Transport};
use jinka_record::{RecordFields, TransactionKind, TransactionRecord};
use jinka_sam::{PurchaseRequest, PurchaseType, Sam, SamError};

use crate::exchange::{ExchangeError, command, exchange, exchange_fixed};
use crate::journal::{PendingTransaction, TerminalJournal};
use crate::refusal::Refusal;
use crate::terminal::{Moment, PresentedCard, Terminal};

/// Key index of the purse keys the terminal asks for.
pub const PURSE_KEY_INDEX: u8 = 0x01;

/// A completed transaction and what the terminal resolved on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Approved {
    /// The stored record.
    pub record: TransactionRecord,
    /// The balance after it.
    pub balance_after_fen: u32,
    /// A torn transaction of this card resolved before it.
    pub recovered: Option<TransactionRecord>,
}

/// A transit record to write with a compound purchase: EF SFI, record number, whole record.
#[derive(Clone, Copy, Debug)]
pub struct CappRecord<'a> {
    /// SFI of the transit file (0x17).
    pub sfi: u8,
    /// Record number.
    pub number: u8,
    /// The record.
    pub bytes: &'a [u8],
}

/// The record a pending transaction makes once its TAC is known.
pub fn record_of(pending: &PendingTransaction, tac: [u8; 4]) -> Result<TransactionRecord, Refusal> {
    Ok(TransactionRecord::new(RecordFields {
        asn: pending.asn,
        issuer_id: pending.issuer_id,
        kind: pending.kind,
        amount_fen: pending.amount_fen,
        balance_before_fen: pending.balance_before_fen,
        atc: pending.atc,
        terminal_id: pending.terminal_id,
        terminal_serial: pending.terminal_serial,
        date: pending.date,
        time: pending.time,
        key_version: pending.key_version,
        algorithm_id: pending.algorithm_id,
        tac,
    })?)
}

impl<S: Sam, J: TerminalJournal> Terminal<S, J> {
    /// After a DEBIT or CREDIT without a clean answer (a refusal, garbage, a short answer),
    /// asks the card at once whether it committed: a record is never dropped because an answer
    /// was garbled, and never taken twice. A card that is gone leaves the transaction pending.
    pub(crate) fn settle_unanswered(
        &mut self,
        card: &mut impl Transport,
        presented: &PresentedCard,
        pending: &PendingTransaction,
        error: ExchangeError,
    ) -> Result<Approved, Refusal> {
        if matches!(error, ExchangeError::Transport(_)) {
            return Err(Refusal::Torn);
        }
        match self.resolve_pending(card, pending) {
            Ok(Some(record)) => {
                let balance_after_fen = match pending.kind {
                    TransactionKind::Load => pending
                        .balance_before_fen
                        .saturating_add(pending.amount_fen),
                    _ => pending
                        .balance_before_fen
                        .saturating_sub(pending.amount_fen),
                };
                Ok(Approved {
                    record,
                    balance_after_fen,
                    recovered: presented.recovered,
                })
            }
            // The card did not commit: its answer stands.
            Ok(None) => Err(error.into()),
            Err(_) => Err(Refusal::Torn),
        }
    }

    /// A purchase of `amount_fen`: present the card, then [`Terminal::debit`].
    pub fn purchase(
        &mut self,
        card: &mut impl Transport,
        amount_fen: u32,
        moment: Moment,
    ) -> Result<Approved, Refusal> {
        let presented = self.present(card, moment)?;
        self.debit(card, &presented, amount_fen, None, moment)
    }

    /// INITIALIZE FOR (CAPP) PURCHASE, SAM MAC1, (UPDATE CAPP DATA CACHE), DEBIT, MAC2 check,
    /// durable record. The pending transaction is journaled before DEBIT is sent, so a card
    /// that leaves without answering is resolved at its next presentation.
    pub fn debit(
        &mut self,
        card: &mut impl Transport,
        presented: &PresentedCard,
        amount_fen: u32,
        capp: Option<CappRecord<'_>>,
        moment: Moment,
    ) -> Result<Approved, Refusal> {
        let (p1, kind, purchase_type) = match capp {
            Some(_) => (
                0x03,
                TransactionKind::CappPurchase,
                PurchaseType::CappPurchase,
            ),
            None => (0x01, TransactionKind::Purchase, PurchaseType::Purchase),
        };
        let terminal_id = self.sam.terminal_id();
        let init = command(
            &mut self.apdu,
            [0x80, 0x50, p1, 0x02],
            &[&[PURSE_KEY_INDEX], &amount_fen.to_be_bytes(), &terminal_id],
            Some(0x0F),
        );
        let answer: [u8; 15] =
            match exchange_fixed(card, "INITIALIZE FOR PURCHASE", init, &mut self.response) {
                Err(ExchangeError::Refused {
                    status: StatusWord::INSUFFICIENT_BALANCE,
                    ..
                }) => {
                    let balance_fen = self.balance(card)?;
                    return Err(Refusal::InsufficientBalance {
                        balance_fen,
                        amount_fen,
                    });
                }
                other => other?,
            };
        let balance_before_fen = u32::from_be_bytes([answer[0], answer[1], answer[2], answer[3]]);
        if balance_before_fen < amount_fen {
            // A card that should have answered 9401: never send it a DEBIT.
            return Err(Refusal::InsufficientBalance {
                balance_fen: balance_before_fen,
                amount_fen,
            });
        }
        let atc = u16::from_be_bytes([answer[4], answer[5]]);
        let (key_version, algorithm_id) = (answer[9], answer[10]);
        let card_random = [answer[11], answer[12], answer[13], answer[14]];
        let public = &presented.public;
        let request = PurchaseRequest {
            issuer_id: public.issuer_id,
            asn8: public.asn,
            key_version,
            algorithm_id,
            card_random,
            card_atc: atc,
            amount_fen,
            transaction_type: purchase_type,
            date: moment.date.bcd(),
            time: moment.time.bcd(),
        };
        let authorization = self.sam.init_purchase(&request)?;
        if let Some(record) = capp {
            let stage = command(
                &mut self.apdu,
                [0x80, 0xDC, record.number, record.sfi << 3],
                &[record.bytes],
                None,
            );
            exchange(card, "UPDATE CAPP DATA CACHE", stage, &mut self.response)?;
        }
        let pending = PendingTransaction {
            asn: public.asn,
            issuer_id: public.issuer_id,
            kind,
            amount_fen,
            balance_before_fen,
            atc,
            terminal_serial: Some(authorization.terminal_serial),
            terminal_id,
            date: moment.date,
            time: moment.time,
            key_version,
            algorithm_id,
        };
        self.journal.put_pending(&pending)?;
        let serial = authorization.terminal_serial.to_be_bytes();
        let debit = command(
            &mut self.apdu,
            [0x80, 0x54, 0x01, 0x00],
            &[
                &serial,
                &moment.date.bcd(),
                &moment.time.bcd(),
                &authorization.mac1,
            ],
            Some(0x08),
        );
        let answer: [u8; 8] =
            match exchange_fixed(card, "DEBIT FOR PURCHASE", debit, &mut self.response) {
                Ok(answer) => answer,
                Err(error) => return self.settle_unanswered(card, presented, &pending, error),
            };
        let record = record_of(&pending, [answer[0], answer[1], answer[2], answer[3]])?;
        self.journal.record(&record)?;
        self.journal.clear_pending(&public.asn)?;
        let balance_after_fen = balance_before_fen - amount_fen;
        match self
            .sam
            .check_mac2([answer[4], answer[5], answer[6], answer[7]])
        {
            Ok(()) => Ok(Approved {
                record,
                balance_after_fen,
                recovered: presented.recovered,
            }),
            Err(SamError::Mac2Invalid) => Err(Refusal::Mac2Invalid(Box::new(record))),
            Err(other) => Err(other.into()),
        }
    }
}
