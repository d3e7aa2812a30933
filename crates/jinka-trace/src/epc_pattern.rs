//! EPC patterns, as the EPCIS `MATCH_*` query parameters take them.
//!
//! TDS §8 pure identity patterns: `urn:epc:idpat:sgtin:CompanyPrefix.ItemRef.Serial` and
//! `urn:epc:idpat:sscc:CompanyPrefix.SerialRef`, each field a value or `*`, and a `*` only
//! followed by `*`s (`0614141.812345.*`, `0614141.*.*`, `*.*.*`; not `*.812345.6789`). A
//! pure identity URI is a pattern that matches itself.

use jinka_epc::{CompanyPrefix, ItemReference, Scheme, Serial, SerialReference};

use crate::epc::Epc;
use crate::error::{Error, Result};

const SGTIN_PATTERN: &str = "urn:epc:idpat:sgtin:";
const SSCC_PATTERN: &str = "urn:epc:idpat:sscc:";
/// Digits of the company prefix and reference together (TDS: GTIN-14 and SSCC-18 less
/// the check digit).
const SGTIN_KEY_DIGITS: u8 = 13;
const SSCC_KEY_DIGITS: u8 = 17;

/// A set of EPCs: one EPC, or every SGTIN / SSCC whose leading fields are given.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EpcPattern {
    /// A pure identity URI.
    Exact(Epc),
    /// `urn:epc:idpat:sgtin:…`; `None` is `*`.
    Sgtin {
        company_prefix: Option<CompanyPrefix>,
        item_reference: Option<ItemReference>,
    },
    /// `urn:epc:idpat:sscc:…`; `None` is `*`.
    Sscc {
        company_prefix: Option<CompanyPrefix>,
    },
}

impl EpcPattern {
    /// Reads an `idpat` pattern or a pure identity URI.
    ///
    /// ```
    /// use jinka_trace::{Epc, EpcPattern};
    /// let pattern = EpcPattern::parse("urn:epc:idpat:sgtin:0614141.*.*")?;
    /// assert!(pattern.matches(&"urn:epc:id:sgtin:0614141.812345.6789".parse()?));
    /// assert!(!pattern.matches(&"urn:epc:id:sgtin:0614142.812345.6789".parse()?));
    /// # Ok::<(), jinka_trace::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<EpcPattern> {
        if let Some(fields) = text.strip_prefix(SGTIN_PATTERN) {
            parse_sgtin(fields)
        } else if let Some(fields) = text.strip_prefix(SSCC_PATTERN) {
            parse_sscc(fields)
        } else if let Some(rest) = text.strip_prefix("urn:epc:idpat:") {
            Err(Error::UnsupportedEpcScheme {
                scheme: crate::error::quote(rest.split(':').next().unwrap_or_default()),
            })
        } else {
            Epc::from_pure_uri(text).map(EpcPattern::Exact)
        }
    }

    pub fn matches(&self, epc: &Epc) -> bool {
        match self {
            EpcPattern::Exact(exact) => exact == epc,
            EpcPattern::Sgtin {
                company_prefix,
                item_reference,
            } => match epc.identity() {
                jinka_epc::Epc::Sgtin(sgtin) => {
                    company_prefix.is_none_or(|prefix| prefix == sgtin.company_prefix())
                        && item_reference.is_none_or(|item| item == sgtin.item_reference())
                }
                jinka_epc::Epc::Sscc(_) => false,
            },
            EpcPattern::Sscc { company_prefix } => match epc.identity() {
                jinka_epc::Epc::Sscc(sscc) => {
                    company_prefix.is_none_or(|prefix| prefix == sscc.company_prefix())
                }
                jinka_epc::Epc::Sgtin(_) => false,
            },
        }
    }

    /// The scheme of the EPCs the pattern can match.
    pub fn scheme(&self) -> Scheme {
        match self {
            EpcPattern::Exact(epc) => epc.scheme(),
            EpcPattern::Sgtin { .. } => Scheme::Sgtin96,
            EpcPattern::Sscc { .. } => Scheme::Sscc96,
        }
    }
}

fn bad(reason: &'static str) -> Error {
    Error::QueryValue { reason }
}

/// Splits `fields` in `N` dot-separated fields, each `Some(text)` or `None` for `*`, with
/// no value after a `*`.
fn fields<const N: usize>(fields: &str) -> Result<[Option<&str>; N]> {
    let mut out = [None; N];
    let mut count = 0;
    let mut wildcard = false;
    for field in fields.split('.') {
        let slot = out
            .get_mut(count)
            .ok_or(bad("pattern has too many fields"))?;
        if field == "*" {
            wildcard = true;
        } else if wildcard {
            return Err(bad("a pattern field after * is * too"));
        } else {
            *slot = Some(field);
        }
        count += 1;
    }
    if count != N {
        return Err(bad("pattern has too few fields"));
    }
    Ok(out)
}

fn parse_sgtin(text: &str) -> Result<EpcPattern> {
    let [company_prefix, item_reference, serial] = fields::<3>(text)?;
    let company_prefix = company_prefix
        .map(str::parse::<CompanyPrefix>)
        .transpose()?;
    let item_reference = item_reference
        .map(str::parse::<ItemReference>)
        .transpose()?;
    if let (Some(prefix), Some(item)) = (company_prefix, item_reference)
        && prefix.digits() + item.digits() != SGTIN_KEY_DIGITS
    {
        return Err(bad(
            "company prefix and item reference have 13 digits together",
        ));
    }
    match (company_prefix, item_reference, serial) {
        (Some(_), Some(_), Some(serial)) => {
            serial.parse::<Serial>()?;
            let uri = format!("urn:epc:id:sgtin:{}", text);
            Epc::from_pure_uri(&uri).map(EpcPattern::Exact)
        }
        _ => Ok(EpcPattern::Sgtin {
            company_prefix,
            item_reference,
        }),
    }
}

fn parse_sscc(text: &str) -> Result<EpcPattern> {
    let [company_prefix, serial_reference] = fields::<2>(text)?;
    let company_prefix = company_prefix
        .map(str::parse::<CompanyPrefix>)
        .transpose()?;
    match (company_prefix, serial_reference) {
        (Some(prefix), Some(reference)) => {
            let reference: SerialReference = reference.parse()?;
            if prefix.digits() + reference.digits() != SSCC_KEY_DIGITS {
                return Err(bad(
                    "company prefix and serial reference have 17 digits together",
                ));
            }
            Epc::from_pure_uri(&format!("urn:epc:id:sscc:{text}")).map(EpcPattern::Exact)
        }
        _ => Ok(EpcPattern::Sscc { company_prefix }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epc(text: &str) -> Epc {
        text.parse().unwrap()
    }

    #[test]
    fn wildcards_are_hierarchical() {
        let item = epc("urn:epc:id:sgtin:0614141.812345.6789");
        let other_item = epc("urn:epc:id:sgtin:0614141.812346.1");
        let other_company = epc("urn:epc:id:sgtin:0614142.812345.6789");
        let pallet = epc("urn:epc:id:sscc:0614141.1234567890");
        let cases = [
            (
                "urn:epc:idpat:sgtin:0614141.812345.*",
                [true, false, false, false],
            ),
            (
                "urn:epc:idpat:sgtin:0614141.*.*",
                [true, true, false, false],
            ),
            ("urn:epc:idpat:sgtin:*.*.*", [true, true, true, false]),
            (
                "urn:epc:idpat:sgtin:0614141.812345.6789",
                [true, false, false, false],
            ),
            ("urn:epc:idpat:sscc:0614141.*", [false, false, false, true]),
            ("urn:epc:idpat:sscc:*.*", [false, false, false, true]),
            (
                "urn:epc:id:sscc:0614141.1234567890",
                [false, false, false, true],
            ),
        ];
        for (text, expected) in cases {
            let pattern = EpcPattern::parse(text).unwrap();
            let found = [&item, &other_item, &other_company, &pallet].map(|e| pattern.matches(e));
            assert_eq!(found, expected, "{text}");
        }
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for text in [
            "urn:epc:idpat:sgtin:*.812345.*",
            "urn:epc:idpat:sgtin:0614141.*.6789",
            "urn:epc:idpat:sgtin:0614141.*",
            "urn:epc:idpat:sgtin:0614141.*.*.*",
            "urn:epc:idpat:sgtin:0614141.81234.*",
            "urn:epc:idpat:sgtin:06141.812345.*",
            "urn:epc:idpat:sgtin:0614141.812345.06789",
            "urn:epc:idpat:sscc:0614141.123456789",
            "urn:epc:idpat:grai:0614141.*.*",
            "urn:epc:idpat:sgtin:",
            "0614141.*.*",
        ] {
            assert!(EpcPattern::parse(text).is_err(), "{text}");
        }
    }
}
