//! The card: persistent memory, the volatile session, and the command dispatcher.

use jinka_apdu::{CommandApdu, StatusWord};

use crate::application::Application;
use crate::entropy::Entropy;
use crate::nvm::{Nvm, PowerLost, Write};

/// What a command handler gives back when it does not succeed.
pub(crate) enum Refusal {
    /// The card answers this status word; nothing changed.
    Status(StatusWord),
    /// The command succeeded with a warning: its data stands, this status word replaces `9000`.
    Warning(StatusWord),
    /// Power was lost in the write path: no answer.
    PowerLost,
}

impl From<StatusWord> for Refusal {
    fn from(status: StatusWord) -> Refusal {
        Refusal::Status(status)
    }
}

impl From<PowerLost> for Refusal {
    fn from(_: PowerLost) -> Refusal {
        Refusal::PowerLost
    }
}

pub(crate) type Answer = Result<(), Refusal>;

/// A purchase or load between INITIALIZE and DEBIT / CREDIT.
pub(crate) enum Pending {
    None,
    Purchase(PendingPurchase),
    Load(PendingLoad),
}

pub(crate) struct PendingPurchase {
    pub(crate) app: u8,
    pub(crate) kind: u8,
    pub(crate) key_index: u8,
    pub(crate) amount_fen: u32,
    pub(crate) terminal_id: [u8; 6],
    pub(crate) random: [u8; 4],
    pub(crate) atc: u16,
}

/// The session key is not kept: CREDIT FOR LOAD derives it again from the load key, the
/// random and the counter (a key schedule in every idle card's session cost more memory
/// than the derivation costs time).
pub(crate) struct PendingLoad {
    pub(crate) app: u8,
    pub(crate) key_index: u8,
    pub(crate) amount_fen: u32,
    pub(crate) terminal_id: [u8; 6],
    pub(crate) atc: u16,
    pub(crate) random: [u8; 4],
}

/// A transit record staged by UPDATE CAPP DATA CACHE, committed with the DEBIT.
///
/// The record is held in a `Vec` of its own length, not an inline array of the longest record:
/// every card in a simulation holds a session, and the `Vec` moves into the DEBIT's
/// [`Write::RecordSlot`] unchanged, so a compound purchase allocates no more than before.
pub(crate) struct StagedCapp {
    pub(crate) file: u8,
    pub(crate) number: u8,
    pub(crate) bytes: Vec<u8>,
}

/// The volatile state of one powered session; lost when power goes.
pub(crate) struct Session {
    /// The selected application (index), or the MF.
    pub(crate) selected: Option<u8>,
    /// The current EF of the selected application (after SELECT by FID).
    pub(crate) current_ef: Option<u8>,
    pub(crate) pin_verified: bool,
    /// The external-authentication key index the terminal proved, if any.
    pub(crate) authenticated: Option<u8>,
    /// The last GET CHALLENGE answer (4 random bytes and 4 zeros when 4 were asked for);
    /// consumed by the next command that checks a MAC or cryptogram over it.
    pub(crate) challenge: Option<[u8; 8]>,
    pub(crate) pending: Pending,
    pub(crate) staged_capp: Option<StagedCapp>,
}

impl Session {
    pub(crate) const fn new() -> Session {
        Session {
            selected: None,
            current_ef: None,
            pin_verified: false,
            authenticated: None,
            challenge: None,
            pending: Pending::None,
            staged_capp: None,
        }
    }
}

/// A multi-application card emulator.
///
/// It answers command APDUs as `card.md` specifies; every state change goes through
/// [`Nvm::commit`]. `E` supplies its randomness.
pub struct Card<E> {
    pub(crate) nvm: Nvm,
    pub(crate) session: Session,
    pub(crate) entropy: E,
    /// Reused buffer of the writes of the command in progress (no allocation per APDU).
    pub(crate) writes: Vec<Write>,
}

impl<E: Entropy> Card<E> {
    /// A card over `nvm`, powered up: an interrupted write is resolved first.
    pub fn new(mut nvm: Nvm, entropy: E) -> Card<E> {
        nvm.recover();
        Card {
            nvm,
            session: Session::new(),
            entropy,
            // Allocated by the first command that writes, then kept (a few entries): a card
            // that never writes holds no buffer.
            writes: Vec::new(),
        }
    }

    /// Power-cycles the card: the session is lost, an interrupted write is resolved.
    pub fn power_on(&mut self) {
        self.nvm.recover();
        self.session = Session::new();
    }

    /// The card leaves the reader's field: what it holds in RAM is gone (the session, and
    /// the buffer of a command's writes, given back to the allocator); its memory stays. A
    /// holder of many idle cards (the simulation's million) keeps only their memories; the
    /// next command that writes allocates the buffer again.
    pub fn power_off(&mut self) {
        self.session = Session::new();
        self.writes = Vec::new();
    }

    /// The card's memory (what a card image saves).
    pub fn nvm(&self) -> &Nvm {
        &self.nvm
    }

    /// The card's memory, to arm a tear in tests.
    pub fn nvm_mut(&mut self) -> &mut Nvm {
        &mut self.nvm
    }

    /// Takes the memory back.
    pub fn into_nvm(self) -> Nvm {
        self.nvm
    }

    /// Takes the memory and the source of randomness back (the card leaves the field).
    pub fn into_parts(self) -> (Nvm, E) {
        (self.nvm, self.entropy)
    }

    /// Answers one command APDU: response data then `SW1 SW2` are appended to `response`.
    /// `Err(PowerLost)` means a tear was armed and fired: the card gave no answer and must be
    /// powered on again (its memory is resolved at power-up).
    pub fn transmit(&mut self, apdu: &[u8], response: &mut Vec<u8>) -> Result<(), PowerLost> {
        let start = response.len();
        let answer = match CommandApdu::parse(apdu) {
            Ok(command) => self.dispatch(&command, response),
            Err(_) => Err(Refusal::Status(StatusWord::WRONG_LENGTH)),
        };
        self.writes.clear();
        match answer {
            Ok(()) => {
                response.extend_from_slice(&StatusWord::OK.to_bytes());
                Ok(())
            }
            Err(Refusal::Warning(status)) => {
                response.extend_from_slice(&status.to_bytes());
                Ok(())
            }
            Err(Refusal::Status(status)) => {
                response.truncate(start);
                response.extend_from_slice(&status.to_bytes());
                Ok(())
            }
            Err(Refusal::PowerLost) => {
                response.truncate(start);
                self.session = Session::new();
                Err(PowerLost)
            }
        }
    }

    fn dispatch(&mut self, command: &CommandApdu<'_>, out: &mut Vec<u8>) -> Answer {
        match (command.cla, command.ins) {
            (0x00, 0xA4) => self.select(command, out),
            (0x00, 0xB0) => self.read_binary(command, out),
            (0x00 | 0x04, 0xD6) => self.update_binary(command),
            (0x00, 0xB2) => self.read_record(command, out),
            (0x00 | 0x04, 0xDC) => self.update_record(command),
            (0x00 | 0x04, 0xE2) => self.append_record(command),
            (0x00, 0x20) => self.verify(command),
            (0x80, 0x5E) => self.change_pin(command),
            (0x00, 0x84) => self.get_challenge(command, out),
            (0x00, 0x82) => self.external_authenticate(command),
            (0x00, 0x88) => self.internal_authenticate(command, out),
            (0x80, 0x50) => self.initialize(command, out),
            (0x80, 0x54) => self.debit_for_purchase(command, out),
            (0x80, 0x52) => self.credit_for_load(command, out),
            (0x80, 0xDC) => self.update_capp_data_cache(command),
            (0x80, 0x5C) => self.get_balance(command, out),
            (0x80, 0x5A) => self.get_transaction_prove(command, out),
            (0x84, 0x1E) => self.application_block(command),
            (0x84, 0x18) => self.application_unblock(command),
            (0x84, 0xE0) => self.create(command),
            (0x84, 0xD4) => self.put_secret(command),
            (0x84, 0xE4) => self.delete_application(command),
            (0x00 | 0x04 | 0x80 | 0x84, _) => Err(StatusWord::INS_NOT_SUPPORTED.into()),
            _ => Err(StatusWord::CLA_NOT_SUPPORTED.into()),
        }
    }

    /// The selected application, or `6985` / `6986` when the MF is selected.
    pub(crate) fn selected(&self) -> Result<(u8, &Application), StatusWord> {
        let index = self
            .session
            .selected
            .ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let app = self
            .nvm
            .state
            .applications
            .get(usize::from(index))
            .ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        Ok((index, app))
    }

    /// Commits the writes gathered in `self.writes`.
    pub(crate) fn commit(&mut self) -> Result<(), PowerLost> {
        self.nvm.commit(&mut self.writes)
    }
}

/// The in-process reader: a card emulator is a card in a reader. A tear armed in a test shows as
/// [`jinka_apdu::TransportError::CardRemoved`], as a card pulled from a real reader would.
impl<E: Entropy> jinka_apdu::Transport for Card<E> {
    fn transmit(
        &mut self,
        command: &[u8],
        response: &mut Vec<u8>,
    ) -> Result<(), jinka_apdu::TransportError> {
        Card::transmit(self, command, response)
            .map_err(|PowerLost| jinka_apdu::TransportError::CardRemoved)
    }
}
