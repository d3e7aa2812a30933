//! Application identifiers (ISO/IEC 7816-4 § 8.2.1.2: 5 to 16 bytes).

use core::fmt;

/// Shortest AID: a 5-byte RID alone.
pub const AID_BYTES_MIN: usize = 5;
/// Longest AID.
pub const AID_BYTES_MAX: usize = 16;

/// An application identifier; `Copy`, so comparing and storing it never allocates.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Aid {
    len: u8,
    bytes: [u8; AID_BYTES_MAX],
}

impl Aid {
    /// An AID from 5 to 16 bytes.
    pub fn new(bytes: &[u8]) -> Option<Aid> {
        if !(AID_BYTES_MIN..=AID_BYTES_MAX).contains(&bytes.len()) {
            return None;
        }
        let mut aid = Aid {
            len: bytes.len() as u8,
            bytes: [0; AID_BYTES_MAX],
        };
        aid.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(aid)
    }

    /// Parses hexadecimal text.
    pub fn from_hex(text: &str) -> Option<Aid> {
        Aid::new(&hex::decode(text).ok()?)
    }

    /// The AID's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Upper-case hexadecimal.
    pub fn to_hex(&self) -> String {
        hex::encode_upper(self.as_bytes())
    }

    /// Whether `prefix` is a prefix of this AID (SELECT by partial DF name).
    pub fn starts_with(&self, prefix: &[u8]) -> bool {
        self.as_bytes().starts_with(prefix)
    }
}

impl fmt::Debug for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aid({})", self.to_hex())
    }
}

impl fmt::Display for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl serde::Serialize for Aid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Aid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Aid, D::Error> {
        let text = String::deserialize(deserializer)?;
        Aid::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("an AID is 5 to 16 bytes of hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked() {
        assert!(Aid::new(&[1, 2, 3, 4]).is_none());
        assert!(Aid::new(&[0; 17]).is_none());
        let aid = Aid::from_hex("D156000001010101").unwrap();
        assert_eq!(aid.to_hex(), "D156000001010101");
        assert!(aid.starts_with(&[0xD1, 0x56]));
        assert!(Aid::from_hex("D15600000").is_none());
    }
}
