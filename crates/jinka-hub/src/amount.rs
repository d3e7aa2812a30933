//! Money: integer fen, never a float, never negative in the registry.

use core::fmt;

use serde::{Serialize, Serializer};

use crate::error::HubError;

/// An amount of money in fen (0.01 yuan), at most `i64::MAX` so it fits every engine's
/// `INTEGER` / `BIGINT` column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(u64);

impl Amount {
    /// Nothing.
    pub const ZERO: Amount = Amount(0);
    /// The largest amount a column can hold.
    pub const MAX: Amount = Amount(i64::MAX as u64);

    /// `fen`, if it is at most [`Amount::MAX`]; `field` names it in the error.
    pub fn from_fen(field: &'static str, fen: u64) -> Result<Amount, HubError> {
        if fen > Amount::MAX.0 {
            return Err(HubError::invalid(field, "more than 2^63 - 1 fen"));
        }
        Ok(Amount(fen))
    }

    /// The amount in fen.
    pub const fn fen(self) -> u64 {
        self.0
    }

    /// The amount as a signed column value (never fails: see [`Amount::MAX`]).
    pub(crate) fn to_column(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// Reads a column value back: negative values are corrupt rows.
    pub(crate) fn from_column(fen: i64) -> Option<Amount> {
        u64::try_from(fen).ok().map(Amount)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} fen", self.0)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_fit_a_signed_column() {
        assert_eq!(Amount::from_fen("cap", 12).unwrap().fen(), 12);
        assert!(Amount::from_fen("cap", u64::MAX).is_err());
        let max = Amount::from_fen("cap", i64::MAX as u64).unwrap();
        assert_eq!(max.to_column(), i64::MAX);
        assert_eq!(Amount::from_column(-1), None);
    }
}
