//! Cards, terminals and records for the rules, and a harness that numbers what it shows the
//! evaluator (the ids are the order of observation, from 1).

use jinka_clearing::{Asn, AtcRange, Flags, IssuerId, Region, RejectReason, TerminalId};
use jinka_record::{CounterKind, Date, RecordFields, Time, TransactionKind, TransactionRecord};
use jinka_risk::{
    AcceptedRecord, ApprovedLoad, GapReport, RecordId, RejectedRecord, RiskConfig, RiskDecision,
    RiskEvaluator,
};

pub const ISSUER: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 1];
pub const OTHER_ISSUER: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 2];
pub const SHANGHAI: Region = Region::new(310_000);
pub const SUZHOU: Region = Region::new(320_500);
pub const BEIJING: Region = Region::new(110_000);
/// The hub's time at the start of each test (epoch ms, late 2026).
pub const T0: i64 = 1_795_000_000_000;
pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

pub fn asn(card: u32) -> Asn {
    let [a, b, c, d] = card.to_be_bytes();
    Asn::new([0x31, 0x04, 0, 0, a, b, c, d])
}

pub fn terminal(index: u32) -> TerminalId {
    let [a, b, c, d] = index.to_be_bytes();
    TerminalId::new([0, 0x20, a, b, c, d])
}

pub fn date(day: u8) -> Date {
    Date::from_ymd(2026, 11, day).unwrap()
}

pub fn time(hour: u8, minute: u8) -> Time {
    Time::from_hms(hour, minute, 0).unwrap()
}

/// A record of `card` (of [`ISSUER`]) at terminal 1, 27 November 2026, 08:00, balance 500
/// yuan; change what a test needs with the builder methods.
#[derive(Clone, Copy)]
pub struct Tx(RecordFields);

pub fn purchase(card: u32, atc: u16, amount_fen: u32) -> Tx {
    Tx(RecordFields {
        asn: asn(card).bytes(),
        issuer_id: ISSUER,
        kind: TransactionKind::Purchase,
        amount_fen,
        balance_before_fen: 50_000,
        atc,
        terminal_id: terminal(1).bytes(),
        terminal_serial: Some(u32::from(atc) + 1),
        date: date(27),
        time: time(8, 0),
        key_version: 1,
        algorithm_id: 0x04,
        tac: [0; 4],
    })
}

pub fn load(card: u32, atc: u16, amount_fen: u32) -> Tx {
    let mut tx = purchase(card, atc, amount_fen);
    tx.0.kind = TransactionKind::Load;
    tx.0.terminal_serial = None;
    tx
}

impl Tx {
    pub fn on(mut self, day: u8, hour: u8, minute: u8) -> Tx {
        self.0.date = date(day);
        self.0.time = time(hour, minute);
        self
    }

    pub fn issuer(mut self, issuer_id: [u8; 8]) -> Tx {
        self.0.issuer_id = issuer_id;
        self
    }

    pub fn transit(mut self) -> Tx {
        self.0.kind = TransactionKind::CappPurchase;
        self
    }

    pub fn record(self) -> TransactionRecord {
        TransactionRecord::new(self.0).unwrap()
    }
}

/// An evaluator, the decisions it gave, and the next id to give.
pub struct Harness {
    pub risk: RiskEvaluator,
    pub decisions: Vec<RiskDecision>,
    next_id: u64,
}

impl Harness {
    pub fn new(config: RiskConfig) -> Harness {
        Harness::from(RiskEvaluator::new(config))
    }

    pub fn with_defaults() -> Harness {
        Harness::new(RiskConfig::default())
    }

    fn id(&mut self) -> RecordId {
        self.next_id += 1;
        RecordId::new(self.next_id)
    }

    /// Shows an accepted record; its id.
    pub fn accept(&mut self, tx: Tx, region: Region, flags: Flags, at_ms: i64) -> RecordId {
        let id = self.id();
        let record = tx.record();
        let accepted = AcceptedRecord {
            id,
            record: &record,
            flags,
            region: Some(region),
        };
        self.risk.accepted(&accepted, at_ms, &mut self.decisions);
        id
    }

    /// Shows an accepted record with no flags; its id.
    pub fn ok(&mut self, tx: Tx, region: Region, at_ms: i64) -> RecordId {
        self.accept(tx, region, Flags::NONE, at_ms)
    }

    /// Shows a rejected record of `terminal(index)`; its id.
    pub fn reject(&mut self, index: u32, reason: RejectReason, at_ms: i64) -> RecordId {
        let id = self.id();
        let rejected = RejectedRecord {
            id,
            terminal_id: terminal(index),
            reason,
        };
        self.risk.rejected(&rejected, at_ms, &mut self.decisions);
        id
    }

    /// Shows an approved load of `card` at a terminal of `region`; its id.
    pub fn load_approved(
        &mut self,
        card: u32,
        region: Region,
        when: (Date, Time),
        at_ms: i64,
    ) -> RecordId {
        let id = self.id();
        let load = ApprovedLoad {
            id,
            asn: asn(card),
            issuer_id: IssuerId::new(ISSUER),
            region,
            date: when.0,
            time: when.1,
        };
        self.risk.load_approved(&load, at_ms, &mut self.decisions);
        id
    }

    /// Reports the open gaps of `card`'s offline counter.
    pub fn gaps(&mut self, card: u32, open: &[(u16, u16)], at_ms: i64) {
        let open: Vec<AtcRange> = open
            .iter()
            .map(|(first, last)| AtcRange::new(*first, *last).unwrap())
            .collect();
        let report = GapReport {
            asn: asn(card),
            issuer_id: IssuerId::new(ISSUER),
            counter_kind: CounterKind::Offline,
            open: &open,
        };
        self.risk.counter_gaps(&report, at_ms, &mut self.decisions);
    }

    pub fn tick(&mut self, at_ms: i64) {
        self.risk.tick(at_ms, &mut self.decisions);
    }

    /// The decisions given so far, taken.
    pub fn take(&mut self) -> Vec<RiskDecision> {
        std::mem::take(&mut self.decisions)
    }
}

impl From<RiskEvaluator> for Harness {
    fn from(risk: RiskEvaluator) -> Harness {
        Harness {
            risk,
            decisions: Vec::new(),
            next_id: 0,
        }
    }
}

pub fn ids(list: &[u64]) -> Vec<RecordId> {
    list.iter().copied().map(RecordId::new).collect()
}
