//! Money in fen (分, 1/100 yuan), always integer, never a float.
//!
//! Two types, because they answer different questions:
//! - [`Amount`] (`u64`): how much an entry, a fee or a sum of entries moves. Never negative —
//!   the direction is the entry's side, debit or credit — so a sign cannot be lost or flipped.
//!   A record's amount is 4 bytes (`u32`); `u64` holds the sum of four billion of them.
//! - [`NetAmount`] (`i64`): a difference of credits and debits, which can be either sign: a
//!   participant's net position, an account's net balance. ±9.2 × 10^16 yuan.
//!
//! Arithmetic is checked: an overflow is [`LedgerError::Overflow`], never a wrap.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{LedgerError, overflow};

/// A non-negative amount of money in fen.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Amount(u64);

/// A signed amount of money in fen: credits minus debits.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct NetAmount(i64);

impl Amount {
    /// Nothing.
    pub const ZERO: Amount = Amount(0);

    /// `fen` fen.
    pub const fn from_fen(fen: u64) -> Amount {
        Amount(fen)
    }

    /// The amount in fen.
    pub const fn fen(self) -> u64 {
        self.0
    }

    /// `self + other`, or [`LedgerError::Overflow`].
    pub fn checked_add(self, other: Amount) -> Result<Amount, LedgerError> {
        overflow(self.0.checked_add(other.0)).map(Amount)
    }

    /// `self - other`, or [`LedgerError::Overflow`] when `other` is larger.
    pub fn checked_sub(self, other: Amount) -> Result<Amount, LedgerError> {
        overflow(self.0.checked_sub(other.0)).map(Amount)
    }

    /// `self + other` where the caller has bounded the sum (see `WindowAccumulator::add`);
    /// an overflow here is a bug and stops.
    pub(crate) fn add_bounded(self, other: Amount) -> Amount {
        match self.0.checked_add(other.0) {
            Some(sum) => Amount(sum),
            None => panic!("{self:?} + {other:?} overflows despite the caller's bound"),
        }
    }

    /// The smaller of the two.
    pub fn min(self, other: Amount) -> Amount {
        Amount(self.0.min(other.0))
    }
}

impl From<u32> for Amount {
    /// A record's 4-byte amount.
    fn from(fen: u32) -> Amount {
        Amount(u64::from(fen))
    }
}

impl NetAmount {
    /// Nothing.
    pub const ZERO: NetAmount = NetAmount(0);

    /// `fen` fen.
    pub const fn from_fen(fen: i64) -> NetAmount {
        NetAmount(fen)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// `credits - debits`, or [`LedgerError::Overflow`] when it does not fit `i64`.
    pub fn difference(credits: Amount, debits: Amount) -> Result<NetAmount, LedgerError> {
        let difference = i128::from(credits.0) - i128::from(debits.0);
        i64::try_from(difference)
            .map(NetAmount)
            .map_err(|_| LedgerError::Overflow)
    }

    /// `self + amount`, or [`LedgerError::Overflow`].
    pub fn checked_add(self, amount: Amount) -> Result<NetAmount, LedgerError> {
        overflow(self.0.checked_add_unsigned(amount.0)).map(NetAmount)
    }

    /// `self - amount`, or [`LedgerError::Overflow`].
    pub fn checked_sub(self, amount: Amount) -> Result<NetAmount, LedgerError> {
        overflow(self.0.checked_sub_unsigned(amount.0)).map(NetAmount)
    }

    /// `self + amount` where the caller has bounded the sum; an overflow is a bug and stops.
    pub(crate) fn add_bounded(self, amount: Amount) -> NetAmount {
        match self.checked_add(amount) {
            Ok(sum) => sum,
            Err(_) => panic!("{self:?} + {amount:?} overflows despite the caller's bound"),
        }
    }

    /// `self - amount` where the caller has bounded the difference; an overflow is a bug and
    /// stops.
    pub(crate) fn sub_bounded(self, amount: Amount) -> NetAmount {
        match self.checked_sub(amount) {
            Ok(difference) => difference,
            Err(_) => panic!("{self:?} - {amount:?} overflows despite the caller's bound"),
        }
    }

    /// `self + other`, or [`LedgerError::Overflow`].
    pub fn checked_add_net(self, other: NetAmount) -> Result<NetAmount, LedgerError> {
        overflow(self.0.checked_add(other.0)).map(NetAmount)
    }

    /// The size of a negative amount (what a net sender owes); zero otherwise.
    pub const fn deficit(self) -> Amount {
        if self.0 < 0 {
            Amount(self.0.unsigned_abs())
        } else {
            Amount(0)
        }
    }

    /// The size of a positive amount (what a net receiver is owed); zero otherwise.
    pub const fn surplus(self) -> Amount {
        if self.0 > 0 {
            Amount(self.0.unsigned_abs())
        } else {
            Amount(0)
        }
    }
}

/// The number of fen.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The number of fen, `-` when negative.
impl fmt::Display for NetAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_checked() {
        let max = Amount::from_fen(u64::MAX);
        assert_eq!(
            max.checked_add(Amount::from_fen(1)),
            Err(LedgerError::Overflow)
        );
        assert_eq!(
            Amount::ZERO.checked_sub(Amount::from_fen(1)),
            Err(LedgerError::Overflow)
        );
        assert_eq!(
            NetAmount::difference(Amount::ZERO, max),
            Err(LedgerError::Overflow)
        );
        assert_eq!(
            NetAmount::difference(Amount::from_fen(5), Amount::from_fen(7)),
            Ok(NetAmount::from_fen(-2))
        );
        assert_eq!(
            NetAmount::from_fen(i64::MAX).checked_add(Amount::from_fen(1)),
            Err(LedgerError::Overflow)
        );
        assert_eq!(
            NetAmount::from_fen(i64::MIN).checked_sub(Amount::from_fen(1)),
            Err(LedgerError::Overflow)
        );
        assert_eq!(
            NetAmount::from_fen(i64::MIN).deficit(),
            Amount::from_fen(1 << 63)
        );
        assert_eq!(NetAmount::from_fen(-3).surplus(), Amount::ZERO);
        assert_eq!(NetAmount::from_fen(3).surplus(), Amount::from_fen(3));
    }
}
