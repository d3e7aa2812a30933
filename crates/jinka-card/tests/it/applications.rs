//! Many applications on one card: the directory, isolation, PINs, authentication, and
//! management after issuance.

use jinka_apdu::StatusWord;
use jinka_card::{
    ACCESS_CONTROL_AID, AppKind, ApplicationSpec, CardManager, E_PURSE_AID, KeyUsage,
    SOCIAL_SECURITY_AID, Template, external_key, internal_key, tlv,
};
use jinka_crypto::Profile;

use crate::support::*;

#[test]
fn the_directory_lists_every_application() {
    let (mut card, _, _) = full_card(Profile::Sm4);
    let (fci, sw) = send(
        &mut card,
        &apdu([0x00, 0xA4, 0x04, 0x00], b"2PAY.SYS.DDF01", Some(0)),
    );
    assert_eq!(sw, StatusWord::OK);
    let (tag, body, _) = tlv::read(&fci).unwrap();
    assert_eq!(tag, 0x6F);
    let (_, name, rest) = tlv::read(body).unwrap();
    assert_eq!(name, b"2PAY.SYS.DDF01");
    let (_, a5, _) = tlv::read(rest).unwrap();
    let (_, mut entries, _) = tlv::read(a5).unwrap();
    let mut aids = Vec::new();
    while let Some((0x61, entry, rest)) = tlv::read(entries) {
        let (tag, aid, _) = tlv::read(entry).unwrap();
        assert_eq!(tag, 0x4F);
        aids.push(aid.to_vec());
        entries = rest;
    }
    assert_eq!(
        aids,
        [
            E_PURSE_AID.to_vec(),
            SOCIAL_SECURITY_AID.to_vec(),
            ACCESS_CONTROL_AID.to_vec()
        ]
    );
    // EF.DIR under the MF holds the same applications as records.
    send(&mut card, &[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]);
    let (record, sw) = send(&mut card, &[0x00, 0xB2, 0x02, 0x0C, 0x00]);
    assert_eq!(sw, StatusWord::OK);
    let (tag, entry, _) = tlv::read(&record).unwrap();
    assert_eq!(tag, 0x61);
    assert_eq!(tlv::read(entry).unwrap().1, SOCIAL_SECURITY_AID);
    assert_eq!(
        send(&mut card, &[0x00, 0xB2, 0x04, 0x0C, 0x00]).1,
        StatusWord::RECORD_NOT_FOUND
    );
    assert_eq!(
        select(&mut card, &[0xD1, 0x56, 0x00, 0x00, 0x01, 0x09]),
        StatusWord::FILE_NOT_FOUND
    );
}

#[test]
fn one_application_cannot_reach_another() {
    let (mut card, issuer, department) = full_card(Profile::Sm4);
    // From the e-purse, the social-security files are not there at all.
    select(&mut card, &E_PURSE_AID);
    assert_eq!(
        send(&mut card, &[0x00, 0xB0, 0x85, 0x00, 0x10]).1,
        StatusWord::FILE_NOT_FOUND
    );
    assert_eq!(
        send(&mut card, &[0x00, 0xB2, 0x01, 0x3C, 0x00]).1,
        StatusWord::FILE_NOT_FOUND
    );
    // The social-security application does not answer e-purse commands.
    select(&mut card, &SOCIAL_SECURITY_AID);
    assert_eq!(
        send(&mut card, &[0x80, 0x5C, 0x00, 0x02, 0x04]).1,
        StatusWord::INS_NOT_SUPPORTED
    );
    // The e-purse's maintenance key does not open the social-security files; its own does.
    let payload = b"HEALTH:OK";
    let wrong = with_sm_mac(
        &mut card,
        Profile::Sm4,
        &maintenance_key(&issuer),
        [0x04, 0xE2, 0x00, 0x07 << 3],
        payload,
    );
    assert_eq!(send(&mut card, &wrong).1, StatusWord::MAC_INVALID);
    let right = with_sm_mac(
        &mut card,
        Profile::Sm4,
        &maintenance_key(&department),
        [0x04, 0xE2, 0x00, 0x07 << 3],
        payload,
    );
    assert_eq!(send(&mut card, &right).1, StatusWord::OK);
    // A PIN verified in one application is not verified in another, nor after reselection.
    assert_eq!(
        send(
            &mut card,
            &apdu([0x00, 0x20, 0x00, 0x00], &[0x12, 0x34, 0x56], None)
        )
        .1,
        StatusWord::OK
    );
    assert_eq!(send(&mut card, &[0x00, 0xB2, 0x01, 0x3C, 0x00]).0, payload);
    select(&mut card, &E_PURSE_AID);
    select(&mut card, &SOCIAL_SECURITY_AID);
    assert_eq!(
        send(&mut card, &[0x00, 0xB2, 0x01, 0x3C, 0x00]).1,
        StatusWord::SECURITY_NOT_SATISFIED
    );
    // A management command for one AID changes only that application.
    let before: Vec<_> = card
        .nvm()
        .state
        .applications
        .iter()
        .filter(|a| a.kind != AppKind::SocialSecurity)
        .cloned()
        .collect();
    let mut manager = CardManager::new(
        Profile::Sm4,
        &issuer.card_manager,
        &ASN,
        card.nvm().state.management_counter,
    );
    let aid = jinka_card::Aid::new(&SOCIAL_SECURITY_AID).unwrap();
    let key = issuer.purchase.clone();
    assert_eq!(
        send(
            &mut card,
            &manager.put_key(&aid, KeyUsage::Purchase, 1, 1, &key)
        )
        .1,
        StatusWord::OK
    );
    let after: Vec<_> = card
        .nvm()
        .state
        .applications
        .iter()
        .filter(|a| a.kind != AppKind::SocialSecurity)
        .cloned()
        .collect();
    assert_eq!(before, after);
}

#[test]
fn pins_count_tries_change_and_block() {
    let (mut card, _, _) = full_card(Profile::Des3);
    select(&mut card, &SOCIAL_SECURITY_AID);
    let verify = |pin: &[u8]| apdu([0x00, 0x20, 0x00, 0x00], pin, None);
    assert_eq!(
        send(&mut card, &[0x00, 0xB0, 0x85, 0x00, 0x10]).1,
        StatusWord::SECURITY_NOT_SATISFIED
    );
    assert_eq!(
        send(&mut card, &verify(&[0x11, 0x11, 0x11])).1,
        StatusWord::wrong_pin(2)
    );
    assert_eq!(
        send(&mut card, &[0x00, 0x20, 0x00, 0x00]).1,
        StatusWord::wrong_pin(2),
        "VERIFY without data tells tries"
    );
    assert_eq!(
        send(&mut card, &verify(&[0x12, 0x34, 0x56])).1,
        StatusWord::OK
    );
    assert_eq!(
        send(&mut card, &[0x00, 0x20, 0x00, 0x00]).1,
        StatusWord::wrong_pin(3),
        "a right PIN resets the counter"
    );
    assert_eq!(
        send(&mut card, &[0x00, 0xB0, 0x85, 0x00, 0x10]).0,
        vec![0; 16]
    );
    let change = apdu(
        [0x80, 0x5E, 0x01, 0x00],
        &[0x12, 0x34, 0x56, 0xFF, 0x65, 0x43, 0x21],
        None,
    );
    assert_eq!(send(&mut card, &change).1, StatusWord::OK);
    assert_eq!(
        send(&mut card, &verify(&[0x12, 0x34, 0x56])).1,
        StatusWord::wrong_pin(2)
    );
    assert_eq!(
        send(&mut card, &verify(&[0x12, 0x34, 0x56])).1,
        StatusWord::wrong_pin(1)
    );
    assert_eq!(
        send(&mut card, &verify(&[0x12, 0x34, 0x56])).1,
        StatusWord::PIN_BLOCKED
    );
    assert_eq!(
        send(&mut card, &verify(&[0x65, 0x43, 0x21])).1,
        StatusWord::PIN_BLOCKED,
        "even the right PIN"
    );
}

#[test]
fn access_control_is_challenge_response_both_ways() {
    for profile in [Profile::Sm4, Profile::Des3] {
        let (mut card, issuer, _) = full_card(profile);
        select(&mut card, &ACCESS_CONTROL_AID);
        let challenge = [1, 2, 3, 4, 5, 6, 7, 8];
        let (answer, sw) = send(
            &mut card,
            &apdu([0x00, 0x88, 0x00, 0x00], &challenge, Some(16)),
        );
        assert_eq!(sw, StatusWord::OK);
        assert_eq!(
            answer,
            profile
                .expand(&internal_key(&issuer, &ASN), &challenge)
                .as_bytes()
        );
        // The access log takes a record only after EXTERNAL AUTHENTICATE.
        let append = apdu([0x00, 0xE2, 0x00, 0x19 << 3], b"GATE-7 IN", None);
        assert_eq!(
            send(&mut card, &append).1,
            StatusWord::SECURITY_NOT_SATISFIED
        );
        // The card's own answer reflected back is refused: the keys differ.
        let (card_challenge, _) = send(&mut card, &[0x00, 0x84, 0x00, 0x00, 0x08]);
        let (reflected, _) = send(
            &mut card,
            &apdu([0x00, 0x88, 0x00, 0x00], &card_challenge, Some(16)),
        );
        assert_eq!(
            send(&mut card, &apdu([0x00, 0x82, 0x00, 0x00], &reflected, None)).1,
            jinka_card::AUTHENTICATION_FAILED
        );
        let (card_challenge, _) = send(&mut card, &[0x00, 0x84, 0x00, 0x00, 0x08]);
        let cryptogram = profile.expand(
            &external_key(&issuer, &ASN),
            &card_challenge.try_into().unwrap(),
        );
        assert_eq!(
            send(
                &mut card,
                &apdu([0x00, 0x82, 0x00, 0x00], cryptogram.as_bytes(), None)
            )
            .1,
            StatusWord::OK
        );
        assert_eq!(send(&mut card, &append).1, StatusWord::OK);
        assert_eq!(
            send(&mut card, &[0x00, 0xB2, 0x01, 0xCC, 0x00]).0,
            b"GATE-7 IN"
        );
    }
}

#[test]
fn applications_are_added_and_deleted_after_issuance_only_by_the_card_manager() {
    let issuer = keys(Profile::Sm4, 1);
    let nvm = jinka_card::issue(&issuer, &issuance(), &[(Template::EPurse, &issuer)]).unwrap();
    let mut card = jinka_card::Card::new(nvm, jinka_card::SeededEntropy::new(4));
    let counter = card.nvm().state.management_counter;
    // A department's application, scripted with the issuer's card manager key.
    let department = keys(Profile::Sm4, 3);
    let mut manager = CardManager::new(Profile::Sm4, &issuer.card_manager, &ASN, counter);
    let script = Template::SocialSecurity.script(&mut manager, &department, &issuance());
    // Keys and the PIN never travel in clear.
    let put_key = &script[1];
    let maintenance = jinka_crypto::diversify(Profile::Sm4, &department.maintenance, &ASN);
    assert!(!put_key.windows(16).any(|w| w == maintenance.as_bytes()));
    // The same script under another card manager key is refused.
    let mut impostor = CardManager::new(Profile::Sm4, &department.card_manager, &ASN, counter);
    let forged = Template::SocialSecurity.script(&mut impostor, &department, &issuance());
    assert_eq!(send(&mut card, &forged[0]).1, StatusWord::MAC_INVALID);
    // A tampered command is refused.
    let mut tampered = script[0].clone();
    tampered[7] ^= 1;
    assert_eq!(send(&mut card, &tampered).1, StatusWord::MAC_INVALID);
    for command in &script {
        assert_eq!(send(&mut card, command).1, StatusWord::OK);
    }
    // Replaying any command of the script is refused.
    assert_eq!(
        send(&mut card, &script[0]).1,
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
    assert_eq!(select(&mut card, &SOCIAL_SECURITY_AID), StatusWord::OK);
    assert_eq!(
        send(
            &mut card,
            &apdu([0x00, 0x20, 0x00, 0x00], &[0x12, 0x34, 0x56], None)
        )
        .1,
        StatusWord::OK
    );
    // Creating an application twice, and deleting it.
    let spec = ApplicationSpec {
        aid: jinka_card::Aid::new(&SOCIAL_SECURITY_AID).unwrap(),
        label: "X".into(),
        kind: AppKind::Custom,
    };
    assert_eq!(
        send(&mut card, &manager.create_application(&spec)).1,
        StatusWord::ALREADY_EXISTS
    );
    assert_eq!(
        send(&mut card, &manager.delete_application(&spec.aid)).1,
        StatusWord::OK
    );
    assert_eq!(
        select(&mut card, &SOCIAL_SECURITY_AID),
        StatusWord::FILE_NOT_FOUND
    );
    assert_eq!(
        send(&mut card, &manager.delete_application(&spec.aid)).1,
        StatusWord::FILE_NOT_FOUND
    );
    assert_eq!(card.nvm().state.applications.len(), 1);
}

#[test]
fn social_security_records_are_pin_to_read_and_mac_to_write() {
    let (mut card, _, department) = full_card(Profile::Des3);
    select(&mut card, &SOCIAL_SECURITY_AID);
    let plain = apdu([0x00, 0xE2, 0x00, 0x07 << 3], b"VISIT", None);
    assert_eq!(
        send(&mut card, &plain).1,
        StatusWord::SECURITY_NOT_SATISFIED
    );
    let update = with_sm_mac(
        &mut card,
        Profile::Des3,
        &maintenance_key(&department),
        [0x04, 0xD6, 0x85, 0x00],
        b"ZHANG SAN",
    );
    assert_eq!(send(&mut card, &update).1, StatusWord::OK);
    send(
        &mut card,
        &apdu([0x00, 0x20, 0x00, 0x00], &[0x12, 0x34, 0x56], None),
    );
    assert_eq!(
        &send(&mut card, &[0x00, 0xB0, 0x85, 0x00, 0x09]).0,
        b"ZHANG SAN"
    );
    // Writing past the file's end is refused.
    let long = with_sm_mac(
        &mut card,
        Profile::Des3,
        &maintenance_key(&department),
        [0x04, 0xD6, 0x85, 60],
        b"12345",
    );
    assert_eq!(send(&mut card, &long).1, StatusWord::WRONG_LENGTH);
}
