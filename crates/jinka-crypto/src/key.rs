//! Secret key material.

use core::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A 16-byte key (master key, card key or key-encryption key).
///
/// Its `Debug` shows no byte of it; it is zeroized on drop; equality is constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key16([u8; 16]);

/// Why a key could not be read from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    /// The text was not 32 hexadecimal digits.
    #[error("a key is 32 hexadecimal digits")]
    NotHex32,
}

impl Key16 {
    /// Wraps key bytes.
    pub const fn new(bytes: [u8; 16]) -> Key16 {
        Key16(bytes)
    }

    /// Parses 32 hexadecimal digits (either case). The error never echoes the input.
    pub fn from_hex(text: &str) -> Result<Key16, KeyParseError> {
        let text = text.as_bytes();
        if text.len() != 32 {
            return Err(KeyParseError::NotHex32);
        }
        let mut bytes = [0u8; 16];
        for (out, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            let (Some(high), Some(low)) = (hex_digit(pair[0]), hex_digit(pair[1])) else {
                bytes.zeroize();
                return Err(KeyParseError::NotHex32);
            };
            *out = high << 4 | low;
        }
        Ok(Key16(bytes))
    }

    /// Upper-case hexadecimal, for key files only: never log it.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        let mut text = String::with_capacity(32);
        for byte in self.0 {
            text.push(DIGITS[usize::from(byte >> 4)] as char);
            text.push(DIGITS[usize::from(byte & 0x0F)] as char);
        }
        text
    }

    /// The key bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for Key16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key16(***)")
    }
}

impl PartialEq for Key16 {
    fn eq(&self, other: &Key16) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Key16 {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_the_key() {
        let key = Key16::from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let shown = format!("{key:?}");
        assert_eq!(shown, "Key16(***)");
        assert!(!shown.contains("01"));
    }

    #[test]
    fn hex_round_trips_and_rejects_bad_text() {
        let key = Key16::from_hex("0123456789abcdefFEDCBA9876543210").unwrap();
        assert_eq!(key.to_hex(), "0123456789ABCDEFFEDCBA9876543210");
        assert_eq!(Key16::from_hex("0123"), Err(KeyParseError::NotHex32));
        assert_eq!(
            Key16::from_hex("0123456789ABCDEFFEDCBA987654321G"),
            Err(KeyParseError::NotHex32)
        );
        assert_eq!(
            Key16::from_hex("0123456789ABCDEFFEDCBA98765432١"),
            Err(KeyParseError::NotHex32)
        );
    }
}
