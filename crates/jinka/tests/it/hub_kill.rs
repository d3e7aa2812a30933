//! Killing the hub during ingest (SIGKILL, the process gets no chance to clean up) loses no
//! acknowledged batch and keeps no half batch (`hub.md`, invariant 3).
//!
//! The test streams large bulk batches to `jinka hub serve` from a thread and kills the
//! process while a batch is in flight, three times over, restarting the hub on the same data
//! directory each time. After each restart it probes every batch sent so far by uploading
//! its records again under a new batch id: a batch the hub acknowledged must come back all
//! `duplicate` (nothing lost); the batch in flight at the kill must come back all duplicate
//! or all accepted (kept whole or not at all, never half). At the end every acknowledged
//! batch, re-uploaded under its own id, gives the hub's first answer word for word.

use std::sync::mpsc;
use std::time::Duration;

use jinka_card::{IssuerKeys, SeededEntropy};
use jinka_crypto::{MacKey, Profile, diversify, tac_key};
use jinka_hub::{
    Admin, Asn, HubConfig, IssuerId, NewCard, NewParticipant, NewTerminal, Region, Role, Roles,
    TerminalId,
};
use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
use serde_json::Value;

use crate::hub::{Hub, serve};

const CARDS: u32 = 400;
/// Purchases per card in one batch: batches of 4 000 records take long enough to ingest
/// (every TAC verified, every record cleared) for a kill to land inside one.
const ROUNDS_PER_BATCH: u16 = 10;
const TERMINALS: u32 = 8;
const KILLS: usize = 3;
const ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 7];
const START_BALANCE_FEN: u32 = 10_000_000;
const UPLOAD_TIMEOUT_MS: u64 = 120_000;

fn asn(card: u32) -> [u8; 8] {
    (0x3104_0000_0700_0000u64 + u64::from(card)).to_be_bytes()
}

fn terminal_id(index: u32) -> [u8; 6] {
    let [a, b, c, d] = index.to_be_bytes();
    [0, 0x70, a, b, c, d]
}

/// The cards' purchases, batch after batch, each continuing the counters and balances.
struct Purchases {
    tac_keys: Vec<MacKey>,
    balances: Vec<u32>,
    next_atc: u16,
    serials: Vec<u32>,
}

impl Purchases {
    fn new(keys: &IssuerKeys) -> Purchases {
        Purchases {
            tac_keys: (0..CARDS)
                .map(|card| {
                    tac_key(
                        Profile::Sm4,
                        &diversify(Profile::Sm4, &keys.tac, &asn(card)),
                    )
                })
                .collect(),
            balances: vec![START_BALANCE_FEN; CARDS as usize],
            next_atc: 0,
            serials: vec![0; TERMINALS as usize],
        }
    }

    fn batch(&mut self) -> Vec<TransactionRecord> {
        let mut records = Vec::new();
        for _ in 0..ROUNDS_PER_BATCH {
            let atc = self.next_atc;
            self.next_atc += 1;
            for card in 0..CARDS {
                let index = card as usize;
                let amount_fen = 100 + (card + u32::from(atc)) % 50;
                let terminal = (card + u32::from(atc)) % TERMINALS;
                self.serials[terminal as usize] += 1;
                let mut fields = RecordFields {
                    asn: asn(card),
                    issuer_id: ISSUER_ID,
                    kind: TransactionKind::Purchase,
                    amount_fen,
                    balance_before_fen: self.balances[index],
                    atc,
                    terminal_id: terminal_id(terminal),
                    terminal_serial: Some(self.serials[terminal as usize]),
                    date: Date::from_ymd(2026, 11, 27).unwrap(),
                    time: Time::from_hms(9, (atc / 60 % 60) as u8, (atc % 60) as u8).unwrap(),
                    key_version: 1,
                    algorithm_id: Profile::Sm4.algorithm_id(),
                    tac: [0; 4],
                };
                let unsigned = TransactionRecord::new(fields).unwrap();
                fields.tac = self.tac_keys[index].mac(&[unsigned.tac_input().as_bytes()]);
                self.balances[index] -= amount_fen;
                records.push(TransactionRecord::new(fields).unwrap());
            }
        }
        records
    }
}

/// Registers the operator, the issuer with its keys, the acquirer with its terminals and the
/// cards in the data directory, as `jinka hub ...` would: the acquirer's API key.
fn register(data: &str, keys: &IssuerKeys) -> String {
    let config = HubConfig::new(data, "127.0.0.1:0".parse().unwrap());
    let admin = Admin::open(&config).unwrap();
    let participant = |name: &str, role: Role| {
        let new = NewParticipant::new(name, Roles::new([role]).unwrap(), Region::new(310_000));
        admin.add_participant(new.unwrap()).unwrap().id
    };
    participant("Operator", Role::Operator);
    let issuer = participant("Issuer", Role::Issuer);
    let acquirer = participant("Acquirer", Role::Acquirer);
    admin.upload_issuer_keys(issuer, keys).unwrap();
    for index in 0..TERMINALS {
        let terminal = NewTerminal {
            terminal_id: TerminalId::new(terminal_id(index)),
            owner: acquirer,
            region: Region::new(310_000),
        };
        admin.register_terminal(terminal).unwrap();
    }
    for card in 0..CARDS {
        let new = NewCard::new(
            Asn::new(asn(card)),
            issuer,
            IssuerId::new(ISSUER_ID),
            Profile::Sm4,
            Vec::new(),
        );
        admin.register_card(new.unwrap()).unwrap();
    }
    let key = admin
        .create_credential(acquirer, "kill-test")
        .unwrap()
        .api_key;
    key.expose().to_string()
}

fn bulk_body(batch_id: &str, records: &[TransactionRecord]) -> Vec<u8> {
    let mut body = vec![u8::try_from(batch_id.len()).unwrap()];
    body.extend_from_slice(batch_id.as_bytes());
    for record in records {
        body.extend_from_slice(&record.encode());
    }
    body
}

/// Uploads a bulk batch: the answer's text, or why no answer came.
fn upload(url: &str, api_key: &str, body: &[u8]) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(UPLOAD_TIMEOUT_MS)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(&format!("{url}/v1/batches/bulk"))
        .header("Authorization", &format!("Bearer {api_key}"))
        .content_type("application/octet-stream")
        .send(body)
        .map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|error| error.to_string())?;
    assert_eq!(status, 200, "the hub refused a batch: {text}");
    Ok(text)
}

fn counts(answer: &str) -> (u64, u64) {
    let value: Value = serde_json::from_str(answer).unwrap();
    (
        value["accepted"].as_u64().unwrap(),
        value["rejected"].as_u64().unwrap(),
    )
}

/// A batch the test made: its id, body, records and the hub's first answer, if one came.
struct Sent {
    id: String,
    records: Vec<TransactionRecord>,
    body: Vec<u8>,
    answer: Option<String>,
}

/// Streams batches from a thread until the hub stops answering; kills the hub while the
/// batch after the `acknowledged_before_kill`-th is in flight. The batches sent.
fn stream_and_kill(
    hub: &mut Hub,
    api_key: &str,
    purchases: &mut Purchases,
    first_batch: usize,
    acknowledged_before_kill: usize,
) -> Vec<Sent> {
    let (in_flight_sender, in_flight) = mpsc::channel::<usize>();
    let (done_sender, done) = mpsc::channel::<Vec<Sent>>();
    let mut bodies = Vec::new();
    // Made up front: the kill must land while the hub ingests, not while the test signs.
    for number in first_batch..first_batch + acknowledged_before_kill + 3 {
        let id = format!("K-{number:04}");
        let records = purchases.batch();
        let body = bulk_body(&id, &records);
        bodies.push((id, records, body));
    }
    let url = hub.url.clone();
    let key = api_key.to_owned();
    let uploader = std::thread::spawn(move || {
        let mut sent = Vec::new();
        for (position, (id, records, body)) in bodies.into_iter().enumerate() {
            let _ = in_flight_sender.send(position);
            let answer = upload(&url, &key, &body).ok();
            let stopped = answer.is_none();
            sent.push(Sent {
                id,
                records,
                body,
                answer,
            });
            if stopped {
                break;
            }
        }
        let _ = done_sender.send(sent);
    });
    // Wait until the batch after the acknowledged ones is on its way, let the hub get into
    // it, and kill it.
    while let Ok(position) = in_flight.recv() {
        if position == acknowledged_before_kill {
            std::thread::sleep(Duration::from_millis(40));
            break;
        }
    }
    hub.child.kill().unwrap();
    hub.child.wait().unwrap();
    uploader.join().unwrap();
    done.recv().unwrap()
}

#[test]
fn killing_the_hub_during_ingest_loses_no_acknowledged_batch_and_keeps_no_half_batch() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub").to_str().unwrap().to_owned();
    let keys = IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(77));
    let api_key = register(&data, &keys);
    let mut purchases = Purchases::new(&keys);
    let mut all: Vec<Sent> = Vec::new();
    let mut hub = serve(&data);
    let mut cut_short = 0;
    for kill in 0..KILLS {
        let sent = stream_and_kill(&mut hub, &api_key, &mut purchases, all.len(), 1 + kill);
        all.extend(sent);
        hub = serve(&data);
        for (number, batch) in all.iter_mut().enumerate() {
            let probe = bulk_body(&format!("P-{kill}-{number:04}"), &batch.records);
            let (accepted, rejected) = counts(&upload(&hub.url, &api_key, &probe).unwrap());
            let records = batch.records.len() as u64;
            match &batch.answer {
                Some(answer) => {
                    assert_eq!(counts(answer), (records, 0), "batch {}", batch.id);
                    assert_eq!(
                        (accepted, rejected),
                        (0, records),
                        "acknowledged batch {} lost records across the kill",
                        batch.id
                    );
                }
                None => {
                    // Kept whole (all duplicate) or not at all (the probe itself now
                    // accepted every record): never a mix.
                    assert!(
                        (accepted, rejected) == (0, records)
                            || (accepted, rejected) == (records, 0),
                        "batch {} in flight at the kill was kept in part: {accepted} \
                         accepted, {rejected} duplicate on the probe",
                        batch.id
                    );
                    if accepted == records {
                        cut_short += 1;
                    }
                    // Its records are in now, through the probe or the batch itself.
                    batch.answer = Some(format!(
                        "{{\"accepted\":{records},\"rejected\":0,\"in_flight\":true}}"
                    ));
                }
            }
        }
    }
    // The kills happened during the stream: each left a batch unanswered.
    let unanswered = all
        .iter()
        .filter(|batch| {
            batch
                .answer
                .as_deref()
                .is_some_and(|a| a.contains("in_flight"))
        })
        .count();
    assert_eq!(unanswered, KILLS, "each kill cut one upload short");
    eprintln!(
        "hub kill test: {} batches of {} records, {KILLS} kills, {cut_short} in-flight \
         batches rolled back whole, {} committed whole before the answer was sent",
        all.len(),
        CARDS * u32::from(ROUNDS_PER_BATCH),
        KILLS - cut_short
    );
    for batch in &all {
        let again = upload(&hub.url, &api_key, &batch.body).unwrap();
        match batch.answer.as_deref() {
            Some(first) if !first.contains("in_flight") => {
                assert_eq!(again, first, "batch {} answered differently", batch.id)
            }
            _ => {
                // Re-uploading the in-flight batch under its id: if it had been kept, the
                // first decisions (all accepted); if not, every record is now duplicate
                // (the probe took them). Either way nothing is accepted twice.
                let (accepted, rejected) = counts(&again);
                let records = batch.records.len() as u64;
                assert_eq!(accepted + rejected, records, "batch {}", batch.id);
            }
        }
    }
}
