//! The PIN of an application.

use core::fmt;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Fewest PIN bytes (PBOC: 2 to 6 bytes of BCD digits).
pub const PIN_BYTES_MIN: usize = 2;
/// Most PIN bytes.
pub const PIN_BYTES_MAX: usize = 6;
/// Most tries a PIN may allow (the tries-left nibble of `63Cx`).
pub const PIN_TRIES_MAX: u8 = 15;

/// A PIN value: masked in `Debug`, zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PinValue {
    len: u8,
    bytes: [u8; PIN_BYTES_MAX],
}

impl PinValue {
    /// A PIN of 2 to 6 bytes.
    pub fn new(bytes: &[u8]) -> Option<PinValue> {
        if !(PIN_BYTES_MIN..=PIN_BYTES_MAX).contains(&bytes.len()) {
            return None;
        }
        let mut pin = PinValue {
            len: bytes.len() as u8,
            bytes: [0; PIN_BYTES_MAX],
        };
        pin.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(pin)
    }

    /// The PIN's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Compares with presented bytes without an early exit on the first differing byte.
    pub fn matches(&self, presented: &[u8]) -> bool {
        // subtle compares slices of different lengths as unequal, without an early exit.
        self.as_bytes().ct_eq(presented).into()
    }
}

impl fmt::Debug for PinValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinValue(***)")
    }
}

impl TryFrom<String> for PinValue {
    type Error = &'static str;
    fn try_from(mut text: String) -> Result<PinValue, &'static str> {
        let pin = hex::decode(&text)
            .ok()
            .and_then(|bytes| PinValue::new(&bytes));
        text.zeroize();
        pin.ok_or("a PIN is 2 to 6 bytes of hex")
    }
}

impl From<PinValue> for String {
    fn from(pin: PinValue) -> String {
        hex::encode_upper(pin.as_bytes())
    }
}

/// An application's PIN with its try counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The value.
    pub value: PinValue,
    /// Tries left before the PIN blocks.
    pub tries_left: u8,
    /// Tries after a successful VERIFY.
    pub tries_max: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_mask_and_compare() {
        let pin = PinValue::new(&[0x12, 0x34, 0x56]).unwrap();
        assert_eq!(format!("{pin:?}"), "PinValue(***)");
        assert!(pin.matches(&[0x12, 0x34, 0x56]));
        assert!(!pin.matches(&[0x12, 0x34, 0x57]));
        assert!(!pin.matches(&[0x12, 0x34]));
        assert!(PinValue::new(&[1]).is_none());
        assert!(PinValue::new(&[1; 7]).is_none());
    }
}
