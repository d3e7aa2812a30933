//! The e-purse cryptography of `card.md`, in its two profiles.
//!
//! - [`Profile`]: `des3` (algorithm id `00`, two-key 3DES, single-DES MACs as deployed on PBOC
//!   cards) and `sm4` (algorithm id `04`, the national block cipher GB/T 32907).
//! - [`Key16`]: a 16-byte master or card key; masks its `Debug` and zeroizes on drop.
//! - [`diversify`] derives a card key (DPK, DLK, DTK, ...) from an issuer master key and ASN8.
//! - [`session_key`] derives the per-transaction key; [`MacKey`] computes the PBOC MAC
//!   (ISO/IEC 9797-1 padding method 2, IV 0, first 4 bytes) over one or more byte slices.
//! - [`sealing`] seals secrets at rest under a key-encryption key (SM4-CTR + HMAC-SM3).
//! - [`tac_key`] is the key the card computes the TAC with; [`mac_eq`] compares MACs in
//!   constant time.
//!
//! ```
//! use jinka_crypto::{Key16, Profile, diversify, session_key};
//! let master = Key16::from_hex("11223344556677888877665544332211").unwrap();
//! let asn8 = [0, 0, 0, 0, 0, 0, 0, 1];
//! let dpk = diversify(Profile::Sm4, &master, &asn8);
//! // SESPK from card random(4) ‖ offline ATC(2) ‖ terminal serial[2..4]
//! let sespk = session_key(Profile::Sm4, &dpk, &[0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1]);
//! let mac1 = sespk.mac(&[&200u32.to_be_bytes(), &[0x06], &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66],
//!                        &[0x20, 0x26, 0x11, 0x27], &[0x08, 0x30, 0x00]]);
//! assert_eq!(mac1, [0xA9, 0x1B, 0x6C, 0x45]);
//! ```

mod key;
mod mac;
mod profile;
pub mod sealing;

pub use key::{Key16, KeyParseError};
pub use mac::{MacKey, mac_eq};
pub use profile::{Profile, diversify, session_key, tac_key};
