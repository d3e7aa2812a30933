//! `decode(encode(x)) == x` in every representation, for every valid value.

use crate::strategy::{filter, sgtin, sscc};
use jinka_epc::{Epc, Error, Field, Sgtin, Sscc};
use proptest::prelude::*;

proptest! {
    #[test]
    fn sgtin_round_trips(sgtin in sgtin()) {
        let digits = sgtin.company_prefix().digits();
        prop_assert_eq!(Sgtin::from_bytes(&sgtin.to_bytes()), Ok(sgtin));
        prop_assert_eq!(Sgtin::from_hex(&sgtin.to_hex()), Ok(sgtin));
        prop_assert_eq!(Sgtin::from_hex(&sgtin.to_hex().to_lowercase()), Ok(sgtin));
        prop_assert_eq!(Sgtin::from_tag_uri(&sgtin.tag_uri()), Ok(sgtin));
        prop_assert_eq!(Sgtin::from_pure_uri(&sgtin.pure_uri(), sgtin.filter()), Ok(sgtin));
        prop_assert_eq!(Sgtin::from_digital_link(&sgtin.digital_link(), digits, sgtin.filter()), Ok(sgtin));
        prop_assert_eq!(sgtin.tag_uri().parse(), Ok(sgtin));
    }

    #[test]
    fn sscc_round_trips(sscc in sscc()) {
        let digits = sscc.company_prefix().digits();
        prop_assert_eq!(Sscc::from_bytes(&sscc.to_bytes()), Ok(sscc));
        prop_assert_eq!(Sscc::from_hex(&sscc.to_hex()), Ok(sscc));
        prop_assert_eq!(Sscc::from_hex(&sscc.to_hex().to_lowercase()), Ok(sscc));
        prop_assert_eq!(Sscc::from_tag_uri(&sscc.tag_uri()), Ok(sscc));
        prop_assert_eq!(Sscc::from_pure_uri(&sscc.pure_uri(), sscc.filter()), Ok(sscc));
        prop_assert_eq!(Sscc::from_digital_link(&sscc.digital_link(), digits, sscc.filter()), Ok(sscc));
        prop_assert_eq!(sscc.tag_uri().parse(), Ok(sscc));
    }

    #[test]
    fn epc_round_trips(epc in prop_oneof![sgtin().prop_map(Epc::from), sscc().prop_map(Epc::from)]) {
        let digits = match epc {
            Epc::Sgtin(sgtin) => sgtin.company_prefix().digits(),
            Epc::Sscc(sscc) => sscc.company_prefix().digits(),
        };
        prop_assert_eq!(Epc::from_bytes(&epc.to_bytes()), Ok(epc));
        prop_assert_eq!(Epc::from_hex(&epc.to_hex()), Ok(epc));
        prop_assert_eq!(Epc::from_tag_uri(&epc.tag_uri()), Ok(epc));
        prop_assert_eq!(Epc::from_pure_uri(&epc.pure_uri(), epc.filter()), Ok(epc));
        prop_assert_eq!(Epc::from_digital_link(&epc.digital_link(), digits, epc.filter()), Ok(epc));
    }

    /// The pure identity URI and the Digital Link name the object, not the tag: decoding them
    /// with another filter changes the filter only.
    #[test]
    fn filter_comes_from_the_caller(sgtin in sgtin(), other in filter()) {
        let digits = sgtin.company_prefix().digits();
        prop_assert_eq!(Sgtin::from_pure_uri(&sgtin.pure_uri(), other), Ok(sgtin.with_filter(other)));
        prop_assert_eq!(
            Sgtin::from_digital_link(&sgtin.digital_link(), digits, other),
            Ok(sgtin.with_filter(other))
        );
    }

    /// The GS1 mod-10 check digit catches every single-digit substitution in the key.
    #[test]
    fn any_single_digit_change_breaks_the_check(sgtin in sgtin(), position in 0usize..14, bump in 1u8..=9) {
        let gtin = sgtin.gtin14();
        let mut digits = gtin.into_bytes();
        let digit = &mut digits[position];
        *digit = b'0' + (*digit - b'0' + bump) % 10;
        let changed = String::from_utf8(digits).expect("ASCII digits");
        let link = format!("https://id.gs1.org/01/{changed}/21/{}", sgtin.serial());
        let decoded = Sgtin::from_digital_link(&link, sgtin.company_prefix().digits(), sgtin.filter());
        prop_assert!(
            matches!(decoded, Err(Error::CheckDigit { field: Field::Gtin, .. })),
            "{link}: {decoded:?}"
        );
    }
}
