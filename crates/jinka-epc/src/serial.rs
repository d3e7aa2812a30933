//! The SGTIN-96 serial number.

use crate::decimal::parse_digits;
use crate::error::{Error, Field, Result};

/// The serial number of an SGTIN-96: an integer below 2^38.
///
/// GS1 serials (AI 21) are strings of up to 20 characters; only those that are a decimal
/// integer below 2^38 written without leading zeros have an SGTIN-96 encoding (TDS, SGTIN-96
/// encoding: otherwise SGTIN-198 must be used). `"0"` itself is allowed.
///
/// ```
/// use jinka_epc::Serial;
/// assert_eq!("6789".parse::<Serial>()?.value(), 6789);
/// assert!("06789".parse::<Serial>().is_err());
/// # Ok::<(), jinka_epc::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(u64);

impl Serial {
    /// The width of the serial field of SGTIN-96.
    pub const BITS: u32 = 38;
    /// The largest serial, 2^38 - 1 = 274877906943.
    pub const MAX: Serial = Serial((1 << Serial::BITS) - 1);
    /// The digits of [`Serial::MAX`].
    const DIGITS_MAX: usize = 12;

    pub fn new(value: u64) -> Result<Serial> {
        if value <= Serial::MAX.0 {
            Ok(Serial(value))
        } else {
            Err(Error::SerialTooLarge { value })
        }
    }

    pub const fn value(self) -> u64 {
        self.0
    }
}

impl std::str::FromStr for Serial {
    type Err = Error;

    fn from_str(text: &str) -> Result<Serial> {
        let value = parse_digits(text, Field::Serial, 1, Serial::DIGITS_MAX)?;
        if text.len() > 1 && text.starts_with('0') {
            return Err(Error::SerialLeadingZero);
        }
        Serial::new(value)
    }
}

impl std::fmt::Display for Serial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_38_bits() {
        assert_eq!(Serial::MAX.value(), 274_877_906_943);
        assert_eq!("274877906943".parse(), Ok(Serial::MAX));
        assert_eq!(
            "274877906944".parse::<Serial>(),
            Err(Error::SerialTooLarge {
                value: 274_877_906_944
            })
        );
        assert_eq!(
            Serial::new(1 << 38),
            Err(Error::SerialTooLarge { value: 1 << 38 })
        );
    }

    #[test]
    fn text_is_decimal_without_leading_zeros() {
        assert_eq!("0".parse(), Ok(Serial(0)));
        assert_eq!("00".parse::<Serial>(), Err(Error::SerialLeadingZero));
        assert_eq!("0123".parse::<Serial>(), Err(Error::SerialLeadingZero));
        for text in ["12a", "-1", "+1", "1 ", "%31"] {
            assert_eq!(
                text.parse::<Serial>(),
                Err(Error::NonDigit {
                    field: Field::Serial
                }),
                "{text}"
            );
        }
        assert!(matches!(
            "".parse::<Serial>(),
            Err(Error::DigitCount { actual: 0, .. })
        ));
        assert!(matches!(
            "1000000000000".parse::<Serial>(),
            Err(Error::DigitCount { actual: 13, .. })
        ));
    }
}
