//! An EPC of any scheme this crate encodes.

use crate::binary::{self, EPC_BYTES};
use crate::digital_link;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::scheme::Scheme;
use crate::sgtin::Sgtin;
use crate::sscc::Sscc;
use crate::uri::{self, Form};

/// An SGTIN-96 or SSCC-96 EPC. The decoders pick the scheme from the header, the URI prefix
/// or the Digital Link's first application identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Epc {
    Sgtin(Sgtin),
    Sscc(Sscc),
}

impl Epc {
    pub const fn scheme(&self) -> Scheme {
        match self {
            Epc::Sgtin(_) => Scheme::Sgtin96,
            Epc::Sscc(_) => Scheme::Sscc96,
        }
    }

    pub const fn filter(&self) -> Filter {
        match self {
            Epc::Sgtin(sgtin) => sgtin.filter(),
            Epc::Sscc(sscc) => sscc.filter(),
        }
    }

    /// The GS1 key with its check digit: the GTIN-14 of an SGTIN, the SSCC-18 of an SSCC.
    pub fn gs1_key(&self) -> String {
        match self {
            Epc::Sgtin(sgtin) => sgtin.gtin14(),
            Epc::Sscc(sscc) => sscc.sscc18(),
        }
    }

    pub fn to_bytes(&self) -> [u8; EPC_BYTES] {
        match self {
            Epc::Sgtin(sgtin) => sgtin.to_bytes(),
            Epc::Sscc(sscc) => sscc.to_bytes(),
        }
    }

    /// Decodes exactly 12 bytes, of the scheme their header names.
    pub fn from_bytes(bytes: &[u8]) -> Result<Epc> {
        let bytes = binary::from_slice(bytes)?;
        let [header, ..] = bytes;
        match Scheme::from_header(header)? {
            Scheme::Sgtin96 => Sgtin::from_bytes(&bytes).map(Epc::Sgtin),
            Scheme::Sscc96 => Sscc::from_bytes(&bytes).map(Epc::Sscc),
        }
    }

    /// The binary encoding as 24 uppercase hex digits.
    pub fn to_hex(&self) -> String {
        binary::to_hex(&self.to_bytes())
    }

    /// Decodes 24 hex digits, either case.
    pub fn from_hex(text: &str) -> Result<Epc> {
        Epc::from_bytes(&binary::from_hex(text)?)
    }

    /// The pure identity URI; the filter is not part of it.
    pub fn pure_uri(&self) -> String {
        match self {
            Epc::Sgtin(sgtin) => sgtin.pure_uri(),
            Epc::Sscc(sscc) => sscc.pure_uri(),
        }
    }

    /// Reads a pure identity URI; `filter` is the filter value the tag is to carry.
    pub fn from_pure_uri(uri: &str, filter: Filter) -> Result<Epc> {
        match uri::scheme_of(uri, Form::Pure)? {
            Scheme::Sgtin96 => Sgtin::from_pure_uri(uri, filter).map(Epc::Sgtin),
            Scheme::Sscc96 => Sscc::from_pure_uri(uri, filter).map(Epc::Sscc),
        }
    }

    pub fn tag_uri(&self) -> String {
        match self {
            Epc::Sgtin(sgtin) => sgtin.tag_uri(),
            Epc::Sscc(sscc) => sscc.tag_uri(),
        }
    }

    pub fn from_tag_uri(uri: &str) -> Result<Epc> {
        match uri::scheme_of(uri, Form::Tag)? {
            Scheme::Sgtin96 => Sgtin::from_tag_uri(uri).map(Epc::Sgtin),
            Scheme::Sscc96 => Sscc::from_tag_uri(uri).map(Epc::Sscc),
        }
    }

    /// The GS1 Digital Link URI; the filter is not part of it.
    pub fn digital_link(&self) -> String {
        match self {
            Epc::Sgtin(sgtin) => sgtin.digital_link(),
            Epc::Sscc(sscc) => sscc.digital_link(),
        }
    }

    /// Reads a GS1 Digital Link whose key has a company prefix of `company_prefix_digits`
    /// digits; `filter` is the filter value the tag is to carry.
    pub fn from_digital_link(uri: &str, company_prefix_digits: u8, filter: Filter) -> Result<Epc> {
        match digital_link::scheme_of(uri)?.0 {
            Scheme::Sgtin96 => {
                Sgtin::from_digital_link(uri, company_prefix_digits, filter).map(Epc::Sgtin)
            }
            Scheme::Sscc96 => {
                Sscc::from_digital_link(uri, company_prefix_digits, filter).map(Epc::Sscc)
            }
        }
    }
}

impl From<Sgtin> for Epc {
    fn from(sgtin: Sgtin) -> Epc {
        Epc::Sgtin(sgtin)
    }
}

impl From<Sscc> for Epc {
    fn from(sscc: Sscc) -> Epc {
        Epc::Sscc(sscc)
    }
}

/// The tag URI, the one text form that carries every field.
impl std::fmt::Display for Epc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.tag_uri())
    }
}

/// Reads the tag URI.
impl std::str::FromStr for Epc {
    type Err = Error;

    fn from_str(uri: &str) -> Result<Epc> {
        Epc::from_tag_uri(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatches_on_the_header() {
        let sgtin = Epc::from_hex("3074257BF7194E4000001A85").unwrap();
        assert_eq!(sgtin.scheme(), Scheme::Sgtin96);
        assert_eq!(sgtin.gs1_key(), "80614141123458");
        let sscc = Epc::from_hex("3174257bf4499602d2000000").unwrap();
        assert_eq!(sscc.scheme(), Scheme::Sscc96);
        assert_eq!(sscc.gs1_key(), "106141412345678908");
        assert_eq!(Epc::from_bytes(&[]), Err(Error::ByteLength { actual: 0 }));
        assert_eq!(
            Epc::from_bytes(&[0x30]),
            Err(Error::ByteLength { actual: 1 })
        );
        assert_eq!(
            Epc::from_bytes(&[0xE2; 12]),
            Err(Error::Header { found: 0xE2 })
        );
    }

    #[test]
    fn dispatches_on_the_uri_prefix() {
        assert_eq!(
            Epc::from_tag_uri("urn:epc:tag:sscc-96:3.0614141.1234567890").map(|epc| epc.to_hex()),
            Ok("3174257BF4499602D2000000".to_owned())
        );
        assert_eq!(
            Epc::from_tag_uri("urn:epc:tag:grai-96:3.0614141.12345.400"),
            Err(Error::UriPrefix {
                expected: "urn:epc:tag:sgtin-96: or urn:epc:tag:sscc-96:"
            })
        );
        assert_eq!(
            Epc::from_pure_uri("urn:epc:id:sscc:0614141.1234567890", Filter::ALL_OTHERS)
                .map(|epc| epc.filter()),
            Ok(Filter::ALL_OTHERS)
        );
        assert_eq!(
            Epc::from_digital_link(
                "https://id.gs1.org/00/106141412345678908",
                7,
                Filter::ALL_OTHERS
            )
            .map(|epc| epc.pure_uri()),
            Ok("urn:epc:id:sscc:0614141.1234567890".to_owned())
        );
    }
}
