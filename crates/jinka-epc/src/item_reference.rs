//! The SGTIN item reference, indicator digit first.

use crate::decimal::Decimal;
use crate::error::{Error, Field, Result};

/// The item reference of an SGTIN with the GTIN indicator digit in front, as the EPC URIs and
/// binary encodings carry it: 1 to 7 digits, leading zeros significant. Together with the
/// company prefix it has 13 digits.
///
/// ```
/// use jinka_epc::ItemReference;
/// let item: ItemReference = "812345".parse()?;
/// assert_eq!(item.indicator(), 8);
/// # Ok::<(), jinka_epc::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ItemReference(Decimal);

impl ItemReference {
    pub const DIGITS_MIN: u8 = 1;
    pub const DIGITS_MAX: u8 = 7;

    /// The item reference `value` written with `digits` digits.
    pub fn new(value: u64, digits: u8) -> Result<ItemReference> {
        check_width(usize::from(digits))?;
        Decimal::new(value, digits, Field::ItemReference).map(ItemReference)
    }

    pub const fn value(self) -> u64 {
        self.0.value()
    }

    pub const fn digits(self) -> u8 {
        self.0.digits()
    }

    /// The GTIN-14 indicator digit (TDS, SGTIN: the first digit of the item reference field).
    pub fn indicator(self) -> u8 {
        self.0.leading_digit()
    }
}

fn check_width(digits: usize) -> Result<()> {
    let (min, max) = (
        usize::from(ItemReference::DIGITS_MIN),
        usize::from(ItemReference::DIGITS_MAX),
    );
    if (min..=max).contains(&digits) {
        Ok(())
    } else {
        Err(Error::DigitCount {
            field: Field::ItemReference,
            actual: digits,
            min,
            max,
        })
    }
}

impl std::str::FromStr for ItemReference {
    type Err = Error;

    fn from_str(text: &str) -> Result<ItemReference> {
        Decimal::parse(
            text,
            Field::ItemReference,
            usize::from(ItemReference::DIGITS_MIN),
            usize::from(ItemReference::DIGITS_MAX),
        )
        .map(ItemReference)
    }
}

impl std::fmt::Display for ItemReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicator_is_the_first_digit() {
        assert_eq!("0000001".parse::<ItemReference>().unwrap().indicator(), 0);
        assert_eq!("9".parse::<ItemReference>().unwrap().indicator(), 9);
        assert_eq!(ItemReference::new(12345, 6).unwrap().to_string(), "012345");
    }

    #[test]
    fn width_is_one_to_seven_digits() {
        assert!(matches!(
            "".parse::<ItemReference>(),
            Err(Error::DigitCount { actual: 0, .. })
        ));
        assert!(matches!(
            ItemReference::new(0, 8),
            Err(Error::DigitCount { actual: 8, .. })
        ));
    }
}
