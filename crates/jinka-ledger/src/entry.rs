//! One line of a ledger transaction: an amount debited or credited to one account.

use serde::{Deserialize, Serialize};

use crate::account::AccountId;
use crate::amount::Amount;

/// Which side of an account an entry is posted to. Read from the network's side: a credit is
/// a claim the participant gains, a debit one it gives up (see [`crate::AccountKind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// Debit.
    Debit,
    /// Credit.
    Credit,
}

/// An amount debited or credited to one account. The amount may be zero (a purchase without
/// fees still carries its fee entries), so that every purchase and every load has the same
/// shape and a settlement line's entry count is its record count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The account.
    pub account: AccountId,
    /// Debit or credit.
    pub side: Side,
    /// How much.
    #[serde(rename = "amount_fen")]
    pub amount: Amount,
}

impl Entry {
    /// A debit of `amount` to `account`.
    pub const fn debit(account: AccountId, amount: Amount) -> Entry {
        Entry {
            account,
            side: Side::Debit,
            amount,
        }
    }

    /// A credit of `amount` to `account`.
    pub const fn credit(account: AccountId, amount: Amount) -> Entry {
        Entry {
            account,
            side: Side::Credit,
            amount,
        }
    }
}
