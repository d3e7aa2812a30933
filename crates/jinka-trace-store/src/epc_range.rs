//! An EPC pattern as a range of 96-bit encodings. An EPC's bytes start with its header, its
//! filter (always 0 in a stored identity), its partition and company prefix, then the item
//! or serial reference and the serial: the EPCs a pattern matches are exactly those between
//! the pattern's smallest and largest member, so `MATCH_*` parameters become index ranges.

use jinka_epc::{
    CompanyPrefix, EPC_BYTES, Filter, ItemReference, Scheme, Serial, SerialReference, Sgtin, Sscc,
};
use jinka_trace::EpcPattern;

/// Digits of a company prefix and the reference after it, together (TDS).
const SGTIN_KEY_DIGITS: u8 = 13;
const SSCC_KEY_DIGITS: u8 = 17;

/// The smallest and the largest encoding `pattern` matches. The pattern was checked when
/// it was read, so its fields always encode; an error would name a bug there.
pub(crate) fn epc_range(pattern: &EpcPattern) -> jinka_epc::Result<(Bytes, Bytes)> {
    Ok(match pattern {
        EpcPattern::Exact(epc) => (epc.to_bytes(), epc.to_bytes()),
        EpcPattern::Sgtin {
            company_prefix: Some(prefix),
            item_reference,
        } => {
            let digits = SGTIN_KEY_DIGITS.saturating_sub(prefix.digits());
            let (low_item, high_item) = match item_reference {
                Some(item) => (*item, *item),
                None => (
                    ItemReference::new(0, digits)?,
                    ItemReference::new(largest(digits), digits)?,
                ),
            };
            (
                sgtin(*prefix, low_item, Serial::new(0)?)?,
                sgtin(*prefix, high_item, Serial::MAX)?,
            )
        }
        EpcPattern::Sscc {
            company_prefix: Some(prefix),
        } => {
            let digits = SSCC_KEY_DIGITS.saturating_sub(prefix.digits());
            (
                sscc(*prefix, SerialReference::new(0, digits)?)?,
                sscc(*prefix, SerialReference::new(largest(digits), digits)?)?,
            )
        }
        EpcPattern::Sgtin { .. } => scheme_range(Scheme::Sgtin96),
        EpcPattern::Sscc { .. } => scheme_range(Scheme::Sscc96),
    })
}

/// A 96-bit encoding.
type Bytes = [u8; EPC_BYTES];

/// Every encoding with the scheme's header.
fn scheme_range(scheme: Scheme) -> (Bytes, Bytes) {
    let mut low = [0x00; EPC_BYTES];
    let mut high = [0xFF; EPC_BYTES];
    low[0] = scheme.header();
    high[0] = scheme.header();
    (low, high)
}

/// 10^digits - 1 (digits is at most 11 here).
fn largest(digits: u8) -> u64 {
    10u64.saturating_pow(u32::from(digits)).saturating_sub(1)
}

fn sgtin(prefix: CompanyPrefix, item: ItemReference, serial: Serial) -> jinka_epc::Result<Bytes> {
    Ok(Sgtin::new(Filter::ALL_OTHERS, prefix, item, serial)?.to_bytes())
}

fn sscc(prefix: CompanyPrefix, reference: SerialReference) -> jinka_epc::Result<Bytes> {
    Ok(Sscc::new(Filter::ALL_OTHERS, prefix, reference)?.to_bytes())
}

#[cfg(test)]
mod tests {
    use jinka_trace::Epc;

    use super::*;

    #[test]
    fn a_range_holds_exactly_what_its_pattern_matches() {
        let epcs: Vec<Epc> = [
            "urn:epc:id:sgtin:0614141.812345.0",
            "urn:epc:id:sgtin:0614141.812345.274877906943",
            "urn:epc:id:sgtin:0614141.812346.1",
            "urn:epc:id:sgtin:0614141.099999.5",
            "urn:epc:id:sgtin:0614142.812345.6789",
            "urn:epc:id:sgtin:061414.0812345.6789",
            "urn:epc:id:sscc:0614141.1234567890",
            "urn:epc:id:sscc:0614141.0000000000",
            "urn:epc:id:sscc:0614141.9999999999",
            "urn:epc:id:sscc:0614142.1234567890",
        ]
        .iter()
        .map(|text| text.parse().unwrap())
        .collect();
        for text in [
            "urn:epc:idpat:sgtin:0614141.812345.*",
            "urn:epc:idpat:sgtin:0614141.*.*",
            "urn:epc:idpat:sgtin:*.*.*",
            "urn:epc:idpat:sgtin:061414.*.*",
            "urn:epc:idpat:sscc:0614141.*",
            "urn:epc:idpat:sscc:*.*",
            "urn:epc:id:sgtin:0614141.812345.0",
            "urn:epc:id:sscc:0614142.1234567890",
        ] {
            let pattern = EpcPattern::parse(text).unwrap();
            let (low, high) = epc_range(&pattern).unwrap();
            for epc in &epcs {
                let inside = (low..=high).contains(&epc.to_bytes());
                assert_eq!(inside, pattern.matches(epc), "{text} and {epc}");
            }
        }
    }
}
