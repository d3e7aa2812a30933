//! A decimal number written with a fixed count of digits, leading zeros included.
//!
//! GS1 keys are digit strings, not numbers: `0614141` and `614141` are different company
//! prefixes, and the digit count decides the partition. So every such field keeps its width.

use crate::error::{Error, Field, Result};

/// The widest digit string this crate reads: an SSCC-18. Any such string fits `u64`.
pub(crate) const DIGITS_MAX: usize = 18;

/// `10^exponent`, for `exponent <= 19`.
pub(crate) const fn power_of_ten(exponent: u32) -> u64 {
    assert!(exponent <= 19, "10^exponent must fit u64");
    10u64.pow(exponent)
}

/// A decimal value with its width; `value < 10^digits` always holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Decimal {
    value: u64,
    digits: u8,
}

impl Decimal {
    /// Checks that `value` fits `digits` decimal digits.
    pub(crate) fn new(value: u64, digits: u8, field: Field) -> Result<Decimal> {
        assert!(
            usize::from(digits) <= DIGITS_MAX,
            "field width is a constant of the TDS"
        );
        if value < power_of_ten(u32::from(digits)) {
            Ok(Decimal { value, digits })
        } else {
            Err(Error::DigitsOverflow {
                field,
                value,
                digits,
            })
        }
    }

    /// Reads a string of `min..=max` ASCII digits, keeping leading zeros as width.
    pub(crate) fn parse(text: &str, field: Field, min: usize, max: usize) -> Result<Decimal> {
        let value = parse_digits(text, field, min, max)?;
        let digits = u8::try_from(text.len()).map_err(|_| digit_count(text, field, min, max))?;
        Ok(Decimal { value, digits })
    }

    pub(crate) const fn value(self) -> u64 {
        self.value
    }

    pub(crate) const fn digits(self) -> u8 {
        self.digits
    }

    /// The leading digit: the GTIN indicator or the SSCC extension digit.
    pub(crate) fn leading_digit(self) -> u8 {
        let rest = power_of_ten(u32::from(self.digits.saturating_sub(1)));
        let digit = self.value / rest;
        u8::try_from(digit).expect("value < 10^digits, so the leading digit is 0..=9")
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:0width$}",
            self.value,
            width = usize::from(self.digits)
        )
    }
}

/// Reads `min..=max` ASCII decimal digits.
pub(crate) fn parse_digits(text: &str, field: Field, min: usize, max: usize) -> Result<u64> {
    assert!(max <= DIGITS_MAX, "field width is a constant of the TDS");
    if !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(Error::NonDigit { field });
    }
    if !(min..=max).contains(&text.len()) {
        return Err(digit_count(text, field, min, max));
    }
    Ok(text
        .bytes()
        .fold(0, |value, byte| value * 10 + u64::from(byte - b'0')))
}

fn digit_count(text: &str, field: Field, min: usize, max: usize) -> Error {
    Error::DigitCount {
        field,
        actual: text.len(),
        min,
        max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_leading_zeros() {
        let decimal = Decimal::parse("0614141", Field::CompanyPrefix, 6, 12).unwrap();
        assert_eq!((decimal.value(), decimal.digits()), (614141, 7));
        assert_eq!(decimal.to_string(), "0614141");
        assert_eq!(decimal.leading_digit(), 0);
    }

    #[test]
    fn leading_digit_of_indicator() {
        let decimal = Decimal::new(812345, 6, Field::ItemReference).unwrap();
        assert_eq!(decimal.leading_digit(), 8);
        assert_eq!(
            Decimal::new(0, 1, Field::ItemReference)
                .unwrap()
                .leading_digit(),
            0
        );
    }

    #[test]
    fn rejects_values_wider_than_the_field() {
        assert_eq!(
            Decimal::new(10, 1, Field::ItemReference),
            Err(Error::DigitsOverflow {
                field: Field::ItemReference,
                value: 10,
                digits: 1
            })
        );
        assert!(Decimal::new(9, 1, Field::ItemReference).is_ok());
    }

    #[test]
    fn rejects_non_digits_and_wrong_counts() {
        let field = Field::CompanyPrefix;
        for text in ["06141a1", "+614141", " 614141", "٠٦١٤١٤١", "0614141."] {
            assert_eq!(
                Decimal::parse(text, field, 6, 12),
                Err(Error::NonDigit { field }),
                "{text}"
            );
        }
        assert_eq!(
            Decimal::parse("12345", field, 6, 12),
            Err(Error::DigitCount {
                field,
                actual: 5,
                min: 6,
                max: 12
            })
        );
        assert_eq!(
            Decimal::parse("", field, 6, 12),
            Err(Error::DigitCount {
                field,
                actual: 0,
                min: 6,
                max: 12
            })
        );
    }
}
