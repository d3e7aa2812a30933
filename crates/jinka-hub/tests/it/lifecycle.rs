//! The card's life over HTTP: lost, replaced (the balance moves once the old card's records
//! are in; later records of the old card do not create money), closed and refunded; and an
//! application added after issuance by a department, with the issuer's consent, run on the
//! card as the hub's script and then used with its PIN.

use jinka_card::{IssuerKeys, SOCIAL_SECURITY_AID, SeededEntropy};
use jinka_crypto::Profile;
use serde_json::{Value, json};

use jinka_hub::{CARD_FREEZE_PERIOD_MS, EpochMs, OperationState};

use crate::engine::{Db, with_admin};
use crate::network::{
    HubAuthorizer, METRO_TERMINAL, Network, SoftCard, SoftTerminal, TOPUP_TERMINAL, accepted, asn,
    card, count, database, decisions, load_through_hub, moment, purchases, terminal,
};
use crate::test_hub::Member;

fn shadow(db: &Db, n: u8) -> i64 {
    db.one(
        "SELECT shadow_balance_fen FROM cards WHERE asn = $1",
        &[asn(n).as_slice().into()],
    )
    .int()
}

fn status(db: &Db, n: u8) -> String {
    db.one(
        "SELECT status FROM cards WHERE asn = $1",
        &[asn(n).as_slice().into()],
    )
    .text()
}

/// The balances completed replacements of `issuer` took off their old cards that no posted
/// replacement credit has put on the new card yet.
fn pending_credits(db: &Db, issuer: &Member) -> i64 {
    db.one(
        "SELECT CAST(coalesce(sum(o.amount_fen), 0) AS BIGINT) FROM card_operations o
         WHERE o.issuer_id = $1 AND o.kind = 'replace' AND o.state = 'completed'
            AND NOT EXISTS (SELECT 1 FROM load_authorizations l WHERE l.funded_by_operation = o.id
                AND l.state IN ('posted-tac', 'posted-counter-chain'))",
        &[(issuer.id as i64).into()],
    )
    .int()
}

/// Money is conserved: every ledger account sums to zero across the ledger, and the issuer's
/// card float equals the Σ of its cards' shadow balances and of its pending replacement
/// credits.
fn assert_conserved(db: &Db, issuer: &Member) {
    let net = db
        .one(
            "SELECT CAST(coalesce(sum(credits_fen - debits_fen), 0) AS BIGINT) FROM ledger_accounts",
            &[],
        )
        .int();
    assert_eq!(net, 0, "the ledger balances");
    let float = db
        .one(
            "SELECT CAST(coalesce(sum(credits_fen - debits_fen), 0) AS BIGINT) FROM ledger_accounts
             WHERE participant_id = $1 AND account = 'card-float'",
            &[(issuer.id as i64).into()],
        )
        .int();
    let shadows = db
        .one(
            "SELECT CAST(coalesce(sum(shadow_balance_fen), 0) AS BIGINT) FROM cards
             WHERE issuer_participant_id = $1",
            &[(issuer.id as i64).into()],
        )
        .int();
    assert_eq!(
        float,
        shadows + pending_credits(db, issuer),
        "card float = Σ shadow balances + Σ pending replacement credits"
    );
}

/// Card `n`'s refund of `refund_fen` is posted: its shadow balance is 0, the issuer's
/// refunds-payable account holds the refund, and the window closes with the issuer's
/// card-closings lines (card float debited, refunds payable credited) and positions that sum
/// to zero.
async fn assert_refunded(network: &Network, db: &Db, n: u8, refund_fen: i64) {
    assert_eq!(shadow(db, n), 0);
    let payable = db
        .one(
            "SELECT CAST(credits_fen - debits_fen AS BIGINT) FROM ledger_accounts
             WHERE participant_id = $1 AND account = 'refunds-payable'",
            &[(network.issuer.id as i64).into()],
        )
        .int();
    assert_eq!(payable, refund_fen);
    let reply = network
        .hub
        .post_raw(
            "/v1/windows/close",
            Some(&network.hub.operator_key),
            Vec::new(),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = reply.json();
    let sum: i64 = report["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|position| position["position_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 0, "{report}");
    let closings: Vec<(String, i64)> = report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["origin"] == "card-closings")
        .map(|line| {
            assert_eq!(line["participant"], network.issuer.id);
            let account = line["account"].as_str().unwrap().to_owned();
            (account, line["net_fen"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(
        closings,
        [
            ("card-float".to_owned(), -refund_fen),
            ("refunds-payable".to_owned(), refund_fen)
        ]
    );
    assert_conserved(db, &network.issuer);
}

async fn post(network: &Network, path: &str, who: &Member, body: Value) -> (u16, Value) {
    let reply = network.hub.post(path, Some(&who.key), &body).await;
    (
        reply.status.as_u16(),
        serde_json::from_slice(&reply.body).unwrap_or(Value::Null),
    )
}

/// Card `n` registered and loaded with `amount_fen` through the hub (posted).
async fn loaded_card(network: &Network, n: u8, amount_fen: u32) -> SoftCard {
    network.register_card(asn(n)).await;
    let (_, card, _, loaded) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(n)),
        network.authorizer(&network.topup, &format!("load-{n}")),
        amount_fen,
        moment(1, 7, 0, 0),
    )
    .await;
    loaded.expect("loaded");
    card
}

/// Card 1 loaded with `balance_fen` and card 2 registered; the issuer asks to replace card 1
/// by card 2: the operation (`201`).
async fn replacing_card_1_by_2(network: &Network, balance_fen: u32) -> Value {
    let _old = loaded_card(network, 1, balance_fen).await;
    network.register_card(asn(2)).await;
    let (code, operation) = post(
        network,
        &format!("/v1/cards/{}/replace", hex::encode(asn(1))),
        &network.issuer,
        json!({ "new_asn": hex::encode(asn(2)) }),
    )
    .await;
    assert_eq!(code, 201, "{operation}");
    operation
}

/// The issuer completes operation `id` ("its records are in").
async fn complete(network: &Network, id: u64) {
    let (code, done) = post(
        network,
        &format!("/v1/card-operations/{id}/complete"),
        &network.issuer,
        json!({}),
    )
    .await;
    assert_eq!(code, 200, "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_moves_the_balance_once_and_late_records_create_no_money() {
    let network = Network::start().await;
    let mut old = loaded_card(&network, 1, 10_000).await;
    network.register_card(asn(2)).await;
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let spent = purchases(&mut metro, &mut old, &[1_250]);
    let answer = network.upload(&network.metro, "M-1", &spent).await;
    assert_eq!(decisions(&answer.json()), vec![accepted("")]);
    let db = database(&network.hub);
    assert_eq!(shadow(&db, 1), 8_750);
    assert_conserved(&db, &network.issuer);

    let path = format!("/v1/cards/{}/replace", hex::encode(asn(1)));
    // Only the issuer replaces its card, by a registered card of its own.
    let (code, _) = post(
        &network,
        &path,
        &network.metro,
        json!({ "new_asn": hex::encode(asn(2)) }),
    )
    .await;
    assert_eq!(code, 404);
    let (code, _) = post(
        &network,
        &path,
        &network.issuer,
        json!({ "new_asn": hex::encode(asn(9)) }),
    )
    .await;
    assert_eq!(code, 400);
    let (code, operation) = post(
        &network,
        &path,
        &network.issuer,
        json!({ "new_asn": hex::encode(asn(2)) }),
    )
    .await;
    assert_eq!(code, 201, "{operation}");
    assert_eq!(
        (&operation["kind"], &operation["state"]),
        (&json!("replace"), &json!("pending"))
    );
    assert!(
        operation["due_at_ms"].as_i64().unwrap() > operation["created_at_ms"].as_i64().unwrap()
    );
    assert_eq!(status(&db, 1), "replaced");
    let listed = db
        .one(
            "SELECT reason FROM blacklist_changes WHERE asn = $1",
            &[asn(1).as_slice().into()],
        )
        .text();
    assert_eq!(listed, "replaced");
    // The balance has not moved yet; a second request is refused while this one is pending.
    assert_eq!((shadow(&db, 1), shadow(&db, 2)), (8_750, 0));
    let (code, _) = post(
        &network,
        &path,
        &network.issuer,
        json!({ "new_asn": hex::encode(asn(2)) }),
    )
    .await;
    assert_eq!(code, 409);

    // The old card's records are in: the issuer completes; the balance leaves the old card
    // once, pending until the replacement credit puts it on the new chip.
    let id = operation["id"].as_u64().unwrap();
    let complete = format!("/v1/card-operations/{id}/complete");
    let (code, done) = post(&network, &complete, &network.issuer, json!({})).await;
    assert_eq!(code, 200, "{done}");
    assert_eq!(
        (&done["state"], &done["amount_fen"]),
        (&json!("completed"), &json!(8_750))
    );
    assert_eq!((shadow(&db, 1), shadow(&db, 2)), (0, 0));
    assert_eq!(pending_credits(&db, &network.issuer), 8_750);
    assert_conserved(&db, &network.issuer);
    let (code, _) = post(&network, &complete, &network.issuer, json!({})).await;
    assert_eq!(code, 409);

    // A record the old chip made offline arrives after the transfer: cleared (it happened),
    // debited from the old card, whose shadow balance goes negative; no money is created.
    let late = purchases(&mut metro, &mut old, &[300]);
    let answer = network.upload(&network.metro, "M-2", &late).await;
    assert_eq!(decisions(&answer.json()), vec![accepted("")]);
    assert_eq!((shadow(&db, 1), shadow(&db, 2)), (-300, 0));
    assert_conserved(&db, &network.issuer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_and_closed_cards_are_listed_and_a_closing_refunds_through_the_ledger() {
    let network = Network::start().await;
    let _card = loaded_card(&network, 1, 5_000).await;
    network.register_card(asn(3)).await;
    let db = database(&network.hub);

    let lost = format!("/v1/cards/{}/lost", hex::encode(asn(3)));
    let (code, operation) = post(&network, &lost, &network.issuer, json!({})).await;
    assert_eq!(code, 201, "{operation}");
    assert_eq!(operation["state"], "completed");
    assert_eq!(status(&db, 3), "hotlisted");
    let (code, _) = post(&network, &lost, &network.issuer, json!({})).await;
    assert_eq!(code, 409, "a hotlisted card is not reported lost twice");

    let close = format!("/v1/cards/{}/close", hex::encode(asn(1)));
    let (code, _) = post(&network, &close, &network.bus, json!({})).await;
    assert_eq!(code, 404, "another participant's card");
    let (code, operation) = post(&network, &close, &network.issuer, json!({})).await;
    assert_eq!(code, 201, "{operation}");
    assert_eq!(status(&db, 1), "closed");
    let id = operation["id"].as_u64().unwrap();
    let (code, done) = post(
        &network,
        &format!("/v1/card-operations/{id}/complete"),
        &network.issuer,
        json!({}),
    )
    .await;
    assert_eq!(code, 200, "{done}");
    assert_eq!(done["amount_fen"], 5_000);
    assert_conserved(&db, &network.issuer);
    assert_refunded(&network, &db, 1, 5_000).await;
    let reasons: Vec<String> = db
        .query("SELECT reason FROM blacklist_changes ORDER BY version", &[])
        .into_iter()
        .map(|row| row[0].text())
        .collect();
    assert_eq!(reasons, ["lost", "closed"]);

    // The lost card replaced: it is on the blacklist already, so no second listing.
    network.register_card(asn(4)).await;
    let (code, replaced) = post(
        &network,
        &format!("/v1/cards/{}/replace", hex::encode(asn(3))),
        &network.issuer,
        json!({ "new_asn": hex::encode(asn(4)) }),
    )
    .await;
    assert_eq!(code, 201, "{replaced}");
    assert_eq!(status(&db, 3), "replaced");
    assert_eq!(count(&db, "blacklist_changes"), 2);

    // Each participant lists its own operations; the operator all; one page at a time.
    let mine = network
        .hub
        .get("/v1/card-operations?limit=1", Some(&network.issuer.key))
        .await
        .json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let after = mine["next_after"].as_str().unwrap().to_owned();
    let rest = network
        .hub
        .get(
            &format!("/v1/card-operations?after={after}"),
            Some(&network.issuer.key),
        )
        .await
        .json();
    assert_eq!(rest["items"][0]["kind"], "close");
    assert_eq!(rest["items"][1]["kind"], "replace");
    let others = network
        .hub
        .get("/v1/card-operations", Some(&network.metro.key))
        .await
        .json();
    assert_eq!(others["items"], json!([]));
    let all = network
        .hub
        .get("/v1/card-operations", Some(&network.hub.operator_key))
        .await
        .json();
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    let shown = network
        .hub
        .get(
            &format!("/v1/card-operations/{id}"),
            Some(&network.metro.key),
        )
        .await;
    assert_eq!(shown.status, 404);
}

fn run_script(card: &mut SoftCard, apdus: &Value) -> Vec<String> {
    let mut response = Vec::new();
    apdus
        .as_array()
        .unwrap()
        .iter()
        .map(|apdu| {
            let command = hex::decode(apdu.as_str().unwrap()).unwrap();
            response.clear();
            card.transmit(&command, &mut response).unwrap();
            format!("{:04X}", answer(&response).1)
        })
        .collect()
}

/// A response's data and status word.
fn answer(response: &[u8]) -> (Vec<u8>, u16) {
    let (data, word) = response.split_at(response.len() - 2);
    (data.to_vec(), u16::from_be_bytes([word[0], word[1]]))
}

fn send(card: &mut SoftCard, command: &[u8]) -> (Vec<u8>, u16) {
    let mut response = Vec::new();
    card.transmit(command, &mut response).unwrap();
    answer(&response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_added_after_issuance_works_on_the_card() {
    let network = Network::start().await;
    let mut chip = loaded_card(&network, 1, 2_000).await;
    let bureau = network
        .hub
        .member("Social Security Bureau", &["application_provider"])
        .await;
    let department = IssuerKeys::generate(
        Profile::Sm4,
        1,
        [0x31, 0x04, 0, 0, 0, 0, 0, 9],
        &mut SeededEntropy::new(77),
    );
    let keys: Value = serde_json::from_str(&department.to_json()).unwrap();
    let path = format!("/v1/cards/{}/applications", hex::encode(asn(1)));
    let request = json!({
        "action": "add", "template": "social-security", "keys": keys,
        "start_date": "20261101", "expiry_date": "20361231",
    });
    // Only an application provider asks.
    let (code, _) = post(&network, &path, &network.issuer, request.clone()).await;
    assert_eq!(code, 403);
    let (code, operation) = post(&network, &path, &bureau, request).await;
    assert_eq!(code, 201, "{operation}");
    assert_eq!(operation["state"], "awaiting_consent");
    assert_eq!(operation["aid"], hex::encode_upper(SOCIAL_SECURITY_AID));
    let id = operation["id"].as_u64().unwrap();

    // No script before the issuer's consent; the bureau cannot consent for it.
    let script_path = format!("/v1/card-operations/{id}/script");
    let early = network.hub.get(&script_path, Some(&bureau.key)).await;
    assert_eq!(early.status, 409, "{}", early.text());
    let consent = format!("/v1/card-operations/{id}/consent");
    let (code, _) = post(&network, &consent, &bureau, json!({})).await;
    assert_eq!(code, 404);
    let (code, consented) = post(&network, &consent, &network.issuer, json!({})).await;
    assert_eq!(code, 200, "{consented}");
    assert_eq!(consented["state"], "pending");

    // The bureau's terminal runs the script on the card and reports the status words.
    let script = network
        .hub
        .get(&script_path, Some(&bureau.key))
        .await
        .json();
    let words = run_script(&mut chip, &script["apdus"]);
    assert!(words.iter().all(|word| word == "9000"), "{words:?}");
    let (code, done) = post(
        &network,
        &format!("/v1/card-operations/{id}/result"),
        &bureau,
        json!({ "status_words": words }),
    )
    .await;
    assert_eq!(code, 200, "{done}");
    assert_eq!(done["state"], "completed");
    let card = network
        .hub
        .get(
            &format!("/v1/cards/{}", hex::encode(asn(1))),
            Some(&network.issuer.key),
        )
        .await
        .json();
    assert!(
        card["applications"]
            .as_array()
            .unwrap()
            .contains(&json!(hex::encode_upper(SOCIAL_SECURITY_AID))),
        "{card}"
    );

    // The application works: selected, its public data names the bureau, its cardholder
    // file is read after the PIN and not before.
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, SOCIAL_SECURITY_AID.len() as u8];
    select.extend_from_slice(&SOCIAL_SECURITY_AID);
    select.push(0x00);
    assert_eq!(send(&mut chip, &select).1, 0x9000);
    let (public, word) = send(&mut chip, &[0x00, 0xB0, 0x95, 0x00, 0x1E]);
    assert_eq!(word, 0x9000);
    assert_eq!(public.get(..8), Some(&department.issuer_id[..]));
    let read_cardholder = [0x00, 0xB0, 0x85, 0x00, 0x10];
    assert_ne!(send(&mut chip, &read_cardholder).1, 0x9000);
    assert_eq!(
        send(&mut chip, &[0x00, 0x20, 0x00, 0x00, 0x03, 0x12, 0x34, 0x56]).1,
        0x9000
    );
    assert_eq!(send(&mut chip, &read_cardholder).1, 0x9000);

    // The script is spent: the hub gives it no more, and the card refuses it again.
    let again = network.hub.get(&script_path, Some(&bureau.key)).await;
    assert_eq!(again.status, 409);
    let replayed = run_script(&mut chip, &script["apdus"]);
    assert!(replayed.iter().all(|word| word != "9000"), "{replayed:?}");

    // Removing it: a new script, with counters above the first one's.
    let (code, removal) = post(
        &network,
        &path,
        &bureau,
        json!({ "action": "remove", "aid": hex::encode(SOCIAL_SECURITY_AID) }),
    )
    .await;
    assert_eq!(code, 201, "{removal}");
    let id = removal["id"].as_u64().unwrap();
    post(
        &network,
        &format!("/v1/card-operations/{id}/consent"),
        &network.issuer,
        json!({}),
    )
    .await;
    let script = network
        .hub
        .get(
            &format!("/v1/card-operations/{id}/script"),
            Some(&network.issuer.key),
        )
        .await
        .json();
    let words = run_script(&mut chip, &script["apdus"]);
    assert_eq!(words, ["9000"]);
    let (_, done) = post(
        &network,
        &format!("/v1/card-operations/{id}/result"),
        &network.issuer,
        json!({ "status_words": words }),
    )
    .await;
    assert_eq!(done["state"], "completed");
    assert_ne!(send(&mut chip, &select).1, 0x9000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_completes_by_itself_when_its_freeze_period_is_over() {
    let network = Network::start().await;
    let operation = replacing_card_1_by_2(&network, 4_000).await;
    let due = operation["due_at_ms"].as_i64().unwrap();
    assert_eq!(
        due - operation["created_at_ms"].as_i64().unwrap(),
        CARD_FREEZE_PERIOD_MS
    );
    let before = with_admin(&network.hub.config, move |admin| {
        admin.complete_due_card_operations(EpochMs::new(due - 1))
    })
    .await
    .unwrap();
    assert!(before.is_empty());
    let db = database(&network.hub);
    assert_eq!((shadow(&db, 1), shadow(&db, 2)), (4_000, 0));
    let done = with_admin(&network.hub.config, move |admin| {
        admin.complete_due_card_operations(EpochMs::new(due))
    })
    .await
    .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].state, done[0].amount_fen),
        (OperationState::Completed, Some(4_000))
    );
    assert_eq!((shadow(&db, 1), shadow(&db, 2)), (0, 0));
    assert_eq!(pending_credits(&db, &network.issuer), 4_000);
    assert_conserved(&db, &network.issuer);
    // The operator's view from the data directory lists it.
    let listed = with_admin(&network.hub.config, |admin| admin.card_operations())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serving_hub_completes_a_replacement_on_its_timer_after_the_freeze_period() {
    use std::sync::Arc;

    use jinka_hub::{Clock, FixedClock, SystemClock};

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
    replacing_card_1_by_2(&network, 1_500).await;
    let db = database(&network.hub);
    let state = || -> String { db.one("SELECT state FROM card_operations", &[]).text() };
    // Many ticks pass inside the freeze period: the operation stays pending.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(state(), "pending");
    clock.advance(CARD_FREEZE_PERIOD_MS);
    let mut ticks = 0;
    while state() == "pending" && ticks < WAIT_TICKS_MAX {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        ticks += 1;
    }
    assert_eq!(state(), "completed", "the timer completed it");
    assert_eq!((shadow(&db, 1), shadow(&db, 2)), (0, 0));
    assert_eq!(pending_credits(&db, &network.issuer), 1_500);
    assert_conserved(&db, &network.issuer);
}

/// What `member`'s collected-cash account holds (debits − credits).
fn collected_cash(db: &Db, member: &Member) -> i64 {
    db.one(
        "SELECT CAST(coalesce(sum(debits_fen - credits_fen), 0) AS BIGINT) FROM ledger_accounts
         WHERE participant_id = $1 AND account = 'collected-cash'",
        &[(member.id as i64).into()],
    )
    .int()
}

/// The last answer's (route's last path segment, status) of each call `authorizer` made.
fn calls(authorizer: &crate::network::HubAuthorizer) -> Vec<(String, u16)> {
    authorizer
        .answers
        .iter()
        .map(|(path, status, _)| (path.rsplit('/').next().unwrap().to_owned(), *status))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_credit_puts_the_moved_balance_on_the_new_chip_once() {
    let network = Network::start().await;
    let operation = replacing_card_1_by_2(&network, 6_000).await;
    let id = operation["id"].as_u64().unwrap();
    let credit_path = format!("/v1/card-operations/{id}/credit");
    let credit = |prefix: &str| {
        let mut authorizer = network.authorizer(&network.topup, prefix);
        authorizer.authorize_path = credit_path.clone();
        authorizer
    };

    // Not while the replacement is pending: its balance is still on the old card.
    let (topup, chip, early, refused) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(2)),
        credit("early"),
        6_000,
        moment(2, 9, 0, 0),
    )
    .await;
    assert!(refused.is_err());
    assert_eq!(calls(&early), [("credit".to_owned(), 409)]);
    let (code, done) = post(
        &network,
        &format!("/v1/card-operations/{id}/complete"),
        &network.issuer,
        json!({}),
    )
    .await;
    assert_eq!(code, 200, "{done}");
    assert_eq!(done["amount_fen"], 6_000);
    let db = database(&network.hub);
    let cash = collected_cash(&db, &network.topup);
    assert_eq!(cash, 6_000, "the first load's cash");
    assert_eq!(pending_credits(&db, &network.issuer), 6_000);
    assert_conserved(&db, &network.issuer);

    // Another amount than the one moved is refused; so is another card than the new one.
    let (topup, chip, wrong, refused) =
        load_through_hub(topup, chip, credit("wrong"), 5_000, moment(2, 9, 1, 0)).await;
    assert!(refused.is_err());
    assert_eq!(calls(&wrong), [("credit".to_owned(), 400)]);
    let (topup, _, other, refused) = load_through_hub(
        topup,
        card(&network.keys, asn(1)),
        credit("other"),
        6_000,
        moment(2, 9, 1, 30),
    )
    .await;
    assert!(refused.is_err());
    assert_eq!(calls(&other), [("credit".to_owned(), 400)]);

    // The real flow on the new chip: MAC1 checked, MAC2 answered, CREDIT FOR LOAD, TAC
    // confirmed. The chip and the shadow balance now hold the moved balance; no cash was
    // collected, so the ledger did not move; nothing is pending.
    let (mut topup, mut chip, credited, record) =
        load_through_hub(topup, chip, credit("credit"), 6_000, moment(2, 9, 2, 0)).await;
    let record = record.expect("credited");
    assert_eq!(
        calls(&credited),
        [("credit".to_owned(), 200), ("confirm".to_owned(), 200)]
    );
    assert_eq!(topup.balance(&mut chip).unwrap(), 6_000);
    assert_eq!((shadow(&db, 1), shadow(&db, 2)), (0, 6_000));
    assert_eq!(pending_credits(&db, &network.issuer), 0);
    assert_eq!(
        collected_cash(&db, &network.topup),
        cash,
        "no cash collected"
    );
    assert_conserved(&db, &network.issuer);

    // The same request again answers the same; the terminal's batch brings the record: a
    // duplicate of the confirmed load, which changes nothing.
    let mut body = credited.sent[0].clone();
    let (code, replayed) = post(&network, &credit_path, &network.topup, body.clone()).await;
    assert_eq!(code, 200, "{replayed}");
    assert_eq!(replayed, credited.answers[0].2);
    body["request_id"] = json!("a-cash-load-id");
    let (code, _) = post(
        &network,
        "/v1/loads/authorize",
        &network.topup,
        body.clone(),
    )
    .await;
    assert_eq!(code, 422, "the chip's counter moved on");
    let answer = network.upload(&network.topup, "T-1", &[record]).await;
    assert_eq!(
        decisions(&answer.json()),
        vec![crate::network::rejected("duplicate")]
    );
    assert_eq!(shadow(&db, 2), 6_000);
    assert_conserved(&db, &network.issuer);

    // A second credit is refused: the chip keeps the one balance.
    let (mut topup, mut chip, again, refused) =
        load_through_hub(topup, chip, credit("again"), 6_000, moment(2, 9, 3, 0)).await;
    assert!(refused.is_err());
    assert_eq!(calls(&again), [("credit".to_owned(), 409)]);
    assert_eq!(topup.balance(&mut chip).unwrap(), 6_000);
    assert_eq!(shadow(&db, 2), 6_000);
    assert_conserved(&db, &network.issuer);
}

/// Replacement operation `id`'s credit of `amount_fen` to card 2 at the top-up terminal,
/// under request ids `name-N`, whose TAC the terminal never sends.
async fn credit_unconfirmed(
    network: &Network,
    id: u64,
    name: &str,
    amount_fen: u32,
    at: jinka_terminal::Moment,
) -> (
    SoftTerminal,
    SoftCard,
    HubAuthorizer,
    Result<jinka_record::TransactionRecord, jinka_terminal::Refusal>,
) {
    let mut authorizer = network.authorizer(&network.topup, name);
    authorizer.authorize_path = format!("/v1/card-operations/{id}/credit");
    authorizer.confirms = false;
    load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(2)),
        authorizer,
        amount_fen,
        at,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_credit_delivered_by_batch_posts_no_cash_either() {
    let network = Network::start().await;
    let operation = replacing_card_1_by_2(&network, 2_500).await;
    let id = operation["id"].as_u64().unwrap();
    complete(&network, id).await;
    let db = database(&network.hub);
    let cash = collected_cash(&db, &network.topup);
    // The terminal loses its link before the TAC: the batch brings the record instead.
    let (_, _, _, record) =
        credit_unconfirmed(&network, id, "offline", 2_500, moment(2, 10, 0, 0)).await;
    let record = record.expect("credited on the chip");
    assert_eq!(shadow(&db, 2), 0, "not posted before its record or TAC");
    assert_eq!(pending_credits(&db, &network.issuer), 2_500);
    let answer = network.upload(&network.topup, "T-1", &[record]).await;
    assert_eq!(decisions(&answer.json()), vec![accepted("")]);
    assert_eq!((shadow(&db, 1), shadow(&db, 2)), (0, 2_500));
    assert_eq!(pending_credits(&db, &network.issuer), 0);
    assert_eq!(
        collected_cash(&db, &network.topup),
        cash,
        "no cash collected"
    );
    assert_conserved(&db, &network.issuer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_credit_posted_by_the_counter_chain_posts_no_cash_either() {
    let network = Network::start().await;
    let operation = replacing_card_1_by_2(&network, 3_000).await;
    let id = operation["id"].as_u64().unwrap();
    complete(&network, id).await;
    let db = database(&network.hub);
    let cash = collected_cash(&db, &network.topup);
    // The credit's TAC never reaches the hub and its record is lost with the terminal; the
    // chip's next load, a cash one, is confirmed: its counter proves the credit happened.
    let (topup, chip, _, credited) =
        credit_unconfirmed(&network, id, "lost-tac", 3_000, moment(2, 11, 0, 0)).await;
    credited.expect("credited on the chip");
    let (_, _, _, loaded) = load_through_hub(
        topup,
        chip,
        network.authorizer(&network.topup, "cash"),
        1_000,
        moment(2, 11, 5, 0),
    )
    .await;
    loaded.expect("a cash load");
    let states: Vec<String> = db
        .query(
            "SELECT state FROM load_authorizations WHERE asn = $1 ORDER BY online_atc",
            &[asn(2).as_slice().into()],
        )
        .into_iter()
        .map(|row| row[0].text())
        .collect();
    assert_eq!(states, ["posted-counter-chain", "posted-tac"]);
    assert_eq!(shadow(&db, 2), 4_000);
    assert_eq!(pending_credits(&db, &network.issuer), 0);
    assert_eq!(
        collected_cash(&db, &network.topup),
        cash + 1_000,
        "only the cash load's cash"
    );
    assert_conserved(&db, &network.issuer);
}
