//! The EPC pure identity URI and the EPC tag URI.
//!
//! - Pure identity (TDS §6.3, SGTIN and SSCC): `urn:epc:id:sgtin:CompanyPrefix.ItemRef.Serial`
//!   and `urn:epc:id:sscc:CompanyPrefix.SerialRef`. It names the object only: no filter.
//! - Tag URI (TDS §12): `urn:epc:tag:sgtin-96:Filter.CompanyPrefix.ItemRef.Serial` and
//!   `urn:epc:tag:sscc-96:Filter.CompanyPrefix.SerialRef`. It carries every field of the
//!   binary encoding.
//!
//! The company prefix's digit count selects the partition, and the reference must have the
//! rest of the 13 (SGTIN) or 17 (SSCC) digits. This crate reads the URIs exactly as the TDS
//! writes them: lowercase prefix, no percent-escapes (an SGTIN-96 serial is all digits).

use crate::company_prefix::CompanyPrefix;
use crate::decimal::parse_digits;
use crate::error::{Error, Field, Result};
use crate::filter::Filter;
use crate::item_reference::ItemReference;
use crate::scheme::Scheme;
use crate::serial_reference::SerialReference;
use crate::sgtin::{self, Sgtin};
use crate::sscc::{self, Sscc};

/// The longest URI or Digital Link the decoders read. The longest valid one, an SGTIN Digital
/// Link, has 52 bytes.
pub const URI_BYTES_MAX: usize = 128;

/// The two URI forms of an EPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    Pure,
    Tag,
}

const fn prefix(scheme: Scheme, form: Form) -> &'static str {
    match (scheme, form) {
        (Scheme::Sgtin96, Form::Pure) => "urn:epc:id:sgtin:",
        (Scheme::Sscc96, Form::Pure) => "urn:epc:id:sscc:",
        (Scheme::Sgtin96, Form::Tag) => "urn:epc:tag:sgtin-96:",
        (Scheme::Sscc96, Form::Tag) => "urn:epc:tag:sscc-96:",
    }
}

pub(crate) fn check_length(uri: &str) -> Result<()> {
    if uri.len() > URI_BYTES_MAX {
        return Err(Error::UriTooLong {
            actual: uri.len(),
            max: URI_BYTES_MAX,
        });
    }
    Ok(())
}

/// The scheme a URI of `form` names by its prefix.
pub(crate) fn scheme_of(uri: &str, form: Form) -> Result<Scheme> {
    check_length(uri)?;
    [Scheme::Sgtin96, Scheme::Sscc96]
        .into_iter()
        .find(|&scheme| uri.starts_with(prefix(scheme, form)))
        .ok_or(Error::UriPrefix {
            expected: match form {
                Form::Pure => "urn:epc:id:sgtin: or urn:epc:id:sscc:",
                Form::Tag => "urn:epc:tag:sgtin-96: or urn:epc:tag:sscc-96:",
            },
        })
}

/// The part of `uri` after the prefix of `scheme`, or why there is none.
fn body(uri: &str, scheme: Scheme, form: Form) -> Result<&str> {
    check_length(uri)?;
    if let Some(body) = uri.strip_prefix(prefix(scheme, form)) {
        return Ok(body);
    }
    match scheme_of(uri, form) {
        Ok(found) => Err(Error::Scheme {
            expected: scheme,
            found,
        }),
        Err(_) => Err(Error::UriPrefix {
            expected: prefix(scheme, form),
        }),
    }
}

/// Exactly `N` dot-separated fields.
fn fields<const N: usize>(body: &str) -> Result<[&str; N]> {
    let mut fields = [""; N];
    let mut found = 0;
    for field in body.split('.') {
        if let Some(slot) = fields.get_mut(found) {
            *slot = field;
        }
        found += 1;
    }
    if found == N {
        Ok(fields)
    } else {
        Err(Error::UriFieldCount { expected: N, found })
    }
}

/// The filter of a tag URI: one decimal digit, 0..=7.
fn parse_filter(text: &str) -> Result<Filter> {
    let value = parse_digits(text, Field::Filter, 1, 1)?;
    Filter::new(u8::try_from(value).map_err(|_| Error::NonDigit {
        field: Field::Filter,
    })?)
}

fn parse_sgtin(filter: Filter, company_prefix: &str, item: &str, serial: &str) -> Result<Sgtin> {
    let company_prefix: CompanyPrefix = company_prefix.parse()?;
    let digits = sgtin::KEY_DIGITS - company_prefix.digits();
    let width = usize::from(digits);
    let item = parse_digits(item, Field::ItemReference, width, width)?;
    let item_reference = ItemReference::new(item, digits)?;
    Sgtin::new(filter, company_prefix, item_reference, serial.parse()?)
}

fn parse_sscc(filter: Filter, company_prefix: &str, reference: &str) -> Result<Sscc> {
    let company_prefix: CompanyPrefix = company_prefix.parse()?;
    let digits = sscc::KEY_DIGITS - company_prefix.digits();
    let width = usize::from(digits);
    let reference = parse_digits(reference, Field::SerialReference, width, width)?;
    Sscc::new(
        filter,
        company_prefix,
        SerialReference::new(reference, digits)?,
    )
}

impl Sgtin {
    /// `urn:epc:id:sgtin:CompanyPrefix.ItemRef.Serial`; the filter is not part of it.
    pub fn pure_uri(&self) -> String {
        format!(
            "{}{}.{}.{}",
            prefix(Scheme::Sgtin96, Form::Pure),
            self.company_prefix(),
            self.item_reference(),
            self.serial()
        )
    }

    /// Reads a pure identity URI; `filter` is the filter value the tag is to carry.
    pub fn from_pure_uri(uri: &str, filter: Filter) -> Result<Sgtin> {
        let [company_prefix, item, serial] = fields(body(uri, Scheme::Sgtin96, Form::Pure)?)?;
        parse_sgtin(filter, company_prefix, item, serial)
    }

    /// `urn:epc:tag:sgtin-96:Filter.CompanyPrefix.ItemRef.Serial`.
    pub fn tag_uri(&self) -> String {
        format!(
            "{}{}.{}.{}.{}",
            prefix(Scheme::Sgtin96, Form::Tag),
            self.filter(),
            self.company_prefix(),
            self.item_reference(),
            self.serial()
        )
    }

    pub fn from_tag_uri(uri: &str) -> Result<Sgtin> {
        let [filter, company_prefix, item, serial] =
            fields(body(uri, Scheme::Sgtin96, Form::Tag)?)?;
        parse_sgtin(parse_filter(filter)?, company_prefix, item, serial)
    }
}

impl Sscc {
    /// `urn:epc:id:sscc:CompanyPrefix.SerialRef`; the filter is not part of it.
    pub fn pure_uri(&self) -> String {
        format!(
            "{}{}.{}",
            prefix(Scheme::Sscc96, Form::Pure),
            self.company_prefix(),
            self.serial_reference()
        )
    }

    /// Reads a pure identity URI; `filter` is the filter value the tag is to carry.
    pub fn from_pure_uri(uri: &str, filter: Filter) -> Result<Sscc> {
        let [company_prefix, reference] = fields(body(uri, Scheme::Sscc96, Form::Pure)?)?;
        parse_sscc(filter, company_prefix, reference)
    }

    /// `urn:epc:tag:sscc-96:Filter.CompanyPrefix.SerialRef`.
    pub fn tag_uri(&self) -> String {
        format!(
            "{}{}.{}.{}",
            prefix(Scheme::Sscc96, Form::Tag),
            self.filter(),
            self.company_prefix(),
            self.serial_reference()
        )
    }

    pub fn from_tag_uri(uri: &str) -> Result<Sscc> {
        let [filter, company_prefix, reference] = fields(body(uri, Scheme::Sscc96, Form::Tag)?)?;
        parse_sscc(parse_filter(filter)?, company_prefix, reference)
    }
}

/// The tag URI, the one text form that carries every field.
impl std::fmt::Display for Sgtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.tag_uri())
    }
}

/// Reads the tag URI.
impl std::str::FromStr for Sgtin {
    type Err = Error;

    fn from_str(uri: &str) -> Result<Sgtin> {
        Sgtin::from_tag_uri(uri)
    }
}

/// The tag URI, the one text form that carries every field.
impl std::fmt::Display for Sscc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.tag_uri())
    }
}

/// Reads the tag URI.
impl std::str::FromStr for Sscc {
    type Err = Error;

    fn from_str(uri: &str) -> Result<Sscc> {
        Sscc::from_tag_uri(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SGTIN_TAG: &str = "urn:epc:tag:sgtin-96:3.0614141.812345.6789";
    const SGTIN_PURE: &str = "urn:epc:id:sgtin:0614141.812345.6789";
    const SSCC_TAG: &str = "urn:epc:tag:sscc-96:3.0614141.1234567890";
    const SSCC_PURE: &str = "urn:epc:id:sscc:0614141.1234567890";

    fn filter3() -> Filter {
        Filter::new(3).unwrap()
    }

    #[test]
    fn tds_examples_round_trip() {
        let sgtin = Sgtin::from_tag_uri(SGTIN_TAG).unwrap();
        assert_eq!(sgtin.tag_uri(), SGTIN_TAG);
        assert_eq!(sgtin.pure_uri(), SGTIN_PURE);
        assert_eq!(Sgtin::from_pure_uri(SGTIN_PURE, filter3()), Ok(sgtin));
        let sscc = Sscc::from_tag_uri(SSCC_TAG).unwrap();
        assert_eq!(sscc.tag_uri(), SSCC_TAG);
        assert_eq!(sscc.pure_uri(), SSCC_PURE);
        assert_eq!(Sscc::from_pure_uri(SSCC_PURE, filter3()), Ok(sscc));
        assert_eq!(sgtin.to_string().parse(), Ok(sgtin));
        assert_eq!(sscc.to_string().parse(), Ok(sscc));
    }

    #[test]
    fn prefix_errors_say_what_was_expected() {
        assert_eq!(
            Sgtin::from_pure_uri("urn:epc:id:sgtn:0614141.812345.6789", filter3()),
            Err(Error::UriPrefix {
                expected: "urn:epc:id:sgtin:"
            })
        );
        assert_eq!(
            Sgtin::from_tag_uri("URN:EPC:TAG:SGTIN-96:3.0614141.812345.6789"),
            Err(Error::UriPrefix {
                expected: "urn:epc:tag:sgtin-96:"
            })
        );
        assert_eq!(
            Sgtin::from_tag_uri(SSCC_TAG),
            Err(Error::Scheme {
                expected: Scheme::Sgtin96,
                found: Scheme::Sscc96
            })
        );
        assert_eq!(
            Sscc::from_pure_uri(SGTIN_PURE, filter3()),
            Err(Error::Scheme {
                expected: Scheme::Sscc96,
                found: Scheme::Sgtin96
            })
        );
        // SGTIN-198 is a valid TDS scheme that this crate does not encode.
        assert_eq!(
            Sgtin::from_tag_uri("urn:epc:tag:sgtin-198:3.0614141.812345.6789"),
            Err(Error::UriPrefix {
                expected: "urn:epc:tag:sgtin-96:"
            })
        );
        // A pure identity URI is not a tag URI.
        assert!(matches!(
            Sgtin::from_tag_uri(SGTIN_PURE),
            Err(Error::UriPrefix { .. })
        ));
    }

    #[test]
    fn field_count_is_exact() {
        for (uri, found) in [
            ("urn:epc:tag:sgtin-96:3.0614141.812345", 3),
            ("urn:epc:tag:sgtin-96:3.0614141.812345.6789.1", 5),
            ("urn:epc:tag:sgtin-96:", 1),
        ] {
            assert_eq!(
                Sgtin::from_tag_uri(uri),
                Err(Error::UriFieldCount { expected: 4, found }),
                "{uri}"
            );
        }
        assert_eq!(
            Sscc::from_pure_uri("urn:epc:id:sscc:06141411234567890", filter3()),
            Err(Error::UriFieldCount {
                expected: 2,
                found: 1
            })
        );
    }

    #[test]
    fn field_errors_name_the_field() {
        let cases = [
            (
                "urn:epc:tag:sgtin-96:8.0614141.812345.6789",
                Error::FilterOutOfRange { value: 8 },
            ),
            (
                "urn:epc:tag:sgtin-96:03.0614141.812345.6789",
                Error::DigitCount {
                    field: Field::Filter,
                    actual: 2,
                    min: 1,
                    max: 1,
                },
            ),
            (
                "urn:epc:tag:sgtin-96:3.06141.8123456.6789",
                Error::DigitCount {
                    field: Field::CompanyPrefix,
                    actual: 5,
                    min: 6,
                    max: 12,
                },
            ),
            (
                "urn:epc:tag:sgtin-96:3.0614141.81234.6789",
                Error::DigitCount {
                    field: Field::ItemReference,
                    actual: 5,
                    min: 6,
                    max: 6,
                },
            ),
            (
                "urn:epc:tag:sgtin-96:3.0614141.8123x5.6789",
                Error::NonDigit {
                    field: Field::ItemReference,
                },
            ),
            (
                "urn:epc:tag:sgtin-96:3.0614141.812345.06789",
                Error::SerialLeadingZero,
            ),
            (
                "urn:epc:tag:sgtin-96:3.0614141.812345.274877906944",
                Error::SerialTooLarge {
                    value: 274_877_906_944,
                },
            ),
            (
                "urn:epc:tag:sgtin-96:3.0614141.812345.",
                Error::DigitCount {
                    field: Field::Serial,
                    actual: 0,
                    min: 1,
                    max: 12,
                },
            ),
            (
                "urn:epc:tag:sgtin-96:3.0614141.812345.%36789",
                Error::NonDigit {
                    field: Field::Serial,
                },
            ),
        ];
        for (uri, error) in cases {
            assert_eq!(Sgtin::from_tag_uri(uri), Err(error), "{uri}");
        }
        assert_eq!(
            Sscc::from_tag_uri("urn:epc:tag:sscc-96:3.0614141.123456789"),
            Err(Error::DigitCount {
                field: Field::SerialReference,
                actual: 9,
                min: 10,
                max: 10
            })
        );
    }

    #[test]
    fn long_input_is_rejected_before_parsing() {
        let uri = format!("{SGTIN_TAG}{}", "0".repeat(URI_BYTES_MAX));
        assert_eq!(
            Sgtin::from_tag_uri(&uri),
            Err(Error::UriTooLong {
                actual: uri.len(),
                max: URI_BYTES_MAX
            })
        );
    }
}
