//! The partition tables of the TDS: how a 96-bit encoding splits the GS1 key between the
//! company prefix and the rest.
//!
//! The 3-bit partition value `P` gives the company prefix `12 - P` digits in both schemes;
//! value 7 is reserved. The company prefix and the reference always share the same bits
//! (44 for SGTIN-96, 58 for SSCC-96) and digits (13 and 17), whatever `P` is.

use crate::company_prefix::CompanyPrefix;
use crate::error::{Error, Result};

/// One row of a partition table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PartitionRow {
    pub(crate) company_prefix_bits: u32,
    pub(crate) company_prefix_digits: u8,
    /// Bits of the item reference (SGTIN) or serial reference (SSCC).
    pub(crate) reference_bits: u32,
    /// Digits of the reference, indicator or extension digit included.
    pub(crate) reference_digits: u8,
}

const fn row(
    company_prefix_bits: u32,
    company_prefix_digits: u8,
    reference_bits: u32,
    reference_digits: u8,
) -> PartitionRow {
    PartitionRow {
        company_prefix_bits,
        company_prefix_digits,
        reference_bits,
        reference_digits,
    }
}

/// A partition table, indexed by partition value 0..=6.
pub(crate) struct PartitionTable([PartitionRow; 7]);

/// TDS, SGTIN Partition Table (SGTIN-96 and SGTIN-198).
pub(crate) const SGTIN: PartitionTable = PartitionTable([
    row(40, 12, 4, 1),
    row(37, 11, 7, 2),
    row(34, 10, 10, 3),
    row(30, 9, 14, 4),
    row(27, 8, 17, 5),
    row(24, 7, 20, 6),
    row(20, 6, 24, 7),
]);

/// TDS, SSCC Partition Table (SSCC-96).
pub(crate) const SSCC: PartitionTable = PartitionTable([
    row(40, 12, 18, 5),
    row(37, 11, 21, 6),
    row(34, 10, 24, 7),
    row(30, 9, 28, 8),
    row(27, 8, 31, 9),
    row(24, 7, 34, 10),
    row(20, 6, 38, 11),
]);

/// A defined partition value, 0..=6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Partition(u8);

impl Partition {
    /// The partition value read from the 3 partition bits; 7 is reserved.
    pub(crate) fn from_bits(value: u8) -> Result<Partition> {
        if value <= 6 {
            Ok(Partition(value))
        } else {
            Err(Error::ReservedPartition { value })
        }
    }

    /// The partition whose company prefix has as many digits as `company_prefix`.
    pub(crate) fn of(company_prefix: CompanyPrefix) -> Partition {
        let digits = company_prefix.digits();
        assert!((6..=12).contains(&digits), "CompanyPrefix checks its width");
        Partition(12 - digits)
    }

    pub(crate) const fn value(self) -> u8 {
        self.0
    }
}

impl PartitionTable {
    pub(crate) fn row(&self, partition: Partition) -> PartitionRow {
        self.0[usize::from(partition.0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::power_of_ten;

    /// The invariants the module doc states, and that every decimal width fits its bits (not
    /// always tightly: SSCC-96 gives a 5-digit serial reference 18 bits).
    fn check(table: &PartitionTable, bits: u32, digits: u8) {
        for value in 0..=6 {
            let row = table.row(Partition::from_bits(value).unwrap());
            assert_eq!(row.company_prefix_digits, 12 - value);
            assert_eq!(row.company_prefix_bits + row.reference_bits, bits);
            assert_eq!(row.company_prefix_digits + row.reference_digits, digits);
            for (bits, digits) in [
                (row.company_prefix_bits, row.company_prefix_digits),
                (row.reference_bits, row.reference_digits),
            ] {
                let largest = power_of_ten(u32::from(digits)) - 1;
                assert!(largest < 1 << bits, "{digits} digits fit {bits} bits");
            }
        }
    }

    #[test]
    fn sgtin_table_is_consistent() {
        check(&SGTIN, 44, 13);
    }

    #[test]
    fn sscc_table_is_consistent() {
        check(&SSCC, 58, 17);
    }

    #[test]
    fn seven_is_reserved() {
        assert_eq!(
            Partition::from_bits(7),
            Err(Error::ReservedPartition { value: 7 })
        );
    }
}
