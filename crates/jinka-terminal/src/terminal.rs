//! The terminal: a SAM, a journal, a blacklist, and the steps every flow starts with.

use jinka_apdu::{StatusWord, Transport};
use jinka_card::{Aid, E_PURSE_AID, LogRecord};
use jinka_record::{Date, Time, TransactionRecord};
use jinka_sam::{APPLICATION_BLOCK_HEADER, BlockRequest, Sam};

use crate::blacklist::Blacklist;
use crate::exchange::{ExchangeError, command, exchange, exchange_fixed, exchange_status};
use crate::journal::{PendingTransaction, TerminalJournal};
use crate::public_data::PublicData;
use crate::read_directory;
use crate::refusal::Refusal;

/// When a transaction happens: the terminal's clock, given to each flow (the core reads no
/// clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    /// Date.
    pub date: Date,
    /// Time.
    pub time: Time,
}

/// The card as the terminal found it, its e-purse selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresentedCard {
    /// EF 0x15.
    pub public: PublicData,
    /// A torn transaction of this card the terminal resolved on this presentation.
    pub recovered: Option<TransactionRecord>,
}

/// A terminal with its SAM and its durable journal.
pub struct Terminal<S, J> {
    pub(crate) sam: S,
    pub(crate) journal: J,
    pub(crate) blacklist: Blacklist,
    pub(crate) accepted: Vec<Aid>,
    pub(crate) response: Vec<u8>,
    pub(crate) apdu: Vec<u8>,
}

impl<S: Sam, J: TerminalJournal> Terminal<S, J> {
    /// A terminal accepting the jinka e-purse.
    pub fn new(sam: S, journal: J) -> Terminal<S, J> {
        let accepted = vec![Aid::new(&E_PURSE_AID).expect("the template AID is valid")];
        Terminal {
            sam,
            journal,
            blacklist: Blacklist::default(),
            accepted,
            response: Vec::with_capacity(64),
            apdu: Vec::with_capacity(64),
        }
    }

    /// Its terminal id (the SAM's).
    pub fn terminal_id(&self) -> [u8; 6] {
        self.sam.terminal_id()
    }

    /// The blacklist, to update.
    pub fn blacklist_mut(&mut self) -> &mut Blacklist {
        &mut self.blacklist
    }

    /// The journal.
    pub fn journal(&self) -> &J {
        &self.journal
    }

    /// The journal, mutably (uploads take batches from it).
    pub fn journal_mut(&mut self) -> &mut J {
        &mut self.journal
    }

    /// The SAM.
    pub fn sam_mut(&mut self) -> &mut S {
        &mut self.sam
    }

    /// Finds the e-purse in the card's directory, selects it, reads EF 0x15, checks the dates,
    /// resolves a torn transaction of this card, and checks the blacklist (blocking a listed
    /// card on the card itself).
    pub fn present(
        &mut self,
        card: &mut impl Transport,
        moment: Moment,
    ) -> Result<PresentedCard, Refusal> {
        let directory = read_directory(card, &mut self.response)?;
        let aid = directory
            .iter()
            .map(|entry| entry.aid)
            .find(|aid| self.accepted.contains(aid))
            .ok_or(Refusal::NoAcceptedApplication)?;
        let select = command(
            &mut self.apdu,
            [0x00, 0xA4, 0x04, 0x00],
            &[aid.as_bytes()],
            Some(0),
        );
        let (_, status) = exchange_status(card, "SELECT e-purse", select, &mut self.response)?;
        match status {
            StatusWord::OK => {}
            StatusWord::SELECTED_FILE_INVALIDATED | StatusWord::APPLICATION_LOCKED => {
                return Err(Refusal::Blocked);
            }
            status => {
                return Err(ExchangeError::Refused {
                    step: "SELECT e-purse",
                    status,
                }
                .into());
            }
        }
        let bytes = exchange(
            card,
            "READ BINARY EF 0x15",
            &[0x00, 0xB0, 0x95, 0x00, 0x1E],
            &mut self.response,
        )?;
        let public = PublicData::parse(bytes).ok_or(Refusal::MalformedPublicData)?;
        if !public.valid_on(moment.date.bcd()) {
            let text = |date: [u8; 4]| date.iter().map(|b| format!("{b:02X}")).collect::<String>();
            return Err(Refusal::Expired {
                start: text(public.start_date),
                expiry: text(public.expiry_date),
            });
        }
        let recovered = match self.journal.pending(&public.asn) {
            Some(pending) => self.resolve_pending(card, &pending)?,
            None => None,
        };
        if self.blacklist.contains(&public.asn) {
            let blocked_on_card = self.block(card, &public).is_ok();
            return Err(Refusal::Blacklisted { blocked_on_card });
        }
        Ok(PresentedCard { public, recovered })
    }

    /// APPLICATION BLOCK with the SAM's MAC over a fresh challenge.
    fn block(&mut self, card: &mut impl Transport, public: &PublicData) -> Result<(), Refusal> {
        let random: [u8; 4] = exchange_fixed(
            card,
            "GET CHALLENGE",
            &[0x00, 0x84, 0x00, 0x00, 0x04],
            &mut self.response,
        )?;
        let challenge = [random[0], random[1], random[2], random[3], 0, 0, 0, 0];
        let key_version = self.purse_key_version(card)?;
        let request = BlockRequest {
            issuer_id: public.issuer_id,
            asn8: public.asn,
            key_version,
            challenge,
            header: APPLICATION_BLOCK_HEADER,
        };
        let mac = self.sam.block_mac(&request)?;
        let block = command(&mut self.apdu, APPLICATION_BLOCK_HEADER, &[&mac], None);
        exchange(card, "APPLICATION BLOCK", block, &mut self.response)?;
        Ok(())
    }

    /// The key version the card's purse keys have, from a zero-amount INITIALIZE FOR
    /// PURCHASE (which changes nothing on the card).
    fn purse_key_version(&mut self, card: &mut impl Transport) -> Result<u8, Refusal> {
        let init = command(
            &mut self.apdu,
            [0x80, 0x50, 0x01, 0x02],
            &[&[0x01], &0u32.to_be_bytes(), &self.sam.terminal_id()],
            Some(0x0F),
        );
        let answer: [u8; 15] =
            exchange_fixed(card, "INITIALIZE FOR PURCHASE", init, &mut self.response)?;
        Ok(answer[9])
    }

    /// Resolves a torn transaction at the card's next presentation: GET TRANSACTION PROVE
    /// gives MAC2 and TAC if the card committed it (the record is stored, never taken
    /// twice); if the card has no proof, its log tells whether it committed at all.
    pub(crate) fn resolve_pending(
        &mut self,
        card: &mut impl Transport,
        pending: &PendingTransaction,
    ) -> Result<Option<TransactionRecord>, Refusal> {
        let prove = command(
            &mut self.apdu,
            [0x80, 0x5A, 0x00, pending.kind.code()],
            &[&pending.atc.to_be_bytes()],
            Some(0x08),
        );
        let (data, status) =
            exchange_status(card, "GET TRANSACTION PROVE", prove, &mut self.response)?;
        if status.is_ok() {
            let proof: [u8; 8] = data.try_into().map_err(|_| ExchangeError::WrongLength {
                step: "GET TRANSACTION PROVE",
                expected: 8,
                got: data.len(),
            })?;
            let tac = [proof[4], proof[5], proof[6], proof[7]];
            let record = crate::purchase::record_of(pending, tac)?;
            self.journal.record(&record)?;
            self.journal.clear_pending(&pending.asn)?;
            return Ok(Some(record));
        }
        if status != StatusWord::PROVE_NOT_AVAILABLE {
            return Err(ExchangeError::Refused {
                step: "GET TRANSACTION PROVE",
                status,
            }
            .into());
        }
        if self.log_shows(card, pending)? {
            return Err(Refusal::ProofLost);
        }
        // The card never committed it: nothing moved, nothing to record.
        self.journal.clear_pending(&pending.asn)?;
        Ok(None)
    }

    /// Whether the card's log holds the pending transaction.
    fn log_shows(
        &mut self,
        card: &mut impl Transport,
        pending: &PendingTransaction,
    ) -> Result<bool, Refusal> {
        Ok(self.history(card)?.iter().any(|record| {
            record.atc == pending.atc
                && record.kind == pending.kind.code()
                && record.amount_fen == pending.amount_fen
                && record.terminal_id == pending.terminal_id
        }))
    }

    /// GET BALANCE of the selected e-purse.
    pub fn balance(&mut self, card: &mut impl Transport) -> Result<u32, Refusal> {
        let balance: [u8; 4] = exchange_fixed(
            card,
            "GET BALANCE",
            &[0x80, 0x5C, 0x00, 0x02, 0x04],
            &mut self.response,
        )?;
        Ok(u32::from_be_bytes(balance))
    }

    /// The selected e-purse's transaction log, newest first.
    pub fn history(&mut self, card: &mut impl Transport) -> Result<Vec<LogRecord>, Refusal> {
        let mut records = Vec::new();
        for number in 1..=jinka_card::LOG_RECORDS_MAX {
            let read = [0x00, 0xB2, number, (jinka_card::LOG_SFI << 3) | 0x04, 0x17];
            let (data, status) =
                exchange_status(card, "READ RECORD log", &read, &mut self.response)?;
            match status {
                StatusWord::OK => records.push(LogRecord::from_bytes(data).ok_or(
                    ExchangeError::WrongLength {
                        step: "READ RECORD log",
                        expected: jinka_card::LOG_RECORD_BYTES,
                        got: data.len(),
                    },
                )?),
                StatusWord::RECORD_NOT_FOUND => break,
                status => {
                    return Err(ExchangeError::Refused {
                        step: "READ RECORD log",
                        status,
                    }
                    .into());
                }
            }
        }
        Ok(records)
    }

    /// Another department's data on the same card: select its application, verify the
    /// cardholder's PIN, read one record of one file.
    pub fn read_record_with_pin(
        &mut self,
        card: &mut impl Transport,
        aid: &Aid,
        pin: &[u8],
        sfi: u8,
        number: u8,
    ) -> Result<Vec<u8>, Refusal> {
        let select = command(
            &mut self.apdu,
            [0x00, 0xA4, 0x04, 0x00],
            &[aid.as_bytes()],
            Some(0),
        );
        exchange(card, "SELECT application", select, &mut self.response)?;
        let verify = command(&mut self.apdu, [0x00, 0x20, 0x00, 0x00], &[pin], None);
        exchange(card, "VERIFY", verify, &mut self.response)?;
        let read = [0x00, 0xB2, number, (sfi << 3) | 0x04, 0x00];
        Ok(exchange(card, "READ RECORD", &read, &mut self.response)?.to_vec())
    }
}
