//! How many digits of a GS1 key are its company prefix: what a Digital Link does not say.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// The most entries a table holds; GS1's own GCP length table has tens of thousands.
pub const COMPANY_PREFIX_ENTRIES_MAX: usize = 1_000_000;

/// The longest prefix an entry may have: a company prefix has at most 12 digits.
const PREFIX_DIGITS_MAX: usize = 12;

/// A GS1 Company Prefix length table: a digit prefix of company prefixes and the length of
/// the company prefixes that start with it (the form of GS1's published "GCP length
/// table"). A key is looked up by its digits after the GTIN indicator or SSCC extension
/// digit, longest matching prefix first.
///
/// A GS1 Digital Link (`https://id.gs1.org/01/{GTIN}/21/{serial}`) has no pure identity URI
/// without this: `urn:epc:id:sgtin:` splits the GTIN at the company prefix.
///
/// ```
/// use jinka_trace::CompanyPrefixLengths;
/// let mut lengths = CompanyPrefixLengths::new();
/// lengths.insert("0614141", 7)?;
/// assert_eq!(lengths.lookup("80614141123458"), Some(7));
/// assert_eq!(lengths.lookup("80714141123458"), None);
/// # Ok::<(), jinka_trace::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompanyPrefixLengths {
    lengths: HashMap<String, u8>,
}

impl CompanyPrefixLengths {
    pub fn new() -> CompanyPrefixLengths {
        CompanyPrefixLengths::default()
    }

    /// Company prefixes starting with `prefix` (1 to 12 digits) have `length` (6 to 12)
    /// digits.
    pub fn insert(&mut self, prefix: &str, length: u8) -> Result<()> {
        let digits_ok = (1..=PREFIX_DIGITS_MAX).contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok {
            return Err(Error::Rule {
                reason: "a company prefix table entry has 1 to 12 digits",
            });
        }
        if !(jinka_epc::CompanyPrefix::DIGITS_MIN..=jinka_epc::CompanyPrefix::DIGITS_MAX)
            .contains(&length)
        {
            return Err(Error::Rule {
                reason: "a company prefix has 6 to 12 digits",
            });
        }
        if self.lengths.len() >= COMPANY_PREFIX_ENTRIES_MAX && !self.lengths.contains_key(prefix) {
            return Err(Error::TooMany {
                count: self.lengths.len() + 1,
                max: COMPANY_PREFIX_ENTRIES_MAX,
            });
        }
        self.lengths.insert(prefix.to_owned(), length);
        Ok(())
    }

    /// The company prefix length of a GTIN-14 or SSCC-18 (its first digit is the indicator
    /// or extension digit, not part of the company prefix).
    pub fn lookup(&self, key: &str) -> Option<u8> {
        let digits = key.get(1..)?;
        (1..=digits.len().min(PREFIX_DIGITS_MAX))
            .rev()
            .find_map(|length| self.lengths.get(digits.get(..length)?).copied())
    }

    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let mut lengths = CompanyPrefixLengths::new();
        lengths.insert("0", 7).unwrap();
        lengths.insert("061", 9).unwrap();
        assert_eq!(lengths.lookup("106141412345678908"), Some(9));
        assert_eq!(lengths.lookup("100041412345678908"), Some(7));
        assert_eq!(lengths.lookup("1"), None);
        assert_eq!(lengths.lookup(""), None);
        assert_eq!(lengths.lookup("1é"), None);
    }

    #[test]
    fn entries_are_checked() {
        let mut lengths = CompanyPrefixLengths::new();
        assert!(lengths.insert("", 7).is_err());
        assert!(lengths.insert("06a", 7).is_err());
        assert!(lengths.insert("0614141", 5).is_err());
        assert!(lengths.insert("0614141", 13).is_err());
        assert!(lengths.insert("0614141061414", 7).is_err());
        assert!(lengths.is_empty());
    }
}
