//! Every purchase case of `testdata/vectors.json`, through both SAM forms: MAC1 equals the
//! vector's, the vector's MAC2 is accepted, a flipped MAC2 is refused.

use jinka_crypto::{Key16, Profile};
use jinka_sam::{IssuerMasterKeys, KeyTable, PurchaseRequest, PurchaseType, SamError, SamState};
use serde_json::Value;

use crate::support::{FORMS, ISSUER, sam};

fn hex_field<const N: usize>(case: &Value, field: &str) -> [u8; N] {
    hex::decode(case[field].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn number(case: &Value, field: &str) -> u64 {
    case[field].as_u64().unwrap()
}

fn purchase_cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors.json"
    ))
    .unwrap();
    let vectors: Value = serde_json::from_str(&text).unwrap();
    vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|case| case["kind"] == "purchase")
        .cloned()
        .collect()
}

/// A SAM state holding the vector's master purchase key, terminal id and next serial.
fn state_for(case: &Value) -> SamState {
    let profile = Profile::from_name(case["profile"].as_str().unwrap()).unwrap();
    let keys = KeyTable::new(vec![IssuerMasterKeys {
        issuer_id: ISSUER,
        key_version: 1,
        profile,
        purchase: Key16::from_hex(case["master_purchase_key"].as_str().unwrap()).unwrap(),
        maintenance: Key16::new([0x5A; 16]),
    }])
    .unwrap();
    let mut state = SamState::new(hex_field(case, "terminal_id"), keys);
    state.serial_next = u64::from(u32::from_be_bytes(hex_field(case, "terminal_serial")));
    state
}

fn request_for(case: &Value) -> PurchaseRequest {
    PurchaseRequest {
        issuer_id: ISSUER,
        asn8: hex_field(case, "asn"),
        key_version: 1,
        algorithm_id: u8::try_from(number(case, "alg_id")).unwrap(),
        card_random: hex_field(case, "card_random"),
        card_atc: u16::try_from(number(case, "offline_counter")).unwrap(),
        amount_fen: u32::try_from(number(case, "amount")).unwrap(),
        transaction_type: PurchaseType::from_code(
            u8::try_from(number(case, "transaction_type")).unwrap(),
        )
        .unwrap(),
        date: hex_field(case, "date"),
        time: hex_field(case, "time"),
    }
}

#[test]
fn both_forms_reproduce_every_purchase_vector() {
    let cases = purchase_cases();
    assert_eq!(cases.len(), 6);
    for case in &cases {
        let serial = u32::from_be_bytes(hex_field(case, "terminal_serial"));
        let mac2: [u8; 4] = hex_field(case, "mac2");
        for form in FORMS {
            let context = format!("{form:?} {case}");
            let mut accepting = sam(form, state_for(case));
            assert_eq!(accepting.terminal_id(), hex_field::<6>(case, "terminal_id"));
            let authorization = accepting.init_purchase(&request_for(case)).expect(&context);
            assert_eq!(authorization.terminal_serial, serial, "{context}");
            assert_eq!(
                authorization.mac1,
                hex_field::<4>(case, "mac1"),
                "{context}"
            );
            accepting.check_mac2(mac2).expect(&context);

            // A fresh SAM (the vector's serial may be the last one) and a flipped MAC2.
            let mut refusing = sam(form, state_for(case));
            refusing.init_purchase(&request_for(case)).expect(&context);
            let mut flipped = mac2;
            flipped[3] ^= 0x01;
            assert!(
                matches!(refusing.check_mac2(flipped), Err(SamError::Mac2Invalid)),
                "{context}"
            );
            // The session is consumed: even the right MAC2 now finds no purchase.
            assert!(
                matches!(refusing.check_mac2(mac2), Err(SamError::NoSession)),
                "{context}"
            );
        }
    }
}

#[test]
fn the_last_serial_is_handed_out_once_then_the_sam_is_exhausted() {
    let case = purchase_cases()
        .into_iter()
        .find(|case| case["terminal_serial"] == "FFFFFFFF")
        .unwrap();
    for form in FORMS {
        let mut sam = sam(form, state_for(&case));
        let first = sam.init_purchase(&request_for(&case)).unwrap();
        assert_eq!(first.terminal_serial, u32::MAX);
        let error = sam.init_purchase(&request_for(&case)).unwrap_err();
        assert!(
            matches!(error, SamError::SerialsExhausted),
            "{form:?} {error}"
        );
        assert_eq!(error.kind(), jinka_sam::SamErrorKind::SamFault);
    }
}
