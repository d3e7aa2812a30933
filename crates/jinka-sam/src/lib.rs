//! The terminal's SAM: it holds the purchase (and maintenance) master keys of the issuers whose
//! cards the terminal accepts, the terminal id and the terminal transaction serial, and
//! computes MAC1, checks MAC2 and MACs APPLICATION BLOCK exactly as `card.md` says.
//!
//! - [`Sam`]: the one interface a terminal drives, with [`PurchaseRequest`] →
//!   [`PurchaseAuthorization`], `check_mac2`, and [`BlockRequest`] → MAC. Errors are
//!   [`SamError`], grouped by [`SamErrorKind`]: refuse the card, misuse, SAM fault.
//! - [`SoftwareSam`]: the SAM in software. Its [`SamState`] (terminal id, [`KeyTable`], serial
//!   high-water mark) is made durable through a [`StateStore`] — [`SamFile`] (sealed with
//!   SM4-CTR + HMAC-SM3 under a key-encryption key, or clear with mode 0600) or [`MemoryStore`]
//!   — before any serial is handed out; serials are reserved in blocks.
//! - [`PsamCard`]: a card-form PSAM emulator answering the PSAM APDUs of [`psam_protocol`];
//!   [`PsamClient`] drives any PSAM through a [`jinka_apdu::Transport`] (the emulator, or
//!   jinka-terminal's PC/SC reader), so the terminal code is the same for a real PSAM.
//!
//! Keys never appear in `Debug`, errors or logs.
//!
//! ```
//! use jinka_card::{IssuerKeys, SeededEntropy};
//! use jinka_crypto::{Key16, Profile};
//! use jinka_sam::{
//!     IssuerMasterKeys, KeyTable, MemoryStore, PsamCard, PsamClient, PurchaseRequest,
//!     PurchaseType, Sam, SamState, SoftwareSam,
//! };
//!
//! // The first des3 purchase of testdata/vectors.json.
//! let mut issuer = IssuerKeys::generate(Profile::Des3, 1, [0x31, 0x04, 0, 0, 0, 0, 0, 1],
//!                                       &mut SeededEntropy::new(1));
//! issuer.purchase = Key16::from_hex("11223344556677888877665544332211").unwrap();
//! let keys = KeyTable::new(vec![IssuerMasterKeys::from(&issuer)]).unwrap();
//! let state = SamState::new([0x11, 0x22, 0x33, 0x44, 0x55, 0x66], keys);
//! let request = PurchaseRequest {
//!     issuer_id: issuer.issuer_id, asn8: [0, 0, 0, 0, 0, 0, 0, 1], key_version: 1,
//!     algorithm_id: 0x00, card_random: [0x12, 0x34, 0x56, 0x78], card_atc: 0,
//!     amount_fen: 200, transaction_type: PurchaseType::Purchase,
//!     date: [0x20, 0x26, 0x11, 0x27], time: [0x08, 0x30, 0x00],
//! };
//!
//! // The software SAM…
//! let mut sam = SoftwareSam::new(state.clone(), MemoryStore::new());
//! let authorization = sam.init_purchase(&request).unwrap();
//! assert_eq!((authorization.terminal_serial, authorization.mac1), (1, [0x73, 0xC3, 0x97, 0x54]));
//! sam.check_mac2([0x07, 0x31, 0x0C, 0x25]).unwrap();
//!
//! // …and the same terminal code through a PSAM's APDUs.
//! let psam = PsamCard::new(SoftwareSam::new(state, MemoryStore::new()));
//! let mut sam = PsamClient::connect(psam).unwrap();
//! assert_eq!(sam.terminal_id(), [0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
//! assert_eq!(sam.init_purchase(&request).unwrap(), authorization);
//! assert!(sam.check_mac2([0x07, 0x31, 0x0C, 0x26]).is_err());
//! ```

mod application_block;
mod error;
mod key_table;
mod memory_store;
mod psam_card;
mod psam_client;
pub mod psam_protocol;
mod purchase_session;
mod sam;
mod sam_file;
mod sam_state;
mod sealed;
mod software_sam;
mod store;

pub use error::{SamError, SamErrorKind};
pub use key_table::{IssuerMasterKeys, KEY_SETS_MAX, KeyTable};
pub use memory_store::{InjectedFault, MemoryStore};
pub use psam_card::PsamCard;
pub use psam_client::{GET_RESPONSE_ROUNDS_MAX, InitForm, PsamClient};
pub use sam::{
    APPLICATION_BLOCK_HEADER, BlockRequest, PurchaseAuthorization, PurchaseRequest, PurchaseType,
    Sam, TERMINAL_ID_BYTES,
};
pub use sam_file::{
    Protection, SAM_FILE_BYTES_MAX, SamFile, SamFileError, create_software_sam, load_software_sam,
};
pub use sam_state::{
    SAM_STATE_FORMAT, SAM_STATE_VERSION, SERIAL_END, SERIAL_FIRST, SamState, StateError,
};
pub use sealed::{NONCE_BYTES, SEALED_CIPHER, SEALED_FORMAT, SEALED_VERSION};
pub use software_sam::{SERIAL_BLOCK_DEFAULT, SERIAL_BLOCK_MAX, SoftwareSam};
pub use store::{StateStore, StoreError};
