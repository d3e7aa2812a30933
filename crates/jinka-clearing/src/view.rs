//! The hub's state as ingest reads it, through [`IngestView`]: an interface the storage layer
//! implements over its database (inside the batch's write transaction) and
//! [`crate::MemoryView`] implements in memory.

use jinka_record::{DedupeKey, TransactionKind, TransactionRecord};

use crate::identifiers::{Asn, TerminalId};
use crate::load_book::LoadBook;
use crate::registry::{CardEntry, TerminalEntry};

/// The largest balance a card can hold, in fen (`card.md`: `balance_fen_max`, 2^31 − 1).
pub const BALANCE_FEN_MAX: u32 = 0x7FFF_FFFF;

/// An accepted record's place in its card's balance chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainPoint {
    /// The balance before.
    pub balance_before_fen: u32,
    /// The balance after: before − amount for a purchase, before + amount for a load.
    pub balance_after_fen: u32,
}

impl ChainPoint {
    /// The record's point, if its balances are ones a card can have: a purchase takes no more
    /// than the balance (the card answers `9401` otherwise), and no balance passes
    /// [`BALANCE_FEN_MAX`].
    pub fn of(record: &TransactionRecord) -> Option<ChainPoint> {
        let before = record.balance_before_fen();
        let after = match record.kind() {
            TransactionKind::Load => before.checked_add(record.amount_fen())?,
            TransactionKind::Purchase | TransactionKind::CappPurchase => {
                before.checked_sub(record.amount_fen())?
            }
        };
        (before <= BALANCE_FEN_MAX && after <= BALANCE_FEN_MAX).then_some(ChainPoint {
            balance_before_fen: before,
            balance_after_fen: after,
        })
    }
}

/// A load of a card as a point of its balance chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LoadPoint {
    /// The online ATC it used.
    pub online_atc: u16,
    /// Balance before.
    pub balance_before_fen: u32,
    /// Balance after.
    pub balance_after_fen: u32,
}

/// What a purchase's TAC authenticates it by: card, terminal, terminal serial. The TAC of a
/// purchase covers the terminal id and serial but not the ATC (`card.md` § Purchase step 4),
/// and a SAM never repeats a serial, so a second accepted purchase with the same identity is a
/// replay whose ATC was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PurchaseIdentity {
    /// The card.
    pub asn: Asn,
    /// The terminal.
    pub terminal_id: TerminalId,
    /// The terminal (SAM) serial.
    pub terminal_serial: u32,
}

impl PurchaseIdentity {
    /// The identity of a purchase; `None` for a load.
    pub fn of(record: &TransactionRecord) -> Option<PurchaseIdentity> {
        record
            .terminal_serial()
            .map(|terminal_serial| PurchaseIdentity {
                asn: Asn::new(record.asn()),
                terminal_id: TerminalId::new(record.terminal_id()),
                terminal_serial,
            })
    }
}

/// What ingest reads of the hub's state. Every answer is as of the start of the batch: the
/// decisions keep their own account of what the batch itself changes.
pub trait IngestView: LoadBook {
    /// The card, if registered. Called once per card per batch.
    fn card(&self, asn: Asn) -> Option<CardEntry>;

    /// The terminal, if registered.
    fn terminal(&self, terminal_id: TerminalId) -> Option<TerminalEntry>;

    /// The balances of the accepted record with this key. Called only for keys the card's
    /// counter state says are used (the neighbours of an arriving record). `None` (a card
    /// registered with a counter already advanced, whose earlier records the hub never saw)
    /// leaves that link unjudged.
    fn accepted(&self, key: &DedupeKey) -> Option<ChainPoint>;

    /// Whether a purchase with this identity was accepted.
    fn purchase_accepted(&self, identity: &PurchaseIdentity) -> bool;

    /// Every load of the card the hub knows happened or may have happened: accepted load
    /// records and authorizations not voided, in any order. Called only when a purchase's
    /// balance before is above its predecessor's balance after (a load must lie between).
    fn known_loads(&self, asn: Asn) -> Vec<LoadPoint>;
}
