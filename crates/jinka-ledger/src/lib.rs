//! Clearing and settlement, the money core of the hub (`hub.md` § Clearing, § Settlement).
//! Pure: no I/O, no clock; times and ids come in as arguments, and every type is plain data
//! with a serde form for storage to keep.
//!
//! - **Clearing.** [`post_purchase`] and [`post_load`] turn one accepted
//!   [`jinka_record::TransactionRecord`] into a [`LedgerTransaction`]: balanced double-entry
//!   [`Entry`]s on participants' accounts ([`AccountId`] = [`ParticipantId`] ×
//!   [`AccountKind`]), with the interchange and network fees of a [`FeeSchedule`], and a
//!   [`SourceRef`] back to the record's dedupe key and its batch (or online load).
//! - **Refunds.** [`post_refund`] moves a closed card's balance out of its issuer's card float
//!   into the issuer's `refunds-payable` account (the cardholder is paid back outside the
//!   network).
//! - **The ledger.** [`Ledger::post`] adds a transaction to the account balances and to the one
//!   open settlement window, a [`WindowAccumulator`] that keeps per-line sums, not
//!   transactions, so a window of ten million records closes in bounded memory.
//! - **Settlement.** [`Ledger::close_window`] gives the window's [`SettlementReport`]: each
//!   participant's net [`Position`] (net receiver, net sender or zero; positions sum to zero;
//!   a net debit cap breach is flagged), the [`SettlementLine`]s per participant × batch ×
//!   account that each position sums, as JSON (serde) or CSV
//!   ([`SettlementReport::positions_csv`], [`SettlementReport::lines_csv`]); it posts the
//!   positions to the settlement accounts and opens the next window.
//!
//! Money is [`Amount`] (`u64` fen, never negative: the side of an entry is its direction) or
//! [`NetAmount`] (`i64` fen: positions and net balances), with checked arithmetic.
//!
//! # Chart of accounts
//!
//! Every participant has one account of each kind. The ledger is the network's book of who
//! owes whom, so every account is read from the network's side: a **credit** is a claim the
//! participant gains on the network, a **debit** one it gives up or an obligation it takes on.
//! A participant's net position in a window is the credits minus the debits of all its
//! accounts in that window.
//!
//! | account | whose | credited by | debited by | its balance |
//! |---|---|---|---|---|
//! | `card-float` | issuer | load amount | purchase amount, refund | Σ loads − Σ purchases − Σ refunds: what its cardholders hold, owed to them |
//! | `interchange-income` | issuer | interchange fee | — | interchange earned |
//! | `collected-cash` | load agent | — | load amount | cash taken from cardholders for loads |
//! | `acquired` | acquirer | amount − fees | — | what its terminals' purchases earned it |
//! | `network-fee-income` | network operator | network fee | — | network fees earned |
//! | `refunds-payable` | issuer | a closed card's refund | — | closed cards' balances owed back to their cardholders |
//! | `settlement` | everyone | position paid by a net sender | position paid to a net receiver | settled so far |
//!
//! Each purchase posts Dr issuer `card-float` *a*, Cr acquirer `acquired` *a − i − n*, Cr issuer
//! `interchange-income` *i*, Cr network `network-fee-income` *n*; each load posts Dr load agent
//! `collected-cash` *a*, Cr issuer `card-float` *a*; each refund of a closed card posts Dr
//! issuer `card-float` *a*, Cr issuer `refunds-payable` *a*; closing a window posts each position *p*
//! to the participant's `settlement` account (Dr *p* if positive, Cr −*p* if negative). Hence
//! the invariants (`hub.md` § Invariants 1, 2), which the tests check over random sequences:
//! every transaction balances; Σ debits = Σ credits over all accounts; card float = Σ loads −
//! Σ purchases − Σ refunds; a window's positions sum to zero; after each close every participant's
//! accounts sum to zero.
//!
//! # Fees and rounding
//!
//! A [`FeeRate`] is basis points of the amount plus a fixed part in fen:
//! `fee = min(a, ⌊(a × bp + 5000) / 10000⌋ + fixed)`, the proportional part rounded to the
//! nearest fen with halves up, on integers (`u128`, so never an overflow). The interchange
//! fee is taken first; the network fee is capped at what is left, so fees never exceed the
//! amount and the acquirer's share is never negative.
//!
//! # Worked example
//!
//! Issuer 1, acquirer 2 (also the load agent), network operator 9; interchange 50 bp (0.5 %),
//! network fee 10 bp (0.1 %). A cardholder loads 100.00 yuan at acquirer 2, then buys for
//! 12.50 yuan at one of its terminals.
//!
//! | | entries |
//! |---|---|
//! | load 10000 fen | Dr 2:`collected-cash` 10000; Cr 1:`card-float` 10000 |
//! | purchase 1250 fen: interchange 6.25 → 6, network fee 1.25 → 1 | Dr 1:`card-float` 1250; Cr 2:`acquired` 1243; Cr 1:`interchange-income` 6; Cr 9:`network-fee-income` 1 |
//!
//! Closing the window: issuer 1 is owed 10000 − 1250 + 6 = **8756** (net receiver), acquirer
//! 2 owes 10000 − 1243 = **8757** (net sender: it holds the cash), the network is owed **1**;
//! 8756 − 8757 + 1 = 0. The settlement posts Dr 1:`settlement` 8756, Cr 2:`settlement` 8757,
//! Dr 9:`settlement` 1. Issuer 1's card float stays 8750 = 10000 − 1250.
//!
//! ```
//! use jinka_ledger::{
//!     Amount, BatchId, Direction, FeeRate, FeeSchedule, Ledger, LoadParties, NetAmount,
//!     NetDebitCaps, Origin, BatchRef, ParticipantId, PurchaseParties, Timestamp,
//!     TransactionId, WindowId, post_load, post_purchase,
//! };
//! use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
//!
//! let record = |kind, amount_fen, atc, terminal_serial| {
//!     TransactionRecord::new(RecordFields {
//!         asn: [0, 0, 0, 0, 0, 0, 0, 1],
//!         issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 1],
//!         kind,
//!         amount_fen,
//!         balance_before_fen: 0,
//!         atc,
//!         terminal_id: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66],
//!         terminal_serial,
//!         date: Date::from_ymd(2026, 11, 27).unwrap(),
//!         time: Time::from_hms(8, 30, 0).unwrap(),
//!         key_version: 1,
//!         algorithm_id: 4,
//!         tac: [0; 4],
//!     })
//! };
//! let [issuer, acquirer, network] = [1, 2, 9].map(|id| ParticipantId::new(id).unwrap());
//! let fees = FeeSchedule::flat(
//!     FeeRate::new(50, Amount::ZERO)?,
//!     FeeRate::new(10, Amount::ZERO)?,
//! );
//! let batch_id = BatchId::new("B-0001")?;
//! let mut ledger = Ledger::new(WindowId(1), Timestamp::from_unix_ms(0));
//!
//! let load = record(TransactionKind::Load, 10_000, 0, None).unwrap();
//! let origin = Origin::Batch(BatchRef { acquirer, batch_id: batch_id.clone() });
//! let parties = LoadParties { load_agent: acquirer, issuer };
//! ledger.post(&post_load(TransactionId(1), &load, origin, parties)?)?;
//!
//! let purchase = record(TransactionKind::Purchase, 1250, 0, Some(1)).unwrap();
//! let parties = PurchaseParties { acquirer, issuer, network };
//! let posted = post_purchase(TransactionId(2), &purchase, &batch_id, parties, &fees)?;
//! let amounts: Vec<u64> = posted.entries().iter().map(|entry| entry.amount.fen()).collect();
//! assert_eq!(amounts, [1250, 1243, 6, 1]);
//! ledger.post(&posted)?;
//!
//! let closed = ledger.close_window(
//!     Timestamp::from_unix_ms(86_400_000),
//!     TransactionId(3),
//!     &NetDebitCaps::new(),
//! )?;
//! let nets: Vec<i64> = closed.report.positions().iter().map(|p| p.net().fen()).collect();
//! assert_eq!(nets, [8756, -8757, 1]);
//! assert_eq!(closed.report.positions()[1].direction(), Direction::NetSender);
//! assert_eq!(ledger.card_float(issuer)?, NetAmount::from_fen(8750));
//! assert_eq!(ledger.window().id(), WindowId(2));
//! # Ok::<(), jinka_ledger::LedgerError>(())
//! ```

mod account;
mod amount;
mod entry;
mod error;
mod fee;
mod ledger;
mod participant;
mod posting;
mod reference;
mod report;
mod report_csv;
mod source;
mod timestamp;
mod transaction;
mod window;

pub use account::{AccountBalance, AccountId, AccountKind};
pub use amount::{Amount, NetAmount};
pub use entry::{Entry, Side};
pub use error::{LedgerError, LedgerErrorKind};
pub use fee::{BASIS_POINTS_MAX, FeeRate, FeeSchedule, Fees};
pub use ledger::{Ledger, WindowClose};
pub use participant::ParticipantId;
pub use posting::{LoadParties, PurchaseParties, post_load, post_purchase, post_refund};
pub use reference::{BatchId, LoadId, REFERENCE_BYTES_MAX};
pub use report::{Direction, NetDebitCaps, Position, SettlementLine, SettlementReport};
pub use report_csv::{LINES_CSV_HEADER, POSITIONS_CSV_HEADER};
pub use source::{BatchRef, Counter, LineSource, Origin, RecordKey, SourceRef};
pub use timestamp::Timestamp;
pub use transaction::{LedgerTransaction, PostingKind, TRANSACTION_ENTRIES_MAX, TransactionId};
pub use window::{WINDOW_LINES_MAX, WindowAccumulator, WindowId};
