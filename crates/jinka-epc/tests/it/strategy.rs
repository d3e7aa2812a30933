//! Every valid SGTIN and SSCC, over all seven partitions.

use jinka_epc::{CompanyPrefix, Filter, ItemReference, Serial, SerialReference, Sgtin, Sscc};
use proptest::prelude::*;

/// A value of `digits` decimal digits, often with leading zeros or at the ends of the range.
fn decimal(digits: u8) -> impl Strategy<Value = u64> {
    let end = 10u64.pow(u32::from(digits));
    prop_oneof![
        4 => 0..end,
        1 => 0..(end / 1000).max(1),
        1 => Just(end - 1),
    ]
}

pub fn filter() -> impl Strategy<Value = Filter> {
    (0u8..=7).prop_map(|value| Filter::new(value).expect("0..=7"))
}

fn company_prefix() -> impl Strategy<Value = CompanyPrefix> {
    (6u8..=12).prop_flat_map(|digits| {
        decimal(digits).prop_map(move |value| CompanyPrefix::new(value, digits).expect("fits"))
    })
}

pub fn sgtin() -> impl Strategy<Value = Sgtin> {
    (company_prefix(), filter()).prop_flat_map(|(company_prefix, filter)| {
        let digits = 13 - company_prefix.digits();
        let serial = prop_oneof![
            0..=Serial::MAX.value(),
            Just(Serial::MAX.value()),
            0..100u64
        ];
        (decimal(digits), serial).prop_map(move |(item, serial)| {
            Sgtin::new(
                filter,
                company_prefix,
                ItemReference::new(item, digits).expect("fits"),
                Serial::new(serial).expect("below 2^38"),
            )
            .expect("13 digits")
        })
    })
}

pub fn sscc() -> impl Strategy<Value = Sscc> {
    (company_prefix(), filter()).prop_flat_map(|(company_prefix, filter)| {
        let digits = 17 - company_prefix.digits();
        decimal(digits).prop_map(move |reference| {
            Sscc::new(
                filter,
                company_prefix,
                SerialReference::new(reference, digits).expect("fits"),
            )
            .expect("17 digits")
        })
    })
}
