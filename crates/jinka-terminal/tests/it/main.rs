//! Terminal flows against real issued cards, through software and card-form SAMs.

mod flows;
mod robustness;
mod support;

use jinka_card::{
    Card, E_PURSE_AID, Issuance, IssuerKeys, SOCIAL_SECURITY_AID, SeededEntropy, Template, issue,
};
use jinka_crypto::Profile;
use jinka_terminal::directory::parse_directory;
use jinka_terminal::exchange::{ExchangeError, command, exchange};
use jinka_terminal::{PublicData, read_directory};
use proptest::prelude::*;

fn card() -> Card<SeededEntropy> {
    let keys = IssuerKeys::generate(
        Profile::Sm4,
        1,
        [0x31, 0x04, 0, 0, 0, 0, 0, 1],
        &mut SeededEntropy::new(1),
    );
    let issuance = Issuance {
        asn: [0x31, 0x04, 0, 0, 0, 1, 0x23, 0x45],
        start_date: [0x20, 0x26, 1, 1],
        expiry_date: [0x20, 0x36, 1, 1],
    };
    let nvm = issue(
        &keys,
        &issuance,
        &[(Template::EPurse, &keys), (Template::SocialSecurity, &keys)],
    )
    .unwrap();
    Card::new(nvm, SeededEntropy::new(2))
}

#[test]
fn the_directory_and_public_data_identify_the_card() {
    let mut card = card();
    let mut buffer = Vec::new();
    let entries = read_directory(&mut card, &mut buffer).unwrap();
    let aids: Vec<_> = entries.iter().map(|e| e.aid.as_bytes().to_vec()).collect();
    assert_eq!(aids, [E_PURSE_AID.to_vec(), SOCIAL_SECURITY_AID.to_vec()]);
    assert_eq!(entries[0].label, "JINKA E-PURSE");
    let mut apdu = Vec::new();
    exchange(
        &mut card,
        "SELECT",
        command(
            &mut apdu,
            [0x00, 0xA4, 0x04, 0x00],
            &[&E_PURSE_AID],
            Some(0),
        ),
        &mut buffer,
    )
    .unwrap();
    let data = exchange(
        &mut card,
        "READ BINARY",
        &[0x00, 0xB0, 0x95, 0x00, 0x1E],
        &mut buffer,
    )
    .unwrap();
    let public = PublicData::parse(data).unwrap();
    assert_eq!(public.asn, [0x31, 0x04, 0, 0, 0, 1, 0x23, 0x45]);
    assert_eq!(public.issuer_id, [0x31, 0x04, 0, 0, 0, 0, 0, 1]);
    let refused = exchange(
        &mut card,
        "GET BALANCE",
        &[0x80, 0x5C, 0x00, 0x01, 0x04],
        &mut buffer,
    );
    assert!(
        matches!(refused, Err(ExchangeError::Refused { status, .. }) if status == jinka_apdu::StatusWord::WRONG_P1P2)
    );
}

proptest! {
    #[test]
    fn garbled_directories_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let entries = parse_directory(&bytes);
        prop_assert!(entries.len() <= jinka_terminal::directory::DIRECTORY_ENTRIES_MAX);
    }
}
