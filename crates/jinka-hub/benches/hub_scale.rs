//! The hub at the scale of the simulation's million cards, in process, over SQLite with
//! `synchronous = FULL` (the hub's pragmas, `CACHE_KIB` of page cache): `CARDS` cards
//! registered in one call (`Admin::register_cards`), `TERMINALS` terminals in one
//! (`Admin::register_terminals`),
//! then, as the seeded simulation drives the hub:
//! - acquirer batches of `BATCH` purchases of random cards (`Admin::upload_bulk_batch`), each
//!   purchase continuing its card's counter and balance chain;
//! - groups of `GROUP` loads of distinct random cards, authorized in one call and confirmed in
//!   one (`Admin::authorize_loads`, `Admin::confirm_loads`).
//!
//! The cards touched come in random order, so each record or load reads and writes b-tree
//! pages far apart, as at the simulation's scale. Prints microseconds per record and per load
//! over the timed part, after a warm-up batch and group. Run with
//! `cargo bench -p jinka-hub --bench hub_scale`; `JINKA_BENCH_CARDS`, `JINKA_BENCH_BATCHES`,
//! `JINKA_BENCH_BATCH`, `JINKA_BENCH_LOADS` and `JINKA_BENCH_GROUP` change the sizes;
//! `JINKA_BENCH_UPLOAD_GROUP` uploads that many batches a call (`Admin::upload_bulk_batches`,
//! group commit; 1, the default: `Admin::upload_bulk_batch` each).

use std::time::{Duration, Instant};

use jinka_card::{IssuerKeys, SeededEntropy};
use jinka_clearing::{LoadDecision, LoadRequest, RequestId};
use jinka_crypto::{Profile, diversify, tac_key};
use jinka_hub::admin_clearing::{BatchReply, ClearingKeys, LoadConfirmation};
use jinka_hub::{
    Admin, HubConfig, Limits, NewParticipant, NewTerminal, ParticipantId, Region, Role, Roles,
    TerminalId,
};
use jinka_record::{Date, Time, TransactionRecord};

mod support;

use support::{
    ISSUER_ID, Purchase, accepted_count, asn, bulk_body, from_env, load_mac1, load_tac,
    register_cards, signed_purchase, terminal_id,
};

const CARDS_DEFAULT: usize = 1_000_000;
const BATCHES_DEFAULT: usize = 5;
const BATCH_DEFAULT: usize = 100_000;
const LOADS_DEFAULT: usize = 100_000;
const GROUP_DEFAULT: usize = 256;
const TERMINALS: u32 = 20_000;
const START_BALANCE_FEN: u32 = 100_000_000;
const LOAD_AMOUNT_FEN: u32 = 100;

/// A xorshift generator: the same cards every run.
struct Draw(u64);

impl Draw {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

/// Where each card stands: the cards below `cards / 2` buy, the others load.
struct Cards {
    keys: IssuerKeys,
    count: usize,
    balances: Vec<u32>,
    offline_atc: Vec<u16>,
    loads: Vec<u16>,
    serials: Vec<u32>,
    draw: Draw,
}

impl Cards {
    fn purchase_card(&mut self) -> usize {
        self.draw.below(self.count / 2)
    }

    fn load_card(&mut self) -> usize {
        self.count / 2 + self.draw.below(self.count - self.count / 2)
    }

    /// A batch of `size` purchases of random cards.
    fn batch(&mut self, size: usize) -> Vec<TransactionRecord> {
        (0..size)
            .map(|_| {
                let card = self.purchase_card();
                let number = u32::try_from(card).unwrap();
                let atc = self.offline_atc[card];
                self.offline_atc[card] += 1;
                let amount_fen = 100 * (1 + (number + u32::from(atc)) % 20);
                // The acquirer's terminals are the even numbered ones.
                let terminal = 2 * ((number * 7 + u32::from(atc)) % (TERMINALS / 2));
                self.serials[terminal as usize] += 1;
                let key = tac_key(
                    Profile::Sm4,
                    &diversify(Profile::Sm4, &self.keys.tac, &asn(number)),
                );
                let record = signed_purchase(
                    &key,
                    Purchase {
                        card: number,
                        atc,
                        balance_before_fen: self.balances[card],
                        amount_fen,
                        terminal,
                        serial: self.serials[terminal as usize],
                    },
                );
                self.balances[card] -= amount_fen;
                record
            })
            .collect()
    }

    /// The next load of `card`, with its MAC1 (JR/T 0025 INITIALIZE FOR LOAD).
    fn load(&self, card: usize) -> LoadRequest {
        let number = u32::try_from(card).unwrap();
        let online_atc = self.loads[card];
        let balance_fen = LOAD_AMOUNT_FEN * u32::from(online_atc);
        let terminal = terminal_id(number % TERMINALS);
        let card_random = (number.wrapping_mul(31) ^ u32::from(online_atc)).to_be_bytes();
        let mac1 = load_mac1(
            &self.keys,
            &asn(number),
            online_atc,
            card_random,
            balance_fen,
            LOAD_AMOUNT_FEN,
            &terminal,
        );
        LoadRequest {
            request_id: RequestId::new(&format!("scale-{card}-{online_atc}")).unwrap(),
            issuer_id: jinka_clearing::IssuerId::new(ISSUER_ID),
            asn: jinka_clearing::Asn::new(asn(number)),
            key_version: self.keys.key_version,
            algorithm_id: Profile::Sm4.algorithm_id(),
            balance_before_fen: balance_fen,
            online_atc,
            card_random,
            mac1,
            amount_fen: LOAD_AMOUNT_FEN,
            terminal_id: jinka_clearing::TerminalId::new(terminal),
            date: Date::from_ymd(2026, 11, 27).unwrap(),
            time: Time::from_hms(10, 15, 0).unwrap(),
        }
    }

    /// The card's TAC over the approved load's record.
    fn tac_of(&self, decision: &LoadDecision) -> [u8; 4] {
        load_tac(&self.keys, decision)
    }
}

/// The network in `admin`'s data directory: the acquirer and the load agent.
fn network(admin: &Admin, keys: &IssuerKeys, cards: usize) -> (ParticipantId, ParticipantId) {
    let participant = |name: &str, role: Role| {
        let new = NewParticipant::new(name, Roles::new([role]).unwrap(), Region::new(310_000));
        admin.add_participant(new.unwrap()).unwrap().id
    };
    participant("Operator", Role::Operator);
    let issuer = participant("Issuer", Role::Issuer);
    let acquirer = participant("Acquirer", Role::Acquirer);
    let agent = participant("Load agent", Role::LoadAgent);
    admin.upload_issuer_keys(issuer, keys).unwrap();
    let start = Instant::now();
    let terminals = (0..TERMINALS)
        .map(|index| NewTerminal {
            terminal_id: TerminalId::new(terminal_id(index)),
            // The loads' terminals (those of the load agent) are the ones `load` names.
            owner: if index % 2 == 0 { acquirer } else { agent },
            region: Region::new(310_000),
        })
        .collect();
    admin.register_terminals(terminals).unwrap();
    println!(
        "{TERMINALS} terminals registered in {:.2?}",
        start.elapsed()
    );
    let start = Instant::now();
    let numbers = 0..u32::try_from(cards).unwrap();
    register_cards(admin, issuer, ISSUER_ID, numbers.map(asn));
    println!("{cards} cards registered in {:.2?}", start.elapsed());
    (acquirer, agent)
}

/// Uploads `batch` as batch `number`: the time it took.
fn upload(
    admin: &Admin,
    acquirer: ParticipantId,
    keys: &ClearingKeys,
    batch: &[TransactionRecord],
    number: usize,
) -> Duration {
    let body = bulk_body(&format!("scale-{number}"), batch);
    let start = Instant::now();
    let reply = admin.upload_bulk_batch(acquirer, &body, keys).unwrap();
    let elapsed = start.elapsed();
    let BatchReply::Decided(answer) = reply else {
        panic!("batch {number} not decided");
    };
    assert_eq!(accepted_count(answer.as_bytes()), batch.len() as u64);
    elapsed
}

/// Uploads `batches` (numbered from `first`) in one call (`Admin::upload_bulk_batches`, as
/// the batch committer takes the uploads waiting together): the time it took.
fn upload_together(
    admin: &Admin,
    acquirer: ParticipantId,
    keys: &ClearingKeys,
    batches: &[Vec<TransactionRecord>],
    first: usize,
) -> Duration {
    let bodies: Vec<Vec<u8>> = (first..)
        .zip(batches)
        .map(|(number, batch)| bulk_body(&format!("scale-{number}"), batch))
        .collect();
    let uploads: Vec<(ParticipantId, &[u8])> = bodies
        .iter()
        .map(|body| (acquirer, body.as_slice()))
        .collect();
    let start = Instant::now();
    let replies = admin.upload_bulk_batches(&uploads, keys);
    let elapsed = start.elapsed();
    for (reply, batch) in replies.into_iter().zip(batches) {
        let Ok(BatchReply::Decided(answer)) = reply else {
            panic!("a batch of the group not decided");
        };
        assert_eq!(accepted_count(answer.as_bytes()), batch.len() as u64);
    }
    elapsed
}

/// One group of `size` loads of distinct random cards of the load agent's terminals (odd
/// numbered): the time spent authorizing and confirming.
fn load_group(
    admin: &Admin,
    agent: ParticipantId,
    keys: &ClearingKeys,
    cards: &mut Cards,
    size: usize,
) -> (Duration, Duration) {
    let limits = Limits {
        daily_load_max_fen: 1_000_000_000,
        ..Limits::default()
    };
    let mut chosen = std::collections::HashSet::new();
    while chosen.len() < size {
        let card = cards.load_card();
        // Only cards whose terminal (card number modulo the terminals) is the agent's.
        if card % 2 == 1 {
            chosen.insert(card);
        }
    }
    let chosen: Vec<usize> = chosen.into_iter().collect();
    let loads: Vec<(ParticipantId, LoadRequest)> = chosen
        .iter()
        .map(|card| (agent, cards.load(*card)))
        .collect();
    let start = Instant::now();
    let decisions = admin.authorize_loads(&loads, &limits, keys).unwrap();
    let authorizing = start.elapsed();
    let confirmations: Vec<_> = loads
        .iter()
        .zip(&decisions)
        .map(|((requester, request), decision)| {
            let tac = cards.tac_of(decision.as_ref().unwrap());
            (*requester, request.request_id.clone(), tac)
        })
        .collect();
    let start = Instant::now();
    let answers = admin.confirm_loads(&confirmations, keys).unwrap();
    let confirming = start.elapsed();
    for answer in answers {
        assert_eq!(answer.unwrap(), LoadConfirmation::Posted);
    }
    for card in chosen {
        cards.loads[card] += 1;
    }
    (authorizing, confirming)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it as a smoke test.
    let smoke = !std::env::args().any(|argument| argument == "--bench");
    let size = |name, default, small| {
        if smoke {
            small
        } else {
            from_env(name, default)
        }
    };
    let card_count = size("JINKA_BENCH_CARDS", CARDS_DEFAULT, 2_000);
    let batches = size("JINKA_BENCH_BATCHES", BATCHES_DEFAULT, 1);
    let batch_size = size("JINKA_BENCH_BATCH", BATCH_DEFAULT, 500);
    let load_count = size("JINKA_BENCH_LOADS", LOADS_DEFAULT, 64);
    let group = size("JINKA_BENCH_GROUP", GROUP_DEFAULT, 32);
    let upload_group = size("JINKA_BENCH_UPLOAD_GROUP", 1, 2).max(1);
    let directory = tempfile::tempdir().unwrap();
    let config = HubConfig::new(directory.path().join("hub"), "127.0.0.1:0".parse().unwrap());
    let keys = IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(7));
    let admin = Admin::open(&config).unwrap();
    let (acquirer, agent) = network(&admin, &keys, card_count);
    let clearing_keys = admin.clearing_keys().unwrap();
    let mut cards = Cards {
        keys,
        count: card_count,
        balances: vec![START_BALANCE_FEN; card_count],
        offline_atc: vec![0; card_count],
        loads: vec![0; card_count],
        serials: vec![0; TERMINALS as usize],
        draw: Draw(0x9E37_79B9_7F4A_7C15),
    };
    // Warm-up: a batch and a group, untimed.
    let warm = cards.batch(batch_size);
    upload(&admin, acquirer, &clearing_keys, &warm, 0);
    load_group(&admin, agent, &clearing_keys, &mut cards, group);
    let mut ingesting = Duration::ZERO;
    let mut number = 1;
    while number <= batches {
        let together = upload_group.min(batches + 1 - number);
        let group: Vec<Vec<TransactionRecord>> =
            (0..together).map(|_| cards.batch(batch_size)).collect();
        ingesting += if upload_group == 1 {
            upload(&admin, acquirer, &clearing_keys, &group[0], number)
        } else {
            upload_together(&admin, acquirer, &clearing_keys, &group, number)
        };
        number += together;
    }
    let records = (batches * batch_size) as f64;
    println!(
        "hub_scale sqlite, {card_count} cards: {records} records in batches of {batch_size}, \
         {upload_group} a call: {:.1} us/record ({:.2} s)",
        ingesting.as_secs_f64() * 1e6 / records,
        ingesting.as_secs_f64(),
    );
    let (mut authorizing, mut confirming) = (Duration::ZERO, Duration::ZERO);
    let groups = load_count.div_ceil(group);
    for _ in 0..groups {
        let (a, c) = load_group(&admin, agent, &clearing_keys, &mut cards, group);
        authorizing += a;
        confirming += c;
    }
    let loads = (groups * group) as f64;
    println!(
        "hub_scale sqlite, {card_count} cards: {loads} loads in groups of {group}: authorize \
         {:.1} us/load ({:.2} s), confirm {:.1} us/load ({:.2} s)",
        authorizing.as_secs_f64() * 1e6 / loads,
        authorizing.as_secs_f64(),
        confirming.as_secs_f64() * 1e6 / loads,
        confirming.as_secs_f64(),
    );
}
