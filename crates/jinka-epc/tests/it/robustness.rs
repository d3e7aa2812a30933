//! Decoders fed arbitrary input return an error, never panic; and what they accept is
//! canonical: encoding it again gives back the input.

use crate::strategy::{sgtin, sscc};
use jinka_epc::{Epc, Filter, Sgtin, Sscc};
use proptest::prelude::*;

/// A valid EPC in one of its text forms, with one character deleted, replaced or inserted.
fn mutated() -> impl Strategy<Value = String> {
    let epc = prop_oneof![sgtin().prop_map(Epc::from), sscc().prop_map(Epc::from)];
    let text = (epc, 0..4usize).prop_map(|(epc, form)| match form {
        0 => epc.to_hex(),
        1 => epc.tag_uri(),
        2 => epc.pure_uri(),
        _ => epc.digital_link(),
    });
    let edit = (
        any::<prop::sample::Index>(),
        0..3u8,
        prop_oneof![Just('.'), Just('/'), Just('0'), Just('9'), any::<char>()],
    );
    (text, edit).prop_map(|(text, (index, operation, new))| {
        let mut chars: Vec<char> = text.chars().collect();
        let position = index.index(chars.len());
        match operation {
            0 => {
                chars.remove(position);
            }
            1 => chars[position] = new,
            _ => chars.insert(position, new),
        }
        chars.into_iter().collect()
    })
}

/// Strings near the valid forms, so the decoders get past their first checks.
fn near_valid() -> impl Strategy<Value = String> {
    prop_oneof![
        "urn:epc:(id|tag):(sgtin|sscc|sgtin-96|sscc-96):[0-9.]{0,40}",
        "urn:epc:tag:(sgtin|sscc)-96:[0-9]\\.[0-9]{0,14}\\.[0-9]{0,12}(\\.[0-9]{0,13})?",
        "urn:epc:id:(sgtin|sscc):[0-9]{0,14}\\.[0-9]{0,12}(\\.[0-9]{0,13})?",
        "https://id\\.gs1\\.org/(00|01)/[0-9]{0,20}(/21/[0-9]{0,14})?",
        "[0-9a-fA-F]{22,26}",
        "[0-3][0-9A-F]{23}",
    ]
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![".*", near_valid(), mutated(), "\\PC{0,200}"]
}

fn any_filter() -> impl Strategy<Value = Filter> {
    (0u8..=7).prop_map(|value| Filter::new(value).expect("0..=7"))
}

proptest! {
    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
        if let Ok(epc) = Epc::from_bytes(&bytes) {
            prop_assert_eq!(epc.to_bytes().to_vec(), bytes.clone());
        }
        if let Ok(sgtin) = Sgtin::from_bytes(&bytes) {
            prop_assert_eq!(sgtin.to_bytes().to_vec(), bytes.clone());
        }
        if let Ok(sscc) = Sscc::from_bytes(&bytes) {
            prop_assert_eq!(sscc.to_bytes().to_vec(), bytes.clone());
        }
    }

    /// Twelve bytes under a header this crate reads, so every field decoder runs.
    #[test]
    fn arbitrary_fields(header in 0x30u8..=0x31, rest in any::<[u8; 11]>()) {
        let mut bytes = [0; 12];
        bytes[0] = header;
        bytes[1..].copy_from_slice(&rest);
        match Epc::from_bytes(&bytes) {
            Ok(epc) => {
                prop_assert_eq!(epc.to_bytes(), bytes);
                prop_assert_eq!(Epc::from_tag_uri(&epc.tag_uri()), Ok(epc));
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn arbitrary_text(text in any_text(), digits in any::<u8>(), filter in any_filter()) {
        if let Ok(epc) = Epc::from_hex(&text) {
            prop_assert_eq!(epc.to_hex(), text.to_uppercase());
        }
        if let Ok(epc) = Epc::from_tag_uri(&text) {
            prop_assert_eq!(epc.tag_uri(), text.clone());
        }
        if let Ok(epc) = Epc::from_pure_uri(&text, filter) {
            prop_assert_eq!(epc.pure_uri(), text.clone());
        }
        if let Ok(epc) = Epc::from_digital_link(&text, digits, filter) {
            prop_assert_eq!(epc.digital_link(), text.clone());
        }
        // The typed decoders share the code above except for their scheme checks.
        let _ = (Sgtin::from_hex(&text), Sscc::from_hex(&text));
        let _ = (Sgtin::from_tag_uri(&text), Sscc::from_tag_uri(&text));
        let _ = (Sgtin::from_pure_uri(&text, filter), Sscc::from_pure_uri(&text, filter));
        let _ = Sgtin::from_digital_link(&text, digits, filter);
        let _ = Sscc::from_digital_link(&text, digits, filter);
        let _ = (text.parse::<Epc>(), text.parse::<jinka_epc::Serial>());
        let _ = (text.parse::<jinka_epc::CompanyPrefix>(), text.parse::<jinka_epc::ItemReference>());
        let _ = text.parse::<jinka_epc::SerialReference>();
    }
}
