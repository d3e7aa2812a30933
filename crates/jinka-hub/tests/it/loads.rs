//! Online loads over HTTP: a real card's INITIALIZE FOR LOAD answer goes to the hub through
//! the terminal's `LoadAuthorizer`, MAC2 comes back, the card credits, its TAC confirms.

use jinka_hub::{Clock, EpochMs, LOAD_CONFIRMATION_DEADLINE_MS, SystemClock};
use serde_json::{Value, json};

use crate::engine::{Db, with_admin};
use crate::network::{
    METRO_TERMINAL, Network, SoftCard, SoftTerminal, TOPUP_TERMINAL, accepted, asn, card, count,
    database, decisions, load_through_hub, moment, purchases, rejected, terminal,
};

fn query_one(db: &Db, sql: &str) -> crate::engine::Value {
    db.one(sql, &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_is_authorized_by_the_cards_mac1_and_posts_on_confirmation() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let (_, card, authorizer, loaded) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(1)),
        network.authorizer(&network.topup, "topup"),
        10_000,
        moment(1, 7, 0, 0),
    )
    .await;
    let record = loaded.expect("loaded");
    let statuses: Vec<u16> = authorizer.answers.iter().map(|a| a.1).collect();
    assert_eq!(statuses, [200, 200]);
    assert_eq!(authorizer.answers[0].2["load_id"], "topup-1");
    assert_eq!(authorizer.answers[1].2, json!({ "status": "posted" }));
    let db = database(&network.hub);
    assert_eq!(
        query_one(&db, "SELECT state FROM load_authorizations").text(),
        "posted-tac"
    );
    assert_eq!(
        query_one(&db, "SELECT shadow_balance_fen FROM cards").int(),
        10_000
    );
    assert_eq!(
        query_one(&db, "SELECT load_id FROM accepted_records").text(),
        "topup-1"
    );

    // The same request again: the same answer, nothing new stored.
    let hub = &network.hub;
    let topup = Some(network.topup.key.as_str());
    let again = hub
        .post("/v1/loads/authorize", topup, &authorizer.sent[0])
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), authorizer.answers[0].2);
    assert_eq!(count(&db, "load_authorizations"), 1);
    // The same id for another request, or by another participant: refused.
    let mut other = authorizer.sent[0].clone();
    other["amount_fen"] = json!(5_000);
    let reply = hub.post("/v1/loads/authorize", topup, &other).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error_code(), "request_id_reused");
    let reply = hub
        .post(
            "/v1/loads/authorize",
            Some(&network.metro.key),
            &authorizer.sent[0],
        )
        .await;
    assert_eq!(reply.error_code(), "request_id_reused");

    // Confirming again is answered posted; another participant has no such load.
    let tac = json!({ "tac": hex::encode(record.tac()) });
    let reply = hub.post("/v1/loads/topup-1/confirm", topup, &tac).await;
    assert_eq!(reply.json(), json!({ "status": "posted" }));
    let reply = hub
        .post("/v1/loads/topup-1/confirm", Some(&network.metro.key), &tac)
        .await;
    assert_eq!(reply.status, 404);
    // The load's record in Top-up's next batch is a duplicate of the confirmation.
    let reply = network.upload(&network.topup, "L-1", &[record]).await;
    assert_eq!(decisions(&reply.json()), vec![rejected("duplicate")]);
    assert_eq!(
        query_one(&db, "SELECT shadow_balance_fen FROM cards").int(),
        10_000
    );

    // The card spends what it was loaded with.
    let mut card = card;
    let spent = purchases(
        &mut terminal(&network.keys, METRO_TERMINAL),
        &mut card,
        &[2_500],
    );
    let reply = network.upload(&network.metro, "M-1", &spent).await;
    assert_eq!(decisions(&reply.json()), vec![accepted("")]);
    assert_eq!(
        query_one(&db, "SELECT shadow_balance_fen FROM cards").int(),
        7_500
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_are_refused_by_card_status_limits_and_mac1() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let hub = &network.hub;
    let topup = Some(network.topup.key.as_str());
    let load = |authorizer, amount_fen, minute| {
        load_through_hub(
            terminal(&network.keys, TOPUP_TERMINAL),
            card(&network.keys, asn(1)),
            authorizer,
            amount_fen,
            moment(1, 7, minute, 0),
        )
    };
    // A genuine request to vary: its MAC1 is the card's.
    let (_, _, authorizer, loaded) =
        load(network.authorizer(&network.topup, "a"), 100_001, 0).await;
    assert!(loaded.is_err());
    assert_eq!(authorizer.answers[0].1, 422);
    assert_eq!(authorizer.answers[0].2["error"], "amount_over_limit");
    let genuine = authorizer.sent[0].clone();
    let vary = |id: &str, field: &str, value: Value| {
        let mut body = genuine.clone();
        body["request_id"] = json!(id);
        body["amount_fen"] = json!(10_000);
        body[field] = value;
        body
    };
    for (body, status, code) in [
        (vary("b", "mac1", json!("00000000")), 422, "mac1_invalid"),
        (
            vary("c", "balance_fen", json!(95_000)),
            422,
            "balance_over_limit",
        ),
        (vary("d", "amount_fen", json!(0)), 422, "amount_zero"),
        (
            vary("e", "terminal_id", json!(hex::encode(METRO_TERMINAL))),
            403,
            "not_your_terminal",
        ),
        (
            vary("f", "asn", json!("3104000000010009")),
            422,
            "unknown_card",
        ),
        (
            vary("g", "issuer_id", json!("3104000000000009")),
            422,
            "unknown_card",
        ),
        (vary("h", "key_version", json!(7)), 422, "unknown_key"),
        (
            vary("i", "terminal_id", json!("000000005001")),
            422,
            "unknown_terminal",
        ),
        (vary("j k", "amount_fen", json!(1)), 400, "invalid_field"),
        (vary("l", "date", json!("20261131")), 400, "invalid_field"),
        (vary("m", "mac1", json!("0000")), 400, "invalid_field"),
    ] {
        let reply = hub.post("/v1/loads/authorize", topup, &body).await;
        assert_eq!(
            (reply.status.as_u16(), reply.error_code().as_str()),
            (status, code),
            "{body}"
        );
    }
    assert_eq!(count(&database(hub), "load_authorizations"), 0);

    // A hotlisted or closed card is not loaded (hotlisting has no route yet: set it below).
    let db = database(hub);
    for status in ["hotlisted", "closed"] {
        db.execute("UPDATE cards SET status = $1", &[status.into()]);
        let (_, _, authorizer, loaded) =
            load(network.authorizer(&network.topup, status), 1_000, 1).await;
        assert!(loaded.is_err());
        assert_eq!(
            authorizer.answers[0].2["error"], "card_not_active",
            "{status}"
        );
    }
    db.execute("UPDATE cards SET status = 'active'", &[]);
    let (_, _, authorizer, loaded) = load(network.authorizer(&network.topup, "ok"), 1_000, 2).await;
    assert!(loaded.is_ok(), "{:?}", authorizer.answers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_of_one_day_stop_at_the_daily_limit() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    three_loads_then_the_daily_limit(&network, &mut metro, card(&network.keys, asn(1))).await;
}

/// Loads of 60,000 fen of `card` on day 3, each spent at `metro` before the next (so the
/// balance cap does not stop it): three are authorized, the fourth is refused by the daily
/// limit.
async fn three_loads_then_the_daily_limit(
    network: &Network,
    metro: &mut SoftTerminal,
    card: SoftCard,
) {
    let mut the_card = Some(card);
    for round in 0..4u8 {
        let (_, card, authorizer, loaded) = load_through_hub(
            terminal(&network.keys, TOPUP_TERMINAL),
            the_card.take().unwrap(),
            network.authorizer(&network.topup, &format!("day-{round}")),
            60_000,
            moment(3, 8, round, 0),
        )
        .await;
        let mut card = card;
        if round < 3 {
            loaded.unwrap();
            purchases(metro, &mut card, &[60_000]);
        } else {
            assert!(loaded.is_err());
            assert_eq!(authorizer.answers[0].2["error"], "daily_limit_exceeded");
        }
        the_card = Some(card);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voided_load_does_not_count_toward_the_daily_limit() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    // A load of the day never confirmed, voided at its deadline.
    let mut silent = network.authorizer(&network.topup, "lost");
    silent.confirms = false;
    let (_, mut card, _, lost) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(1)),
        silent,
        60_000,
        moment(3, 7, 0, 0),
    )
    .await;
    lost.unwrap();
    let later = EpochMs::new(SystemClock.now().get() + LOAD_CONFIRMATION_DEADLINE_MS + 1_000);
    let resolved = with_admin(&network.hub.config, move |admin| {
        admin.resolve_unconfirmed_loads(later).unwrap()
    })
    .await;
    assert_eq!((resolved.posted, resolved.voided), (0, 1));
    purchases(&mut metro, &mut card, &[60_000]);
    // Three loads of 60,000 fit the day's limit beside it, as without it: the voided one is
    // not counted.
    three_loads_then_the_daily_limit(&network, &mut metro, card).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_load_is_posted_by_the_next_load_or_voided_at_its_deadline() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    network.register_card(asn(2)).await;
    let db = database(&network.hub);
    let state = |id: &str| -> String {
        db.one(
            "SELECT state FROM load_authorizations WHERE request_id = $1",
            &[id.into()],
        )
        .text()
    };
    let shadow = |n: u8| -> i64 {
        db.one(
            "SELECT shadow_balance_fen FROM cards WHERE asn = $1",
            &[asn(n).as_slice().into()],
        )
        .int()
    };

    // Card 1: a first load whose confirmation is lost, then a second confirmed: the card's
    // online counter moved past the first, so the counter chain posts it.
    let mut silent = network.authorizer(&network.topup, "one");
    silent.confirms = false;
    let (_, card1, _, first) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(1)),
        silent,
        10_000,
        moment(1, 7, 0, 0),
    )
    .await;
    let first = first.unwrap();
    assert_eq!(state("one-1"), "pending");
    let (_, _, _, second) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card1,
        network.authorizer(&network.topup, "two"),
        5_000,
        moment(1, 7, 1, 0),
    )
    .await;
    second.unwrap();
    assert_eq!(state("one-1"), "posted-counter-chain");
    assert_eq!(shadow(1), 15_000);
    // The first load's record comes in a batch: posted by its TAC now, counted once.
    let reply = network.upload(&network.topup, "L-1", &[first]).await;
    assert_eq!(decisions(&reply.json()), vec![accepted("")]);
    assert_eq!(state("one-1"), "posted-tac");
    assert_eq!(shadow(1), 15_000);
    let float = db
        .one(
            "SELECT credits_fen FROM ledger_accounts WHERE account = 'card-float'",
            &[],
        )
        .int();
    assert_eq!(float, 15_000, "each load cleared once");

    // Card 2: a load never confirmed, and nothing after it: voided at its deadline.
    let mut silent = network.authorizer(&network.topup, "three");
    silent.confirms = false;
    let (_, _, _, lost) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(2)),
        silent,
        2_000,
        moment(1, 8, 0, 0),
    )
    .await;
    let lost = lost.unwrap();
    let resolve = |now: EpochMs| {
        with_admin(&network.hub.config, move |admin| {
            admin.resolve_unconfirmed_loads(now).unwrap()
        })
    };
    let soon = resolve(SystemClock.now()).await;
    assert_eq!((soon.posted, soon.voided), (0, 0));
    let later = EpochMs::new(SystemClock.now().get() + LOAD_CONFIRMATION_DEADLINE_MS + 1_000);
    let resolved = resolve(later).await;
    assert_eq!((resolved.posted, resolved.voided), (0, 1));
    assert_eq!(state("three-1"), "voided");
    assert_eq!(shadow(2), 0);
    // Its record turns up after all: the load is reinstated.
    let reply = network.upload(&network.topup, "L-2", &[lost]).await;
    assert_eq!(decisions(&reply.json()), vec![accepted("")]);
    assert_eq!(state("three-1"), "posted-tac");
    assert_eq!(shadow(2), 2_000);
    let causes: Vec<String> = db
        .query(
            "SELECT cause || ':' || to_state FROM load_transitions ORDER BY id",
            &[],
        )
        .iter()
        .map(|row| row[0].text())
        .collect();
    assert_eq!(
        causes,
        [
            "confirmation:posted-tac",
            "confirmation:posted-counter-chain",
            "batch:posted-tac",
            "resolver:voided",
            "batch:posted-tac"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serving_hub_voids_an_unconfirmed_load_on_its_timer_at_the_deadline() {
    use std::sync::Arc;

    use jinka_hub::FixedClock;

    use crate::test_hub::TestHub;

    /// Long enough for any machine's resolver tick; the test waits on the state, not a time.
    const WAIT_TICKS_MAX: u32 = 1_000;
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let hub = TestHub::start_with(
        |config| config.resolver_interval_ms = 10,
        Some(clock.clone()),
    )
    .await;
    let network = Network::on(hub).await;
    network.register_card(asn(3)).await;
    let db = database(&network.hub);
    let state = |id: &str| -> String {
        db.one(
            "SELECT state FROM load_authorizations WHERE request_id = $1",
            &[id.into()],
        )
        .text()
    };
    let mut silent = network.authorizer(&network.topup, "timer");
    silent.confirms = false;
    let (_, _, _, record) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(3)),
        silent,
        3_000,
        moment(1, 9, 0, 0),
    )
    .await;
    assert!(record.is_ok(), "the card credited the load");
    // Many ticks pass before the deadline: the load stays pending.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(state("timer-1"), "pending");
    clock.advance(LOAD_CONFIRMATION_DEADLINE_MS + 1_000);
    let mut ticks = 0;
    while state("timer-1") == "pending" && ticks < WAIT_TICKS_MAX {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        ticks += 1;
    }
    assert_eq!(state("timer-1"), "voided", "the resolver ran on its own");
}
