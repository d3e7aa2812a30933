//! Clearing: turning one accepted record into its ledger transaction (`hub.md` § Clearing).
//!
//! - A purchase moves its amount out of the issuer's card float to the acquirer, minus the
//!   interchange fee (to the issuer) and the network fee (to the network operator).
//! - A load moves the cash the load agent collected into the issuer's card float.
//! - A refund moves a closed card's balance out of the issuer's card float into its refunds
//!   payable (the issuer then pays the cardholder back, outside the network).
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

/// The refund of a card closing: `issuer`'s card `asn`, closed by the hub's operation
/// `operation`, held `amount` fen, which its cardholder is owed back:
///
/// | entry | amount |
/// |---|---|
/// | Dr issuer card-float | amount |
/// | Cr issuer refunds-payable | amount |
///
/// Both accounts are the issuer's, so its net position does not change. Nothing to refund
/// posts nothing (`None`).
pub fn post_refund(
    id: TransactionId,
    asn: [u8; 8],
    operation: u64,
    issuer: ParticipantId,
    amount: Amount,
) -> Option<LedgerTransaction> {
    if amount == Amount::ZERO {
        return None;
    }
    let entries = vec![
        Entry::debit(AccountId::new(issuer, AccountKind::CardFloat), amount),
        Entry::credit(AccountId::new(issuer, AccountKind::RefundsPayable), amount),
    ];
    let source = SourceRef::CardClosing { asn, operation };
    Some(built(LedgerTransaction::new(
        id,
        PostingKind::Refund,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::NetAmount;
    use crate::ledger::Ledger;
    use crate::timestamp::Timestamp;
    use crate::window::WindowId;

    #[test]
    fn a_refund_balances_and_moves_card_float_to_refunds_payable() {
        let issuer = ParticipantId::new(3).unwrap();
        let asn = [0, 0, 0, 0, 0, 0, 0, 7];
        let refund =
            post_refund(TransactionId(1), asn, 12, issuer, Amount::from_fen(4_250)).unwrap();
        assert_eq!(refund.kind(), PostingKind::Refund);
        assert_eq!(refund.total(), Amount::from_fen(4_250));
        let (debits, credits) =
            refund
                .entries()
                .iter()
                .fold((0, 0), |(d, c), entry| match entry.side {
                    crate::entry::Side::Debit => (d + entry.amount.fen(), c),
                    crate::entry::Side::Credit => (d, c + entry.amount.fen()),
                });
        assert_eq!((debits, credits), (4_250, 4_250));
        let mut ledger = Ledger::new(WindowId(1), Timestamp::from_unix_ms(0));
        ledger.post(&refund).unwrap();
        let payable = ledger.balance(AccountId::new(issuer, AccountKind::RefundsPayable));
        assert_eq!(payable.net_credit().unwrap(), NetAmount::from_fen(4_250));
        assert_eq!(
            ledger.card_float(issuer).unwrap(),
            NetAmount::from_fen(-4_250)
        );
        assert_eq!(ledger.position(issuer), NetAmount::ZERO);
        let lines = ledger.window().lines();
        assert_eq!(lines.len(), 2);
        assert!(
            lines
                .iter()
                .all(|line| *line.source() == crate::LineSource::CardClosings)
        );
    }

    #[test]
    fn nothing_to_refund_posts_nothing() {
        let issuer = ParticipantId::new(3).unwrap();
        assert_eq!(
            post_refund(TransactionId(1), [0; 8], 1, issuer, Amount::ZERO),
            None
        );
    }

    #[test]
    fn a_refund_of_two_issuers_or_other_accounts_is_refused() {
        let [issuer, other] = [3, 4].map(|id| ParticipantId::new(id).unwrap());
        let amount = Amount::from_fen(100);
        let source = SourceRef::CardClosing {
            asn: [0; 8],
            operation: 1,
        };
        let wrong = [
            vec![
                Entry::debit(AccountId::new(issuer, AccountKind::CardFloat), amount),
                Entry::credit(AccountId::new(other, AccountKind::RefundsPayable), amount),
            ],
            vec![
                Entry::debit(AccountId::new(issuer, AccountKind::CardFloat), amount),
                Entry::credit(AccountId::new(issuer, AccountKind::Acquired), amount),
            ],
        ];
        for entries in wrong {
            let made = LedgerTransaction::new(
                TransactionId(1),
                PostingKind::Refund,
                source.clone(),
                entries,
            );
            assert!(
                matches!(made, Err(LedgerError::InconsistentTransaction { .. })),
                "{made:?}"
            );
        }
    }
}
