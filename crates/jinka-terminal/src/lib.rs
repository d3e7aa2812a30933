//! The acceptance side of the network: what runs in a shop's POS, a bus validator, a metro
//! gate, a top-up machine.
//!
//! - Every card is reached through [`jinka_apdu::Transport`]: in process (a
//!   [`jinka_card::Card`]), or a PC/SC reader ([`PcscReader`], cargo feature `pcsc`).
//! - [`exchange`] is one command and its typed answer; [`read_directory`] and [`PublicData`]
//!   find and identify the e-purse.

pub mod directory;
pub mod exchange;
pub mod fare;
#[cfg(feature = "pcsc")]
mod pcsc_reader;
pub mod public_data;

pub use directory::{DirectoryEntry, read_directory};
pub use exchange::ExchangeError;
#[cfg(feature = "pcsc")]
pub use pcsc_reader::PcscReader;
pub use public_data::PublicData;
