//! The GS1 Digital Link URI of an EPC, on the canonical host `id.gs1.org`.
//!
//! - SGTIN: `https://id.gs1.org/01/{GTIN-14}/21/{serial}` (AI 01 GTIN, AI 21 serial).
//! - SSCC: `https://id.gs1.org/00/{SSCC-18}` (AI 00).
//!
//! A GS1 key does not say how many of its digits are the company prefix: that comes from the
//! GS1 Company Prefix allocation, outside this crate, so the decoders take it as an argument,
//! and the filter too, which a Digital Link does not carry. The check digit is computed on
//! encoding and verified on decoding.
//!
//! The decoders read exactly this form: the host `id.gs1.org` over `https`, a 14-digit GTIN
//! (not GTIN-8/12/13), no query string, no trailing slash, no percent-escapes (an SGTIN-96
//! serial is all digits).

use crate::decimal::parse_digits;
use crate::error::{Error, Field, Result};
use crate::filter::Filter;
use crate::scheme::Scheme;
use crate::serial::Serial;
use crate::sgtin::{self, Sgtin};
use crate::sscc::{self, Sscc};
use crate::uri::check_length;

const ORIGIN: &str = "https://id.gs1.org/";
const SGTIN_PATH: &str = "01/{GTIN-14}/21/{serial}";
const SSCC_PATH: &str = "00/{SSCC-18}";
const GTIN_DIGITS: usize = 14;
const SSCC_DIGITS: usize = 18;

/// The scheme a Digital Link names by its first application identifier, and its path.
pub(crate) fn scheme_of(uri: &str) -> Result<(Scheme, &str)> {
    check_length(uri)?;
    let path = uri
        .strip_prefix(ORIGIN)
        .ok_or(Error::UriPrefix { expected: ORIGIN })?;
    if path.starts_with("01/") {
        Ok((Scheme::Sgtin96, path))
    } else if path.starts_with("00/") {
        Ok((Scheme::Sscc96, path))
    } else {
        Err(Error::DigitalLinkPath {
            expected: "01/{GTIN-14}/21/{serial} or 00/{SSCC-18}",
        })
    }
}

/// Exactly `N` slash-separated segments.
fn segments<'a, const N: usize>(path: &'a str, expected: &'static str) -> Result<[&'a str; N]> {
    let mut segments = [""; N];
    let mut found = 0;
    for segment in path.split('/') {
        if let Some(slot) = segments.get_mut(found) {
            *slot = segment;
        }
        found += 1;
    }
    if found == N {
        Ok(segments)
    } else {
        Err(Error::DigitalLinkPath { expected })
    }
}

impl Sgtin {
    /// `https://id.gs1.org/01/{GTIN-14}/21/{serial}`; the filter is not part of it.
    pub fn digital_link(&self) -> String {
        format!("{ORIGIN}01/{}/21/{}", self.gtin14(), self.serial())
    }

    /// Reads a Digital Link whose GTIN has a company prefix of `company_prefix_digits` (6..=12)
    /// digits; `filter` is the filter value the tag is to carry.
    pub fn from_digital_link(
        uri: &str,
        company_prefix_digits: u8,
        filter: Filter,
    ) -> Result<Sgtin> {
        let (scheme, path) = scheme_of(uri)?;
        scheme.expect(Scheme::Sgtin96)?;
        let [_, gtin, serial_ai, serial] = segments(path, SGTIN_PATH)?;
        if serial_ai != "21" {
            return Err(Error::DigitalLinkPath {
                expected: SGTIN_PATH,
            });
        }
        let gtin = parse_digits(gtin, Field::Gtin, GTIN_DIGITS, GTIN_DIGITS)?;
        let serial: Serial = serial.parse()?;
        sgtin::from_gtin(gtin, company_prefix_digits, filter, serial)
    }
}

impl Sscc {
    /// `https://id.gs1.org/00/{SSCC-18}`; the filter is not part of it.
    pub fn digital_link(&self) -> String {
        format!("{ORIGIN}00/{}", self.sscc18())
    }

    /// Reads a Digital Link whose SSCC has a company prefix of `company_prefix_digits` (6..=12)
    /// digits; `filter` is the filter value the tag is to carry.
    pub fn from_digital_link(uri: &str, company_prefix_digits: u8, filter: Filter) -> Result<Sscc> {
        let (scheme, path) = scheme_of(uri)?;
        scheme.expect(Scheme::Sscc96)?;
        let [_, key] = segments(path, SSCC_PATH)?;
        let key = parse_digits(key, Field::Sscc, SSCC_DIGITS, SSCC_DIGITS)?;
        sscc::from_key(key, company_prefix_digits, filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SGTIN_LINK: &str = "https://id.gs1.org/01/80614141123458/21/6789";
    const SSCC_LINK: &str = "https://id.gs1.org/00/106141412345678908";

    fn filter3() -> Filter {
        Filter::new(3).unwrap()
    }

    #[test]
    fn tds_examples_round_trip() {
        let sgtin = Sgtin::from_tag_uri("urn:epc:tag:sgtin-96:3.0614141.812345.6789").unwrap();
        assert_eq!(sgtin.digital_link(), SGTIN_LINK);
        assert_eq!(
            Sgtin::from_digital_link(SGTIN_LINK, 7, filter3()),
            Ok(sgtin)
        );
        let sscc = Sscc::from_tag_uri("urn:epc:tag:sscc-96:3.0614141.1234567890").unwrap();
        assert_eq!(sscc.digital_link(), SSCC_LINK);
        assert_eq!(Sscc::from_digital_link(SSCC_LINK, 7, filter3()), Ok(sscc));
    }

    #[test]
    fn company_prefix_length_moves_the_split() {
        // The same GTIN under a 9-digit prefix: 061414112 and item reference 8 + 345.
        let sgtin = Sgtin::from_digital_link(SGTIN_LINK, 9, filter3()).unwrap();
        assert_eq!(sgtin.pure_uri(), "urn:epc:id:sgtin:061414112.8345.6789");
        assert_eq!(sgtin.digital_link(), SGTIN_LINK);
        for digits in [5, 13] {
            assert_eq!(
                Sgtin::from_digital_link(SGTIN_LINK, digits, filter3()),
                Err(Error::DigitCount {
                    field: Field::CompanyPrefix,
                    actual: usize::from(digits),
                    min: 6,
                    max: 12
                })
            );
        }
    }

    #[test]
    fn bad_check_digit_is_typed() {
        assert_eq!(
            Sgtin::from_digital_link("https://id.gs1.org/01/80614141123457/21/6789", 7, filter3()),
            Err(Error::CheckDigit {
                field: Field::Gtin,
                expected: 8,
                found: 7
            })
        );
        assert_eq!(
            Sscc::from_digital_link("https://id.gs1.org/00/106141412345678900", 7, filter3()),
            Err(Error::CheckDigit {
                field: Field::Sscc,
                expected: 8,
                found: 0
            })
        );
    }

    #[test]
    fn only_the_canonical_form_is_read() {
        let cases = [
            (
                "http://id.gs1.org/01/80614141123458/21/6789",
                Error::UriPrefix { expected: ORIGIN },
            ),
            (
                "https://example.com/01/80614141123458/21/6789",
                Error::UriPrefix { expected: ORIGIN },
            ),
            (
                "https://id.gs1.org/01/80614141123458",
                Error::DigitalLinkPath {
                    expected: SGTIN_PATH,
                },
            ),
            (
                "https://id.gs1.org/01/80614141123458/21/6789/",
                Error::DigitalLinkPath {
                    expected: SGTIN_PATH,
                },
            ),
            (
                "https://id.gs1.org/01/80614141123458/10/6789",
                Error::DigitalLinkPath {
                    expected: SGTIN_PATH,
                },
            ),
            (
                "https://id.gs1.org/01/0614141123452/21/6789",
                Error::DigitCount {
                    field: Field::Gtin,
                    actual: 13,
                    min: 14,
                    max: 14,
                },
            ),
            (
                "https://id.gs1.org/01/80614141123458/21/6789?linkType=all",
                Error::NonDigit {
                    field: Field::Serial,
                },
            ),
            (
                "https://id.gs1.org/01/80614141123458/21/0789",
                Error::SerialLeadingZero,
            ),
            (
                "https://id.gs1.org/00/106141412345678908",
                Error::Scheme {
                    expected: Scheme::Sgtin96,
                    found: Scheme::Sscc96,
                },
            ),
            (
                "https://id.gs1.org/414/0614141000005",
                Error::DigitalLinkPath {
                    expected: "01/{GTIN-14}/21/{serial} or 00/{SSCC-18}",
                },
            ),
        ];
        for (uri, error) in cases {
            assert_eq!(
                Sgtin::from_digital_link(uri, 7, filter3()),
                Err(error),
                "{uri}"
            );
        }
    }
}
