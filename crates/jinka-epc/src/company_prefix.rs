//! The GS1 Company Prefix.

use crate::decimal::Decimal;
use crate::error::{Error, Field, Result};

/// A GS1 Company Prefix of 6 to 12 digits, leading zeros significant.
///
/// Its digit count selects the partition of the binary encodings.
///
/// ```
/// use jinka_epc::CompanyPrefix;
/// let prefix: CompanyPrefix = "0614141".parse()?;
/// assert_eq!((prefix.value(), prefix.digits()), (614141, 7));
/// assert_eq!(prefix.to_string(), "0614141");
/// # Ok::<(), jinka_epc::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CompanyPrefix(Decimal);

impl CompanyPrefix {
    pub const DIGITS_MIN: u8 = 6;
    pub const DIGITS_MAX: u8 = 12;

    /// The prefix `value` written with `digits` digits.
    pub fn new(value: u64, digits: u8) -> Result<CompanyPrefix> {
        check_digits(usize::from(digits))?;
        Decimal::new(value, digits, Field::CompanyPrefix).map(CompanyPrefix)
    }

    pub const fn value(self) -> u64 {
        self.0.value()
    }

    pub const fn digits(self) -> u8 {
        self.0.digits()
    }
}

/// Checks a company prefix length, also when it comes as an argument rather than digits.
pub(crate) fn check_digits(digits: usize) -> Result<()> {
    let min = usize::from(CompanyPrefix::DIGITS_MIN);
    let max = usize::from(CompanyPrefix::DIGITS_MAX);
    if (min..=max).contains(&digits) {
        Ok(())
    } else {
        Err(Error::DigitCount {
            field: Field::CompanyPrefix,
            actual: digits,
            min,
            max,
        })
    }
}

impl std::str::FromStr for CompanyPrefix {
    type Err = Error;

    fn from_str(text: &str) -> Result<CompanyPrefix> {
        Decimal::parse(
            text,
            Field::CompanyPrefix,
            usize::from(CompanyPrefix::DIGITS_MIN),
            usize::from(CompanyPrefix::DIGITS_MAX),
        )
        .map(CompanyPrefix)
    }
}

impl std::fmt::Display for CompanyPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_is_six_to_twelve_digits() {
        assert!("061414".parse::<CompanyPrefix>().is_ok());
        assert!("061414123456".parse::<CompanyPrefix>().is_ok());
        for text in ["06141", "0614141234567"] {
            assert_eq!(
                text.parse::<CompanyPrefix>(),
                Err(Error::DigitCount {
                    field: Field::CompanyPrefix,
                    actual: text.len(),
                    min: 6,
                    max: 12
                })
            );
        }
    }

    #[test]
    fn new_checks_width_and_value() {
        assert_eq!(
            CompanyPrefix::new(614141, 7).unwrap().to_string(),
            "0614141"
        );
        assert!(matches!(
            CompanyPrefix::new(1, 5),
            Err(Error::DigitCount { actual: 5, .. })
        ));
        assert!(matches!(
            CompanyPrefix::new(1_000_000, 6),
            Err(Error::DigitsOverflow { .. })
        ));
    }
}
