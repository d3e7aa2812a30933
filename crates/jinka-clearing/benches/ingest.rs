//! Deciding a batch of 10,000 purchase records from 1,000 cards (10 each, interleaved as a
//! busy acquirer's terminals would upload them), TAC verification included; and the TAC
//! verification alone, from a cached TAC key and derived afresh.
//!
//! Per-record time = reported time / 10,000 (criterion prints it as throughput in elements).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jinka_clearing::{
    Asn, Batch, BatchId, CardEntry, IssuerId, KeyId, KeyStore, MasterKeys, MemoryKeyStore,
    MemoryView, ParticipantId, Region, TerminalEntry, TerminalId, UploadedRecord, decide_batch,
};
use jinka_crypto::{Key16, Profile, diversify, mac_eq, tac_key};
use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};

const CARDS: u64 = 1_000;
const RECORDS_PER_CARD: u16 = 10;
const ISSUER_ID: IssuerId = IssuerId::new([0x31, 0x04, 0, 0, 0, 0, 0, 1]);
const ACQUIRER: ParticipantId = ParticipantId::new(2);
const TERMINALS: u32 = 50;
const TAC_MASTER: &str = "0F1E2D3C4B5A69788796A5B4C3D2E1F0";

fn keys(profile: Profile) -> MemoryKeyStore {
    MemoryKeyStore::new([MasterKeys {
        issuer_id: ISSUER_ID,
        key_version: 1,
        profile,
        load: Key16::from_hex("A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8").unwrap(),
        tac: Key16::from_hex(TAC_MASTER).unwrap(),
    }])
    .unwrap()
}

fn terminal(index: u32) -> TerminalId {
    let [a, b, c, d] = index.to_be_bytes();
    TerminalId::new([0, 0x20, a, b, c, d])
}

/// The hub: the cards (fresh) and the acquirer's terminals.
fn view(profile: Profile) -> MemoryView {
    let mut view = MemoryView::new();
    for card in 0..CARDS {
        let asn = Asn::new((0x3104_0000_0000_0000 + card).to_be_bytes());
        view.insert_card(CardEntry::issued(
            asn,
            ParticipantId::new(1),
            ISSUER_ID,
            profile,
        ));
    }
    for index in 0..TERMINALS {
        view.insert_terminal(TerminalEntry {
            terminal_id: terminal(index),
            owner: ACQUIRER,
            region: Region::new(310_000),
        });
    }
    view
}

/// Round by round, each card makes one purchase of 1 to 20 yuan, at one of the terminals.
fn records(profile: Profile) -> Vec<UploadedRecord> {
    let master = Key16::from_hex(TAC_MASTER).unwrap();
    let tac_keys: Vec<_> = (0..CARDS)
        .map(|card| {
            let asn = (0x3104_0000_0000_0000 + card).to_be_bytes();
            (asn, tac_key(profile, &diversify(profile, &master, &asn)))
        })
        .collect();
    let mut balances = vec![50_000u32; tac_keys.len()];
    let mut serials = vec![0u32; TERMINALS as usize];
    let mut records = Vec::new();
    for atc in 0..RECORDS_PER_CARD {
        for (index, (asn, key)) in tac_keys.iter().enumerate() {
            let amount_fen = 100 * (1 + (index as u32 + u32::from(atc)) % 20);
            let terminal_index = (index as u32 * 7 + u32::from(atc)) % TERMINALS;
            let serial = &mut serials[terminal_index as usize];
            *serial += 1;
            let mut fields = RecordFields {
                asn: *asn,
                issuer_id: ISSUER_ID.bytes(),
                kind: TransactionKind::Purchase,
                amount_fen,
                balance_before_fen: balances[index],
                atc,
                terminal_id: terminal(terminal_index).bytes(),
                terminal_serial: Some(*serial),
                date: Date::from_ymd(2026, 11, 27).unwrap(),
                time: Time::from_hms(8, 30, (atc % 60) as u8).unwrap(),
                key_version: 1,
                algorithm_id: profile.algorithm_id(),
                tac: [0; 4],
            };
            let unsigned = TransactionRecord::new(fields).unwrap();
            fields.tac = key.mac(&[unsigned.tac_input().as_bytes()]);
            balances[index] -= amount_fen;
            records.push(Ok(TransactionRecord::new(fields).unwrap()));
        }
    }
    records
}

fn decide(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide_batch");
    group.sample_size(20);
    for profile in [Profile::Sm4, Profile::Des3] {
        let view = view(profile);
        let records = records(profile);
        group.throughput(Throughput::Elements(records.len() as u64));
        let id = BatchId::new("bench").unwrap();
        let batch = Batch {
            id: &id,
            acquirer: ACQUIRER,
            records: &records,
        };
        let warm = keys(profile);
        let outcome = decide_batch(&batch, &view, &warm).unwrap();
        assert_eq!(outcome.summary.accepted as usize, records.len());
        assert_eq!(outcome.summary.flagged, [0, 0, 0]);
        let name = profile.name();
        group.bench_function(
            format!("10k_{name}_purchases_1k_cards/warm_tac_keys"),
            |b| b.iter(|| decide_batch(black_box(&batch), &view, &warm).unwrap()),
        );
        group.bench_function(
            format!("10k_{name}_purchases_1k_cards/cold_tac_keys"),
            |b| {
                b.iter_batched(
                    || keys(profile),
                    |cold| decide_batch(black_box(&batch), &view, &cold).unwrap(),
                    BatchSize::LargeInput,
                )
            },
        );
        // A re-upload: every record a duplicate (still TAC-verified first).
        let mut applied = view.clone();
        applied.apply(&records, &outcome).unwrap();
        group.bench_function(format!("10k_{name}_purchases_1k_cards/reupload"), |b| {
            b.iter(|| decide_batch(black_box(&batch), &applied, &warm).unwrap())
        });
    }
    group.finish();
}

fn verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify_tac");
    for profile in [Profile::Sm4, Profile::Des3] {
        let records = records(profile);
        let Ok(record) = records[0] else {
            unreachable!()
        };
        let store = keys(profile);
        let key = KeyId {
            issuer_id: ISSUER_ID,
            key_version: 1,
            profile,
        };
        let asn = Asn::new(record.asn());
        let input = record.tac_input();
        let name = profile.name();
        group.bench_function(format!("{name}/key_store_cached"), |b| {
            b.iter(|| {
                store
                    .verify_tac(&key, asn, black_box(input.as_bytes()), &record.tac())
                    .unwrap()
            })
        });
        let master = Key16::from_hex(TAC_MASTER).unwrap();
        group.bench_function(format!("{name}/derive_and_verify"), |b| {
            b.iter(|| {
                let dtk = diversify(profile, &master, black_box(&record.asn()));
                let mac = tac_key(profile, &dtk).mac(&[input.as_bytes()]);
                mac_eq(&mac, &record.tac())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decide, verify);
criterion_main!(benches);
