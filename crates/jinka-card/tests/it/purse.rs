//! Purchase, load, compound purchase, prove, block: the e-purse through its APDUs.

use jinka_apdu::StatusWord;
use jinka_card::{AppKind, E_PURSE_AID, LogRecord, Purse};
use jinka_crypto::Profile;

use crate::support::*;

const PROFILES: [Profile; 2] = [Profile::Sm4, Profile::Des3];

#[test]
fn load_then_purchase_moves_the_balance_and_logs_both() {
    for profile in PROFILES {
        let (mut card, issuer, _) = full_card(profile);
        assert_eq!(select(&mut card, &E_PURSE_AID), StatusWord::OK);
        assert_eq!(balance(&mut card), 0);
        load(&mut card, &issuer, 10_000).unwrap();
        assert_eq!(balance(&mut card), 10_000);
        let receipt = purchase(&mut card, &issuer, 250, 7).unwrap();
        assert_eq!(receipt.atc, 0);
        assert_eq!(balance(&mut card), 9_750);
        let (newest, sw) = send(&mut card, &[0x00, 0xB2, 0x01, 0xC4, 0x17]);
        assert_eq!(sw, StatusWord::OK);
        let record = LogRecord::from_bytes(&newest).unwrap();
        assert_eq!(
            (
                record.atc,
                record.amount_fen,
                record.kind,
                record.terminal_id
            ),
            (0, 250, 0x06, TERMINAL)
        );
        assert_eq!((record.date, record.time), (DATE, TIME));
        let (older, _) = send(&mut card, &[0x00, 0xB2, 0x02, 0xC4, 0x17]);
        let record = LogRecord::from_bytes(&older).unwrap();
        assert_eq!((record.amount_fen, record.kind), (10_000, 0x02));
        assert_eq!(
            send(&mut card, &[0x00, 0xB2, 0x03, 0xC4, 0x17]).1,
            StatusWord::RECORD_NOT_FOUND
        );
    }
}

#[test]
fn the_log_keeps_the_newest_ten() {
    let (mut card, issuer, _) = full_card(Profile::Sm4);
    select(&mut card, &E_PURSE_AID);
    load(&mut card, &issuer, 100_000).unwrap();
    for amount in 1..=12 {
        purchase(&mut card, &issuer, amount, amount).unwrap();
    }
    for number in 1..=10u8 {
        let (bytes, sw) = send(&mut card, &[0x00, 0xB2, number, 0xC4, 0x17]);
        assert_eq!(sw, StatusWord::OK);
        assert_eq!(
            LogRecord::from_bytes(&bytes).unwrap().amount_fen,
            13 - u32::from(number)
        );
    }
    assert_eq!(
        send(&mut card, &[0x00, 0xB2, 11, 0xC4, 0x17]).1,
        StatusWord::RECORD_NOT_FOUND
    );
    assert_eq!(
        send(&mut card, &[0x00, 0xB2, 1, 0xC4, 0x10]).1,
        StatusWord(0x6C17),
        "a short Le is told the length"
    );
}

#[test]
fn refusals_change_nothing() {
    for profile in PROFILES {
        let (mut card, issuer, _) = full_card(profile);
        select(&mut card, &E_PURSE_AID);
        load(&mut card, &issuer, 500).unwrap();
        let before = card.nvm().clone();
        assert_eq!(
            purchase(&mut card, &issuer, 501, 1),
            Err(StatusWord::INSUFFICIENT_BALANCE)
        );
        // A wrong MAC1 is refused and needs a new INITIALIZE.
        let (atc, random) = initialize_purchase(&mut card, 0x01, 100).unwrap();
        let mut bad = mac1(&issuer, random, atc, [0, 0, 0, 1], 100, 0x06);
        bad[0] ^= 1;
        assert_eq!(
            send(&mut card, &debit_apdu([0, 0, 0, 1], bad)).1,
            StatusWord::MAC_INVALID
        );
        let good = mac1(&issuer, random, atc, [0, 0, 0, 1], 100, 0x06);
        assert_eq!(
            send(&mut card, &debit_apdu([0, 0, 0, 1], good)).1,
            StatusWord::CONDITIONS_NOT_SATISFIED
        );
        // A MAC1 from another issuer's keys.
        let other = keys(profile, 77);
        assert_eq!(
            purchase(&mut card, &other, 100, 1),
            Err(StatusWord::MAC_INVALID)
        );
        // Unknown key index.
        let (_, sw) = send(
            &mut card,
            &apdu(
                [0x80, 0x50, 0x01, 0x02],
                &[0x09, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6],
                Some(0x0F),
            ),
        );
        assert_eq!(sw, StatusWord::KEY_INDEX_NOT_SUPPORTED);
        // Loads that would pass balance_fen_max.
        let mut data = vec![0x01];
        data.extend_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
        data.extend_from_slice(&TERMINAL);
        assert_eq!(
            send(
                &mut card,
                &apdu([0x80, 0x50, 0x00, 0x02], &data, Some(0x10))
            )
            .1,
            jinka_card::BALANCE_LIMIT_EXCEEDED
        );
        assert_eq!(card.nvm().state, before.state);
        assert_eq!(balance(&mut card), 500);
    }
}

#[test]
fn transaction_prove_recovers_the_last_purchase_only() {
    let (mut card, issuer, _) = full_card(Profile::Sm4);
    select(&mut card, &E_PURSE_AID);
    load(&mut card, &issuer, 1_000).unwrap();
    let receipt = purchase(&mut card, &issuer, 300, 9).unwrap();
    let prove = |card: &mut _, kind: u8, atc: u16| {
        send(
            card,
            &apdu([0x80, 0x5A, 0x00, kind], &atc.to_be_bytes(), Some(8)),
        )
    };
    let (answer, sw) = prove(&mut card, 0x06, receipt.atc);
    assert_eq!(sw, StatusWord::OK);
    assert_eq!(
        answer,
        [receipt.mac2, receipt.tac].concat(),
        "MAC2 then TAC"
    );
    assert_eq!(
        prove(&mut card, 0x06, receipt.atc + 1).1,
        StatusWord::PROVE_NOT_AVAILABLE
    );
    assert_eq!(
        prove(&mut card, 0x09, receipt.atc).1,
        StatusWord::PROVE_NOT_AVAILABLE
    );
    assert_eq!(
        prove(&mut card, 0x02, 0).1,
        StatusWord::PROVE_NOT_AVAILABLE,
        "the load is no longer the last"
    );
}

#[test]
fn compound_purchase_commits_the_transit_record_with_the_debit() {
    let (mut card, issuer, _) = full_card(Profile::Sm4);
    select(&mut card, &E_PURSE_AID);
    load(&mut card, &issuer, 1_000).unwrap();
    // Entry: zero-amount compound purchase writing the entry record.
    let entry = [0x01, 0x08, 0x00, 0x00, 0x12, 0x20, 0x26, 0x11, 0x27, 0x08];
    let (atc, random) = initialize_purchase(&mut card, 0x03, 0).unwrap();
    assert_eq!(
        send(
            &mut card,
            &apdu([0x80, 0xDC, 0x01, 0x17 << 3], &entry, None)
        )
        .1,
        StatusWord::OK
    );
    // Nothing is written before the DEBIT.
    assert_eq!(
        send(&mut card, &[0x00, 0xB2, 0x01, 0xBC, 0x00]).1,
        StatusWord::RECORD_NOT_FOUND
    );
    let serial = [0, 0, 0, 2];
    let (_, sw) = send(
        &mut card,
        &debit_apdu(serial, mac1(&issuer, random, atc, serial, 0, 0x09)),
    );
    assert_eq!(sw, StatusWord::OK);
    let (record, sw) = send(&mut card, &[0x00, 0xB2, 0x01, 0xBC, 0x00]);
    assert_eq!((record.as_slice(), sw), (&entry[..], StatusWord::OK));
    let (log, _) = send(&mut card, &[0x00, 0xB2, 0x01, 0xC4, 0x17]);
    assert_eq!(LogRecord::from_bytes(&log).unwrap().kind, 0x09);
    // A record staged but whose DEBIT fails is not written.
    let exit = [0x01, 0x08, 0x01, 0x00, 0x12, 0x20, 0x26, 0x11, 0x27, 0x09];
    let (atc, random) = initialize_purchase(&mut card, 0x03, 200).unwrap();
    assert_eq!(
        send(&mut card, &apdu([0x80, 0xDC, 0x01, 0x17 << 3], &exit, None)).1,
        StatusWord::OK
    );
    let mut bad = mac1(&issuer, random, atc, serial, 200, 0x09);
    bad[3] ^= 0xFF;
    assert_eq!(
        send(&mut card, &debit_apdu(serial, bad)).1,
        StatusWord::MAC_INVALID
    );
    assert_eq!(send(&mut card, &[0x00, 0xB2, 0x01, 0xBC, 0x00]).0, entry);
    // UPDATE CAPP DATA CACHE outside a compound purchase, or with a bad length byte.
    assert_eq!(
        send(&mut card, &apdu([0x80, 0xDC, 0x01, 0x17 << 3], &exit, None)).1,
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
    initialize_purchase(&mut card, 0x03, 0).unwrap();
    assert_eq!(
        send(
            &mut card,
            &apdu([0x80, 0xDC, 0x01, 0x17 << 3], &[1, 9, 0], None)
        )
        .1,
        StatusWord::WRONG_DATA
    );
    assert_eq!(
        send(
            &mut card,
            &apdu([0x80, 0xDC, 0x03, 0x17 << 3], &entry, None)
        )
        .1,
        StatusWord::RECORD_NOT_FOUND
    );
}

#[test]
fn a_blocked_purse_refuses_purchase_and_load_until_unblocked() {
    for profile in PROFILES {
        let (mut card, issuer, _) = full_card(profile);
        select(&mut card, &E_PURSE_AID);
        load(&mut card, &issuer, 1_000).unwrap();
        let key = maintenance_key(&issuer);
        // Without a correct MAC the block is refused.
        let wrong = with_sm_mac(
            &mut card,
            profile,
            &keys(profile, 99).maintenance,
            [0x84, 0x1E, 0x00, 0x00],
            &[],
        );
        assert_eq!(send(&mut card, &wrong).1, StatusWord::MAC_INVALID);
        let block = with_sm_mac(&mut card, profile, &key, [0x84, 0x1E, 0x00, 0x00], &[]);
        assert_eq!(send(&mut card, &block).1, StatusWord::OK);
        assert_eq!(
            send(&mut card, &block).1,
            StatusWord::CONDITIONS_NOT_SATISFIED,
            "the challenge is used up"
        );
        assert_eq!(
            purchase(&mut card, &issuer, 1, 1),
            Err(StatusWord::CONDITIONS_NOT_SATISFIED)
        );
        assert_eq!(
            load(&mut card, &issuer, 1),
            Err(StatusWord::CONDITIONS_NOT_SATISFIED)
        );
        assert_eq!(
            select(&mut card, &E_PURSE_AID),
            StatusWord::SELECTED_FILE_INVALIDATED
        );
        assert_eq!(balance(&mut card), 1_000);
        let unblock = with_sm_mac(&mut card, profile, &key, [0x84, 0x18, 0x00, 0x00], &[]);
        assert_eq!(send(&mut card, &unblock).1, StatusWord::OK);
        purchase(&mut card, &issuer, 1, 1).unwrap();
        // Permanent block.
        let terminate = with_sm_mac(&mut card, profile, &key, [0x84, 0x1E, 0x00, 0x01], &[]);
        assert_eq!(send(&mut card, &terminate).1, StatusWord::OK);
        assert_eq!(
            select(&mut card, &E_PURSE_AID),
            StatusWord::APPLICATION_LOCKED
        );
    }
}

#[test]
fn counters_stop_at_their_maximum() {
    let (card, issuer, _) = full_card(Profile::Sm4);
    let mut nvm = card.into_nvm();
    let purse = nvm
        .state
        .applications
        .iter_mut()
        .find(|a| a.kind == AppKind::EPurse)
        .unwrap();
    purse.purse = Some(Purse {
        balance_fen: 1000,
        offline_atc: u16::MAX - 1,
        online_atc: u16::MAX,
        ..Purse::new()
    });
    let mut card = jinka_card::Card::new(nvm, jinka_card::SeededEntropy::new(3));
    select(&mut card, &E_PURSE_AID);
    purchase(&mut card, &issuer, 1, 1).unwrap();
    assert_eq!(
        purchase(&mut card, &issuer, 1, 2),
        Err(StatusWord::COUNTER_EXHAUSTED)
    );
    assert_eq!(
        load(&mut card, &issuer, 1),
        Err(StatusWord::COUNTER_EXHAUSTED)
    );
    assert_eq!(balance(&mut card), 999);
}

#[test]
fn a_card_out_of_the_field_forgets_its_session_and_keeps_its_purse() {
    let (mut card, issuer, _) = full_card(Profile::Sm4);
    select(&mut card, &E_PURSE_AID);
    load(&mut card, &issuer, 10_000).unwrap();
    let (atc, random) = initialize_purchase(&mut card, 0x01, 300).unwrap();
    card.power_off();
    // The purchase begun before is gone with the session: its DEBIT is refused, nothing moves.
    let serial = 9u32.to_be_bytes();
    let (_, sw) = send(
        &mut card,
        &debit_apdu(serial, mac1(&issuer, random, atc, serial, 300, 0x06)),
    );
    assert_ne!(sw, StatusWord::OK);
    // Nothing is selected any more; the purse and its counter are as the load left them.
    assert_ne!(
        send(&mut card, &[0x00, 0xB2, 0x01, 0xC4, 0x17]).1,
        StatusWord::OK
    );
    card.power_on();
    assert_eq!(select(&mut card, &E_PURSE_AID), StatusWord::OK);
    assert_eq!(balance(&mut card), 10_000);
    assert_eq!(purchase(&mut card, &issuer, 300, 10).unwrap().atc, 0);
    assert_eq!(balance(&mut card), 9_700);
}
