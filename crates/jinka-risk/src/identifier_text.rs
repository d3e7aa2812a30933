//! The JSON text of the byte identifiers (ASN8, issuer id, terminal id): hexadecimal, upper
//! case out and either case in, as the hub's API writes them. Written without allocating, so
//! a full blacklist of millions of ASNs serializes at memory speed.

use core::fmt;
use core::marker::PhantomData;

use jinka_clearing::{Asn, IssuerId, TerminalId};
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserializer, Serialize, Serializer};

const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";
/// The longest identifier, in bytes (ASN8 and issuer id).
const IDENTIFIER_BYTES_MAX: usize = 8;

/// Writes `bytes` (at most [`IDENTIFIER_BYTES_MAX`]) as upper-case hex.
fn serialize_hex<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = [0u8; 2 * IDENTIFIER_BYTES_MAX];
    let mut len = 0;
    for (pair, byte) in text.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&[
            HEX_DIGITS[usize::from(byte >> 4)],
            HEX_DIGITS[usize::from(byte & 0x0F)],
        ]);
        len += 2;
    }
    let digits = text.get(..len).unwrap_or_default();
    // Only ASCII hex digits were written.
    serializer.serialize_str(core::str::from_utf8(digits).unwrap_or_default())
}

/// Reads `N` bytes of hex text.
struct HexVisitor<const N: usize>;

impl<const N: usize> Visitor<'_> for HexVisitor<N> {
    type Value = [u8; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} hexadecimal digits", 2 * N)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<[u8; N], E> {
        let mut bytes = [0u8; N];
        hex::decode_to_slice(text, &mut bytes)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))?;
        Ok(bytes)
    }
}

fn deserialize_hex<'de, D: Deserializer<'de>, const N: usize>(
    deserializer: D,
) -> Result<[u8; N], D::Error> {
    deserializer.deserialize_str(HexVisitor::<N>)
}

macro_rules! identifier_text {
    ($module:ident, $type:ty, $len:literal) => {
        /// `#[serde(with = ...)]` for one identifier.
        pub(crate) mod $module {
            use super::*;

            pub(crate) fn serialize<S: Serializer>(
                id: &$type,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                serialize_hex(&id.bytes(), serializer)
            }

            pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<$type, D::Error> {
                deserialize_hex::<D, $len>(deserializer).map(<$type>::new)
            }
        }
    };
}

identifier_text!(asn, Asn, 8);
identifier_text!(issuer_id, IssuerId, 8);
identifier_text!(terminal_id, TerminalId, 6);

/// An ASN as a serde value (for lists).
struct AsnText(Asn);

impl Serialize for AsnText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_hex(&self.0.bytes(), serializer)
    }
}

impl<'de> serde::Deserialize<'de> for AsnText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AsnText, D::Error> {
        asn::deserialize(deserializer).map(AsnText)
    }
}

/// `#[serde(with = ...)]` for a list of ASNs.
pub(crate) mod asn_list {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(list: &[Asn], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(list.len()))?;
        for asn in list {
            seq.serialize_element(&AsnText(*asn))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Asn>, D::Error> {
        deserializer.deserialize_seq(ListVisitor(PhantomData))
    }

    struct ListVisitor(PhantomData<Asn>);

    impl<'de> Visitor<'de> for ListVisitor {
        type Value = Vec<Asn>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of ASNs in hexadecimal")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Asn>, A::Error> {
            // The size hint comes from outside: trust it only up to a page's worth.
            let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(AsnText(asn)) = seq.next_element()? {
                list.push(asn);
            }
            Ok(list)
        }
    }
}
