//! Fixed-length binary identifiers of the registry: a card's ASN8, an issuer id and a terminal
//! id. Every value of the length is valid; text forms are hexadecimal (either case in, upper
//! case out), parsed only by their constructors.

use core::fmt;
use core::str::FromStr;

use serde::{Serialize, Serializer};

use crate::error::HubError;

macro_rules! byte_id {
    ($(#[$doc:meta])* $name:ident, $len:literal, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Bytes of the identifier.
            pub const BYTES: usize = $len;

            /// Wraps the bytes.
            pub const fn new(bytes: [u8; $len]) -> $name {
                $name(bytes)
            }

            /// The bytes.
            pub const fn bytes(self) -> [u8; $len] {
                self.0
            }

            /// Parses hexadecimal text of exactly twice [`Self::BYTES`] digits.
            pub fn parse_hex(text: &str) -> Result<$name, HubError> {
                let mut bytes = [0u8; $len];
                hex::decode_to_slice(text, &mut bytes).map_err(|_| {
                    HubError::invalid($field, concat!("must be ", stringify!($len), " bytes in hexadecimal"))
                })?;
                Ok($name(bytes))
            }

            /// Wraps bytes read back from storage, which must have the length.
            pub(crate) fn from_slice(bytes: &[u8]) -> Option<$name> {
                <[u8; $len]>::try_from(bytes).ok().map($name)
            }
        }

        impl FromStr for $name {
            type Err = HubError;

            fn from_str(text: &str) -> Result<$name, HubError> {
                $name::parse_hex(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for byte in self.0 {
                    write!(f, "{byte:02X}")?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

byte_id!(
    /// ASN8: the card serial its keys are diversified by.
    Asn,
    8,
    "asn"
);
byte_id!(
    /// The 8-byte issuer id of a card's EF 0x15, which names the issuer's key sets.
    IssuerId,
    8,
    "issuer_id"
);
byte_id!(
    /// A terminal's 6-byte id (its SAM's), unique in the network.
    TerminalId,
    6,
    "terminal_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_in_either_case_upper_case_out() {
        let id: TerminalId = "a1b2c3d4e5f6".parse().unwrap();
        assert_eq!(id.to_string(), "A1B2C3D4E5F6");
        assert_eq!(format!("{id:?}"), "TerminalId(A1B2C3D4E5F6)");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"A1B2C3D4E5F6\"");
        assert_eq!(Asn::parse_hex("3104000000000001").unwrap().bytes()[0], 0x31);
    }

    #[test]
    fn wrong_lengths_and_digits_are_refused_with_the_field() {
        for bad in [
            "",
            "A1B2C3D4E5",
            "A1B2C3D4E5F6A7",
            "A1B2C3D4E5FG",
            "é1B2C3D4E5F6",
        ] {
            let error = TerminalId::parse_hex(bad).unwrap_err().to_string();
            assert_eq!(error, "`terminal_id`: must be 6 bytes in hexadecimal");
        }
        assert!(IssuerId::from_slice(&[0; 7]).is_none());
    }
}
