//! A participant's fee schedule: the interchange fee and the network fee, each a proportional
//! part in basis points plus a fixed part in fen (the same shape as `jinka-ledger`'s
//! `FeeRate`, which computes them with its documented rounding).

use serde::Serialize;

use crate::amount::Amount;
use crate::error::HubError;

/// Highest proportional part: 10 000 basis points, 100 %.
pub const BASIS_POINTS_MAX: u32 = 10_000;

/// One fee: `basis_points` of the amount plus `fixed_fen`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct FeeRate {
    basis_points: u32,
    fixed_fen: Amount,
}

impl FeeRate {
    /// No fee.
    pub const ZERO: FeeRate = FeeRate {
        basis_points: 0,
        fixed_fen: Amount::ZERO,
    };

    /// A fee of `basis_points` (at most [`BASIS_POINTS_MAX`]) plus `fixed`; `field` names it in
    /// the error.
    pub fn new(field: &'static str, basis_points: u32, fixed: Amount) -> Result<FeeRate, HubError> {
        if basis_points > BASIS_POINTS_MAX {
            return Err(HubError::invalid(
                field,
                "basis_points must be at most 10000",
            ));
        }
        Ok(FeeRate {
            basis_points,
            fixed_fen: fixed,
        })
    }

    /// The proportional part in basis points.
    pub const fn basis_points(self) -> u32 {
        self.basis_points
    }

    /// The fixed part.
    pub const fn fixed(self) -> Amount {
        self.fixed_fen
    }
}

/// The fees a participant's transactions bear.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct FeeSchedule {
    /// Paid by the acquirer to the card's issuer on a purchase.
    pub interchange: FeeRate,
    /// Paid to the network operator on a purchase.
    pub network: FeeRate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_points_are_bounded() {
        assert!(FeeRate::new("fees.network", 10_000, Amount::ZERO).is_ok());
        let error = FeeRate::new("fees.network", 10_001, Amount::ZERO).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`fees.network`: basis_points must be at most 10000"
        );
    }
}
