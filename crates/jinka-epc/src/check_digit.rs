//! The GS1 mod-10 check digit of GTINs and SSCCs.

use crate::error::{Error, Field, Result};

/// The check digit of the GS1 key whose other digits are `body` (GS1 General Specifications
/// §7.9.1, standard check digit calculation): weights 3 and 1 alternate from the rightmost
/// digit of `body`, and the check digit brings the weighted sum to a multiple of 10.
///
/// Leading zeros weigh nothing, so `body` as a number is enough.
pub(crate) fn check_digit(body: u64) -> u8 {
    let mut rest = body;
    let mut sum = 0u64;
    let mut weight = 3;
    while rest > 0 {
        sum += (rest % 10) * weight;
        rest /= 10;
        weight = 4 - weight;
    }
    let digit = (10 - sum % 10) % 10;
    u8::try_from(digit).expect("a value mod 10 fits u8")
}

/// Splits a GS1 key read as a number into its body and check digit, and verifies the check.
pub(crate) fn verify(key: u64, field: Field) -> Result<u64> {
    let body = key / 10;
    let found = u8::try_from(key % 10).expect("a value mod 10 fits u8");
    let expected = check_digit(body);
    if found == expected {
        Ok(body)
    } else {
        Err(Error::CheckDigit {
            field,
            expected,
            found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs1_general_specifications_examples() {
        // GTIN-13 629104150021 + 3, the worked example of the GS1 General Specifications.
        assert_eq!(check_digit(629_104_150_021), 3);
        // GTIN-14 and SSCC-18 of the TDS SGTIN and SSCC examples.
        assert_eq!(check_digit(8_061_414_112_345), 8);
        assert_eq!(check_digit(10_614_141_234_567_890), 8);
        assert_eq!(check_digit(0), 0);
    }

    #[test]
    fn verify_reports_both_digits() {
        assert_eq!(
            verify(80_614_141_123_458, Field::Gtin),
            Ok(8_061_414_112_345)
        );
        assert_eq!(
            verify(80_614_141_123_459, Field::Gtin),
            Err(Error::CheckDigit {
                field: Field::Gtin,
                expected: 8,
                found: 9
            })
        );
    }
}
