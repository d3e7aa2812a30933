//! The transaction record: what a terminal keeps of every completed purchase, compound
//! purchase and load, and what the hub ingests (`hub.md` § Offline batch ingest). Pure: no I/O.
//!
//! - [`TransactionRecord`]: ASN, issuer id, [`TransactionKind`], amount and balance before
//!   (fen), the ATC the transaction used, terminal id, terminal serial (purchases only), BCD
//!   [`Date`] and [`Time`], key version, algorithm id, TAC. Built from [`RecordFields`] by
//!   [`TransactionRecord::new`], which checks that the fields belong together.
//! - [`TransactionRecord::counter_kind`] and [`TransactionRecord::dedupe_key`]: (ASN,
//!   [`CounterKind`], ATC), what the hub deduplicates by.
//! - [`TransactionRecord::tac_input`] (the exact bytes the card's TAC covers, `card.md`) and
//!   [`TransactionRecord::verify_tac`].
//! - Two encodings: the compact binary form ([`TransactionRecord::encode`] /
//!   [`TransactionRecord::decode`], [`RECORD_BYTES`] bytes, layout in the `binary` module) and
//!   JSON through serde (field names in the `json` module).
//!
//! ```
//! use jinka_crypto::{Key16, Profile, diversify, tac_key};
//! use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
//!
//! // The first sm4 purchase of testdata/vectors.json.
//! let record = TransactionRecord::new(RecordFields {
//!     asn: [0, 0, 0, 0, 0, 0, 0, 1],
//!     issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 1],
//!     kind: TransactionKind::Purchase,
//!     amount_fen: 200,
//!     balance_before_fen: 10_000,
//!     atc: 0,
//!     terminal_id: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66],
//!     terminal_serial: Some(1),
//!     date: Date::from_ymd(2026, 11, 27).unwrap(),
//!     time: Time::from_hms(8, 30, 0).unwrap(),
//!     key_version: 1,
//!     algorithm_id: Profile::Sm4.algorithm_id(),
//!     tac: [0xD4, 0x1C, 0xCE, 0x81],
//! })?;
//!
//! // The issuer side recomputes the TAC under the card's DTK.
//! let master_tac_key = Key16::from_hex("0F1E2D3C4B5A69788796A5B4C3D2E1F0").unwrap();
//! let dtk = diversify(Profile::Sm4, &master_tac_key, &record.asn());
//! assert!(record.verify_tac(&tac_key(Profile::Sm4, &dtk)));
//!
//! // Binary and JSON forms round-trip.
//! assert_eq!(TransactionRecord::decode(&record.encode())?, record);
//! let json = serde_json::to_string(&record).unwrap();
//! assert!(json.contains(r#""type":"purchase","amount":200"#));
//! assert_eq!(serde_json::from_str::<TransactionRecord>(&json).unwrap(), record);
//! # Ok::<(), jinka_record::RecordError>(())
//! ```

mod binary;
mod date_time;
mod error;
mod json;
mod kind;
mod record;
mod tac_input;

pub use binary::{RECORD_BYTES, RECORD_FORMAT_VERSION};
pub use date_time::{Date, Time};
pub use error::RecordError;
pub use kind::{CounterKind, TransactionKind};
pub use record::{DedupeKey, RecordFields, TransactionRecord};
pub use tac_input::{TAC_INPUT_LOAD_BYTES, TAC_INPUT_PURCHASE_BYTES, TacInput};
