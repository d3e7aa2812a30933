//! A ledger transaction: the balanced set of entries one accepted record (or one window's
//! settlement) posts, with the reference back to where it came from.
//!
//! There are exactly four shapes, and [`LedgerTransaction::new`] accepts nothing else, so a
//! transaction read back from storage is as sound as one just built:
//!
//! | kind | entries, in order |
//! |---|---|
//! | purchase of `a` | Dr issuer card-float `a`; Cr acquirer acquired `a − i − n`; Cr issuer interchange-income `i`; Cr network network-fee-income `n` |
//! | load of `a` | Dr load agent collected-cash `a`; Cr issuer card-float `a` |
//! | refund of `a` | Dr issuer card-float `a`; Cr the same issuer refunds-payable `a` |
//! | settlement | per participant with a non-zero position `p`: Dr settlement `p` (net receiver) or Cr settlement `−p` (net sender) |
//!
//! A purchase's source is a record of the acquirer's own batch, using the offline counter; a
//! load's is a record using the online counter, from a batch or an online confirmation; a
//! refund's is the closing of a card; a settlement's is the window it closes. Only those
//! shapes touch card float, so card float = Σ loads − Σ purchases − Σ refunds follows from
//! the shapes.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::account::AccountKind;
use crate::amount::Amount;
use crate::entry::{Entry, Side};
use crate::error::LedgerError;
use crate::source::{Counter, Origin, SourceRef};

/// Most entries in one transaction: a settlement has one per participant with a non-zero
/// position, so this is also the most participants a window can settle.
pub const TRANSACTION_ENTRIES_MAX: usize = 65_536;

/// A ledger transaction's id, given by the caller (storage's sequence). Ids increase strictly
/// through the ledger's life, so a transaction posted twice is refused the second time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TransactionId(pub u64);

/// The number.
impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What a transaction posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostingKind {
    /// A purchase or compound purchase record.
    Purchase,
    /// A load record.
    Load,
    /// A closed window's settlement.
    Settlement,
    /// A closed card's balance, refunded to its cardholder.
    Refund,
}

/// A balanced set of entries with its source. Only [`LedgerTransaction::new`] (and
/// deserialization, which calls it) makes one, so every value balances and has one of the
/// four shapes of the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TransactionFields")]
pub struct LedgerTransaction {
    id: TransactionId,
    kind: PostingKind,
    source: SourceRef,
    entries: Vec<Entry>,
}

/// The serialized form of a [`LedgerTransaction`], checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransactionFields {
    id: TransactionId,
    kind: PostingKind,
    source: SourceRef,
    entries: Vec<Entry>,
}

impl TryFrom<TransactionFields> for LedgerTransaction {
    type Error = LedgerError;

    fn try_from(fields: TransactionFields) -> Result<LedgerTransaction, LedgerError> {
        LedgerTransaction::new(fields.id, fields.kind, fields.source, fields.entries)
    }
}

impl LedgerTransaction {
    /// Checks that the entries balance (Σ debits = Σ credits, which fits `u64`) and that
    /// kind, source and entries have one of the shapes of the module docs.
    pub fn new(
        id: TransactionId,
        kind: PostingKind,
        source: SourceRef,
        entries: Vec<Entry>,
    ) -> Result<LedgerTransaction, LedgerError> {
        if entries.len() > TRANSACTION_ENTRIES_MAX {
            return Err(LedgerError::TooManyEntries {
                entries: entries.len(),
            });
        }
        total_of(&entries)?;
        let inconsistent = |reason| LedgerError::InconsistentTransaction { id, reason };
        match kind {
            PostingKind::Purchase => check_purchase(&source, &entries),
            PostingKind::Load => check_load(&source, &entries),
            PostingKind::Settlement => check_settlement(&source, &entries),
            PostingKind::Refund => check_refund(&source, &entries),
        }
        .map_err(inconsistent)?;
        Ok(LedgerTransaction {
            id,
            kind,
            source,
            entries,
        })
    }

    /// The id.
    pub const fn id(&self) -> TransactionId {
        self.id
    }

    /// What it posts.
    pub const fn kind(&self) -> PostingKind {
        self.kind
    }

    /// Where it came from.
    pub const fn source(&self) -> &SourceRef {
        &self.source
    }

    /// The entries, in the order of the module docs.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Σ debits (= Σ credits): for a purchase or load, the record's amount.
    pub fn total(&self) -> Amount {
        // `new` checked that the sum fits.
        self.entries
            .iter()
            .filter(|entry| entry.side == Side::Debit)
            .fold(Amount::ZERO, |sum, entry| {
                Amount::from_fen(sum.fen().saturating_add(entry.amount.fen()))
            })
    }
}

/// Σ debits when it equals Σ credits and fits `u64`.
fn total_of(entries: &[Entry]) -> Result<Amount, LedgerError> {
    let (mut debits, mut credits) = (0u128, 0u128);
    for entry in entries {
        // At most TRANSACTION_ENTRIES_MAX amounts below 2^64: the sums fit u128.
        match entry.side {
            Side::Debit => debits += u128::from(entry.amount.fen()),
            Side::Credit => credits += u128::from(entry.amount.fen()),
        }
    }
    if debits != credits {
        return Err(LedgerError::Unbalanced {
            debits_fen: debits,
            credits_fen: credits,
        });
    }
    u64::try_from(debits)
        .map(Amount::from_fen)
        .map_err(|_| LedgerError::Overflow)
}

/// Whether `entry` is a `side` entry to an account of `kind`.
fn is(entry: &Entry, side: Side, kind: AccountKind) -> bool {
    entry.side == side && entry.account.kind == kind
}

fn check_purchase(source: &SourceRef, entries: &[Entry]) -> Result<(), &'static str> {
    let SourceRef::Record {
        origin: Origin::Batch(batch),
        record,
    } = source
    else {
        return Err("a purchase comes from a batch record");
    };
    if record.counter != Counter::Offline {
        return Err("a purchase uses the offline counter");
    }
    let [card_float, acquired, interchange, network_fee] = entries else {
        return Err("a purchase has four entries");
    };
    if !(is(card_float, Side::Debit, AccountKind::CardFloat)
        && is(acquired, Side::Credit, AccountKind::Acquired)
        && is(interchange, Side::Credit, AccountKind::InterchangeIncome)
        && is(network_fee, Side::Credit, AccountKind::NetworkFeeIncome))
    {
        return Err("a purchase debits card float and credits acquired and the two fees");
    }
    if card_float.account.participant != interchange.account.participant {
        return Err("the card's issuer earns the interchange fee");
    }
    if acquired.account.participant != batch.acquirer {
        return Err("the acquirer that uploaded the batch is owed the purchase");
    }
    Ok(())
}

fn check_load(source: &SourceRef, entries: &[Entry]) -> Result<(), &'static str> {
    let SourceRef::Record { record, .. } = source else {
        return Err("a load comes from a record");
    };
    if record.counter != Counter::Online {
        return Err("a load uses the online counter");
    }
    match entries {
        [cash, float]
            if is(cash, Side::Debit, AccountKind::CollectedCash)
                && is(float, Side::Credit, AccountKind::CardFloat) =>
        {
            Ok(())
        }
        _ => Err("a load debits collected cash and credits card float"),
    }
}

fn check_refund(source: &SourceRef, entries: &[Entry]) -> Result<(), &'static str> {
    if !matches!(source, SourceRef::CardClosing { .. }) {
        return Err("a refund comes from a card closing");
    }
    match entries {
        [float, payable]
            if is(float, Side::Debit, AccountKind::CardFloat)
                && is(payable, Side::Credit, AccountKind::RefundsPayable)
                && float.account.participant == payable.account.participant =>
        {
            Ok(())
        }
        _ => Err("a refund debits an issuer's card float and credits its refunds payable"),
    }
}

fn check_settlement(source: &SourceRef, entries: &[Entry]) -> Result<(), &'static str> {
    if !matches!(source, SourceRef::WindowClose { .. }) {
        return Err("a settlement comes from a window close");
    }
    if entries.is_empty() {
        return Err("a settlement has entries");
    }
    if entries
        .iter()
        .any(|entry| entry.account.kind != AccountKind::Settlement || entry.amount == Amount::ZERO)
    {
        return Err("a settlement posts non-zero amounts to settlement accounts only");
    }
    // One entry per participant, in participant order.
    if !entries
        .windows(2)
        .all(|pair| matches!(pair, [a, b] if a.account.participant < b.account.participant))
    {
        return Err("a settlement has one entry per participant, in participant order");
    }
    Ok(())
}
