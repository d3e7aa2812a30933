//! The evaluator: the rules over what the hub shows it, with the state they need.

use foldhash::HashMap;
use jinka_clearing::{
    Asn, CardChange, Flag, IngestOutcome, IssuerId, Region, RejectReason, TerminalId,
    UploadedRecord,
};
use jinka_record::CounterKind;

use crate::bad_tac::{self, TerminalState};
use crate::card_state::CardState;
use crate::civil_time::{day_number, seconds};
use crate::config::RiskConfig;
use crate::counter_gap::GapCounter;
use crate::daily_spend::{self, Purchase};
use crate::decision::{RecordId, RiskDecision};
use crate::discontinuity;
use crate::observation::{AcceptedRecord, ApprovedLoad, GapReport, RejectedRecord};
use crate::state_table::StateTable;
use crate::velocity::{self, Sighting};

/// The risk rules with their state. Pure and deterministic: the same configuration and the
/// same observations at the same times give the same decisions, in the same order. Times are
/// the hub's (epoch ms), given with each call; records' own dates and times are used only
/// where the rule is about the card's day or the card's movements.
///
/// # Calls
///
/// - [`RiskEvaluator::accepted`] for each accepted record, [`RiskEvaluator::rejected`] for
///   each rejected one, then [`RiskEvaluator::counter_gaps`] for the counters of each card the
///   batch changed; [`RiskEvaluator::observe_batch`] does all three from a decided batch.
/// - [`RiskEvaluator::load_approved`] for each approved online load.
/// - [`RiskEvaluator::tick`] now and then (every minute, say): counter gaps past their
///   limit fire there, and idle state is forgotten. It costs a pass over the state.
///
/// Decisions are pushed onto the caller's vector (nothing is allocated when none fires).
///
/// # Rules
///
/// | rule | fires when | evidence |
/// |---|---|---|
/// | `daily_spend` | a card's offline purchases dated one day (its latest two days) sum past the threshold; once per card and day | the day's latest purchases (up to 4) |
/// | `velocity` | a record or approved load in another region than the card's latest sighting, closer in record time than the pair's minimum travel | the two sightings |
/// | `bad_tac` | a terminal's `count`-th `bad_tac` rejection within the window (hub time) | those rejections |
/// | `balance_discontinuity` | an accepted record flagged `balance_discontinuity` | the record |
/// | `counter_gap` | a gap reported open for longer than the limit (hub time); once per gap | the record that opened it, when seen |
///
/// # Not deciding again
///
/// `daily_spend` fires once per card and day, `counter_gap` once per gap. `velocity`,
/// `balance_discontinuity` and `bad_tac` keep a quiet period per subject
/// (`repeat_quiet_minutes`): each time the rule's condition holds the period is pushed on,
/// and the rule decides only outside one. A pattern that goes on gives one decision; the
/// same pattern after a lull of the quiet time gives another.
///
/// # State
///
/// Per card (one table entry, one lookup per record): the latest two days' spend, the latest
/// sighting, two quiet periods. Per terminal with recent bad TACs: up to `count` rejections.
/// Per card counter with open gaps: its tracked gaps. Every table has a limit
/// ([`crate::StateLimits`]); full, it forgets idle entries, then the least recently touched
/// eighth. [`RiskEvaluator::tick`] forgets idle entries. [`RiskEvaluator::snapshot`] gives the
/// state as plain data (serde), [`RiskEvaluator::restore`] takes it back;
/// [`RiskEvaluator::write_state`] and [`RiskEvaluator::read_state`] do the same in a compact
/// binary form without a copy of the state (what the hub saves); or the hub can rebuild it
/// by showing a new evaluator the last days' records again.
#[derive(Clone, Debug)]
pub struct RiskEvaluator {
    pub(crate) config: RiskConfig,
    pub(crate) cards: StateTable<Asn, CardState>,
    pub(crate) terminals: StateTable<TerminalId, TerminalState>,
    pub(crate) gaps: StateTable<(Asn, CounterKind), GapCounter>,
}

/// How much state an evaluator holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateSizes {
    /// Cards.
    pub cards: usize,
    /// Terminals with recent bad TACs.
    pub terminals: usize,
    /// Card counters with tracked gaps.
    pub gap_counters: usize,
}

impl RiskEvaluator {
    /// An evaluator with no state.
    pub fn new(config: RiskConfig) -> RiskEvaluator {
        let limits = *config.limits();
        RiskEvaluator {
            cards: StateTable::new(limits.cards_max),
            terminals: StateTable::new(limits.terminals_max),
            gaps: StateTable::new(limits.gap_counters_max),
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    /// How much state it holds.
    pub fn sizes(&self) -> StateSizes {
        StateSizes {
            cards: self.cards.len(),
            terminals: self.terminals.len(),
            gap_counters: self.gaps.len(),
        }
    }

    /// Starts keeping a journal of what the calls from now on change, so that
    /// [`RiskEvaluator::undo`] can put it back: the hub begins one with each transaction whose
    /// records the rules see, and undoes it when the transaction fails (a record seen in a
    /// transaction rolled back was not seen). A journal begun before is kept.
    pub fn begin(&mut self) {
        self.cards.begin();
        self.terminals.begin();
        self.gaps.begin();
    }

    /// Keeps what changed since [`RiskEvaluator::begin`] and stops the journal.
    pub fn keep(&mut self) {
        self.cards.keep();
        self.terminals.keep();
        self.gaps.keep();
    }

    /// Puts the state back as it was at [`RiskEvaluator::begin`] (every card, terminal and
    /// counter changed, created or forgotten since) and stops the journal; without one,
    /// nothing changes. The decisions given meanwhile are the caller's to drop.
    pub fn undo(&mut self) {
        self.cards.undo();
        self.terminals.undo();
        self.gaps.undo();
    }

    /// An accepted record: daily spend (purchases), velocity, balance discontinuity (flagged),
    /// and a counter gap's opener (flagged).
    pub fn accepted(
        &mut self,
        accepted: &AcceptedRecord<'_>,
        at_ms: i64,
        out: &mut Vec<RiskDecision>,
    ) {
        let record = accepted.record;
        let asn = Asn::new(record.asn());
        let rules = self.config.card_rules(IssuerId::new(record.issuer_id()));
        let (quiet_ms, idle_ms) = (self.config.quiet_ms(), self.config.card_idle_ms());
        let card = self
            .cards
            .get_or_insert(asn, |card| card.idle(idle_ms, at_ms));
        card.touch(at_ms);
        if record.kind().is_purchase() && rules.daily_spend.enabled {
            let purchase = Purchase {
                asn,
                day: day_number(record.date()),
                amount_fen: record.amount_fen(),
                id: accepted.id,
            };
            daily_spend::observe(&mut card.days, &rules.daily_spend, &purchase, at_ms, out);
        }
        if let Some(region) = accepted.region.filter(|_| rules.velocity.enabled) {
            let time_s = seconds(record.date(), record.time());
            let seen = Sighting::new(region.get(), time_s, accepted.id);
            let (last, quiet) = (&mut card.sighting, &mut card.quiet);
            velocity::observe(
                last,
                quiet,
                &rules.velocity,
                asn,
                seen,
                (at_ms, quiet_ms),
                out,
            );
        }
        if accepted.flags.contains(Flag::BalanceDiscontinuity) && rules.discontinuity.enabled {
            let quiet = card.quiet.discontinuity_mut();
            let evidence = (record, accepted.id);
            discontinuity::observe(
                quiet,
                &rules.discontinuity,
                evidence,
                (at_ms, quiet_ms),
                out,
            );
        }
        if accepted.flags.contains(Flag::CounterGap) && rules.counter_gap.enabled {
            let issuer_id = IssuerId::new(record.issuer_id());
            let counter = self.gap_counter((asn, record.counter_kind()), issuer_id, at_ms);
            counter.opened(record.atc(), accepted.id);
        }
    }

    /// A rejected record: a `bad_tac` one counts against its terminal; others pass.
    pub fn rejected(&mut self, rejected: &RejectedRecord, at_ms: i64, out: &mut Vec<RiskDecision>) {
        let check = self.config.bad_tac();
        if rejected.reason != RejectReason::BadTac || !check.enabled {
            return;
        }
        let state = self
            .terminals
            .get_or_insert(rejected.terminal_id, |state| state.idle(check, at_ms));
        let quiet_ms = self.config.quiet_ms();
        let evidence = (rejected.terminal_id, rejected.id);
        bad_tac::observe(state, check, evidence, (at_ms, quiet_ms), out);
    }

    /// An approved online load: a sighting of the card for the velocity rule.
    pub fn load_approved(&mut self, load: &ApprovedLoad, at_ms: i64, out: &mut Vec<RiskDecision>) {
        let rules = self.config.card_rules(load.issuer_id);
        let (quiet_ms, idle_ms) = (self.config.quiet_ms(), self.config.card_idle_ms());
        let card = self
            .cards
            .get_or_insert(load.asn, |card| card.idle(idle_ms, at_ms));
        card.touch(at_ms);
        if rules.velocity.enabled {
            let time_s = seconds(load.date, load.time);
            let seen = Sighting::new(load.region.get(), time_s, load.id);
            let (last, quiet) = (&mut card.sighting, &mut card.quiet);
            velocity::observe(
                last,
                quiet,
                &rules.velocity,
                load.asn,
                seen,
                (at_ms, quiet_ms),
                out,
            );
        }
    }

    /// A counter's open gaps after a batch: tracks new gaps, forgets filled ones, fires for
    /// those open past the limit. Cheap when the counter has none.
    pub fn counter_gaps(
        &mut self,
        report: &GapReport<'_>,
        at_ms: i64,
        out: &mut Vec<RiskDecision>,
    ) {
        let key = (report.asn, report.counter_kind);
        let check = self.config.card_rules(report.issuer_id).counter_gap;
        if report.open.is_empty() || !check.enabled {
            if !self.gaps.is_empty() {
                self.gaps.remove(&key);
            }
            return;
        }
        let counter = self.gap_counter(key, report.issuer_id, at_ms);
        counter.report(report.open, at_ms);
        counter.fire_due(&check, key, at_ms, out);
    }

    fn gap_counter(
        &mut self,
        key: (Asn, CounterKind),
        issuer_id: IssuerId,
        at_ms: i64,
    ) -> &mut GapCounter {
        let idle_ms = self.config.gap_idle_ms();
        let counter = self.gaps.get_or_insert(key, |counter| {
            counter.touched_at_ms.saturating_add(idle_ms) <= at_ms
        });
        counter.issuer_id = issuer_id;
        counter.touched_at_ms = counter.touched_at_ms.max(at_ms);
        counter
    }

    /// Fires for counter gaps open past their limit (in card order), and forgets idle state.
    pub fn tick(&mut self, at_ms: i64, out: &mut Vec<RiskDecision>) {
        let config = &self.config;
        let check_of = |counter: &GapCounter| config.card_rules(counter.issuer_id).counter_gap;
        for key in self
            .gaps
            .sorted_keys(|counter| counter.due(&check_of(counter), at_ms))
        {
            if let Some(counter) = self.gaps.get_mut(&key) {
                let check = check_of(counter);
                counter.fire_due(&check, key, at_ms, out);
            }
        }
        let (card_idle_ms, gap_idle_ms) = (config.card_idle_ms(), config.gap_idle_ms());
        let bad_tac = config.bad_tac();
        self.cards.forget(|card| card.idle(card_idle_ms, at_ms));
        self.terminals.forget(|state| state.idle(bad_tac, at_ms));
        self.gaps
            .forget(|counter| counter.touched_at_ms.saturating_add(gap_idle_ms) <= at_ms);
    }

    /// Shows the evaluator a batch as `jinka_clearing::decide_batch` decided it: each accepted
    /// record (its terminal's region from `region`), each rejected record that could be read,
    /// then both counters of each card the batch changed. `record_id` gives the caller's id
    /// of the record at an index of `records`.
    pub fn observe_batch(
        &mut self,
        (records, outcome): (&[UploadedRecord], &IngestOutcome),
        record_id: impl Fn(usize) -> RecordId,
        region: impl Fn(TerminalId) -> Option<Region>,
        at_ms: i64,
        out: &mut Vec<RiskDecision>,
    ) {
        for (index, (uploaded, decision)) in records.iter().zip(&outcome.decisions).enumerate() {
            let Ok(record) = uploaded else {
                continue;
            };
            let terminal_id = TerminalId::new(record.terminal_id());
            match decision.reason() {
                None => {
                    let accepted = AcceptedRecord {
                        id: record_id(index),
                        record,
                        flags: decision.flags(),
                        region: region(terminal_id),
                    };
                    self.accepted(&accepted, at_ms, out);
                }
                Some(reason) => {
                    let id = record_id(index);
                    self.rejected(
                        &RejectedRecord {
                            id,
                            terminal_id,
                            reason,
                        },
                        at_ms,
                        out,
                    );
                }
            }
        }
        self.observe_counters(records, outcome, at_ms, out);
    }

    /// The gap reports of a batch's card changes: those with open gaps, and those whose
    /// tracked gaps may have filled. Most cards have neither, and cost a lookup or two.
    fn observe_counters(
        &mut self,
        records: &[UploadedRecord],
        outcome: &IngestOutcome,
        at_ms: i64,
        out: &mut Vec<RiskDecision>,
    ) {
        let tracked = |asn: Asn| {
            !self.gaps.is_empty()
                && (self.gaps.contains(&(asn, CounterKind::Offline))
                    || self.gaps.contains(&(asn, CounterKind::Online)))
        };
        let wanted: Vec<&CardChange> = (outcome.changes.cards.iter())
            .filter(|change| {
                !change.offline.gaps().is_empty()
                    || !change.online.gaps().is_empty()
                    || tracked(change.asn)
            })
            .collect();
        if wanted.is_empty() {
            return;
        }
        // The issuer of each wanted card (CardChange does not carry it): from its records.
        let mut issuers: HashMap<Asn, Option<IssuerId>> =
            wanted.iter().map(|change| (change.asn, None)).collect();
        for (uploaded, decision) in records.iter().zip(&outcome.decisions) {
            if let (Ok(record), true) = (uploaded, decision.is_accepted())
                && let Some(issuer) = issuers.get_mut(&Asn::new(record.asn()))
            {
                issuer.get_or_insert(IssuerId::new(record.issuer_id()));
            }
        }
        for change in wanted {
            let Some(issuer_id) = issuers.get(&change.asn).copied().flatten() else {
                continue;
            };
            for (counter_kind, state) in [
                (CounterKind::Offline, &change.offline),
                (CounterKind::Online, &change.online),
            ] {
                let report = GapReport {
                    asn: change.asn,
                    issuer_id,
                    counter_kind,
                    open: state.gaps(),
                };
                self.counter_gaps(&report, at_ms, out);
            }
        }
    }
}
