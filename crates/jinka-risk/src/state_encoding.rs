//! The evaluator's state in a compact binary form, written straight from its tables and read
//! straight into new ones: what the hub saves at a window close and takes back at start,
//! without a copy of the whole state in between (a [`crate::RiskState`] and its JSON text
//! are several times the size of the tables at a million cards).
//!
//! The layout is at [`RISK_STATE_FORMAT_VERSION`].

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use jinka_clearing::{Asn, AtcRange, IssuerId, TerminalId};
use jinka_record::CounterKind;

use crate::bad_tac::{BAD_TAC_COUNT_MAX, BadTacSeen, TerminalState};
use crate::card_state::{StoredCard, StoredSighting};
use crate::config::RiskConfig;
use crate::counter_gap::{GAPS_PER_COUNTER_MAX, GapCounter, Opener, TrackedGap};
use crate::daily_spend::{DayFigures, SPEND_DAYS_PER_CARD, SPEND_EVIDENCE_RECORDS};
use crate::decision::RecordId;
use crate::error::RiskError;
use crate::evaluator::RiskEvaluator;
use crate::quiet_period::QuietPeriod;

/// The first bytes of a stored evaluator state.
pub const RISK_STATE_MAGIC: [u8; 4] = *b"JKRS";
/// The version of the layout [`RiskEvaluator::write_state`] writes (the only one
/// [`RiskEvaluator::read_state`] reads).
///
/// # Layout (version 1)
///
/// Integers are big-endian and fixed-width. An option is a tag byte (0 none, 1 some) and
/// then the value; a boolean is one byte, 0 or 1.
///
/// | Part | Bytes |
/// |---|---|
/// | magic [`RISK_STATE_MAGIC`] | 4 |
/// | version [`RISK_STATE_FORMAT_VERSION`] | 1 |
/// | cards, terminals, counters (counts) | 3 × u32 |
/// | each card, by ASN ascending | ASN 8, touched_at_ms i64, 2 × option day (day i64, purchases u32, spent_fen u64, fired bool, 4 × record id u64), option sighting (region u32, time_s i64, id u64), 2 × option quiet period end i64 |
/// | each terminal, by id ascending | id 6, option quiet period end i64, recent u8 (at most [`crate::BAD_TAC_COUNT_MAX`]) × (at_ms i64, id u64) |
/// | each counter, by (ASN, kind) ascending | ASN 8, kind u8 (0 offline, 1 online), issuer 8, touched_at_ms i64, gaps u8 × (first u16, last u16, opened_at_ms i64, option opened_by u64, fired bool), openers u8 × (atc u16, id u64); each count at most [`crate::GAPS_PER_COUNTER_MAX`] |
///
/// Nothing follows the last counter. A reader refuses anything else: a bad magic or version,
/// a truncated or over-long input, a tag or boolean that is not 0 or 1, keys out of order,
/// a count past its limit, and every state [`RiskEvaluator::restore`] refuses (among them a
/// day number outside ±2^30, which no record's date gives: the evaluator keeps a day in 31
/// bits).
pub const RISK_STATE_FORMAT_VERSION: u8 = 1;
/// The largest entry written (a card with both days and every option): a buffer this large
/// holds any one entry.
const ENTRY_BYTES_MAX: usize = 2048;

impl RiskEvaluator {
    /// Writes the state in its binary form (layout at [`RISK_STATE_FORMAT_VERSION`]) to `out`, entry by
    /// entry from the evaluator's tables: the only extra memory is the tables' keys, sorted
    /// (so the same state always writes the same bytes). A large `out` should be buffered.
    pub fn write_state(&self, out: &mut impl Write) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(ENTRY_BYTES_MAX);
        bytes.extend_from_slice(&RISK_STATE_MAGIC);
        bytes.push(RISK_STATE_FORMAT_VERSION);
        for len in [self.cards.len(), self.terminals.len(), self.gaps.len()] {
            let len = u32::try_from(len).map_err(|_| io::Error::other("a table too large"))?;
            bytes.extend_from_slice(&len.to_be_bytes());
        }
        out.write_all(&bytes)?;
        for (asn, card) in self.cards.sorted_entries() {
            bytes.clear();
            put_card(&mut bytes, asn, &StoredCard::from(card));
            out.write_all(&bytes)?;
        }
        for (terminal_id, terminal) in self.terminals.sorted_entries() {
            bytes.clear();
            put_terminal(&mut bytes, terminal_id, terminal);
            out.write_all(&bytes)?;
        }
        for (key, counter) in self.gaps.sorted_entries() {
            bytes.clear();
            put_counter(&mut bytes, key, counter);
            out.write_all(&bytes)?;
        }
        Ok(())
    }

    /// The state [`RiskEvaluator::write_state`] wrote, in an evaluator with `config`,
    /// checked as [`RiskEvaluator::restore`] checks a [`crate::RiskState`] (and the layout
    /// besides). Reads `input` in small pieces: a large one should be buffered. An input
    /// that fails to read gives [`RiskError::StateRead`].
    pub fn read_state(
        config: RiskConfig,
        input: &mut impl Read,
    ) -> Result<RiskEvaluator, RiskError> {
        let mut input = StateInput { input };
        if input.array::<4>()? != RISK_STATE_MAGIC {
            return Err(RiskError::InvalidState("not a risk state (bad magic)"));
        }
        if input.u8()? != RISK_STATE_FORMAT_VERSION {
            return Err(RiskError::InvalidState(
                "a risk state of an unknown version",
            ));
        }
        let (cards, terminals, counters) = (input.count()?, input.count()?, input.count()?);
        let mut evaluator = RiskEvaluator::new(config);
        evaluator.cards.reserve(cards);
        evaluator.terminals.reserve(terminals);
        evaluator.gaps.reserve(counters);
        let mut previous = None;
        for _ in 0..cards {
            let (asn, card) = input.card()?;
            ascending(&mut previous, asn)?;
            evaluator.restore_card(asn, &card)?;
        }
        let mut previous = None;
        for _ in 0..terminals {
            let (terminal_id, terminal) = input.terminal()?;
            ascending(&mut previous, terminal_id)?;
            evaluator.restore_terminal(terminal_id, terminal)?;
        }
        let mut previous = None;
        for _ in 0..counters {
            let (key, counter) = input.counter()?;
            ascending(&mut previous, key)?;
            evaluator.restore_counter(key, counter)?;
        }
        if input.at_end()? {
            Ok(evaluator)
        } else {
            Err(RiskError::InvalidState("bytes after the last counter"))
        }
    }
}

/// Keys must come strictly ascending: a key twice, or out of order, is refused (even when a
/// table with a lowered limit forgot the first one).
fn ascending<K: Ord + Copy>(previous: &mut Option<K>, key: K) -> Result<(), RiskError> {
    if previous.is_some_and(|previous| previous >= key) {
        return Err(RiskError::InvalidState("keys out of order or twice"));
    }
    *previous = Some(key);
    Ok(())
}

fn put_option(bytes: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        Some(value) => {
            bytes.push(1);
            bytes.extend_from_slice(value);
        }
        None => bytes.push(0),
    }
}

fn put_quiet(bytes: &mut Vec<u8>, quiet: QuietPeriod) {
    put_option(
        bytes,
        quiet.0.map(i64::to_be_bytes).as_ref().map(|b| &b[..]),
    );
}

fn put_card(bytes: &mut Vec<u8>, asn: Asn, card: &StoredCard) {
    bytes.extend_from_slice(&asn.bytes());
    bytes.extend_from_slice(&card.touched_at_ms.to_be_bytes());
    for day in &card.days {
        match day {
            Some(day) => {
                bytes.push(1);
                bytes.extend_from_slice(&day.day.to_be_bytes());
                bytes.extend_from_slice(&day.purchases.to_be_bytes());
                bytes.extend_from_slice(&day.spent_fen.to_be_bytes());
                bytes.push(u8::from(day.fired));
                for id in day.recent {
                    bytes.extend_from_slice(&id.get().to_be_bytes());
                }
            }
            None => bytes.push(0),
        }
    }
    match &card.sighting {
        Some(sighting) => {
            bytes.push(1);
            bytes.extend_from_slice(&sighting.region.to_be_bytes());
            bytes.extend_from_slice(&sighting.time_s.to_be_bytes());
            bytes.extend_from_slice(&sighting.id.get().to_be_bytes());
        }
        None => bytes.push(0),
    }
    put_quiet(bytes, card.velocity_quiet);
    put_quiet(bytes, card.discontinuity_quiet);
}

fn put_terminal(bytes: &mut Vec<u8>, terminal_id: TerminalId, terminal: &TerminalState) {
    bytes.extend_from_slice(&terminal_id.bytes());
    put_quiet(bytes, terminal.quiet);
    // At most the rule's count (BAD_TAC_COUNT_MAX = 64): `fit` keeps it so.
    let recent = terminal.recent.len().min(usize::from(u8::MAX));
    bytes.push(recent as u8);
    for seen in terminal.recent.iter().take(recent) {
        bytes.extend_from_slice(&seen.at_ms.to_be_bytes());
        bytes.extend_from_slice(&seen.id.get().to_be_bytes());
    }
}

const fn kind_code(kind: CounterKind) -> u8 {
    match kind {
        CounterKind::Offline => 0,
        CounterKind::Online => 1,
    }
}

fn put_counter(bytes: &mut Vec<u8>, (asn, kind): (Asn, CounterKind), counter: &GapCounter) {
    bytes.extend_from_slice(&asn.bytes());
    bytes.push(kind_code(kind));
    bytes.extend_from_slice(&counter.issuer_id.bytes());
    bytes.extend_from_slice(&counter.touched_at_ms.to_be_bytes());
    // Both at most GAPS_PER_COUNTER_MAX = 32: `holds` is checked on every way in.
    let gaps = counter.gaps.len().min(usize::from(u8::MAX));
    bytes.push(gaps as u8);
    for gap in counter.gaps.iter().take(gaps) {
        bytes.extend_from_slice(&gap.range.first().to_be_bytes());
        bytes.extend_from_slice(&gap.range.last().to_be_bytes());
        bytes.extend_from_slice(&gap.opened_at_ms.to_be_bytes());
        put_option(
            bytes,
            gap.opened_by
                .map(|id| id.get().to_be_bytes())
                .as_ref()
                .map(|b| &b[..]),
        );
        bytes.push(u8::from(gap.fired));
    }
    let openers = counter.openers.len().min(usize::from(u8::MAX));
    bytes.push(openers as u8);
    for opener in counter.openers.iter().take(openers) {
        bytes.extend_from_slice(&opener.atc.to_be_bytes());
        bytes.extend_from_slice(&opener.id.get().to_be_bytes());
    }
}

/// The reading side: fixed-width fields off an [`io::Read`], each checked.
struct StateInput<'a, R> {
    input: &'a mut R,
}

const TRUNCATED: RiskError = RiskError::InvalidState("truncated");

impl<R: Read> StateInput<'_, R> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], RiskError> {
        let mut bytes = [0; N];
        self.input
            .read_exact(&mut bytes)
            .map_err(|error| match error.kind() {
                io::ErrorKind::UnexpectedEof => TRUNCATED,
                _ => RiskError::StateRead(error.to_string()),
            })?;
        Ok(bytes)
    }

    fn at_end(&mut self) -> Result<bool, RiskError> {
        let mut byte = [0; 1];
        loop {
            match self.input.read(&mut byte) {
                Ok(read) => return Ok(read == 0),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(RiskError::StateRead(error.to_string())),
            }
        }
    }

    fn u8(&mut self) -> Result<u8, RiskError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, RiskError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, RiskError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, RiskError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, RiskError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    fn count(&mut self) -> Result<usize, RiskError> {
        usize::try_from(self.u32()?).map_err(|_| RiskError::InvalidState("a count too large"))
    }

    fn record_id(&mut self) -> Result<RecordId, RiskError> {
        Ok(RecordId::new(self.u64()?))
    }

    fn flag(&mut self) -> Result<bool, RiskError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(RiskError::InvalidState(
                "a tag or boolean that is not 0 or 1",
            )),
        }
    }

    /// A list's length, at most `max`.
    fn list_len(&mut self, max: usize) -> Result<usize, RiskError> {
        let len = usize::from(self.u8()?);
        if len > max {
            return Err(RiskError::InvalidState("a list longer than its limit"));
        }
        Ok(len)
    }

    fn quiet(&mut self) -> Result<QuietPeriod, RiskError> {
        Ok(QuietPeriod(if self.flag()? {
            Some(self.i64()?)
        } else {
            None
        }))
    }

    fn day(&mut self) -> Result<Option<DayFigures>, RiskError> {
        if !self.flag()? {
            return Ok(None);
        }
        let (day, purchases, spent_fen, fired) =
            (self.i64()?, self.u32()?, self.u64()?, self.flag()?);
        let mut recent = [RecordId::new(0); SPEND_EVIDENCE_RECORDS];
        for id in &mut recent {
            *id = self.record_id()?;
        }
        Ok(Some(DayFigures {
            day,
            purchases,
            spent_fen,
            fired,
            recent,
        }))
    }

    fn card(&mut self) -> Result<(Asn, StoredCard), RiskError> {
        let asn = Asn::new(self.array()?);
        let touched_at_ms = self.i64()?;
        let mut days = [None; SPEND_DAYS_PER_CARD];
        for day in &mut days {
            *day = self.day()?;
        }
        let sighting = if self.flag()? {
            Some(StoredSighting {
                region: self.u32()?,
                time_s: self.i64()?,
                id: self.record_id()?,
            })
        } else {
            None
        };
        let card = StoredCard {
            touched_at_ms,
            days,
            sighting,
            velocity_quiet: self.quiet()?,
            discontinuity_quiet: self.quiet()?,
        };
        Ok((asn, card))
    }

    fn terminal(&mut self) -> Result<(TerminalId, TerminalState), RiskError> {
        let terminal_id = TerminalId::new(self.array()?);
        let quiet = self.quiet()?;
        let len = self.list_len(BAD_TAC_COUNT_MAX as usize)?;
        let mut recent = VecDeque::with_capacity(len);
        for _ in 0..len {
            let (at_ms, id) = (self.i64()?, self.record_id()?);
            recent.push_back(BadTacSeen { at_ms, id });
        }
        Ok((terminal_id, TerminalState { recent, quiet }))
    }

    fn counter(&mut self) -> Result<((Asn, CounterKind), GapCounter), RiskError> {
        let asn = Asn::new(self.array()?);
        let kind = match self.u8()? {
            0 => CounterKind::Offline,
            1 => CounterKind::Online,
            _ => return Err(RiskError::InvalidState("a counter kind that is not 0 or 1")),
        };
        let (issuer_id, touched_at_ms) = (IssuerId::new(self.array()?), self.i64()?);
        let len = self.list_len(GAPS_PER_COUNTER_MAX)?;
        let mut gaps = Vec::with_capacity(len);
        for _ in 0..len {
            let range = AtcRange::new(self.u16()?, self.u16()?)
                .map_err(|_| RiskError::InvalidState("a gap whose first ATC is past its last"))?;
            let opened_at_ms = self.i64()?;
            let opened_by = if self.flag()? {
                Some(self.record_id()?)
            } else {
                None
            };
            let fired = self.flag()?;
            gaps.push(TrackedGap {
                range,
                opened_at_ms,
                opened_by,
                fired,
            });
        }
        let len = self.list_len(GAPS_PER_COUNTER_MAX)?;
        let mut openers = Vec::with_capacity(len);
        for _ in 0..len {
            let (atc, id) = (self.u16()?, self.record_id()?);
            openers.push(Opener { atc, id });
        }
        let counter = GapCounter {
            issuer_id,
            touched_at_ms,
            gaps,
            openers,
        };
        Ok(((asn, kind), counter))
    }
}
