//! Every flow, both profiles, both SAM forms, and the torn-transaction recovery.

use jinka_apdu::StatusWord;
use jinka_card::{Aid, SOCIAL_SECURITY_AID};
use jinka_crypto::{Profile, diversify, tac_key};
use jinka_record::TransactionKind;
use jinka_sam::{PsamCard, PsamClient};
use jinka_terminal::{LoadAuthorizer, LocalAuthorizer, MemoryJournal, Refusal, Terminal};

use crate::support::*;

fn tac_verifies(keys: &jinka_card::IssuerKeys, record: &jinka_record::TransactionRecord) -> bool {
    record.verify_tac(&tac_key(
        keys.profile,
        &diversify(keys.profile, &keys.tac, &record.asn()),
    ))
}

#[test]
fn purchases_through_both_sam_forms_and_both_profiles() {
    for profile in [Profile::Sm4, Profile::Des3] {
        let keys = issuer(profile, 1);
        let mut card = loaded(&keys, 10_000);
        let mut software = terminal(&[&keys]);
        let approved = software
            .purchase(&mut card, 1_250, moment(2, 9, 0))
            .unwrap();
        assert_eq!(approved.balance_after_fen, 8_750);
        assert_eq!(approved.record.kind(), TransactionKind::Purchase);
        assert_eq!(approved.record.terminal_serial(), Some(1));
        assert!(
            tac_verifies(&keys, &approved.record),
            "the hub can verify the stored TAC"
        );
        assert_eq!(software.journal().records, [approved.record]);
        // The same terminal code over a card-form PSAM.
        let psam = PsamClient::connect(PsamCard::new(sam(&[&keys]))).unwrap();
        let mut card_form = Terminal::new(psam, MemoryJournal::default());
        let approved = card_form.purchase(&mut card, 750, moment(2, 9, 5)).unwrap();
        assert_eq!(approved.balance_after_fen, 8_000);
        assert!(tac_verifies(&keys, &approved.record));
        assert_eq!(software.balance(&mut card).unwrap(), 8_000);
    }
}

#[test]
fn refusals_leave_card_sam_and_journal_consistent() {
    let keys = issuer(Profile::Sm4, 1);
    let other = issuer(Profile::Sm4, 2);
    let mut card = loaded(&keys, 1_000);
    // A card from an issuer the SAM does not know.
    let mut stranger = terminal(&[&other]);
    assert!(matches!(
        stranger.purchase(&mut card, 100, moment(2, 9, 0)),
        Err(Refusal::Sam(_))
    ));
    // An exhausted balance.
    let mut terminal = terminal(&[&keys]);
    match terminal.purchase(&mut card, 1_001, moment(2, 9, 0)) {
        Err(Refusal::InsufficientBalance {
            balance_fen: 1_000,
            amount_fen: 1_001,
        }) => {}
        other => panic!("{other:?}"),
    }
    // An expired card.
    let mut old = crate::support::card(&keys, [0x20, 0x26, 0x06, 0x30]);
    assert!(matches!(
        terminal.purchase(&mut old, 1, moment(2, 9, 0)),
        Err(Refusal::Expired { .. })
    ));
    // A SAM without the card's key version.
    let mut newer = keys.clone();
    newer.key_version = 2;
    let mut outdated = crate::support::terminal(&[&newer]);
    assert!(matches!(
        outdated.purchase(&mut card, 100, moment(2, 9, 0)),
        Err(Refusal::Sam(_))
    ));
    assert!(terminal.journal().records.is_empty() && terminal.journal().pending.is_empty());
    assert!(stranger.journal().pending.is_empty() && outdated.journal().pending.is_empty());
    assert_eq!(terminal.balance(&mut card).unwrap(), 1_000);
}

#[test]
fn a_blacklisted_card_is_blocked_on_the_card_and_refused() {
    let keys = issuer(Profile::Des3, 1);
    let mut card = loaded(&keys, 1_000);
    let mut terminal = terminal(&[&keys]);
    terminal
        .blacklist_mut()
        .apply_delta(0, 1, &[ASN], &[])
        .unwrap();
    match terminal.purchase(&mut card, 100, moment(2, 9, 0)) {
        Err(Refusal::Blacklisted {
            blocked_on_card: true,
        }) => {}
        other => panic!("{other:?}"),
    }
    // Even a terminal with an old blacklist now finds the card blocked.
    let mut unaware = crate::support::terminal(&[&keys]);
    assert!(matches!(
        unaware.purchase(&mut card, 100, moment(2, 9, 1)),
        Err(Refusal::Blocked)
    ));
}

#[test]
fn a_torn_purchase_is_recovered_once_at_the_next_presentation() {
    for fault_point in 0..6 {
        let keys = issuer(Profile::Sm4, 1);
        let mut card = loaded(&keys, 5_000);
        let mut terminal = terminal(&[&keys]);
        // The card leaves during DEBIT's write: at fault point `fault_point` of its commit.
        card.nvm_mut().arm_fault(fault_point);
        assert!(matches!(
            terminal.purchase(&mut card, 1_000, moment(2, 9, 0)),
            Err(Refusal::Torn)
        ));
        assert_eq!(terminal.journal().pending.len(), 1);
        // The card comes back (powered up again) for the next purchase.
        card.power_on();
        let approved = terminal.purchase(&mut card, 200, moment(2, 9, 1)).unwrap();
        let debited_first = approved.recovered.is_some();
        let records = &terminal.journal().records;
        assert_eq!(
            records.len(),
            if debited_first { 2 } else { 1 },
            "point {fault_point}"
        );
        if let Some(recovered) = approved.recovered {
            assert_eq!(recovered.amount_fen(), 1_000);
            assert!(tac_verifies(&keys, &recovered));
        }
        let expected = 5_000 - 200 - if debited_first { 1_000 } else { 0 };
        assert_eq!(
            terminal.balance(&mut card).unwrap(),
            expected,
            "never debited twice, point {fault_point}"
        );
        assert!(terminal.journal().pending.is_empty());
        // Tears before the commit mark leave the card untouched; after it, debited.
        assert_eq!(debited_first, fault_point >= 3, "point {fault_point}");
    }
}

#[test]
fn a_torn_load_is_recovered_too() {
    let keys = issuer(Profile::Des3, 1);
    let mut card = crate::support::card(&keys, [0x20, 0x36, 0x12, 0x31]);
    let mut terminal = terminal(&[&keys]);
    let mut authorizer = LocalAuthorizer::new(vec![keys.clone()]);
    card.nvm_mut().arm_fault(4);
    assert!(matches!(
        terminal.load(&mut card, &mut authorizer, 3_000, moment(2, 8, 0)),
        Err(Refusal::Torn)
    ));
    card.power_on();
    let approved = terminal
        .load(&mut card, &mut authorizer, 1_000, moment(2, 8, 1))
        .unwrap();
    let recovered = approved.recovered.expect("the torn load committed");
    assert_eq!(
        (recovered.kind(), recovered.amount_fen()),
        (TransactionKind::Load, 3_000)
    );
    assert!(tac_verifies(&keys, &recovered));
    assert_eq!(terminal.balance(&mut card).unwrap(), 4_000);
}

#[test]
fn loads_need_the_issuer_side() {
    let keys = issuer(Profile::Sm4, 1);
    let mut card = crate::support::card(&keys, [0x20, 0x36, 0x12, 0x31]);
    let mut terminal = terminal(&[&keys]);
    let mut wrong = LocalAuthorizer::new(vec![{
        let mut impostor = issuer(Profile::Sm4, 9);
        impostor.issuer_id = keys.issuer_id;
        impostor
    }]);
    assert!(matches!(
        terminal.load(&mut card, &mut wrong, 500, moment(2, 8, 0)),
        Err(Refusal::Authorization(_))
    ));
    assert_eq!(terminal.balance(&mut card).unwrap(), 0);
    let approved = terminal
        .load(
            &mut card,
            &mut LocalAuthorizer::new(vec![keys.clone()]),
            500,
            moment(2, 8, 1),
        )
        .unwrap();
    assert_eq!(
        (
            approved.balance_after_fen,
            approved.record.terminal_serial()
        ),
        (500, None)
    );
    assert!(tac_verifies(&keys, &approved.record));
}

#[test]
fn a_load_in_two_halves_is_the_same_load_and_another_card_can_go_between() {
    let keys = issuer(Profile::Sm4, 1);
    let mut authorizer = LocalAuthorizer::new(vec![keys.clone()]);
    // One at a time.
    let mut whole_card = crate::support::card(&keys, [0x20, 0x36, 0x12, 0x31]);
    let whole = terminal(&[&keys])
        .load(&mut whole_card, &mut authorizer, 2_000, moment(2, 8, 0))
        .unwrap();
    // In two halves, with another terminal's load started and finished in between, and the
    // MAC2 asked for after both requests were made (as a hub answers a group).
    let mut card = crate::support::card(&keys, [0x20, 0x36, 0x12, 0x31]);
    let mut other_card = loaded(&keys, 300);
    let (mut first, mut second) = (terminal(&[&keys]), terminal(&[&keys]));
    let started = first.start_load(&mut card, 2_000, moment(2, 8, 0)).unwrap();
    let other = second
        .start_load(&mut other_card, 700, moment(2, 8, 0))
        .unwrap();
    let mac2 = authorizer.authorize(&started.request).unwrap();
    let other_mac2 = authorizer.authorize(&other.request).unwrap();
    let other_done = second
        .finish_load(&mut other_card, &other, other_mac2)
        .unwrap();
    let halves = first.finish_load(&mut card, &started, mac2).unwrap();
    assert_eq!(halves.record, whole.record, "the same record, TAC included");
    assert_eq!(halves.balance_after_fen, 2_000);
    assert_eq!(first.journal().records, [halves.record]);
    assert!(first.journal().pending.is_empty());
    assert_eq!(other_done.balance_after_fen, 1_000);
    assert!(tac_verifies(&keys, &other_done.record));
    // A wrong MAC2 credits nothing.
    let started = first.start_load(&mut card, 500, moment(2, 9, 0)).unwrap();
    assert!(first.finish_load(&mut card, &started, [0; 4]).is_err());
    assert_eq!(first.balance(&mut card).unwrap(), 2_000);
}

#[test]
fn a_metro_ride_charges_the_fare_on_exit_with_the_exit_record() {
    let keys = issuer(Profile::Sm4, 1);
    let mut card = loaded(&keys, 2_000);
    let mut gate = terminal(&[&keys]);
    let table = metro();
    let entry = gate.enter(&mut card, &table, 0, moment(3, 8, 0)).unwrap();
    assert_eq!(
        (entry.record.amount_fen(), entry.record.kind()),
        (0, TransactionKind::CappPurchase)
    );
    let exit = gate.exit(&mut card, &table, 2, moment(3, 8, 30)).unwrap();
    assert_eq!(
        exit.record.amount_fen(),
        400,
        "12 km: base 6 km + one started 10 km step"
    );
    // An exit without an entry pays the maximum fare.
    let lost = gate.exit(&mut card, &table, 1, moment(3, 9, 0)).unwrap();
    assert_eq!(lost.record.amount_fen(), 700);
    // An entry after a trip that never exited pays the missing-exit charge.
    gate.enter(&mut card, &table, 1, moment(3, 10, 0)).unwrap();
    let again = gate.enter(&mut card, &table, 3, moment(3, 18, 0)).unwrap();
    assert_eq!(again.record.amount_fen(), 700);
    assert_eq!(gate.balance(&mut card).unwrap(), 2_000 - 400 - 700 - 700);
    let history = gate.history(&mut card).unwrap();
    assert_eq!(history.len(), 6);
    assert_eq!(history[0].amount_fen, 700);
}

#[test]
fn one_card_serves_another_department_after_the_pin() {
    let keys = issuer(Profile::Sm4, 1);
    let mut card = loaded(&keys, 100);
    let mut terminal = terminal(&[&keys]);
    let aid = Aid::new(&SOCIAL_SECURITY_AID).unwrap();
    match terminal.read_record_with_pin(&mut card, &aid, &[0x11, 0x11, 0x11], 0x07, 1) {
        Err(Refusal::Card(jinka_terminal::ExchangeError::Refused { status, .. })) => {
            assert_eq!(status, StatusWord::wrong_pin(2))
        }
        other => panic!("{other:?}"),
    }
    match terminal.read_record_with_pin(&mut card, &aid, &[0x12, 0x34, 0x56], 0x07, 1) {
        Err(Refusal::Card(jinka_terminal::ExchangeError::Refused { status, .. })) => {
            assert_eq!(status, StatusWord::RECORD_NOT_FOUND)
        }
        other => panic!("{other:?}"),
    }
}
