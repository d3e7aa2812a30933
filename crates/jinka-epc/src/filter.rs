//! The filter value.

use crate::error::{Error, Result};

/// The 3-bit filter value of an EPC tag: a hint to readers about the kind of object (TDS,
/// filter values of each scheme, e.g. SGTIN 1 = point-of-sale item, SSCC 2 = full case).
///
/// It is part of the binary encoding and the tag URI, not of the pure identity URI or the
/// Digital Link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Filter(u8);

impl Filter {
    /// `0` means "all others" in every scheme.
    pub const ALL_OTHERS: Filter = Filter(0);

    /// A filter value, 0..=7.
    pub fn new(value: u8) -> Result<Filter> {
        if value <= 7 {
            Ok(Filter(value))
        } else {
            Err(Error::FilterOutOfRange { value })
        }
    }

    pub const fn value(self) -> u8 {
        self.0
    }
}

impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_three_bits_only() {
        for value in 0..=7 {
            assert_eq!(Filter::new(value).map(Filter::value), Ok(value));
        }
        assert_eq!(Filter::new(8), Err(Error::FilterOutOfRange { value: 8 }));
        assert_eq!(
            Filter::new(255),
            Err(Error::FilterOutOfRange { value: 255 })
        );
    }
}
