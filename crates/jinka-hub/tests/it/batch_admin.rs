//! The admin's batch forms: cards registered in one transaction (all or none), loads
//! authorized and confirmed, and batches uploaded, in one transaction each group, with the
//! same decisions as one at a time.

use jinka_card::IssuerKeys;
use jinka_clearing::{LoadDecision, LoadRefusal, LoadRequest, RequestId};
use jinka_crypto::{Profile, diversify, session_key, tac_key};
use jinka_hub::admin_clearing::{BatchReply, ClearingKeys, LoadConfirmation};
use jinka_hub::{
    Admin, Asn, ErrorKind, HubError, IssuerId, Limits, NewCard, NewTerminal, ParticipantId, Region,
    TerminalId,
};
use jinka_record::{Date, Time};
use serde_json::json;

use crate::engine::with_admin;
use crate::network::{
    BUS_TERMINAL, ISSUER_ID, METRO_TERMINAL, Network, TOPUP_TERMINAL, asn, bulk_body, count,
    database, funded_card, purchases, terminal,
};

fn participant(id: u64) -> ParticipantId {
    ParticipantId::new(u32::try_from(id).unwrap()).unwrap()
}

fn new_card(issuer: u64, n: u8) -> NewCard {
    new_card_of(issuer, ISSUER_ID, n)
}

/// Whether card `n` is registered, as the admin reads the registry.
fn registered(admin: &Admin, cards: &[u8]) -> Vec<bool> {
    let asns: Vec<_> = cards
        .iter()
        .map(|n| jinka_clearing::Asn::new(asn(*n)))
        .collect();
    admin
        .card_clearing_states(&asns)
        .unwrap()
        .iter()
        .map(Option::is_some)
        .collect()
}

fn refused_naming(error: &HubError, n: u8) -> bool {
    error.kind() == ErrorKind::BadInput && error.to_string().contains(&hex::encode_upper(asn(n)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_registered_together_are_all_found() {
    let network = Network::start().await;
    let issuer = network.issuer.id;
    let cards: Vec<u8> = (1..=40).collect();
    let asns = with_admin(&network.hub.config, move |admin| {
        assert_eq!(admin.register_cards(Vec::new()).unwrap(), Vec::new());
        let registered_cards = admin
            .register_cards(cards.iter().map(|n| new_card(issuer, *n)).collect())
            .unwrap();
        assert_eq!(registered(admin, &cards), vec![true; cards.len()]);
        registered_cards
            .iter()
            .map(|card| card.asn.to_string())
            .collect::<Vec<_>>()
    })
    .await;
    let expected: Vec<String> = (1..=40).map(|n| hex::encode_upper(asn(n))).collect();
    assert_eq!(asns, expected);
    // The issuer sees them through the API as any registered card.
    let reply = network
        .hub
        .get(
            &format!("/v1/cards/{}", hex::encode(asn(17))),
            Some(&network.issuer.key),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(count(&database(&network.hub), "cards"), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_with_one_refused_card_registers_none_and_names_it() {
    let network = Network::start().await;
    let (issuer, metro) = (network.issuer.id, network.metro.id);
    with_admin(&network.hub.config, move |admin| {
        admin.register_card(new_card(issuer, 3)).unwrap();
        // Registered before.
        let cards = [1, 2, 3, 4].map(|n| new_card(issuer, n)).to_vec();
        let error = admin.register_cards(cards).unwrap_err();
        assert!(matches!(error, HubError::Conflict { .. }), "{error}");
        assert!(refused_naming(&error, 3), "{error}");
        // Listed twice.
        let cards = [5, 6, 5].map(|n| new_card(issuer, n)).to_vec();
        let error = admin.register_cards(cards).unwrap_err();
        assert!(matches!(error, HubError::Conflict { .. }), "{error}");
        assert!(refused_naming(&error, 5), "{error}");
        // An issuer that is not one (Metro acquires), and one not registered.
        let cards = vec![new_card(issuer, 7), new_card(metro, 8)];
        let error = admin.register_cards(cards).unwrap_err();
        assert!(matches!(error, HubError::Invalid { .. }), "{error}");
        assert!(refused_naming(&error, 8), "{error}");
        let cards = vec![new_card(issuer, 9), new_card(999, 10)];
        let error = admin.register_cards(cards).unwrap_err();
        assert!(matches!(error, HubError::NotFound { .. }), "{error}");
        assert!(refused_naming(&error, 10), "{error}");
        assert_eq!(
            registered(admin, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            [
                false, false, true, false, false, false, false, false, false, false
            ]
        );
    })
    .await;
    assert_eq!(count(&database(&network.hub), "cards"), 1);
}

/// Card `n` of `issuer` under the issuer id `issuer_id`.
fn new_card_of(issuer: u64, issuer_id: [u8; 8], n: u8) -> NewCard {
    NewCard::new(
        Asn::new(asn(n)),
        participant(issuer),
        IssuerId::new(issuer_id),
        Profile::Sm4,
        Vec::new(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_given_out_of_asn_order_are_answered_and_refused_in_the_callers_order() {
    let network = Network::start().await;
    let issuer = network.issuer.id;
    let second = network
        .hub
        .member_with(json!({ "name": "Second Bank", "roles": ["issuer"], "region": 310000 }))
        .await
        .id;
    const SHARED_ID: [u8; 8] = [0x10, 0, 0, 0, 0, 0, 0, 0x77];
    with_admin(&network.hub.config, move |admin| {
        let scattered = [40, 3, 17, 1, 25];
        let cards = scattered.map(|n| new_card(issuer, n)).to_vec();
        let answered: Vec<[u8; 8]> = admin
            .register_cards(cards)
            .unwrap()
            .iter()
            .map(|card| card.asn.bytes())
            .collect();
        assert_eq!(answered, scattered.map(asn));
        assert_eq!(registered(admin, &scattered), [true; 5]);

        // Card 25 is registered (above); card 8 is listed twice, after it in the call.
        let cards = [9, 25, 8, 8].map(|n| new_card(issuer, n)).to_vec();
        let error = admin.register_cards(cards).unwrap_err();
        assert!(matches!(error, HubError::Conflict { .. }), "{error}");
        assert!(refused_naming(&error, 25), "{error}");
        // Card 60 takes the shared issuer id for the second bank; card 50, after it in the
        // call (before it by ASN), claims the id for the first.
        let cards = vec![
            new_card_of(second, SHARED_ID, 60),
            new_card_of(issuer, SHARED_ID, 50),
        ];
        let error = admin.register_cards(cards).unwrap_err();
        assert!(matches!(error, HubError::Conflict { .. }), "{error}");
        assert!(refused_naming(&error, 50), "{error}");
        assert!(error.to_string().contains("another participant"), "{error}");
        assert_eq!(registered(admin, &[9, 8, 60, 50]), [false; 4]);
    })
    .await;
    assert_eq!(count(&database(&network.hub), "cards"), 5);
}

/// Terminal number `n` of `owner` (ids 00 00 00 00 60 n, apart from the network's).
fn new_terminal(owner: u64, n: u8) -> NewTerminal {
    NewTerminal {
        terminal_id: TerminalId::new(terminal_id(n)),
        owner: participant(owner),
        region: Region::new(310_000),
    }
}

fn terminal_id(n: u8) -> [u8; 6] {
    [0, 0, 0, 0, 0x60, n]
}

fn refused_naming_terminal(error: &HubError, n: u8) -> bool {
    error.kind() == ErrorKind::BadInput
        && error
            .to_string()
            .contains(&hex::encode_upper(terminal_id(n)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminals_registered_together_are_all_found() {
    let network = Network::start().await;
    let (metro, topup) = (network.metro.id, network.topup.id);
    let before = count(&database(&network.hub), "terminals");
    let registered = with_admin(&network.hub.config, move |admin| {
        assert_eq!(admin.register_terminals(Vec::new()).unwrap(), Vec::new());
        let terminals: Vec<NewTerminal> = (1..=30)
            .map(|n| new_terminal(if n % 3 == 0 { topup } else { metro }, n))
            .collect();
        let registered = admin.register_terminals(terminals.clone()).unwrap();
        // Each as it was asked for, in order, and found afterwards one by one.
        for (new, terminal) in terminals.iter().zip(&registered) {
            assert_eq!(
                (terminal.terminal_id, terminal.owner, terminal.region),
                (new.terminal_id, new.owner, new.region)
            );
        }
        // Registered: a second registration of any of them is refused.
        let error = admin
            .register_terminal(new_terminal(metro, 17))
            .unwrap_err();
        assert!(matches!(error, HubError::Conflict { .. }), "{error}");
        registered
    })
    .await;
    assert_eq!(registered.len(), 30);
    assert_eq!(count(&database(&network.hub), "terminals"), before + 30);
    // The owner reads one through the API as any registered terminal.
    let reply = network
        .hub
        .get(
            &format!("/v1/terminals/{}", hex::encode(terminal_id(4))),
            Some(&network.metro.key),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_with_one_refused_terminal_registers_none_and_names_it() {
    let network = Network::start().await;
    let (issuer, metro, bus) = (network.issuer.id, network.metro.id, network.bus.id);
    let before = count(&database(&network.hub), "terminals");
    with_admin(&network.hub.config, move |admin| {
        admin.register_terminal(new_terminal(metro, 3)).unwrap();
        // Registered before.
        let terminals = [1, 2, 3, 4].map(|n| new_terminal(bus, n)).to_vec();
        let error = admin.register_terminals(terminals).unwrap_err();
        assert!(matches!(error, HubError::Conflict { .. }), "{error}");
        assert!(refused_naming_terminal(&error, 3), "{error}");
        // Listed twice.
        let terminals = [5, 6, 5].map(|n| new_terminal(bus, n)).to_vec();
        let error = admin.register_terminals(terminals).unwrap_err();
        assert!(matches!(error, HubError::Conflict { .. }), "{error}");
        assert!(refused_naming_terminal(&error, 5), "{error}");
        // An owner that owns no terminals (the issuer), and one not registered.
        let terminals = vec![new_terminal(bus, 7), new_terminal(issuer, 8)];
        let error = admin.register_terminals(terminals).unwrap_err();
        assert!(matches!(error, HubError::Invalid { .. }), "{error}");
        assert!(refused_naming_terminal(&error, 8), "{error}");
        let terminals = vec![new_terminal(bus, 9), new_terminal(999, 10)];
        let error = admin.register_terminals(terminals).unwrap_err();
        assert!(matches!(error, HubError::NotFound { .. }), "{error}");
        assert!(refused_naming_terminal(&error, 10), "{error}");
        // None of the refused registrations left a terminal: each can be registered now.
        let all: Vec<NewTerminal> = [1, 2, 4, 5, 6, 7, 8, 9, 10]
            .map(|n| new_terminal(bus, n))
            .to_vec();
        assert_eq!(admin.register_terminals(all).unwrap().len(), 9);
    })
    .await;
    assert_eq!(count(&database(&network.hub), "terminals"), before + 10);
}

const AMOUNT_OF_BAD_MAC1_FEN: u32 = 5_000;

/// Load `request_id` of card `n` at online ATC `online_atc` (balance before
/// `balance_fen`), at the Top-up terminal, with the card's MAC1 (JR/T 0025 INITIALIZE FOR
/// LOAD: session key from the card random, the online ATC and 8000; MAC1 over balance,
/// amount, type 02 and terminal id), or a wrong one.
fn load(
    keys: &IssuerKeys,
    request_id: &str,
    n: u8,
    online_atc: u16,
    balance_fen: u32,
    amount_fen: u32,
    genuine: bool,
) -> LoadRequest {
    let card_random = [n, 1, 2, u8::try_from(online_atc).unwrap()];
    let dlk = diversify(Profile::Sm4, &keys.load, &asn(n));
    let [atc_high, atc_low] = online_atc.to_be_bytes();
    let [r0, r1, r2, r3] = card_random;
    let session = session_key(
        Profile::Sm4,
        &dlk,
        &[r0, r1, r2, r3, atc_high, atc_low, 0x80, 0x00],
    );
    let mut mac1 = session.mac(&[
        &balance_fen.to_be_bytes(),
        &amount_fen.to_be_bytes(),
        &[0x02],
        &TOPUP_TERMINAL,
    ]);
    if !genuine {
        mac1[0] ^= 0xFF;
    }
    LoadRequest {
        request_id: RequestId::new(request_id).unwrap(),
        issuer_id: jinka_clearing::IssuerId::new(ISSUER_ID),
        asn: jinka_clearing::Asn::new(asn(n)),
        key_version: keys.key_version,
        algorithm_id: Profile::Sm4.algorithm_id(),
        balance_before_fen: balance_fen,
        online_atc,
        card_random,
        mac1,
        amount_fen,
        terminal_id: jinka_clearing::TerminalId::new(TOPUP_TERMINAL),
        date: Date::from_ymd(2026, 11, 27).unwrap(),
        time: Time::from_hms(10, 15, 0).unwrap(),
    }
}

/// The card's TAC over the load's record (CREDIT FOR LOAD), with its DTK.
fn tac_of(keys: &IssuerKeys, decision: &LoadDecision) -> [u8; 4] {
    let LoadDecision::Approved(approval) = decision else {
        panic!("not approved: {decision:?}");
    };
    let authorization = &approval.authorization;
    let record = authorization.confirmation_record([0; 4]).unwrap();
    let dtk = diversify(Profile::Sm4, &keys.tac, &authorization.request.asn.bytes());
    let mac = tac_key(Profile::Sm4, &dtk).mac(&[record.tac_input().as_bytes()]);
    let mut tac = [0u8; 4];
    tac.copy_from_slice(&mac[..4]);
    tac
}

/// A decision as the terminal sees it: MAC2, or the refusal's code.
fn answer(decision: &Result<LoadDecision, HubError>) -> String {
    match decision {
        Ok(LoadDecision::Approved(approval)) => format!(
            "approved {}{}",
            hex::encode(approval.mac2),
            if approval.replayed { " again" } else { "" }
        ),
        Ok(LoadDecision::Refused(refusal)) => refusal.code().to_owned(),
        Err(error) => format!("error {error}"),
    }
}

fn limits() -> Limits {
    Limits {
        load_amount_max_fen: 100_000,
        card_balance_max_fen: 1_000_000,
        daily_load_max_fen: 100_000,
        ..Limits::default()
    }
}

/// Two loads of card 1 (the second over the day's limit only with the first counted), one
/// of card 2, one with a wrong MAC1, a third of card 1 at the limit, the first again, and one
/// asked by Metro, which does not own the terminal.
fn group(network: &Network) -> Vec<(ParticipantId, LoadRequest)> {
    let keys = &network.keys;
    let (topup, metro) = (participant(network.topup.id), participant(network.metro.id));
    vec![
        (topup, load(keys, "g-1", 1, 0, 0, 60_000, true)),
        (topup, load(keys, "g-2", 2, 0, 0, 10_000, true)),
        (topup, load(keys, "g-3", 1, 1, 60_000, 50_000, true)),
        (
            topup,
            load(keys, "g-4", 3, 0, 0, AMOUNT_OF_BAD_MAC1_FEN, false),
        ),
        (topup, load(keys, "g-5", 1, 1, 60_000, 40_000, true)),
        (topup, load(keys, "g-1", 1, 0, 0, 60_000, true)),
        (metro, load(keys, "g-6", 2, 1, 10_000, 1_000, true)),
    ]
}

/// The hub's network with cards 1 to 3.
async fn network_with_cards() -> Network {
    let network = Network::start().await;
    let issuer = network.issuer.id;
    with_admin(&network.hub.config, move |admin| {
        admin
            .register_cards((1..=3).map(|n| new_card(issuer, n)).collect())
            .unwrap();
    })
    .await;
    network
}

/// The hub's network with cards 1 to 3, card 3's row damaged (its stored gaps unreadable).
async fn network_with_card_3_damaged() -> Network {
    let network = network_with_cards().await;
    let damaged: &[u8] = &[1];
    database(&network.hub).execute(
        "UPDATE cards SET offline_gaps = $1 WHERE asn = $2",
        &[damaged.into(), asn(3).as_slice().into()],
    );
    network
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_decided_in_one_group_are_decided_as_one_at_a_time_and_confirm_together() {
    let grouped = network_with_cards().await;
    let single = network_with_cards().await;

    let loads = group(&grouped);
    let issuer_keys = grouped.keys.clone();
    let (decisions, confirmations) = with_admin(&grouped.hub.config, move |admin| {
        let keys = admin.clearing_keys().unwrap();
        let decisions = admin.authorize_loads(&loads, &limits(), &keys).unwrap();
        let approved = [0, 1, 4].map(|index| {
            let (requester, request) = &loads[index];
            let tac = tac_of(&issuer_keys, decisions[index].as_ref().unwrap());
            (*requester, request.request_id.clone(), tac)
        });
        let (topup, _) = &loads[0];
        let mut to_confirm = approved.to_vec();
        // One never approved, and the first again.
        to_confirm.push((*topup, RequestId::new("g-4").unwrap(), [0; 4]));
        to_confirm.push(approved[0].clone());
        let confirmations = admin.confirm_loads(&to_confirm, &keys).unwrap();
        assert_eq!(
            admin.authorize_loads(&[], &limits(), &keys).unwrap().len(),
            0
        );
        assert_eq!(admin.confirm_loads(&[], &keys).unwrap().len(), 0);
        (decisions, (to_confirm, confirmations))
    })
    .await;
    let answers: Vec<String> = decisions.iter().map(answer).collect();
    let codes: Vec<&str> = answers
        .iter()
        .map(|text| text.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "approved",
            "approved",
            LoadRefusal::DailyLimitExceeded.code(),
            LoadRefusal::Mac1Invalid.code(),
            "approved",
            "approved",
            LoadRefusal::NotYourTerminal.code(),
        ],
        "{answers:?}"
    );
    assert_eq!(answers[5], format!("{} again", answers[0]));

    // The same loads one at a time on another hub: the same answers, MAC2s included.
    let loads = group(&single);
    let (to_confirm, confirmed) = confirmations;
    let (single_answers, single_confirmed) = with_admin(&single.hub.config, move |admin| {
        let keys = admin.clearing_keys().unwrap();
        let answers: Vec<String> = loads
            .iter()
            .map(|(requester, request)| {
                answer(&admin.authorize_load(*requester, request, &limits(), &keys))
            })
            .collect();
        let confirmed: Vec<_> = to_confirm
            .iter()
            .map(|(requester, load_id, tac)| {
                admin
                    .confirm_load(*requester, load_id, *tac, &keys)
                    .unwrap()
            })
            .collect();
        (answers, confirmed)
    })
    .await;
    assert_eq!(single_answers, answers);

    let confirmed: Vec<LoadConfirmation> = confirmed.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        confirmed,
        [
            LoadConfirmation::Posted,
            LoadConfirmation::Posted,
            LoadConfirmation::Posted,
            LoadConfirmation::UnknownLoad,
            LoadConfirmation::Posted,
        ]
    );
    assert_eq!(single_confirmed, confirmed);
    // Posted: the cards' shadow balances hold the loads, each confirmation is a record.
    let states = with_admin(&grouped.hub.config, |admin| {
        let asns = [1, 2, 3].map(|n| jinka_clearing::Asn::new(asn(n)));
        admin.card_clearing_states(&asns).unwrap()
    })
    .await;
    let balances: Vec<i64> = states
        .iter()
        .map(|state| state.as_ref().unwrap().shadow_balance_fen)
        .collect();
    assert_eq!(balances, [100_000, 10_000, 0]);
    let db = database(&grouped.hub);
    assert_eq!(count(&db, "load_authorizations"), 3);
    assert_eq!(count(&db, "accepted_records"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_that_fails_is_decided_one_load_at_a_time() {
    // Deciding card 3's load fails, and with it the group's transaction.
    let network = network_with_card_3_damaged().await;
    let keys = &network.keys;
    let topup = participant(network.topup.id);
    let loads = vec![
        (topup, load(keys, "f-1", 1, 0, 0, 60_000, true)),
        (topup, load(keys, "f-2", 3, 0, 0, 5_000, true)),
        (topup, load(keys, "f-3", 1, 1, 60_000, 50_000, true)),
        (topup, load(keys, "f-4", 2, 0, 0, 10_000, true)),
    ];
    let decisions = with_admin(&network.hub.config, move |admin| {
        let keys = admin.clearing_keys().unwrap();
        admin.authorize_loads(&loads, &limits(), &keys).unwrap()
    })
    .await;
    let answers: Vec<String> = decisions.iter().map(answer).collect();
    assert!(answers[0].starts_with("approved "), "{answers:?}");
    assert!(
        matches!(&decisions[1], Err(error) if error.kind() == ErrorKind::Broken),
        "{answers:?}"
    );
    // Alone, each load still sees the ones committed before it.
    assert_eq!(answers[2], LoadRefusal::DailyLimitExceeded.code());
    assert!(answers[3].starts_with("approved "), "{answers:?}");
    assert_eq!(count(&database(&network.hub), "load_authorizations"), 2);
}

/// A log buffer for one thread's subscriber.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `work` on this thread with its warnings logged into a buffer: its value and the
/// logs.
fn logged<T>(work: impl FnOnce() -> T) -> (T, String) {
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let value = tracing::subscriber::with_default(subscriber, work);
    let logs = String::from_utf8_lossy(&buffer.0.lock().unwrap()).into_owned();
    (value, logs)
}

/// What a hub stored of its loads: every confirmation and transition in order, the accepted
/// records with the ledger transaction that cleared each, the loads' states.
fn stored_loads(network: &Network) -> Vec<Vec<Vec<crate::engine::Value>>> {
    let db = database(&network.hub);
    [
        "SELECT request_id, tac, decision, reason FROM load_confirmations ORDER BY id",
        "SELECT request_id, from_state, to_state, cause, ledger_note FROM load_transitions
         ORDER BY id",
        "SELECT load_id, atc, transaction_id FROM accepted_records ORDER BY transaction_id",
        "SELECT request_id, state FROM load_authorizations ORDER BY request_id",
    ]
    .iter()
    .map(|sql| db.query(sql, &[]))
    .collect()
}

/// What confirming loads leaves: the answers, the ledger's accounts, cards 1 to 3's states.
type Confirmed = (
    Vec<LoadConfirmation>,
    Vec<jinka_hub::admin_clearing::LedgerAccount>,
    Vec<Option<jinka_clearing::CardEntry>>,
);

/// Confirms `confirmations` (requester, load, TAC) on `admin`, all in one call (which must
/// not fail over to one at a time) or one at a time.
fn confirm_all(
    admin: &Admin,
    confirmations: &[(ParticipantId, RequestId, [u8; 4])],
    keys: &ClearingKeys,
    together: bool,
) -> Confirmed {
    let answers: Vec<LoadConfirmation> = if together {
        let (answers, logs) = logged(|| admin.confirm_loads(confirmations, keys));
        // Decided together: the group's transaction did not fail over to one at a time.
        assert!(!logs.contains("group failed"), "{logs}");
        answers.unwrap().into_iter().map(Result::unwrap).collect()
    } else {
        confirmations
            .iter()
            .map(|(requester, load_id, tac)| {
                admin.confirm_load(*requester, load_id, *tac, keys).unwrap()
            })
            .collect()
    };
    let asns = [1, 2, 3].map(|n| jinka_clearing::Asn::new(asn(n)));
    (
        answers,
        admin.ledger_accounts().unwrap(),
        admin.card_clearing_states(&asns).unwrap(),
    )
}

/// Confirms `to_confirm` (load index, requester Metro instead of Top-up, genuine TAC) of
/// the loads `loads` on `network`, all in one call or one at a time: the answers, the
/// ledger's accounts and the cards' states.
async fn confirm_on(
    network: &Network,
    loads: Vec<(ParticipantId, LoadRequest)>,
    to_confirm: Vec<(usize, bool, bool)>,
    together: bool,
) -> Confirmed {
    let issuer_keys = network.keys.clone();
    let metro = participant(network.metro.id);
    with_admin(&network.hub.config, move |admin| {
        let keys = admin.clearing_keys().unwrap();
        let decisions = admin.authorize_loads(&loads, &limits(), &keys).unwrap();
        let confirmations: Vec<_> = to_confirm
            .iter()
            .map(|(index, by_metro, genuine)| {
                let (requester, request) = &loads[*index];
                let mut tac = tac_of(&issuer_keys, decisions[*index].as_ref().unwrap());
                if !genuine {
                    tac[0] ^= 0xFF;
                }
                let requester = if *by_metro { metro } else { *requester };
                (requester, request.request_id.clone(), tac)
            })
            .collect();
        confirm_all(admin, &confirmations, &keys, together)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_confirming_a_load_or_a_card_twice_confirms_as_one_at_a_time() {
    let grouped = network_with_cards().await;
    let single = network_with_cards().await;
    let loads = |network: &Network| {
        let keys = &network.keys;
        let topup = participant(network.topup.id);
        vec![
            (topup, load(keys, "t-1", 1, 0, 0, 10_000, true)),
            (topup, load(keys, "t-2", 1, 1, 10_000, 20_000, true)),
            (topup, load(keys, "t-3", 2, 0, 0, 5_000, true)),
            (topup, load(keys, "t-4", 3, 0, 0, 7_000, true)),
        ]
    };
    // (load, asked by Metro, genuine TAC): card 1's first load refused then confirmed, its
    // second load after it, card 2's load twice, card 3's asked by Metro first.
    let to_confirm = vec![
        (0, false, false),
        (2, false, true),
        (0, false, true),
        (1, false, true),
        (2, false, true),
        (3, true, true),
        (3, false, true),
        (1, false, false),
    ];
    let (answers, accounts, states) =
        confirm_on(&grouped, loads(&grouped), to_confirm.clone(), true).await;
    let (single_answers, single_accounts, single_states) =
        confirm_on(&single, loads(&single), to_confirm, false).await;
    assert_eq!(answers, single_answers);
    assert_eq!(
        answers[..7],
        [
            LoadConfirmation::Refused(jinka_clearing::RejectReason::BadTac),
            LoadConfirmation::Posted,
            LoadConfirmation::Posted,
            LoadConfirmation::Posted,
            LoadConfirmation::Posted,
            LoadConfirmation::UnknownLoad,
            LoadConfirmation::Posted,
        ]
    );
    assert_eq!(accounts, single_accounts);
    assert!(!accounts.is_empty());
    assert_eq!(states, single_states);
    let balances: Vec<i64> = states
        .iter()
        .map(|state| state.as_ref().unwrap().shadow_balance_fen)
        .collect();
    assert_eq!(balances, [30_000, 5_000, 7_000]);
    let stored = stored_loads(&grouped);
    assert_eq!(stored, stored_loads(&single));
    // Four records, cleared by four ledger transactions; seven confirmations kept (none
    // for the load Metro does not have).
    assert_eq!(stored[2].len(), 4);
    assert_eq!(stored[0].len(), 7);
}

/// A batch answer as a test compares it: the JSON text, or the refusal.
fn batch_answer(reply: &Result<BatchReply, HubError>) -> String {
    match reply {
        Ok(BatchReply::Decided(text)) => format!("decided {text}"),
        Ok(BatchReply::Replayed(text)) => format!("replayed {text}"),
        Ok(BatchReply::BatchIdReused) => "batch_id_reused".to_owned(),
        Err(error) => format!("error {error}"),
    }
}

/// Uploads as a group and one by one: Metro's purchases of card 1, Bus's next ones of the
/// same card, Metro's batch again (a replay), its id with other records (reused), its
/// records under a new id (duplicates), a body that cannot be read, a batch of the issuer
/// (who uploads none), a purchase of card 2.
fn uploads(network: &Network) -> Vec<(ParticipantId, Vec<u8>)> {
    let keys = &network.keys;
    let mut card = funded_card(keys, asn(1), 10_000);
    let mut metro = terminal(keys, METRO_TERMINAL);
    let first = purchases(&mut metro, &mut card, &[1_250, 300, 99]);
    let next = purchases(&mut terminal(keys, BUS_TERMINAL), &mut card, &[20, 40]);
    let other = purchases(&mut metro, &mut funded_card(keys, asn(2), 500), &[75]);
    let (metro, bus) = (participant(network.metro.id), participant(network.bus.id));
    vec![
        (metro, bulk_body("M-1", &first)),
        (bus, bulk_body("B-1", &next)),
        (metro, bulk_body("M-1", &first)),
        (metro, bulk_body("M-1", &first[..2])),
        (metro, bulk_body("M-2", &first)),
        (metro, vec![3, b'M']),
        (participant(network.issuer.id), bulk_body("I-1", &first)),
        (metro, bulk_body("M-3", &other)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_uploaded_as_a_group_are_answered_as_one_at_a_time() {
    let grouped = network_with_cards().await;
    let single = network_with_cards().await;

    let asked = uploads(&grouped);
    let together = with_admin(&grouped.hub.config, move |admin| {
        let keys = admin.clearing_keys().unwrap();
        let asked: Vec<(ParticipantId, &[u8])> = asked
            .iter()
            .map(|(uploader, body)| (*uploader, body.as_slice()))
            .collect();
        assert!(admin.upload_bulk_batches(&[], &keys).is_empty());
        admin.upload_bulk_batches(&asked, &keys)
    })
    .await;
    let answers: Vec<String> = together.iter().map(batch_answer).collect();
    let kinds: Vec<&str> = answers
        .iter()
        .map(|text| text.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "decided",
            "decided",
            "replayed",
            "batch_id_reused",
            "decided",
            "error",
            "error",
            "decided"
        ],
        "{answers:#?}"
    );
    assert_eq!(answers[2], answers[0].replacen("decided", "replayed", 1));
    assert!(
        answers[4].contains(r#""reason":"duplicate""#),
        "{}",
        answers[4]
    );
    assert!(
        !answers[4].contains(r#""decision":"accepted""#),
        "{}",
        answers[4]
    );
    assert_eq!(
        together[5].as_ref().unwrap_err().kind(),
        ErrorKind::BadInput
    );
    assert!(answers[6].contains("upload"), "{}", answers[6]);

    // One at a time on another hub: the same answers, byte for byte.
    let asked = uploads(&single);
    let one_by_one = with_admin(&single.hub.config, move |admin| {
        let keys = admin.clearing_keys().unwrap();
        asked
            .iter()
            .map(|(uploader, body)| batch_answer(&admin.upload_bulk_batch(*uploader, body, &keys)))
            .collect::<Vec<String>>()
    })
    .await;
    assert_eq!(one_by_one, answers);

    // The same state: the cards' clearing state, the records, the ledger.
    let states = |network: &Network| {
        let config = network.hub.config.clone();
        async move {
            with_admin(&config, |admin| {
                let asns = [1, 2, 3].map(|n| jinka_clearing::Asn::new(asn(n)));
                let cards = admin.card_clearing_states(&asns).unwrap();
                let accounts = admin.ledger_accounts().unwrap();
                format!("{cards:?} {accounts:?}")
            })
            .await
        }
    };
    assert_eq!(states(&grouped).await, states(&single).await);
    for table in ["accepted_records", "rejected_records", "batches"] {
        assert_eq!(
            count(&database(&grouped.hub), table),
            count(&database(&single.hub), table),
            "{table}"
        );
    }
    assert_eq!(count(&database(&grouped.hub), "accepted_records"), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_of_batches_that_fails_is_ingested_one_batch_at_a_time() {
    // Deciding card 3's record fails, and with it the group's transaction.
    let network = network_with_card_3_damaged().await;
    let keys = &network.keys;
    let mut metro = terminal(keys, METRO_TERMINAL);
    let bodies = [1, 3, 2].map(|n| {
        let records = purchases(&mut metro, &mut funded_card(keys, asn(n), 1_000), &[10]);
        bulk_body(&format!("F-{n}"), &records)
    });
    let metro = participant(network.metro.id);
    let answers = with_admin(&network.hub.config, move |admin| {
        let keys = admin.clearing_keys().unwrap();
        let asked: Vec<(ParticipantId, &[u8])> =
            bodies.iter().map(|body| (metro, body.as_slice())).collect();
        admin.upload_bulk_batches(&asked, &keys)
    })
    .await;
    let texts: Vec<String> = answers.iter().map(batch_answer).collect();
    assert!(texts[0].contains(r#""decision":"accepted""#), "{texts:?}");
    assert!(
        matches!(&answers[1], Err(error) if error.kind() == ErrorKind::Broken),
        "{texts:?}"
    );
    assert!(texts[2].contains(r#""decision":"accepted""#), "{texts:?}");
    let db = database(&network.hub);
    assert_eq!(count(&db, "batches"), 2);
    assert_eq!(count(&db, "accepted_records"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rules_see_a_failed_groups_batches_once() {
    // Card 1 spends 600.00 yuan in a group that fails (card 3's batch) and is ingested again
    // one batch at a time: the daily spend rule (1,000.00 yuan) must count it once.
    let network = network_with_card_3_damaged().await;
    let keys = &network.keys;
    let mut metro = terminal(keys, METRO_TERMINAL);
    let mut card_1 = funded_card(keys, asn(1), 200_000);
    let first = purchases(&mut metro, &mut card_1, &[60_000]);
    let third = purchases(&mut metro, &mut funded_card(keys, asn(3), 1_000), &[10]);
    let later = purchases(&mut metro, &mut card_1, &[30_000]);
    let last = purchases(&mut metro, &mut card_1, &[20_000]);
    let bodies = [
        bulk_body("S-1", &first),
        bulk_body("S-3", &third),
        bulk_body("S-4", &later),
        bulk_body("S-5", &last),
    ];
    let metro = participant(network.metro.id);
    let answers = with_admin(&network.hub.config, move |admin| {
        let keys = admin.clearing_keys().unwrap();
        let group: Vec<(ParticipantId, &[u8])> = (bodies[..2].iter())
            .map(|body| (metro, body.as_slice()))
            .collect();
        let mut answers = admin.upload_bulk_batches(&group, &keys);
        for body in &bodies[2..] {
            answers.extend(admin.upload_bulk_batches(&[(metro, body.as_slice())], &keys));
        }
        answers
    })
    .await;
    let texts: Vec<String> = answers.iter().map(batch_answer).collect();
    assert!(
        matches!(&answers[1], Err(error) if error.kind() == ErrorKind::Broken),
        "{texts:?}"
    );
    for index in [0, 2, 3] {
        assert!(
            texts[index].contains(r#""decision":"accepted""#),
            "{texts:?}"
        );
    }
    // 600.00 + 300.00 yuan: under the limit (seen twice, 1,500.00 would have fired). Then
    // 200.00 more crosses it, once.
    let fired = database(&network.hub).query(
        "SELECT explanation FROM risk_decisions WHERE rule = 'daily_spend'",
        &[],
    );
    assert_eq!(fired.len(), 1, "{fired:?}");
    let explanation = fired[0][0].text();
    assert!(explanation.contains("1100.00 yuan"), "{explanation}");
}

/// Decides `loads` on `network` and confirms the approved ones (with the card's TAC, forged
/// for the loads at positions 3, 7, 11, ...), in groups or one at a time: the
/// authorizations' answers and what the confirmations left.
async fn loads_on(
    network: &Network,
    loads: Vec<(ParticipantId, LoadRequest)>,
    together: bool,
) -> (Vec<String>, Confirmed) {
    let issuer_keys = network.keys.clone();
    with_admin(&network.hub.config, move |admin| {
        let keys = admin.clearing_keys().unwrap();
        let decisions: Vec<_> = if together {
            let (decisions, logs) = logged(|| admin.authorize_loads(&loads, &limits(), &keys));
            // Decided together: the group's transaction did not fail over to one at a time.
            assert!(!logs.contains("group failed"), "{logs}");
            decisions.unwrap()
        } else {
            loads
                .iter()
                .map(|(requester, request)| {
                    admin.authorize_load(*requester, request, &limits(), &keys)
                })
                .collect()
        };
        let confirmations: Vec<_> = loads
            .iter()
            .zip(&decisions)
            .enumerate()
            .filter(|(_, (_, decision))| matches!(decision, Ok(LoadDecision::Approved(_))))
            .map(|(index, ((requester, request), decision))| {
                let mut tac = tac_of(&issuer_keys, decision.as_ref().unwrap());
                if index % 4 == 3 {
                    tac[0] ^= 0xFF;
                }
                (*requester, request.request_id.clone(), tac)
            })
            .collect();
        let answers = decisions.iter().map(answer).collect();
        (answers, confirm_all(admin, &confirmations, &keys, together))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_of_many_loads_some_forged_decides_and_confirms_as_one_at_a_time() {
    let grouped = network_with_cards().await;
    let single = network_with_cards().await;
    // Eight loads of 150 yuan of each card, interleaved: the fifth of each card with a wrong
    // MAC1, the eighth over the day's limit with the six before it counted; the approved
    // loads at every fourth position confirmed with a forged TAC.
    let loads = |network: &Network| {
        let keys = &network.keys;
        let topup = participant(network.topup.id);
        (0..24u16)
            .map(|index| {
                let n = u8::try_from(index % 3).unwrap() + 1;
                let atc = index / 3;
                let id = format!("h-{index}");
                let balance = u32::from(atc) * 15_000;
                let load = load(keys, &id, n, atc, balance, 15_000, atc != 4);
                (topup, load)
            })
            .collect::<Vec<_>>()
    };
    let (answers, together) = loads_on(&grouped, loads(&grouped), true).await;
    let (single_answers, one_by_one) = loads_on(&single, loads(&single), false).await;
    assert_eq!(answers, single_answers);
    assert_eq!(together, one_by_one);
    assert_eq!(stored_loads(&grouped), stored_loads(&single));
    // MAC2s given, MAC1s refused, the limit reached, TACs refused, loads posted.
    let confirmed = &together.0;
    let refused = |code: &str| answers.iter().filter(|a| *a == code).count();
    assert_eq!(refused(LoadRefusal::Mac1Invalid.code()), 3);
    assert_eq!(refused(LoadRefusal::DailyLimitExceeded.code()), 3);
    let approved = answers.iter().filter(|a| a.starts_with("approved"));
    assert_eq!(approved.count(), 18);
    let bad_tac = LoadConfirmation::Refused(jinka_clearing::RejectReason::BadTac);
    assert_eq!(confirmed.iter().filter(|c| **c == bad_tac).count(), 5);
    let posted = confirmed.iter().filter(|c| **c == LoadConfirmation::Posted);
    assert_eq!(posted.count(), 13);
}
