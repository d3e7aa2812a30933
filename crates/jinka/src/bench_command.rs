//! `jinka bench`: the network's hot paths at scale on this machine, each figure printed beside
//! the limit it runs against, in one run:
//!
//! - purchases a second through `Terminal::purchase` (card emulator, software SAM, terminal,
//!   in memory, one core) beside raw SM4 (blocks and key schedules a second, and the
//!   purchases a second the cipher work of a purchase allows);
//! - records a second ingested by the hub (bulk batches of 10,000 into a fresh SQLite data
//!   directory: TACs verified, deduplicated, cleared, committed) beside a bare insert of the
//!   same rows into the same engine with the hub's settings;
//! - seconds to close the settlement window holding them.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use jinka_card::{Card, Issuance, IssuerKeys, SeededEntropy, Template, issue};
use jinka_crypto::{Key16, MacKey, Profile};
use jinka_hub::admin_clearing::BatchReply;
use jinka_hub::{
    Admin, Asn, HubConfig, IssuerId, NewCard, NewParticipant, NewTerminal, Region, Role, Roles,
    TerminalId,
};
use jinka_record::{Date, Time, TransactionRecord};
use jinka_sam::{IssuerMasterKeys, KeyTable, MemoryStore, SamState, SoftwareSam};
use jinka_terminal::{LocalAuthorizer, MemoryJournal, Moment, Terminal};

use crate::BadInput;

/// Records a batch holds.
const BATCH_RECORDS: usize = 10_000;
/// Purchases each card makes.
const PURCHASES_PER_CARD: usize = 1_000;
/// Terminals the purchases are spread over.
const TERMINALS: usize = 10;
/// Most records a bench run makes (they are kept in memory).
const RECORDS_MAX: usize = 10_000_000;
/// What each card is loaded with first, in fen.
const LOAD_FEN: u32 = 100_000_000;
/// Bytes SM4 runs over per timed MAC.
const CIPHER_BUFFER_BYTES: usize = 1 << 20;
/// Key schedules timed.
const KEY_SCHEDULES: u32 = 200_000;
/// Cipher work of one purchase counted from the code (BENCHMARKS.md): the card's 3 key
/// schedules and 6 blocks, and about as much in the SAM (DPK, session key, MAC1, MAC2).
const PURCHASE_KEY_SCHEDULES: f64 = 6.0;
const PURCHASE_BLOCKS: f64 = 12.0;
const ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 0x01];

#[derive(Args)]
pub struct BenchArgs {
    /// Purchases made, then ingested (a multiple of 10,000 is best).
    #[arg(long, default_value_t = 100_000)]
    records: usize,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.records == 0 || args.records > RECORDS_MAX {
        return Err(BadInput(format!("--records must be from 1 to {RECORDS_MAX}")).into());
    }
    let keys = IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(5));
    let cards = args.records.div_ceil(PURCHASES_PER_CARD);
    println!(
        "jinka bench: {} purchases by {cards} sm4 cards over {TERMINALS} terminals, then ingested \
         in batches of {BATCH_RECORDS}",
        args.records
    );
    println!();
    let (records, purchase_time) = purchases(&keys, cards, args.records)?;
    let cipher = cipher();
    let purchases_per_second = args.records as f64 / purchase_time.as_secs_f64();
    let limit = 1.0
        / (PURCHASE_KEY_SCHEDULES / cipher.schedules_per_second
            + PURCHASE_BLOCKS / cipher.blocks_per_second);
    println!(
        "purchase (Terminal + SAM + card, in memory, one core)  {:>12.0} /s   limit: SM4 \
         {:.2} M blocks/s and {:.2} M key schedules/s allow {:.0} purchases/s ({} blocks + {} \
         schedules each)",
        purchases_per_second,
        cipher.blocks_per_second / 1e6,
        cipher.schedules_per_second / 1e6,
        limit,
        PURCHASE_BLOCKS,
        PURCHASE_KEY_SCHEDULES
    );
    let dir = tempfile::Builder::new()
        .prefix("jinka-bench-")
        .tempdir()
        .context("a temporary directory")?;
    let ingest = ingest(&dir.path().join("hub"), &keys, cards, &records)?;
    let bare = bare_insert(&dir.path().join("bare.sqlite3"), &records)?;
    println!(
        "ingest (hub, SQLite, bulk)                              {:>12.0} records/s   limit: \
         a bare insert of the same rows into the same engine {:.0} rows/s",
        records.len() as f64 / ingest.upload.as_secs_f64(),
        records.len() as f64 / bare.as_secs_f64()
    );
    println!(
        "settlement: close of the window holding {} records     {:>12.3} s   limit: the \
         target for 10,000,000 records is 30 s",
        ingest.accepted,
        ingest.close.as_secs_f64()
    );
    Ok(())
}

fn moment(serial: usize) -> Moment {
    let second = (serial % 60) as u8;
    let minute = (serial / 60 % 60) as u8;
    let hour = (8 + serial / 3_600 % 12) as u8;
    Moment {
        date: Date::from_ymd(2026, 12, 1).unwrap_or_else(|| unreachable!("a real date")),
        time: Time::from_hms(hour, minute, second).unwrap_or_else(|| unreachable!("a time")),
    }
}

fn asn(card: usize) -> [u8; 8] {
    (0x3104_0100_0000_0000u64 + card as u64).to_be_bytes()
}

fn terminal_id(index: usize) -> [u8; 6] {
    [0, 0x20, 0, 0, 0, index as u8 + 1]
}

/// Issues and loads `cards` cards, then times `count` purchases of 1 fen spread over the
/// terminals: the records, in the order they were made, and the time.
fn purchases(
    keys: &IssuerKeys,
    cards: usize,
    count: usize,
) -> anyhow::Result<(Vec<TransactionRecord>, Duration)> {
    let mut wallet = Vec::with_capacity(cards);
    let mut top_up = terminal(keys, [0, 0x40, 0, 0, 0, 1])?;
    let mut authorizer = LocalAuthorizer::new(vec![keys.clone()]);
    for card in 0..cards {
        let issuance = Issuance {
            asn: asn(card),
            start_date: [0x20, 0x26, 0x01, 0x01],
            expiry_date: [0x20, 0x36, 0x12, 0x31],
        };
        let nvm = issue(keys, &issuance, &[(Template::EPurse, keys)])?;
        let mut chip = Card::new(nvm, SeededEntropy::new(card as u64));
        top_up.load(&mut chip, &mut authorizer, LOAD_FEN, moment(0))?;
        wallet.push(chip);
    }
    let mut terminals = (0..TERMINALS)
        .map(|index| terminal(keys, terminal_id(index)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = Instant::now();
    for serial in 0..count {
        let card = &mut wallet[serial % cards];
        let terminal = &mut terminals[serial / cards % TERMINALS];
        terminal.purchase(card, 1, moment(serial))?;
    }
    let elapsed = started.elapsed();
    let mut records = Vec::with_capacity(count);
    let mut journals: Vec<_> = terminals
        .iter_mut()
        .map(|terminal| std::mem::take(&mut terminal.journal_mut().records).into_iter())
        .collect();
    // In the order they were made: terminal by terminal as the cards went round.
    for serial in 0..count {
        let index = serial / cards % TERMINALS;
        if let Some(record) = journals[index].next() {
            records.push(record);
        }
    }
    Ok((records, elapsed))
}

type BenchTerminal = Terminal<SoftwareSam<MemoryStore>, MemoryJournal>;

fn terminal(keys: &IssuerKeys, id: [u8; 6]) -> anyhow::Result<BenchTerminal> {
    let table = KeyTable::new(vec![IssuerMasterKeys::from(keys)])?;
    let sam = SoftwareSam::new(SamState::new(id, table), MemoryStore::new())
        .with_serial_block(jinka_sam::SERIAL_BLOCK_MAX);
    Ok(Terminal::new(sam, MemoryJournal::default()))
}

struct Cipher {
    blocks_per_second: f64,
    schedules_per_second: f64,
}

/// SM4 alone: a CBC chain over a buffer (each block depends on the last), and key schedules.
fn cipher() -> Cipher {
    let key = Key16::new([0x5A; 16]);
    let mac = MacKey::sm4(&key);
    let buffer = vec![0xA5u8; CIPHER_BUFFER_BYTES];
    let rounds = 8;
    let started = Instant::now();
    let mut sink = 0u8;
    for _ in 0..rounds {
        sink ^= mac.mac(&[&buffer])[0];
    }
    let blocks = (rounds * (CIPHER_BUFFER_BYTES / 16 + 1)) as f64;
    let blocks_per_second = blocks / started.elapsed().as_secs_f64();
    // Timed alone (the key made and dropped, as in a purchase), not as the difference of
    // two timings: a difference swings with what else runs on the machine (it once printed
    // 106 M schedules a second, against about 6 M when timed alone).
    let keys: Vec<Key16> = (0..=u8::MAX)
        .map(|byte| Key16::new([byte ^ sink; 16]))
        .collect();
    let started = Instant::now();
    for key in keys.iter().cycle().take(KEY_SCHEDULES as usize) {
        std::hint::black_box(MacKey::sm4(std::hint::black_box(key)));
    }
    let schedules_per_second = f64::from(KEY_SCHEDULES) / started.elapsed().as_secs_f64();
    Cipher {
        blocks_per_second,
        schedules_per_second,
    }
}

struct Ingested {
    upload: Duration,
    close: Duration,
    accepted: u64,
}

/// A fresh hub in `data` with the issuer, an acquirer, its terminals and the cards, then the
/// records uploaded in batches (timed) and the window closed (timed).
fn ingest(
    data: &Path,
    keys: &IssuerKeys,
    cards: usize,
    records: &[TransactionRecord],
) -> anyhow::Result<Ingested> {
    let mut config = HubConfig::new(data, "127.0.0.1:0".parse()?);
    config.kek = Some(crate::sim_command::random_key()?);
    let admin = Admin::open(&config)?;
    let region = Region::new(370_100);
    let new = |name: &str, role| -> anyhow::Result<NewParticipant> {
        Ok(NewParticipant::new(name, Roles::new([role])?, region)?)
    };
    admin.add_participant(new("Network operator", Role::Operator)?)?;
    let issuer = admin.add_participant(new("Issuer", Role::Issuer)?)?;
    let acquirer = admin.add_participant(new("Acquirer", Role::Acquirer)?)?;
    admin.upload_issuer_keys(issuer.id, keys)?;
    for index in 0..TERMINALS {
        admin.register_terminal(NewTerminal {
            terminal_id: TerminalId::new(terminal_id(index)),
            owner: acquirer.id,
            region,
        })?;
    }
    for card in 0..cards {
        admin.register_card(NewCard::new(
            Asn::new(asn(card)),
            issuer.id,
            IssuerId::new(ISSUER_ID),
            Profile::Sm4,
            Vec::new(),
        )?)?;
    }
    let clearing_keys = admin.clearing_keys()?;
    let mut accepted = 0u64;
    let started = Instant::now();
    for (number, batch) in records.chunks(BATCH_RECORDS).enumerate() {
        let id = format!("BENCH-{number:06}");
        let mut body = vec![id.len() as u8];
        body.extend_from_slice(id.as_bytes());
        for record in batch {
            body.extend_from_slice(&record.encode());
        }
        let BatchReply::Decided(answer) =
            admin.upload_bulk_batch(acquirer.id, &body, &clearing_keys)?
        else {
            bail!("batch {id} was not decided");
        };
        let answer: serde_json::Value = serde_json::from_str(&answer)?;
        accepted += answer["accepted"].as_u64().unwrap_or_default();
    }
    let upload = started.elapsed();
    if accepted != records.len() as u64 {
        bail!("the hub accepted {accepted} of {} records", records.len());
    }
    let started = Instant::now();
    admin.close_settlement_window()?;
    Ok(Ingested {
        upload,
        close: started.elapsed(),
        accepted,
    })
}

/// The same rows into a bare table of the same engine, laid out as the hub keeps accepted
/// records (rows in arrival order, migration 012; a load unique by its dedupe key, a purchase
/// by its identity, migration 016), with the hub's settings (WAL, `synchronous = FULL`, its
/// cache and checkpoint interval), one transaction per batch.
fn bare_insert(path: &Path, records: &[TransactionRecord]) -> anyhow::Result<Duration> {
    let mut connection = rusqlite::Connection::open(path)?;
    let _: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "cache_size", -jinka_hub::CACHE_KIB)?;
    connection.pragma_update(None, "wal_autocheckpoint", jinka_hub::WAL_CHECKPOINT_PAGES)?;
    connection.execute_batch(
        "CREATE TABLE records (id INTEGER PRIMARY KEY, asn BLOB NOT NULL,
             counter_kind INTEGER NOT NULL, atc INTEGER NOT NULL, terminal_id BLOB NOT NULL,
             terminal_serial INTEGER, record BLOB NOT NULL) STRICT;
         CREATE UNIQUE INDEX records_loads ON records (asn, atc) WHERE counter_kind = 1;
         CREATE UNIQUE INDEX records_purchases ON records (terminal_id, terminal_serial, asn)
             WHERE counter_kind = 0;",
    )?;
    let started = Instant::now();
    for batch in records.chunks(BATCH_RECORDS) {
        let transaction = connection.transaction()?;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO records (asn, counter_kind, atc, terminal_id, terminal_serial, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for record in batch {
                let kind: i64 = match record.counter_kind() {
                    jinka_record::CounterKind::Offline => 0,
                    jinka_record::CounterKind::Online => 1,
                };
                insert.execute(rusqlite::params![
                    record.asn().as_slice(),
                    kind,
                    record.atc(),
                    record.terminal_id().as_slice(),
                    record.terminal_serial(),
                    record.encode().as_slice(),
                ])?;
            }
        }
        transaction.commit()?;
    }
    Ok(started.elapsed())
}
