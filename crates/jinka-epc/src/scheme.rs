//! The EPC schemes this crate encodes, and their binary headers.

use crate::error::{Error, Result};

/// An EPC binary encoding scheme, named by its 8-bit header (TDS, EPC binary header values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// SGTIN-96, header `0x30`.
    Sgtin96,
    /// SSCC-96, header `0x31`.
    Sscc96,
}

impl Scheme {
    /// The header byte that opens the binary encoding.
    pub const fn header(self) -> u8 {
        match self {
            Scheme::Sgtin96 => 0x30,
            Scheme::Sscc96 => 0x31,
        }
    }

    /// The scheme a header byte names.
    pub fn from_header(header: u8) -> Result<Scheme> {
        match header {
            0x30 => Ok(Scheme::Sgtin96),
            0x31 => Ok(Scheme::Sscc96),
            found => Err(Error::Header { found }),
        }
    }

    /// `Ok` when `self` is `expected`, the typed mismatch otherwise.
    pub(crate) fn expect(self, expected: Scheme) -> Result<()> {
        if self == expected {
            Ok(())
        } else {
            Err(Error::Scheme {
                expected,
                found: self,
            })
        }
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scheme::Sgtin96 => "SGTIN-96",
            Scheme::Sscc96 => "SSCC-96",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        for scheme in [Scheme::Sgtin96, Scheme::Sscc96] {
            assert_eq!(Scheme::from_header(scheme.header()), Ok(scheme));
        }
    }

    #[test]
    fn other_headers_are_rejected() {
        // 0x36 is SGTIN-198, 0x00 is unprogrammed: valid TDS headers this crate does not read.
        for found in [0x00, 0x2F, 0x32, 0x36, 0xFF] {
            assert_eq!(Scheme::from_header(found), Err(Error::Header { found }));
        }
    }
}
