//! Online loads authorized and confirmed in groups, in process (`Admin::authorize_loads`,
//! `Admin::confirm_loads`, as the seeded simulation drives them), over SQLite with
//! `synchronous = FULL`: `CARDS` cards, each loaded once per round, `GROUP` loads (each of
//! another card) a call.
//!
//! Prints microseconds per authorization and per confirmation over the timed rounds, after
//! a warm-up round. Run with `cargo bench -p jinka-hub --bench load_groups`;
//! `JINKA_BENCH_CARDS`, `JINKA_BENCH_ROUNDS` and `JINKA_BENCH_GROUP` change the sizes.

use std::time::{Duration, Instant};

mod support;

use jinka_card::{IssuerKeys, SeededEntropy};
use jinka_clearing::{LoadDecision, LoadRequest, RequestId};
use jinka_crypto::Profile;
use jinka_hub::admin_clearing::LoadConfirmation;
use jinka_hub::{
    Admin, HubConfig, Limits, NewParticipant, NewTerminal, ParticipantId, Region, Role, Roles,
    TerminalId,
};
use jinka_record::{Date, Time};
use support::{from_env, load_mac1, load_tac, register_cards};

const CARDS_DEFAULT: usize = 20_000;
const ROUNDS_DEFAULT: usize = 2;
const GROUP_DEFAULT: usize = 256;
const TERMINALS: u32 = 20;
const ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 7];
const AMOUNT_FEN: u32 = 100;

fn asn(card: usize) -> [u8; 8] {
    (0x3104_0000_0700_0000u64 + card as u64).to_be_bytes()
}

fn terminal_id(index: u32) -> [u8; 6] {
    let [a, b, c, d] = index.to_be_bytes();
    [0, 0x70, a, b, c, d]
}

/// The network in `admin`'s data directory: the load agent.
fn network(admin: &Admin, keys: &IssuerKeys, cards: usize) -> ParticipantId {
    let participant = |name: &str, role: Role| {
        let new = NewParticipant::new(name, Roles::new([role]).unwrap(), Region::new(310_000));
        admin.add_participant(new.unwrap()).unwrap().id
    };
    participant("Operator", Role::Operator);
    let issuer = participant("Issuer", Role::Issuer);
    let agent = participant("Load agent", Role::LoadAgent);
    admin.upload_issuer_keys(issuer, keys).unwrap();
    for index in 0..TERMINALS {
        admin
            .register_terminal(NewTerminal {
                terminal_id: TerminalId::new(terminal_id(index)),
                owner: agent,
                region: Region::new(310_000),
            })
            .unwrap();
    }
    register_cards(admin, issuer, ISSUER_ID, (0..cards).map(asn));
    agent
}

/// Round `round`'s load of `card` (online ATC `round`, the balance of the loads before),
/// with the card's MAC1 (JR/T 0025 INITIALIZE FOR LOAD).
fn load(keys: &IssuerKeys, card: usize, round: usize) -> LoadRequest {
    let online_atc = u16::try_from(round).unwrap();
    let balance_fen = AMOUNT_FEN * u32::try_from(round).unwrap();
    let terminal = terminal_id(u32::try_from(card).unwrap() % TERMINALS);
    let card_random = u32::try_from(card * 31 + round).unwrap().to_be_bytes();
    let mac1 = load_mac1(
        keys,
        &asn(card),
        online_atc,
        card_random,
        balance_fen,
        AMOUNT_FEN,
        &terminal,
    );
    LoadRequest {
        request_id: RequestId::new(&format!("bench-{round}-{card}")).unwrap(),
        issuer_id: jinka_clearing::IssuerId::new(ISSUER_ID),
        asn: jinka_clearing::Asn::new(asn(card)),
        key_version: keys.key_version,
        algorithm_id: Profile::Sm4.algorithm_id(),
        balance_before_fen: balance_fen,
        online_atc,
        card_random,
        mac1,
        amount_fen: AMOUNT_FEN,
        terminal_id: jinka_clearing::TerminalId::new(terminal),
        date: Date::from_ymd(2026, 11, 27).unwrap(),
        time: Time::from_hms(10, 15, 0).unwrap(),
    }
}

/// The card's TAC over the approved load's record.
fn tac_of(keys: &IssuerKeys, decision: &LoadDecision) -> [u8; 4] {
    load_tac(keys, decision)
}

/// One round: every card loaded once, `group` loads a call; the time spent authorizing and
/// confirming.
fn round(
    admin: &Admin,
    agent: ParticipantId,
    keys: &IssuerKeys,
    cards: usize,
    group: usize,
    number: usize,
) -> (Duration, Duration) {
    let limits = Limits {
        daily_load_max_fen: 1_000_000_000,
        ..Limits::default()
    };
    let clearing_keys = admin.clearing_keys().unwrap();
    let (mut authorizing, mut confirming) = (Duration::ZERO, Duration::ZERO);
    let cards: Vec<usize> = (0..cards).collect();
    for chunk in cards.chunks(group) {
        let loads: Vec<(ParticipantId, LoadRequest)> = chunk
            .iter()
            .map(|card| (agent, load(keys, *card, number)))
            .collect();
        let start = Instant::now();
        let decisions = admin
            .authorize_loads(&loads, &limits, &clearing_keys)
            .unwrap();
        authorizing += start.elapsed();
        let confirmations: Vec<_> = loads
            .iter()
            .zip(&decisions)
            .map(|((requester, request), decision)| {
                let tac = tac_of(keys, decision.as_ref().unwrap());
                (*requester, request.request_id.clone(), tac)
            })
            .collect();
        let start = Instant::now();
        let answers = admin.confirm_loads(&confirmations, &clearing_keys).unwrap();
        confirming += start.elapsed();
        for answer in answers {
            assert_eq!(answer.unwrap(), LoadConfirmation::Posted);
        }
    }
    (authorizing, confirming)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it as a smoke test.
    let smoke = !std::env::args().any(|argument| argument == "--bench");
    let cards = if smoke {
        300
    } else {
        from_env("JINKA_BENCH_CARDS", CARDS_DEFAULT)
    };
    let rounds = if smoke {
        1
    } else {
        from_env("JINKA_BENCH_ROUNDS", ROUNDS_DEFAULT)
    };
    let group = from_env("JINKA_BENCH_GROUP", GROUP_DEFAULT);
    let directory = tempfile::tempdir().unwrap();
    let config = HubConfig::new(directory.path().join("hub"), "127.0.0.1:0".parse().unwrap());
    let keys = IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(7));
    let admin = Admin::open(&config).unwrap();
    let agent = network(&admin, &keys, cards);
    round(&admin, agent, &keys, cards, group, 0);
    let (mut authorizing, mut confirming) = (Duration::ZERO, Duration::ZERO);
    for number in 1..=rounds {
        let (a, c) = round(&admin, agent, &keys, cards, group, number);
        authorizing += a;
        confirming += c;
    }
    let loads = (cards * rounds) as f64;
    println!(
        "load_groups sqlite: {loads} loads in groups of {group}: authorize {:.1} us/load \
         ({:.2} s), confirm {:.1} us/load ({:.2} s)",
        authorizing.as_secs_f64() * 1e6 / loads,
        authorizing.as_secs_f64(),
        confirming.as_secs_f64() * 1e6 / loads,
        confirming.as_secs_f64(),
    );
}
