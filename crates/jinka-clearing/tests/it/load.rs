//! Load authorization: MAC2, idempotency, refusals; confirmation by TAC; resolution of loads
//! whose TAC never came.

use jinka_clearing::{
    CardStatus, Evidence, LoadDecision, LoadRefusal, LoadState, PostedBy, RejectReason, Resolution,
    confirm_load, resolve_unconfirmed, resolved,
};
use jinka_crypto::Profile;

use crate::support::{ACQUIRER, CardSim, Hub, OTHER_TERMINAL, accepted, changed, rejected};

#[test]
fn an_authorized_load_is_credited_confirmed_and_posted_once() {
    for profile in [Profile::Sm4, Profile::Des3] {
        let mut hub = Hub::new();
        let mut card = CardSim::new(31, profile, 500);
        hub.issue(&card);
        let request = card.initialize_load("r-1", 2_000);
        let approval = hub.approve(&request);
        assert_eq!(hub.authorization(&request).state, LoadState::Pending);
        let record = card.credit(&request, approval.mac2);

        let confirmation =
            confirm_load(&approval.authorization, record.tac(), &hub.view, &hub.keys).unwrap();
        assert_eq!(confirmation.record, record);
        assert_eq!(confirmation.outcome.decisions, [accepted()]);
        hub.view
            .apply(&[Ok(confirmation.record)], &confirmation.outcome)
            .unwrap();
        assert_eq!(
            hub.authorization(&request).state,
            LoadState::Posted(PostedBy::Tac)
        );
        assert_eq!(hub.card(card.asn).shadow_balance_fen, 2_000);

        // The confirmation again, and the batch record of the same load: duplicates.
        let again =
            confirm_load(&approval.authorization, record.tac(), &hub.view, &hub.keys).unwrap();
        assert_eq!(again.outcome.decisions, [rejected(RejectReason::Duplicate)]);
        assert_eq!(hub.upload(&[record]), [rejected(RejectReason::Duplicate)]);
        assert_eq!(hub.card(card.asn).shadow_balance_fen, 2_000);
    }
}

#[test]
fn a_wrong_tac_does_not_confirm() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(32, Profile::Sm4, 0);
    hub.issue(&card);
    let request = card.initialize_load("r-1", 2_000);
    let approval = hub.approve(&request);
    let record = card.credit(&request, approval.mac2);
    let mut tac = record.tac();
    tac[2] ^= 4;
    let confirmation = confirm_load(&approval.authorization, tac, &hub.view, &hub.keys).unwrap();
    assert_eq!(
        confirmation.outcome.decisions,
        [rejected(RejectReason::BadTac)]
    );
    assert!(confirmation.outcome.changes.loads.is_empty());
}

#[test]
fn the_same_request_gets_the_same_answer_and_another_under_its_id_is_refused() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(33, Profile::Sm4, 0);
    hub.issue(&card);
    let request = card.initialize_load("r-1", 2_000);
    let first = hub.approve(&request);
    let LoadDecision::Approved(again) = hub.authorize(&request, 0) else {
        panic!("approved again")
    };
    assert!(again.replayed);
    assert_eq!(again.mac2, first.mac2);
    assert_eq!(again.authorization, first.authorization);
    // Even after the card changed state, or the limits would now refuse it.
    let mut entry = hub.card(card.asn).clone();
    entry.status = CardStatus::Hotlisted;
    hub.view.insert_card(entry);
    assert!(matches!(hub.authorize(&request, 1_000_000), LoadDecision::Approved(a) if a.replayed));

    let mut other = request.clone();
    other.amount_fen += 1;
    assert_eq!(
        hub.authorize(&other, 0),
        LoadDecision::Refused(LoadRefusal::RequestIdReused)
    );
}

#[test]
fn every_refusal_has_its_case() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(34, Profile::Sm4, 1_000);
    hub.issue(&card);
    let good = card.initialize_load("r-good", 2_000);
    let with = |change: &dyn Fn(&mut jinka_clearing::LoadRequest)| {
        let mut request = good.clone();
        change(&mut request);
        request
    };
    let cases = [
        (
            with(&|r| r.terminal_id = jinka_clearing::TerminalId::new([7; 6])),
            LoadRefusal::UnknownTerminal,
        ),
        (
            with(&|r| r.terminal_id = OTHER_TERMINAL),
            LoadRefusal::NotYourTerminal,
        ),
        (
            with(&|r| r.asn = jinka_clearing::Asn::new([1; 8])),
            LoadRefusal::UnknownCard,
        ),
        (
            with(&|r| r.issuer_id = jinka_clearing::IssuerId::new([1; 8])),
            LoadRefusal::UnknownCard,
        ),
        (with(&|r| r.amount_fen = 0), LoadRefusal::AmountZero),
        (
            with(&|r| r.amount_fen = 100_001),
            LoadRefusal::AmountOverLimit,
        ),
        (
            with(&|r| r.balance_before_fen = 999_000),
            LoadRefusal::BalanceOverLimit,
        ),
        (
            with(&|r| r.balance_before_fen = u32::MAX),
            LoadRefusal::BalanceOverLimit,
        ),
        (with(&|r| r.algorithm_id = 0x00), LoadRefusal::UnknownKey),
        (with(&|r| r.key_version = 9), LoadRefusal::UnknownKey),
        (with(&|r| r.mac1[3] ^= 1), LoadRefusal::Mac1Invalid),
        (
            with(&|r| r.balance_before_fen += 1),
            LoadRefusal::Mac1Invalid,
        ),
    ];
    for (request, refusal) in cases {
        assert_eq!(
            hub.authorize(&request, 0),
            LoadDecision::Refused(refusal),
            "{request:?}"
        );
    }
    assert_eq!(
        hub.authorize(&good, 298_001),
        LoadDecision::Refused(LoadRefusal::DailyLimitExceeded)
    );
    assert!(matches!(
        hub.authorize(&good, 298_000),
        LoadDecision::Approved(_)
    ));
    for status in [
        CardStatus::Hotlisted,
        CardStatus::Blocked,
        CardStatus::Replaced,
        CardStatus::Closed,
    ] {
        let mut entry = hub.card(card.asn).clone();
        entry.status = status;
        hub.view.insert_card(entry);
        assert_eq!(
            hub.authorize(&good, 0),
            LoadDecision::Refused(LoadRefusal::CardNotActive)
        );
    }
    assert_eq!(
        LoadRefusal::DailyLimitExceeded.to_string(),
        "daily_limit_exceeded"
    );
}

#[test]
fn a_card_presenting_a_used_online_atc_is_refused() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(35, Profile::Sm4, 0);
    hub.issue(&card);
    let restored = card.clone();
    let record = card.load(&mut hub, "r-1", 1_000);
    assert_eq!(hub.upload(&[record]), [accepted()]);
    // The chip restored to its state before the load asks again at the same online ATC.
    let mut restored = restored;
    restored.loads = 7;
    let request = restored.initialize_load("r-2", 1_000);
    assert_eq!(
        hub.authorize(&request, 0),
        LoadDecision::Refused(LoadRefusal::CounterReplayed)
    );
}

#[test]
fn a_retried_load_at_the_same_atc_posts_the_credited_one_and_voids_the_other() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(36, Profile::Sm4, 0);
    hub.issue(&card);
    // The first authorization's CREDIT never reached the card (torn): same online ATC again.
    let torn = card.initialize_load("r-torn", 3_000);
    hub.approve(&torn);
    let retry = card.initialize_load("r-retry", 1_000);
    let approval = hub.approve(&retry);
    assert_eq!(torn.online_atc, retry.online_atc);
    let record = card.credit(&retry, approval.mac2);
    let outcome = hub.decide(ACQUIRER, &[Ok(record)]);
    let moves: Vec<_> = outcome
        .changes
        .loads
        .iter()
        .map(|t| (t.request_id.as_str(), t.from, t.to))
        .collect();
    assert_eq!(
        moves,
        [
            (
                "r-retry",
                LoadState::Pending,
                LoadState::Posted(PostedBy::Tac)
            ),
            ("r-torn", LoadState::Pending, LoadState::Voided),
        ]
    );
    hub.view.apply(&[Ok(record)], &outcome).unwrap();
    assert_eq!(hub.card(card.asn).shadow_balance_fen, 1_000);
}

#[test]
fn the_next_load_posts_a_load_whose_record_is_missing_and_its_record_then_counts_nothing() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(37, Profile::Sm4, 0);
    hub.issue(&card);
    let first_request = card.initialize_load("r-1", 1_000);
    let first = card.credit(&first_request, hub.approve(&first_request).mac2);
    let purchase = card.purchase(400);
    let second = card.load(&mut hub, "r-2", 2_000);

    let decisions = hub.upload(&[second, purchase]);
    assert!(decisions.iter().all(|d| d.is_accepted()));
    assert_eq!(
        hub.authorization(&first_request).state,
        LoadState::Posted(PostedBy::CounterChain)
    );
    let expected = i64::from(card.balance_fen);
    assert_eq!(hub.card(card.asn).shadow_balance_fen, expected);

    assert_eq!(hub.upload(&[first]), [accepted()]);
    assert_eq!(
        hub.authorization(&first_request).state,
        LoadState::Posted(PostedBy::Tac)
    );
    assert_eq!(hub.card(card.asn).shadow_balance_fen, expected);
    assert!(hub.card(card.asn).online.gaps().is_empty());
}

#[test]
fn a_voided_load_whose_record_arrives_is_reinstated() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(38, Profile::Sm4, 0);
    hub.issue(&card);
    let request = card.initialize_load("r-1", 1_000);
    let record = card.credit(&request, hub.approve(&request).mac2);
    let authorization = hub.authorization(&request).clone();
    let void = resolved(
        &authorization,
        resolve_unconfirmed(&authorization, &Evidence::DeadlinePassed),
    )
    .expect("a change");
    assert_eq!(void.shadow_balance_delta_fen, 0);
    hub.view.apply_resolved(&void).unwrap();
    assert_eq!(hub.authorization(&request).state, LoadState::Voided);

    let outcome = hub.decide(ACQUIRER, &[Ok(record)]);
    assert_eq!(outcome.decisions, [accepted()]);
    assert_eq!(outcome.changes.loads[0].from, LoadState::Voided);
    assert_eq!(
        outcome.changes.loads[0].to,
        LoadState::Posted(PostedBy::Tac)
    );
    hub.view.apply(&[Ok(record)], &outcome).unwrap();
    assert_eq!(hub.card(card.asn).shadow_balance_fen, 1_000);
}

#[test]
fn resolution_rules() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(39, Profile::Sm4, 0);
    hub.issue(&card);
    let request = card.initialize_load("r-1", 1_000);
    let record = card.credit(&request, hub.approve(&request).mac2);
    let pending = hub.authorization(&request).clone();
    card.purchase(300);
    let next = card.load(&mut hub, "r-2", 500);
    let other_load = changed(&record, |f| f.amount_fen = 999);

    let resolve = |evidence| resolve_unconfirmed(&pending, &evidence);
    assert_eq!(
        resolve(Evidence::RecordAtAtc(&record)),
        Resolution::Post(PostedBy::Tac)
    );
    assert_eq!(
        resolve(Evidence::RecordAtAtc(&other_load)),
        Resolution::Void
    );
    assert_eq!(
        resolve(Evidence::RecordAtAtc(&next)),
        Resolution::Unresolved
    );
    let next_load = |rivals| Evidence::NextLoad {
        record: &next,
        rival_authorizations: rivals,
    };
    assert_eq!(
        resolve(next_load(0)),
        Resolution::Post(PostedBy::CounterChain)
    );
    assert_eq!(resolve(next_load(1)), Resolution::Unresolved);
    assert_eq!(
        resolve(Evidence::NextLoad {
            record: &record,
            rival_authorizations: 0
        }),
        Resolution::Unresolved
    );
    // A next load with more money than this one left cannot follow it.
    let richer = changed(&next, |f| f.balance_before_fen = 1_001);
    assert_eq!(
        resolve(Evidence::NextLoad {
            record: &richer,
            rival_authorizations: 0
        }),
        Resolution::Unresolved
    );
    assert_eq!(resolve(Evidence::DeadlinePassed), Resolution::Void);

    let mut posted = pending.clone();
    posted.state = LoadState::Posted(PostedBy::Tac);
    assert_eq!(
        resolve_unconfirmed(&posted, &Evidence::DeadlinePassed),
        Resolution::Unresolved
    );
    assert_eq!(resolved(&posted, Resolution::Void), None);

    let by_chain = resolved(&pending, Resolution::Post(PostedBy::CounterChain)).unwrap();
    assert_eq!(by_chain.shadow_balance_delta_fen, 1_000);
    hub.view.apply_resolved(&by_chain).unwrap();
    assert_eq!(hub.card(card.asn).shadow_balance_fen, 1_000);
    assert!(
        hub.view.apply_resolved(&by_chain).is_err(),
        "applied on another state"
    );
}
