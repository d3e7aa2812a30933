//! The Serialised Global Trade Item Number and its SGTIN-96 binary encoding.

use crate::binary::{self, BitReader, BitWriter, EPC_BYTES};
use crate::check_digit::{check_digit, verify};
use crate::company_prefix::{self, CompanyPrefix};
use crate::decimal::power_of_ten;
use crate::error::{Error, Field, Result};
use crate::filter::Filter;
use crate::item_reference::ItemReference;
use crate::partition::{self, Partition};
use crate::scheme::Scheme;
use crate::serial::Serial;

/// Digits of the company prefix and item reference together (a GTIN-14 less its check digit).
pub(crate) const KEY_DIGITS: u8 = 13;

/// An SGTIN that has an SGTIN-96 encoding, with the filter value of its tag.
///
/// SGTIN-96 layout (TDS, SGTIN-96 coding table): header `0x30` (8 bits), filter (3),
/// partition (3), company prefix and item reference (44, split by the SGTIN partition
/// table), serial (38).
///
/// ```
/// use jinka_epc::{Filter, Serial, Sgtin};
/// let sgtin = Sgtin::new(Filter::new(3)?, "0614141".parse()?, "812345".parse()?, Serial::new(6789)?)?;
/// assert_eq!(sgtin.to_hex(), "3074257BF7194E4000001A85");
/// assert_eq!(sgtin.gtin14(), "80614141123458");
/// # Ok::<(), jinka_epc::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sgtin {
    filter: Filter,
    company_prefix: CompanyPrefix,
    item_reference: ItemReference,
    serial: Serial,
}

impl Sgtin {
    /// Checks that the company prefix and item reference have 13 digits together.
    pub fn new(
        filter: Filter,
        company_prefix: CompanyPrefix,
        item_reference: ItemReference,
        serial: Serial,
    ) -> Result<Sgtin> {
        let expected = usize::from(KEY_DIGITS - company_prefix.digits());
        if usize::from(item_reference.digits()) != expected {
            return Err(Error::DigitCount {
                field: Field::ItemReference,
                actual: usize::from(item_reference.digits()),
                min: expected,
                max: expected,
            });
        }
        Ok(Sgtin {
            filter,
            company_prefix,
            item_reference,
            serial,
        })
    }

    pub const fn filter(&self) -> Filter {
        self.filter
    }

    pub const fn company_prefix(&self) -> CompanyPrefix {
        self.company_prefix
    }

    /// The item reference, GTIN indicator digit first.
    pub const fn item_reference(&self) -> ItemReference {
        self.item_reference
    }

    pub const fn serial(&self) -> Serial {
        self.serial
    }

    /// The same SGTIN on a tag with another filter value.
    #[must_use]
    pub const fn with_filter(self, filter: Filter) -> Sgtin {
        Sgtin { filter, ..self }
    }

    /// The GTIN-14 with its check digit (TDS, SGTIN to GTIN: indicator digit, company prefix,
    /// item reference less its indicator, check digit).
    pub fn gtin14(&self) -> String {
        let body = gtin_body(self);
        format!("{:014}", body * 10 + u64::from(check_digit(body)))
    }

    /// The SGTIN-96 encoding.
    pub fn to_bytes(&self) -> [u8; EPC_BYTES] {
        let partition = Partition::of(self.company_prefix);
        let row = partition::SGTIN.row(partition);
        let mut writer = BitWriter::new();
        writer.push(u64::from(Scheme::Sgtin96.header()), 8);
        writer.push(u64::from(self.filter.value()), 3);
        writer.push(u64::from(partition.value()), 3);
        writer.push(self.company_prefix.value(), row.company_prefix_bits);
        writer.push(self.item_reference.value(), row.reference_bits);
        writer.push(self.serial.value(), Serial::BITS);
        writer.finish()
    }

    /// Decodes SGTIN-96 from exactly 12 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sgtin> {
        let bytes = binary::from_slice(bytes)?;
        let mut reader = BitReader::new(&bytes);
        Scheme::from_header(reader.take_byte(8))?.expect(Scheme::Sgtin96)?;
        let sgtin = Sgtin::read_fields(&mut reader)?;
        reader.finish();
        Ok(sgtin)
    }

    /// Reads the fields after the header (TDS, SGTIN-96 decoding: a company prefix or item
    /// reference of 10^D or more is not a valid encoding).
    fn read_fields(reader: &mut BitReader) -> Result<Sgtin> {
        let filter = Filter::new(reader.take_byte(3))?;
        let row = partition::SGTIN.row(Partition::from_bits(reader.take_byte(3))?);
        let company_prefix = CompanyPrefix::new(
            reader.take(row.company_prefix_bits),
            row.company_prefix_digits,
        )?;
        let item_reference =
            ItemReference::new(reader.take(row.reference_bits), row.reference_digits)?;
        let serial = Serial::new(reader.take(Serial::BITS))?;
        Sgtin::new(filter, company_prefix, item_reference, serial)
    }

    /// The SGTIN-96 encoding as 24 uppercase hex digits.
    pub fn to_hex(&self) -> String {
        binary::to_hex(&self.to_bytes())
    }

    /// Decodes SGTIN-96 from 24 hex digits, either case.
    pub fn from_hex(text: &str) -> Result<Sgtin> {
        Sgtin::from_bytes(&binary::from_hex(text)?)
    }
}

/// The 13 digits of the GTIN-14 before its check digit, as a number.
fn gtin_body(sgtin: &Sgtin) -> u64 {
    let item_digits = u32::from(sgtin.item_reference.digits());
    // The item reference's digits after the indicator.
    let item_tail = power_of_ten(item_digits - 1);
    let indicator = u64::from(sgtin.item_reference.indicator());
    indicator * power_of_ten(u32::from(KEY_DIGITS) - 1)
        + sgtin.company_prefix.value() * item_tail
        + sgtin.item_reference.value() % item_tail
}

/// The SGTIN whose GTIN-14 is `gtin` (a number below 10^14, check digit verified) under a
/// company prefix of `company_prefix_digits` digits.
pub(crate) fn from_gtin(
    gtin: u64,
    company_prefix_digits: u8,
    filter: Filter,
    serial: Serial,
) -> Result<Sgtin> {
    company_prefix::check_digits(usize::from(company_prefix_digits))?;
    let body = verify(gtin, Field::Gtin)?;
    let item_tail = power_of_ten(u32::from(KEY_DIGITS - 1 - company_prefix_digits));
    let indicator = body / power_of_ten(u32::from(KEY_DIGITS) - 1);
    let company_prefix = CompanyPrefix::new(
        body % power_of_ten(u32::from(KEY_DIGITS) - 1) / item_tail,
        company_prefix_digits,
    )?;
    let item_reference = ItemReference::new(
        indicator * item_tail + body % item_tail,
        KEY_DIGITS - company_prefix_digits,
    )?;
    Sgtin::new(filter, company_prefix, item_reference, serial)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Sgtin {
        Sgtin::new(
            Filter::new(3).unwrap(),
            "0614141".parse().unwrap(),
            "812345".parse().unwrap(),
            Serial::new(6789).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn tds_example_binary() {
        assert_eq!(example().to_hex(), "3074257BF7194E4000001A85");
        assert_eq!(Sgtin::from_hex("3074257BF7194E4000001A85"), Ok(example()));
    }

    #[test]
    fn tds_example_gtin() {
        assert_eq!(example().gtin14(), "80614141123458");
        assert_eq!(
            from_gtin(80_614_141_123_458, 7, example().filter, example().serial),
            Ok(example())
        );
    }

    #[test]
    fn new_checks_the_thirteen_digits() {
        let prefix: CompanyPrefix = "0614141".parse().unwrap();
        let item: ItemReference = "81234".parse().unwrap();
        assert_eq!(
            Sgtin::new(Filter::ALL_OTHERS, prefix, item, Serial::MAX),
            Err(Error::DigitCount {
                field: Field::ItemReference,
                actual: 5,
                min: 6,
                max: 6
            })
        );
    }

    #[test]
    fn decoding_rejects_what_encoding_cannot_produce() {
        let mut bytes = example().to_bytes();
        // Byte 1 holds the filter (3 bits), the partition (3) and the top of the company
        // prefix (2); set the partition to the reserved value 7.
        bytes[1] |= 0b0001_1100;
        assert_eq!(
            Sgtin::from_bytes(&bytes),
            Err(Error::ReservedPartition { value: 7 })
        );
        // Partition 0: a 12-digit company prefix in 40 bits, item reference in 4 bits. The
        // item reference value 15 does not fit one digit.
        let mut writer = BitWriter::new();
        for (value, width) in [(0x30, 8), (0, 3), (0, 3), (0, 40), (15, 4), (0, 38)] {
            writer.push(value, width);
        }
        assert_eq!(
            Sgtin::from_bytes(&writer.finish()),
            Err(Error::DigitsOverflow {
                field: Field::ItemReference,
                value: 15,
                digits: 1
            })
        );
        // Partition 6: a 6-digit company prefix in 20 bits; 2^20 - 1 does not fit 6 digits.
        let mut writer = BitWriter::new();
        for (value, width) in [
            (0x30, 8),
            (0, 3),
            (6, 3),
            ((1 << 20) - 1, 20),
            (0, 24),
            (0, 38),
        ] {
            writer.push(value, width);
        }
        assert_eq!(
            Sgtin::from_bytes(&writer.finish()),
            Err(Error::DigitsOverflow {
                field: Field::CompanyPrefix,
                value: (1 << 20) - 1,
                digits: 6
            })
        );
    }

    #[test]
    fn decoding_names_the_other_scheme() {
        assert_eq!(
            Sgtin::from_hex("3174257BF4499602D2000000"),
            Err(Error::Scheme {
                expected: Scheme::Sgtin96,
                found: Scheme::Sscc96
            })
        );
        assert_eq!(
            Sgtin::from_hex("3674257BF7194E4000001A85"),
            Err(Error::Header { found: 0x36 })
        );
    }
}
