//! The SSCC serial reference, extension digit first.

use crate::decimal::Decimal;
use crate::error::{Error, Field, Result};

/// The serial reference of an SSCC with the extension digit in front, as the EPC URIs and
/// binary encodings carry it: 5 to 11 digits, leading zeros significant. Together with the
/// company prefix it has 17 digits.
///
/// ```
/// use jinka_epc::SerialReference;
/// let reference: SerialReference = "1234567890".parse()?;
/// assert_eq!(reference.extension(), 1);
/// # Ok::<(), jinka_epc::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SerialReference(Decimal);

impl SerialReference {
    pub const DIGITS_MIN: u8 = 5;
    pub const DIGITS_MAX: u8 = 11;

    /// The serial reference `value` written with `digits` digits.
    pub fn new(value: u64, digits: u8) -> Result<SerialReference> {
        check_width(usize::from(digits))?;
        Decimal::new(value, digits, Field::SerialReference).map(SerialReference)
    }

    pub const fn value(self) -> u64 {
        self.0.value()
    }

    pub const fn digits(self) -> u8 {
        self.0.digits()
    }

    /// The SSCC-18 extension digit (TDS, SSCC: the first digit of the serial reference field).
    pub fn extension(self) -> u8 {
        self.0.leading_digit()
    }
}

fn check_width(digits: usize) -> Result<()> {
    let (min, max) = (
        usize::from(SerialReference::DIGITS_MIN),
        usize::from(SerialReference::DIGITS_MAX),
    );
    if (min..=max).contains(&digits) {
        Ok(())
    } else {
        Err(Error::DigitCount {
            field: Field::SerialReference,
            actual: digits,
            min,
            max,
        })
    }
}

impl std::str::FromStr for SerialReference {
    type Err = Error;

    fn from_str(text: &str) -> Result<SerialReference> {
        Decimal::parse(
            text,
            Field::SerialReference,
            usize::from(SerialReference::DIGITS_MIN),
            usize::from(SerialReference::DIGITS_MAX),
        )
        .map(SerialReference)
    }
}

impl std::fmt::Display for SerialReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_is_the_first_digit() {
        assert_eq!(
            "00000001".parse::<SerialReference>().unwrap().extension(),
            0
        );
        assert_eq!(
            "9234567890".parse::<SerialReference>().unwrap().extension(),
            9
        );
        assert_eq!(SerialReference::new(1234, 5).unwrap().to_string(), "01234");
    }

    #[test]
    fn width_is_five_to_eleven_digits() {
        assert!(matches!(
            "1234".parse::<SerialReference>(),
            Err(Error::DigitCount { actual: 4, .. })
        ));
        assert!(matches!(
            SerialReference::new(0, 12),
            Err(Error::DigitCount { actual: 12, .. })
        ));
    }
}
