//! The clearing centre's decision core (`hub.md` § Flows): what the hub decides about
//! uploaded records and load requests, with no SQL, no I/O and no clock. The storage layer
//! reads the hub's state through small views, calls these functions, and applies the plain
//! values they return in one database transaction.
//!
//! - Keys: [`KeyStore`], the two issuer-side operations ([`KeyStore::verify_tac`],
//!   [`KeyStore::load_mac2`]) named by a [`KeyId`], so an HSM can answer without exporting a
//!   key; [`MemoryKeyStore`] holds [`MasterKeys`] in memory and caches each card's TAC key.
//! - Offline batch ingest: [`decide_batch`] gives one [`Decision`] per record of a [`Batch`]
//!   (accepted with [`Flags`], or rejected with a [`RejectReason`]) and the [`IngestChanges`]
//!   (card shadow balances and counter gaps as [`CardChange`]s, load [`LoadTransition`]s),
//!   reading the hub through [`IngestView`]. The rules: [`decide_batch`] (check order, flags,
//!   shadow balance), [`CounterState`] (gaps), [`link_holds`] (balance discontinuity).
//! - Online load: [`authorize_load`] checks a [`LoadRequest`] against a [`LoadContext`]
//!   (card, terminal, [`LoadLimits`]) and the [`LoadBook`] (idempotency by [`RequestId`]),
//!   and answers a [`LoadDecision`]: MAC2 with a pending [`LoadAuthorization`], or a
//!   [`LoadRefusal`] (rules at [`authorize_load`]). [`confirm_load`] decides the card's TAC
//!   like an uploaded record; [`resolve_unconfirmed`] resolves a load whose TAC never came,
//!   from the counter chain.
//! - [`MemoryView`]: the hub's state in memory (tests, simulation), and the reference for
//!   applying outcomes.
//!
//! ```
//! use jinka_clearing::*;
//! use jinka_crypto::{Key16, Profile};
//! use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
//!
//! let issuer_id = IssuerId::new([0x31, 0x04, 0, 0, 0, 0, 0, 1]);
//! let keys = MemoryKeyStore::new([MasterKeys {
//!     issuer_id,
//!     key_version: 1,
//!     profile: Profile::Sm4,
//!     load: Key16::from_hex("A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8").unwrap(),
//!     tac: Key16::from_hex("0F1E2D3C4B5A69788796A5B4C3D2E1F0").unwrap(),
//! }])?;
//! let (issuer, acquirer) = (ParticipantId::new(1), ParticipantId::new(2));
//! let asn = Asn::new([0, 0, 0, 0, 0, 0, 0, 1]);
//! let terminal_id = TerminalId::new([0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
//! let mut hub = MemoryView::new();
//! hub.insert_card(CardEntry::issued(asn, issuer, issuer_id, Profile::Sm4));
//! hub.insert_terminal(TerminalEntry { terminal_id, owner: acquirer, region: Region::new(31) });
//! let (date, time) = (Date::from_ymd(2026, 11, 27).unwrap(), Time::from_hms(8, 30, 0).unwrap());
//!
//! // The acquirer uploads the first sm4 purchase of testdata/vectors.json.
//! let purchase = TransactionRecord::new(RecordFields {
//!     asn: asn.bytes(),
//!     issuer_id: issuer_id.bytes(),
//!     kind: TransactionKind::Purchase,
//!     amount_fen: 200,
//!     balance_before_fen: 10_000,
//!     atc: 0,
//!     terminal_id: terminal_id.bytes(),
//!     terminal_serial: Some(1),
//!     date,
//!     time,
//!     key_version: 1,
//!     algorithm_id: Profile::Sm4.algorithm_id(),
//!     tac: [0xD4, 0x1C, 0xCE, 0x81],
//! })?;
//! let records = [Ok(purchase)];
//! let batch = Batch { id: &BatchId::new("2026-11-27-0001")?, acquirer, records: &records };
//! let outcome = decide_batch(&batch, &hub, &keys)?;
//! assert_eq!(outcome.decisions, [Decision::Accepted { flags: Flags::NONE }]);
//! hub.apply(&records, &outcome)?;
//! // Uploaded again, it is a duplicate.
//! let again = decide_batch(&batch, &hub, &keys)?;
//! assert_eq!(again.decisions[0].reason(), Some(RejectReason::Duplicate));
//!
//! // A load of 100 yuan: MAC1 checked, MAC2 given, pending until the card's TAC comes.
//! let request = LoadRequest {
//!     request_id: RequestId::new("load-0001")?,
//!     issuer_id,
//!     asn,
//!     key_version: 1,
//!     algorithm_id: Profile::Sm4.algorithm_id(),
//!     balance_before_fen: 9_800,
//!     online_atc: 0,
//!     card_random: [0x12, 0x34, 0x56, 0x78],
//!     mac1: [0x15, 0x48, 0xE6, 0x50],
//!     amount_fen: 10_000,
//!     terminal_id,
//!     date,
//!     time,
//! };
//! let limits = LoadLimits::new(100_000, 1_000_000, 200_000)?;
//! let card = hub.registered_card(asn).cloned();
//! let terminal = hub.registered_terminal(terminal_id).copied();
//! let context = LoadContext {
//!     requester: acquirer,
//!     card: card.as_ref(),
//!     terminal: terminal.as_ref(),
//!     limits: &limits,
//!     loaded_today_fen: 0,
//! };
//! let LoadDecision::Approved(approval) = authorize_load(&request, &context, &hub, &keys)? else {
//!     unreachable!("the vector's MAC1 verifies")
//! };
//! assert_eq!(approval.mac2, [0x2E, 0xB4, 0x1F, 0xDB]);
//! hub.insert_authorization(approval.authorization.clone())?;
//!
//! let confirmation = confirm_load(&approval.authorization, [0x24, 0xBE, 0x66, 0x43], &hub, &keys)?;
//! hub.apply(&[Ok(confirmation.record)], &confirmation.outcome)?;
//! let state = hub.authorization(&request.request_id).map(|a| a.state);
//! assert_eq!(state, Some(LoadState::Posted(PostedBy::Tac)));
//! assert_eq!(hub.registered_card(asn).map(|c| c.shadow_balance_fen), Some(10_000 - 200));
//! # Ok::<(), ClearingError>(())
//! ```

mod chain;
mod counter;
mod decision;
mod error;
mod identifiers;
mod ingest;
mod key_store;
mod load_authorization;
mod load_book;
mod load_confirmation;
mod load_request;
mod load_resolution;
mod memory_key_store;
mod memory_view;
mod registry;
mod view;

pub use chain::{link_holds, loads_bridge};
pub use counter::{AtcPoint, AtcRange, CounterState, CounterStep};
pub use decision::{Decision, FLAGS, Flag, Flags, REJECT_REASONS, RejectReason};
pub use error::ClearingError;
pub use identifiers::{
    Asn, BatchId, IDENTIFIER_BYTES_MAX, IssuerId, ParticipantId, Region, RequestId, TerminalId,
};
pub use ingest::{
    BATCH_RECORDS_MAX, Batch, BatchSummary, CardChange, IngestChanges, IngestOutcome,
    LoadTransition, UploadedRecord, decide_batch,
};
pub use key_store::{KeyId, KeyStore, LoadMac};
pub use load_authorization::{
    LoadApproval, LoadContext, LoadDecision, LoadLimits, LoadRefusal, authorize_load,
};
pub use load_book::{LoadAuthorization, LoadBook, LoadState, PostedBy};
pub use load_confirmation::{Confirmation, confirm_load};
pub use load_request::LoadRequest;
pub use load_resolution::{Evidence, Resolution, ResolvedLoad, resolve_unconfirmed, resolved};
pub use memory_key_store::{MasterKeys, MemoryKeyStore, TAC_KEY_CACHE_ENTRIES_MAX};
pub use memory_view::MemoryView;
pub use registry::{CardEntry, CardStatus, TerminalEntry};
pub use view::{BALANCE_FEN_MAX, ChainPoint, IngestView, LoadPoint, PurchaseIdentity};
