//! The chart of accounts: every participant has one account of each [`AccountKind`], and an
//! account's balance is the totals of the debits and credits posted to it.
//!
//! The ledger is the network's book of who owes whom, so every account is read from the
//! network's side: a **credit** is a claim the participant gains on the network (it will be
//! paid), a **debit** a claim it gives up or an obligation it takes on (it will pay). A
//! participant's net position in a window is therefore the credits minus the debits of all its
//! accounts in that window. The crate docs have the table and a worked example.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, NetAmount};
use crate::error::LedgerError;
use crate::participant::ParticipantId;

/// What an account records. Each kind is posted to by one kind of transaction only, so its
/// balance answers one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountKind {
    /// An issuer's card float: what its cardholders hold on its cards, a liability the
    /// issuer owes them. Credited by loads, debited by purchases and by closed cards' refunds;
    /// its credit balance is Σ loads − Σ purchases − Σ refunds (`hub.md` invariant 1).
    CardFloat,
    /// An issuer's interchange fee income: credited by the interchange fee of each purchase on
    /// its cards.
    InterchangeIncome,
    /// A load agent's collected cash: the cash it took from cardholders for loads and owes the
    /// network. Debited by loads.
    CollectedCash,
    /// An acquirer's acquired purchases: what the network owes it for the purchases its
    /// terminals accepted, net of the interchange and network fees. Credited by purchases.
    Acquired,
    /// The network operator's fee income: credited by the network fee of each purchase.
    NetworkFeeIncome,
    /// What settlement paid: debited by the net position paid to a net receiver, credited by
    /// the net position collected from a net sender, when a window closes. After every close
    /// each participant's accounts sum to zero: it is square with the network.
    Settlement,
    /// An issuer's refunds payable: the balances of its closed cards, owed back to their
    /// cardholders outside the network (`hub.md` § Card lifecycle). Credited by a closed
    /// card's refund, which debits the issuer's card float by as much.
    RefundsPayable,
}

impl AccountKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [AccountKind; 7] = [
        AccountKind::CardFloat,
        AccountKind::InterchangeIncome,
        AccountKind::CollectedCash,
        AccountKind::Acquired,
        AccountKind::NetworkFeeIncome,
        AccountKind::Settlement,
        AccountKind::RefundsPayable,
    ];

    /// The name JSON and CSV use: `card-float`, `interchange-income`, `collected-cash`,
    /// `acquired`, `network-fee-income`, `settlement`, `refunds-payable`.
    pub const fn name(self) -> &'static str {
        match self {
            AccountKind::CardFloat => "card-float",
            AccountKind::InterchangeIncome => "interchange-income",
            AccountKind::CollectedCash => "collected-cash",
            AccountKind::Acquired => "acquired",
            AccountKind::NetworkFeeIncome => "network-fee-income",
            AccountKind::Settlement => "settlement",
            AccountKind::RefundsPayable => "refunds-payable",
        }
    }
}

/// One account: a participant's account of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountId {
    /// Whose account.
    pub participant: ParticipantId,
    /// Which of its accounts.
    pub kind: AccountKind,
}

impl AccountId {
    /// `participant`'s account of `kind`.
    pub const fn new(participant: ParticipantId, kind: AccountKind) -> AccountId {
        AccountId { participant, kind }
    }
}

/// `participant:kind`, e.g. `17:card-float`.
impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.participant, self.kind.name())
    }
}

/// The totals posted to an account. Kept as two non-negative totals, not one signed
/// balance, so that Σ debits = Σ credits over all accounts can be checked exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBalance {
    /// Sum of the debits posted.
    #[serde(rename = "debits_fen")]
    pub debits: Amount,
    /// Sum of the credits posted.
    #[serde(rename = "credits_fen")]
    pub credits: Amount,
}

impl AccountBalance {
    /// Credits minus debits: what the participant is owed on this account (negative: owes).
    pub fn net_credit(&self) -> Result<NetAmount, LedgerError> {
        NetAmount::difference(self.credits, self.debits)
    }
}
