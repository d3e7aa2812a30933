//! The acceptance side of the network: what runs in a shop's POS, a bus validator, a metro
//! gate, a top-up machine.
//!
//! - [`Terminal`] holds a [`jinka_sam::Sam`], a [`TerminalJournal`] and a [`Blacklist`];
//!   its flows are [`Terminal::purchase`], [`Terminal::enter`] / [`Terminal::exit`] (transit),
//!   [`Terminal::load`] (through a [`LoadAuthorizer`]), [`Terminal::balance`],
//!   [`Terminal::history`] and [`Terminal::read_record_with_pin`].
//! - Every card is reached through [`jinka_apdu::Transport`]: in process (a
//!   [`jinka_card::Card`]), or a PC/SC reader (`PcscReader`, cargo feature `pcsc`).
//! - A debit or credit is journaled as pending before it is sent; a card that leaves without
//!   answering is resolved at its next presentation by GET TRANSACTION PROVE
//!   ([`Refusal::Torn`]), so a record is never lost nor taken twice.
//! - The core reads no clock: each flow takes a [`Moment`].

pub mod blacklist;
pub mod directory;
pub mod exchange;
pub mod fare;
pub mod journal;
pub mod load;
#[cfg(feature = "pcsc")]
mod pcsc_reader;
pub mod public_data;
pub mod purchase;
pub mod refusal;
pub mod terminal;
pub mod transit;

pub use blacklist::Blacklist;
pub use directory::{DirectoryEntry, read_directory};
pub use exchange::ExchangeError;
pub use fare::{FareRule, FareTable, TransitRecord};
pub use journal::{JournalError, MemoryJournal, PendingTransaction, TerminalJournal};
pub use load::{AuthorizeError, LoadAuthorizer, LoadRequest, LocalAuthorizer, StartedLoad};
#[cfg(feature = "pcsc")]
pub use pcsc_reader::PcscReader;
pub use public_data::PublicData;
pub use purchase::{Approved, CappRecord};
pub use refusal::Refusal;
pub use terminal::{Moment, PresentedCard, Terminal};
