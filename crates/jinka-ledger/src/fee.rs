//! Fees on a purchase: the interchange fee (to the card's issuer) and the network fee (to the
//! network operator), both taken out of what the acquirer is owed.
//!
//! A [`FeeRate`] is a proportional part in basis points (1 bp = 0.01 %) plus a fixed part in
//! fen. The fee on an amount `a` at `bp` basis points plus `fixed` fen is
//!
//! ```text
//! fee = min(a, ⌊(a × bp + 5000) / 10000⌋ + fixed)
//! ```
//!
//! that is, the proportional part rounded to the nearest fen with halves rounded **up**
//! (6.25 fen → 6, 6.5 → 7), computed on integers in `u128` so that it cannot overflow, then the
//! fixed part, and the whole capped at the amount. When both fees together would exceed the
//! amount, the interchange fee is taken first and the network fee gets what is left, so the
//! acquirer's share `a − interchange − network` is never negative.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::error::LedgerError;
use crate::participant::ParticipantId;

/// Highest fee rate: 10 000 basis points, 100 %.
pub const BASIS_POINTS_MAX: u32 = 10_000;

/// Basis points in a whole.
const BASIS_POINTS_PER_WHOLE: u128 = 10_000;

/// A fee: `basis_points` of the amount (rounded half up to a fen) plus `fixed` fen, never more
/// than the amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "FeeRateFields")]
pub struct FeeRate {
    basis_points: u32,
    #[serde(rename = "fixed_fen")]
    fixed: Amount,
}

/// The serialized form of a [`FeeRate`], checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeeRateFields {
    basis_points: u32,
    fixed_fen: Amount,
}

impl TryFrom<FeeRateFields> for FeeRate {
    type Error = LedgerError;

    fn try_from(fields: FeeRateFields) -> Result<FeeRate, LedgerError> {
        FeeRate::new(fields.basis_points, fields.fixed_fen)
    }
}

impl FeeRate {
    /// No fee.
    pub const ZERO: FeeRate = FeeRate {
        basis_points: 0,
        fixed: Amount::ZERO,
    };

    /// `basis_points` (at most [`BASIS_POINTS_MAX`]) plus `fixed`.
    pub const fn new(basis_points: u32, fixed: Amount) -> Result<FeeRate, LedgerError> {
        if basis_points > BASIS_POINTS_MAX {
            return Err(LedgerError::FeeRateTooHigh { basis_points });
        }
        Ok(FeeRate {
            basis_points,
            fixed,
        })
    }

    /// The proportional part, in basis points.
    pub const fn basis_points(&self) -> u32 {
        self.basis_points
    }

    /// The fixed part.
    pub const fn fixed(&self) -> Amount {
        self.fixed
    }

    /// The fee on `amount`, by the rule in the module docs; never more than `amount`.
    pub fn fee(&self, amount: Amount) -> Amount {
        let proportional = (u128::from(amount.fen()) * u128::from(self.basis_points)
            + BASIS_POINTS_PER_WHOLE / 2)
            / BASIS_POINTS_PER_WHOLE;
        // proportional ≤ amount (basis points ≤ 10 000, and the rounding adds at most a half),
        // so it fits u64; the sum with the fixed part is computed in u128 before the cap.
        let fee = (proportional + u128::from(self.fixed.fen())).min(u128::from(amount.fen()));
        Amount::from_fen(u64::try_from(fee).unwrap_or(amount.fen()))
    }
}

/// The two fees of one purchase; together never more than its amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fees {
    /// To the card's issuer.
    pub interchange: Amount,
    /// To the network operator.
    pub network: Amount,
}

/// The network's fee table: the interchange rate by issuer (it is the issuer's card product
/// that earns it) and the network fee rate by acquirer (the acquirer pays it), each with a
/// default for participants without their own rate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeSchedule {
    /// The interchange rate of issuers not in `interchange_by_issuer`.
    pub default_interchange: FeeRate,
    /// Issuers' own interchange rates.
    pub interchange_by_issuer: BTreeMap<ParticipantId, FeeRate>,
    /// The network fee rate of acquirers not in `network_fee_by_acquirer`.
    pub default_network_fee: FeeRate,
    /// Acquirers' own network fee rates.
    pub network_fee_by_acquirer: BTreeMap<ParticipantId, FeeRate>,
}

impl FeeSchedule {
    /// One interchange rate and one network fee rate for everyone.
    pub fn flat(interchange: FeeRate, network_fee: FeeRate) -> FeeSchedule {
        FeeSchedule {
            default_interchange: interchange,
            interchange_by_issuer: BTreeMap::new(),
            default_network_fee: network_fee,
            network_fee_by_acquirer: BTreeMap::new(),
        }
    }

    /// The interchange rate of `issuer`.
    pub fn interchange_rate(&self, issuer: ParticipantId) -> FeeRate {
        self.interchange_by_issuer
            .get(&issuer)
            .copied()
            .unwrap_or(self.default_interchange)
    }

    /// The network fee rate of `acquirer`.
    pub fn network_fee_rate(&self, acquirer: ParticipantId) -> FeeRate {
        self.network_fee_by_acquirer
            .get(&acquirer)
            .copied()
            .unwrap_or(self.default_network_fee)
    }

    /// The fees of a purchase of `amount` on a card of `issuer` at a terminal of `acquirer`:
    /// interchange first, then the network fee capped at what is left.
    pub fn fees(&self, issuer: ParticipantId, acquirer: ParticipantId, amount: Amount) -> Fees {
        let interchange = self.interchange_rate(issuer).fee(amount);
        // The interchange fee is at most the amount, so nothing saturates here.
        let left = Amount::from_fen(amount.fen().saturating_sub(interchange.fen()));
        let network = self.network_fee_rate(acquirer).fee(amount).min(left);
        Fees {
            interchange,
            network,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(basis_points: u32, fixed_fen: u64) -> FeeRate {
        FeeRate::new(basis_points, Amount::from_fen(fixed_fen)).unwrap()
    }

    #[test]
    fn proportional_part_rounds_half_up() {
        let fee = |fen, bp| rate(bp, 0).fee(Amount::from_fen(fen)).fen();
        assert_eq!(fee(1250, 50), 6); // 6.25
        assert_eq!(fee(1300, 50), 7); // 6.5
        assert_eq!(fee(1250, 10), 1); // 1.25
        assert_eq!(fee(1350, 10), 1); // 1.35
        assert_eq!(fee(1450, 10), 1); // 1.45
        assert_eq!(fee(1500, 10), 2); // 1.5
        assert_eq!(fee(49, 100), 0); // 0.49
        assert_eq!(fee(50, 100), 1); // 0.5
        assert_eq!(fee(u64::MAX, BASIS_POINTS_MAX), u64::MAX);
        assert_eq!(fee(u64::MAX, 1), 1_844_674_407_370_955); // 1 844 674 407 370 955.16
    }

    #[test]
    fn a_fee_never_exceeds_the_amount() {
        assert_eq!(rate(0, 10).fee(Amount::from_fen(5)), Amount::from_fen(5));
        assert_eq!(
            rate(BASIS_POINTS_MAX, u64::MAX).fee(Amount::from_fen(u64::MAX)),
            Amount::from_fen(u64::MAX)
        );
        let issuer = ParticipantId::new(1).unwrap();
        let acquirer = ParticipantId::new(2).unwrap();
        let schedule = FeeSchedule::flat(rate(6_000, 0), rate(6_000, 0));
        assert_eq!(
            schedule.fees(issuer, acquirer, Amount::from_fen(100)),
            Fees {
                interchange: Amount::from_fen(60),
                network: Amount::from_fen(40)
            }
        );
    }

    #[test]
    fn rates_above_one_hundred_percent_are_refused() {
        assert_eq!(
            FeeRate::new(10_001, Amount::ZERO),
            Err(LedgerError::FeeRateTooHigh {
                basis_points: 10_001
            })
        );
    }
}
