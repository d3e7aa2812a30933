//! Arbitrary and malformed APDUs always get a status word, never a panic, and never change
//! money.

use jinka_apdu::{ResponseApdu, StatusWord};
use jinka_card::{ACCESS_CONTROL_AID, Card, E_PURSE_AID, SOCIAL_SECURITY_AID, SeededEntropy};
use jinka_crypto::Profile;
use proptest::prelude::*;

use crate::support::*;

fn card_with_money() -> (Card<SeededEntropy>, u32) {
    let (mut card, issuer, _) = full_card(Profile::Sm4);
    select(&mut card, &E_PURSE_AID);
    load(&mut card, &issuer, 7_777).unwrap();
    (card, 7_777)
}

fn command() -> impl Strategy<Value = Vec<u8>> {
    let cla = prop_oneof![
        Just(0x00u8),
        Just(0x04),
        Just(0x80),
        Just(0x84),
        any::<u8>()
    ];
    let ins = prop_oneof![
        Just(0xA4u8),
        Just(0xB0),
        Just(0xD6),
        Just(0xB2),
        Just(0xDC),
        Just(0xE2),
        Just(0x20),
        Just(0x5E),
        Just(0x84),
        Just(0x82),
        Just(0x88),
        Just(0x50),
        Just(0x54),
        Just(0x52),
        Just(0x5C),
        Just(0x5A),
        Just(0x1E),
        Just(0x18),
        Just(0xE0),
        Just(0xD4),
        Just(0xE4),
        any::<u8>()
    ];
    (
        cla,
        ins,
        any::<u8>(),
        any::<u8>(),
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(|(cla, ins, p1, p2, data, le)| apdu([cla, ins, p1, p2], &data, le))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_get_a_status_word(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let (mut card, _) = card_with_money();
        let mut response = Vec::new();
        card.transmit(&bytes, &mut response).unwrap();
        prop_assert!(ResponseApdu::parse(&response).is_ok());
    }

    #[test]
    fn command_sequences_never_panic_nor_move_money(
        selection in 0usize..4,
        commands in proptest::collection::vec(command(), 1..30),
    ) {
        let (mut card, money) = card_with_money();
        let aids: [&[u8]; 4] = [&E_PURSE_AID, &SOCIAL_SECURITY_AID, &ACCESS_CONTROL_AID, b"2PAY.SYS.DDF01"];
        select(&mut card, aids[selection]);
        for command in &commands {
            let mut response = Vec::new();
            card.transmit(command, &mut response).unwrap();
            prop_assert!(response.len() >= 2);
        }
        // Without the keys no command sequence can add or take money.
        select(&mut card, &E_PURSE_AID);
        let (data, sw) = send(&mut card, &[0x80, 0x5C, 0x00, 0x02, 0x04]);
        if sw == StatusWord::OK {
            prop_assert_eq!(u32::from_be_bytes(data.try_into().unwrap()), money);
        }
    }
}
