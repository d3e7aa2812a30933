//! The Serial Shipping Container Code and its SSCC-96 binary encoding.

use crate::binary::{self, BitReader, BitWriter, EPC_BYTES};
use crate::check_digit::{check_digit, verify};
use crate::company_prefix::{self, CompanyPrefix};
use crate::decimal::power_of_ten;
use crate::error::{Error, Field, Result};
use crate::filter::Filter;
use crate::partition::{self, Partition};
use crate::scheme::Scheme;
use crate::serial_reference::SerialReference;

/// Digits of the company prefix and serial reference together (an SSCC-18 less its check digit).
pub(crate) const KEY_DIGITS: u8 = 17;

/// The bits SSCC-96 leaves unallocated after the serial reference; they are written as zero.
const UNALLOCATED_BITS: u32 = 24;

/// An SSCC with the filter value of its tag.
///
/// SSCC-96 layout (TDS, SSCC-96 coding table): header `0x31` (8 bits), filter (3),
/// partition (3), company prefix and serial reference (58, split by the SSCC partition
/// table), unallocated (24, zero).
///
/// ```
/// use jinka_epc::{Filter, Sscc};
/// let sscc = Sscc::new(Filter::new(3)?, "0614141".parse()?, "1234567890".parse()?)?;
/// assert_eq!(sscc.to_hex(), "3174257BF4499602D2000000");
/// assert_eq!(sscc.sscc18(), "106141412345678908");
/// # Ok::<(), jinka_epc::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sscc {
    filter: Filter,
    company_prefix: CompanyPrefix,
    serial_reference: SerialReference,
}

impl Sscc {
    /// Checks that the company prefix and serial reference have 17 digits together.
    pub fn new(
        filter: Filter,
        company_prefix: CompanyPrefix,
        serial_reference: SerialReference,
    ) -> Result<Sscc> {
        let expected = usize::from(KEY_DIGITS - company_prefix.digits());
        if usize::from(serial_reference.digits()) != expected {
            return Err(Error::DigitCount {
                field: Field::SerialReference,
                actual: usize::from(serial_reference.digits()),
                min: expected,
                max: expected,
            });
        }
        Ok(Sscc {
            filter,
            company_prefix,
            serial_reference,
        })
    }

    pub const fn filter(&self) -> Filter {
        self.filter
    }

    pub const fn company_prefix(&self) -> CompanyPrefix {
        self.company_prefix
    }

    /// The serial reference, extension digit first.
    pub const fn serial_reference(&self) -> SerialReference {
        self.serial_reference
    }

    /// The same SSCC on a tag with another filter value.
    #[must_use]
    pub const fn with_filter(self, filter: Filter) -> Sscc {
        Sscc { filter, ..self }
    }

    /// The SSCC-18 with its check digit (TDS, SSCC to GS1 key: extension digit, company
    /// prefix, serial reference less its extension digit, check digit).
    pub fn sscc18(&self) -> String {
        let body = sscc_body(self);
        format!("{:018}", body * 10 + u64::from(check_digit(body)))
    }

    /// The SSCC-96 encoding.
    pub fn to_bytes(&self) -> [u8; EPC_BYTES] {
        let partition = Partition::of(self.company_prefix);
        let row = partition::SSCC.row(partition);
        let mut writer = BitWriter::new();
        writer.push(u64::from(Scheme::Sscc96.header()), 8);
        writer.push(u64::from(self.filter.value()), 3);
        writer.push(u64::from(partition.value()), 3);
        writer.push(self.company_prefix.value(), row.company_prefix_bits);
        writer.push(self.serial_reference.value(), row.reference_bits);
        writer.push(0, UNALLOCATED_BITS);
        writer.finish()
    }

    /// Decodes SSCC-96 from exactly 12 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sscc> {
        let bytes = binary::from_slice(bytes)?;
        let mut reader = BitReader::new(&bytes);
        Scheme::from_header(reader.take_byte(8))?.expect(Scheme::Sscc96)?;
        let sscc = Sscc::read_fields(&mut reader)?;
        reader.finish();
        Ok(sscc)
    }

    /// Reads the fields after the header. A company prefix or serial reference of 10^D or
    /// more is not a valid encoding; neither are unallocated bits that are not zero, which
    /// no conforming encoder writes (so every accepted encoding re-encodes to itself).
    fn read_fields(reader: &mut BitReader) -> Result<Sscc> {
        let filter = Filter::new(reader.take_byte(3))?;
        let row = partition::SSCC.row(Partition::from_bits(reader.take_byte(3))?);
        let company_prefix = CompanyPrefix::new(
            reader.take(row.company_prefix_bits),
            row.company_prefix_digits,
        )?;
        let serial_reference =
            SerialReference::new(reader.take(row.reference_bits), row.reference_digits)?;
        let unallocated = reader.take(UNALLOCATED_BITS);
        if unallocated != 0 {
            return Err(Error::UnallocatedBits { value: unallocated });
        }
        Sscc::new(filter, company_prefix, serial_reference)
    }

    /// The SSCC-96 encoding as 24 uppercase hex digits.
    pub fn to_hex(&self) -> String {
        binary::to_hex(&self.to_bytes())
    }

    /// Decodes SSCC-96 from 24 hex digits, either case.
    pub fn from_hex(text: &str) -> Result<Sscc> {
        Sscc::from_bytes(&binary::from_hex(text)?)
    }
}

/// The 17 digits of the SSCC-18 before its check digit, as a number.
fn sscc_body(sscc: &Sscc) -> u64 {
    let reference_digits = u32::from(sscc.serial_reference.digits());
    // The serial reference's digits after the extension digit.
    let reference_tail = power_of_ten(reference_digits - 1);
    let extension = u64::from(sscc.serial_reference.extension());
    extension * power_of_ten(u32::from(KEY_DIGITS) - 1)
        + sscc.company_prefix.value() * reference_tail
        + sscc.serial_reference.value() % reference_tail
}

/// The SSCC whose SSCC-18 is `key` (a number below 10^18, check digit verified) under a
/// company prefix of `company_prefix_digits` digits.
pub(crate) fn from_key(key: u64, company_prefix_digits: u8, filter: Filter) -> Result<Sscc> {
    company_prefix::check_digits(usize::from(company_prefix_digits))?;
    let body = verify(key, Field::Sscc)?;
    let reference_tail = power_of_ten(u32::from(KEY_DIGITS - 1 - company_prefix_digits));
    let extension = body / power_of_ten(u32::from(KEY_DIGITS) - 1);
    let company_prefix = CompanyPrefix::new(
        body % power_of_ten(u32::from(KEY_DIGITS) - 1) / reference_tail,
        company_prefix_digits,
    )?;
    let serial_reference = SerialReference::new(
        extension * reference_tail + body % reference_tail,
        KEY_DIGITS - company_prefix_digits,
    )?;
    Sscc::new(filter, company_prefix, serial_reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Sscc {
        Sscc::new(
            Filter::new(3).unwrap(),
            "0614141".parse().unwrap(),
            "1234567890".parse().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn tds_example_binary() {
        assert_eq!(example().to_hex(), "3174257BF4499602D2000000");
        assert_eq!(Sscc::from_hex("3174257BF4499602D2000000"), Ok(example()));
    }

    #[test]
    fn tds_example_sscc() {
        assert_eq!(example().sscc18(), "106141412345678908");
        assert_eq!(
            from_key(106_141_412_345_678_908, 7, example().filter),
            Ok(example())
        );
    }

    #[test]
    fn new_checks_the_seventeen_digits() {
        let prefix: CompanyPrefix = "0614141".parse().unwrap();
        let reference: SerialReference = "12345678901".parse().unwrap();
        assert_eq!(
            Sscc::new(Filter::ALL_OTHERS, prefix, reference),
            Err(Error::DigitCount {
                field: Field::SerialReference,
                actual: 11,
                min: 10,
                max: 10
            })
        );
    }

    #[test]
    fn decoding_rejects_set_unallocated_bits() {
        let mut bytes = example().to_bytes();
        bytes[11] = 1;
        assert_eq!(
            Sscc::from_bytes(&bytes),
            Err(Error::UnallocatedBits { value: 1 })
        );
    }

    #[test]
    fn decoding_rejects_reserved_partition_and_overflow() {
        let mut bytes = example().to_bytes();
        // The partition bits of byte 1 set to the reserved value 7.
        bytes[1] |= 0b0001_1100;
        assert_eq!(
            Sscc::from_bytes(&bytes),
            Err(Error::ReservedPartition { value: 7 })
        );
        // Partition 0: a 5-digit serial reference in 18 bits; 2^18 - 1 does not fit.
        let mut writer = BitWriter::new();
        for (value, width) in [
            (0x31, 8),
            (0, 3),
            (0, 3),
            (0, 40),
            ((1 << 18) - 1, 18),
            (0, 24),
        ] {
            writer.push(value, width);
        }
        assert_eq!(
            Sscc::from_bytes(&writer.finish()),
            Err(Error::DigitsOverflow {
                field: Field::SerialReference,
                value: (1 << 18) - 1,
                digits: 5
            })
        );
    }

    #[test]
    fn decoding_names_the_other_scheme() {
        assert_eq!(
            Sscc::from_hex("3074257BF7194E4000001A85"),
            Err(Error::Scheme {
                expected: Scheme::Sscc96,
                found: Scheme::Sgtin96
            })
        );
    }
}
