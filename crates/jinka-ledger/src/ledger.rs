//! The ledger in memory: every account's balance, the one open settlement window, and the
//! last transaction id. Storage mirrors it (accounts, the window's lines, the id); the
//! simulation and the tests use it as it is.
//!
//! Balances change only by whole balanced transactions, so at every moment Σ debits = Σ
//! credits over all accounts; and since closing a window posts each participant's position
//! to its settlement account, after every close each participant's accounts sum to zero.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize, Serializer};

use crate::account::{AccountBalance, AccountId, AccountKind};
use crate::amount::{Amount, NetAmount};
use crate::entry::{Entry, Side};
use crate::error::LedgerError;
use crate::participant::ParticipantId;
use crate::report::{NetDebitCaps, Position, SettlementReport};
use crate::source::SourceRef;
use crate::timestamp::Timestamp;
use crate::transaction::{LedgerTransaction, PostingKind, TransactionId};
use crate::window::{WindowAccumulator, WindowId};

/// Accounts, the open window, and the last transaction id.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "LedgerFields")]
pub struct Ledger {
    balances: BTreeMap<AccountId, AccountBalance>,
    /// Σ of every posted transaction's total: Σ debits = Σ credits over all accounts. Bounds
    /// every account's totals, so keeping it within `u64` keeps them all within it.
    total: Amount,
    last_transaction_id: Option<TransactionId>,
    window: WindowAccumulator,
}

/// What closing a window gives: the report, and the settlement transaction the ledger posted
/// (for storage to keep; `None` when every position was zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowClose {
    /// The closed window's report.
    pub report: SettlementReport,
    /// The transaction that posted each position to the participant's settlement account.
    pub settlement: Option<LedgerTransaction>,
}

impl Ledger {
    /// An empty ledger whose first window, `window_id`, opens at `opened_at`.
    pub fn new(window_id: WindowId, opened_at: Timestamp) -> Ledger {
        Ledger {
            balances: BTreeMap::new(),
            total: Amount::ZERO,
            last_transaction_id: None,
            window: WindowAccumulator::new(window_id, opened_at),
        }
    }

    /// Posts a record's transaction to the accounts and the open window. Refuses a transaction
    /// id not above the last ([`LedgerError::TransactionIdNotIncreasing`]: a replay), a
    /// settlement ([`LedgerError::SettlementNotPostable`]), and whatever the window refuses
    /// ([`WindowAccumulator::add`]). A refused transaction changes nothing.
    pub fn post(&mut self, transaction: &LedgerTransaction) -> Result<(), LedgerError> {
        if transaction.kind() == PostingKind::Settlement {
            return Err(LedgerError::SettlementNotPostable);
        }
        self.check_next_id(transaction.id())?;
        let total = self.total.checked_add(transaction.total())?;
        self.window.add(transaction)?;
        self.total = total;
        self.last_transaction_id = Some(transaction.id());
        self.apply(transaction.entries());
        Ok(())
    }

    /// Closes the open window at `closed_at`: its report with `caps` applied, and a
    /// settlement transaction with id `settlement_id` that posts each non-zero position to the
    /// participant's settlement account (Dr a net receiver's, Cr a net sender's). The id is
    /// used up even when every position is zero and nothing is posted. The next window,
    /// numbered one more, opens at `closed_at`.
    ///
    /// Refuses a `closed_at` before the window opened and an id not above the last; a refused
    /// close changes nothing.
    pub fn close_window(
        &mut self,
        closed_at: Timestamp,
        settlement_id: TransactionId,
        caps: &NetDebitCaps,
    ) -> Result<WindowClose, LedgerError> {
        self.check_next_id(settlement_id)?;
        let window_id = self.window.id();
        let next_window = WindowId(window_id.0.checked_add(1).ok_or(LedgerError::Overflow)?);
        let mut report = self.window.report(closed_at, caps)?;
        let settlement = settlement_of(window_id, settlement_id, report.positions());
        let total = match &settlement {
            Some(settlement) => self.total.checked_add(settlement.total())?,
            None => self.total,
        };
        // Nothing below can fail.
        self.window = WindowAccumulator::new(next_window, closed_at);
        self.last_transaction_id = Some(settlement_id);
        self.total = total;
        if let Some(settlement) = &settlement {
            self.apply(settlement.entries());
            report.set_settlement_transaction_id(settlement_id);
        }
        for position in report.positions() {
            let owed = self.participant_net_credit(position.participant());
            assert_eq!(owed, 0, "{position:?} is not square after settlement");
        }
        Ok(WindowClose { report, settlement })
    }

    /// The balance of `account` (zero if nothing was ever posted to it).
    pub fn balance(&self, account: AccountId) -> AccountBalance {
        self.balances.get(&account).copied().unwrap_or_default()
    }

    /// Every account that was posted to, in account order.
    pub fn accounts(&self) -> impl Iterator<Item = (AccountId, AccountBalance)> + '_ {
        self.balances
            .iter()
            .map(|(account, balance)| (*account, *balance))
    }

    /// `issuer`'s card float: the credits minus the debits of its card-float account, which
    /// is Σ loads − Σ purchases − Σ refunds on its cards (`hub.md` invariant 1). Negative only while a
    /// purchase was posted before the load that funded it.
    pub fn card_float(&self, issuer: ParticipantId) -> Result<NetAmount, LedgerError> {
        self.balance(AccountId::new(issuer, AccountKind::CardFloat))
            .net_credit()
    }

    /// Σ of every transaction's total posted so far: Σ debits, and Σ credits, over all
    /// accounts.
    pub const fn total(&self) -> Amount {
        self.total
    }

    /// The open window.
    pub const fn window(&self) -> &WindowAccumulator {
        &self.window
    }

    /// `participant`'s position in the open window so far. With its net debit cap, this is
    /// what an online load authorization checks before letting a load agent owe more.
    pub fn position(&self, participant: ParticipantId) -> NetAmount {
        self.window.position(participant)
    }

    /// The id of the last transaction posted (or reserved for a settlement).
    pub const fn last_transaction_id(&self) -> Option<TransactionId> {
        self.last_transaction_id
    }

    fn check_next_id(&self, id: TransactionId) -> Result<(), LedgerError> {
        match self.last_transaction_id {
            Some(last) if id <= last => {
                Err(LedgerError::TransactionIdNotIncreasing { last, given: id })
            }
            _ => Ok(()),
        }
    }

    /// Adds entries to balances. The caller checked `self.total`, which bounds every sum.
    fn apply(&mut self, entries: &[Entry]) {
        for entry in entries {
            let balance = self.balances.entry(entry.account).or_default();
            match entry.side {
                Side::Debit => balance.debits = balance.debits.add_bounded(entry.amount),
                Side::Credit => balance.credits = balance.credits.add_bounded(entry.amount),
            }
        }
    }

    /// Credits minus debits over all of `participant`'s accounts.
    fn participant_net_credit(&self, participant: ParticipantId) -> i128 {
        AccountKind::ALL
            .iter()
            .map(|&kind| self.balance(AccountId::new(participant, kind)))
            .map(|balance| i128::from(balance.credits.fen()) - i128::from(balance.debits.fen()))
            .sum()
    }
}

/// The settlement of a window's positions, or `None` when they are all zero. Positions sum to
/// zero, so it balances; if it does not, that is a bug and this stops.
fn settlement_of(
    window_id: WindowId,
    id: TransactionId,
    positions: &[Position],
) -> Option<LedgerTransaction> {
    let entries: Vec<Entry> = positions
        .iter()
        .filter_map(|position| {
            let account = AccountId::new(position.participant(), AccountKind::Settlement);
            let net = position.net();
            match net.fen() {
                1.. => Some(Entry::debit(account, net.surplus())),
                0 => None,
                _ => Some(Entry::credit(account, net.deficit())),
            }
        })
        .collect();
    if entries.is_empty() {
        return None;
    }
    let source = SourceRef::WindowClose { window_id };
    match LedgerTransaction::new(id, PostingKind::Settlement, source, entries) {
        Ok(settlement) => Some(settlement),
        Err(error) => panic!("settlement of window {window_id:?} is invalid: {error}"),
    }
}

/// One account as storage keeps it.
#[derive(Serialize, Deserialize)]
struct AccountState {
    #[serde(flatten)]
    account: AccountId,
    #[serde(flatten)]
    balance: AccountBalance,
}

/// The serialized form of a [`Ledger`], checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerFields {
    last_transaction_id: Option<TransactionId>,
    accounts: Vec<AccountState>,
    window: WindowAccumulator,
}

#[derive(Serialize)]
struct LedgerFieldsRef<'a> {
    last_transaction_id: Option<TransactionId>,
    accounts: Vec<AccountState>,
    window: &'a WindowAccumulator,
}

/// `{"last_transaction_id":..,"accounts":[{"participant":1,"kind":"card-float",
/// "debits_fen":..,"credits_fen":..},..],"window":{..}}`.
impl Serialize for Ledger {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        LedgerFieldsRef {
            last_transaction_id: self.last_transaction_id,
            accounts: self
                .accounts()
                .map(|(account, balance)| AccountState { account, balance })
                .collect(),
            window: &self.window,
        }
        .serialize(serializer)
    }
}

impl TryFrom<LedgerFields> for Ledger {
    type Error = LedgerError;

    /// Checks that the accounts are in order once each, that debits and credits balance, and
    /// that each participant's accounts sum to its position in the open window (they summed
    /// to zero when the last window closed).
    fn try_from(fields: LedgerFields) -> Result<Ledger, LedgerError> {
        let inconsistent = LedgerError::InconsistentState;
        if !fields
            .accounts
            .windows(2)
            .all(|pair| matches!(pair, [a, b] if a.account < b.account))
        {
            return Err(inconsistent("accounts are not in order, once each"));
        }
        let (mut debits, mut credits) = (0u128, 0u128);
        let mut owed: BTreeMap<ParticipantId, i128> = BTreeMap::new();
        for state in &fields.accounts {
            let (debit, credit) = (state.balance.debits.fen(), state.balance.credits.fen());
            debits += u128::from(debit);
            credits += u128::from(credit);
            *owed.entry(state.account.participant).or_default() +=
                i128::from(credit) - i128::from(debit);
        }
        if debits != credits {
            return Err(LedgerError::InconsistentLedger {
                debits_fen: debits,
                credits_fen: credits,
            });
        }
        let total = Amount::from_fen(u64::try_from(debits).map_err(|_| LedgerError::Overflow)?);
        let window = fields.window;
        let participants: BTreeSet<ParticipantId> = owed
            .keys()
            .copied()
            .chain(window.positions().map(|(participant, _)| participant))
            .collect();
        let square = participants.iter().all(|participant| {
            owed.get(participant).copied().unwrap_or(0)
                == i128::from(window.position(*participant).fen())
        });
        if !square {
            return Err(inconsistent(
                "a participant's accounts do not sum to its open position",
            ));
        }
        Ok(Ledger {
            balances: fields
                .accounts
                .into_iter()
                .map(|state| (state.account, state.balance))
                .collect(),
            total,
            last_transaction_id: fields.last_transaction_id,
            window,
        })
    }
}
