//! The identity of a traced object: an SGTIN or SSCC, without the tag's filter value.

use jinka_epc::{EPC_BYTES, Filter, Scheme};

use crate::company_prefix_lengths::CompanyPrefixLengths;
use crate::error::{Error, Result, quote};

const PURE_URI_PREFIX: &str = "urn:epc:id:";
const DIGITAL_LINK_ORIGIN: &str = "https://id.gs1.org/";

/// An object EPCIS events name: an SGTIN (a serialised trade item) or an SSCC (a logistic
/// unit: case, pallet), as `jinka-epc` encodes them in 96 bits.
///
/// Two tags with different filter values carry the same object, so the identity is the
/// pure identity URI (TDS §6), and the filter is set to 0 inside. The value is the 12-byte
/// SGTIN-96 / SSCC-96 encoding: cheap to hash and compare, and ordered (SGTINs before
/// SSCCs, then by partition and value).
///
/// Text forms read: the pure identity URI (`urn:epc:id:sgtin:0614141.812345.6789`) and a
/// GS1 Digital Link on any host (`https://id.gs1.org/01/80614141123458/21/6789`), which
/// needs a [`CompanyPrefixLengths`] to find the company prefix. Other EPC schemes (GRAI,
/// GIAI, SGTIN-198 serials with letters, …) are refused: `jinka-epc` does not encode them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Epc([u8; EPC_BYTES]);

impl Epc {
    /// Reads a pure identity URI, `urn:epc:id:sgtin:…` or `urn:epc:id:sscc:…`.
    pub fn from_pure_uri(text: &str) -> Result<Epc> {
        if let Some(rest) = text.strip_prefix(PURE_URI_PREFIX) {
            let scheme = rest.split(':').next().unwrap_or_default();
            if rest.len() > scheme.len() && !matches!(scheme, "sgtin" | "sscc") {
                return Err(Error::UnsupportedEpcScheme {
                    scheme: quote(scheme),
                });
            }
        }
        Ok(Epc::from(jinka_epc::Epc::from_pure_uri(
            text,
            Filter::ALL_OTHERS,
        )?))
    }

    /// Reads a GS1 Digital Link for an SGTIN (`/01/{GTIN-14}/21/{serial}`) or an SSCC
    /// (`/00/{SSCC-18}`) on any `http`/`https` host, the check digit verified and the
    /// company prefix split by `lengths`.
    pub fn from_digital_link(text: &str, lengths: &CompanyPrefixLengths) -> Result<Epc> {
        let path = ["https://", "http://"]
            .iter()
            .find_map(|scheme| text.strip_prefix(scheme))
            .and_then(|rest| rest.split_once('/'))
            .map(|(_host, path)| path)
            .ok_or(jinka_epc::Error::UriPrefix {
                expected: DIGITAL_LINK_ORIGIN,
            })?;
        let canonical = format!("{DIGITAL_LINK_ORIGIN}{path}");
        let key = path.get(3..).unwrap_or_default();
        let key = key.split('/').next().unwrap_or_default();
        let decode = |digits| {
            jinka_epc::Epc::from_digital_link(&canonical, digits, Filter::ALL_OTHERS).map(Epc::from)
        };
        match lengths.lookup(key) {
            Some(digits) => Ok(decode(digits)?),
            // Without a length the key cannot be split; report its own defects first (a
            // length of 7 only serves to reach the codec's checks of digits and check digit).
            None => match decode(7) {
                Ok(_) => Err(Error::UnknownCompanyPrefix),
                Err(error) => Err(error.into()),
            },
        }
    }

    /// Reads either form: a Digital Link if `text` starts with `http`, else a pure identity
    /// URI.
    pub fn parse(text: &str, lengths: &CompanyPrefixLengths) -> Result<Epc> {
        if text.starts_with("http") {
            Epc::from_digital_link(text, lengths)
        } else {
            Epc::from_pure_uri(text)
        }
    }

    /// The 96-bit encoding with filter 0.
    pub const fn to_bytes(&self) -> [u8; EPC_BYTES] {
        self.0
    }

    /// The `jinka-epc` value (filter 0).
    pub fn identity(&self) -> jinka_epc::Epc {
        // Built only from a valid `jinka_epc::Epc`, whose encoding always decodes.
        jinka_epc::Epc::from_bytes(&self.0).expect("an Epc holds a valid encoding")
    }

    pub fn scheme(&self) -> Scheme {
        self.identity().scheme()
    }

    /// `urn:epc:id:sgtin:0614141.812345.6789` or `urn:epc:id:sscc:0614141.1234567890`.
    pub fn pure_uri(&self) -> String {
        self.identity().pure_uri()
    }

    pub fn digital_link(&self) -> String {
        self.identity().digital_link()
    }
}

/// Drops the filter value: the identity is the same whatever the tag's filter.
impl From<jinka_epc::Epc> for Epc {
    fn from(epc: jinka_epc::Epc) -> Epc {
        let identity = match epc {
            jinka_epc::Epc::Sgtin(sgtin) => {
                jinka_epc::Epc::Sgtin(sgtin.with_filter(Filter::ALL_OTHERS))
            }
            jinka_epc::Epc::Sscc(sscc) => {
                jinka_epc::Epc::Sscc(sscc.with_filter(Filter::ALL_OTHERS))
            }
        };
        Epc(identity.to_bytes())
    }
}

impl From<jinka_epc::Sgtin> for Epc {
    fn from(sgtin: jinka_epc::Sgtin) -> Epc {
        Epc::from(jinka_epc::Epc::Sgtin(sgtin))
    }
}

impl From<jinka_epc::Sscc> for Epc {
    fn from(sscc: jinka_epc::Sscc) -> Epc {
        Epc::from(jinka_epc::Epc::Sscc(sscc))
    }
}

impl std::fmt::Debug for Epc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Epc({})", self.pure_uri())
    }
}

/// The pure identity URI.
impl std::fmt::Display for Epc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.pure_uri())
    }
}

/// Reads the pure identity URI.
impl std::str::FromStr for Epc {
    type Err = Error;

    fn from_str(text: &str) -> Result<Epc> {
        Epc::from_pure_uri(text)
    }
}

impl serde::Serialize for Epc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.pure_uri())
    }
}

impl<'de> serde::Deserialize<'de> for Epc {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Epc::from_pure_uri(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SGTIN: &str = "urn:epc:id:sgtin:0614141.812345.6789";

    fn lengths() -> CompanyPrefixLengths {
        let mut lengths = CompanyPrefixLengths::new();
        lengths.insert("0614141", 7).unwrap();
        lengths
    }

    #[test]
    fn the_filter_is_not_identity() {
        let on_tag =
            jinka_epc::Epc::from_tag_uri("urn:epc:tag:sgtin-96:3.0614141.812345.6789").unwrap();
        let epc = Epc::from(on_tag);
        assert_eq!(epc, Epc::from_pure_uri(SGTIN).unwrap());
        assert_eq!(epc.pure_uri(), SGTIN);
        assert_eq!(epc.identity().filter(), Filter::ALL_OTHERS);
        assert_eq!(format!("{epc:?}"), format!("Epc({SGTIN})"));
    }

    #[test]
    fn digital_links_on_any_host_become_pure_uris() {
        for link in [
            "https://id.gs1.org/01/80614141123458/21/6789",
            "https://example.com/01/80614141123458/21/6789",
            "http://example.com/01/80614141123458/21/6789",
        ] {
            assert_eq!(
                Epc::parse(link, &lengths()).unwrap().pure_uri(),
                SGTIN,
                "{link}"
            );
        }
        let sscc = Epc::parse("https://id.gs1.org/00/106141412345678908", &lengths()).unwrap();
        assert_eq!(sscc.pure_uri(), "urn:epc:id:sscc:0614141.1234567890");
        assert_eq!(sscc.scheme(), Scheme::Sscc96);
    }

    #[test]
    fn digital_links_need_a_known_prefix_and_a_good_check_digit() {
        let empty = CompanyPrefixLengths::new();
        assert_eq!(
            Epc::parse("https://id.gs1.org/01/80614141123458/21/6789", &empty),
            Err(Error::UnknownCompanyPrefix)
        );
        assert!(matches!(
            Epc::parse("https://id.gs1.org/01/80614141123459/21/6789", &empty),
            Err(Error::Epc(jinka_epc::Error::CheckDigit { .. }))
        ));
        assert!(matches!(
            Epc::parse("https://id.gs1.org/01/80614141123459/21/6789", &lengths()),
            Err(Error::Epc(jinka_epc::Error::CheckDigit { .. }))
        ));
        assert!(matches!(
            Epc::parse("https:", &lengths()),
            Err(Error::Epc(jinka_epc::Error::UriPrefix { .. }))
        ));
    }

    #[test]
    fn other_schemes_are_named() {
        assert_eq!(
            Epc::from_pure_uri("urn:epc:id:grai:0614141.12345.400"),
            Err(Error::UnsupportedEpcScheme {
                scheme: "grai".to_owned()
            })
        );
        assert!(matches!(
            Epc::from_pure_uri("urn:epc:id:sgtin:0614141.812345.A6789"),
            Err(Error::Epc(_))
        ));
        assert!(matches!(
            Epc::from_pure_uri("urn:epc:tag:sgtin-96:3.0614141.812345.6789"),
            Err(Error::Epc(_))
        ));
    }
}
