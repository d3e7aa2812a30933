//! The 96-bit binary encoding as bytes and as hex, and the bit fields inside it.
//!
//! Fields are packed most significant bit first, from the header at bit 95 down to bit 0
//! (TDS, EPC binary encoding: the EPC memory bank is read from its first bit on).

use crate::error::{Error, Result};

/// Bytes of a 96-bit EPC.
pub const EPC_BYTES: usize = 12;
/// Hex digits of a 96-bit EPC.
pub const EPC_HEX_DIGITS: usize = 2 * EPC_BYTES;
const EPC_BITS: u32 = 96;

/// Reads 12 bytes from a slice of any length.
pub(crate) fn from_slice(bytes: &[u8]) -> Result<[u8; EPC_BYTES]> {
    <[u8; EPC_BYTES]>::try_from(bytes).map_err(|_| Error::ByteLength {
        actual: bytes.len(),
    })
}

/// Reads 24 hex digits, either case.
pub(crate) fn from_hex(text: &str) -> Result<[u8; EPC_BYTES]> {
    if text.len() != EPC_HEX_DIGITS {
        return Err(Error::HexLength { actual: text.len() });
    }
    let mut bytes = [0; EPC_BYTES];
    for (position, digit) in text.bytes().enumerate() {
        let nibble = nibble(digit).ok_or(Error::NonHex { position })?;
        if let Some(byte) = bytes.get_mut(position / 2) {
            *byte = *byte << 4 | nibble;
        }
    }
    Ok(bytes)
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Writes 24 uppercase hex digits, as the TDS examples do.
pub(crate) fn to_hex(bytes: &[u8; EPC_BYTES]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

/// Packs fields into 96 bits, most significant first.
pub(crate) struct BitWriter {
    word: u128,
    bits: u32,
}

impl BitWriter {
    pub(crate) fn new() -> BitWriter {
        BitWriter { word: 0, bits: 0 }
    }

    /// Appends the `width` low bits of `value`; the value must fit (the domain types make sure).
    pub(crate) fn push(&mut self, value: u64, width: u32) {
        assert!(
            width <= 64 && u128::from(value) < 1u128 << width,
            "field fits its bits"
        );
        self.word = self.word << width | u128::from(value);
        self.bits += width;
        assert!(self.bits <= EPC_BITS, "fields fit 96 bits");
    }

    pub(crate) fn finish(self) -> [u8; EPC_BYTES] {
        assert_eq!(self.bits, EPC_BITS, "a scheme's fields add up to 96 bits");
        let wide = self.word.to_be_bytes();
        let mut bytes = [0; EPC_BYTES];
        bytes.copy_from_slice(&wide[wide.len() - EPC_BYTES..]);
        bytes
    }
}

/// Unpacks fields from 96 bits, most significant first.
pub(crate) struct BitReader {
    word: u128,
    remaining: u32,
}

impl BitReader {
    pub(crate) fn new(bytes: &[u8; EPC_BYTES]) -> BitReader {
        let word = bytes
            .iter()
            .fold(0u128, |word, &byte| word << 8 | u128::from(byte));
        BitReader {
            word,
            remaining: EPC_BITS,
        }
    }

    /// The next `width` bits as an integer.
    pub(crate) fn take(&mut self, width: u32) -> u64 {
        assert!(
            width <= 64 && width <= self.remaining,
            "a scheme's fields add up to 96 bits"
        );
        self.remaining -= width;
        let mask = (1u128 << width) - 1;
        u64::try_from(self.word >> self.remaining & mask).expect("masked to at most 64 bits")
    }

    /// The next `width <= 8` bits as a byte.
    pub(crate) fn take_byte(&mut self, width: u32) -> u8 {
        assert!(width <= 8, "a byte field");
        u8::try_from(self.take(width)).expect("masked to at most 8 bits")
    }

    /// Checks that every bit was read: a decoder that skips one is a bug.
    pub(crate) fn finish(self) {
        assert_eq!(self.remaining, 0, "a scheme's fields add up to 96 bits");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_pack_most_significant_first() {
        let mut writer = BitWriter::new();
        writer.push(0x30, 8);
        writer.push(0b011, 3);
        writer.push(0b101, 3);
        writer.push(0, 64);
        writer.push(0, 18);
        assert_eq!(writer.finish(), [0x30, 0x74, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn reader_undoes_writer() {
        let fields = [
            (0x31, 8),
            (5, 3),
            (6, 3),
            (123_456, 20),
            (274_877_906_943, 38),
            (7, 24),
        ];
        let mut writer = BitWriter::new();
        for (value, width) in fields {
            writer.push(value, width);
        }
        let bytes = writer.finish();
        let mut reader = BitReader::new(&bytes);
        for (value, width) in fields {
            assert_eq!(reader.take(width), value);
        }
        reader.finish();
    }

    #[test]
    fn hex_accepts_either_case_and_writes_upper() {
        let bytes = from_hex("3074257bf7194e4000001A85").unwrap();
        assert_eq!(to_hex(&bytes), "3074257BF7194E4000001A85");
    }

    #[test]
    fn hex_rejects_bad_input() {
        assert_eq!(from_hex(""), Err(Error::HexLength { actual: 0 }));
        assert_eq!(
            from_hex("3074257BF7194E4000001A8"),
            Err(Error::HexLength { actual: 23 })
        );
        assert_eq!(
            from_hex("3074257BF7194E4000001A850"),
            Err(Error::HexLength { actual: 25 })
        );
        assert_eq!(
            from_hex("3074257BF7194E4000001AG5"),
            Err(Error::NonHex { position: 22 })
        );
        assert_eq!(
            from_hex("0x74257BF7194E4000001A85"),
            Err(Error::NonHex { position: 1 })
        );
        // A multi-byte character is not a hex digit, and is not split.
        assert_eq!(
            from_hex("3074257BF7194E4000001Aé"),
            Err(Error::NonHex { position: 22 })
        );
    }

    #[test]
    fn slices_must_be_twelve_bytes() {
        assert_eq!(from_slice(&[0; 11]), Err(Error::ByteLength { actual: 11 }));
        assert_eq!(from_slice(&[0; 13]), Err(Error::ByteLength { actual: 13 }));
        assert_eq!(from_slice(&[0; 12]), Ok([0; 12]));
    }
}
