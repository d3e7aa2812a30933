//! End-to-end in-process purchases: terminal + software SAM + card emulator, both profiles,
//! with the records written to a real record store in group commits.
//!
//! Each purchase is a whole tap: directory, SELECT, READ BINARY EF 0x15, INITIALIZE, SAM MAC1,
//! DEBIT, SAM MAC2 check, record append. The SAM is a file-backed software SAM (each block of
//! `SERIAL_BLOCK` serials is fsynced before its first is used); the record store commits (write + fdatasync) every
//! `GROUP_RECORDS` purchases, and a multi-lane terminal would release those approvals after
//! that commit. Pending markers are held in memory here (see BENCHMARKS.md).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use jinka_card::{Card, Issuance, IssuerKeys, Purse, SeededEntropy, Template, issue};
use jinka_crypto::Profile;
use jinka_record::{Date, Time, TransactionRecord};
use jinka_record_store::RecordStore;
use jinka_sam::{IssuerMasterKeys, KeyTable, SamFile, SamState, create_software_sam};
use jinka_terminal::{JournalError, Moment, PendingTransaction, Terminal, TerminalJournal};

/// Purchases per group commit of the record store.
const GROUP_RECORDS: usize = 256;
/// Serials the SAM reserves (and fsyncs) at a time.
const SERIAL_BLOCK: u32 = 1_000;
/// Purchases per card before a fresh one (the offline ATC stops at 65535).
const CARD_PURCHASES_MAX: u64 = 60_000;

/// Records to the store, committed every `GROUP_RECORDS`; pending markers in memory.
struct GroupCommitJournal {
    store: RecordStore,
    pending: Vec<PendingTransaction>,
    uncommitted: usize,
}

impl TerminalJournal for GroupCommitJournal {
    fn record(&mut self, record: &TransactionRecord) -> Result<(), JournalError> {
        self.store
            .append(*record)
            .map_err(|e| JournalError(e.to_string()))?;
        self.uncommitted += 1;
        if self.uncommitted == GROUP_RECORDS {
            self.store
                .commit()
                .map_err(|e| JournalError(e.to_string()))?;
            self.uncommitted = 0;
        }
        Ok(())
    }

    fn put_pending(&mut self, pending: &PendingTransaction) -> Result<(), JournalError> {
        self.pending.push(*pending);
        Ok(())
    }

    fn clear_pending(&mut self, asn: &[u8; 8]) -> Result<(), JournalError> {
        self.pending.retain(|p| p.asn != *asn);
        Ok(())
    }

    fn pending(&self, asn: &[u8; 8]) -> Option<PendingTransaction> {
        self.pending.iter().find(|p| p.asn == *asn).copied()
    }
}

fn rich_card(keys: &IssuerKeys) -> Card<SeededEntropy> {
    let issuance = Issuance {
        asn: [0x31, 0x04, 0, 0, 0, 1, 0x23, 0x45],
        start_date: [0x20, 0x26, 1, 1],
        expiry_date: [0x20, 0x36, 1, 1],
    };
    let mut nvm = issue(keys, &issuance, &[(Template::EPurse, keys)]).expect("issues");
    nvm.state.applications[0].purse = Some(Purse {
        balance_fen: jinka_card::BALANCE_FEN_MAX,
        ..Purse::new()
    });
    Card::new(nvm, SeededEntropy::new(3))
}

fn bench_profile(c: &mut Criterion, profile: Profile) {
    let keys = IssuerKeys::generate(
        profile,
        1,
        [0x31, 0x04, 0, 0, 0, 0, 0, 1],
        &mut SeededEntropy::new(1),
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = KeyTable::new(vec![IssuerMasterKeys::from(&keys)]).expect("key table");
    let file = SamFile::new(dir.path().join("bench.sam"), None, SeededEntropy::new(2));
    let (sam, _) =
        create_software_sam(file, SamState::new([0, 0, 0, 0, 0x30, 0x01], table)).expect("SAM");
    let sam = sam.with_serial_block(SERIAL_BLOCK);
    let store =
        RecordStore::open(&dir.path().join("records"), [0, 0, 0, 0, 0x30, 0x01]).expect("store");
    let journal = GroupCommitJournal {
        store,
        pending: Vec::new(),
        uncommitted: 0,
    };
    let mut terminal = Terminal::new(sam, journal);
    let moment = Moment {
        date: Date::from_ymd(2026, 11, 27).expect("date"),
        time: Time::from_hms(9, 0, 0).expect("time"),
    };
    let template = rich_card(&keys);
    let mut card = Card::new(template.nvm().clone(), SeededEntropy::new(4));
    let mut on_card = 0u64;
    c.bench_function(&format!("terminal/{}/purchase", profile.name()), |b| {
        b.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            let mut done = 0;
            while done < iterations {
                if on_card >= CARD_PURCHASES_MAX {
                    card = Card::new(template.nvm().clone(), SeededEntropy::new(4));
                    on_card = 0;
                }
                let run = (iterations - done).min(CARD_PURCHASES_MAX - on_card);
                let start = Instant::now();
                for _ in 0..run {
                    let approved = terminal.purchase(&mut card, 1, moment).expect("approved");
                    black_box(approved);
                }
                elapsed += start.elapsed();
                done += run;
                on_card += run;
            }
            elapsed
        });
    });
    terminal.journal_mut().store.commit().expect("final commit");
}

fn purchases(c: &mut Criterion) {
    bench_profile(c, Profile::Sm4);
    bench_profile(c, Profile::Des3);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = purchases
}
criterion_main!(benches);
