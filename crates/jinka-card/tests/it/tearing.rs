//! Tear at every fault point of every state-changing command: the card, reloaded from its
//! image, shows the state before or after the command, never a mix.

use jinka_apdu::StatusWord;
use jinka_card::{
    Card, CardManager, E_PURSE_AID, KeyUsage, SOCIAL_SECURITY_AID, SeededEntropy, Template, image,
};
use jinka_crypto::Profile;

use crate::support::*;

type Prepare =
    fn(&mut Card<SeededEntropy>, &jinka_card::IssuerKeys, &jinka_card::IssuerKeys) -> Vec<u8>;

struct Outcomes {
    before: usize,
    after: usize,
    points: usize,
}

/// Runs `prepare` on a fresh card, then its command with a tear armed at each fault point in
/// turn, until the command completes untorn.
fn tear_everywhere(
    profile: Profile,
    prepare: Prepare,
    check: impl Fn(&mut Card<SeededEntropy>, bool),
) -> Outcomes {
    let fresh = || {
        let (mut card, issuer, department) = full_card(profile);
        let command = prepare(&mut card, &issuer, &department);
        (card, command)
    };
    let (mut card, command) = fresh();
    let before = card.nvm().state.clone();
    let mut untorn = Vec::new();
    card.transmit(&command, &mut untorn).unwrap();
    assert_eq!(
        &untorn[untorn.len() - 2..],
        &[0x90, 0x00],
        "the command itself succeeds"
    );
    let after = card.nvm().state.clone();
    assert_ne!(before, after, "the command changes the card");
    let mut outcomes = Outcomes {
        before: 0,
        after: 0,
        points: 0,
    };
    for point in 0.. {
        let (mut card, command) = fresh();
        card.nvm_mut().arm_fault(point);
        let mut response = Vec::new();
        if card.transmit(&command, &mut response).is_ok() {
            assert_eq!(response, untorn, "an untorn run answers as before");
            break;
        }
        assert!(response.is_empty(), "a torn command answers nothing");
        outcomes.points += 1;
        // The card leaves the field: its memory is saved as it is, then loaded again.
        let reloaded =
            image::decode(&image::encode(card.nvm())).expect("a torn card's image loads");
        let mut card = Card::new(reloaded, SeededEntropy::new(11));
        let state = &card.nvm().state;
        if *state == before {
            outcomes.before += 1;
            check(&mut card, false);
        } else if *state == after {
            outcomes.after += 1;
            check(&mut card, true);
        } else {
            panic!("tear at point {point} left a mixed state");
        }
    }
    assert!(
        outcomes.before > 0 && outcomes.after > 0,
        "tears land both before and after the commit point"
    );
    outcomes
}

fn funded(card: &mut Card<SeededEntropy>, issuer: &jinka_card::IssuerKeys) {
    select(card, &E_PURSE_AID);
    load(card, issuer, 10_000).unwrap();
}

#[test]
fn purchase_tears_recover_with_transaction_prove() {
    for profile in [Profile::Sm4, Profile::Des3] {
        let prepare: Prepare = |card, issuer, _| {
            funded(card, issuer);
            let (atc, random) = initialize_purchase(card, 0x01, 1_234).unwrap();
            debit_apdu(
                [0, 0, 0, 5],
                mac1(issuer, random, atc, [0, 0, 0, 5], 1_234, 0x06),
            )
        };
        // The reference MAC2 and TAC of the untorn purchase.
        let (mut card, issuer, department) = full_card(profile);
        let command = prepare(&mut card, &issuer, &department);
        let (answer, _) = send(&mut card, &command);
        let expected = [&answer[4..8], &answer[..4]].concat();
        let outcomes = tear_everywhere(profile, prepare, |card, committed| {
            select(card, &E_PURSE_AID);
            let (prove, sw) = send(card, &apdu([0x80, 0x5A, 0x00, 0x06], &[0, 0], Some(8)));
            if committed {
                // The terminal that lost the answer gets MAC2 and TAC back; no second debit.
                assert_eq!((prove, sw), (expected.clone(), StatusWord::OK));
                assert_eq!(balance(card), 10_000 - 1_234);
            } else {
                assert_eq!(sw, StatusWord::PROVE_NOT_AVAILABLE);
                assert_eq!(balance(card), 10_000);
            }
        });
        // Two writes (purse, log): 2 journal + commit mark + 2 applies + clear.
        assert_eq!(outcomes.points, 6);
    }
}

#[test]
fn load_tears_are_atomic() {
    let prepare: Prepare = |card, issuer, _| {
        funded(card, issuer);
        let mut data = vec![0x01];
        data.extend_from_slice(&500u32.to_be_bytes());
        data.extend_from_slice(&TERMINAL);
        let (answer, _) = send(card, &apdu([0x80, 0x50, 0x00, 0x02], &data, Some(0x10)));
        let dlk = jinka_crypto::diversify(issuer.profile, &issuer.load, &ASN);
        let input = [
            answer[8], answer[9], answer[10], answer[11], answer[4], answer[5], 0x80, 0x00,
        ];
        let session = jinka_crypto::session_key(issuer.profile, &dlk, &input);
        let mac2 = session.mac(&[&500u32.to_be_bytes(), &[0x02], &TERMINAL, &DATE, &TIME]);
        apdu(
            [0x80, 0x52, 0x00, 0x00],
            &[&DATE[..], &TIME, &mac2].concat(),
            Some(4),
        )
    };
    tear_everywhere(Profile::Sm4, prepare, |card, committed| {
        select(card, &E_PURSE_AID);
        assert_eq!(balance(card), if committed { 10_500 } else { 10_000 });
    });
}

#[test]
fn compound_purchase_tears_keep_record_and_debit_together() {
    let prepare: Prepare = |card, issuer, _| {
        funded(card, issuer);
        let (atc, random) = initialize_purchase(card, 0x03, 300).unwrap();
        send(
            card,
            &apdu(
                [0x80, 0xDC, 0x01, 0x17 << 3],
                &[0x01, 0x04, 0x00, 0xAA, 0xBB, 0xCC],
                None,
            ),
        );
        debit_apdu(
            [0, 0, 0, 6],
            mac1(issuer, random, atc, [0, 0, 0, 6], 300, 0x09),
        )
    };
    let outcomes = tear_everywhere(Profile::Sm4, prepare, |card, committed| {
        select(card, &E_PURSE_AID);
        let record = send(card, &[0x00, 0xB2, 0x01, 0xBC, 0x00]);
        if committed {
            assert_eq!(record.0, [0x01, 0x04, 0x00, 0xAA, 0xBB, 0xCC]);
            assert_eq!(balance(card), 9_700);
        } else {
            assert_eq!(record.1, StatusWord::RECORD_NOT_FOUND);
            assert_eq!(balance(card), 10_000);
        }
    });
    assert_eq!(outcomes.points, 8);
}

#[test]
fn file_pin_and_lifecycle_tears_are_atomic() {
    let commands: [Prepare; 12] = [
        // UPDATE RECORD with secure messaging (after an append put a record there).
        |card, _, department| {
            select(card, &SOCIAL_SECURITY_AID);
            let key = maintenance_key(department);
            let append = with_sm_mac(
                card,
                department.profile,
                &key,
                [0x04, 0xE2, 0x00, 0x07 << 3],
                b"VISIT 1",
            );
            assert_eq!(send(card, &append).1, StatusWord::OK);
            with_sm_mac(
                card,
                department.profile,
                &key,
                [0x04, 0xDC, 0x01, (0x07 << 3) | 4],
                b"VISIT 1 (corrected)",
            )
        },
        // APPLICATION UNBLOCK.
        |card, issuer, _| {
            select(card, &E_PURSE_AID);
            let key = maintenance_key(issuer);
            let block = with_sm_mac(card, issuer.profile, &key, [0x84, 0x1E, 0x00, 0x00], &[]);
            assert_eq!(send(card, &block).1, StatusWord::OK);
            with_sm_mac(card, issuer.profile, &key, [0x84, 0x18, 0x00, 0x00], &[])
        },
        // VERIFY with the right PIN after a wrong one: the try counter is reset.
        |card, _, _| {
            select(card, &SOCIAL_SECURITY_AID);
            send(card, &apdu([0x00, 0x20, 0x00, 0x00], &[0, 0, 0], None));
            apdu([0x00, 0x20, 0x00, 0x00], &[0x12, 0x34, 0x56], None)
        },
        // CREATE APPLICATION, CREATE FILE and PUT PIN after issuance.
        |card, issuer, _| {
            let mut manager = CardManager::new(
                issuer.profile,
                &issuer.card_manager,
                &ASN,
                card.nvm().state.management_counter,
            );
            let aid = jinka_card::Aid::new(&[0xD1, 0x56, 0, 0, 1, 0x04, 0x01]).unwrap();
            manager.create_application(&jinka_card::ApplicationSpec {
                aid,
                label: "LIBRARY".into(),
                kind: jinka_card::AppKind::Custom,
            })
        },
        |card, issuer, _| {
            let mut manager = CardManager::new(
                issuer.profile,
                &issuer.card_manager,
                &ASN,
                card.nvm().state.management_counter,
            );
            let aid = jinka_card::Aid::new(&SOCIAL_SECURITY_AID).unwrap();
            let content = jinka_card::FileContent::Binary {
                size: 8,
                bytes: b"LIB".to_vec(),
            };
            let read = jinka_card::Access::Always;
            manager.create_file(&jinka_card::FileSpec {
                aid,
                fid: 0x1A,
                sfi: 0x1A,
                read,
                write: read,
                content,
            })
        },
        |card, issuer, _| {
            let mut manager = CardManager::new(
                issuer.profile,
                &issuer.card_manager,
                &ASN,
                card.nvm().state.management_counter,
            );
            let aid = jinka_card::Aid::new(&SOCIAL_SECURITY_AID).unwrap();
            manager.put_pin(&aid, &jinka_card::PinValue::new(&[0x88, 0x88]).unwrap(), 5)
        },
        // UPDATE BINARY with secure messaging.
        |card, _, department| {
            select(card, &SOCIAL_SECURITY_AID);
            with_sm_mac(
                card,
                department.profile,
                &maintenance_key(department),
                [0x04, 0xD6, 0x85, 0x00],
                b"LI SI",
            )
        },
        // APPEND RECORD with secure messaging.
        |card, _, department| {
            select(card, &SOCIAL_SECURITY_AID);
            with_sm_mac(
                card,
                department.profile,
                &maintenance_key(department),
                [0x04, 0xE2, 0x00, 0x07 << 3],
                b"VISIT",
            )
        },
        // CHANGE PIN.
        |card, _, _| {
            select(card, &SOCIAL_SECURITY_AID);
            apdu(
                [0x80, 0x5E, 0x01, 0x00],
                &[0x12, 0x34, 0x56, 0xFF, 0x99, 0x99],
                None,
            )
        },
        // APPLICATION BLOCK.
        |card, issuer, _| {
            select(card, &E_PURSE_AID);
            with_sm_mac(
                card,
                issuer.profile,
                &maintenance_key(issuer),
                [0x84, 0x1E, 0x00, 0x00],
                &[],
            )
        },
        // PUT KEY after issuance.
        |card, issuer, _| {
            let mut manager = CardManager::new(
                issuer.profile,
                &issuer.card_manager,
                &ASN,
                card.nvm().state.management_counter,
            );
            let aid = jinka_card::Aid::new(&E_PURSE_AID).unwrap();
            manager.put_key(&aid, KeyUsage::Purchase, 2, 2, &issuer.load)
        },
        // DELETE APPLICATION.
        |card, issuer, _| {
            let mut manager = CardManager::new(
                issuer.profile,
                &issuer.card_manager,
                &ASN,
                card.nvm().state.management_counter,
            );
            manager.delete_application(&jinka_card::Aid::new(&SOCIAL_SECURITY_AID).unwrap())
        },
    ];
    for prepare in commands {
        tear_everywhere(Profile::Des3, prepare, |_, _| ());
    }
}

#[test]
fn wrong_pin_tears_never_lose_a_try_and_a_grant_together() {
    let prepare: Prepare = |card, _, _| {
        select(card, &SOCIAL_SECURITY_AID);
        apdu([0x00, 0x20, 0x00, 0x00], &[0x00, 0x00, 0x00], None)
    };
    let (mut card, issuer, department) = full_card(Profile::Sm4);
    let command = prepare(&mut card, &issuer, &department);
    assert_eq!(send(&mut card, &command).1, StatusWord::wrong_pin(2));
    // The wrong-PIN answer is not 9000, so tear by hand at each point.
    for point in 0..4 {
        let (mut card, issuer, department) = full_card(Profile::Sm4);
        let command = prepare(&mut card, &issuer, &department);
        let before = card.nvm().state.clone();
        card.nvm_mut().arm_fault(point);
        let torn = card.transmit(&command, &mut Vec::new()).is_err();
        assert!(
            torn,
            "VERIFY commits a counter change with one write: 4 fault points"
        );
        let card = Card::new(
            image::decode(&image::encode(card.nvm())).unwrap(),
            SeededEntropy::new(1),
        );
        let tries =
            |state: &jinka_card::CardState| state.applications[1].pin.as_ref().unwrap().tries_left;
        assert!(tries(&card.nvm().state) == 3 || tries(&card.nvm().state) == 2);
        assert_eq!(tries(&before), 3);
    }
}

#[test]
fn issuing_a_template_is_a_sequence_of_atomic_commands() {
    // A tear during issuance leaves a card whose applications are each whole or absent... at
    // the granularity of commands: the script can be resumed by the next counter.
    let issuer = keys(Profile::Sm4, 1);
    let blank = jinka_card::blank_card(&issuer, ASN);
    let mut manager = CardManager::new(Profile::Sm4, &issuer.card_manager, &ASN, 0);
    let script = Template::EPurse.script(&mut manager, &issuer, &issuance());
    let mut card = Card::new(blank, SeededEntropy::new(1));
    send(&mut card, &script[0]);
    card.nvm_mut().arm_fault(2);
    assert!(card.transmit(&script[1], &mut Vec::new()).is_err());
    let mut card = Card::new(
        image::decode(&image::encode(card.nvm())).unwrap(),
        SeededEntropy::new(1),
    );
    assert!(
        card.nvm().state.applications[0].keys.is_empty(),
        "the torn PUT KEY did not land"
    );
    for command in &script[1..] {
        assert_eq!(send(&mut card, command).1, StatusWord::OK);
    }
    select(&mut card, &E_PURSE_AID);
    load(&mut card, &issuer, 100).unwrap();
}
