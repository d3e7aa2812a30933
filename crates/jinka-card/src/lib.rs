//! The multi-application card of `card.md`: an emulator that answers ISO/IEC 7816-4 APDUs.
//!
//! - [`Card`] answers APDUs ([`Card::transmit`]); its randomness comes from an [`Entropy`].
//! - [`Nvm`] is its persistent memory: [`CardState`] plus the write journal. Every state change
//!   goes through [`Nvm::commit`], the one write path, whose fault points tests tear at.
//! - [`Application`]s (ADFs) each hold their own AID, keys, files, PIN and purse; the MF holds
//!   EF.DIR and answers the contactless directory `2PAY.SYS.DDF01`.
//! - [`CardManager`] builds the authenticated management commands that add and remove
//!   applications after issuance; [`Template`] scripts the ready applications; [`issue`] makes
//!   a card.
//! - [`image`] is the versioned file form of a card's memory; [`PackedCard`] a card out of
//!   any reader's field, its memory in one buffer (what a holder of many idle cards keeps).
//!
//! ```
//! use jinka_card::{Card, IssuerKeys, Issuance, SeededEntropy, Template, issue};
//! use jinka_crypto::Profile;
//!
//! let keys = IssuerKeys::generate(Profile::Sm4, 1, [0x31, 0x04, 0, 0, 0, 0, 0, 1], &mut SeededEntropy::new(1));
//! let issuance = Issuance { asn: [0x31, 0x04, 0, 0, 0, 0x01, 0x23, 0x45],
//!                           start_date: [0x20, 0x26, 0x01, 0x01], expiry_date: [0x20, 0x36, 0x01, 0x01] };
//! let nvm = issue(&keys, &issuance, &[(Template::EPurse, &keys)]).unwrap();
//! let mut card = Card::new(nvm, SeededEntropy::new(2));
//! let mut response = Vec::new();
//! card.transmit(&[0x00, 0xA4, 0x04, 0x00, 0x07, 0xD1, 0x56, 0x00, 0x00, 0x01, 0x01, 0x01], &mut response).unwrap();
//! assert_eq!(&response[response.len() - 2..], &[0x90, 0x00]);
//! response.clear();
//! card.transmit(&[0x80, 0x5C, 0x00, 0x02, 0x04], &mut response).unwrap();
//! assert_eq!(response, [0, 0, 0, 0, 0x90, 0x00]);
//! ```

mod access;
mod aid;
mod application;
mod authentication;
mod card;
mod card_manager;
mod entropy;
mod file;
mod file_access;
mod hex_key;
pub mod image;
mod issuer_keys;
mod key;
mod management;
mod nvm;
mod packed;
mod payload;
mod pin;
mod purse;
mod purse_commands;
pub mod secure_messaging;
mod select;
mod templates;
pub mod tlv;

pub use access::Access;
pub use aid::{AID_BYTES_MAX, AID_BYTES_MIN, Aid};
pub use application::{
    APPLICATIONS_MAX, AppKind, AppState, Application, FILES_PER_APPLICATION_MAX,
    KEYS_PER_APPLICATION_MAX,
};
pub use authentication::{AUTHENTICATION_FAILED, CHALLENGE_BYTES};
pub use card::Card;
pub use card_manager::CardManager;
pub use entropy::{Entropy, SeededEntropy};
pub use file::{
    BINARY_BYTES_MAX, Ef, EfBody, RECORD_BYTES_MAX, RECORDS_MAX, Records, Slots, SlotsIter,
};
pub use issuer_keys::{ISSUER_KEYS_FORMAT, IssuerKeys, IssuerKeysError};
pub use key::{AppKey, KeyUsage};
pub use management::{ApplicationSpec, FileContent, FileSpec};
pub use nvm::{CardState, Journal, Nvm, PowerLost, Write};
pub use packed::{PackedCard, PackedMemory};
pub use pin::{PIN_BYTES_MAX, PIN_BYTES_MIN, PIN_TRIES_MAX, Pin, PinValue};
pub use purse::{
    BALANCE_FEN_MAX, LOG_RECORD_BYTES, LOG_RECORDS_MAX, LastTransaction, LogRecord, Purse,
    TYPE_CAPP_PURCHASE, TYPE_LOAD, TYPE_PURCHASE,
};
pub use purse_commands::{BALANCE_LIMIT_EXCEEDED, LOG_SFI};
pub use select::{EF_DIR_FID, EF_DIR_SFI, MF_FID, PPSE_NAME, PSE_NAME};
pub use templates::{
    ACCESS_CONTROL_AID, DEFAULT_PIN, DEFAULT_PIN_TRIES, E_PURSE_AID, Issuance, IssueError,
    PURSE_KEY_INDEX, SOCIAL_SECURITY_AID, Template, blank_card, external_key, internal_key, issue,
    public_data,
};
