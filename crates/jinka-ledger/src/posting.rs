//! Clearing: turning one accepted record into its ledger transaction (`hub.md` § Clearing).
//!
//! - A purchase moves its amount out of the issuer's card float to the acquirer, minus the
//!   interchange fee (to the issuer) and the network fee (to the network operator).
//! - A load moves the cash the load agent collected into the issuer's card float.
//!
//! Who is the issuer, the acquirer, the load agent and the network operator is the registry's
//! answer (card → issuer, terminal → acquirer); the caller passes it in.

use jinka_record::{TransactionKind, TransactionRecord};

use crate::account::{AccountId, AccountKind};
use crate::amount::Amount;
use crate::entry::Entry;
use crate::error::LedgerError;
use crate::fee::FeeSchedule;
use crate::participant::ParticipantId;
use crate::reference::BatchId;
use crate::source::{BatchRef, Origin, SourceRef};
use crate::transaction::{LedgerTransaction, PostingKind, TransactionId};

/// Who takes part in a purchase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurchaseParties {
    /// The acquirer whose terminal accepted the purchase and who uploaded the batch.
    pub acquirer: ParticipantId,
    /// The issuer of the card.
    pub issuer: ParticipantId,
    /// The network operator, who earns the network fee.
    pub network: ParticipantId,
}

/// Who takes part in a load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadParties {
    /// The load agent whose terminal took the cardholder's cash.
    pub load_agent: ParticipantId,
    /// The issuer of the card, whose float grows.
    pub issuer: ParticipantId,
}

/// The transaction of an accepted purchase (or compound purchase) record of the acquirer's
/// batch `batch_id`, with fees from `fees`:
///
/// | entry | amount |
/// |---|---|
/// | Dr issuer card-float | amount |
/// | Cr acquirer acquired | amount − interchange − network fee |
/// | Cr issuer interchange-income | interchange |
/// | Cr network network-fee-income | network fee |
///
/// A load record is [`LedgerError::WrongRecordType`].
pub fn post_purchase(
    id: TransactionId,
    record: &TransactionRecord,
    batch_id: &BatchId,
    parties: PurchaseParties,
    fees: &FeeSchedule,
) -> Result<LedgerTransaction, LedgerError> {
    if !record.kind().is_purchase() {
        return Err(LedgerError::WrongRecordType {
            expected: "purchase",
            found: record.kind().name(),
        });
    }
    let amount = Amount::from(record.amount_fen());
    let fee = fees.fees(parties.issuer, parties.acquirer, amount);
    let acquirer_share = match amount
        .checked_sub(fee.interchange)
        .and_then(|rest| rest.checked_sub(fee.network))
    {
        Ok(share) => share,
        Err(_) => panic!("fees {fee:?} exceed the amount {amount:?}: FeeSchedule::fees caps them"),
    };
    let account = AccountId::new;
    let entries = vec![
        Entry::debit(account(parties.issuer, AccountKind::CardFloat), amount),
        Entry::credit(
            account(parties.acquirer, AccountKind::Acquired),
            acquirer_share,
        ),
        Entry::credit(
            account(parties.issuer, AccountKind::InterchangeIncome),
            fee.interchange,
        ),
        Entry::credit(
            account(parties.network, AccountKind::NetworkFeeIncome),
            fee.network,
        ),
    ];
    let source = SourceRef::Record {
        origin: Origin::Batch(BatchRef {
            acquirer: parties.acquirer,
            batch_id: batch_id.clone(),
        }),
        record: record.dedupe_key().into(),
    };
    Ok(built(LedgerTransaction::new(
        id,
        PostingKind::Purchase,
        source,
        entries,
    )))
}

/// The transaction of a load record that reached the hub by `origin` (a batch or the
/// terminal's online confirmation):
///
/// | entry | amount |
/// |---|---|
/// | Dr load agent collected-cash | amount |
/// | Cr issuer card-float | amount |
///
/// A purchase record is [`LedgerError::WrongRecordType`].
pub fn post_load(
    id: TransactionId,
    record: &TransactionRecord,
    origin: Origin,
    parties: LoadParties,
) -> Result<LedgerTransaction, LedgerError> {
    if record.kind() != TransactionKind::Load {
        return Err(LedgerError::WrongRecordType {
            expected: "load",
            found: record.kind().name(),
        });
    }
    let amount = Amount::from(record.amount_fen());
    let entries = vec![
        Entry::debit(
            AccountId::new(parties.load_agent, AccountKind::CollectedCash),
            amount,
        ),
        Entry::credit(
            AccountId::new(parties.issuer, AccountKind::CardFloat),
            amount,
        ),
    ];
    let source = SourceRef::Record {
        origin,
        record: record.dedupe_key().into(),
    };
    Ok(built(LedgerTransaction::new(
        id,
        PostingKind::Load,
        source,
        entries,
    )))
}

/// A transaction this module built: it balances and has its shape by construction, so a
/// refusal is a bug.
fn built(transaction: Result<LedgerTransaction, LedgerError>) -> LedgerTransaction {
    match transaction {
        Ok(transaction) => transaction,
        Err(error) => panic!("clearing built an invalid transaction: {error}"),
    }
}
